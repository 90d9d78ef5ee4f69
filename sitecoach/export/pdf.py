"""The export's printable PDF (A4, fpdf2 core fonts): summary, coverage, evidence with photos, hours."""

from __future__ import annotations

import io
from collections.abc import Sequence
from itertools import groupby
from pathlib import Path

from fpdf import FPDF
from fpdf.fonts import FontFace
from PIL import Image, ImageOps

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
from sitecoach.export.latin1 import to_latin1


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


def _pdf_summary(pdf: _PDF, ctx: ExportContext) -> None:
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
        ("Overall mastery", format_percent(p.overall_mastery)),
        ("Off-the-job hours", hours_line(ctx)),
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


def _pdf_matrix(pdf: _PDF, ctx: ExportContext) -> None:
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
                        format_percent(c.mastery),
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


def _pdf_media(pdf: _PDF, ctx: ExportContext, files: Sequence[MediaFile]) -> None:
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


def _pdf_evidence(pdf: _PDF, ctx: ExportContext) -> None:
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
        status = EVIDENCE_STATUS.get(ev.status, ev.status)
        pdf.cell(pdf.epw * 0.62, 7, to_latin1(title), fill=True)
        pdf.set_font("Helvetica", "B", 9)
        pdf.set_text_color(*_STATUS_COLOURS.get(ev.status, (0, 0, 0)))
        pdf.cell(0, 7, to_latin1(status), fill=True, align="R", new_x="LMARGIN", new_y="NEXT")
        pdf.set_fill_color(255, 255, 255)
        pdf.set_text_color(0, 0, 0)
        pdf.ln(1.5)
        _kv(pdf, "Where", evidence_place(ev), label_w=30, size=9)
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


def _pdf_hours_and_audit(pdf: _PDF, ctx: ExportContext) -> None:
    pdf.add_page()
    _heading(pdf, "Off-the-job hours")
    _para(pdf, hours_line(ctx))
    pdf.ln(2)
    if ctx.hours:
        pdf.set_font("Helvetica", "", 9)
        with pdf.table(
            col_widths=(28, 16, 108, 28),
            text_align=("LEFT", "RIGHT", "LEFT", "LEFT"),
            headings_style=FontFace(emphasis="B", fill_color=_GREY_FILL),
            cell_fill_mode="ROWS",
            cell_fill_color=_ROW_FILL,
            line_height=4.5,
            padding=1.2,
            v_align="TOP",
        ) as table:
            table.row(["Date", "Hours", "Activity", "Status"])
            for h in ctx.hours:
                what = f"{h.activity_type}: {h.activity}" if h.activity_type else h.activity
                table.row([ctx.day(h.logged_at), format_number(h.hours), to_latin1(what), h.status])
            total = FontFace(emphasis="B")
            row = table.row()
            row.cell("Total", style=total)
            row.cell(format_number(ctx.total_hours), style=total)
            row.cell("")
            row.cell("")
    else:
        _para(pdf, "No hours logged yet.")
    for brk in ctx.p.breaks:
        _para(pdf, break_line(brk))
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


def _pdf_passport(pdf: _PDF, ctx: ExportContext) -> None:
    """The authorisation passport: one row per authorisation or practical assessment."""
    pdf.add_page()
    _heading(pdf, "Authorisation passport")
    if not ctx.p.passport:
        _para(pdf, "No authorisations or practical assessments recorded yet.")
    else:
        pdf.set_font("Helvetica", "", 9)
        with pdf.table(
            col_widths=(24, 50, 22, 22, 34, 28),
            text_align="LEFT",
            headings_style=FontFace(emphasis="B", fill_color=_GREY_FILL),
            cell_fill_mode="ROWS",
            cell_fill_color=_ROW_FILL,
            line_height=4.5,
            padding=1.2,
            v_align="TOP",
        ) as table:
            table.row(["Kind", "Authorisation / joint", "Date", "Expires", "By", "Standing"])
            for item in ctx.p.passport:
                evidence = f" (evidence #{item.evidence_id})" if item.evidence_id else ""
                table.row(
                    [
                        item.kind,
                        to_latin1(item.title + evidence),
                        passport_day(item.on),
                        passport_day(item.expires_on),
                        to_latin1(item.by),
                        f"{item.result}: {item.standing}",
                    ]
                )
    if ctx.p.next_step:
        pdf.ln(2)
        _para(pdf, to_latin1(f"Next: {ctx.p.next_step}"))


def render_pdf(ctx: ExportContext) -> bytes:
    """index.pdf."""
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
    _pdf_passport(pdf, ctx)
    _pdf_evidence(pdf, ctx)
    _pdf_hours_and_audit(pdf, ctx)
    return bytes(pdf.output())
