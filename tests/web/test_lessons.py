"""Lesson pages behind signed, expiring links: the page, its video (with Range), the check question,
the watched beacon and fresh links for expired ones."""

from __future__ import annotations

import re
import shutil
import time
from datetime import timedelta
from html import unescape

import pytest
from flask import Flask
from flask_wtf import CSRFProtect
from itsdangerous import TimestampSigner, URLSafeTimedSerializer
from sqlmodel import col, select

from sitecoach.curriculum.videos import find_video, video_files, videos_dir
from sitecoach.infra.links import LESSON_SALT, LinkSigner
from sitecoach.models import Consent, Learner, LearningEvent, Lesson, Message, ReviewState, utcnow
from sitecoach.web import lessons as lessons_module
from tests.conftest import PUBLIC_BASE_URL, run_worker

PAGE_LIMIT = 100_000


def _learner(services, phone: str = "+447700900777", consent: str = Consent.PENDING) -> int:
    with services.db.session() as session:
        learner = Learner(phone=phone, name="Jamie", consent=consent)
        session.add(learner)
        session.flush()
        return int(learner.id)


def _path(url: str) -> str:
    return url.removeprefix(PUBLIC_BASE_URL)


def _events(services, learner_id: int, kind: str) -> list[LearningEvent]:
    with services.db.session() as session:
        return list(
            session.exec(
                select(LearningEvent)
                .where(LearningEvent.learner_id == learner_id, LearningEvent.kind == kind)
                .order_by(col(LearningEvent.seq))
            ).all()
        )


def _tampered(token: str) -> str:
    return token[:-3] + ("aaa" if not token.endswith("aaa") else "bbb")


def _expired_token(secret: str, learner_id: int, lesson: str) -> str:
    """A genuine lesson token signed 20 days ago."""

    class PastSigner(TimestampSigner):
        def get_timestamp(self) -> int:
            return super().get_timestamp() - 20 * 86400

    return URLSafeTimedSerializer(secret, salt=LESSON_SALT, signer=PastSigner).dumps(
        {"l": learner_id, "s": lesson}
    )


@pytest.fixture
def l03_video(base_settings, seeded, l03_rendered):  # type: ignore[no-untyped-def]
    """L03's real video (rendered once for the suite) in the instance's videos folder; L04 has none."""
    out = videos_dir(base_settings)
    out.mkdir(parents=True, exist_ok=True)
    for path in vars(video_files(out, "L04")).values():
        path.unlink(missing_ok=True)
    placed = video_files(out, "L03")
    for source, target in zip(vars(l03_rendered).values(), vars(placed).values(), strict=True):
        shutil.copy2(source, target)
    return placed


# --- the page -------------------------------------------------------------------------------------------
def test_signed_link_opens_the_lesson_and_records_it(client, services):
    learner_id = _learner(services)
    url = services.links.lesson_url(learner_id, "L03")
    page = client.get(url.split("coach.example.test")[1])
    assert page.status_code == 200
    assert b"Safe isolation and proving dead" in page.data and b"Key facts" in page.data
    with services.db.session() as session:
        event = session.exec(select(LearningEvent).where(LearningEvent.learner_id == learner_id)).one()
    assert event.kind == "lesson_watched" and event.data["lesson"] == "L03"


def test_tampered_link_is_refused(client, services):
    learner_id = _learner(services)
    token = services.links.token(learner_id, "L03")
    tampered = token[:-3] + ("aaa" if not token.endswith("aaa") else "bbb")
    assert client.get(f"/lesson/{tampered}").status_code == 403
    forged = LinkSigner("someone-elses-secret", "https://x", 14).token(learner_id, "L03")
    assert client.get(f"/lesson/{forged}").status_code == 403


def test_expired_link_gets_a_friendly_page(client, services):
    learner_id = _learner(services)
    old = LinkSigner(services.settings.secret_key, "https://x", 0).token(learner_id, "L03")
    time.sleep(1.1)
    services.links = LinkSigner(services.settings.secret_key, "https://x", 0)
    response = client.get(f"/lesson/{old}")
    assert response.status_code == 410 and b"This link has expired" in response.data
    assert b"Send me a fresh link on WhatsApp" in response.data and old.encode() in response.data


