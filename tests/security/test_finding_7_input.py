"""Finding 7 (input): a signed webhook replayed under a new MessageSid by shifting Twilio's name/value
boundaries; an admin-edited prompt that renders megabytes; SQL errors that carry message text into logs.
(Media downloads and redaction are in test_finding_7_media.py and test_finding_7_redaction.py.)"""

from __future__ import annotations

import json
import logging

import pytest
from sqlmodel import select

from sitecoach.models import Message
from tests.conftest import post_signed, sign, twilio_form

INBOUND = "/whatsapp/inbound"


def _stored(services, body: str) -> list[Message]:
    with services.db.session() as session:
        return list(
            session.exec(select(Message).where(Message.direction == "in", Message.body == body)).all()
        )


# --- webhook replay under a new MessageSid ------------------------------------------------------------
def _concatenation(form: dict[str, str]) -> str:
    """What Twilio's signature covers besides the URL: every name and value, sorted by name, run together."""
    return "".join(name + form[name] for name in sorted(form))


def _absorb_next(form: dict[str, str], name: str) -> dict[str, str]:
    """The form with the parameter after ``name`` (in signing order) moved, name and value, into its value."""
    order = sorted(form)
    following = order[order.index(name) + 1]
    shifted = {k: v for k, v in form.items() if k != following}
    shifted[name] = form[name] + following + form[following]
    return shifted


@pytest.mark.parametrize("extra", [{}, {"MessagingServiceSid": "MG" + "2" * 32, "MessageType": ""}])
def test_finding_7_a_signed_webhook_replayed_with_shifted_boundaries_is_refused(
    client, services, caplog, extra
):
    body = f"replay me please {len(extra)}"
    form = twilio_form(phone="+447700900701", body=body, **extra)
    signature = sign(INBOUND, form)
    assert client.post(INBOUND, data=form, headers={"X-Twilio-Signature": signature}).status_code == 200
    # The attacker moves the next parameter (name and value) into MessageSid: the concatenation, so the
    # signature, is unchanged, but the MessageSid is one the duplicate check has never seen.
    shifted = _absorb_next(form, "MessageSid")
    assert _concatenation(shifted) == _concatenation(form) and shifted["MessageSid"] != form["MessageSid"]
    caplog.set_level(logging.WARNING, logger="sitecoach.web.webhook")
    replay = client.post(INBOUND, data=shifted, headers={"X-Twilio-Signature": signature})
    assert replay.status_code == 400 and b"bad request" in replay.data
    assert "MessageSid is not a Twilio message SID" in caplog.text
    assert len(_stored(services, body)) == 1


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("MessageSid", "SM" + "0" * 31),
        ("MessageSid", "XX" + "0" * 32),
        ("MessageSid", "SM" + "g" * 32),
        ("SmsMessageSid", "SM" + "1" * 32),  # disagrees with MessageSid
        ("AccountSid", "AC123"),
        ("AccountSid", ""),
    ],
)
def test_finding_7_malformed_sids_get_a_400_and_a_log_line(client, services, caplog, field, value):
    caplog.set_level(logging.WARNING, logger="sitecoach.web.webhook")
    form = twilio_form(phone="+447700900703", body=f"sid check {field} {value}", **{field: value})
    response = post_signed(client, INBOUND, form)
    assert response.status_code == 400 and b"bad request" in response.data
    assert "inbound refused" in caplog.text and ("AccountSid" in caplog.text or "Sid" in caplog.text)
    assert _stored(services, form["Body"]) == []


def test_finding_7_real_twilio_sids_are_accepted(client, services):
    for prefix in ("SM", "MM"):
        form = twilio_form(phone="+447700900704", body=f"fine {prefix}", sid=prefix + "0123456789abcdef" * 2)
        assert post_signed(client, INBOUND, form).status_code == 200
        assert len(_stored(services, f"fine {prefix}")) == 1


def test_finding_7_status_callbacks_refuse_a_malformed_sid(client, services):
    form = {"MessageSid": "SM" + "0" * 32 + "MessageStatus", "MessageStatus": "delivered"}
    response = post_signed(client, "/whatsapp/status", form)
    assert response.status_code == 400 and b"bad request" in response.data


# --- SQL errors never carry message text into logs ----------------------------------------------------
REFUSE_MARK = "refuse-this-row"
_SQLITE_TRIGGER = f"""
CREATE TRIGGER finding7_refuse BEFORE INSERT ON message WHEN instr(NEW.body, '{REFUSE_MARK}') > 0
BEGIN SELECT RAISE(ABORT, 'refused by the finding 7 test trigger'); END
"""
_POSTGRES_TRIGGER = (
    f"""
CREATE FUNCTION finding7_refuse() RETURNS trigger AS $$ BEGIN
  IF position('{REFUSE_MARK}' in NEW.body) > 0 THEN
    RAISE EXCEPTION 'refused by the finding 7 test trigger'
      USING DETAIL = 'Failing row contains (' || NEW.body || ')';
  END IF;
  RETURN NEW;
END $$ LANGUAGE plpgsql""",
    "CREATE TRIGGER finding7_refuse BEFORE INSERT ON message FOR EACH ROW EXECUTE FUNCTION finding7_refuse()",
)


