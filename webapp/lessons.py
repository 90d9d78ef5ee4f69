"""Lesson pages behind signed, expiring deep links (no login; the link is the key)."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, render_template

from models import EventKind, Learner, utcnow
from sitecoach.audit import append_event
from sitecoach.links import LinkExpired, LinkInvalid

bp = Blueprint("lessons", __name__)


@bp.get("/lesson/<token>")
def lesson(token: str):  # type: ignore[no-untyped-def]
    """Show a lesson to the learner the link was made for, and record that they opened it."""
    services = current_app.extensions["sitecoach"]
    try:
        link = services.links.read(token)
    except LinkExpired:
        return render_template("link_expired.html"), 410
    except LinkInvalid:
        abort(403)
    info = services.catalogue().lessons.get(link.lesson_code)
    if info is None:
        abort(404)
    with services.db.session() as session:
        learner = session.get(Learner, link.learner_id)
        if learner is None:
            abort(403)
        append_event(session, learner.id, EventKind.LESSON_WATCHED, utcnow(), {"lesson": info.code})
    return render_template("lesson.html", lesson=info)
