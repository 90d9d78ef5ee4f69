"""Admin pages: 404 for non-admins, prompt edits that reach the coach, CSV imports, mentors, queues,
the competency list and cohort outcomes."""

from __future__ import annotations

import re
from datetime import timedelta

from hypothesis import given, settings
from hypothesis import strategies as st
from rq.job import Job
from sqlmodel import col, delete, select
from werkzeug.security import generate_password_hash

from sitecoach.curriculum.pack import load_pack
from sitecoach.models import (
    AdminAuditLog,
    Cohort,
    Competency,
    Consent,
    Database,
    Escalation,
    Learner,
    Mentor,
    Message,
    PromptVersion,
    Standard,
    VariantAssignment,
    utcnow,
)
from sitecoach.prompts.library import PromptLibrary
from sitecoach.records.prompt_store import PromptStore
from sitecoach.records.roster import Known, check_learners, check_mentors
from sitecoach.records.seeding import DEMO_MENTOR_EMAIL, DEMO_MENTOR_PASSWORD, seed_demo
from sitecoach.records.snapshots import refresh_all
from tests.conftest import post_signed, run_worker, twilio_form

PASSWORD = "correct horse battery"
JAMIE = "+447700900111"
THANKS_FILE = "No bother Jamie 👍 Stay safe out there."
THANKS_NEW = "{# variables: name #}\nTa very much{% if name %} {{ name }}{% endif %}! Mind how you go 🦺\n"


def _people(services) -> dict[str, int]:
    """An admin, a mentor who is not one, a cohort and an opted-in learner."""
    with services.db.session() as session:
        boss = Mentor(
            name="Ada Admin",
            email="admin@example.test",
            is_admin=True,
            password_hash=generate_password_hash(PASSWORD),
        )
        sam = Mentor(name="Sam", email="sam@example.test", password_hash=generate_password_hash(PASSWORD))
        kim = Mentor(name="Kim", email="kim@example.test", password_hash=generate_password_hash(PASSWORD))
        cohort = Cohort(name="North 2026", standard_code="ST0000")
        session.add_all([boss, sam, kim, cohort])
        session.flush()
        jamie = Learner(
            phone=JAMIE, name="Jamie", mentor_id=sam.id, cohort_id=cohort.id, consent=Consent.OPTED_IN
        )
        session.add(jamie)
        session.flush()
        return {"admin": boss.id, "sam": sam.id, "kim": kim.id, "jamie": jamie.id, "cohort": cohort.id}


def _token(client, path: str = "/login") -> str:
    page = client.get(path).data.decode()
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def _login(client, email: str = "admin@example.test", password: str = PASSWORD) -> None:
    response = client.post(
        "/login", data={"email": email, "password": password, "csrf_token": _token(client)}
    )
    assert response.status_code == 302


def _save(client, name: str, text: str, action: str = "save"):
    skill, short = name.split("/")
    path = f"/admin/prompts/{skill}/{short}"
    return client.post(path, data={"text": text, "action": action, "csrf_token": _token(client, path)})


def _audit(services, action: str) -> list[AdminAuditLog]:
    with services.db.read_session() as session:
        return list(session.exec(select(AdminAuditLog).where(AdminAuditLog.action == action)).all())


# --- who may see admin pages -------------------------------------------------------------------------


ARGS = {
    "skill": "smalltalk",
    "name": "thanks",
    "learner_id": 1,
    "kind": "learners",
    "queue_name": "coach-test",
    "message_id": 1,
    "code": "K-ISO-003",  # the content review pages (a card; the lesson routes are POST only)
    "action": "withdraw",
    "staff_id": 1,
    "employer_id": 1,  # Admin > Employers (a POST only: refused or redirected before the id matters)
    "cohort_id": 1,
}


def _admin_urls(app, **args: object) -> list[tuple[str, str]]:
    """Every admin route with its arguments filled (`args` names real rows: PostgreSQL's ids keep on)."""
    values = {**ARGS, **args}
    out = []
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/admin"):
            url = rule.rule
            for arg in rule.arguments:
                url = re.sub(rf"<(?:[a-z]+:)?{arg}>", str(values[arg]), url)
            out += [(method, url) for method in sorted(rule.methods & {"GET", "POST"})]
    return out


