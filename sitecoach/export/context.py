"""Values derived once from a `Portfolio` for every format: local times, media files, plain words."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from PIL import Image

from sitecoach.export.model import Portfolio, PortfolioBreak, PortfolioEvidence, PortfolioHours
from sitecoach.infra.privacy import mask_phone, normalise_phone

#: Media shown inline (HTML <img>) and embedded in the PDF; anything else is linked as a file.
IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".gif", ".webp"})

EVIDENCE_STATUS = {
    "pending": "Awaiting mentor sign-off",
    "signed_off": "Signed off",
    "returned": "Returned by mentor",
}


@dataclass(frozen=True)
class MediaFile:
    """One evidence media file: where it is on disk and what it is called inside the ZIP."""

    source: Path
    arcname: str  # media/<evidence id>_<n><ext>
    present: bool
    readable: bool  # an image whose header Pillow can parse (so worth an <img> / PDF embed)

    @property
    def is_image(self) -> bool:
        """Whether the file is shown as an image (by its suffix)."""
        return Path(self.arcname).suffix in IMAGE_SUFFIXES


def _image_readable(path: Path) -> bool:
    try:
        with Image.open(path) as img:
            img.verify()
        return True
    except Exception:  # any unreadable, truncated or unsupported file
        return False


def _media(ev: PortfolioEvidence) -> tuple[MediaFile, ...]:
    files = []
    for n, path in enumerate(ev.media, start=1):
        arcname = f"media/{ev.id}_{n}{_media_suffix(path)}"
        present = path.is_file()
        readable = present and Path(arcname).suffix in IMAGE_SUFFIXES and _image_readable(path)
        files.append(MediaFile(path, arcname, present, readable))
    return tuple(files)


@dataclass(frozen=True)
class ExportContext:
    """Values derived once from the portfolio and shared by every renderer."""

    p: Portfolio
    zone: ZoneInfo
    ref: str
    evidence: tuple[PortfolioEvidence, ...]  # chronological
    hours: tuple[PortfolioHours, ...]  # chronological
    events: tuple[dict[str, object], ...]  # by seq
    media: dict[int, tuple[MediaFile, ...]]
    evidence_ids: frozenset[int]
    total_hours: float

    def local(self, dt: datetime) -> datetime:
        """`dt` in the portfolio's zone (naive taken as UTC)."""
        if dt.tzinfo is None:
            dt = dt.replace(tzinfo=UTC)
        return dt.astimezone(self.zone)

    def when(self, dt: datetime | None) -> str:
        """'1 Jun 2026, 09:30 BST', or '-'."""
        if dt is None:
            return "-"
        d = self.local(dt)
        return f"{d.day} {d:%b %Y, %H:%M} {d.tzname() or ''}".rstrip()

    def day(self, dt: datetime) -> str:
        """'1 Jun 2026'."""
        d = self.local(dt)
        return f"{d.day} {d:%b %Y}"

    def iso(self, dt: datetime | None) -> str:
        """ISO 8601 in the portfolio's zone, to the second, or ''."""
        return "" if dt is None else self.local(dt).isoformat(timespec="seconds")


def _safe_ref(ref: str) -> str:
    """The learner reference as given, but masked if a caller ever passes a full phone number."""
    phone = normalise_phone(ref)
    return mask_phone(phone) if phone else ref


def _media_suffix(path: Path) -> str:
    suffix = path.suffix.lower()
    return suffix if re.fullmatch(r"\.[a-z0-9]{1,8}", suffix) else ".bin"


def format_number(value: float) -> str:
    """7.5 -> '7.5', 8.0 -> '8', 0.1 + 0.2 -> '0.3'."""
    return f"{value:.2f}".rstrip("0").rstrip(".")


def passport_day(day: date | None) -> str:
    """'1 Jun 2026', or '-' (a passport date: no time of day, no zone)."""
    return f"{day.day} {day:%b %Y}" if day else "-"


def format_percent(value: float) -> str:
    """42.4 -> '42%'."""
    return f"{value:.0f}%"


def hours_line(ctx: ExportContext) -> str:
    """Off-the-job hours in plain words, e.g. '42 h logged of 400 h planned (11%)'."""
    planned = ctx.p.planned_hours
    line = f"{format_number(ctx.total_hours)} h logged of {format_number(planned)} h planned"
    if planned > 0:
        line += f" ({ctx.total_hours / planned * 100:.0f}%)"
    return line + f"; {format_number(ctx.p.verified_hours)} h verified by the mentor"


def break_line(brk: PortfolioBreak) -> str:
    """A break in learning in plain words, e.g. '3 Mar 2026 to 2 Apr 2026'."""
    until = (
        f"back {brk.ended_on:%-d %b %Y}"
        if brk.ended_on
        else (f"expected back {brk.expected_return:%-d %b %Y}" if brk.expected_return else "still away")
    )
    return f"Break in learning from {brk.starts_on:%-d %b %Y}, {until}"


def evidence_place(ev: PortfolioEvidence) -> str:
    """Where the evidence was captured: the address and the coordinates, or 'Not recorded'."""
    parts = []
    if ev.address:
        parts.append(ev.address)
    if ev.latitude is not None and ev.longitude is not None:
        parts.append(f"{ev.latitude:.5f}, {ev.longitude:.5f}")
    return " - ".join(parts) or "Not recorded"


def _seq_key(row: dict[str, object]) -> tuple[int, int]:
    seq = row.get("seq")
    return (0, seq) if isinstance(seq, int) and not isinstance(seq, bool) else (1, 0)


def export_context(p: Portfolio) -> ExportContext:
    """The shared values for `p`; a ValueError names an unknown timezone."""
    try:
        zone = ZoneInfo(p.timezone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown timezone {p.timezone!r}") from exc

    def utc(dt: datetime) -> datetime:
        return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt

    return ExportContext(
        p=p,
        zone=zone,
        ref=_safe_ref(p.learner_ref),
        evidence=tuple(sorted(p.evidence, key=lambda e: (utc(e.captured_at), e.id))),
        hours=tuple(sorted(p.hours, key=lambda h: utc(h.logged_at))),
        events=tuple(sorted(p.events, key=_seq_key)),  # stable: unnumbered rows keep their order, last
        media={ev.id: _media(ev) for ev in p.evidence},
        evidence_ids=frozenset(ev.id for ev in p.evidence),
        total_hours=round(sum(h.hours for h in p.hours), 2),
    )