@pytest.fixture
def refusing_insert(services):
    """The database refuses to store a message whose body holds REFUSE_MARK (a real database error)."""
    postgres = services.db.dialect == "postgresql"
    with services.db.engine.begin() as conn:
        for statement in _POSTGRES_TRIGGER if postgres else (_SQLITE_TRIGGER,):
            conn.exec_driver_sql(statement)
    yield
    with services.db.engine.begin() as conn:
        conn.exec_driver_sql("DROP TRIGGER finding7_refuse" + (" ON message" if postgres else ""))
        if postgres:
            conn.exec_driver_sql("DROP FUNCTION finding7_refuse()")


def test_finding_7_a_database_error_logs_no_message_text(client, services, caplog, refusing_insert):
    from sitecoach.infra.observability import JsonFormatter

    body = f"{REFUSE_MARK} my mate Dave Hughes cut his hand, call him on 07700 900777"
    caplog.set_level(logging.INFO)
    response = post_signed(client, INBOUND, twilio_form(phone="+447700900705", body=body))
    assert response.status_code == 503  # not stored: Twilio retries
    lines = [JsonFormatter().format(record) for record in caplog.records]
    refused = [json.loads(line) for line in lines if "inbound not stored" in line]
    assert refused and "refused by the finding 7 test trigger" in refused[0]["error"]
    for line in lines:
        assert "Dave Hughes" not in line and "cut his hand" not in line and "900777" not in line


# --- an admin-edited prompt cannot render megabytes ---------------------------------------------------
PASSWORD = "correct horse battery"
HELP_FLOOD = (
    "{# variables: name, fallback #}\n"
    "{% for i in range(400) %}Here's what I can do{% if name %}, {{ name }}{% endif %}: ask a question, "
    "QUIZ, PROGRESS, MENTOR, STOP.\n{% endfor %}\n"
)


def _admin_and_learner(services, phone: str) -> None:
    from werkzeug.security import generate_password_hash

    from sitecoach.models import Consent, Learner, Mentor

    with services.db.session() as session:
        session.add(
            Mentor(
                name="Ada Admin",
                email="admin@example.test",
                is_admin=True,
                password_hash=generate_password_hash(PASSWORD),
            )
        )
        session.add(Learner(phone=phone, name="Jamie", consent=Consent.OPTED_IN))


def _csrf(client, path: str) -> str:
    import re

    return re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).data.decode()).group(1)


def _save_prompt(client, name: str, text: str, action: str = "save"):
    path = f"/admin/prompts/{name}"
    return client.post(path, data={"text": text, "action": action, "csrf_token": _csrf(client, path)})


def _log_in(client) -> None:
    data = {"email": "admin@example.test", "password": PASSWORD, "csrf_token": _csrf(client, "/login")}
    assert client.post("/login", data=data).status_code == 302


def test_finding_7_an_edited_prompt_that_renders_too_long_is_refused_at_save(client, services):
    from sitecoach.models import PromptVersion

    _admin_and_learner(services, "+447700900710")
    _log_in(client)
    assert len(HELP_FLOOD) < 4000  # within the size cap on the text itself
    for action in ("preview", "save"):
        response = _save_prompt(client, "help/menu", HELP_FLOOD, action)
        assert response.status_code == 422
        assert "renders to more than 4,800 characters" in response.data.decode()
    sandbox_tricks = [
        '{# variables: name, fallback #}\n{{ "Help! " * 10000000 }}',
        '{# variables: name, fallback #}\n{{ "Help" | center(100000000) }}',
        '{# variables: name, fallback #}\n{{ "Help".ljust(100000000) }}',
        '{# variables: name, fallback #}\n{{ "{:>100000000}".format("Help") }}',
        '{# variables: name, fallback #}\n{{ "%100000000s" % "Help" }}',
    ]
    for text in sandbox_tricks:
        response = _save_prompt(client, "help/menu", text)
        assert response.status_code == 422 and "sandbox forbids" in response.data.decode(), text
    with services.db.read_session() as session:
        assert session.exec(select(PromptVersion)).all() == []


def test_finding_7_a_stored_prompt_that_renders_megabytes_is_cut_to_four_messages_at_most(
    client, services, caplog
):
    from sitecoach.models import PromptVersion

    phone = "+447700900711"
    _admin_and_learner(services, phone)
    # A version stored before the save check existed (or written straight into the database).
    with services.db.session() as session:
        session.add(PromptVersion(name="help/menu", version=1, text=HELP_FLOOD, diff="", note=""))
    services.prompts.store.invalidate()
    with services.db.read_session() as session:
        before = session.exec(select(Message.id).order_by(Message.id.desc())).first() or 0
    assert post_signed(client, INBOUND, twilio_form(phone, "help")).status_code == 200
    from tests.conftest import run_worker

    run_worker(services)
    with services.db.read_session() as session:
        replies = session.exec(
            select(Message.body).where(
                Message.direction == "out", Message.phone == phone, Message.id > before
            )
        ).all()
    assert 1 <= len(replies) <= 4, len(replies)
    assert sum(len(r) for r in replies) <= 4800 and replies[0].startswith("Here's what I can do, Jamie")
    assert "prompt help/menu v1 rendered more than 4800 characters: cut" in caplog.text
