"""Loading the lesson pack into the database, importing an official competency list, and the demo cohort."""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlmodel import Session, select
from werkzeug.security import generate_password_hash

from sitecoach.curriculum.catalogue import Catalogue
from sitecoach.curriculum.pack import CompetencyMap, ContentPack, PackError, load_competency_map
from sitecoach.infra.progress import progress
from sitecoach.learning.knowledge import known_now, score_answer
from sitecoach.learning.memory import Memory
from sitecoach.learning.otj import activity_type_of
from sitecoach.learning.readiness import DEFAULT_PASS_MARK
from sitecoach.models import (
    Cohort,
    CohortProvider,
    Competency,
    Consent,
    ConsentMethod,
    EventKind,
    EvidenceItem,
    KnowledgeCard,
    Learner,
    Lesson,
    LessonCompetency,
    Mentor,
    QuizItem,
    QuizItemCompetency,
    ReviewState,
    ReviewStatus,
    Standard,
    utcnow,
)
from sitecoach.records.audit import append_event, append_events
from sitecoach.records.consent import record_consent
from sitecoach.records.content_review import quiz_item_active
from sitecoach.records.demo_otj import demo_activity, seed_agreement
from sitecoach.records.insights import InsightsService
from sitecoach.records.review_demo import seed_demo_reviews
from sitecoach.settings import Settings


@dataclass(frozen=True)
class SeedReport:
    """What a seed run changed."""

    standard: str
    competencies: int
    lessons: int
    quiz_items: int
    cards: int = 0


def _upsert_standard(session: Session, cmap: CompetencyMap) -> Standard:
    info = cmap.standard
    standard = session.exec(select(Standard).where(Standard.code == info.code)).first()
    if standard is None:
        standard = Standard(code=info.code, title=info.title)
    standard.title, standard.level, standard.working_map, standard.note = (
        info.title,
        info.level,
        info.working_map,
        info.note,
    )
    session.add(standard)
    session.flush()
    return standard


def _upsert_competencies(session: Session, standard: Standard, cmap: CompetencyMap) -> dict[str, Competency]:
    areas = {a.id: a.title for a in cmap.areas}
    existing = {
        c.code: c for c in session.exec(select(Competency).where(Competency.standard_id == standard.id)).all()
    }
    out: dict[str, Competency] = {}
    for spec in cmap.competencies:
        comp = existing.pop(spec.id, None) or Competency(
            standard_id=standard.id,
            code=spec.id,
            kind=spec.kind,
            area_code=spec.area,
            area_title=areas[spec.area],
            text=spec.text,
        )
        comp.kind, comp.area_code, comp.area_title, comp.text, comp.active = (
            spec.kind,
            spec.area,
            areas[spec.area],
            spec.text,
            True,
        )
        session.add(comp)
        out[spec.id] = comp
    for stale in existing.values():  # never delete: evidence and history may point at it
        stale.active = False
        session.add(stale)
    session.flush()
    return out


