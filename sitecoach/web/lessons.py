"""Lesson pages behind signed, expiring deep links (no login; the link is the key).

Everything a lesson page needs hangs off the same token: the video (with HTTP Range, which iOS insists
on), its captions and poster, a one-question check, a "watched 80%" beacon, and, once the link has
expired, a button that sends a fresh one on WhatsApp.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, Flask, abort, current_app, redirect, render_template, request, send_file, url_for
from flask.blueprints import BlueprintSetupState
from flask.typing import ResponseReturnValue
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlmodel import Session, col, select
from werkzeug.wrappers import Response

from sitecoach.curriculum.catalogue import Catalogue, ItemInfo, LessonInfo
from sitecoach.curriculum.videos import find_video, videos_dir
from sitecoach.delivery.proactive import to_learner
from sitecoach.infra.enqueue import enqueue_delivery
from sitecoach.infra.links import LessonLink, LinkExpired, LinkInvalid
from sitecoach.infra.localtime import local_now
from sitecoach.models import (
    Consent,
    EventKind,
    Learner,
    LearningEvent,
    Lesson,
    Message,
    MessageKind,
    ReviewState,
    utcnow,
)
from sitecoach.records.audit import append_event
from sitecoach.records.repository import CoachRepository
from sitecoach.services import Services
from sitecoach.web.context import current_services

log = logging.getLogger(__name__)
bp = Blueprint("lessons", __name__)

CHECK_SALT = "lesson-check"  # signs the check form to its link and question (a per-token CSRF field)
CHECK_MAX_AGE_SECONDS = 7 * 86400
CHECK_REPEAT = timedelta(minutes=2)  # a second submit of the same answer this soon is a double tap
WATCHED_REPEAT = timedelta(minutes=10)
WATCHED_MAX_SECONDS = 3600
MEDIA_MAX_AGE_SECONDS = 3600
FRESH_LINK_KIND = MessageKind.FRESH_LINK
FRESH_LINK_BODY = 'Here\'s a fresh link to your lesson "{lesson}":\n{link}\nIt works for {days} days.'
POST_VIEWS = ("check", "watched", "refresh")


# --- CSRF: the token in the URL is the credential, so Flask-WTF's session token is not needed ---------------
def _exempt_posts(app: Flask) -> None:
    """Exempt this blueprint's POST views from Flask-WTF's CSRFProtect, if the app uses it."""
    csrf = app.extensions.get("csrf")
    if csrf is not None and hasattr(csrf, "exempt"):
        for name in POST_VIEWS:
            csrf.exempt(f"{__name__}.{name}")


@bp.record_once
def _exempt_at_registration(state: BlueprintSetupState) -> None:
    _exempt_posts(state.app)


@bp.before_app_request
def _exempt_before_csrf_check() -> None:
    # CSRFProtect may be set up after this blueprint is registered; this hook then runs before its check.
    _exempt_posts(current_app)


@bp.after_request
def _private(response: Response) -> Response:
    """Lesson pages carry a credential in their URL: keep them out of shared caches, referrers and search."""
    response.cache_control.public = False
    response.cache_control.private = True
    response.headers["Referrer-Policy"] = "same-origin"  # no token to other sites; CSRF checks still see it
    response.headers["X-Robots-Tag"] = "noindex"
    return response


# --- helpers --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class VideoSource:
    """What the page's player plays: our rendered video (with captions and poster) or an external URL."""

    src: str
    captions: str | None = None
    poster: str | None = None


@dataclass(frozen=True)
class CheckQuestion:
    """The one check question on a page, its signed form field, and the answer once given."""

    item: ItemInfo
    signed: str
    chosen: int | None = None

    @property
    def correct(self) -> bool:
        """Whether the chosen option is the right one."""
        return self.chosen == self.item.answer_index



def _read_link(token: str) -> LessonLink:
    """The link behind a token: 403 if tampered with, 410 if expired."""
    try:
        return current_services().links.read(token)
    except LinkExpired:
        abort(410)
    except LinkInvalid:
        abort(403)


def _expired_page(token: str) -> tuple[str, int]:
    return render_template("link_expired.html", token=token), 410


def _check_signer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_services().settings.secret_key, salt=CHECK_SALT)