def test_non_admins_get_404_on_every_admin_route(app, client, services):
    ids = _people(services)
    urls = _admin_urls(app)
    assert len(urls) >= 12 and ("GET", "/admin/outcomes") in urls
    for method, url in urls:  # not logged in: off to the login page
        response = client.open(url, method=method, data={"csrf_token": _token(client)})
        assert response.status_code == 302 and "/login" in response.headers["Location"], (method, url)
    _login(client, "sam@example.test")
    token = _token(client, "/mentor")
    for method, url in urls:
        response = client.open(url, method=method, data={"csrf_token": token, "job_id": "x", "version": "0"})
        assert response.status_code == 404, (method, url)
    with services.db.read_session() as session:
        assert session.get(Learner, ids["jamie"]).mentor_id == ids["sam"]
        assert session.exec(select(AdminAuditLog)).all() == []
    assert "/admin/prompts" not in client.get("/mentor").data.decode()  # no admin links either


def test_admin_sees_every_page_and_the_nav_links(app, client, services):
    ids = _people(services)
    _login(client)
    for method, url in _admin_urls(app, learner_id=ids["jamie"]):
        if method == "GET":
            assert client.get(url).status_code == 200, url
    nav = client.get("/mentor").data.decode()
    for path in ("/admin/prompts", "/admin/outcomes", "/admin/queues", "/admin/standard"):
        assert f'href="{path}"' in nav


def test_post_without_csrf_token_is_refused(client, services):
    ids = _people(services)
    _login(client)
    response = client.post(f"/admin/learners/{ids['jamie']}/mentor", data={"mentor_id": ids["kim"]})
    assert response.status_code == 400
    assert _save_without_token(client).status_code == 400
    with services.db.read_session() as session:
        assert session.get(Learner, ids["jamie"]).mentor_id == ids["sam"]
        assert session.exec(select(PromptVersion)).all() == []


def _save_without_token(client):
    return client.post("/admin/prompts/smalltalk/thanks", data={"text": THANKS_NEW, "action": "save"})


# --- prompts -------------------------------------------------------------------------------------------


def test_undeclared_variable_is_refused_with_the_reason_and_the_text_kept(client, services):
    _people(services)
    _login(client)
    text = "{# variables: name #}\nCheers {{ name }}, see you at {{ site }}\n"
    response = _save(client, "smalltalk/thanks", text)
    page = response.data.decode()
    assert response.status_code == 422
    assert "Not saved" in page and "undeclared variable(s): site" in page
    assert "see you at {{ site }}" in page  # the text stays in the textarea
    response = _save(client, "smalltalk/thanks", "{# variables: name, site #}\nHi {{ name }} at {{ site }}\n")
    assert response.status_code == 422 and "does not supply: site" in response.data.decode()
    response = _save(client, "smalltalk/thanks", "{# variables: name #}\nHi {{ name }\n")
    assert response.status_code == 422 and "syntax error on line 2" in response.data.decode()
    with services.db.read_session() as session:
        assert session.exec(select(PromptVersion)).all() == []
    assert _audit(services, "prompt.save") == []


def test_saved_edit_is_version_1_with_a_diff_an_audit_row_and_the_coach_uses_it(client, services):
    ids = _people(services)
    _login(client)
    response = _save(client, "smalltalk/thanks", THANKS_NEW)
    assert response.status_code == 302
    with services.db.read_session() as session:
        [row] = session.exec(select(PromptVersion)).all()
    assert (row.name, row.version, row.author_id) == ("smalltalk/thanks", 1, ids["admin"])
    assert "-No bother{% if name %}" in row.diff and "+Ta very much{% if name %}" in row.diff
    assert "smalltalk/thanks v0" in row.diff and "smalltalk/thanks v1" in row.diff
    [audit] = _audit(services, "prompt.save")
    assert audit.actor_id == ids["admin"] and audit.target == "smalltalk/thanks"
    assert audit.details["version"] == 1 and "+Ta very much" in audit.details["diff"]

    # the learner says thanks through the real webhook and worker: the new wording comes back
    before = _last_message_id(services)
    assert post_signed(client, "/whatsapp/inbound", twilio_form(JAMIE, "cheers")).status_code == 200
    run_worker(services)
    assert _replies(services, before) == ["Ta very much Jamie! Mind how you go 🦺"]

    listing = client.get("/admin/prompts").data.decode()
    assert re.search(r"smalltalk/thanks</a></td>\s*<td>name</td>\s*<td>1</td>\s*<td>Ada Admin", listing)


