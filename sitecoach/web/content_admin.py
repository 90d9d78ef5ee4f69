"""Admin pages for the safety lead's content review: cards and lessons with their review state, a card's
text (edited as a new version), its history with diffs, and review / withdraw / reinstate. The rules
live in `sitecoach.records.content_review`; these views only read forms and render pages."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from sitecoach.models import ReviewStatus
from sitecoach.records import content_review as review
from sitecoach.web.auth import admin_required
from sitecoach.web.context import current_services

bp = Blueprint("content", __name__, url_prefix="/admin/content")
CARD_CODE = re.compile(r"^K-[A-Z]{3}-\d{3}$")
LESSON_CODE = re.compile(r"^[A-Za-z0-9_-]{1,40}$")
CARD_ACTIONS = {
    "review": (review.mark_card_reviewed, "marked reviewed: the coach answers from it"),
    "withdraw": (review.withdraw_card, "withdrawn: the coach no longer uses it"),
    "reinstate": (review.reinstate_card, "reinstated: the coach answers from it again"),
}
LESSON_DONE = {"review": "marked reviewed", "withdraw": "withdrawn", "reinstate": "reinstated"}


@bp.before_request
@admin_required
def _admins_only() -> None:
    """Every content route: log in first, and non-admins get a 404."""
    return None


def _code(code: str, pattern: re.Pattern[str]) -> str:
    if not pattern.match(code):
        abort(404)
    return code


def _filters() -> dict[str, Any]:
    status = request.args.get("status") or None
    return {
        "status": status if status in {s.value for s in ReviewStatus} else None,
        "area": (request.args.get("area") or "").strip().upper()[:10] or None,
        "query": (request.args.get("q") or "").strip()[:100] or None,
    }


@bp.get("")
@bp.get("/")
def listing() -> ResponseReturnValue:
    """Cards (a page at a time) and lessons with their review state, filtered by state, area and text."""
    filters = _filters()
    page = max(0, request.args.get("page", default=0, type=int))
    with current_services().db.read_session() as session:
        found = review.list_content(session, page=page, **filters)
    return render_template(
        "admin/content.html",
        found=found,
        page=page,
        pages=max(1, -(-found.card_total // review.PAGE_SIZE)),
        filters=filters,
        states=[s.value for s in ReviewStatus],
        reviewed_label=review.reviewed_label,
    )


def _card_page(
    code: str, form: dict[str, Any] | None = None, status: int = 200, **extra: Any
) -> ResponseReturnValue:
    with current_services().db.read_session() as session:
        card = review.get_card(session, code)
        if card is None:
            abort(404)
    values = dict(card.content) | (form or {})
    page = render_template(
        "admin/content_card.html",
        card=card,
        values=values,
        list_fields=review.LIST_FIELDS,
        reviewed_label=review.reviewed_label,
        **extra,
    )
    return page, status


@bp.route("/cards/<code>", methods=["GET", "POST"])
def card(code: str) -> ResponseReturnValue:
    """A card as the coach uses it, and the form that saves an edit as its next version."""
    code = _code(code, CARD_CODE)
    if request.method == "GET":
        return _card_page(code)
    changes: dict[str, Any] = {
        name: request.form.get(name, "") for name in review.EDITABLE_FIELDS if name != "verify_locally"
    }
    changes["verify_locally"] = request.form.get("verify_locally") == "on"
    shown = {name: review.clean_value(name, value) for name, value in changes.items()}
    reviewed = request.form.get("reviewed") == "on"
    note = (request.form.get("note") or "").strip()
    services = current_services()
    try:
        with services.db.session() as session:
            row = review.edit_card(
                session,
                code,
                changes,
                current_user.mentor_id,
                base_version=request.form.get("base_version", type=int),
                reviewed=reviewed,
                note=note,
            )
            version, state = row.version, row.status
    except review.ReviewError as exc:
        status = 409 if exc.conflict else 422
        return _card_page(code, shown, status, errors=exc.problems, note=note, reviewed=reviewed)
    except IntegrityError:
        problem = "Someone saved this card at the same moment: reload and edit again."
        return _card_page(code, shown, 409, errors=[problem], note=note, reviewed=reviewed)
    services.reload_catalogue()
    if state == ReviewStatus.LIVE:
        flash(f"Saved {code} as version {version} and marked it reviewed: the coach answers from it.", "ok")
    else:
        flash(f"Saved {code} as version {version}, a draft: the coach does not use it until reviewed.", "ok")
    return redirect(url_for("content.card", code=code))


@bp.post("/cards/<code>/<action>")
def card_action(code: str, action: str) -> ResponseReturnValue:
    """Mark a card reviewed, withdraw it or reinstate it."""
    code = _code(code, CARD_CODE)
    if action not in CARD_ACTIONS:
        abort(404)
    change, done = CARD_ACTIONS[action]
    note = (request.form.get("note") or "").strip()
    _apply(
        lambda session: change(session, code, current_user.mentor_id, note),
        "there is no card",
        f"{code} {done}.",
    )
    return redirect(url_for("content.card", code=code))


def _apply(change: Callable[[Session], object], missing: str, done: str) -> None:
    """Make a review change in one transaction: 404 when its card or lesson does not exist, the problems
    flashed when it is refused, else every process's curriculum reloaded."""
    services = current_services()
    try:
        with services.db.session() as session:
            change(session)
    except review.ReviewError as exc:
        if any(p.startswith(missing) for p in exc.problems):
            abort(404)
        flash("Nothing changed: " + "; ".join(exc.problems), "error")
    else:
        services.reload_catalogue()
        flash(done, "ok")


@bp.get("/cards/<code>/history")
def card_history(code: str) -> ResponseReturnValue:
    """Every saved version of a card with its diff, and the review decisions."""
    code = _code(code, CARD_CODE)
    with current_services().db.read_session() as session:
        card = review.get_card(session, code)
        if card is None:
            abort(404)
        found = review.card_history(session, code)
    return render_template("admin/content_history.html", card=card, history=found)


@bp.post("/lessons/<code>/<action>")
def lesson_action(code: str, action: str) -> ResponseReturnValue:
    """Mark a lesson reviewed, withdraw it or reinstate it (its text comes from the pack)."""
    code = _code(code, LESSON_CODE)
    if action not in LESSON_DONE:
        abort(404)
    note = (request.form.get("note") or "").strip()
    _apply(
        lambda session: review.set_lesson_state(session, code, action, current_user.mentor_id, note),
        "there is no lesson",
        f"Lesson {code} {LESSON_DONE[action]}.",
    )
    kept: dict[str, Any] = {name: request.form.get(name) or None for name in ("status", "area", "q", "page")}
    return redirect(url_for("content.listing", **kept))  # None values are left out of the URL
