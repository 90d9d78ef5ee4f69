"""Logins for mentors and admins: Flask-Login sessions registered server-side (logout ends them), hashed
passwords, CSRF on every form, a login throttle in Redis, and safe `next` redirects."""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, Flask, abort, flash, make_response, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import LoginManager, UserMixin, current_user, login_required, login_user, logout_user
from flask_wtf import CSRFProtect
from sqlmodel import select
from werkzeug.security import check_password_hash, generate_password_hash

from sitecoach.models import Mentor
from sitecoach.records.seeding import DEMO_STAFF_EMAILS
from sitecoach.web.client_address import client_key
from sitecoach.web.context import current_services, services_of
from sitecoach.web.login_throttle import LoginThrottle
from sitecoach.web.staff_sessions import StaffSessions

log = logging.getLogger(__name__)
bp = Blueprint("auth", __name__)
login_manager = LoginManager()
csrf = CSRFProtect()
DUMMY_HASH = generate_password_hash("timing-equaliser")


class StaffUser(UserMixin):
    """A logged-in staff member (mentor, admin or provider user), as Flask-Login sees them; the access
    rules read it as a `sitecoach.records.access.StaffLike`."""

    def __init__(self, mentor: Mentor, session_id: str) -> None:
        self.mentor_id = int(mentor.id or 0)
        self.name = mentor.name
        self.email = mentor.email
        self.is_admin = mentor.is_admin
        self.is_provider = mentor.is_provider
        self.is_dsl = mentor.is_dsl
        self.session_id = session_id

    def get_id(self) -> str:
        """What the session cookie carries: the mentor and the server-side session."""
        return f"mentor:{self.mentor_id}:{self.session_id}"


def _staff_sessions() -> StaffSessions:
    return StaffSessions(current_services().redis)


def demo_login_allowed(mentor: Mentor) -> bool:
    """The demo accounts, whose password README prints, work only while the simulator (demo mode) is on."""
    return mentor.email not in DEMO_STAFF_EMAILS or current_services().settings.simulator_enabled


@login_manager.user_loader
def load_user(user_id: str) -> StaffUser | None:
    """The user behind a session cookie, or None for anything unknown, logged out or expired."""
    kind, _, rest = user_id.partition(":")
    mentor_part, _, session_id = rest.partition(":")
    if kind != "mentor" or not mentor_part.isdigit() or not session_id:
        return None
    if _staff_sessions().mentor_of(session_id) != int(mentor_part):
        return None
    with current_services().db.read_session() as session:
        mentor = session.get(Mentor, int(mentor_part))
        if mentor is None or not mentor.password_hash or not demo_login_allowed(mentor):
            return None
        return StaffUser(mentor, session_id)


def init_auth(app: Flask) -> None:
    """Bind logins and CSRF to the app, with secure cookie settings."""
    settings = services_of(app).settings
    secure = settings.public_base_url.startswith("https://")
    app.config.update(
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=secure,
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SECURE=secure,
        WTF_CSRF_TIME_LIMIT=None,
    )
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Please log in to see that page."
    csrf.init_app(app)
    app.register_blueprint(bp)


def safe_next(target: str | None) -> str | None:
    """A redirect target only if it stays on this site (no open redirects)."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


@bp.route("/login", methods=["GET", "POST"])
def login() -> ResponseReturnValue:
    """Email and password; after five wrong tries from one place, each further try waits longer."""
    if request.method == "GET":
        return render_template("login.html")
    email = (request.form.get("email") or "").strip().lower()[:200]
    password = request.form.get("password") or ""
    throttle, client = LoginThrottle(current_services().redis), client_key()
    wait = throttle.admit(client, email)  # counted before the password is checked: no race
    if wait:
        flash(f"Too many attempts. Try again in {_in_words(wait)}.", "error")
        response = make_response(render_template("login.html", email=email), 429)
        response.headers["Retry-After"] = str(wait)
        return response
    with current_services().db.read_session() as session:
        mentor = session.exec(select(Mentor).where(Mentor.email == email)).first()
    if mentor is None or not mentor.password_hash or not demo_login_allowed(mentor):
        check_password_hash(DUMMY_HASH, password)  # same work either way: no timing hint
        ok = False
    else:
        ok = check_password_hash(mentor.password_hash, password)
    if not ok or mentor is None:
        flash("That email and password don't match.", "error")
        return render_template("login.html", email=email), 401
    throttle.succeeded(client, email)
    try:
        session_id = _staff_sessions().open(int(mentor.id or 0))
    except Exception:  # noqa: BLE001 - sessions live in Redis; without it nobody can be logged in safely
        log.warning("staff sessions unavailable; login refused", exc_info=True)
        flash("Logging in is not possible right now. Try again in a minute.", "error")
        return render_template("login.html", email=email), 503
    login_user(StaffUser(mentor, session_id))
    return redirect(safe_next(request.args.get("next")) or url_for("mentor.summary"))


def _in_words(seconds: int) -> str:
    if seconds < 90:
        return f"{seconds} seconds"
    return f"{math.ceil(seconds / 60)} minutes"


@bp.post("/logout")
@login_required
def logout() -> ResponseReturnValue:
    """End the session here and on the server, so a copy of its cookie is worthless too."""
    _staff_sessions().close(current_user.session_id)
    logout_user()
    return redirect(url_for("auth.login"))


def admin_required(view: Callable[..., Any]) -> Callable[..., Any]:
    """Only admins (others get 404, so admin pages are not even confirmed to exist)."""

    @wraps(view)
    @login_required
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if not getattr(current_user, "is_admin", False):
            abort(404)
        return view(*args, **kwargs)

    return wrapped