def _token_tag(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()[:16]


def _video_source(session: Session, token: str, lesson: LessonInfo) -> VideoSource | None:
    """Our rendered video if there is one, else the lesson's own video URL (http/https only), else None."""
    video = find_video(videos_dir(current_services().settings), lesson.code)
    if video is not None:
        return VideoSource(
            src=url_for(".video", token=token),
            captions=url_for(".captions", token=token) if video.vtt.is_file() else None,
            poster=url_for(".poster", token=token) if video.poster.is_file() else None,
        )
    url = session.exec(select(Lesson.video_url).where(Lesson.code == lesson.code)).first()
    if url and urlsplit(url).scheme in ("http", "https"):
        return VideoSource(src=url)
    return None


def _least_seen_item(
    catalogue: Catalogue, repo: CoachRepository, learner: Learner, lesson: LessonInfo
) -> ItemInfo | None:
    """The lesson's quiz item the learner has answered least often (then longest ago), or None."""
    items = catalogue.items_for_lessons({lesson.code})
    if not items:
        return None
    states = repo.review_states(learner)
    never = datetime.min.replace(tzinfo=utcnow().tzinfo)

    def seen(item: ItemInfo) -> tuple[int, datetime, str]:
        state = states.get(item.id)
        return (state.reps, state.last_reviewed_at or never, item.code) if state else (0, never, item.code)

    return min(items, key=seen)


def _next_lesson(catalogue: Catalogue, opened: set[str], current: LessonInfo) -> LessonInfo | None:
    """The first unopened lesson after this one in order, else the first unopened at all."""
    unopened = [x for x in catalogue.live_lessons() if x.code not in opened and x.code != current.code]
    later = [x for x in unopened if x.position > current.position]
    return (later or unopened or [None])[0]


def _page(
    session: Session,
    catalogue: Catalogue,
    learner: Learner,
    lesson: LessonInfo,
    token: str,
    answered: CheckQuestion | None = None,
) -> str:
    """Render the lesson page (with the check question, or its result once answered)."""
    services = current_services()
    repo = CoachRepository(session, catalogue, services.memory)
    check = answered
    if check is None:
        item = _least_seen_item(catalogue, repo, learner, lesson)
        if item is not None:
            check = CheckQuestion(item, _check_signer().dumps([_token_tag(token), item.code]))
    following = _next_lesson(catalogue, repo.lessons_opened(learner), lesson)
    return render_template(
        "lesson.html",
        lesson=lesson,
        token=token,
        video=_video_source(session, token, lesson),
        check=check,
        next_lesson=following,
        next_url=services.links.lesson_url(int(learner.id or 0), following.code) if following else None,
    )


# --- the page -------------------------------------------------------------------------------------------
@bp.get("/lesson/<token>")
def lesson(token: str) -> ResponseReturnValue:
    """Show a lesson to the learner the link was made for, and record that they opened it."""
    services = current_services()
    try:
        link = services.links.read(token)
    except LinkExpired:
        return _expired_page(token)
    except LinkInvalid:
        abort(403)
    catalogue = services.catalogue()  # before the transaction: SQLite allows one writer at a time
    info = catalogue.lessons.get(link.lesson_code)
    if info is None or not info.live:  # a withdrawn lesson is not shown, even from an old link
        abort(404)
    with services.db.session() as session:
        learner = session.get(Learner, link.learner_id)
        if learner is None:
            abort(403)
        append_event(session, int(learner.id or 0), EventKind.LESSON_WATCHED, utcnow(), {"lesson": info.code})
        return _page(session, catalogue, learner, info, token)


@bp.post("/lesson/<token>/check")
def check(token: str) -> ResponseReturnValue:
    """Record the answer to the page's check question and show whether it was right."""
    services = current_services()
    try:
        link = services.links.read(token)
    except LinkExpired:
        return _expired_page(token)
    except LinkInvalid:
        abort(403)
    catalogue = services.catalogue()
    info = catalogue.lessons.get(link.lesson_code)
    try:
        tag, code = _check_signer().loads(request.form.get("check", ""), max_age=CHECK_MAX_AGE_SECONDS)
    except (BadSignature, TypeError, ValueError):
        abort(400)
    item = catalogue.items.get(str(code))
    if info is None or tag != _token_tag(token) or item is None or item.lesson_code != info.code:
        abort(400)
    try:
        chosen = int(request.form.get("answer", ""))
    except ValueError:
        abort(400)
    if not 0 <= chosen < len(item.options):
        abort(400)
    answered = CheckQuestion(item, "", chosen)
    now = utcnow()
    with services.db.session() as session:
        learner = session.get(Learner, link.learner_id)
        if learner is None:
            abort(403)
        state = session.exec(
            select(ReviewState).where(
                ReviewState.learner_id == learner.id, ReviewState.quiz_item_id == item.id
            )
        ).first()
        double_tap = (
            state is not None and state.last_reviewed_at and now - state.last_reviewed_at < CHECK_REPEAT
        )
        if not double_tap:
            CoachRepository(session, catalogue, services.memory).record_review(
                learner, item.id, answered.correct, now
            )
        return _page(session, catalogue, learner, info, token, answered)


@bp.post("/lesson/<token>/watched")
def watched(token: str) -> dict[str, Any]:
    """The page's beacon at 80% of the video: record how long they watched (once per 10 minutes)."""
    link = _read_link(token)
    try:
        seconds = min(max(int(float(request.form.get("seconds", "0"))), 0), WATCHED_MAX_SECONDS)
    except ValueError:
        seconds = 0
    services = current_services()
    now = utcnow()
    with services.db.session() as session:
        learner = session.get(Learner, link.learner_id)
        if learner is None:
            abort(403)
        recent = session.exec(
            select(LearningEvent.data).where(
                LearningEvent.learner_id == learner.id,
                LearningEvent.kind == EventKind.LESSON_WATCHED,
                col(LearningEvent.at) >= now - WATCHED_REPEAT,
            )
        ).all()
        if any(d.get("lesson") == link.lesson_code and "seconds" in d for d in recent):
            return {"recorded": False}
        data = {"lesson": link.lesson_code, "seconds": seconds}
        append_event(session, int(learner.id or 0), EventKind.LESSON_WATCHED, now, data)
    return {"recorded": True}


# --- media under the same token ---------------------------------------------------------------------------
def _media(token: str, kind: str, mimetype: str) -> Response:
    link = _read_link(token)
    services = current_services()
    with services.db.read_session() as session:
        if session.get(Learner, link.learner_id) is None:
            abort(403)
    video = find_video(videos_dir(services.settings), link.lesson_code)
    path = getattr(video, kind) if video else None
    if path is None or not path.is_file():
        abort(404)
    # A path (not a file object) lets Werkzeug answer Range requests with 206, which iOS needs.
    return send_file(path, mimetype=mimetype, conditional=True, max_age=MEDIA_MAX_AGE_SECONDS)


@bp.get("/lesson/<token>/video.mp4")
def video(token: str) -> Response:
    """The lesson's video, with HTTP Range support."""
    return _media(token, "mp4", "video/mp4")


@bp.get("/lesson/<token>/captions.vtt")
def captions(token: str) -> Response:
    """The video's WebVTT captions."""
    return _media(token, "vtt", "text/vtt")


@bp.get("/lesson/<token>/poster.png")
def poster(token: str) -> Response:
    """The video's poster (its title card)."""
    return _media(token, "poster", "image/png")


# --- a fresh link for an expired one -----------------------------------------------------------------------
@bp.post("/lesson/refresh")
def refresh() -> ResponseReturnValue:
    """Send a fresh link on WhatsApp for a genuine but expired one (at most once a day per lesson)."""
    services = current_services()
    token = request.form.get("token", "")
    try:
        services.links.read(token)
    except LinkExpired as exc:
        learner_id, code = exc.learner_id, exc.lesson_code
    except LinkInvalid:
        abort(403)
    else:
        return redirect(url_for(".lesson", token=token), code=303)  # still valid: just open it
    if learner_id is None or code is None:
        abort(403)
    info = services.catalogue().lessons.get(code)
    if info is None:
        abort(404)
    now = utcnow()
    with services.db.session() as session:
        learner = session.get(Learner, learner_id)
        if learner is None:
            abort(403)
        if learner.consent != Consent.OPTED_IN:
            return render_template("lesson_fresh_link.html", status="not_opted_in")
        link = services.links.lesson_url(int(learner_id), code)
        variables = {"name": learner.name or "there", "lesson": info.title, "link": link}
        row = to_learner(
            session,
            services.settings,
            learner,
            key=f"fresh-link:{learner_id}:{code}:{local_now(now, learner.timezone).date().isoformat()}",
            kind=FRESH_LINK_KIND,
            body=FRESH_LINK_BODY.format(days=services.settings.link_max_age_days, **variables),
            variables=variables,
            now=now,
        )
        message_id = int(row.id or 0) if row is not None else None
    # None: already claimed today, so it was sent: say so again rather than send twice
    if message_id is not None and not _deliver_fresh_link(services, int(learner_id), code, message_id, now):
        return render_template("lesson_fresh_link.html", status="failed"), 503
    return render_template("lesson_fresh_link.html", status="sent")


def _deliver_fresh_link(
    services: Services, learner_id: int, code: str, message_id: int, now: datetime
) -> bool:
    """Queue the claimed message; if the queue is down, release the claim so the learner can try again."""
    try:
        enqueue_delivery(services.queue, message_id)
    except Exception:  # noqa: BLE001 - Redis down: undo the claim and tell the learner, never a traceback
        log.exception("could not queue fresh link %s", message_id)
        with services.db.session() as session:
            row = session.get(Message, message_id)
            if row is not None:
                session.delete(row)
        return False
    with services.db.session() as session:
        append_event(
            session, learner_id, EventKind.LESSON_SENT, now, {"lesson": code, "via": FRESH_LINK_KIND}
        )
    return True
