"""Who may reach what: every mentor and admin route from the app's own URL map, logged out, as another
mentor and as a non-admin; CSRF on every form (the simulator's included); the login throttle; session
cookie flags; lesson deep links that cannot be re-pointed at another learner; phone numbers masked in
logs."""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass
from datetime import date

import pytest
from itsdangerous.encoding import base64_decode, base64_encode
from sqlmodel import func, select
from werkzeug.routing import Rule
from werkzeug.security import generate_password_hash

from sitecoach.models import (
    AdminAuditLog,
    Consent,
    Escalation,
    EventKind,
    EvidenceItem,
    Learner,
    LearningBreak,
    Mentor,
    PassportAuthorisation,
    ProgressReview,
    ProgressReviewStatus,
    ProgressReviewVersion,
    utcnow,
)
from sitecoach.records.audit import append_event
from sitecoach.web.login_throttle import FREE_ATTEMPTS_PER_CLIENT
from sitecoach.wiring import build_services, create_app
from tests.conftest import run_worker

PASSWORD = "correct horse battery"
STAFF_PREFIXES = ("/mentor", "/admin", "/provider")
CSRF_EXEMPT_PREFIXES = ("/whatsapp/", "/lesson/", "/review/")  # signed by Twilio, link tokens
ID_ARGUMENTS = {"learner_id", "evidence_id", "escalation_id", "review_id", "break_id", "authorisation_id"}


@dataclass(frozen=True)
class People:
    """Two mentors who each own a learner, evidence (with a photo) and an open escalation; an admin."""

    sam: int
    kim: int
    admin: int
    jamie: int  # Sam's learner
    robyn: int  # Kim's learner
    jamie_item: int
    robyn_item: int
    jamie_esc: int
    robyn_esc: int
    jamie_review: int  # a signed (locked) progress review each
    robyn_review: int
    jamie_break: int
    robyn_break: int
    jamie_auth: int  # an authorisation on the passport
    robyn_auth: int


def _people(services) -> People:
    photo = services.settings.media_path / "access-test.jpg"
    photo.parent.mkdir(parents=True, exist_ok=True)
    photo.write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    media = [{"url": "https://api.twilio.com/x", "content_type": "image/jpeg", "path": str(photo)}]
    with services.db.session() as session:
        sam, kim, admin = (
            Mentor(
                name=name,
                email=f"{name.lower()}@example.test",
                is_admin=name == "Admin",
                password_hash=generate_password_hash(PASSWORD),
            )
            for name in ("Sam", "Kim", "Admin")
        )
        session.add_all([sam, kim, admin])
        session.flush()
        jamie = Learner(phone="+447700900111", name="Jamie", mentor_id=sam.id, consent=Consent.OPTED_IN)
        robyn = Learner(phone="+447700900222", name="Robyn", mentor_id=kim.id, consent=Consent.OPTED_IN)
        session.add_all([jamie, robyn])
        session.flush()
        items = [
            EvidenceItem(learner_id=who.id, note=f"{who.name}'s joint", competencies=["JNT-S1"], media=media)
            for who in (jamie, robyn)
        ]
        escalations = [
            Escalation(learner_id=who.id, mentor_id=who.mentor_id, kind="mentor", reason="help please")
            for who in (jamie, robyn)
        ]
        breaks = [LearningBreak(learner_id=who.id, starts_on=utcnow().date()) for who in (jamie, robyn)]
        session.add_all(items + escalations + breaks)
        authorisations = [
            PassportAuthorisation(
                learner_id=who.id,
                category="AUTH-SUPERVISED",
                title="Supervised",
                granted_on=date(2026, 12, 1),
            )
            for who in (jamie, robyn)
        ]
        session.add_all(authorisations)

        now = utcnow()
        reviews = [
            ProgressReview(
                learner_id=int(who.id or 0),
                number=1,
                period_start=now,
                due_at=now,
                status=ProgressReviewStatus.LOCKED,
                version=1,
                learner_signed_at=now,
                employer_signed_at=now,
                provider_signed_at=now,
                locked_at=now,
            )
            for who in (jamie, robyn)
        ]
        session.add_all(reviews)
        session.flush()
        session.add_all(
            ProgressReviewVersion(review_id=int(r.id or 0), learner_id=r.learner_id, version=1, sections={})
            for r in reviews
        )
        session.flush()
        for who in (jamie, robyn):  # entry 1 of each chain: an entry of OTJ hours
            append_event(session, who.id, EventKind.OTJ_HOURS, utcnow(), {"hours": 2, "activity": "college"})
        return People(
            sam=int(sam.id),
            kim=int(kim.id),
            admin=int(admin.id),
            jamie=int(jamie.id),
            robyn=int(robyn.id),
            jamie_item=int(items[0].id),
            robyn_item=int(items[1].id),
            jamie_esc=int(escalations[0].id),
            robyn_esc=int(escalations[1].id),
            jamie_review=int(reviews[0].id),
            robyn_review=int(reviews[1].id),
            jamie_break=int(breaks[0].id),
            robyn_break=int(breaks[1].id),
            jamie_auth=int(authorisations[0].id),
            robyn_auth=int(authorisations[1].id),
        )


