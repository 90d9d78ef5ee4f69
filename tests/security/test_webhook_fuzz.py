"""Fuzzing the signed inbound webhook: whatever reaches the parser with a valid signature, the webhook never
answers 5xx, stores a MessageSid at most once, and keeps text (SQL, template syntax, emoji, bytes that are
not UTF-8) literal. Forged, replayed and cross-account requests are refused or deduplicated."""

from __future__ import annotations

import re
import string
import uuid
from urllib.parse import parse_qsl, quote_from_bytes, urlencode

import pytest
import sqlalchemy as sa
import werkzeug.urls  # noqa: F401 - registers the "werkzeug.url_quote" codec error handler the form parser uses
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import col, select
from twilio.request_validator import RequestValidator
from werkzeug.datastructures import MultiDict
from werkzeug.security import generate_password_hash

from sitecoach.delivery.twilio_form import MAX_ADDRESS, MAX_BODY, MAX_BUTTON_PAYLOAD, MAX_MEDIA
from sitecoach.models import Learner, Mentor, Message
from sitecoach.wiring import build_services, create_app
from tests.conftest import PUBLIC_BASE_URL, TEST_AUTH_TOKEN, post_signed, run_worker, sign, twilio_form

PATH = "/whatsapp/inbound"
FUZZ = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,  # fixtures are shared by the examples: each uses fresh sids
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.large_base_example,
    ],
)
WITH_WORKER = settings(FUZZ, max_examples=20)  # each example also runs the worker
FIELDS = list(twilio_form())
SQL = [
    "'; DROP TABLE message;--",
    "Robert'); DROP TABLE learner;--",
    "1' OR '1'='1",
    '" OR ""="',
    "1; DELETE FROM message WHERE 1=1; --",
    "%'; UPDATE learner SET name='pwned' WHERE '%'='",
    "\\'; SELECT pg_sleep(10);--",
]
TEMPLATES = [
    "{{ 7*7 }}",
    "{{7*'7'}}",
    "{% for x in range(3) %}x{% endfor %}",
    "{{ config }}",
    "{{ ''.__class__.__mro__ }}",
    "{name}",
    "{0}{1}",
    "${7*7}",
    "#{7*7}",
    "<%= 7*7 %>",
    "{# comment #}",
    "{% raw %}",
]
EVALUATED = ["49", "7777777", "xxx", "<Config", "<class", "mro"]  # what evaluated templates would show
EMOJI = list("👷🔥⚡️🙂😂👍🏽🦺🔌💡❤️🇬🇧🏳️‍🌈") + ["👩‍🔧", "👷‍♀️", "🧑🏿‍🔧", "\u200d", "\ufe0f"]

# Any text Python can send as UTF-8 (no lone surrogates), including NUL and control characters.
any_text = st.text(st.characters(exclude_categories=("Cs",)), max_size=300)
long_text = st.text(st.characters(exclude_categories=("Cs",)), min_size=300, max_size=5000)


def _sid() -> str:
    return "SM" + uuid.uuid4().hex


def _phone() -> str:
    return "+447700" + str(uuid.uuid4().int)[:7]


def _stored(services, sid: str) -> list[Message]:
    """Inbound rows stored for one MessageSid."""
    with services.db.session() as session:
        return list(
            session.exec(select(Message).where(Message.twilio_sid == sid, Message.direction == "in")).all()
        )


def _replies_to(services, message_id: int) -> list[Message]:
    with services.db.session() as session:
        return list(
            session.exec(
                select(Message).where(Message.in_reply_to_id == message_id).order_by(col(Message.id))
            ).all()
        )


def _column_text(value: str, limit: int) -> str:
    """What a text column keeps of a form value: NUL removed (PostgreSQL cannot store it), capped."""
    return value.replace("\x00", "")[:limit]


def _server_sid(form: dict[str, str]) -> str:
    """The MessageSid the parser reads from a form."""
    return (form.get("MessageSid") or form.get("SmsMessageSid") or form.get("SmsSid") or "").strip()


