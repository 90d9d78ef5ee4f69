"""Finding 1: the simulator was an open back door. With only TWILIO_AUTH_TOKEN and PUBLIC_BASE_URL set (or
`make demo` on 0.0.0.0) anyone who reached the port listed every learner and mentor with their numbers,
read any conversation, posted as a mentor and opted anyone out, cross-site, without a CSRF token.

Now it is mounted only when SIMULATOR_ENABLED says so, answers only a browser on the machine itself,
only an admin who has logged in, and its sends need the CSRF token."""

from __future__ import annotations

import os

import pytest
from click.testing import CliRunner
from sqlmodel import select
from werkzeug.security import generate_password_hash

from sitecoach import cli
from sitecoach.models import Consent, Learner, Mentor, Message
from sitecoach.settings import Settings
from sitecoach.wiring import create_app
from tests.conftest import form_token, log_in, log_in_as_simulator_admin, run_worker, simulator_token

LEARNER_PHONE = "+447700900111"
MENTOR_PHONE = "+447700900999"
PASSWORD = "a mentor's own passphrase"


def _cohort(services) -> None:
    """A mentor (not an admin) with a phone, and their learner Jamie, opted in."""
    with services.db.session() as session:
        mentor = Mentor(
            name="Sam Okafor",
            email="sam@example.test",
            phone=MENTOR_PHONE,
            password_hash=generate_password_hash(PASSWORD),
        )
        session.add(mentor)
        session.flush()
        session.add(Learner(phone=LEARNER_PHONE, name="Jamie", mentor_id=mentor.id, consent=Consent.OPTED_IN))


def _simulator_rules(app) -> list[tuple[str, str]]:
    """Every simulator URL (with a harmless value for its variables) and method, from the URL map."""
    found = []
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/simulator"):
            url = rule.rule.replace("<name>", "nothing.png")
            found += [(method, url) for method in sorted((rule.methods or set()) & {"GET", "POST"})]
    assert len(found) >= 5, found
    return found


def _jamie_consent(services) -> Consent:
    with services.db.read_session() as session:
        return session.exec(select(Learner).where(Learner.phone == LEARNER_PHONE)).one().consent


def test_finding_1_twilio_token_and_public_url_alone_do_not_switch_the_simulator_on(services, tmp_path):
    _cohort(services)
    review = {"TWILIO_AUTH_TOKEN": "token-123", "PUBLIC_BASE_URL": "https://coach.example.com"}
    configured = Settings.from_env(env=review, instance_path=tmp_path)
    assert configured.simulator_enabled is False
    # Nor does the simulator channel (no Twilio at all), which is what a bare install runs.
    for env in ({}, {"COACH_CHANNEL": "simulator"}):
        assert Settings.from_env(env=env, instance_path=tmp_path).simulator_enabled is False
    on = Settings.from_env(env={"SIMULATOR_ENABLED": "1"}, instance_path=tmp_path)
    assert on.simulator_enabled is True and on.simulator_allow_remote is False
    # The app built that way has no simulator: the people list is not there at all.
    services.settings = services.settings.with_overrides(
        simulator_enabled=configured.simulator_enabled, coach_channel=configured.coach_channel
    )
    app = create_app(services=services)
    assert not [r.rule for r in app.url_map.iter_rules() if r.rule.startswith("/simulator")]
    response = app.test_client().get("/simulator/api/people")
    assert response.status_code == 404 and MENTOR_PHONE.encode() not in response.data


def test_finding_1_people_list_needs_admin_login(app, client, services):
    _cohort(services)
    anonymous = client.get("/simulator/api/people")
    assert anonymous.status_code == 401
    assert LEARNER_PHONE.encode() not in anonymous.data and MENTOR_PHONE.encode() not in anonymous.data
    mentor = app.test_client()  # a mentor who is not an admin does not see it either
    log_in(mentor, "sam@example.test", PASSWORD)
    assert mentor.get("/simulator/api/people").status_code == 404
    log_in_as_simulator_admin(client, services)
    people = client.get("/simulator/api/people")
    assert people.status_code == 200
    assert [p["phone"] for p in people.json["learners"]] == [LEARNER_PHONE]