def _csrf(client, path: str = "/login") -> str:
    page = client.get(path).data.decode()
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def _login(client, email: str) -> None:
    response = client.post("/login", data={"email": email, "password": PASSWORD, "csrf_token": _csrf(client)})
    assert response.status_code == 302, response.data[:200]


def _staff_rules(app) -> list[Rule]:
    rules = [r for r in app.url_map.iter_rules() if r.rule.startswith(STAFF_PREFIXES)]
    assert len(rules) > 10  # the enumeration found the blueprints
    return rules


def _methods(rule: Rule) -> list[str]:
    return sorted(m for m in rule.methods or () if m in ("GET", "POST"))


def _url(app, rule: Rule, values: dict[str, object]) -> str:
    """The rule's URL with every variable filled from `values` (a new variable fails the test)."""
    missing = set(rule.arguments) - set(values)
    if missing:
        pytest.fail(f"{rule.rule}: no test value for {sorted(missing)}; add one so the route is covered")
    with app.test_request_context():
        adapter = app.url_map.bind("localhost")
        return adapter.build(rule.endpoint, {k: values[k] for k in rule.arguments}, method=_methods(rule)[0])


def _values(services, people: People, owner: str) -> dict[str, object]:
    """URL variables: the ids of one mentor's objects, and valid values for the admin routes."""
    mine = owner == "sam"
    return {
        "learner_id": people.jamie if mine else people.robyn,
        "evidence_id": people.jamie_item if mine else people.robyn_item,
        "escalation_id": people.jamie_esc if mine else people.robyn_esc,
        "review_id": people.jamie_review if mine else people.robyn_review,
        "staff_id": people.kim,
        "concern_id": 1,  # safeguarding routes: only a DSL of the concern's cohort gets past 404
        "break_id": people.jamie_break if mine else people.robyn_break,
        "seq": 1,  # the first event of each learner's chain: their entry of OTJ hours
        "authorisation_id": people.jamie_auth if mine else people.robyn_auth,
        "employer_id": 1,  # admin routes: a non-admin is refused before the id is looked at
        "cohort_id": 1,
        "index": 0,
        "kind": "learners",
        "skill": "core",
        "name": "apology",
        "queue_name": services.queue.name,
        "message_id": 1,
        "code": "K-ISO-003",  # a knowledge card (the lesson review routes take a code too)
        "action": "review",
    }


FORM = {
    "decision": "approve",
    "comment": "ok",
    "text": "hello",
    "mentor_id": "",
    "action": "preview",
    "role": "employer",
}


def _request(client, method: str, url: str, token: str | None):  # type: ignore[no-untyped-def]
    if method == "GET":
        return client.get(url)
    data = dict(FORM, csrf_token=token) if token else dict(FORM)
    return client.post(url, data=data)


def _untouched(services, people: People) -> None:
    with services.db.session() as session:
        for item_id in (people.jamie_item, people.robyn_item):
            assert session.get(EvidenceItem, item_id).status == "pending"
        for esc_id in (people.jamie_esc, people.robyn_esc):
            esc = session.get(Escalation, esc_id)
            assert esc.status == "open" and esc.mentor_replied_at is None
        assert session.exec(select(func.count()).select_from(AdminAuditLog)).one() == 0
        assert session.get(Learner, people.robyn).mentor_id == people.kim
        for auth_id in (people.jamie_auth, people.robyn_auth):
            assert session.get(PassportAuthorisation, auth_id).revoked_at is None


