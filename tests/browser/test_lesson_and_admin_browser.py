"""A learner's phone opens a lesson deep link and the video seeks; an admin edits a prompt in the browser
and the very next `sitecoach ask` uses the new wording."""

from __future__ import annotations

import json

from click.testing import CliRunner

from sitecoach.cli import main
from sitecoach.curriculum.videos import render_lesson_video, tools_available, videos_dir
from sitecoach.models import Learner
from tests.conftest import add_admin

PASSWORD = "an admin passphrase"


def test_learner_opens_a_lesson_on_a_phone_and_the_video_seeks(browser, live_server, services, shoot):
    ffmpeg, espeak = tools_available()
    assert ffmpeg and espeak, "ffmpeg and espeak-ng are needed (.ci/run installs them)"
    render_lesson_video(services.catalogue().lessons["L03"], videos_dir(services.settings), ffmpeg, espeak)
    with services.db.session() as session:
        learner = Learner(phone="+447700900444", name="Dev")
        session.add(learner)
        session.flush()
        url = f"{live_server}/lesson/{services.links.token(learner.id, 'L03')}"
    page = browser.new_page(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    response = page.goto(url)
    assert response.status == 200
    assert len(response.body()) < 100_000  # light page for one bar of signal
    page.wait_for_function("document.querySelector('video').readyState >= 1", timeout=20_000)
    duration = page.evaluate("document.querySelector('video').duration")
    assert duration > 60
    landed = page.evaluate(
        """() => new Promise(resolve => {
            const v = document.querySelector('video');
            v.addEventListener('seeked', () => resolve(v.currentTime), {once: true});
            v.currentTime = 40;
        })"""
    )
    assert abs(landed - 40) < 1.5  # Range requests work: the player jumped into the middle
    assert page.evaluate("document.querySelector('video track').kind") == "captions"
    page.evaluate("window.scrollTo(0, 0)")
    shoot(page, "lesson-phone")
    page.close()


def test_admin_edits_a_prompt_and_the_next_ask_uses_it(browser, live_server, services, base_settings, shoot):
    add_admin(services, "ada@example.test", PASSWORD)
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(f"{live_server}/login?next=/admin/prompts/smalltalk/thanks")
    page.fill("input[name=email]", "ada@example.test")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("textarea#text")
    page.fill(
        "textarea#text",
        "{# variables: name #}\nNice one{% if name %} {{ name }}{% endif %}! Keep your gloves on. 🧤",
    )
    page.click("button[value=save]")
    page.wait_for_selector("text=the coach uses it from the next message")
    shoot(page, "prompt-saved")
    page.fill("textarea#text", "{# variables: name #}\nHello {{ nobody }}")
    page.click("button[value=save]")
    page.wait_for_selector("text=undeclared")  # refused with the reason
    shoot(page, "prompt-refused")
    page.close()
    env = {
        "DATABASE_URL": base_settings.database_uri,
        "REDIS_URL": base_settings.redis_url,
        "INSTANCE_PATH": str(base_settings.instance_path),
        "SECRET_KEY": "browser-test-secret-key-0123456789abcdef",
    }
    result = CliRunner().invoke(main, ["ask", "cheers mate", "--json"], env=env)
    out = json.loads(result.output.strip().splitlines()[-1])
    assert out["skill"] == "smalltalk" and "Keep your gloves on" in out["replies"][0]
