"""Everything we know about one learner's learning, assembled from the database for the coach and mentors:
mastery now and by day, trajectory, streak, badges, archetype, churn risk, EPA readiness, gateway, hours."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from sitecoach.curriculum.catalogue import Catalogue
from sitecoach.learning.archetype import Archetype, ChurnRisk, LearnerSignals, churn_risk, classify_archetype
from sitecoach.learning.badges import Badge, new_badges
from sitecoach.learning.forecast import Calibration, calibrate, load_calibration
from sitecoach.learning.gateway import GatewayReadiness, gateway_readiness
from sitecoach.learning.history import SERIES_DAYS, Curriculum, HistoryEvent, MasteryReplayer, Replay
from sitecoach.learning.mastery import MasteryReport, streak_days
from sitecoach.learning.memory import Memory
from sitecoach.learning.readiness import EpaReadiness, epa_readiness
from sitecoach.learning.trajectory import MasteryPoint, Trajectory, trajectory
from sitecoach.models import Cohort, EventKind, EvidenceItem, EvidenceStatus, Learner, LearningEvent, Message
from sitecoach.records.audit import append_event

NOT_LEARNER_ACTIVITY = frozenset(
    {EventKind.BADGE_AWARDED, EventKind.BADGE_WITHDRAWN, "streak_record", "gateway_celebrated"}
)  # events the coach records about a learner, not things the learner did
# Events that change no badge, streak, readiness or snapshot figure: a turn adding only these needs no check.
MILESTONE_NEUTRAL = frozenset({EventKind.LESSON_SENT, EventKind.CARD_SENT, EventKind.PROGRESS_VIEWED})
PLATEAU_BAND = 2.0  # mastery points: days within this band of today's value count as flat
PLATEAU_CEILING = 70.0  # a plateau at or above this is not a worry


@dataclass(frozen=True)
class LearnerInsights:
    """One learner's learning, as of `now`."""

    learner_id: int
    now: datetime
    report: MasteryReport
    series: tuple[MasteryPoint, ...]
    trajectory: Trajectory
    streak: int
    signals: LearnerSignals
    archetype: Archetype
    churn: ChurnRisk
    readiness: EpaReadiness
    gateway: GatewayReadiness
    badges_new: tuple[Badge, ...]  # awarded by this call
    badge_keys: frozenset[str]  # every badge held
    badges_since_last_view: tuple[str, ...]  # badge names awarded since progress was last viewed
    hours_total: float
    planned_hours: float
    evidence: Counter[str]

    @property
    def weakest_area(self) -> tuple[str, float] | None:
        """(area title, mastery) of the weakest area."""
        if not self.report.by_area:
            return None
        code, score = min(self.report.by_area.items(), key=lambda kv: (kv[1], kv[0]))
        return self.report.area_titles.get(code, code), score


def curriculum_for(catalogue: Catalogue, standard_code: str | None) -> Curriculum:
    """The replay curriculum for one standard (the default one when None)."""
    comps = catalogue.competencies_of_standard(standard_code)
    codes = {c.code for c in comps}
    return Curriculum(
        kinds={c.code: c.kind for c in comps},
        areas={c.code: c.area_code for c in comps},
        area_titles={c.area_code: c.area_title for c in comps},
        item_competencies={
            i.code: [c for c in i.competencies if c in codes] for i in catalogue.items.values()
        },
        lesson_competencies={
            lesson.code: [c for c in lesson.competencies if c in codes]
            for lesson in catalogue.lessons.values()
        },
    )


@cache
def shipped_calibration() -> Calibration | None:
    """The forecast calibration shipped with the package (read once per process)."""
    return load_calibration()


def badges_held(events: list[LearningEvent]) -> set[str]:
    """The badge keys a learner holds: awarded, and not withdrawn since."""
    held: set[str] = set()
    for event in events:
        key = str(event.data.get("badge"))
        if event.kind == EventKind.BADGE_AWARDED:
            held.add(key)
        elif event.kind == EventKind.BADGE_WITHDRAWN:
            held.discard(key)
    return held


def _plateau_days(series: tuple[MasteryPoint, ...]) -> int:
    if not series or series[-1].overall >= PLATEAU_CEILING:
        return 0
    current = series[-1].overall
    days = 0
    for point in reversed(series[:-1]):
        if abs(point.overall - current) > PLATEAU_BAND:
            break
        days += 1
    return days


def _velocity_between(series: tuple[MasteryPoint, ...], newer_days_ago: int, older_days_ago: int) -> float:
    by_day = {p.day: p.overall for p in series}
    if not series:
        return 0.0
    today = series[-1].day
    first = series[0]

    def value(days_ago: int) -> float:
        day = today - timedelta(days=days_ago)
        while day not in by_day and day > first.day:
            day -= timedelta(days=1)
        return by_day.get(day, first.overall)

    return (value(newer_days_ago) - value(older_days_ago)) / (older_days_ago - newer_days_ago)