def test_every_staff_route_sends_the_logged_out_to_login(app, client, services):
    people = _people(services)
    token = _csrf(client)  # a logged-out visitor can get a CSRF token, so the login gate is what stops them
    for rule in _staff_rules(app):
        url = _url(app, rule, _values(services, people, "sam"))
        for method in _methods(rule):
            response = _request(client, method, url, token)
            if response.status_code == 302:
                assert "/login" in response.headers["Location"], (method, url)
            else:
                assert response.status_code in (401, 404), (method, url, response.status_code)
    _untouched(services, people)


def test_every_admin_route_is_404_for_a_mentor_who_is_not_an_admin(app, client, services):
    people = _people(services)
    admin_rules = [r for r in _staff_rules(app) if r.rule.startswith("/admin")]
    assert admin_rules
    _login(client, "sam@example.test")
    token = _csrf(client, "/mentor")
    for rule in admin_rules:
        url = _url(app, rule, _values(services, people, "sam"))
        for method in _methods(rule):
            assert _request(client, method, url, token).status_code == 404, (method, url)
    _untouched(services, people)
    # The same GET URLs work for an admin, so the 404s above are not bad test values.
    admin = app.test_client()
    _login(admin, "admin@example.test")
    for rule in admin_rules:
        if "GET" in _methods(rule):
            url = _url(app, rule, _values(services, people, "sam"))
            assert admin.get(url).status_code == 200, url


def test_every_mentor_route_with_an_id_is_404_for_another_mentors_object(app, client, services):
    people = _people(services)
    rules = [r for r in _staff_rules(app) if r.rule.startswith("/mentor") and r.arguments & ID_ARGUMENTS]
    assert {r.endpoint for r in rules} >= {
        "mentor.learner_page",
        "mentor.portfolio",
        "mentor.decide",
        "mentor.reply",
        "mentor.evidence_media",
        "passport.grant",
        "passport.assess",
        "passport.revoke",
        "passport.passport_csv",
    }
    _login(client, "sam@example.test")
    token = _csrf(client, "/mentor")
    for rule in rules:
        url = _url(app, rule, _values(services, people, "kim"))
        for method in _methods(rule):
            assert _request(client, method, url, token).status_code == 404, (method, url)
    _untouched(services, people)
    # Each URL is reachable by the mentor who owns the object (GETs 200, POSTs act and redirect).
    owner = app.test_client()
    _login(owner, "kim@example.test")
    owner_token = _csrf(owner, "/mentor")
    for rule in rules:
        url = _url(app, rule, _values(services, people, "kim"))
        for method in _methods(rule):
            expected = 200 if method == "GET" else 302
            assert _request(owner, method, url, owner_token).status_code == expected, (method, url)


def test_every_form_post_needs_a_csrf_token(app, client, services):
    people = _people(services)
    posts = [
        r
        for r in app.url_map.iter_rules()
        if "POST" in (r.methods or ()) and not r.rule.startswith(CSRF_EXEMPT_PREFIXES)
    ]
    assert {r.endpoint for r in posts} >= {
        "auth.login",
        "auth.logout",
        "mentor.decide",
        "admin.retry_job",
        "simulator.send",
    }
    _login(client, "admin@example.test")
    for rule in posts:
        url = _url(app, rule, _values(services, people, "sam"))
        response = client.post(url, data=FORM)
        assert response.status_code == 400, (url, response.status_code)
        assert b"CSRF" in response.data
    _untouched(services, people)
    # The exempt routes are exempt because they carry their own credential, which is still checked.
    assert client.post("/whatsapp/inbound", data={"Body": "hi"}).status_code == 403
    assert client.post("/whatsapp/status", data={"MessageSid": "SM1"}).status_code == 403
    assert client.post("/lesson/not-a-token/watched", data={"seconds": "5"}).status_code == 403
    assert client.post("/lesson/refresh", data={"token": "not-a-token"}).status_code == 403
    assert client.post("/review/not-a-token/sign", data={"agree": "yes"}).status_code == 403
    assert client.post("/review/refresh", data={"token": "not-a-token"}).status_code == 403


def test_the_simulator_is_only_registered_in_simulator_mode(services):
    svc = build_services(services.settings.with_overrides(simulator_enabled=False))
    try:
        rules = [r.rule for r in create_app(services=svc).url_map.iter_rules()]
    finally:
        svc.close()
    assert rules and not [r for r in rules if r.startswith("/simulator")]


def _attempt(client, email: str, password: str, token: str):  # type: ignore[no-untyped-def]
    return client.post("/login", data={"email": email, "password": password, "csrf_token": token})


