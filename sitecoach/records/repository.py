"""Persistence for skills: reviews, events, evidence, escalations and progress, on one session."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import Session, col, func, select

from sitecoach.curriculum.catalogue import Catalogue
from sitecoach.infra.llm import LLMCall
from sitecoach.learning.history import trace_item
from sitecoach.learning.knowledge import known_now, score_answer
from sitecoach.learning.mastery import CompetencyEvidence, MasteryReport, mastery_report, streak_days
from sitecoach.learning.memory import Memory
from sitecoach.models import (
    Consent,
    ConsentMethod,
    Escalation,
    EscalationStatus,
    EventKind,
    EvidenceItem,
    EvidenceStatus,
    Learner,
    LearningEvent,
    LLMUsage,
    Mentor,
    Message,
    ReviewState,
)
from sitecoach.records.audit import append_event
from sitecoach.records.consent import record_consent
from sitecoach.records.insights import InsightsService, LearnerInsights
from sitecoach.records.opt_out import cancel_pending_sends
from sitecoach.records.safeguarding import PLACEHOLDER as SAFEGUARDING_PLACEHOLDER


@dataclass(frozen=True)
class EscalationTicket:
    """An opened escalation, the learner's mentor (if any) and the phone to alert (if any)."""

    escalation: Escalation
    mentor: Mentor | None
    contact: str | None


PRIVATE_SKILLS = ("wellbeing", "safeguarding")  # their turns never travel as conversation context


