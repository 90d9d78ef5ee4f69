"""Logins for mentors and admins: Flask-Login sessions, hashed passwords, CSRF on every form,
a login rate limit in Redis, and safe `next` redirects."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, Flask, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import LoginManager, UserMixin, current_user, login_required, login_user, logout_user
from flask_wtf import CSRFProtect
from sqlmodel import select
from werkzeug.security import check_password_hash, generate_password_hash

from sitecoach.models import Mentor
from sitecoach.web.context import current_services, services_of

bp = Blueprint("auth", __name__)
login_manager = LoginManager()
csrf = CSRFProtect()
LOGIN_ATTEMPTS = 5  # per email and per address
LOGIN_WINDOW_SECONDS = 15 * 60
DUMMY_HASH = generate_password_hash("timing-equaliser")


class StaffUser(UserMixin):
    """A logged-in mentor (or admin), as Flask-Login sees them."""

    def __init__(self, mentor: Mentor) -> None:
        self.mentor_id = int(mentor.id or 0)
        self.name = mentor.name
        self.email = mentor.email
        self.is_admin = mentor.is_admin

    def get_id(self) -> str:
        """The session id of this user."""
        return f"mentor:{self.mentor_id}"


@login_manager.user_loader
def load_user(user_id: str) -> StaffUser | None:
    """The user behind a session id, or None for anything unknown."""
    if not user_id.startswith("mentor:") or not user_id[7:].isdigit():
        return None
    with current_services().db.read_session() as session:
        mentor = session.get(Mentor, int(user_id[7:]))
        return StaffUser(mentor) if mentor and mentor.password_hash else None


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


def _too_many(keys: list[str]) -> bool:
    redis = current_services().redis
    try:
        return any(int(redis.get(k) or 0) >= LOGIN_ATTEMPTS for k in keys)
    except Exception:  # noqa: BLE001 - the limiter failing open must not lock everyone out
        return False


def _count_failure(keys: list[str]) -> None:
    redis = current_services().redis
    try:
        pipe = redis.pipeline()
        for key in keys:
            pipe.incr(key)
            pipe.expire(key, LOGIN_WINDOW_SECONDS)
        pipe.execute()
    except Exception:  # noqa: BLE001
        pass


@bp.route("/login", methods=["GET", "POST"])
def login() -> ResponseReturnValue:
    """Email and password; five failures in fifteen minutes lock the email and the address."""
    if request.method == "GET":
        return render_template("login.html")
    email = (request.form.get("email") or "").strip().lower()[:200]
    password = request.form.get("password") or ""
    keys = [f"login-fail:email:{email}", f"login-fail:addr:{request.remote_addr}"]
    if _too_many(keys):
        flash("Too many attempts. Wait fifteen minutes and try again.", "error")
        return render_template("login.html", email=email), 429
    with current_services().db.read_session() as session:
        mentor = session.exec(select(Mentor).where(Mentor.email == email)).first()
    if mentor is None or not mentor.password_hash:
        check_password_hash(DUMMY_HASH, password)  # same work either way: no timing hint
        ok = False
    else:
        ok = check_password_hash(mentor.password_hash, password)
    if not ok:
        _count_failure(keys)
        flash("That email and password don't match.", "error")
        return render_template("login.html", email=email), 401
    login_user(StaffUser(mentor))
    return redirect(safe_next(request.args.get("next")) or url_for("mentor.summary"))


@bp.post("/logout")
@login_required
def logout() -> ResponseReturnValue:
    """End the session."""
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
