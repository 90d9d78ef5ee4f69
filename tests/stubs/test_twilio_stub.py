"""Drive the local Twilio stub with the real twilio SDK."""

import json
import threading
from collections.abc import Iterator

import pytest
import requests
from twilio.base.exceptions import TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.http.response import Response
from twilio.rest import Client

from tests.stubs.twilio_stub import TwilioStub

SID = "AC" + "0123456789abcdef" * 2
TOKEN = "stub-auth-token"
TWILIO_API = "https://api.twilio.com"
TO = "whatsapp:+447700900123"
FROM = "whatsapp:+14155238886"


class StubHttpClient(TwilioHttpClient):
    """A TwilioHttpClient that sends api.twilio.com requests to the stub instead."""

    def __init__(self, base_url: str, timeout: float | None = None) -> None:
        super().__init__(timeout=timeout)
        self.base_url = base_url

    def request(
        self,
        method: str,
        url: str,
        params: dict[str, object] | None = None,
        data: dict[str, object] | None = None,
        headers: dict[str, str] | None = None,
        auth: tuple[str, str] | None = None,
        timeout: float | None = None,
        allow_redirects: bool = False,
    ) -> Response:
        if url.startswith(TWILIO_API):
            url = self.base_url + url[len(TWILIO_API) :]
        return super().request(
            method,
            url,
            params=params,
            data=data,
            headers=headers,
            auth=auth,
            timeout=timeout,
            allow_redirects=allow_redirects,
        )


@pytest.fixture(autouse=True)
def _no_twilio_env(monkeypatch: pytest.MonkeyPatch) -> None:
    # TWILIO_EDGE / TWILIO_REGION would make the SDK rewrite the hostname.
    for name in ("TWILIO_EDGE", "TWILIO_REGION", "TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def stub() -> Iterator[TwilioStub]:
    with TwilioStub(SID, TOKEN) as running:
        yield running


def _client(stub: TwilioStub, token: str = TOKEN, timeout: float | None = None) -> Client:
    return Client(SID, token, http_client=StubHttpClient(stub.base_url, timeout=timeout))


def test_create_message_with_real_sdk(stub: TwilioStub) -> None:
    message = _client(stub).messages.create(
        to=TO,
        from_=FROM,
        body="hi",
        status_callback="https://example.test/whatsapp/status",
    )
    assert message.sid is not None and message.sid.startswith("SM") and len(message.sid) == 34
    assert message.status == "queued"
    assert message.to == TO and message.from_ == FROM and message.body == "hi"
    assert message.account_sid == SID
    assert message.num_media == "0" and message.num_segments == "1"
    assert message.error_code is None
    assert message.date_created is not None and message.date_created.tzinfo is not None
    assert message.uri == f"/2010-04-01/Accounts/{SID}/Messages/{message.sid}.json"

    assert stub.messages == [
        {
            "To": TO,
            "From": FROM,
            "Body": "hi",
            "StatusCallback": "https://example.test/whatsapp/status",
            "_sid": message.sid,
        }
    ]
    (recorded,) = stub.requests
    assert recorded.method == "POST"
    assert recorded.path == f"/2010-04-01/Accounts/{SID}/Messages.json"
    assert recorded.basic_auth_ok
    assert recorded.headers["content-type"] == "application/x-www-form-urlencoded"
    assert recorded.headers["accept"] == "application/json"
    assert recorded.headers["user-agent"].startswith("twilio-python/")


def test_media_urls_and_content_template(stub: TwilioStub) -> None:
    client = _client(stub)
    urls = ["https://example.test/a.png", "https://example.test/b.pdf"]
    message = client.messages.create(to=TO, from_=FROM, media_url=urls)
    assert message.num_media == "2"
    assert stub.requests[-1].form["MediaUrl"] == urls
    assert stub.messages[-1]["MediaUrl"] == " ".join(urls)

    variables = json.dumps({"1": "Sam"})
    message = client.messages.create(
        to=TO, from_=FROM, content_sid="HX" + "0" * 32, content_variables=variables
    )
    assert stub.messages[-1]["ContentSid"] == "HX" + "0" * 32
    assert stub.messages[-1]["ContentVariables"] == variables

    fetched = client.messages(message.sid).fetch()
    assert fetched.sid == message.sid and fetched.status == "queued"


def test_messaging_service_without_from_is_accepted(stub: TwilioStub) -> None:
    message = _client(stub).messages.create(to=TO, messaging_service_sid="MG" + "1" * 32, body="hi")
    assert message.status == "accepted"
    assert message.messaging_service_sid == "MG" + "1" * 32


def test_wrong_token_is_401(stub: TwilioStub) -> None:
    with pytest.raises(TwilioRestException) as info:
        _client(stub, token="wrong").messages.create(to=TO, from_=FROM, body="hi")
    assert info.value.status == 401
    assert info.value.code == 20003
    assert stub.messages == []
    assert not stub.requests[0].basic_auth_ok


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"to": "+447700900123", "from_": FROM, "body": "hi"}, 21211),
        ({"to": TO, "from_": "+14155238886", "body": "hi"}, 21211),
        ({"to": TO, "from_": FROM}, 21602),
        ({"to": TO, "from_": FROM, "body": "x" * 1601}, 21617),
    ],
)
def test_validation_errors(stub: TwilioStub, kwargs: dict[str, str], code: int) -> None:
    with pytest.raises(TwilioRestException) as info:
        _client(stub).messages.create(**kwargs)
    assert (info.value.status, info.value.code) == (400, code)
    assert stub.messages == []