@st.composite
def fuzzed_forms(draw) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """Twilio's form with fields dropped, values replaced (short or long) and unknown fields added."""
    form = twilio_form(phone=_phone(), body=draw(any_text))
    for name in draw(st.lists(st.sampled_from(FIELDS), unique=True, max_size=6)):
        del form[name]
    for name in draw(
        st.lists(st.sampled_from(FIELDS + ["Address", "ButtonPayload", "ButtonText"]), max_size=4)
    ):
        form[name] = draw(st.one_of(any_text, long_text))
    extra = draw(
        st.dictionaries(st.text(string.ascii_letters, min_size=1, max_size=30), any_text, max_size=5)
    )
    for name, value in extra.items():
        form.setdefault(name, value)
    for name in ("Latitude", "Longitude", "NumMedia"):
        if draw(st.booleans()):
            form[name] = draw(st.one_of(st.floats(allow_nan=True).map(str), st.integers().map(str), any_text))
    return form


@FUZZ
@given(form=fuzzed_forms())
def test_fuzzed_forms_never_5xx_and_a_sid_is_stored_at_most_once(client, services, form):
    first = post_signed(client, PATH, form)
    again = post_signed(client, PATH, form)  # Twilio retrying the same request
    assert first.status_code < 500, (first.status_code, first.data[:300])
    assert again.status_code == first.status_code
    sid = _server_sid(form)
    if first.status_code == 200:
        [row] = _stored(services, sid)
        assert row.body == _column_text(form.get("Body", ""), MAX_BODY)
    else:
        assert first.status_code == 400 and b"bad request" in first.data
        if sid.isalnum():  # a sid reused from an earlier example: stored then, never twice
            assert len(_stored(services, sid)) <= 1


@FUZZ
@given(
    value=st.one_of(any_text, long_text), field=st.sampled_from(["Address", "ButtonPayload", "ButtonText"])
)
def test_every_stored_text_field_survives_any_value(client, services, value, field):
    """Fields that land in length-limited columns (address, button payload) or contain NUL."""
    form = twilio_form(phone=_phone(), body="hello", sid=_sid(), **{field: value})
    response = post_signed(client, PATH, form)
    assert response.status_code == 200, response.data[:300]
    [row] = _stored(services, form["MessageSid"])
    if field == "Address":
        assert row.address == (_column_text(value, MAX_ADDRESS) or None)
    elif field == "ButtonPayload":
        assert row.button_payload == (_column_text(value, MAX_BUTTON_PAYLOAD) or None)


def test_a_body_over_one_megabyte_is_refused_or_truncated_never_a_5xx(client, services, app):
    form = twilio_form(phone=_phone(), body="x" * (1024 * 1024 + 1), sid=_sid())
    response = post_signed(client, PATH, form)
    assert response.status_code in (200, 413)
    rows = _stored(services, form["MessageSid"])
    assert len(rows) == (1 if response.status_code == 200 else 0)
    assert all(len(row.body) == MAX_BODY for row in rows)


def test_a_request_over_max_content_length_is_413_not_500(client, services, app):
    limit = app.config["MAX_CONTENT_LENGTH"]
    form = twilio_form(phone=_phone(), body="y" * (limit + 1), sid=_sid())
    response = post_signed(client, PATH, form)
    assert response.status_code == 413
    assert _stored(services, form["MessageSid"]) == []


def test_the_twilio_mode_limit_is_the_webhook_size_and_answers_413(services):
    """Without the simulator (its photo uploads need 12 MB) the app takes only REQUEST_MAX_BYTES."""
    svc = build_services(services.settings.with_overrides(simulator_enabled=False))
    try:
        app = create_app(services=svc)
        app.config.update(TESTING=True)
        client = app.test_client()
        assert app.config["MAX_CONTENT_LENGTH"] == svc.settings.request_max_bytes
        form = twilio_form(phone=_phone(), body="z" * svc.settings.request_max_bytes, sid=_sid())
        assert post_signed(client, PATH, form).status_code == 413
        small = twilio_form(phone=_phone(), body="ok", sid=_sid())
        assert post_signed(client, PATH, small).status_code == 200
    finally:
        svc.close()


