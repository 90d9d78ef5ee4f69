"""The e-portfolio ZIP: the HTML page, the PDF, the evidence media and the CSV tables, written atomically
to a path (the CLI) or into an open file (the web download streams an unnamed temporary file)."""

from __future__ import annotations

import os
import re
import tempfile
import zipfile
from datetime import date
from pathlib import Path
from typing import BinaryIO

from sitecoach.export.context import export_context
from sitecoach.export.csv_files import (
    breaks_csv,
    competencies_csv,
    events_csv,
    evidence_csv,
    hours_csv,
    passport_csv,
)
from sitecoach.export.html_page import render_html
from sitecoach.export.model import Portfolio
from sitecoach.export.pdf import render_pdf
from sitecoach.export.review_pdf import render_review_pdf, review_pdf_name
from sitecoach.infra.progress import Progress


def portfolio_download_name(learner_name: str | None, day: date) -> str:
    """A safe file name for the download: the name's letters and digits only (no newline, quote or slash can
    reach the Content-Disposition header), lower case, any script (werkzeug adds RFC 6266 filename*)."""
    slug = "-".join(re.findall(r"\w+", learner_name or "")).lower()[:60] or "learner"
    return f"portfolio-{slug}-{day:%Y%m%d}.zip"


def write_portfolio_zip(portfolio: Portfolio, out: Path, *, show_progress: bool = False) -> Path:
    """Write the learner's e-portfolio ZIP to `out` atomically (temp file in the same folder, then rename)."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=out.parent, prefix=f".{out.name}.", suffix=".tmp")
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as fh:
            write_portfolio_archive(portfolio, fh, show_progress=show_progress)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, out)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return out


def write_portfolio_archive(portfolio: Portfolio, fh: BinaryIO, *, show_progress: bool = False) -> None:
    """Write the learner's e-portfolio ZIP into an open binary file."""
    ctx = export_context(portfolio)
    media = [m for ev in ctx.evidence for m in ctx.media[ev.id] if m.present]
    tables = (
        ("competencies.csv", competencies_csv),
        ("evidence.csv", evidence_csv),
        ("hours.csv", hours_csv),
        ("breaks.csv", breaks_csv),
        ("passport.csv", passport_csv),
        ("events.csv", events_csv),
    )
    with Progress(
        "Exporting portfolio",
        total=2 + len(media) + len(tables),
        summary="exported {count} portfolio file{s}",
        show=show_progress,
    ) as done:
        html_bytes = render_html(ctx)
        done.advance()
        pdf_bytes = render_pdf(ctx)  # the slow part when there are many photos
        done.advance()
        with zipfile.ZipFile(fh, "w", compression=zipfile.ZIP_DEFLATED) as zf:
            zf.writestr("index.html", html_bytes)
            zf.writestr("index.pdf", pdf_bytes)
            for m in media:
                zf.write(m.source, m.arcname)
                done.advance()
            for name, table in tables:
                zf.writestr(name, table(ctx))
                done.advance()
            for review in portfolio.reviews:  # each signed progress review, as its own PDF
                zf.writestr(review_pdf_name(review), render_review_pdf(review, portfolio.learner_name, ctx))