def test_fail_next_rate_limit_then_recovers(stub: TwilioStub) -> None:
    client = _client(stub)
    stub.fail_next(429, 20429, times=2)
    for _ in range(2):
        with pytest.raises(TwilioRestException) as info:
            client.messages.create(to=TO, from_=FROM, body="hi")
        assert (info.value.status, info.value.code) == (429, 20429)
    assert client.messages.create(to=TO, from_=FROM, body="hi").status == "queued"
    assert len(stub.messages) == 1


def test_fail_next_default_code_and_server_error(stub: TwilioStub) -> None:
    stub.fail_next(503)
    with pytest.raises(TwilioRestException) as info:
        _client(stub).messages.create(to=TO, from_=FROM, body="hi")
    assert (info.value.status, info.value.code) == (503, 20503)


def test_fail_next_delay_surfaces_as_requests_timeout(stub: TwilioStub) -> None:
    stub.fail_next(500, delay=2.0)
    with pytest.raises(requests.exceptions.Timeout):
        _client(stub, timeout=0.2).messages.create(to=TO, from_=FROM, body="hi")


def test_media_download(stub: TwilioStub) -> None:
    url = stub.add_media(b"\x89PNG fake bytes", "image/png")
    assert url.startswith(f"{stub.base_url}/2010-04-01/Accounts/{SID}/Messages/MM")
    assert "/Media/ME" in url

    ok = requests.get(url, auth=(SID, TOKEN), timeout=5)
    assert ok.status_code == 200
    assert ok.content == b"\x89PNG fake bytes"
    assert ok.headers["Content-Type"] == "image/png"

    denied = requests.get(url, timeout=5)
    assert denied.status_code == 401
    assert denied.json()["code"] == 20003

    assert requests.get(url, auth=(SID, "nope"), timeout=5).status_code == 401
    missing = url.rsplit("/", 1)[0] + "/ME" + "f" * 32
    assert requests.get(missing, auth=(SID, TOKEN), timeout=5).status_code == 404


def test_unknown_path_is_404(stub: TwilioStub) -> None:
    response = requests.get(
        f"{stub.base_url}/2010-04-01/Accounts/{SID}/Calls.json", auth=(SID, TOKEN), timeout=5
    )
    assert response.status_code == 404
    assert response.json() == {
        "code": 20404,
        "message": f"The requested resource /2010-04-01/Accounts/{SID}/Calls.json was not found",
        "more_info": "https://www.twilio.com/docs/errors/20404",
        "status": 404,
    }


def test_concurrent_creates_are_all_recorded(stub: TwilioStub) -> None:
    client = _client(stub)
    errors: list[BaseException] = []

    def send(n: int) -> None:
        try:
            client.messages.create(to=TO, from_=FROM, body=f"msg {n}")
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=send, args=(n,)) for n in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(m["Body"] for m in stub.messages) == sorted(f"msg {n}" for n in range(20))
    assert len({m["_sid"] for m in stub.messages}) == 20


def test_start_stop_lifecycle() -> None:
    stub = TwilioStub(SID, TOKEN)
    with pytest.raises(RuntimeError):
        _ = stub.base_url
    stub.start()
    base = stub.base_url
    assert base.startswith("http://127.0.0.1:")
    stub.stop()
    stub.stop()
    with pytest.raises(requests.exceptions.ConnectionError):
        requests.get(base + "/", timeout=1)