def test_page_with_a_video_has_the_player_captions_check_and_next_lesson(client, services, l03_video):
    learner_id = _learner(services)
    token = services.links.token(learner_id, "L03")
    page = client.get(f"/lesson/{token}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and len(page.data) < PAGE_LIMIT
    assert page.headers["Referrer-Policy"] == "same-origin" and "private" in page.headers["Cache-Control"]
    assert re.search(
        r'<video controls preload="metadata" playsinline[^>]*poster="/lesson/[^"]+/poster\.png"', html
    )
    assert f'<source src="/lesson/{token}/video.mp4" type="video/mp4">' in html
    assert (
        f'<track kind="captions" srclang="en" label="English" src="/lesson/{token}/captions.vtt" default>'
        in html
    )
    assert f'action="/lesson/{token}/check#check"' in html and 'name="answer"' in html
    assert html.index("Safety first") < html.index("Key facts") < html.index("Quick check")
    assert "Transcript" in html and "prove test prove" in unescape(html).lower().replace(",", "")
    next_url = unescape(re.search(r'<a class="btn" href="([^"]+)">Next lesson', html).group(1))
    link = services.links.read(next_url.rsplit("/", 1)[1])
    assert (link.learner_id, link.lesson_code) == (learner_id, "L04")


def test_page_without_a_video_shows_the_lesson_and_no_player(client, services, l03_video):
    learner_id = _learner(services)
    token = services.links.token(learner_id, "L04")
    assert find_video(videos_dir(services.settings), "L04") is None
    page = client.get(f"/lesson/{token}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and len(page.data) < PAGE_LIMIT
    assert "<video" not in html and "<script" not in html
    assert "Key facts" in html and "<details open>" in html and 'name="answer"' in html
    assert client.get(f"/lesson/{token}/video.mp4").status_code == 404


def test_page_plays_the_lessons_own_video_url_when_nothing_is_rendered(client, services, l03_video):
    learner_id = _learner(services)
    with services.db.session() as session:
        lesson = session.exec(select(Lesson).where(Lesson.code == "L04")).one()
        lesson.video_url = "https://videos.example.test/l04.mp4"
        session.add(lesson)
    try:
        html = client.get(f"/lesson/{services.links.token(learner_id, 'L04')}").get_data(as_text=True)
    finally:
        with services.db.session() as session:
            lesson = session.exec(select(Lesson).where(Lesson.code == "L04")).one()
            lesson.video_url = None
            session.add(lesson)
    assert '<source src="https://videos.example.test/l04.mp4" type="video/mp4">' in html
    assert "<track" not in html and "poster=" not in html


# --- media under the token -------------------------------------------------------------------------------
def test_video_answers_range_requests(client, services, l03_video):
    token = services.links.token(_learner(services), "L03")
    size = l03_video.mp4.stat().st_size
    part = client.get(f"/lesson/{token}/video.mp4", headers={"Range": "bytes=0-99"})
    assert part.status_code == 206 and part.mimetype == "video/mp4"
    assert part.headers["Content-Range"] == f"bytes 0-99/{size}" and part.headers["Accept-Ranges"] == "bytes"
    assert part.data == l03_video.mp4.read_bytes()[:100]
    whole = client.get(f"/lesson/{token}/video.mp4")
    assert whole.status_code == 200 and int(whole.headers["Content-Length"]) == size
    beyond = client.get(f"/lesson/{token}/video.mp4", headers={"Range": "bytes=999999999-"})
    assert beyond.status_code == 416


def test_captions_and_poster_are_served(client, services, l03_video):
    token = services.links.token(_learner(services), "L03")
    captions = client.get(f"/lesson/{token}/captions.vtt")
    assert captions.status_code == 200 and captions.mimetype == "text/vtt"
    assert captions.data.startswith(b"WEBVTT")
    poster = client.get(f"/lesson/{token}/poster.png")
    assert poster.status_code == 200 and poster.mimetype == "image/png" and poster.data[:4] == b"\x89PNG"


def test_every_sub_route_refuses_a_tampered_token(client, services, l03_video):
    learner_id = _learner(services)
    bad = _tampered(services.links.token(learner_id, "L03"))
    for sub in ("video.mp4", "captions.vtt", "poster.png"):
        assert client.get(f"/lesson/{bad}/{sub}").status_code == 403, sub
    assert client.post(f"/lesson/{bad}/check", data={"answer": "0"}).status_code == 403
    assert client.post(f"/lesson/{bad}/watched", data={"seconds": "60"}).status_code == 403
    assert client.post("/lesson/refresh", data={"token": bad}).status_code == 403
    old = _expired_token(services.settings.secret_key, learner_id, "L03")
    assert client.get(f"/lesson/{old}/video.mp4").status_code == 410


# --- the check question -------------------------------------------------------------------------------------
def _question(client, token: str) -> tuple[str, str]:
    """The signed check field and the question text on a lesson page."""
    html = client.get(f"/lesson/{token}").get_data(as_text=True)
    signed = re.search(r'name="check" value="([^"]+)"', html).group(1)
    question = unescape(re.search(r"<legend>(.*?)</legend>", html, re.S).group(1))
    return signed, question


def _item(services, question: str):  # type: ignore[no-untyped-def]
    return next(i for i in services.catalogue().items.values() if i.question == question)


def test_a_right_then_a_wrong_answer_are_recorded_and_explained(client, services):
    learner_id = _learner(services)
    token = services.links.token(learner_id, "L03")
    signed, question = _question(client, token)
    item = _item(services, question)
    right = client.post(f"/lesson/{token}/check", data={"check": signed, "answer": str(item.answer_index)})
    html = unescape(right.get_data(as_text=True))
    assert right.status_code == 200 and "✓ Right" in html and item.explanation in html
    assert 'name="answer"' not in html

    signed2, question2 = _question(client, token)  # the least-seen item now is another one
    second = _item(services, question2)
    assert second.code != item.code and second.lesson_code == "L03"
    wrong_choice = (second.answer_index + 1) % len(second.options)
    wrong = client.post(f"/lesson/{token}/check", data={"check": signed2, "answer": str(wrong_choice)})
    html = unescape(wrong.get_data(as_text=True))
    assert (
        "✗ Not quite" in html and second.options[second.answer_index] in html and second.explanation in html
    )

    answers = _events(services, learner_id, "quiz_answered")
    assert [(e.data["item"], e.data["correct"]) for e in answers] == [(item.code, True), (second.code, False)]
    with services.db.session() as session:
        states = session.exec(select(ReviewState).where(ReviewState.learner_id == learner_id)).all()
    assert {s.quiz_item_id for s in states} == {item.id, second.id}


def test_a_double_tapped_answer_is_recorded_once(client, services):
    learner_id = _learner(services)
    token = services.links.token(learner_id, "L03")
    signed, question = _question(client, token)
    form = {"check": signed, "answer": str(_item(services, question).answer_index)}
    assert client.post(f"/lesson/{token}/check", data=form).status_code == 200
    assert client.post(f"/lesson/{token}/check", data=form).status_code == 200
    assert len(_events(services, learner_id, "quiz_answered")) == 1


def test_the_check_field_is_bound_to_its_link_and_question(client, services):
    mine = services.links.token(_learner(services), "L03")
    theirs = services.links.token(_learner(services, "+447700900778"), "L03")
    signed, _ = _question(client, theirs)
    assert client.post(f"/lesson/{mine}/check", data={"check": signed, "answer": "0"}).status_code == 400
    assert (
        client.post(f"/lesson/{mine}/check", data={"check": signed[:-2] + "xx", "answer": "0"}).status_code
        == 400
    )
    own, _ = _question(client, mine)
    assert client.post(f"/lesson/{mine}/check", data={"check": own, "answer": "9"}).status_code == 400
    l04 = services.links.token(_learner(services, "+447700900779"), "L04")
    assert client.post(f"/lesson/{l04}/check", data={"check": own, "answer": "0"}).status_code == 400


@pytest.mark.parametrize("csrf_first", [True, False])
def test_posts_work_when_csrf_protection_is_on(services, csrf_first):
    app = Flask("sitecoach.web")
    app.config.update(SECRET_KEY="k", TESTING=True, WTF_CSRF_ENABLED=True)
    app.extensions["sitecoach"] = services
    if csrf_first:
        CSRFProtect(app)
    app.register_blueprint(lessons_module.bp)
    if not csrf_first:
        CSRFProtect(app)
    client = app.test_client()
    token = services.links.token(_learner(services), "L03")
    signed, question = _question(client, token)
    form = {"check": signed, "answer": str(_item(services, question).answer_index)}
    assert client.post(f"/lesson/{token}/check", data=form).status_code == 200
    assert client.post(f"/lesson/{token}/watched", data={"seconds": "70"}).status_code == 200


# --- the watched beacon -------------------------------------------------------------------------------------
def test_watched_beacon_records_once_per_ten_minutes(client, services, monkeypatch):
    learner_id = _learner(services)
    token = services.links.token(learner_id, "L03")
    assert client.post(f"/lesson/{token}/watched", data={"seconds": "71.6"}).json == {"recorded": True}
    assert client.post(f"/lesson/{token}/watched", data={"seconds": "75"}).json == {"recorded": False}
    other = services.links.token(learner_id, "L04")  # another lesson is its own count
    assert client.post(f"/lesson/{other}/watched", data={"seconds": "60"}).json == {"recorded": True}
    later = utcnow() + timedelta(minutes=11)
    monkeypatch.setattr(lessons_module, "utcnow", lambda: later)
    assert client.post(f"/lesson/{token}/watched", data={"seconds": "nonsense"}).json == {"recorded": True}
    watched = [e.data for e in _events(services, learner_id, "lesson_watched")]
    assert watched == [
        {"lesson": "L03", "seconds": 71},
        {"lesson": "L04", "seconds": 60},
        {"lesson": "L03", "seconds": 0},
    ]


# --- fresh links for expired ones ---------------------------------------------------------------------------
def test_fresh_link_is_sent_once_even_when_pressed_twice(client, services):
    learner_id = _learner(services, consent=Consent.OPTED_IN)
    old = _expired_token(services.settings.secret_key, learner_id, "L03")
    expired = client.get(f"/lesson/{old}")
    assert expired.status_code == 410
    for _ in range(2):
        sent = client.post("/lesson/refresh", data={"token": old})
        assert sent.status_code == 200 and b"Sent! Check WhatsApp." in sent.data
    assert len(services.queue.job_ids) == 1  # one delivery queued, not two
    run_worker(services)
    with services.db.session() as session:
        rows = session.exec(select(Message).where(Message.kind == "fresh_link")).all()
    assert len(rows) == 1 and rows[0].learner_id == learner_id and rows[0].status == "delivered"
    assert rows[0].dedupe_key.startswith(f"fresh-link:{learner_id}:L03:")
    fresh = re.search(rf"{re.escape(PUBLIC_BASE_URL)}/lesson/(\S+)", rows[0].body).group(1)
    assert services.links.read(fresh).lesson_code == "L03"
    assert client.get(f"/lesson/{fresh}").status_code == 200
    assert [e.data for e in _events(services, learner_id, "lesson_sent")] == [
        {"lesson": "L03", "via": "fresh_link"}
    ]


def test_fresh_link_needs_consent_and_a_still_valid_link_just_opens(client, services):
    learner_id = _learner(services)  # consent pending
    old = _expired_token(services.settings.secret_key, learner_id, "L03")
    response = client.post("/lesson/refresh", data={"token": old})
    assert response.status_code == 200 and b"We can't message you yet" in response.data
    with services.db.session() as session:
        assert session.exec(select(Message).where(Message.kind == "fresh_link")).first() is None
    valid = services.links.token(learner_id, "L03")
    opened = client.post("/lesson/refresh", data={"token": valid})
    assert opened.status_code == 303 and opened.headers["Location"].endswith(f"/lesson/{valid}")