def test_another_process_sees_the_new_text_within_a_second_without_restart(client, services):
    _people(services)
    _login(client)
    clock = FakeClock()
    database = Database(services.settings.database_uri)
    other = PromptLibrary(services.settings.prompts_path, store=PromptStore(database, clock=clock))
    try:
        assert other.render("smalltalk/thanks", name="Jamie") == THANKS_FILE
        assert _save(client, "smalltalk/thanks", THANKS_NEW).status_code == 302
        clock.now += 0.5  # inside the stamp's second: still the cached wording
        assert other.render("smalltalk/thanks", name="Jamie") == THANKS_FILE
        clock.now += 0.6
        assert other.render("smalltalk/thanks", name="Jamie") == "Ta very much Jamie! Mind how you go 🦺"
        assert other.get("smalltalk/thanks").version == 1
    finally:
        database.dispose()


class FakeClock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_rollback_restores_old_text_as_a_new_version(client, services):
    _people(services)
    _login(client)
    second = THANKS_NEW.replace("Ta very much", "Cheers")
    assert _save(client, "smalltalk/thanks", THANKS_NEW).status_code == 302
    assert _save(client, "smalltalk/thanks", second).status_code == 302
    assert services.prompts.render("smalltalk/thanks", name="Jamie").startswith("Cheers Jamie!")
    token = _token(client, "/admin/prompts/smalltalk/thanks/history")
    response = client.post(
        "/admin/prompts/smalltalk/thanks/rollback", data={"version": "0", "csrf_token": token}
    )
    assert response.status_code == 302
    assert services.prompts.render("smalltalk/thanks", name="Jamie") == THANKS_FILE
    client.post("/admin/prompts/smalltalk/thanks/rollback", data={"version": "1", "csrf_token": token})
    assert services.prompts.render("smalltalk/thanks", name="Jamie").startswith("Ta very much Jamie!")
    with services.db.read_session() as session:
        rows = session.exec(select(PromptVersion).order_by(col(PromptVersion.version))).all()
    assert [(r.version, r.note) for r in rows] == [
        (1, ""),
        (2, ""),
        (3, "rollback to v0"),
        (4, "rollback to v1"),
    ]
    assert (
        rows[2].text == services.prompts.file_prompt("smalltalk/thanks").source
        and rows[3].text == rows[0].text
    )
    assert [a.details["note"] for a in _audit(services, "prompt.rollback")] == [
        "rollback to v0",
        "rollback to v1",
    ]
    history = client.get("/admin/prompts/smalltalk/thanks/history").data.decode()
    assert "Version 4 (current)" in history and "rollback to v0" in history and "+Ta very much" in history


def test_rolling_back_to_the_current_text_is_refused(client, services):
    _people(services)
    _login(client)
    token = _token(client, "/admin/prompts/smalltalk/thanks/history")
    response = client.post(
        "/admin/prompts/smalltalk/thanks/rollback",
        data={"version": "0", "csrf_token": token},
        follow_redirects=True,
    )
    assert "nothing changed" in response.data.decode()
    assert _audit(services, "prompt.rollback") == []


def test_preview_uses_the_learners_values_and_never_their_phone(client, services):
    ids = _people(services)
    _login(client)
    path = "/admin/prompts/mentor/to_mentor"
    text = services.prompts.file_prompt("mentor/to_mentor").source
    response = client.post(
        path,
        data={
            "text": text,
            "action": "preview",
            "learner_id": ids["jamie"],
            "csrf_token": _token(client, path),
        },
    )
    page = response.data.decode()
    assert response.status_code == 200
    assert "Jamie (North 2026) asked for you" in page and "phone hidden in previews" in page
    assert "7700900111" not in page and "900111" not in page
    with services.db.read_session() as session:
        assert session.exec(select(PromptVersion)).all() == []


