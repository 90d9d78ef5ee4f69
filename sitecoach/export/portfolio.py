"""E-portfolio export: one ZIP with an HTML page, a printable PDF, the evidence media and CSV tables.

The module takes plain dataclasses (no Flask, no ORM) so the web app, the CLI and tests can all build a
`Portfolio` and call `write_portfolio_zip`. Naive datetimes are taken to be UTC; everything is shown in
`Portfolio.timezone`.
"""

from __future__ import annotations

import csv
import html
import io
import json
import os
import re
import tempfile
import unicodedata
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import groupby
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fpdf import FPDF
from fpdf.fonts import FontFace
from PIL import Image, ImageOps

from sitecoach.infra.privacy import mask_phone, normalise_phone

__all__ = [
    "Portfolio",
    "PortfolioCompetency",
    "PortfolioEvidence",
    "PortfolioHours",
    "to_latin1",
    "write_portfolio_zip",
]

#: Media shown inline (HTML <img>) and embedded in the PDF; anything else is linked as a file.
IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".gif", ".webp"})

_EVIDENCE_STATUS = {
    "pending": "Awaiting mentor sign-off",
    "signed_off": "Signed off",
    "returned": "Returned by mentor",
}
_FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class PortfolioCompetency:
    """One KSB (or working-map item) with its mastery and the evidence that claims it."""

    code: str
    kind: str
    area_title: str
    text: str
    mastery: float  # 0-100
    signed_evidence: tuple[int, ...]  # evidence ids signed off that claim it
    pending_evidence: tuple[int, ...]
    status: str  # plain words, e.g. "Ready", "Needs signed evidence", "Mastery 42%, needs 85%"


@dataclass(frozen=True)
class PortfolioEvidence:
    """One evidence item captured by the learner, with its sign-off state and local media files."""

    id: int
    captured_at: datetime
    note: str
    status: str  # pending | signed_off | returned
    competencies: tuple[str, ...]
    media: tuple[Path, ...]  # local files; some may be missing on disk
    latitude: float | None
    longitude: float | None
    address: str | None
    signed_by: str | None
    signed_at: datetime | None
    mentor_comment: str | None


@dataclass(frozen=True)
class PortfolioHours:
    """One off-the-job training log entry."""

    logged_at: datetime
    hours: float
    activity: str


@dataclass(frozen=True)
class Portfolio:
    """Everything the export renders for one learner."""

    learner_name: str
    learner_ref: str  # masked phone, e.g. "+*********123" (never the full number)
    cohort: str | None
    mentor: str | None
    standard_code: str
    standard_title: str
    working_map: bool  # True: say clearly it is a working map, not the official KSBs
    generated_at: datetime
    timezone: str  # render datetimes in this zone, e.g. Europe/London
    overall_mastery: float
    competencies: tuple[PortfolioCompetency, ...]
    evidence: tuple[PortfolioEvidence, ...]
    hours: tuple[PortfolioHours, ...]
    planned_hours: float
    gateway_gaps: tuple[str, ...]  # plain-words list of what is still missing for gateway
    events: tuple[dict[str, object], ...]  # audit log rows: {"seq","at","kind","data","hash"}


# --------------------------------------------------------------------------------------------- shared


@dataclass(frozen=True)
class _Media:
    """One evidence media file: where it is on disk and what it is called inside the ZIP."""

    source: Path
    arcname: str  # media/<evidence id>_<n><ext>
    present: bool
    readable: bool  # an image whose header Pillow can parse (so worth an <img> / PDF embed)

    @property
    def is_image(self) -> bool:
        return Path(self.arcname).suffix in IMAGE_SUFFIXES


def _image_readable(path: Path) -> bool:
    try:
        with Image.open(path) as img:
            img.verify()
        return True
    except Exception:  # any unreadable, truncated or unsupported file
        return False


def _media(ev: PortfolioEvidence) -> tuple[_Media, ...]:
    files = []
    for n, path in enumerate(ev.media, start=1):
        arcname = f"media/{ev.id}_{n}{_media_suffix(path)}"
        present = path.is_file()
        readable = present and Path(arcname).suffix in IMAGE_SUFFIXES and _image_readable(path)
        files.append(_Media(path, arcname, present, readable))
    return tuple(files)