def test_finding_1_every_simulator_page_and_api_call_needs_admin_login(app, client, services):
    _cohort(services)
    for method, url in _simulator_rules(app):
        query = {"phone": LEARNER_PHONE}
        if method == "GET":
            response = client.get(url, query_string=query)
        else:
            data = {"phone": LEARNER_PHONE, "body": "STOP", "csrf_token": form_token(client)}
            response = client.post(url, data=data)
        if url.rstrip("/") == "/simulator" and method == "GET":
            assert response.status_code == 302 and "/login" in response.headers["Location"], url
        else:
            assert response.status_code == 401, (method, url, response.status_code)
        assert LEARNER_PHONE.encode() not in response.data and b"Jamie" not in response.data
    run_worker(services)
    assert _jamie_consent(services) == Consent.OPTED_IN


def test_finding_1_a_cross_site_post_cannot_opt_a_learner_out_or_speak_as_the_mentor(client, services):
    _cohort(services)
    log_in_as_simulator_admin(client, services)  # the admin's browser, now visiting a hostile page
    for phone, body in ((LEARNER_PHONE, "STOP"), (MENTOR_PHONE, "#E1 meet me at the gate")):
        forged = client.post(
            "/simulator/api/send",
            data={"phone": phone, "body": body},
            headers={"Origin": "https://evil.example", "Referer": "https://evil.example/"},
        )
        assert forged.status_code == 400 and b"CSRF" in forged.data
    run_worker(services)
    assert _jamie_consent(services) == Consent.OPTED_IN
    with services.db.read_session() as session:
        assert session.exec(select(Message)).all() == []
    # The simulator page itself sends the token (as the X-CSRFToken header its script adds) and works.
    token = {"X-CSRFToken": simulator_token(client)}
    sent = client.post("/simulator/api/send", data={"phone": LEARNER_PHONE, "body": "STOP"}, headers=token)
    assert sent.status_code == 200
    run_worker(services)
    assert _jamie_consent(services) == Consent.OPTED_OUT


@pytest.mark.parametrize(
    "environ, headers",
    [
        ({"REMOTE_ADDR": "192.0.2.10"}, {}),  # another machine
        ({"REMOTE_ADDR": "127.0.0.1"}, {"X-Forwarded-For": "192.0.2.10"}),  # relayed by a local proxy
        ({"REMOTE_ADDR": "127.0.0.1"}, {"Forwarded": "for=192.0.2.10"}),
    ],
)
def test_finding_1_the_simulator_refuses_clients_on_other_machines(app, services, environ, headers):
    _cohort(services)
    client = app.test_client()
    log_in_as_simulator_admin(client, services)  # even a logged-in admin
    client.environ_base.update(environ)
    for url in ("/simulator", "/simulator/api/people"):
        response = client.get(url, headers=headers)
        assert response.status_code == 403, url
        assert MENTOR_PHONE.encode() not in response.data and b"SIMULATOR_ALLOW_REMOTE" in response.data
    # The operator can let other machines in explicitly (a demo in a VM); the login still applies.
    services.settings = services.settings.with_overrides(simulator_allow_remote=True)
    allowed = create_app(services=services).test_client()
    allowed.environ_base.update(environ)
    assert allowed.get("/simulator/api/people", headers=headers).status_code == 401
    log_in_as_simulator_admin(allowed, services)
    assert allowed.get("/simulator/api/people", headers=headers).status_code == 200


def _bind_of(monkeypatch, tmp_path, **env: str) -> str:
    """The address `sitecoach web` would hand gunicorn, with this environment (exec captured, not run)."""
    seen: list[list[str]] = []
    monkeypatch.setattr(os, "execvp", lambda _file, argv: seen.append(argv))
    result = CliRunner().invoke(cli.main, ["web"], env={"INSTANCE_PATH": str(tmp_path), **env})
    assert result.exit_code == 0, result.output
    argv = seen[0]
    return argv[argv.index("--bind") + 1]


def test_finding_1_the_web_process_listens_on_loopback_while_the_simulator_is_on(monkeypatch, tmp_path):
    assert _bind_of(monkeypatch, tmp_path, SIMULATOR_ENABLED="1") == "127.0.0.1:5000"
    remote = _bind_of(monkeypatch, tmp_path, SIMULATOR_ENABLED="1", SIMULATOR_ALLOW_REMOTE="1")
    assert remote == "0.0.0.0:5000"
    assert _bind_of(monkeypatch, tmp_path, SIMULATOR_ENABLED="") == "0.0.0.0:5000"  # production, no simulator
