"""The admin outcomes page checks readiness predictions against mock papers sat through the real quiz
path (webhook, router, quiz skill, worker): Brier score against the base rate, and the reliability table;
an abandoned paper is left out and counted."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import col, select

from sitecoach.jobs import tasks as jobs
from sitecoach.learning.answers import LETTERS
from sitecoach.models import ConversationState, EventKind, LearningEvent, utcnow
from tests.conftest import add_admin
from tests.web.test_admin import _login

PHONE = "+447700900123"


def _letter(services, right: bool) -> str:
    """The right (or a wrong) letter for the mock question on screen."""
    with services.db.read_session() as session:
        data = session.exec(select(ConversationState)).one().data
    item = services.catalogue().items[data["paper"][data["index"]]]
    choice = item.answer_index if right else (item.answer_index + 1) % len(item.options)
    return LETTERS[choice]


def _sit_paper(coach, services, right: bool, questions: int = 3) -> None:
    coach.send("mock test", PHONE)
    for _ in range(questions):
        coach.send(_letter(services, right), PHONE)


def _mock_events(services) -> list[LearningEvent]:
    with services.db.read_session() as session:
        return list(
            session.exec(
                select(LearningEvent)
                .where(LearningEvent.kind == EventKind.MOCK_TEST)
                .order_by(col(LearningEvent.seq))
            ).all()
        )


def test_outcomes_page_scores_the_predictions_of_mock_papers_taken_in_whatsapp(coach, client, services):
    services.settings = services.settings.with_overrides(mock_test_questions=3)
    coach.onboard(PHONE)
    _sit_paper(coach, services, right=True)
    _sit_paper(coach, services, right=False)
    coach.send("mock test", PHONE)  # a third paper, left after one answer
    coach.send(_letter(services, True), PHONE)
    with services.db.session() as session:
        row = session.exec(select(ConversationState)).one()
        row.expires_at = utcnow() - timedelta(seconds=1)
        session.add(row)
    assert jobs.expire_conversations() == 1

    passed, failed, abandoned = _mock_events(services)
    assert (passed.data["passed"], failed.data["passed"]) == (True, False)
    assert abandoned.data.get("abandoned") is True
    p1, p2 = passed.data["predicted_pass_chance"], failed.data["predicted_pass_chance"]
    brier = ((p1 - 1) ** 2 + p2**2) / 2

    add_admin(services, "admin@example.test", "correct horse battery staple")
    _login(client, "admin@example.test", "correct horse battery staple")
    page = client.get("/admin/outcomes").data.decode()
    assert f"Brier score <b>{brier:.3f}</b> over 2 mock papers" in page
    assert "against <b>0.250</b> for always predicting the pass rate (50%)" in page
    assert "no better than the base rate" in page  # before practice, it predicted the pass as near 0
    assert "1 paper abandoned part-way is left out" in page
    bins = {}
    for p, result in ((p1, 1.0), (p2, 0.0)):
        bins.setdefault(min(9, int(p * 10 + 1e-9)), []).append((p, result))
    for k, group in bins.items():
        mean = sum(p for p, _ in group) / len(group)
        rate = sum(r for _, r in group) / len(group)
        cells = [f"{10 * k}–{10 * k + 10}%", str(len(group)), f"{100 * mean:.0f}%", f"{100 * rate:.0f}%"]
        assert "<tr><td>" + "</td><td>".join(cells) + "</td></tr>" in page
    assert "<tr><td>50–60%</td><td>0</td><td>—</td><td>—</td></tr>" in page or 5 in bins
