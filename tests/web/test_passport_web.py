"""The passport on the learner's page, route by route: the learner's mentor (and an admin) record
authorisations and assessments with evidence attached; a provider user of the cohort reads them but may
not record; another mentor does not even see the learner; employers' lists are admins' only."""

from __future__ import annotations

import io

from PIL import Image
from sqlmodel import select

from sitecoach.models import (
    Employer,
    EventKind,
    EvidenceItem,
    LearningEvent,
    PassportAuthorisation,
    PracticalAssessment,
)
from tests.conftest import add_admin, form_token, log_in
from tests.passport_world import MENTOR_EMAIL, OTHER_EMAIL, PASSWORD, PROVIDER_EMAIL, make_world


def _png() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 30, 30)).save(buf, format="PNG")
    return buf.getvalue()


def _grant_form(token: str, **extra):
    return {
        "csrf_token": token,
        "code": "AUTH-SUPERVISED",
        "granted_on": "2026-12-01",
        "expires_on": "",
        "notes": "signed by the ops manager",
        **extra,
    }


def test_the_mentor_records_an_authorisation_with_an_uploaded_photo_and_an_assessment_with_linked_evidence(
    client, services
):
    world = make_world(services)
    with services.db.session() as session:
        site = EvidenceItem(learner_id=world.learner, note="pot end on site", competencies=["JNT-S1"])
        session.add(site)
        session.flush()
        site_id = int(site.id or 0)
    log_in(client, MENTOR_EMAIL, PASSWORD)
    page = f"/mentor/learners/{world.learner}"
    token = form_token(client, page)
    granted = client.post(
        f"{page}/passport/authorisations",
        data=_grant_form(token, evidence_file=(io.BytesIO(_png()), "sheet.png")),
        content_type="multipart/form-data",
    )
    assert granted.status_code == 302
    assessed = client.post(
        f"{page}/passport/assessments",
        data={
            "csrf_token": token,
            "code": "ASSESS-LV-POTEND",
            "assessor": "Alex Assessor",
            "assessed_on": "2026-12-02",
            "result": "pass",
            "evidence_id": str(site_id),
        },
    )
    assert assessed.status_code == 302
    shown = client.get(page).data.decode()
    assert "Working under personal supervision" in shown and "LV pot end" in shown
    assert "Next: <b>LV straight joint</b>" in shown
    with services.db.session() as session:
        auth = session.exec(select(PassportAuthorisation)).one()
        upload = session.get(EvidenceItem, auth.evidence_id)
        assert upload.learner_id == world.learner and upload.media[0]["content_type"] == "image/png"
        assert session.exec(select(PracticalAssessment)).one().evidence_id == site_id
        kinds = session.exec(
            select(LearningEvent.kind).where(LearningEvent.learner_id == world.learner)
        ).all()
        assert kinds == [EventKind.AUTHORISATION_GRANTED, EventKind.ASSESSMENT_RECORDED]
    photo = client.get(f"/mentor/evidence/{auth.evidence_id}/media/0")
    assert photo.status_code == 200 and photo.data == _png()
    csv = client.get(f"{page}/passport.csv").data.decode()
    assert "Authorisation,Working under personal supervision,2026-12-01,2027-12-01,Pat Mentor,Granted" in csv


def test_a_file_that_is_not_a_photo_or_pdf_is_refused_and_nothing_is_recorded(client, services):
    world = make_world(services)
    log_in(client, MENTOR_EMAIL, PASSWORD)
    page = f"/mentor/learners/{world.learner}"
    refused = client.post(
        f"{page}/passport/authorisations",
        data=_grant_form(
            form_token(client, page), evidence_file=(io.BytesIO(b"MZ\x90\x00 a program"), "x.pdf")
        ),
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    assert "attach a photo (JPEG or PNG) or a PDF" in refused.data.decode()
    with services.db.session() as session:
        assert session.exec(select(PassportAuthorisation)).all() == []
        assert session.exec(select(EvidenceItem)).all() == []


def test_a_provider_user_reads_the_passport_but_may_not_record_or_revoke(client, services):
    world = make_world(services)
    log_in(client, MENTOR_EMAIL, PASSWORD)
    page = f"/mentor/learners/{world.learner}"
    client.post(f"{page}/passport/authorisations", data=_grant_form(form_token(client, page)))
    client.post("/logout", data={"csrf_token": form_token(client, page)})
    log_in(client, PROVIDER_EMAIL, PASSWORD)
    shown = client.get(page).data.decode()
    assert "Working under personal supervision" in shown and "Record an authorisation" not in shown
    assert client.get(f"{page}/passport.csv").status_code == 200
    token = form_token(client, "/mentor")
    assert client.post(f"{page}/passport/authorisations", data=_grant_form(token)).status_code == 403
    assert client.post(f"{page}/passport/assessments", data=_grant_form(token)).status_code == 403
    with services.db.session() as session:
        auth_id = session.exec(select(PassportAuthorisation.id)).one()
    assert (
        client.post(
            f"/mentor/passport/authorisations/{auth_id}/revoke", data={"csrf_token": token}
        ).status_code
        == 403
    )


def test_another_mentor_does_not_see_the_learner_and_anonymous_visitors_log_in_first(client, services):
    world = make_world(services)
    page = f"/mentor/learners/{world.learner}"
    assert client.get(f"{page}/passport.csv").status_code == 302  # to the login page
    log_in(client, OTHER_EMAIL, PASSWORD)
    token = form_token(client, "/mentor")
    assert client.get(f"{page}/passport.csv").status_code == 404
    assert client.post(f"{page}/passport/authorisations", data=_grant_form(token)).status_code == 404
    assert client.get("/admin/employers").status_code == 404  # admins only


def test_an_admin_records_for_any_learner_and_edits_an_employers_list(client, services):
    world = make_world(services)
    add_admin(services, "ada.passport@example.test", PASSWORD)
    log_in(client, "ada.passport@example.test", PASSWORD)
    page = f"/mentor/learners/{world.learner}"
    token = form_token(client, page)
    assert client.post(f"{page}/passport/authorisations", data=_grant_form(token)).status_code == 302
    listing = client.get("/admin/employers").data.decode()
    assert "Southern Networks" in listing and "AUTH-SUPERVISED" in listing  # the pack's default, to edit
    bad = client.post(
        f"/admin/employers/{world.employer}/passport",
        data={
            "csrf_token": token,
            "passport": "steps:\n  - {code: X1, kind: assessment, title: Odd, lessons: [L99]}\n",
        },
        follow_redirects=True,
    )
    assert "unknown lesson" in bad.data.decode()
    client.post(
        f"/admin/employers/{world.employer}/passport",
        data={
            "csrf_token": token,
            "passport": "steps:\n  - {code: SN-CABLE, kind: assessment, title: Cable laying}\n",
        },
    )
    with services.db.session() as session:
        assert session.get(Employer, world.employer).passport["steps"][0]["code"] == "SN-CABLE"
    assert "Cable laying" in client.get(page).data.decode()  # the form now offers the employer's own list
