"""Who may do what with a progress review, route by route: the learner's signed link, their mentor, another
mentor, a provider user of their cohort, a provider user of another cohort, an admin, and nobody logged in.

A learner the staff member may not see is a 404 (not even confirmed to exist); a review they see but may not
act on is a 403; nobody logged in is sent to the login page.
"""

from __future__ import annotations

from itsdangerous import TimestampSigner, URLSafeTimedSerializer
from sqlmodel import select

from sitecoach.infra.links import REVIEW_SALT, LinkSigner
from sitecoach.models import Mentor, Message, ProgressReview, utcnow
from tests.conftest import form_token, log_in, run_worker
from tests.web.review_world import EMAILS, LEARNER_PHONE, PASSWORD, drafted_review, make_world, run_clock

STAFF = ("mentor", "other_mentor", "provider", "other_provider", "admin")


def _clients(app):  # type: ignore[no-untyped-def]
    """A logged-in client per staff member, and an anonymous one, each with its own CSRF token."""
    clients = {}
    for who in STAFF:
        client = app.test_client()
        log_in(client, EMAILS[who], PASSWORD)
        clients[who] = (client, form_token(client, "/mentor"))
    anonymous = app.test_client()
    clients["anonymous"] = (anonymous, form_token(anonymous, "/login"))
    return clients


def _drafted(services):  # type: ignore[no-untyped-def]
    world = make_world(services)
    run_clock(services, "draft-progress-reviews", utcnow())
    return world, drafted_review(services, world.learner)


def _status(services, review_id: int) -> ProgressReview:  # type: ignore[no-untyped-def]
    with services.db.read_session() as session:
        return session.get(ProgressReview, review_id)


def test_reading_a_review_and_its_pdf(app, services):
    _world, review = _drafted(services)
    clients = _clients(app)
    expected = {"mentor": 200, "other_mentor": 404, "provider": 200, "other_provider": 404, "admin": 200}
    for who, status in expected.items():
        assert clients[who][0].get(f"/mentor/reviews/{review.id}").status_code == status, who
        assert clients[who][0].get(f"/mentor/reviews/{review.id}/review.pdf").status_code == 404, (
            who
        )  # unsigned
    anonymous = clients["anonymous"][0].get(f"/mentor/reviews/{review.id}")
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]
    assert clients["anonymous"][0].get(f"/mentor/reviews/{review.id}/review.pdf").status_code == 302


def test_editing_and_marking_ready_is_for_the_mentor_or_an_admin(app, services):
    _world, review = _drafted(services)
    clients = _clients(app)
    refused = {"other_mentor": 404, "provider": 403, "other_provider": 404, "anonymous": 302}
    for who, status in refused.items():
        client, token = clients[who]
        edit = client.post(
            f"/mentor/reviews/{review.id}/edit", data={"csrf_token": token, "concerns": f"by {who}"}
        )
        ready = client.post(f"/mentor/reviews/{review.id}/ready", data={"csrf_token": token})
        assert (edit.status_code, ready.status_code) == (status, status), who
    assert _status(services, review.id).version == 1 and _status(services, review.id).status == "draft"
    for who in ("admin", "mentor"):
        client, token = clients[who]
        client.post(f"/mentor/reviews/{review.id}/edit", data={"csrf_token": token, "concerns": f"by {who}"})
    assert _status(services, review.id).version == 3
    mentor, token = clients["mentor"]
    assert mentor.post(f"/mentor/reviews/{review.id}/ready", data={"csrf_token": token}).status_code == 302
    assert _status(services, review.id).status == "ready"


def test_signing_for_the_employer_and_for_the_provider(app, services):
    _world, review = _drafted(services)
    clients = _clients(app)
    mentor, token = clients["mentor"]
    mentor.post(f"/mentor/reviews/{review.id}/ready", data={"csrf_token": token})
    employer = {"other_mentor": 404, "provider": 403, "other_provider": 404, "admin": 403, "anonymous": 302}
    provider = {"mentor": 403, "other_mentor": 404, "other_provider": 404, "admin": 403, "anonymous": 302}
    for role, refused in (("employer", employer), ("provider", provider)):
        for who, status in refused.items():
            client, own_token = clients[who]
            answer = client.post(
                f"/mentor/reviews/{review.id}/sign", data={"csrf_token": own_token, "role": role}
            )
            assert answer.status_code == status, (role, who)
    row = _status(services, review.id)
    assert row.employer_signed_at is None and row.provider_signed_at is None
    assert (
        mentor.post(
            f"/mentor/reviews/{review.id}/sign", data={"csrf_token": token, "role": "employer"}
        ).status_code
        == 302
    )
    client, own_token = clients["provider"]
    client.post(f"/mentor/reviews/{review.id}/sign", data={"csrf_token": own_token, "role": "provider"})
    row = _status(services, review.id)
    assert row.employer_signed_at is not None and row.provider_signed_at is not None
    assert row.status == "ready"  # the apprentice has not signed yet


