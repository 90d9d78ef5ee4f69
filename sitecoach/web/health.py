"""GET /health: is the database reachable, is Redis reachable."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, request
from flask.typing import ResponseReturnValue
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
    token = services.settings.metrics_token
    if token and request.headers.get("Authorization", "") != f"Bearer {token}":
        return Response("unauthorised", status=401, mimetype="text/plain")
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