def sync_pack(session: Session, pack: ContentPack) -> SeedReport:
    """Insert or update the pack's standard, competencies, lessons and quiz items (idempotent)."""
    standard = _upsert_standard(session, pack.competency_map)
    comps = _upsert_competencies(session, standard, pack.competency_map)
    lessons: dict[str, Lesson] = {l.code: l for l in session.exec(select(Lesson)).all()}  # noqa: E741
    for spec in pack.lessons:
        lesson = lessons.get(spec.id) or Lesson(
            code=spec.id, pack=pack.manifest.id, position=spec.order, title=spec.title, script=spec.script
        )
        before = _lesson_text(lesson)
        lesson.pack, lesson.position, lesson.title, lesson.script = (
            pack.manifest.id,
            spec.order,
            spec.title,
            spec.script,
        )
        lesson.key_facts, lesson.safety_warnings = list(spec.key_facts), list(spec.safety_warnings)
        lesson.mandatory_phrases, lesson.keywords = list(spec.mandatory_phrases), list(spec.keywords)
        lesson.verify_locally = spec.verify_locally
        lesson.video_url = spec.video_url or lesson.video_url
        if lesson.id is not None and _lesson_text(lesson) != before:
            lesson.updated_at = utcnow()  # moves the curriculum stamp: running processes reload it
        session.add(lesson)
        lessons[spec.id] = lesson
    session.flush()
    _relink(
        session,
        LessonCompetency,
        "lesson_id",
        {lessons[s.id].id: [comps[c].id for c in s.competencies] for s in pack.lessons},
        comps,
    )
    cards = _sync_cards(session, pack)
    items: dict[str, QuizItem] = {q.code: q for q in session.exec(select(QuizItem)).all()}
    card_of = {spec.id: card_code for _l, spec, card_code in pack.card_quiz()}
    every_item = [*pack.quiz, *((lesson_code, spec) for lesson_code, spec, _c in pack.card_quiz())]
    for lesson_code, spec in every_item:
        item = items.get(spec.id) or QuizItem(
            code=spec.id,
            lesson_id=lessons[lesson_code].id,
            question=spec.question,
            answer_index=spec.answer,
            explanation=spec.explanation,
        )
        item.lesson_id, item.question, item.options = (
            lessons[lesson_code].id,
            spec.question,
            list(spec.options),
        )
        item.answer_index, item.explanation = spec.answer, spec.explanation
        item.card_code = card_of.get(spec.id)
        item.active = quiz_item_active(
            lessons[lesson_code].review_status, cards[item.card_code].status if item.card_code else None
        )
        session.add(item)
        items[spec.id] = item
    session.flush()
    _relink(
        session,
        QuizItemCompetency,
        "quiz_item_id",
        {items[s.id].id: [comps[c].id for c in s.competencies] for _l, s in every_item},
        comps,
    )
    return SeedReport(standard.code, len(comps), len(pack.lessons), len(every_item), len(pack.cards))


def _lesson_text(lesson: Lesson) -> tuple[object, ...]:
    return (
        lesson.title,
        lesson.script,
        lesson.position,
        tuple(lesson.key_facts),
        tuple(lesson.safety_warnings),
        tuple(lesson.mandatory_phrases),
        tuple(lesson.keywords),
        lesson.verify_locally,
        lesson.video_url,
    )


def _sync_cards(session: Session, pack: ContentPack) -> dict[str, KnowledgeCard]:
    """Insert new cards (live: the pack ships vetted content), refresh unedited ones from the pack and
    withdraw unedited ones it no longer ships.

    A card the safety lead edited keeps the edit, and a withdrawn card stays withdrawn: the admin pages,
    not a re-deploy, decide what learners see.
    """
    cards = {c.code: c for c in session.exec(select(KnowledgeCard)).all()}
    for spec in pack.cards:
        content = spec.model_dump(mode="json")
        card = cards.get(spec.id)
        if card is None:
            card = KnowledgeCard(code=spec.id, pack=pack.manifest.id, area=spec.area, title=spec.title)
            cards[spec.id] = card
        elif card.edited or card.content == content:
            continue
        else:
            card.version += 1
            card.updated_at = utcnow()
        card.pack, card.area, card.title = pack.manifest.id, spec.area, spec.title
        card.lesson_code, card.content = spec.lesson, content
        session.add(card)
    shipped = {spec.id for spec in pack.cards}
    for code, card in cards.items():  # a card the pack no longer ships is withdrawn, unless edited here
        if code not in shipped and card.pack == pack.manifest.id and not card.edited:
            if card.status != ReviewStatus.WITHDRAWN:
                card.status, card.updated_at = ReviewStatus.WITHDRAWN, utcnow()
                session.add(card)
    session.flush()
    return cards


def _relink(
    session: Session,
    link_model,
    owner_field: str,
    wanted: dict[int, list[int]],  # type: ignore[no-untyped-def]
    comps: dict[str, Competency],
) -> None:
    """Make the links of these owners to this standard's competencies exactly `wanted` (others untouched)."""
    ours = {c.id for c in comps.values()}
    for owner_id, comp_ids in wanted.items():
        rows = session.exec(select(link_model).where(getattr(link_model, owner_field) == owner_id)).all()
        have = {r.competency_id for r in rows if r.competency_id in ours}
        for row in rows:
            if row.competency_id in ours and row.competency_id not in comp_ids:
                session.delete(row)
        for cid in set(comp_ids) - have:
            session.add(link_model(**{owner_field: owner_id, "competency_id": cid}))
    session.flush()


