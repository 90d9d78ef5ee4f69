"""GET /health: is the database reachable, is Redis reachable."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify
from sqlalchemy import text

bp = Blueprint("health", __name__)


@bp.get("/health")
def health():  # type: ignore[no-untyped-def]
    """200 when the database and Redis both answer, else 503 naming what is down."""
    services = current_app.extensions["sitecoach"]
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
