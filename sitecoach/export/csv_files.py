"""The CSV tables of the export: competencies, evidence, hours and the audit events, safe to open in Excel."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime

from sitecoach.export.context import ExportContext
from sitecoach.export.model import PortfolioPassportItem

_FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def _csv_cell(value: object) -> str:
    """A CSV cell; text that Excel would run as a formula gets a leading apostrophe."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int | float):
        return format(value, ".10g") if isinstance(value, float) else str(value)
    text = str(value)
    return "'" + text if text.startswith(_FORMULA_PREFIXES) else text


def _csv(header: Sequence[str], rows: Iterable[Sequence[object]]) -> bytes:
    buf = io.StringIO(newline="")
    writer = csv.writer(buf, quoting=csv.QUOTE_MINIMAL)
    writer.writerow(header)
    for row in rows:
        writer.writerow([_csv_cell(v) for v in row])
    return buf.getvalue().encode("utf-8")


def _ids(ids: Iterable[int]) -> str:
    return ";".join(str(i) for i in ids)


def competencies_csv(ctx: ExportContext) -> bytes:
    """competencies.csv: one row per competency with its mastery and evidence ids."""
    header = (
        "code",
        "kind",
        "area",
        "text",
        "mastery",
        "status",
        "signed_evidence_ids",
        "pending_evidence_ids",
    )
    rows = (
        (
            c.code,
            c.kind,
            c.area_title,
            c.text,
            round(float(c.mastery), 1),
            c.status,
            _ids(c.signed_evidence),
            _ids(c.pending_evidence),
        )
        for c in ctx.p.competencies
    )
    return _csv(header, rows)


def evidence_csv(ctx: ExportContext) -> bytes:
    """evidence.csv: one row per evidence item, chronological, with its media names in the ZIP."""
    header = (
        "id",
        "captured_at",
        "status",
        "competencies",
        "note",
        "address",
        "latitude",
        "longitude",
        "signed_by",
        "signed_at",
        "mentor_comment",
        "media_files",
        "missing_media",
    )
    rows = []
    for ev in ctx.evidence:
        files = ctx.media[ev.id]
        rows.append(
            (
                ev.id,
                ctx.iso(ev.captured_at),
                ev.status,
                ";".join(ev.competencies),
                ev.note,
                ev.address,
                ev.latitude,
                ev.longitude,
                ev.signed_by,
                ctx.iso(ev.signed_at),
                ev.mentor_comment,
                ";".join(m.arcname for m in files if m.present),
                ";".join(m.source.name for m in files if not m.present),
            )
        )
    return _csv(header, rows)


HOURS_HEADER = ("logged_at", "hours", "activity", "activity_type", "learned", "status", "mentor_comment")


def hours_csv(ctx: ExportContext) -> bytes:
    """hours.csv: the off-the-job log, chronological, each entry's kind, what was learned and the mentor's
    verdict (logged, verified, queried), then the total."""
    rows: list[tuple[object, ...]] = [
        (ctx.iso(h.logged_at), float(h.hours), h.activity, h.activity_type, h.learned, h.status, h.comment)
        for h in ctx.hours
    ]
    rows.append(("Total", float(ctx.total_hours), "", "", "", "", ""))
    return _csv(HOURS_HEADER, rows)


def breaks_csv(ctx: ExportContext) -> bytes:
    """breaks.csv: breaks in learning (the reason stays with the training provider)."""
    rows = [
        (
            b.starts_on.isoformat(),
            b.expected_return.isoformat() if b.expected_return else "",
            b.ended_on.isoformat() if b.ended_on else "",
        )
        for b in ctx.p.breaks
    ]
    return _csv(("starts_on", "expected_return", "ended_on"), rows)


def _event_data(data: object) -> str:
    if isinstance(data, str):
        return data  # already serialised
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def _event_at(at: object) -> object:
    if not isinstance(at, datetime):
        return at
    return (at if at.tzinfo else at.replace(tzinfo=UTC)).astimezone(UTC).isoformat(timespec="microseconds")


def events_csv(ctx: ExportContext) -> bytes:
    """events.csv: the audit log as hashed, so the chain can be checked from the file."""
    # `at` in UTC with microseconds and `data` as canonical JSON: the form records.audit hashes, so the
    # chain can be re-checked from this file (each hash also covers the learner id and the previous hash).
    rows = [
        (
            row.get("seq"),
            _event_at(row.get("at")),
            row.get("kind"),
            _event_data(row.get("data")),
            row.get("hash"),
        )
        for row in ctx.events
    ]
    return _csv(("seq", "at", "kind", "data", "hash"), rows)


PASSPORT_HEADER = ("kind", "title", "date", "expires_on", "by", "result", "standing", "evidence_id")


def passport_items_csv(items: Iterable[PortfolioPassportItem]) -> bytes:
    """The authorisation passport as CSV, one row per authorisation or assessment."""
    rows = (
        (
            i.kind,
            i.title,
            i.on.isoformat(),
            i.expires_on.isoformat() if i.expires_on else "",
            i.by,
            i.result,
            i.standing,
            i.evidence_id,
        )
        for i in items
    )
    return _csv(PASSPORT_HEADER, rows)


def passport_csv(ctx: ExportContext) -> bytes:
    """passport.csv: the learner's authorisations and practical assessments."""
    return passport_items_csv(ctx.p.passport)
