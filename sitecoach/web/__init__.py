"""The Flask app factory: services are bound to the app here; nothing happens at import time."""

from __future__ import annotations

import logging

from flask import Flask
from flask.typing import ResponseReturnValue

from sitecoach.infra.observability import configure_logging
from sitecoach.services import Services
from sitecoach.web.client_address import trust_proxies
from sitecoach.web.context import bind_services


def create_web_app(services: Services) -> Flask:
    """Build the web app around this process's services (`sitecoach.wiring.create_app` builds them)."""
    app = Flask(__name__, instance_relative_config=False)
    settings = services.settings
    app.config.update(
        SECRET_KEY=settings.secret_key,
        MAX_CONTENT_LENGTH=max(
            settings.request_max_bytes, 12 * 1024 * 1024 if settings.simulator_enabled else 0
        ),
        MAX_FORM_PARTS=300,
    )
    bind_services(app, services)
    trust_proxies(app, settings.trusted_proxy_hops)  # request.remote_addr: the client, behind proxies
    if not app.testing:
        configure_logging(logging.INFO)

    from sitecoach.web.admin import bp as admin_bp
    from sitecoach.web.auth import csrf, init_auth
    from sitecoach.web.content_admin import bp as content_bp
    from sitecoach.web.data_rights import bp as data_rights_bp
    from sitecoach.web.employers import bp as employers_bp
    from sitecoach.web.health import bp as health_bp
    from sitecoach.web.lessons import bp as lessons_bp
    from sitecoach.web.mentor import bp as mentor_bp
    from sitecoach.web.otj import bp as otj_bp
    from sitecoach.web.passport import bp as passport_bp
    from sitecoach.web.review_links import bp as review_links_bp
    from sitecoach.web.reviews import bp as reviews_bp
    from sitecoach.web.safeguarding import bp as safeguarding_bp
    from sitecoach.web.staff_roles import bp as staff_roles_bp
    from sitecoach.web.webhook import bp as whatsapp_bp

    init_auth(app)
    csrf.exempt(whatsapp_bp)  # Twilio's requests are authenticated by their signature instead
    csrf.exempt(review_links_bp)  # the signed token in the URL is the credential (no session to forge)
    app.register_blueprint(whatsapp_bp)
    app.register_blueprint(health_bp)
    app.register_blueprint(lessons_bp)
    app.register_blueprint(mentor_bp)
    app.register_blueprint(reviews_bp)
    app.register_blueprint(review_links_bp)
    app.register_blueprint(otj_bp)
    app.register_blueprint(admin_bp)
    app.register_blueprint(staff_roles_bp)
    app.register_blueprint(content_bp)
    app.register_blueprint(data_rights_bp)
    app.register_blueprint(safeguarding_bp)
    app.register_blueprint(passport_bp)
    app.register_blueprint(employers_bp)
    if settings.simulator_enabled:
        from sitecoach.web.simulator import bp as simulator_bp

        app.register_blueprint(simulator_bp)  # only when SIMULATOR_ENABLED: admins on this machine, with CSRF

    @app.get("/")
    def index() -> ResponseReturnValue:
        """The mentor summary (or the login page)."""
        from flask import redirect, url_for

        return redirect(url_for("mentor.summary"))

    return app
