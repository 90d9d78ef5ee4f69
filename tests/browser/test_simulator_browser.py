"""The WhatsApp simulator in a real browser: an admin logs in, and the page's sends (which carry the CSRF
token) reach the coach and show its answer."""

from __future__ import annotations

from sqlmodel import select

from sitecoach.models import ConversationState
from tests.conftest import add_admin, run_worker

EMAIL, PASSWORD = "ada@example.test", "an admin passphrase"


def _simulator_as(browser, live_server, services, phone: str):  # type: ignore[no-untyped-def]
    """The simulator page, the admin logged in (through the login form), speaking as `phone`."""
    add_admin(services, EMAIL, PASSWORD)
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(f"{live_server}/simulator")
    assert "/login" in page.url  # the simulator is behind the admin login
    page.fill("input[name=email]", EMAIL)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server}/simulator")
    page.fill("#learner-phone", phone)
    page.dispatch_event("#learner-phone", "change")
    return page


def _send_and_answer(page, services, click_selector: str) -> None:
    """Click something that posts to the simulator, wait for the post, and let the worker answer."""
    with page.expect_response(lambda r: r.url.endswith("/simulator/api/send")) as sent:
        page.locator(click_selector).last.click()
    assert sent.value.status == 200
    run_worker(services)


def _type(page, services, *messages: str) -> None:
    """Type each message into the learner's phone and let the coach answer it."""
    for text in messages:
        page.fill("#learner-text", text)
        _send_and_answer(page, services, "#learner-form button[type=submit]")


def test_admin_logs_in_and_the_simulator_page_talks_to_the_coach(browser, live_server, services, shoot):
    page = _simulator_as(browser, live_server, services, "+447700900321")
    _type(page, services, "hi")
    page.wait_for_selector("#learner-log >> text=Welcome to")
    assert page.inner_text("#learner-err") == ""
    shoot(page, "welcome")
    page.close()


def test_consent_and_a_quiz_answer_by_tapping_in_the_simulator(browser, live_server, services, shoot):
    page = _simulator_as(browser, live_server, services, "+447700900322")
    _type(page, services, "hi")
    page.wait_for_selector("#learner-log button.choice[data-choice-id=yes]")
    shoot(page, "consent-buttons")
    _send_and_answer(page, services, "#learner-log button.choice[data-choice-id=yes]")
    page.wait_for_selector("#learner-log >> text=What should I call you?")
    _type(page, services, "Jamie", "quiz me on earthing")
    page.wait_for_selector("#learner-log >> text=Reply with a letter")
    with services.db.session() as session:
        item = services.catalogue().items[session.exec(select(ConversationState)).one().data["item"]]
    right = "ABCDEFGH"[item.answer_index]
    if len(item.options) > 3:  # a list: open it, then tap the row
        page.locator("#learner-log .list-open").last.click()
    _send_and_answer(page, services, f"#learner-log button.choice[data-choice-id={right}]")
    page.wait_for_selector("#learner-log >> text=Correct.")
    assert page.inner_text("#learner-err") == ""
    shoot(page, "quiz-tapped")
    page.close()


def test_the_help_menu_and_hours_by_tapping_in_the_simulator(browser, live_server, services, shoot):
    page = _simulator_as(browser, live_server, services, "+447700900323")
    _type(page, services, "hi", "yes", "Jamie", "help")
    page.locator("#learner-log .list-open").last.click()  # the help menu is a list: open it
    shoot(page, "help-list")
    _send_and_answer(page, services, '#learner-log button.choice[data-choice-id="log hours"]')
    page.wait_for_selector("#learner-log >> text=How long")
    one_hour = '#learner-log button.choice[data-choice-id="log 1 hour off-the-job training"]'
    _send_and_answer(page, services, one_hour)
    page.wait_for_selector("#learner-log >> text=Log it as off-the-job training?")
    _send_and_answer(page, services, '#learner-log button.choice[data-choice-id="yes"]')  # the confirming tap
    page.wait_for_selector("#learner-log >> text=Logged 1h")
    assert page.inner_text("#learner-err") == ""
    shoot(page, "hours-tapped")
    page.close()


def test_evidence_confirmed_by_tapping_in_the_simulator(browser, live_server, services, shoot, tmp_path):
    from PIL import Image

    photo = tmp_path / "joint.png"
    Image.new("RGB", (64, 48), (90, 90, 90)).save(photo)
    page = _simulator_as(browser, live_server, services, "+447700900324")
    _type(page, services, "hi", "yes", "Jamie")
    page.set_input_files("#learner-photo", str(photo))
    _type(page, services, "LV resin joint on waveform today")
    page.wait_for_selector("#learner-log button.choice[data-choice-id=all]")
    shoot(page, "evidence-choices")
    _send_and_answer(page, services, "#learner-log button.choice[data-choice-id=all]")
    page.wait_for_selector("#learner-log >> text=Saved ✅ Evidence")
    assert page.inner_text("#learner-err") == ""
    page.close()
