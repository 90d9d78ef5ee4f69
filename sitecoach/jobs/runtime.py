"""The services of a worker or clock process: built once per process by the factory the entry installed.

`sitecoach worker` and `sitecoach clock` install the composition root's factory (the RQ worker does it
before forking work-horses; engines dispose their pools after fork); tests install their own services so
jobs run against the test database and Redis.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from sitecoach.services import Services

_lock = threading.Lock()
_services: Services | None = None
_factory: Callable[[], Services] | None = None


def set_factory(factory: Callable[[], Services] | None) -> None:
    """How this process builds its services on first use (the composition root sets it)."""
    global _factory
    with _lock:
        _factory = factory


def install(services: Services | None) -> None:
    """Use these services for jobs in this process (None forgets them)."""
    global _services
    with _lock:
        _services = services


def services() -> Services:
    """This process's services, built by the installed factory on first use."""
    global _services
    with _lock:
        if _services is None:
            if _factory is None:
                raise RuntimeError("no services: start jobs through `sitecoach worker`, or install() them")
            _services = _factory()
        return _services
