"""The export's HTML page: one self-contained, script-free page that reads well on a phone and in print."""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from sitecoach.export.context import (
    EVIDENCE_STATUS,
    ExportContext,
    MediaFile,
    break_line,
    evidence_place,
    format_number,
    format_percent,
    hours_line,
    passport_day,
)

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


def _time(ctx: ExportContext, dt: datetime | None) -> str:
    if dt is None:
        return "-"
    return f'<time datetime="{_e(ctx.iso(dt))}">{_e(ctx.when(dt))}</time>'


def _id_links(ctx: ExportContext, ids: Sequence[int]) -> str:
    if not ids:
        return "-"
    out = []
    for i in ids:
        if i in ctx.evidence_ids:
            out.append(f'<a href="#{_anchor("ev", i)}">#{_e(i)}</a>')
        else:
            out.append(f'<span title="not in this export">#{_e(i)}</span>')
    return ", ".join(out)


def _html_header(ctx: ExportContext) -> list[str]:
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
        ("Overall mastery", _e(format_percent(p.overall_mastery))),
        ("Off-the-job hours", _e(hours_line(ctx))),
        ("Progress reviews", _reviews_line(ctx)),
    ]
    out.append('<dl class="meta">')
    out += [f"<dt>{k}</dt><dd>{v}</dd>" for k, v in meta]
    out += ["</dl>", "</header>"]
    return out


def _reviews_line(ctx: ExportContext) -> str:
    """The signed progress reviews, each linked to its PDF in the ZIP."""
    if not ctx.p.reviews:
        return "None signed yet"
    links = (
        f'<a href="{_e(r.arcname)}">Review {r.number}</a> (signed {_e(ctx.day(r.locked_at))})'
        for r in ctx.p.reviews
    )
    return ", ".join(links)


def _html_gateway(ctx: ExportContext) -> list[str]:
    out = ['<section id="gateway">', "<h2>Gateway readiness</h2>"]
    if ctx.p.gateway_gaps:
        out.append("<p>Still needed before gateway:</p>")
        out.append('<ul class="gaps">' + "".join(f"<li>{_e(g)}</li>" for g in ctx.p.gateway_gaps) + "</ul>")
    else:
        out.append('<p class="ready">Ready for gateway</p>')
    out.append("</section>")
    return out


def _html_matrix(ctx: ExportContext) -> list[str]:
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
            f'<td class="num">{_e(format_percent(c.mastery))}'
            f'<span class="bar"><span style="width:{width:.0f}%"></span></span></td>'
            f"<td>{_e(c.status)}</td>"
            f'<td class="ids">{_id_links(ctx, c.signed_evidence)}</td>'
            f'<td class="ids">{_id_links(ctx, c.pending_evidence)}</td></tr>'
        )
    out += ["</tbody></table></div>", "</section>"]
    return out


def _html_media(files: Sequence[MediaFile]) -> list[str]:
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


def _html_evidence(ctx: ExportContext) -> list[str]:
    out = ['<section id="evidence">', "<h2>Evidence</h2>"]
    if not ctx.evidence:
        out.append("<p>No evidence captured yet.</p>")
    known = {c.code for c in ctx.p.competencies}
    for ev in ctx.evidence:
        pill = f"pill {ev.status}" if ev.status in EVIDENCE_STATUS else "pill"
        claims = (
            ", ".join(
                f'<a href="#{_e(_anchor("c", code))}">{_e(code)}</a>' if code in known else _e(code)
                for code in ev.competencies
            )
            or "-"
        )
        meta = [
            ("Captured", _time(ctx, ev.captured_at)),
            ("Where", _e(evidence_place(ev))),
            ("Claims", claims),
        ]
        if ev.signed_by or ev.signed_at:
            meta.append(("Signed off", f"{_e(ev.signed_by or '-')}, {_time(ctx, ev.signed_at)}"))
        if ev.mentor_comment:
            meta.append(("Mentor comment", _e(ev.mentor_comment)))
        out += [
            f'<article class="ev" id="{_e(_anchor("ev", ev.id))}">',
            f'<h3>Evidence #{_e(ev.id)} <span class="{pill}">'
            f"{_e(EVIDENCE_STATUS.get(ev.status, ev.status))}</span></h3>",
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


def _html_hours(ctx: ExportContext) -> list[str]:
    out = ['<section id="hours">', "<h2>Off-the-job hours</h2>", f"<p>{_e(hours_line(ctx))}</p>"]
    if not ctx.hours:
        return [*out, "<p>No hours logged yet.</p>", "</section>"]
    out.append(
        '<div class="scroll"><table><thead><tr><th>Date</th><th class="num">Hours</th><th>Kind</th>'
        "<th>Activity</th><th>Status</th></tr></thead><tbody>"
    )
    for h in ctx.hours:
        out.append(
            f'<tr><td>{_time(ctx, h.logged_at)}</td><td class="num">{_e(format_number(h.hours))}</td>'
            f"<td>{_e(h.activity_type)}</td><td>{_e(h.activity)}</td><td>{_e(h.status)}</td></tr>"
        )
    out += [
        f'</tbody><tfoot><tr><td>Total</td><td class="num">{_e(format_number(ctx.total_hours))}</td>'
        '<td colspan="3"></td></tr></tfoot></table></div>',
        *_html_breaks(ctx),
        "</section>",
    ]
    return out


def _html_breaks(ctx: ExportContext) -> list[str]:
    if not ctx.p.breaks:
        return []
    return [
        '<h3 id="breaks">Breaks in learning</h3><ul>',
        *(f"<li>{_e(break_line(b))}</li>" for b in ctx.p.breaks),
        "</ul>",
    ]
def _html_passport(ctx: ExportContext) -> list[str]:
    out = ['<section id="passport">', "<h2>Authorisation passport</h2>"]
    if not ctx.p.passport:
        out.append("<p>No authorisations or practical assessments recorded yet.</p>")
    else:
        out.append(
            '<div class="scroll"><table><thead><tr><th>Kind</th><th>Authorisation / joint</th><th>Date</th>'
            "<th>Expires</th><th>By</th><th>Result</th><th>Standing</th></tr></thead><tbody>"
        )
        for item in ctx.p.passport:
            title = _e(item.title)
            if item.evidence_id is not None and item.evidence_id in ctx.evidence_ids:
                title += f' (<a href="#{_anchor("ev", item.evidence_id)}">evidence #{item.evidence_id}</a>)'
            out.append(
                f"<tr><td>{_e(item.kind)}</td><td>{title}</td><td>{_e(passport_day(item.on))}</td>"
                f"<td>{_e(passport_day(item.expires_on))}</td><td>{_e(item.by)}</td><td>{_e(item.result)}</td>"
                f"<td>{_e(item.standing)}</td></tr>"
            )
        out.append("</tbody></table></div>")
    if ctx.p.next_step:
        out.append(f"<p>Next: {_e(ctx.p.next_step)}</p>")
    out.append("</section>")
    return out


def _html_audit(ctx: ExportContext) -> list[str]:
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


def render_html(ctx: ExportContext) -> bytes:
    """index.html, UTF-8."""
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
        *_html_passport(ctx),
        *_html_evidence(ctx),
        *_html_hours(ctx),
        *_html_audit(ctx),
        "</main></body>",
        "</html>",
    ]
    return ("\n".join(parts) + "\n").encode("utf-8")
