"""A signed progress review as a PDF (A4, the portfolio's fonts and layout): the period, each section as
signed, and who signed when; one file per review in the portfolio ZIP (``reviews/review-<n>.pdf``)."""

from __future__ import annotations

from sitecoach.export.context import ExportContext
from sitecoach.export.model import PortfolioReview
from sitecoach.export.pdf import _PDF, _heading, _kv, _para


def review_pdf_name(review: PortfolioReview) -> str:
    """The review's file name inside the portfolio ZIP."""
    return review.arcname


def render_review_pdf(review: PortfolioReview, learner_name: str, ctx: ExportContext) -> bytes:
    """The PDF of one signed review."""
    title = f"Progress review {review.number}"
    pdf = _PDF(f"{learner_name} ({ctx.ref}) - {title} - signed {ctx.day(review.locked_at)}")
    pdf.set_title(f"{title}: {learner_name}")
    pdf.set_author("Site Coach")
    pdf.set_creator("Site Coach")
    pdf.set_lang("en-GB")
    pdf.set_creation_date(ctx.local(review.locked_at))
    pdf.add_page()
    _heading(pdf, f"{title}: {learner_name}", 18)
    _kv(pdf, "Period", f"{ctx.day(review.period_start)} to {ctx.day(review.locked_at)}")
    _kv(pdf, "Due", ctx.day(review.due_at))
    _kv(pdf, "Standard", f"{ctx.p.standard_code} {ctx.p.standard_title}")
    pdf.ln(4)
    for heading, text in review.sections:
        _heading(pdf, heading, 12)
        _para(pdf, text or "-")
        pdf.ln(3)
    _heading(pdf, "Signed by", 12)
    for role, who, at in review.signatures:
        _kv(pdf, role, f"{who}, {ctx.when(at)}")
    pdf.ln(2)
    _para(pdf, f"Text fingerprint (SHA-256, in the audit log): {review.content_hash}", size=8)
    return bytes(pdf.output())