def test_preview_with_samples_renders_lists_numbers_and_flags(client, services):
    _people(services)
    _login(client)
    text = services.prompts.file_prompt("quiz/question").source
    page = _save(client, "quiz/question", text, action="preview").data.decode()
    assert "*Q3/3*" in page and "sample two" in page and "A–C" in page


# --- people --------------------------------------------------------------------------------------------


LEARNERS_CSV = """phone,name,cohort,mentor_email,timezone
+447700900301,Alex,North 2026,sam@example.test,Europe/London
07700900302,Bea,North 2026,,
+447700900303,Cal,Nowhere,,
+447700900304,Dee,,ghost@example.test,
+44 7700 900301,Eve,,,
+447700900305,,,,Mars/Olympus
+447700900111,Jamie again,,,
"""


def _import(client, kind: str, text: str, action: str):
    return client.post(
        f"/admin/import/{kind}", data={"csv": text, "action": action, "csrf_token": _token(client, "/admin")}
    )


def _learner_count(services) -> int:
    with services.db.read_session() as session:
        return len(session.exec(select(Learner)).all())


def test_learner_csv_dry_run_reports_bad_lines_by_number_and_writes_nothing(client, services):
    _people(services)
    _login(client)
    response = _import(client, "learners", LEARNERS_CSV, "dry_run")
    page = response.data.decode()
    assert response.status_code == 200
    for expected in (
        "line 3: phone: not an international (E.164) number",
        "line 4: cohort: no cohort named &#39;Nowhere&#39;",
        "line 5: mentor_email: no mentor with email &#39;ghost@example.test&#39;",
        "line 6: phone: duplicate of line 2",
        "line 7: name: missing",
        "line 7: timezone: unknown zone",
        "line 8: phone: a learner with this number already exists",
    ):
        assert expected in page, expected
    assert "line 2:" not in page
    assert _learner_count(services) == 1
    response = _import(client, "learners", LEARNERS_CSV, "import")  # all or nothing
    assert response.status_code == 422 and "nothing was imported" in response.data.decode()
    assert _learner_count(services) == 1 and _audit(services, "import.learners") == []


def test_learner_csv_import_creates_the_rows(client, services):
    ids = _people(services)
    _login(client)
    good = "phone,name,cohort,mentor_email,timezone\n+447700900301,Alex,North 2026,SAM@example.test,\n"
    good += "+44 (0)7700 900302,Bea,,,Europe/Dublin\n"
    assert "all 2 rows are good" in _import(client, "learners", good, "dry_run").data.decode()
    assert _learner_count(services) == 1
    response = _import(client, "learners", good, "import")
    assert response.status_code == 200 and "Imported 2 learners" in response.data.decode()
    with services.db.read_session() as session:
        alex = session.exec(select(Learner).where(Learner.phone == "+447700900301")).one()
        bea = session.exec(select(Learner).where(Learner.phone == "+447700900302")).one()
    assert (alex.name, alex.cohort_id, alex.mentor_id, alex.timezone) == (
        "Alex",
        ids["cohort"],
        ids["sam"],
        "Europe/London",
    )
    assert (bea.cohort_id, bea.mentor_id, bea.timezone, bea.consent) == (
        None,
        None,
        "Europe/Dublin",
        "pending",
    )
    [audit] = _audit(services, "import.learners")
    assert audit.details["rows"] == 2 and "+44" not in str(audit.details)


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.lists(
            st.sampled_from(["+447700900301", "0770", "", "Al", "North 2026", "x@y.z", "UTC", '"', ","]),
            max_size=6,
        ),
        max_size=8,
    )
)
def test_roster_checks_never_crash_and_name_real_lines(cells):
    text = "phone,name,cohort,mentor_email,timezone\n" + "\n".join(",".join(row) for row in cells)
    known = Known(cohorts=frozenset({"North 2026"}), mentor_emails=frozenset({"x@y.z"}))
    lines = text.count("\n") + 2
    for check in (
        check_learners(text, known),
        check_mentors(text.replace("phone,name", "name,email"), known),
    ):
        assert all(1 <= line <= lines for line, _message in check.problems)
        assert {row.line for row in check.rows}.isdisjoint(line for line, _m in check.problems)