@settings(FUZZ, max_examples=25)
@given(
    num_media=st.one_of(
        st.integers(-3, MAX_MEDIA + 3), st.just(10_000), st.sampled_from(["", "x", "1.5", " 2 "])
    ),
    present=st.sampled_from([0, 1, 2, 5, MAX_MEDIA, MAX_MEDIA + 1, 10_000]),
)
def test_num_media_and_the_urls_present_may_disagree(client, services, num_media, present):
    extra = {}
    for i in range(present):
        extra[f"MediaUrl{i}"] = f"https://api.twilio.com/2010-04-01/Accounts/AC1/Messages/MM1/Media/ME{i}"
        extra[f"MediaContentType{i}"] = "image/jpeg"
    form = twilio_form(phone=_phone(), body="", sid=_sid(), NumMedia=str(num_media), **extra)
    response = post_signed(client, PATH, form)
    try:
        declared = int(str(num_media) or 0)
    except ValueError:
        declared = None
    if declared is None or not 0 <= declared <= MAX_MEDIA:
        assert response.status_code == 400, response.data
        assert _stored(services, form["MessageSid"]) == []
        return
    assert response.status_code == 200, response.data
    [row] = _stored(services, form["MessageSid"])
    kept = min(declared, present)
    assert [m["url"] for m in row.media] == [form[f"MediaUrl{i}"] for i in range(kept)]
    assert len(row.raw) <= 200  # the raw copy of 20,000 fields is capped


def _raw_post(client, body: bytes, signed_over: MultiDict | dict):  # type: ignore[no-untyped-def]
    signature = RequestValidator(TEST_AUTH_TOKEN).compute_signature(PUBLIC_BASE_URL + PATH, signed_over)
    return client.post(
        PATH,
        data=body,
        content_type="application/x-www-form-urlencoded",
        headers={"X-Twilio-Signature": signature},
    )


@FUZZ
@given(raw=st.binary(min_size=0, max_size=64))
def test_percent_encoded_invalid_utf8_in_body_is_stored_as_the_server_decodes_it(client, services, raw):
    """Werkzeug decodes bytes that are not UTF-8 as their literal %XX escapes; Twilio signs what it sent,
    so we sign what the server will decode and check that exact text is stored."""
    form = twilio_form(phone=_phone(), sid=_sid())
    del form["Body"]
    payload = (urlencode(form) + "&Body=%FF%FE" + quote_from_bytes(raw, safe="")).encode("ascii")
    decoded = MultiDict(parse_qsl(payload.decode(), keep_blank_values=True, errors="werkzeug.url_quote"))
    assert decoded["Body"].startswith("%FF%FE")  # what werkzeug makes of invalid UTF-8
    response = _raw_post(client, payload, decoded)
    assert response.status_code == 200, response.data
    [row] = _stored(services, form["MessageSid"])
    assert row.body == _column_text(decoded["Body"], MAX_BODY)


def test_raw_invalid_utf8_bytes_are_refused_cleanly(client, services):
    """Unescaped bytes that are not UTF-8 make werkzeug drop the whole form: refused, never a 5xx."""
    form = twilio_form(phone=_phone(), sid=_sid())
    del form["Body"]
    payload = urlencode(form).encode("ascii") + b"&Body=\xff\xfe\xc3\x28 caf\xe9"
    for signed_over in (dict(form, Body="\ufffd\ufffd( caf\ufffd"), {}):  # a guess, and the empty form
        response = _raw_post(client, payload, signed_over)
        assert response.status_code in (400, 403), response.data
    assert _stored(services, form["MessageSid"]) == []


@WITH_WORKER
@given(body=st.lists(st.sampled_from(EMOJI), min_size=1, max_size=12).map("".join))
def test_emoji_only_bodies_are_stored_verbatim_and_answered(client, services, body):
    form = twilio_form(phone=_phone(), body=body, sid=_sid())
    assert post_signed(client, PATH, form).status_code == 200
    run_worker(services)
    [row] = _stored(services, form["MessageSid"])
    assert row.body == body and row.processed_at is not None
    replies = _replies_to(services, int(row.id))
    assert replies and services.prompts.render("core/apology") not in [r.body for r in replies]


def _onboarded(coach, phone: str) -> None:
    coach.onboard(phone, name="Jamie")


def test_sql_in_every_text_field_is_stored_verbatim_and_the_tables_survive(client, services, coach):
    # a learner each: what the coach makes of one string (a DELETE FROM message reads like "delete my
    # messages", an opt-out) must not silence the next
    phones = [_phone() for _ in SQL]
    for phone in phones:
        _onboarded(coach, phone)
    with services.db.session() as session:
        before = session.exec(select(sa.func.count()).select_from(Message)).one()
    sids = []
    for text, phone in zip(SQL, phones, strict=True):
        form = twilio_form(
            phone=phone,
            body=text,
            sid=_sid(),
            ProfileName=text,
            Address=text,
            ButtonText=text,
            ButtonPayload=text,
        )
        assert post_signed(client, PATH, form).status_code == 200
        sids.append(form["MessageSid"])
    run_worker(services)
    apology = services.prompts.render("core/apology")
    for text, sid in zip(SQL, sids, strict=True):
        [row] = _stored(services, sid)
        assert (row.body, row.profile_name, row.address, row.button_payload) == (text, text, text, text)
        replies = _replies_to(services, int(row.id))
        assert replies and all(r.body != apology for r in replies), text
    inspector = sa.inspect(services.db.engine)
    assert {"message", "learner", "mentor"} <= set(inspector.get_table_names())
    with services.db.session() as session:
        after = session.exec(select(sa.func.count()).select_from(Message)).one()
        names = session.exec(select(Learner.name).where(col(Learner.phone).in_(phones))).all()
    assert after >= before + 2 * len(SQL)  # every inbound and its reply; nothing deleted
    assert names == ["Jamie"] * len(SQL)  # the UPDATE in a message did not run


