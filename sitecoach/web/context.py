"""The one way a request reaches this process's services."""

from __future__ import annotations

from typing import cast

from flask import Flask, current_app

from sitecoach.services import Services

EXTENSION = "sitecoach"


def bind_services(app: Flask, services: Services) -> None:
    """Attach the services to the app (the factory does this once)."""
    app.extensions[EXTENSION] = services


def current_services() -> Services:
    """The services of the app handling this request."""
    return cast(Services, current_app.extensions[EXTENSION])


def services_of(app: Flask) -> Services:
    """The services bound to `app` (outside a request)."""
    return cast(Services, app.extensions[EXTENSION])
