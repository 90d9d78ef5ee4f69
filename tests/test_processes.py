"""The real thing: gunicorn and an RQ worker as separate processes, as `make demo` and production run them."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass

import pytest
import requests

from tests.conftest import TEST_AUTH_TOKEN, add_admin, sign, twilio_form

pytestmark = pytest.mark.processes
ADMIN_EMAIL = "process-admin@example.test"
ADMIN_PASSWORD = "process admin passphrase"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def running(services, base_settings, tmp_path):
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    env = dict(os.environ)
    env.update(
        {
            "DATABASE_URL": base_settings.database_uri,
            "REDIS_URL": base_settings.redis_url,
            "INSTANCE_PATH": str(base_settings.instance_path),
            "SECRET_KEY": "process-test-secret-key-0123456789abcdef",
            "TWILIO_AUTH_TOKEN": TEST_AUTH_TOKEN,
            "PUBLIC_BASE_URL": base,
            "PORT": str(port),
            "COACH_CHANNEL": "simulator",
            "SIMULATOR_ENABLED": "1",  # the replies are read back through the simulator's API
            "QUEUE_NAME": base_settings.queue_name,
            "PYTHONUNBUFFERED": "1",
        }
    )
    env.pop("TWILIO_ACCOUNT_SID", None)
    logs = {name: open(tmp_path / f"{name}.log", "w") for name in ("web", "worker")}
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "sitecoach.cli", "web", "--workers", "2"],
            env=env,
            stdout=logs["web"],
            stderr=subprocess.STDOUT,
        ),
        subprocess.Popen(
            [sys.executable, "-m", "sitecoach.cli", "worker"],
            env=env,
            stdout=logs["worker"],
            stderr=subprocess.STDOUT,
        ),
    ]
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if requests.get(f"{base}/health", timeout=1).status_code == 200:
                    break
            except requests.RequestException:
                time.sleep(0.3)
        else:
            pytest.fail("web did not start: " + (tmp_path / "web.log").read_text()[-2000:])
        add_admin(services, ADMIN_EMAIL, ADMIN_PASSWORD)
        yield Running(base, _logged_in(base))
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
        for fh in logs.values():
            fh.close()


@dataclass(frozen=True)
class Running:
    """The web process's URL, and an HTTP session logged in there as an admin (the simulator needs one)."""

    base: str
    admin: requests.Session


def _logged_in(base: str) -> requests.Session:
    http = requests.Session()
    page = http.get(f"{base}/login", timeout=5).text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    form = {"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD, "csrf_token": token}
    response = http.post(f"{base}/login", data=form, allow_redirects=False, timeout=5)
    assert response.status_code == 302, response.text[:300]
    return http


def _post(base, form, signed=True):
    headers = {"X-Twilio-Signature": sign("/whatsapp/inbound", form, base=base)} if signed else {}
    return requests.post(f"{base}/whatsapp/inbound", data=form, headers=headers, timeout=5)


def _replies(running: Running, phone):
    url = f"{running.base}/simulator/api/conversation"
    rows = running.admin.get(url, params={"phone": phone}, timeout=5).json()
    return [r for r in rows if r["direction"] == "out"]


def _wait_for(running: Running, phone, count, seconds):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if len(_replies(running, phone)) >= count:
            return True
        time.sleep(0.05)
    return False


def test_signed_message_is_answered_by_the_worker_process_within_two_seconds(running):
    base = running.base
    phone = "+4477009" + str(uuid.uuid4().int)[:5]
    assert _post(base, twilio_form(phone, "hi"), signed=False).status_code == 403
    assert _post(base, twilio_form(phone, "hi")).status_code == 200
    assert _wait_for(running, phone, 1, 30), "no reply from the worker process"  # first job warms the worker
    started = time.monotonic()
    assert _post(base, twilio_form(phone, "yes")).status_code == 200
    assert _wait_for(running, phone, 2, 2.0), "reply took longer than 2 s"
    assert time.monotonic() - started < 2.0


def test_same_message_sid_five_times_gets_exactly_one_reply(running):
    base = running.base
    phone = "+4477009" + str(uuid.uuid4().int)[:5]
    form = twilio_form(phone, "hello there")
    for _ in range(5):
        assert _post(base, form).status_code == 200
    assert _wait_for(running, phone, 1, 30)
    time.sleep(1.5)  # give any duplicate a chance to show up
    assert len(_replies(running, phone)) == 1
