"""The services of a worker or clock process: built once per process from the environment.

The RQ worker installs them before forking work-horses (engines dispose their pools after fork);
tests install their own so jobs run against the test database and Redis.
"""

from __future__ import annotations

import threading

from sitecoach.services import Services, build_services
from sitecoach.settings import Settings

_lock = threading.Lock()
_services: Services | None = None


def install(services: Services | None) -> None:
    """Use these services for jobs in this process (None forgets them)."""
    global _services
    with _lock:
        _services = services


def services() -> Services:
    """This process's services, built from the environment on first use."""
    global _services
    with _lock:
        if _services is None:
            _services = build_services(Settings.from_env())
        return _services