@dataclass(frozen=True)
class _Ctx:
    """Values derived once from the portfolio and shared by every renderer."""

    p: Portfolio
    zone: ZoneInfo
    ref: str
    evidence: tuple[PortfolioEvidence, ...]  # chronological
    hours: tuple[PortfolioHours, ...]  # chronological
    events: tuple[dict[str, object], ...]  # by seq
    media: dict[int, tuple[_Media, ...]]
    evidence_ids: frozenset[int]
    total_hours: float

    def local(self, dt: datetime) -> datetime:
        if dt.tzinfo is None:
            dt = dt.replace(tzinfo=UTC)
        return dt.astimezone(self.zone)

    def when(self, dt: datetime | None) -> str:
        if dt is None:
            return "-"
        d = self.local(dt)
        return f"{d.day} {d:%b %Y, %H:%M} {d.tzname() or ''}".rstrip()

    def day(self, dt: datetime) -> str:
        d = self.local(dt)
        return f"{d.day} {d:%b %Y}"

    def iso(self, dt: datetime | None) -> str:
        return "" if dt is None else self.local(dt).isoformat(timespec="seconds")


def _safe_ref(ref: str) -> str:
    """The learner reference as given, but masked if a caller ever passes a full phone number."""
    phone = normalise_phone(ref)
    return mask_phone(phone) if phone else ref


def _media_suffix(path: Path) -> str:
    suffix = path.suffix.lower()
    return suffix if re.fullmatch(r"\.[a-z0-9]{1,8}", suffix) else ".bin"


def _num(value: float) -> str:
    """7.5 -> '7.5', 8.0 -> '8', 0.1 + 0.2 -> '0.3'."""
    return f"{value:.2f}".rstrip("0").rstrip(".")


def _pct(value: float) -> str:
    return f"{value:.0f}%"


def _hours_line(ctx: _Ctx) -> str:
    planned = ctx.p.planned_hours
    line = f"{_num(ctx.total_hours)} h logged of {_num(planned)} h planned"
    if planned > 0:
        line += f" ({ctx.total_hours / planned * 100:.0f}%)"
    return line


def _where(ev: PortfolioEvidence) -> str:
    parts = []
    if ev.address:
        parts.append(ev.address)
    if ev.latitude is not None and ev.longitude is not None:
        parts.append(f"{ev.latitude:.5f}, {ev.longitude:.5f}")
    return " - ".join(parts) or "Not recorded"


def _seq_key(row: dict[str, object]) -> tuple[int, int]:
    seq = row.get("seq")
    return (0, seq) if isinstance(seq, int) and not isinstance(seq, bool) else (1, 0)