def test_the_provider_page_lists_their_cohorts_learners_only(app, services):
    _drafted(services)
    clients = _clients(app)
    mine = clients["provider"][0].get("/provider")
    assert mine.status_code == 200 and "Jamie Review" in mine.data.decode()
    otj_line = "30 hours logged (0 verified by the mentor) of 400 planned"
    assert otj_line in mine.data.decode()  # the OTJ position
    assert "review 1: draft" in mine.data.decode()
    theirs = clients["other_provider"][0].get("/provider")
    assert theirs.status_code == 200 and "Jamie Review" not in theirs.data.decode()
    assert "Jamie Review" in clients["admin"][0].get("/provider").data.decode()
    for who in ("mentor", "other_mentor"):
        assert clients[who][0].get("/provider").status_code == 404, who
    assert clients["anonymous"][0].get("/provider").status_code == 302
    # the provider opens the learner's page read-only: no sign-off buttons, the review linked
    page = clients["provider"][0].get(f"/mentor/learners/{_world_learner(services)}").data.decode()
    assert "Review 1" in page


def _world_learner(services) -> int:  # type: ignore[no-untyped-def]
    with services.db.read_session() as session:
        return int(session.exec(select(ProgressReview.learner_id)).first())


def _past_token(secret: str, learner_id: int, review_id: int) -> str:
    class PastSigner(TimestampSigner):
        def get_timestamp(self) -> int:
            return super().get_timestamp() - 20 * 86400

    return URLSafeTimedSerializer(secret, salt=REVIEW_SALT, signer=PastSigner).dumps(
        {"l": learner_id, "r": review_id}
    )


def test_the_learners_link_opens_only_their_ready_review(app, services):
    world, review = _drafted(services)
    links = services.links
    anyone = app.test_client()
    assert anyone.get(f"/review/{links.review_token(world.learner, review.id)}").status_code == 404  # a draft
    clients = _clients(app)
    mentor, token = clients["mentor"]
    mentor.post(f"/mentor/reviews/{review.id}/ready", data={"csrf_token": token})
    good = links.review_token(world.learner, review.id)
    assert anyone.get(f"/review/{good}").status_code == 200
    assert anyone.get(f"/review/{good[:-3]}aaa").status_code == 403  # tampered
    assert anyone.get(f"/review/{links.review_token(world.learner + 999, review.id)}").status_code == 404
    forged = LinkSigner("someone-elses-secret-0123456789abcdef", "https://x", 14).review_token(
        world.learner, review.id
    )
    assert anyone.post(f"/review/{forged}/sign", data={"agree": "yes"}).status_code == 403
    lesson_token = links.token(world.learner, "L03")  # a lesson link is not a review link
    assert anyone.get(f"/review/{lesson_token}").status_code == 403
    for who in STAFF:  # staff cannot sign for the apprentice without their link
        client, own_token = clients[who]
        assert client.post(
            f"/mentor/reviews/{review.id}/sign", data={"csrf_token": own_token, "role": "learner"}
        ).status_code in (403, 404), who
    assert _status(services, review.id).learner_signed_at is None


def test_an_expired_link_offers_a_fresh_one_on_whatsapp(app, services):
    world, review = _drafted(services)
    clients = _clients(app)
    mentor, token = clients["mentor"]
    mentor.post(f"/mentor/reviews/{review.id}/ready", data={"csrf_token": token})
    run_worker(services)
    old = _past_token(services.settings.secret_key, world.learner, review.id)
    anyone = app.test_client()
    expired = anyone.get(f"/review/{old}")
    assert expired.status_code == 410 and b"This link has expired" in expired.data
    assert anyone.post(f"/review/{old}/sign", data={"agree": "yes"}).status_code == 410
    sent = anyone.post("/review/refresh", data={"token": old})
    assert b"Check WhatsApp" in sent.data
    anyone.post("/review/refresh", data={"token": old})  # a second tap the same day sends nothing more
    run_worker(services)
    with services.db.read_session() as session:
        fresh = session.exec(
            select(Message).where(Message.phone == LEARNER_PHONE, Message.kind == "fresh_link")
        ).all()
    assert len(fresh) == 1 and "/review/" in fresh[0].body
    assert anyone.post("/review/refresh", data={"token": old[:-3] + "aaa"}).status_code == 403


def test_only_an_admin_sets_staff_roles(app, services):
    world = make_world(services)
    clients = _clients(app)
    expected = {"mentor": 404, "other_mentor": 404, "provider": 404, "other_provider": 404, "anonymous": 302}
    for who, status in expected.items():
        client, token = clients[who]
        answer = client.post(
            f"/admin/staff/{world.mentor}/roles", data={"csrf_token": token, "is_provider": "1"}
        )
        assert answer.status_code == status, who
    with services.db.read_session() as session:
        assert not session.get(Mentor, world.mentor).is_provider
    client, token = clients["admin"]
    assert (
        client.post(
            f"/admin/staff/{world.mentor}/roles", data={"csrf_token": token, "is_provider": "1"}
        ).status_code
        == 302
    )
    with services.db.read_session() as session:
        assert session.get(Mentor, world.mentor).is_provider