def test_sql_as_the_learners_name_is_kept_as_text(client, services, coach):
    phone, name = _phone(), "Robert'); DROP TABLE learner;--"
    coach.send("hi", phone, ProfileName=name)
    coach.send("yes", phone, ProfileName=name)
    coach.send("ok", phone, ProfileName=name)  # "OK" takes the WhatsApp profile name
    with services.db.session() as session:
        assert session.exec(select(Learner.name).where(Learner.phone == phone)).one() == name
        assert session.exec(select(sa.func.count()).select_from(Learner)).one() >= 1


def _assert_literal(replies: list[str], sent: str) -> None:
    for reply in replies:
        words = re.sub(r"https?://\S+", "", reply)  # a signed link's token may hold "49" by chance
        for evaluated in EVALUATED:
            if evaluated not in sent:
                assert evaluated not in words, (sent, reply)


def test_template_syntax_in_the_profile_name_comes_back_literally(client, services, coach):
    """The profile name is echoed in the onboarding replies and becomes the learner's name."""
    phone = _phone()
    for template in ("{{ 7*7 }}", "{% for x in range(3) %}x{% endfor %}"):
        phone = _phone()
        coach.send("hi", phone, ProfileName=template)
        asked = coach.send("yes", phone, ProfileName=template)
        assert any(f'"{template}"' in reply for reply in asked), asked  # literally, in quotes
        _assert_literal(asked, template)
        done = coach.send("ok", phone, ProfileName=template)
        assert any(template in reply for reply in done), done
        _assert_literal(done, template)
        with services.db.session() as session:
            assert session.exec(select(Learner.name).where(Learner.phone == phone)).one() == template


def test_template_syntax_in_the_body_is_never_evaluated(client, services, coach):
    phone = _phone()
    _onboarded(coach, phone)
    apology = services.prompts.render("core/apology")
    for template in TEMPLATES:
        replies = coach.send(template, phone)
        assert replies and apology not in replies, (template, replies)
        _assert_literal(replies, template)


@WITH_WORKER
@given(
    text=st.lists(
        st.sampled_from(TEMPLATES + SQL + EMOJI + ["hi", "quiz", "a", "7"]), min_size=1, max_size=4
    ).map(" ".join)
)
def test_mixed_hostile_text_is_answered_without_evaluation(client, services, text):
    form = twilio_form(phone=_phone(), body=text, sid=_sid(), ProfileName=text[:200])
    assert post_signed(client, PATH, form).status_code == 200
    run_worker(services)
    [row] = _stored(services, form["MessageSid"])
    assert row.body == text
    replies = [r.body for r in _replies_to(services, int(row.id))]
    assert replies and services.prompts.render("core/apology") not in replies
    _assert_literal(replies, text)


def test_template_syntax_in_a_learner_name_shows_literally_on_the_mentor_page(client, services):
    with services.db.session() as session:
        mentor = Mentor(
            name="Sam", email="sam@example.test", password_hash=generate_password_hash("pw-123456")
        )
        session.add(mentor)
        session.flush()
        learner = Learner(phone=_phone(), name="{{ 7*7 }}<script>x</script>", mentor_id=mentor.id)
        session.add(learner)
        session.flush()
        learner_id = learner.id
    page = client.get("/login").data.decode()
    token = page.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    client.post("/login", data={"email": "sam@example.test", "password": "pw-123456", "csrf_token": token})
    page = client.get(f"/mentor/learners/{learner_id}").data.decode()
    assert "{{ 7*7 }}&lt;script&gt;" in page and "<script>x</script>" not in page