def test_mentor_csv_import_generates_a_password_shown_once(client, services):
    _people(services)
    _login(client)
    text = "name,email,phone,password,is_admin\nLee,lee@example.test,+447700900777,a-long-password-1,yes\n"
    text += "Mo,mo@example.test,,,no\n"
    bad = text + "Sam Two,SAM@example.test,notaphone,short,maybe\n"
    page = _import(client, "mentors", bad, "dry_run").data.decode()
    for expected in (
        "line 4: email: a mentor with this email already exists",
        "line 4: phone",
        "line 4: password",
        "line 4: is_admin",
    ):
        assert expected in page, expected
    response = _import(client, "mentors", text, "import")
    page = response.data.decode()
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    generated = re.search(r"<td>mo@example.test</td><td><code>([^<]+)</code>", page).group(1)
    assert "a-long-password-1" not in page
    with services.db.read_session() as session:
        lee = session.exec(select(Mentor).where(Mentor.email == "lee@example.test")).one()
    assert lee.is_admin and lee.phone == "+447700900777"
    client.post("/logout", data={"csrf_token": _token(client, "/mentor")})
    _login(client, "mo@example.test", generated)
    assert client.get("/admin").status_code == 404  # Mo is a mentor, not an admin
    _login(client, "lee@example.test", "a-long-password-1")


def test_assigning_a_mentor(client, services):
    ids = _people(services)
    _login(client)
    page = client.get("/admin").data.decode()
    assert f'id="learner-{ids["jamie"]}"' in page and JAMIE not in page
    token = _token(client, "/admin")
    response = client.post(
        f"/admin/learners/{ids['jamie']}/mentor", data={"mentor_id": ids["kim"], "csrf_token": token}
    )
    assert response.status_code == 302
    with services.db.read_session() as session:
        assert session.get(Learner, ids["jamie"]).mentor_id == ids["kim"]
    client.post(f"/admin/learners/{ids['jamie']}/mentor", data={"mentor_id": "", "csrf_token": token})
    with services.db.read_session() as session:
        assert session.get(Learner, ids["jamie"]).mentor_id is None
    audits = _audit(services, "learner.mentor")
    assert [(a.details["before"], a.details["after"]) for a in audits] == [
        (ids["sam"], ids["kim"]),
        (ids["kim"], None),
    ]
    response = client.post(
        f"/admin/learners/{ids['jamie']}/mentor", data={"mentor_id": 999999, "csrf_token": token}
    )
    assert response.status_code == 404


# --- queues --------------------------------------------------------------------------------------------


def test_failed_job_is_listed_with_its_error_and_retry_requeues_it(client, services):
    _people(services)
    _login(client)
    queue = services.queue
    queue.enqueue("json.loads", "not json from +447700900111", job_id="broken-1")
    run_worker(services)
    assert "broken-1" in queue.failed_job_registry.get_job_ids()
    page = client.get("/admin/queues").data.decode()
    assert "broken-1" in page and "json.loads" in page and "JSONDecodeError" in page
    assert "900111" not in page
    response = client.post(
        f"/admin/queues/{queue.name}/retry",
        data={"job_id": "broken-1", "csrf_token": _token(client, "/admin/queues")},
    )
    assert response.status_code == 302
    assert "broken-1" not in queue.failed_job_registry.get_job_ids()
    assert "broken-1" in queue.job_ids
    assert Job.fetch("broken-1", connection=services.redis).get_status() == "queued"
    [audit] = _audit(services, "job.retry")
    assert audit.target == "broken-1"
    response = client.post(
        f"/admin/queues/{queue.name}/retry",
        data={"job_id": "nope", "csrf_token": _token(client, "/admin/queues")},
    )
    assert response.status_code == 404