def test_one_address_trying_many_emails_is_slowed(app, services):
    _people(services)
    client = app.test_client()
    token = _csrf(client)
    for i in range(FREE_ATTEMPTS_PER_CLIENT):  # different emails from the same address (password spraying)
        assert _attempt(client, f"guess{i}@example.test", "nope", token).status_code == 401
    slowed = _attempt(client, "sam@example.test", PASSWORD, token)
    assert slowed.status_code == 429 and int(slowed.headers["Retry-After"]) > 0
    assert client.get("/mentor").status_code == 302  # not logged in
    # Sam, from another address, is not held up by it.
    sam = app.test_client()
    sam.environ_base["REMOTE_ADDR"] = "198.51.100.7"
    assert _attempt(sam, "sam@example.test", PASSWORD, _csrf(sam)).status_code == 302


@pytest.mark.parametrize(
    "base, secure", [("https://coach.example.test", True), ("http://localhost:5000", False)]
)
def test_session_cookie_flags(services, base, secure):
    _people(services)
    svc = build_services(services.settings.with_overrides(public_base_url=base))
    try:
        app = create_app(services=svc)
        app.config.update(TESTING=True)
        client = app.test_client()
        token = _csrf(client)
        response = _attempt(client, "sam@example.test", PASSWORD, token)
        assert response.status_code == 302
        [cookie] = [c for c in response.headers.getlist("Set-Cookie") if c.startswith("session=")]
        flags = {part.strip().split("=")[0].lower(): part.strip() for part in cookie.split(";")[1:]}
        assert "httponly" in flags
        assert flags.get("samesite") == "SameSite=Lax"
        assert ("secure" in flags) is secure
    finally:
        svc.close()


def _repoint(token: str, learner_id: int) -> str:
    """The same token with the learner id in its payload changed (signature and timestamp kept)."""
    payload, timestamp, signature = token.split(".")
    data = json.loads(base64_decode(payload))
    data["l"] = learner_id
    forged = base64_encode(json.dumps(data, separators=(",", ":")).encode()).decode()
    return f"{forged}.{timestamp}.{signature}"


def test_a_lesson_link_cannot_be_repointed_at_another_learner(client, services):
    people = _people(services)
    code = sorted(services.catalogue().lessons)[0]
    genuine = services.links.token(people.jamie, code)
    assert client.get(f"/lesson/{genuine}").status_code == 200
    forged = _repoint(genuine, people.robyn)
    assert forged != genuine and json.loads(base64_decode(forged.split(".")[0]))["l"] == people.robyn
    for suffix in ("", "/video.mp4", "/captions.vtt", "/poster.png"):
        assert client.get(f"/lesson/{forged}{suffix}").status_code == 403, suffix
    for suffix, data in (("/check", {"check": "x", "answer": "0"}), ("/watched", {"seconds": "60"})):
        assert client.post(f"/lesson/{forged}{suffix}", data=data).status_code == 403, suffix
    assert client.post("/lesson/refresh", data={"token": forged}).status_code == 403
    # Signed with another key (or for another purpose), a token is refused as well.
    from sitecoach.infra.links import LinkSigner

    other = LinkSigner("another-secret", services.settings.public_base_url, 14).token(people.robyn, code)
    assert client.get(f"/lesson/{other}").status_code == 403


def test_logs_never_show_a_full_phone_number(client, services, coach, caplog):
    phone, digits = "+447700900123", "447700900123"
    caplog.set_level(logging.DEBUG)
    coach.send("hi", phone)
    coach.send("yes", phone)
    coach.send("Jamie", phone)
    coach.send("quiz me", phone)
    coach.send("b", phone)
    coach.send("'; DROP TABLE message;--", phone)
    coach.send("my mentor please", phone)
    coach.send("STOP", phone)
    coach.send("START", phone)
    run_worker(services)
    with services.db.session() as session:
        assert session.exec(select(Learner).where(Learner.phone == phone)).one()
    assert caplog.records
    lines = []
    for record in caplog.records:
        lines.append(record.getMessage())
        if record.exc_text:
            lines.append(record.exc_text)
        lines.extend(str(v) for k, v in vars(record).items() if k in ("message_id", "learner_id", "job"))
    text = "\n".join(lines) + caplog.text
    for shape in (digits, digits[2:], "07700900123", "7700 900123", "+44 7700 900123"):
        assert shape not in text, shape
    assert "*********123" in text  # the masked form is what the logs carry
