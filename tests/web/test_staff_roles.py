"""Admins make provider users and link them to cohorts: on the People page, or in the staff CSV import
(is_provider, is_dsl, cohorts); the provider user then sees that cohort's learners and nobody else's."""

from __future__ import annotations

import re

from sqlmodel import select
from werkzeug.security import generate_password_hash

from sitecoach.models import AdminAuditLog, Cohort, CohortProvider, Consent, Learner, Mentor
from tests.conftest import form_token, log_in

PASSWORD = "staff roles password"


def _world(services) -> dict[str, int]:  # type: ignore[no-untyped-def]
    with services.db.session() as session:
        north = Cohort(name="Roles North", standard_code="ST1332")
        south = Cohort(name="Roles South", standard_code="ST1332")
        admin = Mentor(
            name="Ada",
            email="ada.s@example.test",
            is_admin=True,
            password_hash=generate_password_hash(PASSWORD),
        )
        dana = Mentor(
            name="Dana", email="dana.s@example.test", password_hash=generate_password_hash(PASSWORD)
        )
        session.add_all([north, south, admin, dana])
        session.flush()
        session.add_all(
            [
                Learner(
                    phone="+447700900611", name="Nia North", cohort_id=north.id, consent=Consent.OPTED_IN
                ),
                Learner(
                    phone="+447700900612", name="Sol South", cohort_id=south.id, consent=Consent.OPTED_IN
                ),
            ]
        )
        return {"north": int(north.id or 0), "south": int(south.id or 0), "dana": int(dana.id or 0)}


def _provider_page(app, email: str, password: str = PASSWORD) -> str:  # type: ignore[no-untyped-def]
    client = app.test_client()
    log_in(client, email, password)
    response = client.get("/provider")
    return response.data.decode() if response.status_code == 200 else str(response.status_code)


def test_the_people_page_makes_a_staff_member_a_provider_of_a_cohort_and_undoes_it(app, client, services):
    ids = _world(services)
    log_in(client, "ada.s@example.test", PASSWORD)
    assert _provider_page(app, "dana.s@example.test") == "404"  # a plain mentor has no provider page
    token = form_token(client, "/admin")
    saved = client.post(
        f"/admin/staff/{ids['dana']}/roles",
        data={"csrf_token": token, "is_provider": "1", "is_dsl": "1", "cohort": [str(ids["north"])]},
        follow_redirects=True,
    )
    assert "Dana: roles saved." in saved.data.decode()
    page = _provider_page(app, "dana.s@example.test")
    assert "Nia North" in page and "Sol South" not in page
    with services.db.read_session() as session:
        dana = session.get(Mentor, ids["dana"])
        assert dana.is_provider and dana.is_dsl
        assert session.exec(select(AdminAuditLog).where(AdminAuditLog.action == "staff.roles")).first()
    people = client.get("/admin").data.decode()
    assert re.search(rf'name="cohort" value="{ids["north"]}" checked', people)

    refused = client.post(
        f"/admin/staff/{ids['dana']}/roles", data={"csrf_token": token, "is_dsl": "1"}, follow_redirects=True
    )
    assert "must be a provider user" in refused.data.decode()
    client.post(f"/admin/staff/{ids['dana']}/roles", data={"csrf_token": token})  # nothing ticked
    assert _provider_page(app, "dana.s@example.test") == "404"
    with services.db.read_session() as session:
        assert session.exec(select(CohortProvider)).all() == []


def test_the_staff_import_creates_provider_users_linked_to_their_cohorts(app, client, services):
    _world(services)
    log_in(client, "ada.s@example.test", PASSWORD)
    header = "name,email,phone,password,is_admin,is_provider,is_dsl,cohorts\n"
    good = header + "Lee,lee.s@example.test,,a-long-password-1,no,yes,yes,Roles North;Roles South\n"
    bad = good + "Mo,mo.s@example.test,,a-long-password-2,no,no,yes,\n"
    bad += "Pat,pat.s@example.test,,a-long-password-3,no,yes,no,Roles West\n"
    bad += "Kit,kit.s@example.test,,a-long-password-4,no,no,no,Roles North\n"

    def post(text: str, action: str):  # type: ignore[no-untyped-def]
        token = form_token(client, "/admin")
        return client.post("/admin/import/mentors", data={"csv": text, "action": action, "csrf_token": token})

    page = post(bad, "dry_run").data.decode()
    for expected in (
        "line 3: is_dsl: a safeguarding lead must be a provider user",
        "line 4: cohorts: no cohort named &#39;Roles West&#39;",
        "line 5: cohorts: only provider users are linked to cohorts",
    ):
        assert expected in page, expected
    assert post(good, "import").status_code == 200
    page = _provider_page(app, "lee.s@example.test", "a-long-password-1")
    assert "Nia North" in page and "Sol South" in page
    with services.db.read_session() as session:
        lee = session.exec(select(Mentor).where(Mentor.email == "lee.s@example.test")).one()
        assert lee.is_provider and lee.is_dsl and not lee.is_admin