def _failed_nudge(services, learner_id: int, code: str, error: str) -> int:
    """A nudge to Jamie whose every send failed; its row id."""
    with services.db.session() as session:
        row = Message(
            direction="out",
            phone=JAMIE,
            learner_id=learner_id,
            status="failed",
            body="Your daily question is ready",
            kind="nudge",
            attempts=5,
            error_code=code,
            error_message=error,
        )
        session.add(row)
        session.flush()
        return int(row.id)


def test_a_failed_send_to_a_learner_who_since_opted_out_is_not_resent(client, services):
    ids = _people(services)
    _login(client)
    row_id = _failed_nudge(services, ids["jamie"], "20500", "twilio 500: down")
    with services.db.session() as session:
        session.get(Learner, ids["jamie"]).consent = Consent.OPTED_OUT
    page = client.get("/admin/queues").data.decode()
    assert "twilio 500: down" in page and "opted out" in page and JAMIE not in page
    assert f"/admin/messages/{row_id}/resend" not in page
    response = client.post(
        f"/admin/messages/{row_id}/resend", data={"csrf_token": _token(client, "/admin/queues")}
    )
    assert response.status_code == 302
    assert "opted out" in client.get("/admin/queues").data.decode()
    with services.db.read_session() as session:
        assert session.get(Message, row_id).status == "failed"
    assert services.queue.job_ids == [] and _audit(services, "message.resend") == []


def test_resend_with_the_job_queue_down_leaves_the_message_failed_and_says_why(client, services):
    from redis import Redis
    from rq import Queue

    ids = _people(services)
    _login(client)
    row_id = _failed_nudge(services, ids["jamie"], "20003", "twilio 401: authenticate")
    token = _token(client, "/admin/queues")
    real_queue = services.queue
    services.queue = Queue(
        real_queue.name, connection=Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.2)
    )
    try:
        response = client.post(f"/admin/messages/{row_id}/resend", data={"csrf_token": token})
    finally:
        services.queue = real_queue
    assert response.status_code == 302
    page = client.get("/admin/queues").data.decode()
    assert "job queue (Redis) is unavailable" in page and "resend not queued" in page
    assert f"/admin/messages/{row_id}/resend" in page  # still listed, so it can be resent later
    with services.db.read_session() as session:
        assert session.get(Message, row_id).status == "failed"
    assert _audit(services, "message.resend") == []
    response = client.post(f"/admin/messages/{row_id}/resend", data={"csrf_token": token})
    assert response.status_code == 302 and real_queue.job_ids == [f"deliver-{row_id}"]
    with services.db.read_session() as session:
        assert session.get(Message, row_id).status == "pending"
    assert [a.target for a in _audit(services, "message.resend")] == [str(row_id)]


# --- the official competency list ---------------------------------------------------------------------


def _upload(client, files: dict[str, tuple[bytes, str]]):
    import io

    data = {name: (io.BytesIO(body), filename) for name, (body, filename) in files.items()}
    data["csrf_token"] = _token(client, "/admin/standard")
    return client.post("/admin/standard", data=data, content_type="multipart/form-data")


