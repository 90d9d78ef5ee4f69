"""Finding 6: anyone could lock every mentor out. The login limit keyed on the socket address (behind a
proxy all mentors share one), a stranger could lock a mentor's email, and the check and the count raced
(8 password checks got through a limit of 5).

Now attempts are counted before the password is checked, in one Redis script; the key is the client
(told apart by X-Forwarded-For behind TRUSTED_PROXY_HOPS proxies) with the email, never the email alone;
and past the limit each further try waits longer (429 with Retry-After) instead of a lock-out."""

from __future__ import annotations

import threading

from werkzeug.security import generate_password_hash

from sitecoach.models import Mentor
from sitecoach.web.login_throttle import FREE_ATTEMPTS_PER_CLIENT, FREE_ATTEMPTS_PER_EMAIL, KEY_PREFIX
from sitecoach.wiring import create_app
from tests.conftest import form_token

PASSWORD = "sam's real passphrase"
SAM = "sam@example.test"


def _sam(services) -> None:
    with services.db.session() as session:
        session.add(Mentor(name="Sam Okafor", email=SAM, password_hash=generate_password_hash(PASSWORD)))


def _client(app, address: str = "127.0.0.1", forwarded_for: str | None = None):  # type: ignore[no-untyped-def]
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    if forwarded_for:
        client.environ_base["HTTP_X_FORWARDED_FOR"] = forwarded_for
    client.token = form_token(client)
    return client


def _try(client, email: str = SAM, password: str = "wrong guess"):  # type: ignore[no-untyped-def]
    return client.post("/login", data={"email": email, "password": password, "csrf_token": client.token})


def _let_the_wait_pass(services) -> None:
    """As if the wait had run out: every throttle's 'not before' moved to now (no sleeping in tests)."""
    for key in services.redis.scan_iter(f"{KEY_PREFIX}:*"):
        services.redis.hset(key, "until", 0)


def test_finding_6_twenty_concurrent_wrong_passwords_get_at_most_five_password_checks(app, services):
    _sam(services)
    clients = [_client(app, "203.0.113.9") for _ in range(20)]
    start = threading.Barrier(len(clients))
    statuses: list[int] = []

    def guess(client) -> None:  # type: ignore[no-untyped-def]
        start.wait()
        statuses.append(_try(client).status_code)

    threads = [threading.Thread(target=guess, args=(c,)) for c in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(statuses) == 20
    assert statuses.count(401) == FREE_ATTEMPTS_PER_EMAIL  # the password was checked (and was wrong)
    assert statuses.count(429) == 20 - FREE_ATTEMPTS_PER_EMAIL  # turned away before any check


def test_finding_6_a_stranger_hammering_a_mentors_email_does_not_stop_the_mentor_logging_in(app, services):
    _sam(services)
    stranger = _client(app, "203.0.113.9")
    statuses = [_try(stranger).status_code for _ in range(12)]
    assert statuses == [401] * FREE_ATTEMPTS_PER_EMAIL + [429] * (12 - FREE_ATTEMPTS_PER_EMAIL)
    sam = _client(app, "198.51.100.7")  # Sam, from the depot's own address
    assert _try(sam, password=PASSWORD).status_code == 302
    assert sam.get("/mentor/").status_code == 200
    # Nor from an address where Sam mistyped once or twice.
    sam_phone = _client(app, "198.51.100.8")
    assert [_try(sam_phone).status_code for _ in range(2)] == [401, 401]
    assert _try(sam_phone, password=PASSWORD).status_code == 302


def test_finding_6_behind_a_proxy_mentors_are_told_apart_by_x_forwarded_for(services):
    _sam(services)
    services.settings = services.settings.with_overrides(trusted_proxy_hops=1)
    app = create_app(services=services)
    app.config.update(TESTING=True)
    proxy = "10.0.0.2"  # every request arrives from the proxy
    sprayer = _client(app, proxy, forwarded_for="203.0.113.9")
    sprayed = [
        _try(sprayer, email=f"guess{i}@example.test").status_code for i in range(FREE_ATTEMPTS_PER_CLIENT + 3)
    ]
    assert sprayed == [401] * FREE_ATTEMPTS_PER_CLIENT + [429] * 3  # the sprayer is slowed ...
    hammer = _client(app, proxy, forwarded_for="203.0.113.10")
    assert [_try(hammer).status_code for _ in range(FREE_ATTEMPTS_PER_EMAIL + 1)][-1] == 429
    sam = _client(app, proxy, forwarded_for="198.51.100.7")  # ... and Sam, behind the same proxy, is not
    assert _try(sam, password=PASSWORD).status_code == 302
    # Without a trusted proxy configured the header is the client's say-so and is ignored: forging a new
    # X-Forwarded-For on every try does not escape the throttle.
    services.settings = services.settings.with_overrides(trusted_proxy_hops=0)
    direct = create_app(services=services)
    direct.config.update(TESTING=True)
    forged = [
        _try(_client(direct, "203.0.113.20", forwarded_for=f"198.51.100.{i}")).status_code
        for i in range(FREE_ATTEMPTS_PER_EMAIL + 2)
    ]
    assert forged[-2:] == [429, 429]


def test_finding_6_past_the_limit_each_try_waits_longer_and_then_gets_through(app, services):
    _sam(services)
    client = _client(app, "203.0.113.9")
    assert [_try(client).status_code for _ in range(FREE_ATTEMPTS_PER_EMAIL)] == [
        401
    ] * FREE_ATTEMPTS_PER_EMAIL
    first = _try(client)
    assert first.status_code == 429
    first_wait = int(first.headers["Retry-After"])
    assert 0 < first_wait <= 30 and b"Try again in" in first.data
    _let_the_wait_pass(services)
    assert _try(client).status_code == 401  # one more try is let through once the wait is over ...
    second = _try(client)
    assert second.status_code == 429 and int(second.headers["Retry-After"]) > first_wait  # ... then longer
    _let_the_wait_pass(services)
    assert _try(client, password=PASSWORD).status_code == 302  # slowed, never locked out
    # A correct password starts this client's count for the email again.
    other = _client(app, "203.0.113.9")
    assert [_try(other).status_code for _ in range(FREE_ATTEMPTS_PER_EMAIL)] == [
        401
    ] * FREE_ATTEMPTS_PER_EMAIL
