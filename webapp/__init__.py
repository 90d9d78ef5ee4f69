"""The Flask app factory: settings and services are made here and bound to the app; nothing at import time."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask

from sitecoach.observability import configure_logging
from sitecoach.services import Services, build_services
from sitecoach.settings import Settings


def create_app(overrides: dict[str, Any] | None = None, services: Services | None = None) -> Flask:
    """Build the web app: defaults, then the environment, then `overrides` (or ready-made `services`)."""
    app = Flask(__name__, instance_relative_config=False)
    if services is None:
        services = build_services(Settings.from_env(**(overrides or {})))
    settings = services.settings
    app.config.update(
        SECRET_KEY=settings.secret_key,
        MAX_CONTENT_LENGTH=max(
            settings.request_max_bytes, 12 * 1024 * 1024 if settings.simulator_enabled else 0
        ),
        MAX_FORM_PARTS=300,
    )
    app.extensions["sitecoach"] = services
    if not app.testing:
        configure_logging(logging.INFO)

    from bot.webhook import bp as whatsapp_bp
    from webapp.admin import bp as admin_bp
    from webapp.auth import csrf, init_auth
    from webapp.health import bp as health_bp
    from webapp.lessons import bp as lessons_bp
    from webapp.mentor import bp as mentor_bp

    init_auth(app)
    csrf.exempt(whatsapp_bp)  # Twilio's requests are authenticated by their signature instead
    app.register_blueprint(whatsapp_bp)
    app.register_blueprint(health_bp)
    app.register_blueprint(lessons_bp)
    app.register_blueprint(mentor_bp)
    app.register_blueprint(admin_bp)
    if settings.simulator_enabled:
        from webapp.simulator import bp as simulator_bp

        csrf.exempt(simulator_bp)  # a local development tool with no login; off when the coach speaks Twilio
        app.register_blueprint(simulator_bp)

    @app.get("/")
    def index():  # type: ignore[no-untyped-def]
        """The mentor summary (or the login page)."""
        from flask import redirect, url_for

        return redirect(url_for("mentor.summary"))

    return app