def read_competency_file(path: Path) -> CompetencyMap:
    """An official competency list from YAML (the pack's format) or CSV (code,kind,area,area_title,text)."""
    if path.suffix.lower() in (".yaml", ".yml"):
        cmap = load_competency_map(path)
        assert cmap is not None
        return cmap
    with open(path, newline="", encoding="utf-8-sig") as fh:
        rows = list(csv.DictReader(fh))
    problems = []
    required = {"code", "kind", "area", "area_title", "text"}
    if not rows or not required <= set(rows[0]):
        raise PackError(
            [
                f"{path}: header: needs columns {', '.join(sorted(required))}"
                " (plus standard_code, standard_title)"
            ]
        )
    areas: dict[str, str] = {}
    comps = []
    for n, row in enumerate(rows, start=2):
        kind = {"k": "knowledge", "s": "skill", "b": "behaviour"}.get(row["kind"].strip().lower()[:1])
        if kind is None:
            problems.append(
                f"{path}: line {n} ({row.get('code')}): kind: must be knowledge, skill or behaviour"
            )
            continue
        areas.setdefault(row["area"].strip(), row["area_title"].strip())
        comps.append(
            {
                "id": row["code"].strip(),
                "kind": kind,
                "area": row["area"].strip(),
                "text": row["text"].strip(),
            }
        )
    if problems:
        raise PackError(problems)
    first = rows[0]
    data = {
        "standard": {
            "code": (first.get("standard_code") or "").strip() or "IMPORTED",
            "title": (first.get("standard_title") or "").strip() or "Imported standard",
            "working_map": False,
        },
        "areas": [{"id": k, "title": v} for k, v in areas.items()],
        "competencies": comps,
    }
    from pydantic import ValidationError

    try:
        return CompetencyMap.model_validate(data)
    except ValidationError as exc:
        raise PackError(
            [f"{path}: {'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()]
        ) from exc


def import_standard(session: Session, path: Path, mapping: Path | None = None) -> SeedReport:
    """Load an official competency list; optionally map lessons and items to it (CSV: target,competency)."""
    cmap = read_competency_file(path)
    standard = _upsert_standard(session, cmap)
    comps = _upsert_competencies(session, standard, cmap)
    mapped = 0
    if mapping is not None:
        lessons = {l.code: l for l in session.exec(select(Lesson)).all()}  # noqa: E741
        items = {q.code: q for q in session.exec(select(QuizItem)).all()}
        lesson_links: dict[int, list[int]] = {}
        item_links: dict[int, list[int]] = {}
        problems = []
        with open(mapping, newline="", encoding="utf-8-sig") as fh:
            for n, row in enumerate(csv.DictReader(fh), start=2):
                target, code = (row.get("target") or "").strip(), (row.get("competency") or "").strip()
                if code not in comps:
                    problems.append(f"{mapping}: line {n}: competency: unknown code {code!r}")
                elif target in lessons:
                    lesson_links.setdefault(lessons[target].id, []).append(comps[code].id)
                elif target in items:
                    item_links.setdefault(items[target].id, []).append(comps[code].id)
                else:
                    problems.append(f"{mapping}: line {n}: target: no lesson or quiz item {target!r}")
        if problems:
            raise PackError(problems)
        _relink(session, LessonCompetency, "lesson_id", lesson_links, comps)
        _relink(session, QuizItemCompetency, "quiz_item_id", item_links, comps)
        mapped = len(lesson_links) + len(item_links)
    return SeedReport(standard.code, len(comps), mapped, 0)


DEMO_MENTOR_EMAIL = "mentor@sitecoach.demo"
DEMO_MENTOR_PASSWORD = "site-coach-demo"  # printed by `make demo`; local embedded demo only
DEMO_MENTOR_PHONE = "+447700900900"
# The training provider's user for the demo cohort, also its designated safeguarding lead; same password.
DEMO_PROVIDER_EMAIL = "provider@sitecoach.demo"
DEMO_PROVIDER_PHONE = "+447700900901"
DEMO_STAFF_EMAILS = (DEMO_MENTOR_EMAIL, DEMO_PROVIDER_EMAIL)
DEMO_REVIEW_LEARNER = "Ellie"  # her second progress review is due this week, drafted for the mentor


@dataclass(frozen=True)
class DemoLearner:
    """A demo learner's made-up history: who, since when, and how they practised."""

    phone: str
    name: str
    started_days_ago: int
    active_days_ago: tuple[int, ...]  # days (before now) with practice
    questions_per_day: int
    accuracy: float  # share answered right
    lessons_opened: int  # of the pack's lessons, in order
    signed_skills: bool = False  # signed evidence for every skill competency
    observed_behaviours: int = 0  # behaviour competencies with a signed mentor observation
    pending_evidence: int = 0
    otj_hours: float = 0.0
    # Mock EPA papers sat: (days ago, pass chance predicted at the start, right answers of 20).
    mock_tests: tuple[tuple[int, float, int], ...] = ()


DEMO_LEARNERS = (
    DemoLearner(
        "+447700900101",
        "Jamie",
        21,
        tuple(range(0, 10)) + (15, 18),
        14,
        0.9,
        8,
        pending_evidence=1,
        otj_hours=42,
        mock_tests=((1, 0.22, 14),),
    ),  # sprinter: a fast fortnight
    DemoLearner(
        "+447700900102",
        "Priya",
        60,
        tuple(range(0, 56, 2)),
        5,
        0.8,
        10,
        pending_evidence=1,
        otj_hours=96,
        mock_tests=((30, 0.04, 9), (10, 0.31, 12), (2, 0.58, 14)),
    ),  # steady climber
    DemoLearner(
        "+447700900103",
        "Callum",
        45,
        tuple(range(8, 40)),
        6,
        0.6,
        6,
        otj_hours=60,
        mock_tests=((20, 0.12, 10), (9, 0.2, 12)),
    ),  # stalled: silent 8 days
    DemoLearner(
        "+447700900104",
        "Ellie",
        150,
        tuple(d for d in range(0, 140) if d % 7 != 6),
        9,
        0.95,
        20,
        signed_skills=True,
        observed_behaviours=3,
        pending_evidence=1,
        otj_hours=540,
        mock_tests=((60, 0.35, 12), (35, 0.66, 15), (14, 0.88, 16), (3, 0.95, 17)),
    ),  # near gateway
    DemoLearner("+447700900105", "Dev", 3, (0, 1), 3, 0.6, 1),  # newcomer
)


def _interleaved(items: list[QuizItem], lesson_position: dict[int, int]) -> list[QuizItem]:
    """Items round-robin across lessons, so practice spreads over every area."""
    by_lesson: dict[int, list[QuizItem]] = {}
    for item in sorted(items, key=lambda q: (lesson_position[q.lesson_id], q.code)):
        by_lesson.setdefault(item.lesson_id, []).append(item)
    out: list[QuizItem] = []
    for rank in range(max((len(v) for v in by_lesson.values()), default=0)):
        for lesson_id in sorted(by_lesson, key=lesson_position.__getitem__):
            if rank < len(by_lesson[lesson_id]):
                out.append(by_lesson[lesson_id][rank])
    return out


def _on_local_day(now: datetime, days_ago: int, zone: ZoneInfo) -> datetime:
    """A time on the learner's own calendar day `days_ago` days before `now` (mid-morning, so a history
    says "8 days" whatever the hour it is seeded at); today's is two hours ago."""
    if days_ago <= 0:
        return now - timedelta(hours=2)
    local_day = now.astimezone(zone).date() - timedelta(days=days_ago)
    return datetime.combine(local_day, time(10, 0), tzinfo=zone).astimezone(UTC)


def seed_demo(
    session: Session,
    pack: ContentPack,
    now: datetime,
    memory: Memory,
    *,
    show_progress: bool = False,
    settings: Settings | None = None,
) -> int:
    """A cohort, a mentor with a login and five learners with differentiated histories, each with an
    apprenticeship agreement (one behind on off-the-job hours, one with a progress review due this week,
    drafted for the mentor to edit); once only."""
    if session.exec(select(Mentor).where(Mentor.email == DEMO_MENTOR_EMAIL)).first() is not None:
        return 0
    mentor = Mentor(
        name="Sam Okafor",
        email=DEMO_MENTOR_EMAIL,
        phone=DEMO_MENTOR_PHONE,
        is_admin=True,
        password_hash=generate_password_hash(DEMO_MENTOR_PASSWORD),
    )
    cohort = Cohort(name="Jointers 2026 North", standard_code=pack.competency_map.standard.code)
    provider = Mentor(
        name="Dana Whitfield",
        email=DEMO_PROVIDER_EMAIL,
        phone=DEMO_PROVIDER_PHONE,
        is_provider=True,
        is_dsl=True,
        password_hash=generate_password_hash(DEMO_MENTOR_PASSWORD),
    )
    session.add_all([mentor, cohort, provider])
    session.flush()
    session.add(CohortProvider(cohort_id=int(cohort.id or 0), staff_id=int(provider.id or 0)))
    lessons = list(session.exec(select(Lesson).order_by(Lesson.position)).all())
    position = {lesson.id: lesson.position for lesson in lessons}
    items = _interleaved(list(session.exec(select(QuizItem)).all()), position)
    comps = {c.id: c for c in session.exec(select(Competency)).all()}
    item_comps: dict[int, list[str]] = {}
    for link in session.exec(select(QuizItemCompetency)).all():
        item_comps.setdefault(link.quiz_item_id, []).append(comps[link.competency_id].code)
    lesson_comps: dict[int, list[str]] = {}
    for link in session.exec(select(LessonCompetency)).all():
        lesson_comps.setdefault(link.lesson_id, []).append(comps[link.competency_id].code)
    learners = progress(
        DEMO_LEARNERS, "Seeding demo learners", summary="seeded {count} demo learner{s}", show=show_progress
    )
    seeded: list[Learner] = []
    for profile in learners:
        start = now - timedelta(days=profile.started_days_ago, hours=1)
        learner = Learner(
            phone=profile.phone,
            name=profile.name,
            cohort_id=cohort.id,
            mentor_id=mentor.id,
            consent=Consent.OPTED_IN,
            consent_changed_at=start,
            created_at=start,
        )
        session.add(learner)
        record_consent(session, learner, Consent.OPTED_IN, ConsentMethod.SEED, start)
        _demo_history(session, learner, profile, items, lessons, item_comps, memory, now)
        _demo_portfolio(session, learner, mentor, profile, comps, lessons, lesson_comps, now)
        seed_agreement(session, learner, mentor, now)
        seeded.append(learner)
    _award_history_badges(session, memory, seeded, now)
    reviewed = next(lr for lr in seeded if lr.name == DEMO_REVIEW_LEARNER)
    seed_demo_reviews(
        session, Catalogue.load(session), memory, settings or Settings(), reviewed, mentor, provider, now
    )
    return len(DEMO_LEARNERS)


def _award_history_badges(session: Session, memory: Memory, learners: list[Learner], now: datetime) -> None:
    """Record the badges a demo history earned, so a demo learner's first message is not met by a backlog
    of celebrations for things done before the demo began."""
    service = InsightsService(session, Catalogue.load(session), memory, epa_pass_mark=0.65)
    for learner in learners:
        service.insights(learner, now, award_badges=True)


DEMO_MOCK_QUESTIONS = 20
DEMO_BANK_BASE = 138  # the demo histories were written for a bank of this size


def _scaled(per_day: int, bank: int) -> int:
    """Questions a day for a demo learner: practice grows with the bank, so the same learner covers the
    same share of it (and stays as near to, or as far from, the gateway) whatever the pack holds."""
    return max(1, round(per_day * bank / DEMO_BANK_BASE))


def _demo_history(session, learner, profile, items, lessons, item_comps, memory, now):  # type: ignore[no-untyped-def]
    """Deterministic practice: quiz answers spread over the bank, lessons opened, hours logged."""
    events: list[tuple[str, datetime, dict]] = []  # appended in one go at the end (a new learner's chain)
    cards: dict[int, dict] = {}
    beliefs: dict[int, float] = {}
    states: dict[int, ReviewState] = {}
    answered = 0
    days = sorted(profile.active_days_ago, reverse=True)
    lessons_due = list(lessons[: profile.lessons_opened])
    zone = ZoneInfo(learner.timezone)
    for n, days_ago in enumerate(days):
        day = _on_local_day(now, days_ago, zone)
        if lessons_due and n % max(1, len(days) // max(1, profile.lessons_opened)) == 0:
            lesson = lessons_due.pop(0)
            events.append((EventKind.LESSON_WATCHED, day - timedelta(minutes=30), {"lesson": lesson.code}))
        for k in range(_scaled(profile.questions_per_day, len(items))):
            item = items[answered % len(items)]
            answered += 1
            correct = (answered * 37 % 100) < profile.accuracy * 100  # right and wrong spread evenly
            at = day + timedelta(minutes=k)
            known = known_now(beliefs.get(item.id, 0.0), memory.retrievability(cards.get(item.id), at))
            score = score_answer(known, item.id in cards, correct)
            beliefs[item.id] = score.belief_after
            outcome = memory.review(cards.get(item.id), correct, at)
            cards[item.id] = outcome.card
            events.append(
                (
                    EventKind.QUIZ_ANSWERED,
                    at,
                    {
                        "item": item.code,
                        "correct": correct,
                        "competencies": item_comps.get(item.id, []),
                        "known_before": round(score.known_before, 4),
                        "chance_right": round(score.chance_right, 4),
                    },
                )
            )
            state = states.get(item.id) or ReviewState(
                learner_id=learner.id, quiz_item_id=item.id, card=outcome.card, due=outcome.due
            )
            state.card, state.due, state.known = outcome.card, outcome.due, score.belief_after
            state.reps += 1
            state.lapses += 0 if correct else 1
            state.last_correct, state.last_reviewed_at = correct, at
            states[item.id] = state
    for lesson in lessons_due:  # any not yet opened, on the last active day
        events.append(
            (EventKind.LESSON_WATCHED, now - timedelta(days=days[-1] if days else 0), {"lesson": lesson.code})
        )
    session.add_all(states.values())
    for days_ago, predicted, right in profile.mock_tests:  # made-up papers, so the outcomes page has some
        events.append(
            (
                EventKind.MOCK_TEST,
                _on_local_day(now, days_ago, zone) + timedelta(hours=1),
                {
                    "correct": right,
                    "questions": DEMO_MOCK_QUESTIONS,
                    "passed": right >= math.ceil(DEFAULT_PASS_MARK * DEMO_MOCK_QUESTIONS),
                    "predicted_pass_chance": predicted,
                    "minutes": 24,
                    "timed_out": False,
                },
            )
        )
    if profile.otj_hours and days:
        logging_days = days[:: max(1, len(days) // 8)]  # hours are logged on days the learner was active
        for n, days_ago in enumerate(logging_days):
            activity = demo_activity(n)
            events.append(
                (
                    EventKind.OTJ_HOURS,
                    _on_local_day(now, days_ago, zone) + timedelta(hours=1),
                    {
                        "hours": round(profile.otj_hours / len(logging_days), 1),
                        "activity": activity,
                        "type": str(activity_type_of(activity)),
                        "learned": activity.split(" on ", 1)[-1],
                    },
                )
            )
    append_events(session, learner.id, events)


def _demo_portfolio(session, learner, mentor, profile, comps, lessons, lesson_comps, now):  # type: ignore[no-untyped-def]
    """Evidence: signed practical skills and behaviour observations, and some waiting for sign-off."""
    from sitecoach.records.evidence import decide_evidence

    skills = sorted(c.code for c in comps.values() if c.kind == "skill")
    behaviours = sorted(c.code for c in comps.values() if c.kind == "behaviour")
    claims: list[tuple[str, list[str], bool]] = []
    if profile.signed_skills:
        claims += [(f"Job on site showing {code}", [code], True) for code in skills]
    claims += [
        (f"Mentor observation: {code}", [code], True) for code in behaviours[: profile.observed_behaviours]
    ]
    pending_pool = ["ISO-S1", "JNT-S1", "EXC-S1"]
    claims += [
        (
            "Proved dead at the LV pillar before jointing"
            if code == "ISO-S1"
            else f"Photo of today's job ({code})",
            [code],
            False,
        )
        for code in pending_pool[: profile.pending_evidence]
    ]
    for n, (note, codes, sign) in enumerate(claims):
        captured = now - timedelta(days=2 + n % 20)
        item = EvidenceItem(
            learner_id=learner.id, note=note, competencies=codes, created_at=captured, captured_at=captured
        )
        session.add(item)
        session.flush()
        append_event(
            session,
            learner.id,
            EventKind.EVIDENCE_LOGGED,
            captured,
            {"evidence": item.id, "competencies": codes},
        )
        if sign:
            decide_evidence(session, item, mentor, True, captured + timedelta(hours=20), "Good work")
    session.flush()
