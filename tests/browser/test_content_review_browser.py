"""The safety lead withdraws a card in the browser and the coach's next answer no longer uses it;
reinstating it brings the answer back."""

from __future__ import annotations

import json

from click.testing import CliRunner

from sitecoach.cli import main
from tests.conftest import add_admin

PASSWORD = "an admin passphrase"
CARD = "K-ISO-003"
QUESTION = "can I use my multimeter to prove dead?"
ANSWER_START = "No. Prove dead with an approved two-pole voltage indicator"


def _ask(base_settings, phone: str) -> str:
    """The coach's reply to QUESTION through the real message path, in a new process's services."""
    env = {
        "DATABASE_URL": base_settings.database_uri,
        "REDIS_URL": base_settings.redis_url,
        "INSTANCE_PATH": str(base_settings.instance_path),
        "SECRET_KEY": "browser-test-secret-key-0123456789abcdef",
    }
    result = CliRunner().invoke(main, ["ask", QUESTION, "--phone", phone, "--json"], env=env)
    assert result.exit_code == 0, result.output
    return "\n".join(json.loads(result.output.strip().splitlines()[-1])["replies"])


def test_admin_withdraws_a_card_and_the_next_answer_no_longer_uses_it(
    browser, live_server, services, base_settings, shoot, restore_content
):
    assert _ask(base_settings, "+447700900601").startswith(ANSWER_START)
    add_admin(services, "ada@example.test", PASSWORD)
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(f"{live_server}/login?next=/admin/content")
    page.fill("input[name=email]", "ada@example.test")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("table#cards")
    page.select_option("select[name=area]", "ISO")
    page.fill("input[name=q]", "volt stick")
    page.click("form[aria-label=Filter] button[type=submit]")
    page.click(f"a:text('{CARD}')")
    page.wait_for_selector("#answer")
    assert page.inner_text("#answer").startswith(ANSWER_START)
    page.fill("input[name=note]", "checking which indicators the operator approves")
    page.click("button#withdraw")
    page.wait_for_selector("text=withdrawn: the coach no longer uses it")
    assert page.inner_text("#state").startswith("State: withdrawn")
    shoot(page, "card-withdrawn")

    after = _ask(base_settings, "+447700900602")
    assert ANSWER_START not in after and "approved two-pole voltage indicator, not a multimeter" not in after

    page.click("button#reinstate")
    page.wait_for_selector("text=reinstated: the coach answers from it again")
    page.click("a:text('History')")
    page.wait_for_selector("table#decisions")
    assert "checking which indicators the operator approves" in page.inner_text("table#decisions")
    shoot(page, "card-history")
    page.close()
    assert _ask(base_settings, "+447700900603").startswith(ANSWER_START)