def _context(p: Portfolio) -> _Ctx:
    try:
        zone = ZoneInfo(p.timezone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown timezone {p.timezone!r}") from exc

    def utc(dt: datetime) -> datetime:
        return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt

    return _Ctx(
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


# ----------------------------------------------------------------------------------------------- CSV


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


def _competencies_csv(ctx: _Ctx) -> bytes:
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


def _evidence_csv(ctx: _Ctx) -> bytes:
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


def _hours_csv(ctx: _Ctx) -> bytes:
    rows: list[tuple[object, ...]] = [(ctx.iso(h.logged_at), float(h.hours), h.activity) for h in ctx.hours]
    rows.append(("Total", float(ctx.total_hours), ""))
    return _csv(("logged_at", "hours", "activity"), rows)


def _event_data(data: object) -> str:
    if isinstance(data, str):
        return data  # already serialised
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def _event_at(at: object) -> object:
    if not isinstance(at, datetime):
        return at
    return (at if at.tzinfo else at.replace(tzinfo=UTC)).astimezone(UTC).isoformat(timespec="microseconds")


def _events_csv(ctx: _Ctx) -> bytes:
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


# ---------------------------------------------------------------------------------------------- HTML

_CSS = """
*{box-sizing:border-box}
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif;margin:0;padding:1rem;
  color:#1b1f24;background:#f4f6f8;line-height:1.45;-webkit-text-size-adjust:100%}
main{max-width:980px;margin:0 auto}
header,section{background:#fff;border:1px solid #d9dee4;border-radius:8px;padding:1rem;margin:0 0 1rem}
h1{font-size:1.45rem;margin:0 0 .25rem}
h2{font-size:1.15rem;margin:0 0 .75rem}
h3{font-size:1rem;margin:0 0 .4rem}
.sub{color:#4b5563;margin:0 0 .75rem}
dl.meta{display:grid;grid-template-columns:max-content 1fr;gap:.2rem .9rem;margin:0}
dl.meta dt{font-weight:600;color:#4b5563}
dl.meta dd{margin:0;overflow-wrap:anywhere}
.notice{background:#fff4d6;border:1px solid #e0b84c;border-radius:6px;padding:.6rem .8rem;margin:.75rem 0}
.ready{color:#17653a;font-weight:700}
.scroll{overflow-x:auto;-webkit-overflow-scrolling:touch}
table{border-collapse:collapse;width:100%;font-size:.9rem}
th,td{border:1px solid #d9dee4;padding:.35rem .5rem;text-align:left;vertical-align:top}
th{background:#eef1f4}
tr.area th{background:#e3e9f1}
table.matrix{min-width:640px}
td.text{min-width:13rem}
tfoot td{font-weight:700}
.num{text-align:right;white-space:nowrap}
.bar{display:block;height:.35rem;background:#e4e7eb;border-radius:3px;margin-top:.2rem;min-width:3rem}
.bar span{display:block;height:100%;background:#2f6fb0;border-radius:3px}
.ids a{white-space:nowrap}
article.ev{border-top:1px solid #d9dee4;padding-top:.75rem;margin-top:.75rem}
article.ev:first-of-type{border-top:0;margin-top:0;padding-top:0}
.note{white-space:pre-wrap;overflow-wrap:anywhere;background:#f8f9fb;border-radius:4px;padding:.5rem;
  margin:.5rem 0}
.thumbs{display:flex;flex-wrap:wrap;gap:.5rem;margin:.5rem 0 0;padding:0;list-style:none}
.thumbs img{display:block;width:160px;height:160px;object-fit:cover;border:1px solid #cfd6de;
  border-radius:4px}
.missing{color:#9b1c1c}
.pill{display:inline-block;padding:.05rem .55rem;border-radius:999px;font-size:.8rem;background:#eef1f4}
.pill.signed_off{background:#dff3e6;color:#17653a}
.pill.pending{background:#fff4d6;color:#7a5a00}
.pill.returned{background:#fde2e1;color:#9b1c1c}
.hash{font-family:ui-monospace,Menlo,Consolas,monospace;overflow-wrap:anywhere}
@media (max-width:600px){body{padding:.5rem}dl.meta{grid-template-columns:1fr}dl.meta dt{margin-top:.3rem}
  .thumbs img{width:120px;height:120px}}
@media print{body{background:#fff;padding:0}header,section{border:0;padding:0}}
""".strip()


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


def _anchor(prefix: str, key: object) -> str:
    return prefix + "-" + re.sub(r"[^A-Za-z0-9_.-]+", "-", str(key))


def _time(ctx: _Ctx, dt: datetime | None) -> str:
    if dt is None:
        return "-"
    return f'<time datetime="{_e(ctx.iso(dt))}">{_e(ctx.when(dt))}</time>'


def _id_links(ctx: _Ctx, ids: Sequence[int]) -> str:
    if not ids:
        return "-"
    out = []
    for i in ids:
        if i in ctx.evidence_ids:
            out.append(f'<a href="#{_anchor("ev", i)}">#{_e(i)}</a>')
        else:
            out.append(f'<span title="not in this export">#{_e(i)}</span>')
    return ", ".join(out)


def _html_header(ctx: _Ctx) -> list[str]:
    p = ctx.p
    out = [
        "<header>",
        "<h1>Apprenticeship e-portfolio</h1>",
        f'<p class="sub">{_e(p.standard_code)} {_e(p.standard_title)}</p>',
    ]
    if p.working_map:
        out.append(
            '<p class="notice"><strong>Working map, not the official KSBs.</strong> The competencies below '
            f"are Site Coach's working map of {_e(p.standard_code)}. Check them against the official "
            "knowledge, skills and behaviours published for the standard before gateway.</p>"
        )
    meta = [
        ("Learner", _e(p.learner_name)),
        ("Reference", _e(ctx.ref)),
        ("Cohort", _e(p.cohort or "-")),
        ("Mentor", _e(p.mentor or "-")),
        ("Standard", f"{_e(p.standard_code)} {_e(p.standard_title)}"),
        ("Generated", _time(ctx, p.generated_at)),
        ("Overall mastery", _e(_pct(p.overall_mastery))),
        ("Off-the-job hours", _e(_hours_line(ctx))),
    ]
    out.append('<dl class="meta">')
    out += [f"<dt>{k}</dt><dd>{v}</dd>" for k, v in meta]
    out += ["</dl>", "</header>"]
    return out


def _html_gateway(ctx: _Ctx) -> list[str]:
    out = ['<section id="gateway">', "<h2>Gateway readiness</h2>"]
    if ctx.p.gateway_gaps:
        out.append("<p>Still needed before gateway:</p>")
        out.append('<ul class="gaps">' + "".join(f"<li>{_e(g)}</li>" for g in ctx.p.gateway_gaps) + "</ul>")
    else:
        out.append('<p class="ready">Ready for gateway</p>')
    out.append("</section>")
    return out


def _html_matrix(ctx: _Ctx) -> list[str]:
    out = ['<section id="coverage">', "<h2>Coverage matrix</h2>"]
    if not ctx.p.competencies:
        return [*out, "<p>No competencies in this portfolio.</p>", "</section>"]
    out += [
        '<div class="scroll"><table class="matrix">',
        "<thead><tr><th>Code</th><th>Kind</th><th>Competency</th><th>Mastery</th><th>Status</th>"
        "<th>Signed evidence</th><th>Pending evidence</th></tr></thead><tbody>",
    ]
    area = None
    for c in ctx.p.competencies:
        if c.area_title != area:
            area = c.area_title
            out.append(f'<tr class="area"><th colspan="7">{_e(area)}</th></tr>')
        width = max(0.0, min(100.0, float(c.mastery)))
        out.append(
            f'<tr id="{_e(_anchor("c", c.code))}"><td>{_e(c.code)}</td><td>{_e(c.kind)}</td>'
            f'<td class="text">{_e(c.text)}</td>'
            f'<td class="num">{_e(_pct(c.mastery))}<span class="bar"><span style="width:{width:.0f}%">'
            "</span></span></td>"
            f"<td>{_e(c.status)}</td>"
            f'<td class="ids">{_id_links(ctx, c.signed_evidence)}</td>'
            f'<td class="ids">{_id_links(ctx, c.pending_evidence)}</td></tr>'
        )
    out += ["</tbody></table></div>", "</section>"]
    return out


def _html_media(files: Sequence[_Media]) -> list[str]:
    if not files:
        return []
    out = ['<ul class="thumbs">']
    for m in files:
        name = _e(m.arcname)
        if not m.present:
            out.append(f'<li class="missing">Missing file: {_e(m.source.name)}</li>')
        elif m.readable:
            out.append(
                f'<li><a href="{name}"><img src="{name}" alt="Evidence photo {name}" loading="lazy"></a></li>'
            )
        elif m.is_image:
            out.append(
                f'<li><a href="{name}">{_e(Path(m.arcname).name)}</a> (image could not be previewed)</li>'
            )
        else:
            out.append(f'<li><a href="{name}">{_e(Path(m.arcname).name)}</a></li>')
    out.append("</ul>")
    return out


def _html_evidence(ctx: _Ctx) -> list[str]:
    out = ['<section id="evidence">', "<h2>Evidence</h2>"]
    if not ctx.evidence:
        out.append("<p>No evidence captured yet.</p>")
    known = {c.code for c in ctx.p.competencies}
    for ev in ctx.evidence:
        pill = f"pill {ev.status}" if ev.status in _EVIDENCE_STATUS else "pill"
        claims = (
            ", ".join(
                f'<a href="#{_e(_anchor("c", code))}">{_e(code)}</a>' if code in known else _e(code)
                for code in ev.competencies
            )
            or "-"
        )
        meta = [
            ("Captured", _time(ctx, ev.captured_at)),
            ("Where", _e(_where(ev))),
            ("Claims", claims),
        ]
        if ev.signed_by or ev.signed_at:
            meta.append(("Signed off", f"{_e(ev.signed_by or '-')}, {_time(ctx, ev.signed_at)}"))
        if ev.mentor_comment:
            meta.append(("Mentor comment", _e(ev.mentor_comment)))
        out += [
            f'<article class="ev" id="{_e(_anchor("ev", ev.id))}">',
            f'<h3>Evidence #{_e(ev.id)} <span class="{pill}">'
            f"{_e(_EVIDENCE_STATUS.get(ev.status, ev.status))}</span></h3>",
            '<dl class="meta">',
            *(f"<dt>{k}</dt><dd>{v}</dd>" for k, v in meta),
            "</dl>",
        ]
        if ev.note:
            out.append(f'<p class="note">{_e(ev.note)}</p>')
        out += _html_media(ctx.media[ev.id])
        out.append("</article>")
    out.append("</section>")
    return out


def _html_hours(ctx: _Ctx) -> list[str]:
    out = ['<section id="hours">', "<h2>Off-the-job hours</h2>", f"<p>{_e(_hours_line(ctx))}</p>"]
    if not ctx.hours:
        return [*out, "<p>No hours logged yet.</p>", "</section>"]
    out.append(
        '<div class="scroll"><table><thead><tr><th>Date</th><th class="num">Hours</th><th>Activity</th>'
        "</tr></thead><tbody>"
    )
    for h in ctx.hours:
        out.append(
            f'<tr><td>{_time(ctx, h.logged_at)}</td><td class="num">{_e(_num(h.hours))}</td>'
            f"<td>{_e(h.activity)}</td></tr>"
        )
    out += [
        f'</tbody><tfoot><tr><td>Total</td><td class="num">{_e(_num(ctx.total_hours))}</td><td></td></tr>'
        "</tfoot></table></div>",
        "</section>",
    ]
    return out


def _html_audit(ctx: _Ctx) -> list[str]:
    out = ['<section id="audit">', "<h2>Audit log</h2>"]
    if not ctx.events:
        return [*out, "<p>No audit entries.</p>", "</section>"]
    last = ctx.events[-1]
    out.append(
        f"<p>{len(ctx.events)} entr{'y' if len(ctx.events) == 1 else 'ies'} in the audit log "
        "(full list in events.csv).</p>"
        f'<p>Last entry hash: <span class="hash">{_e(last.get("hash") or "-")}</span></p>'
    )
    out.append("</section>")
    return out


def _render_html(ctx: _Ctx) -> bytes:
    p = ctx.p
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en-GB">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        "<meta http-equiv=\"Content-Security-Policy\" content=\"script-src 'none'; object-src 'none'; "
        "base-uri 'none'; form-action 'none'\">",
        '<meta name="referrer" content="no-referrer">',
        f"<title>E-portfolio: {_e(p.learner_name)} ({_e(p.standard_code)})</title>",
        f"<style>{_CSS}</style>",
        "</head>",
        "<body><main>",
        *_html_header(ctx),
        *_html_gateway(ctx),
        *_html_matrix(ctx),
        *_html_evidence(ctx),
        *_html_hours(ctx),
        *_html_audit(ctx),
        "</main></body>",
        "</html>",
    ]
    return ("\n".join(parts) + "\n").encode("utf-8")


# ----------------------------------------------------------------------------------------------- PDF

_LATIN1_MAP = {
    **dict.fromkeys("\u2018\u2019\u201a\u201b\u2032", "'"),  # curly single quotes, prime
    **dict.fromkeys("\u201c\u201d\u201e\u201f\u2033", '"'),  # curly double quotes, double prime
    **dict.fromkeys("\u2010\u2011\u2012\u2013\u2014\u2015\u2043\u2212", "-"),  # hyphens, dashes, minus
    **dict.fromkeys("\u2022\u2023\u2219\u25aa\u25cf", "*"),  # bullets
    **dict.fromkeys("\u2713\u2714\u2705", "v"),  # ticks
    **dict.fromkeys("\u2717\u2718\u274c", "x"),  # crosses
    **dict.fromkeys("\u00a0\u2009\u202f", " "),  # no-break and thin spaces
    "\u2026": "...",
    "\u2265": ">=",
    "\u2264": "<=",
    "\u2260": "!=",
    "\u2248": "~",
    "\u2192": "->",
    "\u2190": "<-",
    "\u2194": "<->",
    "\u21d2": "=>",
    "\u20ac": "EUR",
    "\u2116": "No.",
    "\u2122": "(TM)",
    "\t": "    ",
}
# Invisible joiners and modifiers that only make sense next to an emoji or ligature: dropped outright.
_DROP = frozenset({"\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\ufe0e", "\ufe0f"}) | frozenset(
    chr(c) for c in range(0x1F3FB, 0x1F400)
)


def _latin1_char(ch: str) -> str:
    if ch in _LATIN1_MAP:
        return _LATIN1_MAP[ch]
    if ch == "\n":
        return ch
    if ch in _DROP:
        return ""
    category = unicodedata.category(ch)
    if category in ("Cc", "Cf"):  # control and format characters: invisible, drop
        return ""
    if category.startswith("C"):  # surrogates, private use, unassigned (e.g. emoji newer than this Python)
        return "?"
    if ord(ch) < 0x100:
        return ch
    base = "".join(
        c for c in unicodedata.normalize("NFKD", ch) if ord(c) < 0x100 and not unicodedata.combining(c)
    )
    return base if base and base.isprintable() else "?"


def to_latin1(text: object) -> str:
    """Text that fpdf2's core fonts can draw: common symbols mapped to ASCII, accents stripped, else '?'."""
    s = str(text).replace("\r\n", "\n").replace("\r", "\n")
    if s.isascii() and s.isprintable():
        return s
    return "".join(_latin1_char(ch) for ch in s)


class _PDF(FPDF):
    """A4 portrait with a one-line footer (learner and page x of y)."""

    def __init__(self, footer_text: str) -> None:
        super().__init__(orientation="P", unit="mm", format="A4")
        self.footer_text = to_latin1(footer_text)
        self.set_margins(15, 15, 15)
        self.set_auto_page_break(True, margin=18)

    def footer(self) -> None:
        self.set_y(-13)
        self.set_font("Helvetica", "", 8)
        self.set_text_color(110, 110, 110)
        self.cell(self.epw * 0.75, 5, self.footer_text)
        self.cell(self.epw * 0.25, 5, f"Page {self.page_no()} of {{nb}}", align="R")
        self.set_text_color(0, 0, 0)


_GREY_FILL = (235, 239, 243)
_NOTICE_FILL = (255, 244, 214)
_ROW_FILL = (247, 249, 251)
_STATUS_COLOURS = {"signed_off": (23, 101, 58), "pending": (122, 90, 0), "returned": (155, 28, 28)}
_PDF_IMAGE_BOX = (86.0, 64.0)  # mm, two images side by side on A4
_PDF_IMAGE_MAX_PX = 1400
_MM_PER_PX = 25.4 / 96  # small images are drawn at most at 96 dpi


def _heading(pdf: _PDF, text: str, size: int = 15) -> None:
    pdf.set_font("Helvetica", "B", size)
    pdf.multi_cell(0, size * 0.5, to_latin1(text), align="L", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    pdf.set_font("Helvetica", "", 10)


def _kv(pdf: _PDF, label: str, value: str, label_w: float = 42, size: float = 10) -> None:
    line_h = size * 0.5
    pdf.set_font("Helvetica", "B", size)
    pdf.cell(label_w, line_h, to_latin1(label))
    pdf.set_font("Helvetica", "", size)
    pdf.multi_cell(0, line_h, to_latin1(value), align="L", new_x="LMARGIN", new_y="NEXT")


def _para(pdf: _PDF, text: str, size: float = 10, style: str = "", fill: bool = False) -> None:
    pdf.set_font("Helvetica", style, size)
    pdf.multi_cell(
        0,
        size * 0.5,
        to_latin1(text),
        align="L",
        fill=fill,
        new_x="LMARGIN",
        new_y="NEXT",
        padding=2 if fill else 0,
    )
    pdf.set_font("Helvetica", "", 10)


def _pdf_summary(pdf: _PDF, ctx: _Ctx) -> None:
    p = ctx.p
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 22)
    pdf.cell(0, 11, "Apprenticeship e-portfolio", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 12)
    pdf.multi_cell(0, 6, to_latin1(f"{p.standard_code} {p.standard_title}"), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    if p.working_map:
        pdf.set_fill_color(*_NOTICE_FILL)
        _para(
            pdf,
            "Working map, not the official KSBs. The competencies in this portfolio are Site Coach's "
            f"working map of {p.standard_code}. Check them against the official knowledge, skills and "
            "behaviours published for the standard before gateway.",
            size=10,
            fill=True,
        )
        pdf.set_fill_color(255, 255, 255)
        pdf.ln(3)
    signed = sum(1 for e in p.evidence if e.status == "signed_off")
    pending = sum(1 for e in p.evidence if e.status == "pending")
    returned = sum(1 for e in p.evidence if e.status == "returned")
    covered = sum(1 for c in p.competencies if c.signed_evidence)
    for label, value in (
        ("Learner", p.learner_name),
        ("Reference", ctx.ref),
        ("Cohort", p.cohort or "-"),
        ("Mentor", p.mentor or "-"),
        ("Standard", f"{p.standard_code} {p.standard_title}"),
        ("Generated", ctx.when(p.generated_at)),
        ("Overall mastery", _pct(p.overall_mastery)),
        ("Off-the-job hours", _hours_line(ctx)),
        ("Competencies", f"{len(p.competencies)} in total, {covered} with signed evidence"),
        (
            "Evidence",
            f"{len(p.evidence)} in total: {signed} signed off, {pending} awaiting sign-off, "
            f"{returned} returned",
        ),
    ):
        _kv(pdf, label, value)
        pdf.ln(1)
    pdf.ln(5)
    _heading(pdf, "Gateway readiness", 14)
    if p.gateway_gaps:
        _para(pdf, "Still needed before gateway:")
        pdf.ln(1)
        for gap in p.gateway_gaps:
            pdf.set_x(pdf.l_margin + 3)
            pdf.cell(5, 5, "-")
            pdf.multi_cell(0, 5, to_latin1(gap), align="L", new_x="LMARGIN", new_y="NEXT")
            pdf.ln(0.5)
    else:
        pdf.set_text_color(23, 101, 58)
        _para(pdf, "Ready for gateway", size=12, style="B")
        pdf.set_text_color(0, 0, 0)


def _pdf_matrix(pdf: _PDF, ctx: _Ctx) -> None:
    pdf.add_page()
    _heading(pdf, "Coverage matrix")
    if not ctx.p.competencies:
        _para(pdf, "No competencies in this portfolio.")
        return
    _para(
        pdf, "One row per competency. Evidence numbers (#) refer to the evidence items that follow.", size=9
    )
    for area, group in groupby(ctx.p.competencies, key=lambda c: c.area_title):
        # A sub-heading per area, kept with at least the table header and its first row.
        if pdf.y + 35 > pdf.page_break_trigger:
            pdf.add_page()
        pdf.ln(3)
        _heading(pdf, area or "Other", 11)
        pdf.set_font("Helvetica", "", 8)
        with pdf.table(
            col_widths=(15, 17, 64, 15, 33, 18, 18),
            text_align=("LEFT", "LEFT", "LEFT", "RIGHT", "LEFT", "LEFT", "LEFT"),
            headings_style=FontFace(emphasis="B", fill_color=_GREY_FILL),
            cell_fill_mode="ROWS",
            cell_fill_color=_ROW_FILL,
            line_height=4,
            padding=1.2,
            v_align="TOP",
            repeat_headings=1,
        ) as table:
            table.row(["Code", "Kind", "Competency", "Mastery", "Status", "Signed", "Pending"])
            for c in group:
                table.row(
                    [
                        to_latin1(c.code),
                        to_latin1(c.kind),
                        to_latin1(c.text),
                        _pct(c.mastery),
                        to_latin1(c.status),
                        ", ".join(f"#{i}" for i in c.signed_evidence) or "-",
                        ", ".join(f"#{i}" for i in c.pending_evidence) or "-",
                    ]
                )
    pdf.set_font("Helvetica", "", 10)


def _pdf_image(path: Path) -> tuple[io.BytesIO, int, int] | None:
    """The image as a right-way-up, downscaled JPEG (small PDF), or None if it cannot be read."""
    try:
        with Image.open(path) as img:
            img.load()
            im = ImageOps.exif_transpose(img)
            im.thumbnail((_PDF_IMAGE_MAX_PX, _PDF_IMAGE_MAX_PX))
            if im.mode in ("RGBA", "LA", "PA") or (im.mode == "P" and "transparency" in im.info):
                rgba = im.convert("RGBA")
                im = Image.new("RGB", rgba.size, (255, 255, 255))
                im.paste(rgba, mask=rgba.getchannel("A"))
            else:
                im = im.convert("RGB")
            buf = io.BytesIO()
            im.save(buf, format="JPEG", quality=82)
            buf.seek(0)
            return buf, im.width, im.height
    except Exception:  # any unreadable/corrupt/unsupported image is skipped with a note
        return None


def _pdf_media(pdf: _PDF, ctx: _Ctx, files: Sequence[_Media]) -> None:
    notes: list[str] = []
    images = []
    for m in files:
        if not m.present:
            notes.append(f"Missing file: {m.source.name} (not on disk when exported)")
        elif not m.is_image:
            notes.append(f"Attached file: {m.arcname} (in the ZIP)")
        elif not m.readable or (loaded := _pdf_image(m.source)) is None:
            notes.append(f"Image {m.arcname} could not be embedded (unreadable); the original is in the ZIP")
        else:
            images.append((m, *loaded))

    box_w, box_h = _PDF_IMAGE_BOX
    gap = pdf.epw - 2 * box_w
    col = 0
    row_top = pdf.y
    row_h = 0.0
    for m, buf, px_w, px_h in images:
        scale = min(box_w / px_w, box_h / px_h, _MM_PER_PX)  # fit the box; never blow up small images
        w, h = px_w * scale, px_h * scale
        if col == 0:
            pdf.ln(1)
            row_top = pdf.y
            if row_top + box_h + 5 > pdf.page_break_trigger:
                pdf.add_page()
                row_top = pdf.y
        x = pdf.l_margin + col * (box_w + gap)
        pdf.image(buf, x=x, y=row_top, w=w, h=h)
        pdf.set_xy(x, row_top + h + 0.5)
        pdf.set_font("Helvetica", "", 7)
        pdf.set_text_color(90, 90, 90)
        pdf.cell(box_w, 3.5, to_latin1(m.arcname))
        pdf.set_text_color(0, 0, 0)
        row_h = max(row_h, h + 4)
        col += 1
        if col == 2:
            pdf.set_xy(pdf.l_margin, row_top + row_h)
            col, row_h = 0, 0.0
    if col:
        pdf.set_xy(pdf.l_margin, row_top + row_h)
    for note in notes:
        _para(pdf, note, size=8, style="I")


def _pdf_evidence(pdf: _PDF, ctx: _Ctx) -> None:
    pdf.add_page()
    _heading(pdf, "Evidence")
    if not ctx.evidence:
        _para(pdf, "No evidence captured yet.")
        return
    for n, ev in enumerate(ctx.evidence):
        if n and pdf.y + 45 > pdf.page_break_trigger:
            pdf.add_page()
        elif n:
            pdf.ln(3)
        pdf.set_fill_color(*_GREY_FILL)
        pdf.set_font("Helvetica", "B", 11)
        title = f"Evidence #{ev.id}  -  {ctx.when(ev.captured_at)}"
        status = _EVIDENCE_STATUS.get(ev.status, ev.status)
        pdf.cell(pdf.epw * 0.62, 7, to_latin1(title), fill=True)
        pdf.set_font("Helvetica", "B", 9)
        pdf.set_text_color(*_STATUS_COLOURS.get(ev.status, (0, 0, 0)))
        pdf.cell(0, 7, to_latin1(status), fill=True, align="R", new_x="LMARGIN", new_y="NEXT")
        pdf.set_fill_color(255, 255, 255)
        pdf.set_text_color(0, 0, 0)
        pdf.ln(1.5)
        _kv(pdf, "Where", _where(ev), label_w=30, size=9)
        _kv(pdf, "Claims", ", ".join(ev.competencies) or "-", label_w=30, size=9)
        if ev.signed_by or ev.signed_at:
            _kv(pdf, "Signed off", f"{ev.signed_by or '-'}, {ctx.when(ev.signed_at)}", label_w=30, size=9)
        if ev.mentor_comment:
            _kv(pdf, "Mentor comment", ev.mentor_comment, label_w=30, size=9)
        if ev.note:
            _kv(pdf, "Note", ev.note, label_w=30, size=9)
        _pdf_media(pdf, ctx, ctx.media[ev.id])
        pdf.ln(2)
        pdf.set_draw_color(200, 205, 212)
        pdf.line(pdf.l_margin, pdf.y, pdf.l_margin + pdf.epw, pdf.y)
        pdf.set_draw_color(0, 0, 0)


def _pdf_hours_and_audit(pdf: _PDF, ctx: _Ctx) -> None:
    pdf.add_page()
    _heading(pdf, "Off-the-job hours")
    _para(pdf, _hours_line(ctx))
    pdf.ln(2)
    if ctx.hours:
        pdf.set_font("Helvetica", "", 9)
        with pdf.table(
            col_widths=(30, 20, 130),
            text_align=("LEFT", "RIGHT", "LEFT"),
            headings_style=FontFace(emphasis="B", fill_color=_GREY_FILL),
            cell_fill_mode="ROWS",
            cell_fill_color=_ROW_FILL,
            line_height=4.5,
            padding=1.2,
            v_align="TOP",
        ) as table:
            table.row(["Date", "Hours", "Activity"])
            for h in ctx.hours:
                table.row([ctx.day(h.logged_at), _num(h.hours), to_latin1(h.activity)])
            total = FontFace(emphasis="B")
            row = table.row()
            row.cell("Total", style=total)
            row.cell(_num(ctx.total_hours), style=total)
            row.cell("")
    else:
        _para(pdf, "No hours logged yet.")
    pdf.ln(8)
    _heading(pdf, "Audit log", 14)
    if not ctx.events:
        _para(pdf, "No audit entries.")
        return
    count = len(ctx.events)
    _para(pdf, f"{count} entr{'y' if count == 1 else 'ies'} in the audit log (full list in events.csv).")
    pdf.ln(1)
    _para(pdf, "Last entry hash:")
    pdf.set_font("Courier", "", 9)
    pdf.multi_cell(0, 4.5, to_latin1(ctx.events[-1].get("hash") or "-"), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 10)


def _render_pdf(ctx: _Ctx) -> bytes:
    p = ctx.p
    pdf = _PDF(f"{p.learner_name} ({ctx.ref}) - {p.standard_code} e-portfolio - {ctx.day(p.generated_at)}")
    pdf.set_title(f"E-portfolio: {p.learner_name} - {p.standard_code} {p.standard_title}")
    pdf.set_author(p.learner_name)
    pdf.set_subject(f"Apprenticeship e-portfolio for {p.standard_code}")
    pdf.set_creator("Site Coach")
    pdf.set_lang("en-GB")
    pdf.set_creation_date(ctx.local(p.generated_at))
    _pdf_summary(pdf, ctx)
    _pdf_matrix(pdf, ctx)
    _pdf_evidence(pdf, ctx)
    _pdf_hours_and_audit(pdf, ctx)
    return bytes(pdf.output())


# ----------------------------------------------------------------------------------------------- ZIP


def write_portfolio_zip(portfolio: Portfolio, out: Path) -> Path:
    """Write the learner's e-portfolio ZIP to `out` atomically (temp file in the same folder, then rename)."""
    out = Path(out)
    ctx = _context(portfolio)
    html_bytes = _render_html(ctx)
    pdf_bytes = _render_pdf(ctx)
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=out.parent, prefix=f".{out.name}.", suffix=".tmp")
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as fh:
            with zipfile.ZipFile(fh, "w", compression=zipfile.ZIP_DEFLATED) as zf:
                zf.writestr("index.html", html_bytes)
                zf.writestr("index.pdf", pdf_bytes)
                for ev in ctx.evidence:
                    for m in ctx.media[ev.id]:
                        if m.present:
                            zf.write(m.source, m.arcname)
                zf.writestr("competencies.csv", _competencies_csv(ctx))
                zf.writestr("evidence.csv", _evidence_csv(ctx))
                zf.writestr("hours.csv", _hours_csv(ctx))
                zf.writestr("events.csv", _events_csv(ctx))
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, out)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return out
