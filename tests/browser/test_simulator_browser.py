"""The WhatsApp simulator in a real browser: an admin logs in, and the page's sends (which carry the CSRF
token) reach the coach and show its answer."""

from __future__ import annotations

from tests.conftest import add_admin, run_worker

EMAIL, PASSWORD = "ada@example.test", "an admin passphrase"


def test_admin_logs_in_and_the_simulator_page_talks_to_the_coach(browser, live_server, services, shoot):
    add_admin(services, EMAIL, PASSWORD)
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(f"{live_server}/simulator")
    assert "/login" in page.url  # the simulator is behind the admin login
    page.fill("input[name=email]", EMAIL)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server}/simulator")
    page.fill("#learner-phone", "+447700900321")
    page.dispatch_event("#learner-phone", "change")
    page.fill("#learner-text", "hi")
    with page.expect_response(lambda r: r.url.endswith("/simulator/api/send")) as sent:
        page.click("#learner-form button[type=submit]")
    assert sent.value.status == 200
    run_worker(services)
    page.wait_for_selector("#learner-log >> text=Welcome to")
    assert page.inner_text("#learner-err") == ""
    shoot(page, "welcome")
    page.close()
