"""Browser fixtures: the real app on a loopback port, and Debian's chromium driven by Playwright.
Screenshots of every page a test visits are saved under test-artifacts/ (CI keeps them)."""

from __future__ import annotations

import shutil
import threading
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright
from werkzeug.serving import make_server

from sitecoach.wiring import create_app

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-sync",
    "--disable-background-networking",
    "--disable-component-update",
]


@pytest.fixture(scope="session")
def browser():
    """One headless chromium for the session (Debian's package, installed by .ci/run)."""
    executable = shutil.which("chromium")
    assert executable, "chromium missing: install Debian's chromium (.ci/run does)"
    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_FLAGS)
        yield instance
        instance.close()


@pytest.fixture
def live_server(services):
    """The app (with the test database and Redis) served on 127.0.0.1; links point at it."""
    server = make_server("127.0.0.1", 0, create_app(services=services), threaded=True)
    base = f"http://127.0.0.1:{server.server_port}"
    services.settings = services.settings.with_overrides(public_base_url=base)
    server.app = create_app(services=services)  # cookies and links for the plain-http loopback URL
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield base
    server.shutdown()


@pytest.fixture
def shoot(request):
    """shoot(page, label) saves a full-page screenshot named after the test."""
    ARTIFACTS.mkdir(exist_ok=True)

    def take(page, label: str) -> Path:  # type: ignore[no-untyped-def]
        path = ARTIFACTS / f"{request.node.name}-{label}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


def loaded_image_width(page, selector: str) -> int:  # type: ignore[no-untyped-def]
    """The natural width of the image `selector` once the browser has finished loading it (0 if it failed):
    on a busy machine the page's text is there before its image has been fetched and decoded."""
    page.wait_for_function(f"document.querySelector({selector!r}).complete")
    return int(page.evaluate(f"document.querySelector({selector!r}).naturalWidth"))