class InsightsService:
    """Builds LearnerInsights from the database."""

    def __init__(self, session: Session, catalogue: Catalogue, memory: Memory, epa_pass_mark: float) -> None:
        self.session = session
        self.catalogue = catalogue
        self.memory = memory
        self.epa_pass_mark = epa_pass_mark
        self._replayers: dict[str | None, MasteryReplayer] = {}
        self.calibration = shipped_calibration()

    def replayer(self, standard_code: str | None) -> MasteryReplayer:
        """A replayer for one standard (cached)."""
        if standard_code not in self._replayers:
            self._replayers[standard_code] = MasteryReplayer(
                curriculum_for(self.catalogue, standard_code), self.memory
            )
        return self._replayers[standard_code]

    def events(self, learner_id: int) -> list[LearningEvent]:
        """The learner's events in chain order."""
        return list(
            self.session.exec(
                select(LearningEvent)
                .where(LearningEvent.learner_id == learner_id)
                .order_by(col(LearningEvent.seq))
            ).all()
        )

    def replay(
        self,
        learner: Learner,
        now: datetime,
        events: list[LearningEvent] | None = None,
        days: int = SERIES_DAYS,
    ) -> Replay:
        """Mastery now and by day (the last `days` local days) from the event log."""
        cohort = self.session.get(Cohort, learner.cohort_id) if learner.cohort_id else None
        rows = self.events(int(learner.id or 0)) if events is None else events
        history = [HistoryEvent(e.at, e.kind, e.data) for e in rows]
        start = learner.created_at.astimezone(ZoneInfo(learner.timezone)).date()
        return self.replayer(cohort.standard_code if cohort else None).replay(
            history, now, learner.timezone, days=days, since=start
        )

    def insights(self, learner: Learner, now: datetime, award_badges: bool = True) -> LearnerInsights:
        """Everything about one learner as of now; new badges are recorded once when `award_badges`."""
        zone = ZoneInfo(learner.timezone)
        events = self.events(int(learner.id or 0))
        replay = self.replay(learner, now, events)
        today = now.astimezone(zone).date()
        inbound = self.session.exec(
            select(Message.created_at).where(
                Message.learner_id == learner.id,
                Message.direction == "in",
                Message.created_at >= now - timedelta(days=400),
            )
        ).all()
        activity = [e.at for e in events if e.kind not in NOT_LEARNER_ACTIVITY] + list(inbound)
        active_days = {t.astimezone(zone).date() for t in activity}
        active_14 = sum(1 for d in active_days if 0 <= (today - d).days < 14)
        active_7 = sum(1 for d in active_days if 0 <= (today - d).days < 7)
        last_active = max(active_days) if active_days else None
        traj = calibrate(
            trajectory(replay.knowledge_series, today, active_days_14=active_14), today, self.calibration
        )
        signals = LearnerSignals(
            days_since_start=max(0, (today - learner.created_at.astimezone(zone).date()).days),
            active_days_7=active_7,
            active_days_14=active_14,
            days_since_active=(today - last_active).days if last_active else None,
            overall=replay.report.overall,
            by_area=dict(replay.report.by_area),
            velocity_7=traj.velocity_7,
            velocity_14=traj.velocity_14,
            velocity_prev_7=_velocity_between(replay.series, 7, 14),
            plateau_days=_plateau_days(replay.series),
        )
        held = badges_held(events)
        fresh = new_badges(
            [(d.day, d.by_area) for d in replay.area_series],
            replay.shown_days,
            replay.report.area_titles,
            held,
            now,
        )
        if award_badges:
            for badge in fresh:
                append_event(
                    self.session,
                    int(learner.id or 0),
                    EventKind.BADGE_AWARDED,
                    now,
                    {"badge": badge.key, "name": badge.name, "area": badge.area, "level": badge.level},
                )
        last_view = max((e.at for e in events if e.kind == EventKind.PROGRESS_VIEWED), default=None)
        since_view = [
            str(e.data.get("name"))
            for e in events
            if e.kind == EventKind.BADGE_AWARDED
            and str(e.data.get("badge")) in held
            and (last_view is None or e.at > last_view)
        ] + [b.name for b in fresh]
        cohort = self.session.get(Cohort, learner.cohort_id) if learner.cohort_id else None
        comps = self.catalogue.competencies_of_standard(cohort.standard_code if cohort else None)
        knowledge = {c.code for c in comps if c.kind == "knowledge"}
        item_comps = {
            i.code: [c for c in i.competencies if c in knowledge]
            for i in self.catalogue.items.values()
            if any(c in knowledge for c in i.competencies)
        }
        readiness = epa_readiness(
            {item: replay.item_known.get(item, 0.0) for item in item_comps},
            item_comps,
            pass_mark=self.epa_pass_mark,
        )
        signed, pending, counts = self._evidence(int(learner.id or 0))
        gateway = gateway_readiness(
            {c.code: (c.kind, c.text) for c in comps}, replay.report.by_competency, signed, pending
        )
        hours = sum(float(e.data.get("hours", 0)) for e in events if e.kind == EventKind.OTJ_HOURS)
        return LearnerInsights(
            learner_id=int(learner.id or 0),
            now=now,
            report=replay.report,
            series=replay.series,
            trajectory=traj,
            streak=streak_days(activity, now, learner.timezone),
            signals=signals,
            archetype=classify_archetype(signals),
            churn=churn_risk(signals),
            readiness=readiness,
            gateway=gateway,
            badges_new=tuple(fresh),
            badge_keys=frozenset(held | {b.key for b in fresh}),
            badges_since_last_view=tuple(since_view),
            hours_total=round(hours, 2),
            planned_hours=cohort.planned_otj_hours if cohort else 0.0,
            evidence=counts,
        )

    def _evidence(self, learner_id: int) -> tuple[Counter[str], Counter[str], Counter[str]]:
        signed: Counter[str] = Counter()
        pending: Counter[str] = Counter()
        counts: Counter[str] = Counter()
        rows = self.session.exec(
            select(EvidenceItem.status, EvidenceItem.competencies).where(
                EvidenceItem.learner_id == learner_id
            )
        ).all()
        for status, comps in rows:
            counts[status] += 1
            if status == EvidenceStatus.SIGNED_OFF:
                signed.update(comps)
            elif status == EvidenceStatus.PENDING:
                pending.update(comps)
        return signed, pending, counts
