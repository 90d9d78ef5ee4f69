"""GET /health: is the database reachable, is Redis reachable. GET /metrics: Prometheus text, for a
bearer token or a logged-in admin unless METRICS_PUBLIC opens it."""

from __future__ import annotations

import hmac

from flask import Blueprint, Response, jsonify, request
from flask.typing import ResponseReturnValue
from flask_login import current_user
from sqlalchemy import text

from sitecoach.web.context import current_services

bp = Blueprint("health", __name__)


@bp.get("/health")
def health() -> ResponseReturnValue:
    """200 when the database and Redis both answer, else 503 naming what is down."""
    services = current_services()
    checks: dict[str, str] = {}
    try:
        with services.db.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        checks["database"] = "ok"
    except Exception as exc:  # noqa: BLE001 - any failure means "down", and we say which
        checks["database"] = f"down: {type(exc).__name__}"
    try:
        services.redis.ping()
        checks["redis"] = "ok"
        checks["queue_depth"] = str(len(services.queue))
    except Exception as exc:  # noqa: BLE001
        checks["redis"] = f"down: {type(exc).__name__}"
    ok = checks["database"] == "ok" and checks["redis"] == "ok"
    return jsonify(status="ok" if ok else "degraded", channel=services.settings.coach_channel, **checks), (
        200 if ok else 503
    )


@bp.get("/metrics")
def metrics() -> ResponseReturnValue:
    """Prometheus text: inbound, reply latency, queue depth, failed jobs, LLM latency and fallbacks."""
    services = current_services()
    if not _may_read_metrics():
        return Response(
            "unauthorised: send Authorization: Bearer <METRICS_TOKEN>, or log in as an admin",
            status=401,
            mimetype="text/plain",
            headers={"WWW-Authenticate": 'Bearer realm="metrics"'},
        )
    gauges: dict[str, float] = {}
    try:
        gauges["sitecoach_queue_depth"] = len(services.queue)
        gauges["sitecoach_background_queue_depth"] = len(services.background_queue)
        gauges["sitecoach_failed_jobs"] = sum(len(q.failed_job_registry) for q in services.queues)
        gauges["sitecoach_scheduled_jobs"] = sum(len(q.scheduled_job_registry) for q in services.queues)
        gauges["sitecoach_redis_up"] = 1
    except Exception:  # noqa: BLE001 - Redis down shows as redis_up 0
        gauges["sitecoach_redis_up"] = 0
    text = services.metrics.render(gauges)
    return Response(text, mimetype="text/plain; version=0.0.4")


def _may_read_metrics() -> bool:
    settings = current_services().settings
    if settings.metrics_public:
        return True
    given = request.headers.get("Authorization", "").encode()
    if settings.metrics_token and hmac.compare_digest(given, f"Bearer {settings.metrics_token}".encode()):
        return True
    return bool(current_user.is_authenticated and getattr(current_user, "is_admin", False))
