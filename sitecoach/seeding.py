"""Loading the lesson pack into the database, importing an official competency list, and the demo cohort."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from sqlmodel import Session, select
from werkzeug.security import generate_password_hash

from models import (
    Cohort,
    Competency,
    Consent,
    EventKind,
    EvidenceItem,
    Learner,
    Lesson,
    LessonCompetency,
    Mentor,
    QuizItem,
    QuizItemCompetency,
    ReviewState,
    Standard,
)
from sitecoach.audit import append_event
from sitecoach.learning.memory import Memory
from sitecoach.pack import CompetencyMap, ContentPack, PackError, load_competency_map


@dataclass(frozen=True)
class SeedReport:
    """What a seed run changed."""

    standard: str
    competencies: int
    lessons: int
    quiz_items: int


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
    items: dict[str, QuizItem] = {q.code: q for q in session.exec(select(QuizItem)).all()}
    for lesson_code, spec in pack.quiz:
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
        item.answer_index, item.explanation, item.active = spec.answer, spec.explanation, True
        session.add(item)
        items[spec.id] = item
    session.flush()
    _relink(
        session,
        QuizItemCompetency,
        "quiz_item_id",
        {items[s.id].id: [comps[c].id for c in s.competencies] for _l, s in pack.quiz},
        comps,
    )
    return SeedReport(standard.code, len(comps), len(pack.lessons), len(pack.quiz))


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
DEMO_LEARNERS = (
    # phone, name, days since start, answers per active day, accuracy, active on days-ago list
    ("+447700900101", "Jamie", 30, 6, 0.85, list(range(0, 12))),  # sprinter
    ("+447700900102", "Priya", 60, 3, 0.8, list(range(0, 40, 2))),  # steady climber
    ("+447700900103", "Callum", 45, 4, 0.55, list(range(9, 30))),  # stalled: silent 9 days
    ("+447700900104", "Ellie", 90, 8, 0.92, list(range(0, 70))),  # near gateway
    ("+447700900105", "Dev", 3, 2, 0.6, [0, 1]),  # newcomer
)


def seed_demo(session: Session, pack: ContentPack, now: datetime, memory: Memory) -> int:
    """A cohort, a mentor with a login and five learners with some history; does nothing if already seeded."""
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
    session.add_all([mentor, cohort])
    session.flush()
    items = session.exec(select(QuizItem).order_by(QuizItem.lesson_id, QuizItem.code)).all()
    lessons = session.exec(select(Lesson).order_by(Lesson.position)).all()
    comp_ids = {c.id: c.code for c in session.exec(select(Competency)).all()}
    item_comps: dict[int, list[str]] = {}
    for link in session.exec(select(QuizItemCompetency)).all():
        item_comps.setdefault(link.quiz_item_id, []).append(comp_ids[link.competency_id])
    for phone, name, age_days, per_day, accuracy, active_days in DEMO_LEARNERS:
        learner = Learner(
            phone=phone,
            name=name,
            cohort_id=cohort.id,
            mentor_id=mentor.id,
            consent=Consent.OPTED_IN,
            consent_changed_at=now - timedelta(days=age_days),
            created_at=now - timedelta(days=age_days),
        )
        session.add(learner)
        session.flush()
        _demo_history(
            session, learner, items, lessons, item_comps, memory, now, per_day, accuracy, active_days
        )
    return len(DEMO_LEARNERS)


def _demo_history(session, learner, items, lessons, item_comps, memory, now, per_day, accuracy, active_days):  # type: ignore[no-untyped-def]
    """Deterministic past activity: quiz answers in lesson order, lessons opened, a little evidence."""
    cards: dict[int, dict] = {}
    cursor = 0
    answered = 0
    for days_ago in sorted(active_days, reverse=True):
        day = now - timedelta(days=days_ago, hours=3)
        for k in range(per_day):
            item = items[cursor % len(items)]
            cursor += 1
            answered += 1
            correct = (answered * 37 % 100) < accuracy * 100  # spread right and wrong answers evenly
            at = day + timedelta(minutes=k * 2)
            outcome = memory.review(cards.get(item.id), correct, at)
            cards[item.id] = outcome.card
            append_event(
                session,
                learner.id,
                EventKind.QUIZ_ANSWERED,
                at,
                {"item": item.code, "correct": correct, "competencies": item_comps.get(item.id, [])},
            )
            existing = session.exec(
                select(ReviewState).where(
                    ReviewState.learner_id == learner.id, ReviewState.quiz_item_id == item.id
                )
            ).first()
            state = existing or ReviewState(
                learner_id=learner.id, quiz_item_id=item.id, card=outcome.card, due=outcome.due
            )
            state.card, state.due = outcome.card, outcome.due
            state.reps += 1
            state.lapses += 0 if correct else 1
            state.last_correct, state.last_reviewed_at = correct, at
            session.add(state)
        lesson = lessons[(cursor // 7) % len(lessons)]
        append_event(session, learner.id, EventKind.LESSON_WATCHED, day, {"lesson": lesson.code})
    if len(active_days) > 10:
        session.add(
            EvidenceItem(
                learner_id=learner.id,
                note="LV resin straight joint on Waveform 185, Elm Street",
                competencies=["JNT-S1"],
                status="signed_off",
                signed_at=now - timedelta(days=5),
                created_at=now - timedelta(days=6),
                captured_at=now - timedelta(days=6),
            )
        )
        session.add(
            EvidenceItem(
                learner_id=learner.id,
                note="Proved dead at the LV pillar before jointing",
                competencies=["ISO-S1"],
                status="pending",
                created_at=now - timedelta(days=1),
                captured_at=now - timedelta(days=1),
            )
        )
    session.flush()