class CoachRepository:
    """Reads and writes what the skills need; everything in the caller's transaction."""

    def __init__(self, session: Session, catalogue: Catalogue, memory: Memory) -> None:
        self.session = session
        self.catalogue = catalogue
        self.memory = memory

    # events -------------------------------------------------------------------------------------
    def add_event(self, learner: Learner, kind: EventKind | str, now: datetime, /, **data: Any) -> None:
        """Append one learning event."""
        append_event(self.session, int(learner.id or 0), str(kind), now, data)

    def activity_times(self, learner: Learner, since: datetime) -> list[datetime]:
        """When the learner was active (events and inbound messages) since a time."""
        events = self.session.exec(
            select(LearningEvent.at).where(LearningEvent.learner_id == learner.id, LearningEvent.at >= since)
        ).all()
        inbound = self.session.exec(
            select(Message.created_at).where(
                Message.learner_id == learner.id, Message.direction == "in", Message.created_at >= since
            )
        ).all()
        return list(events) + list(inbound)

    def lessons_opened(self, learner: Learner) -> set[str]:
        """Lesson codes the learner has opened."""
        rows = self.session.exec(
            select(LearningEvent.data).where(
                LearningEvent.learner_id == learner.id, LearningEvent.kind == EventKind.LESSON_WATCHED
            )
        ).all()
        return {str(r.get("lesson")) for r in rows if r.get("lesson")}

    # reviews ------------------------------------------------------------------------------------
    def review_states(self, learner: Learner) -> dict[int, ReviewState]:
        """The learner's FSRS card per quiz item id."""
        rows = self.session.exec(select(ReviewState).where(ReviewState.learner_id == learner.id)).all()
        return {r.quiz_item_id: r for r in rows}

    def record_review(self, learner: Learner, item_id: int, correct: bool, now: datetime) -> ReviewState:
        """Score the answer against what the learner was shown to know before it, schedule the item's next
        review, and log the event with that estimate (`known_before`, `chance_right`)."""
        state = self.session.exec(
            select(ReviewState).where(
                ReviewState.learner_id == learner.id, ReviewState.quiz_item_id == item_id
            )
        ).first()
        item = self.catalogue.items_by_id.get(item_id)
        belief = self._belief(learner, state, item.code if item else None)
        known = known_now(belief, self.memory.retrievability(state.card, now) if state else 0.0)
        score = score_answer(known, state is not None, correct)
        outcome = self.memory.review(state.card if state else None, correct, now)
        if state is None:
            state = ReviewState(
                learner_id=learner.id, quiz_item_id=item_id, card=outcome.card, due=outcome.due
            )
        state.card = outcome.card
        state.due = outcome.due
        state.known = score.belief_after
        state.reps += 1
        state.lapses += 0 if correct else 1
        state.last_correct = correct
        state.last_reviewed_at = now
        self.session.add(state)
        self.add_event(
            learner,
            EventKind.QUIZ_ANSWERED,
            now,
            item=item.code if item else item_id,
            correct=correct,
            competencies=list(item.competencies) if item else [],
            known_before=round(score.known_before, 4),
            chance_right=round(score.chance_right, 4),
        )
        return state

    def _belief(self, learner: Learner, state: ReviewState | None, item_code: str | None) -> float:
        """The item's belief at its last answer (0 if never answered)."""
        if state is None:
            return 0.0
        if state.known is not None:
            return float(state.known)
        return self._traced_beliefs(learner, {item_code or ""}).get(item_code or "", 0.0)

    def _traced_beliefs(self, learner: Learner, item_codes: set[str]) -> dict[str, float]:
        """Beliefs traced from the answer log, for review rows written before beliefs were kept."""
        rows = self.session.exec(
            select(LearningEvent.at, LearningEvent.data)
            .where(LearningEvent.learner_id == learner.id, LearningEvent.kind == EventKind.QUIZ_ANSWERED)
            .order_by(col(LearningEvent.seq))
        ).all()
        answers: dict[str, list[tuple[datetime, bool]]] = {code: [] for code in item_codes}
        for at, data in rows:
            code = str(data.get("item"))
            if code in answers:
                answers[code].append((at, bool(data.get("correct"))))
        return {code: trace_item(self.memory, seq)[1] for code, seq in answers.items()}

    def due_count(self, learner: Learner, now: datetime) -> int:
        """How many reviews are due now."""
        return int(
            self.session.exec(
                select(func.count())
                .select_from(ReviewState)
                .where(ReviewState.learner_id == learner.id, ReviewState.due <= now)
            ).one()
        )

    # progress -----------------------------------------------------------------------------------
    def mastery(self, learner: Learner, now: datetime, standard_code: str | None = None) -> MasteryReport:
        """Mastery per competency, area and overall for the learner's standard (the documented paths in
        `learning/mastery.py`, from each item's belief and recall now, and signed evidence)."""
        states = self.review_states(learner)
        signed = self.signed_evidence_by_competency(learner)
        comps = self.catalogue.competencies_of_standard(standard_code)
        items_by_comp: dict[str, list[int]] = {}
        for item in self.catalogue.items.values():
            for code in item.competencies:
                items_by_comp.setdefault(code, []).append(item.id)
        codes = {
            item_id: item.code for item_id in states if (item := self.catalogue.items_by_id.get(item_id))
        }
        legacy = (
            self._traced_beliefs(
                learner, {codes[i] for i, st in states.items() if st.known is None and i in codes}
            )
            if any(st.known is None for st in states.values())
            else {}
        )
        known: dict[int, float] = {}
        for item_id, state in states.items():
            belief = state.known if state.known is not None else legacy.get(codes.get(item_id, ""), 0.0)
            known[item_id] = known_now(float(belief), self.memory.retrievability(state.card, now))
        evidence = [
            CompetencyEvidence(
                code=comp.code,
                kind=comp.kind,
                area=comp.area_code,
                known=tuple(known.get(i, 0.0) for i in items_by_comp.get(comp.code, [])),
                signed_evidence=signed.get(comp.code, 0),
            )
            for comp in comps
        ]
        titles = {c.area_code: c.area_title for c in comps}
        return mastery_report(evidence, titles)

    def insights(self, learner: Learner, now: datetime, epa_pass_mark: float) -> LearnerInsights:
        """Everything about the learner's learning (records newly earned badges)."""
        return InsightsService(self.session, self.catalogue, self.memory, epa_pass_mark).insights(
            learner, now
        )

    def recent_turns(self, learner: Learner, before_id: int | None, limit: int = 6) -> list[tuple[str, str]]:
        """The last few turns of the conversation, oldest first: ("learner" | "coach", text). A crisis
        disclosure and the coach's answer to it are left out: they are nobody's context (nor Claude's)."""
        addresses = [a for a in (learner.phone, learner.bsuid) if a]
        query = select(Message).where(Message.learner_id == learner.id, col(Message.phone).in_(addresses))
        if before_id is not None:
            query = query.where(col(Message.id) < before_id)
        rows = self.session.exec(query.order_by(col(Message.id).desc()).limit(limit)).all()
        return [
            ("learner" if m.direction == "in" else "coach", m.body[:600])
            for m in reversed(rows)
            if m.body
            and not {m.intent, m.skill, m.kind} & set(PRIVATE_SKILLS)
            and m.body != SAFEGUARDING_PLACEHOLDER
        ]

    def llm_allowed(self, learner: Learner, now: datetime, daily_tokens: int, hourly_calls: int) -> bool:
        """Whether the learner is within their model budget (tokens today, calls this hour)."""
        today = now.replace(hour=0, minute=0, second=0, microsecond=0)
        used = self.session.exec(
            select(func.coalesce(func.sum(LLMUsage.input_tokens + LLMUsage.output_tokens), 0)).where(
                LLMUsage.learner_id == learner.id, LLMUsage.at >= today
            )
        ).one()
        calls = self.session.exec(
            select(func.count())
            .select_from(LLMUsage)
            .where(LLMUsage.learner_id == learner.id, LLMUsage.at >= now - timedelta(hours=1))
        ).one()
        return int(used) < daily_tokens and int(calls) < hourly_calls

    def record_llm(
        self, learner: Learner, purpose: str, call: LLMCall, model: str, cost_usd: float, now: datetime
    ) -> None:
        """Store what one model call used and how it ended."""
        self.session.add(
            LLMUsage(
                learner_id=learner.id,
                at=now,
                purpose=purpose,
                model=model,
                input_tokens=call.input_tokens,
                output_tokens=call.output_tokens,
                cost_usd=cost_usd,
                latency_ms=call.latency_ms,
                outcome=call.outcome,
            )
        )

    def otj_hours(self, learner: Learner) -> float:
        """Off-the-job training hours logged so far."""
        rows = self.session.exec(
            select(LearningEvent.data).where(
                LearningEvent.learner_id == learner.id, LearningEvent.kind == EventKind.OTJ_HOURS
            )
        ).all()
        return round(sum(float(r.get("hours", 0)) for r in rows), 2)

    def streak(self, learner: Learner, now: datetime) -> int:
        """Days in a row the learner has been active, in their time zone."""
        return streak_days(self.activity_times(learner, now - timedelta(days=400)), now, learner.timezone)

    # evidence -----------------------------------------------------------------------------------
    def signed_evidence_by_competency(self, learner: Learner) -> Counter[str]:
        """How many signed-off evidence items claim each competency."""
        counts: Counter[str] = Counter()
        rows = self.session.exec(
            select(EvidenceItem.competencies).where(
                EvidenceItem.learner_id == learner.id, EvidenceItem.status == EvidenceStatus.SIGNED_OFF
            )
        ).all()
        for codes in rows:
            counts.update(codes)
        return counts

    def evidence_counts(self, learner: Learner) -> Counter[str]:
        """Evidence items by status."""
        rows = self.session.exec(
            select(EvidenceItem.status).where(EvidenceItem.learner_id == learner.id)
        ).all()
        return Counter(rows)

    def add_evidence(self, learner: Learner, now: datetime, **fields: Any) -> EvidenceItem:
        """Store an evidence item awaiting mentor sign-off."""
        item = EvidenceItem(learner_id=learner.id, created_at=now, captured_at=now, **fields)
        self.session.add(item)
        self.session.flush()
        self.add_event(
            learner, EventKind.EVIDENCE_LOGGED, now, evidence=item.id, competencies=item.competencies
        )
        return item

    # people and escalations ---------------------------------------------------------------------
    def mentor_of(self, learner: Learner) -> Mentor | None:
        """The learner's mentor, if assigned."""
        return self.session.get(Mentor, learner.mentor_id) if learner.mentor_id else None

    def open_escalation(
        self,
        learner: Learner,
        kind: str,
        reason: str,
        now: datetime,
        priority: str = "normal",
        context: dict[str, Any] | None = None,
    ) -> Escalation:
        """Open an escalation to the learner's mentor and log it."""
        escalation = Escalation(
            learner_id=learner.id,
            mentor_id=learner.mentor_id,
            kind=kind,
            priority=priority,
            reason=reason,
            context=context or {},
            created_at=now,
        )
        self.session.add(escalation)
        self.session.flush()
        self.add_event(
            learner, EventKind.ESCALATION_OPENED, now, escalation=escalation.id, escalation_kind=kind
        )
        return escalation

    def escalate(
        self,
        learner: Learner,
        kind: str,
        text: str,
        now: datetime,
        *,
        message_id: int | None,
        fallback_phone: str | None,
        priority: str = "normal",
    ) -> EscalationTicket:
        """Open an escalation and say who should hear about it: the mentor, else the fallback contact."""
        escalation = self.open_escalation(
            learner, kind, reason=text[:500], now=now, priority=priority, context={"message_id": message_id}
        )
        mentor = self.mentor_of(learner)
        contact = (mentor.phone if mentor else None) or fallback_phone
        return EscalationTicket(escalation, mentor, contact)

    def open_escalations(self, learner: Learner) -> list[Escalation]:
        """The learner's open escalations, newest first."""
        return list(
            self.session.exec(
                select(Escalation)
                .where(Escalation.learner_id == learner.id, Escalation.status == EscalationStatus.OPEN)
                .order_by(col(Escalation.created_at).desc())
            ).all()
        )

    def set_consent(
        self,
        learner: Learner,
        consent: Consent,
        now: datetime,
        method: ConsentMethod,
        *,
        wording: str = "",
        message_id: int | None = None,
    ) -> None:
        """Record an opt-in or opt-out: the learner's consent, a consent record row and a learning event; an
        opt-out cancels what is still waiting to be sent to them."""
        record_consent(
            self.session, learner, consent, method, now, wording=wording, message_id=message_id
        )
        self.add_event(learner, EventKind.CONSENT_CHANGED, now, consent=str(consent))
        if consent == Consent.OPTED_OUT:
            cancel_pending_sends(self.session, learner)
