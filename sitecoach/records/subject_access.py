"""A subject access pack (UK GDPR art. 15): everything held about one learner, as JSON files, their
photos, and a README that says what each file is. The tables come from `data_map.LEARNER_TABLES`, so a
new table about learners cannot be left out without a test failing."""

from __future__ import annotations

import json
import zipfile
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import IO, Any

from sqlmodel import Session, col, or_, select

from sitecoach.models import AdminAuditLog, EventKind, Learner, LearningEvent, Mentor
from sitecoach.records.data_map import LEARNER_TABLES
from sitecoach.records.safeguarding import PRIVATE_EVENT_KINDS, PRIVATE_MESSAGE_MARK
from sitecoach.settings import Settings

# Readable views of the learning record, by the event kinds they draw from.
VIEWS = {
    "quiz_answers": (EventKind.QUIZ_ANSWERED, EventKind.MOCK_TEST),
    "hours": (EventKind.OTJ_HOURS,),
    "badges": (EventKind.BADGE_AWARDED, EventKind.BADGE_WITHDRAWN),
}


class SubjectAccessError(LookupError):
    """No such learner."""


@dataclass
class SubjectAccessPack:
    """One learner's data: every table's rows, readable views, staff actions about them and media files."""

    learner_id: int
    made_at: datetime
    tables: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    views: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    media: list[tuple[Path, str]] = field(default_factory=list)  # (file on disk, name in the pack)
    retention: tuple[int, int] = (0, 0)  # portfolio years, message days


def _rows(session: Session, model: type, column: str, learner_id: int) -> list[dict[str, Any]]:
    rows: list[Any] = list(session.exec(select(model).where(getattr(model, column) == learner_id)).all())
    return [row.model_dump(mode="json") for row in rows]


def _withheld(table: str, row: dict[str, Any]) -> bool:
    """Rows left for the safeguarding lead to disclose: a concern's event, its message and the alerts."""
    if table == "learningevent":
        return str(row.get("kind")) in PRIVATE_EVENT_KINDS
    if table == "message":
        return PRIVATE_MESSAGE_MARK in (row.get("skill"), row.get("intent"), row.get("kind"))
    return False


def _media_of(settings: Settings, rows: list[dict[str, Any]], folder: str) -> list[tuple[Path, str]]:
    root = settings.media_path.resolve()
    found = []
    for row in rows:
        for i, media in enumerate(row.get("media") or []):
            path = Path(str(media.get("path") or "")).resolve()
            if media.get("path") and root in path.parents and path.is_file():
                found.append((path, f"media/{folder}{row['id']}_{i}{path.suffix}"))
    return found


def collect_pack(session: Session, settings: Settings, learner_id: int, now: datetime) -> SubjectAccessPack:
    """Everything held about the learner."""
    learner = session.get(Learner, learner_id)
    if learner is None:
        raise SubjectAccessError(f"no learner with id {learner_id}")
    pack = SubjectAccessPack(
        learner_id, now, retention=(settings.retention_portfolio_years, settings.retention_message_days)
    )
    for entry in LEARNER_TABLES:
        rows = _rows(session, entry.model, entry.column, learner_id) if entry.exported else []
        pack.tables[entry.table] = [r for r in rows if not _withheld(entry.table, r)]
    mentor = session.get(Mentor, learner.mentor_id) if learner.mentor_id else None
    pack.tables["mentor"] = [{"id": mentor.id, "name": mentor.name}] if mentor else []
    audit = session.exec(
        select(AdminAuditLog).where(
            or_(
                col(AdminAuditLog.target) == f"learner {learner_id}",
                col(AdminAuditLog.target) == f"learner:{learner_id}",
            )
        )
    ).all()
    pack.tables["adminauditlog"] = [row.model_dump(mode="json") for row in audit]
    events = session.exec(
        select(LearningEvent).where(LearningEvent.learner_id == learner_id).order_by(col(LearningEvent.seq))
    ).all()
    for view, kinds in VIEWS.items():
        pack.views[view] = [
            {"at": e.at.isoformat(), "kind": e.kind, **e.data}
            for e in events
            if e.kind in {str(k) for k in kinds}
        ]
    pack.media = _media_of(settings, pack.tables["message"], "message") + _media_of(
        settings, pack.tables["evidenceitem"], "evidence"
    )
    return pack


def readme(pack: SubjectAccessPack) -> str:
    """The pack's README: what each file holds and how many records it has."""
    holds = {entry.table: entry.holds for entry in LEARNER_TABLES}
    holds["mentor"] = "your mentor"
    holds["adminauditlog"] = "what staff did about you in the admin pages"
    lines = [
        "Site Coach: everything held about you",
        "=" * 37,
        "",
        f"Learner {pack.learner_id}, made {pack.made_at:%Y-%m-%d %H:%M} UTC.",
        "Each file in data/ is JSON: a list of records, times in UTC. Photos you sent are in media/.",
        "",
    ]
    lines += [f"data/{t}.json ({len(rows)}): {holds.get(t, t)}" for t, rows in pack.tables.items()]
    lines += [
        f"views/{v}.json ({len(rows)}): your {v.replace('_', ' ')}, from the learning record"
        for v, rows in pack.views.items()
    ]
    lines += [
        f"media/ ({len(pack.media)} files): photos and files you sent",
        "",
        f"Kept: message text for {pack.retention[1]} days; the learning record and portfolio for "
        f"{pack.retention[0]} years after your last activity, then erased.",
        "To have your data corrected or erased, ask your training provider.",
        "",
    ]
    return "\n".join(lines)


def write_pack(pack: SubjectAccessPack, fh: IO[bytes]) -> None:
    """Write the pack as a ZIP to an open binary file."""
    with zipfile.ZipFile(fh, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("README.txt", readme(pack))
        for table, rows in pack.tables.items():
            zf.writestr(f"data/{table}.json", json.dumps(rows, indent=2, ensure_ascii=False, default=str))
        for view, rows in pack.views.items():
            zf.writestr(f"views/{view}.json", json.dumps(rows, indent=2, ensure_ascii=False, default=str))
        for source, arcname in pack.media:
            zf.write(source, arcname)
