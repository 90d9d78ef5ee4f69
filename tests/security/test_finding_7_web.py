"""Finding 7, the web ones: a session survived logout (a copied cookie still worked), the demo login
worked in Twilio mode, and /metrics was open by default in production."""

from __future__ import annotations

from werkzeug.security import generate_password_hash

from sitecoach.curriculum.pack import load_pack
from sitecoach.models import Mentor, utcnow
from sitecoach.records.seeding import DEMO_MENTOR_EMAIL, DEMO_MENTOR_PASSWORD, seed_demo
from sitecoach.wiring import create_app
from tests.conftest import add_admin, form_token, log_in, post_signed, twilio_form

PASSWORD = "a long mentor passphrase"


def _mentor(services, email: str = "sam@example.test", is_admin: bool = False) -> None:
    with services.db.session() as session:
        session.add(
            Mentor(name="Sam", email=email, is_admin=is_admin, password_hash=generate_password_hash(PASSWORD))
        )


def _session_cookie(client) -> str:  # type: ignore[no-untyped-def]
    cookie = client.get_cookie("session")
    assert cookie is not None
    return cookie.value


def test_finding_7_a_copied_session_cookie_stops_working_after_logout(app, client, services):
    _mentor(services)
    log_in(client, "sam@example.test", PASSWORD)
    thief = app.test_client()
    thief.set_cookie("session", _session_cookie(client))
    assert thief.get("/mentor/").status_code == 200  # the copy works while the session is live
    response = client.post("/logout", data={"csrf_token": form_token(client, "/mentor/")})
    assert response.status_code == 302
    assert client.get("/mentor/").status_code == 302
    stolen = thief.get("/mentor/")
    assert stolen.status_code == 302 and "/login" in stolen.headers["Location"]
    # Logging out ends that session only: Sam's session on another device carries on.
    other_device = app.test_client()
    log_in(other_device, "sam@example.test", PASSWORD)
    log_in(client, "sam@example.test", PASSWORD)
    client.post("/logout", data={"csrf_token": form_token(client, "/mentor/")})
    assert other_device.get("/mentor/").status_code == 200


def _seed_demo(services) -> None:
    with services.db.session() as session:
        seed_demo(session, load_pack(services.settings.content_pack_path), utcnow(), services.memory)


def _demo_attempt(client):  # type: ignore[no-untyped-def]
    form = {"email": DEMO_MENTOR_EMAIL, "password": DEMO_MENTOR_PASSWORD, "csrf_token": form_token(client)}
    return client.post("/login", data=form)


def test_finding_7_the_demo_login_is_refused_in_twilio_mode(services):
    _seed_demo(services)  # `sitecoach seed --demo` was run against what became production
    demo = create_app(services=services)  # demo mode: the simulator is on (the suite's default)
    demo.config.update(TESTING=True)
    demo_client = demo.test_client()
    assert _demo_attempt(demo_client).status_code == 302
    assert demo_client.get("/admin/").status_code == 200
    services.settings = services.settings.with_overrides(coach_channel="twilio", simulator_enabled=False)
    twilio = create_app(services=services)
    twilio.config.update(TESTING=True)
    client = twilio.test_client()
    response = _demo_attempt(client)
    assert response.status_code == 401 and b"don&#39;t match" in response.data
    assert client.get("/admin/").status_code == 302
    # A session opened while the demo ran does not carry over once the coach speaks Twilio.
    carried = twilio.test_client()
    carried.set_cookie("session", _session_cookie(demo_client))
    assert carried.get("/admin/").status_code == 302


def test_finding_7_metrics_needs_a_token_or_an_admin_login_by_default(app, client, services):
    post_signed(client, "/whatsapp/inbound", twilio_form("+447700900123", "hello"))
    anonymous = client.get("/metrics")
    assert anonymous.status_code == 401 and b"sitecoach_" not in anonymous.data
    assert anonymous.headers["WWW-Authenticate"].startswith("Bearer")
    _mentor(services)  # a mentor who is not an admin sees no operations data either
    mentor = app.test_client()
    log_in(mentor, "sam@example.test", PASSWORD)
    assert mentor.get("/metrics").status_code == 401
    add_admin(services, "ops@example.test", PASSWORD)
    admin = app.test_client()
    log_in(admin, "ops@example.test", PASSWORD)
    shown = admin.get("/metrics")
    assert shown.status_code == 200 and 'sitecoach_inbound_total{result="stored"} 1' in shown.data.decode()


def test_finding_7_metrics_take_the_configured_token_and_open_only_when_told(services):
    services.settings = services.settings.with_overrides(metrics_token="s3cret-scrape-token")
    client = create_app(services=services).test_client()
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert client.get("/metrics", headers={"Authorization": "Bearer s3cret-scrape-token"}).status_code == 200
    services.settings = services.settings.with_overrides(metrics_token=None, metrics_public=True)
    assert create_app(services=services).test_client().get("/metrics").status_code == 200