def test_competency_list_upload_shows_pack_errors_then_loads(client, services):
    _people(services)
    _login(client)
    response = _upload(client, {"standard": (b"code,text\nX1,Something\n", "official.csv")})
    assert response.status_code == 422 and "official.csv: header: needs columns" in response.data.decode()
    bad_kind = b"code,kind,area,area_title,text\nZZ-K1,knowledge,ZZ,Test area,Know it\n"
    bad_kind += b"ZZ-S1,dance,ZZ,Test area,Do it\n"
    response = _upload(client, {"standard": (bad_kind, "official.csv")})
    assert (
        "official.csv: line 3 (ZZ-S1): kind: must be knowledge, skill or behaviour" in response.data.decode()
    )
    good = (
        b"standard_code,standard_title,code,kind,area,area_title,text\n"
        b"ZZ-TEST,Test standard,ZZ-K1,knowledge,ZZ,Test area,Know it\n"
        b"ZZ-TEST,Test standard,ZZ-S1,skill,ZZ,Test area,Do it\n"
    )
    bad_map = b"target,competency\nNOT-A-LESSON,ZZ-K1\n"
    response = _upload(client, {"standard": (good, "official.csv"), "mapping": (bad_map, "map.csv")})
    assert "map.csv: line 2: target: no lesson or quiz item" in response.data.decode()
    services.catalogue()
    try:
        response = _upload(client, {"standard": (good, "official.csv")})
        assert response.status_code == 302
        assert services._catalogue is None  # reloaded on next use
        with services.db.read_session() as session:
            standard = session.exec(select(Standard).where(Standard.code == "ZZ-TEST")).one()
            codes = session.exec(select(Competency.code).where(Competency.standard_id == standard.id)).all()
        assert sorted(codes) == ["ZZ-K1", "ZZ-S1"]
        assert _audit(services, "standard.import")[0].target == "ZZ-TEST"
    finally:  # the curriculum is shared by the whole test session
        with services.db.session() as session:
            ids = session.exec(select(Standard.id).where(Standard.code == "ZZ-TEST")).all()
            session.exec(delete(Competency).where(col(Competency.standard_id).in_(ids)))
            session.exec(delete(Standard).where(col(Standard.id).in_(ids)))
        services.reload_catalogue()


# --- outcomes ------------------------------------------------------------------------------------------


def test_outcomes_page_renders_the_demo_cohort_with_charts(client, services):
    now = utcnow()
    with services.db.session() as session:
        seed_demo(session, load_pack(services.settings.content_pack_path), now, services.memory)
        refresh_all(session, services.catalogue(), services.memory, now, services.settings.epa_pass_mark)
        mentor = session.exec(select(Mentor).where(Mentor.email == DEMO_MENTOR_EMAIL)).one()
        learner = session.exec(select(Learner).where(Learner.name == "Jamie")).one()
        session.add(
            Escalation(
                learner_id=learner.id,
                mentor_id=mentor.id,
                kind="mentor",
                status="closed",
                created_at=now - timedelta(hours=3),
                mentor_replied_at=now - timedelta(hours=2, minutes=30),
                closed_at=now - timedelta(hours=2),
            )
        )
        session.add_all(
            VariantAssignment(
                learner_id=learner.id,
                kind="streak_at_risk",
                variant="a",
                settle_after=now,
                settled=True,
                rewarded_at=now if n < 3 else None,
            )
            for n in range(4)
        )
        session.add(Message(direction="in", phone=learner.phone, learner_id=learner.id, body="hi"))
    _login(client, DEMO_MENTOR_EMAIL, DEMO_MENTOR_PASSWORD)
    response = client.get("/admin/outcomes")
    page = response.data.decode()
    assert response.status_code == 200
    assert page.count("<svg") >= 4
    assert "Daily active learners" in page and "active today (" in page
    assert "weeks</b> median from start to 85% mastery" in page and "12 to 18 weeks" in page
    assert "0.5 hours</b> over 1 closed request" in page and "median 30 min" in page
    assert "<td>streak at risk</td><td>a</td><td>4</td><td>3</td><td>75%</td>" in page
    assert "Gateway readiness" in page
    assert "over 10 mock papers" in page  # the demo cohort's papers, checked against their predictions
    assert "<tr><td>90–100%</td><td>1</td><td>95%</td><td>100%</td></tr>" in page
    for phone in ("+447700900101", "7700900101"):
        assert phone not in page


def test_outcomes_page_renders_with_no_learners(client, services):
    _people(services)
    with services.db.session() as session:
        session.exec(delete(Learner))
    _login(client)
    page = client.get("/admin/outcomes").data.decode()
    assert "No predictions yet" in page and "No nudges sent yet" in page and "<svg" in page


def _last_message_id(services) -> int:
    with services.db.read_session() as session:
        return max(session.exec(select(Message.id)).all() or [0])


def _replies(services, after: int) -> list[str]:
    with services.db.read_session() as session:
        rows = session.exec(
            select(Message)
            .where(Message.phone == JAMIE, Message.direction == "out", col(Message.id) > after)
            .order_by(col(Message.id))
        ).all()
    return [m.body for m in rows]