# --- forged, replayed and cross-account requests ----------------------------------------------------------
def _post(client, form, signature: str | None, path: str = PATH, query: str = ""):  # type: ignore[no-untyped-def]
    headers = {} if signature is None else {"X-Twilio-Signature": signature}
    return client.post(path + query, data=form, headers=headers)


def test_forged_signatures_are_refused_and_nothing_is_stored(client, services):
    form = twilio_form(phone=_phone(), body="quiz me", sid=_sid())
    forgeries = {
        "no header": None,
        "empty header": "",
        "garbage": "not-base64!!",
        "wrong token": sign(PATH, form, token="wrong-token"),
        "other account's token": sign(PATH, form, token="another-accounts-auth-token-000000"),
        "other path": sign("/whatsapp/status", form),
        "other host": sign(PATH, form, base="https://evil.example.test"),
        "http not https": sign(PATH, form, base=PUBLIC_BASE_URL.replace("https://", "http://")),
        "the local url": sign(PATH, form, base="http://localhost"),
        "other params": sign(PATH, dict(form, Body="STOP")),
        "a param fewer": sign(PATH, {k: v for k, v in form.items() if k != "ProfileName"}),
        "a param more": sign(PATH, dict(form, ButtonPayload="stop")),
        "other sender": sign(PATH, dict(form, From="whatsapp:+447700900999")),
        "lower-cased": sign(PATH, form).lower(),
    }
    for reason, signature in forgeries.items():
        assert _post(client, form, signature).status_code == 403, reason
    # A query string the signature does not cover.
    assert _post(client, form, sign(PATH, form), query="?debug=1").status_code == 403
    # A genuine status callback's signature replayed against the inbound webhook.
    status = {"MessageSid": form["MessageSid"], "MessageStatus": "delivered"}
    assert _post(client, status, sign("/whatsapp/status", status)).status_code == 403
    assert _stored(services, form["MessageSid"]) == []


def test_cross_account_request_is_refused(client, services):
    """Another Twilio account (its own AccountSid, signed with its own token) cannot post to us."""
    other = twilio_form(phone=_phone(), body="hello", sid=_sid(), AccountSid="AC" + "9" * 32)
    signature = sign(PATH, other, token="token-of-another-account-9999999")
    assert _post(client, other, signature).status_code == 403
    assert _stored(services, other["MessageSid"]) == []


@FUZZ
@given(flip=st.integers(0, 27), char=st.sampled_from(string.ascii_letters + string.digits + "+/="))
def test_any_changed_signature_character_is_refused(client, services, flip, char):
    form = twilio_form(phone=_phone(), body="hi", sid=_sid())
    good = sign(PATH, form)
    bad = good[:flip] + char + good[flip + 1 :]
    response = _post(client, form, bad)
    assert response.status_code == (200 if bad == good else 403)
    assert len(_stored(services, form["MessageSid"])) == (1 if bad == good else 0)


def test_a_replayed_request_is_stored_and_answered_once(client, services):
    form = twilio_form(phone=_phone(), body="hi", sid=_sid())
    signature = sign(PATH, form)
    for _ in range(3):
        assert _post(client, form, signature).status_code == 200
    run_worker(services)
    [row] = _stored(services, form["MessageSid"])
    replies = _replies_to(services, int(row.id))
    assert len(replies) == 1
    # Replayed later, after the answer went out: still one row, no second answer.
    assert _post(client, form, signature).status_code == 200
    run_worker(services)
    assert len(_stored(services, form["MessageSid"])) == 1
    assert len(_replies_to(services, int(row.id))) == 1


def test_a_replayed_sid_with_another_body_keeps_the_first(client, services):
    """A replay that reuses a MessageSid with a different (correctly signed) body changes nothing."""
    form = twilio_form(phone=_phone(), body="hi", sid=_sid())
    assert post_signed(client, PATH, form).status_code == 200
    assert post_signed(client, PATH, dict(form, Body="STOP")).status_code == 200
    [row] = _stored(services, form["MessageSid"])
    assert row.body == "hi"


@pytest.mark.parametrize("field", ["MessageSid", "From"])
def test_missing_identity_fields_are_400(client, services, field):
    form = twilio_form(phone=_phone(), body="hi", sid=_sid())
    for name in [field, "SmsMessageSid", "SmsSid"] if field == "MessageSid" else [field]:
        del form[name]
    response = post_signed(client, PATH, form)
    assert response.status_code == 400 and b"bad request" in response.data
