"""A mentor in a real browser: logs in, signs off evidence, and the learner's WhatsApp shows it."""

from __future__ import annotations

import io

from PIL import Image
from sqlmodel import select
from werkzeug.security import generate_password_hash

from sitecoach.models import Consent, EvidenceItem, Learner, Mentor, utcnow
from sitecoach.records.snapshots import refresh_all
from tests.browser.conftest import loaded_image_width
from tests.conftest import log_in_as_simulator_admin, run_worker

PASSWORD = "a long mentor passphrase"


def _jpeg(path):
    image = Image.new("RGB", (320, 240), (200, 120, 40))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG")
    path.write_bytes(buffer.getvalue())
    return str(path)


def test_mentor_signs_off_evidence_and_the_learner_hears_on_whatsapp(
    browser, live_server, services, client, shoot
):
    media = services.settings.media_path
    media.mkdir(parents=True, exist_ok=True)
    with services.db.session() as session:
        sam = Mentor(
            name="Sam Okafor", email="sam@example.test", password_hash=generate_password_hash(PASSWORD)
        )
        session.add(sam)
        session.flush()
        jamie = Learner(
            phone="+447700900111",
            name="Jamie",
            mentor_id=sam.id,
            consent=Consent.OPTED_IN,
            last_inbound_at=utcnow(),
        )
        session.add(jamie)
        session.flush()
        photo = _jpeg(media / "browser-joint.jpg")
        session.add(
            EvidenceItem(
                learner_id=jamie.id,
                note="LV resin straight joint, Elm St",
                competencies=["JNT-S1"],
                media=[{"url": "x", "content_type": "image/jpeg", "path": photo}],
            )
        )
        refresh_all(session, services.catalogue(), services.memory, utcnow(), 0.65)
        jamie_id = jamie.id
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(f"{live_server}/mentor/")
    assert "/login" in page.url
    page.fill("input[name=email]", "sam@example.test")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server}/mentor/")
    assert "Jamie" in page.inner_text("#learners")
    shoot(page, "summary")
    page.click("text=Jamie")
    page.wait_for_selector(".evidence >> text=LV resin straight joint, Elm St")
    assert loaded_image_width(page, ".evidence img") == 320  # the photo loads
    shoot(page, "learner")
    page.click("button[value=approve]")
    page.wait_for_selector("text=Signed off: the learner has been told.")
    shoot(page, "signed-off")
    run_worker(services)
    log_in_as_simulator_admin(client, services)  # the simulator shows Jamie's phone to an admin
    convo = client.get("/simulator/api/conversation", query_string={"phone": "+447700900111"}).json
    assert convo[-1]["direction"] == "out" and convo[-1]["body"].startswith(
        "✅ Sam Okafor signed off your evidence"
    )
    with services.db.session() as session:
        item = session.exec(select(EvidenceItem).where(EvidenceItem.learner_id == jamie_id)).one()
    assert item.status == "signed_off"
    page.close()


def test_a_tampered_lesson_link_is_refused(browser, live_server, services, shoot):
    with services.db.session() as session:
        learner = Learner(phone="+447700900333", name="Dev")
        session.add(learner)
        session.flush()
        token = services.links.token(learner.id, "L03")
    page = browser.new_page(viewport={"width": 390, "height": 844})
    good = page.goto(f"{live_server}/lesson/{token}")
    assert good.status == 200
    tampered = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    bad = page.goto(f"{live_server}/lesson/{tampered}")
    assert bad.status == 403
    shoot(page, "tampered")
    page.close()
