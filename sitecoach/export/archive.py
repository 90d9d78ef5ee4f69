"""The e-portfolio ZIP: the HTML page, the PDF, the evidence media and the CSV tables, written atomically."""

from __future__ import annotations

import os
import tempfile
import zipfile
from pathlib import Path

from sitecoach.export.context import export_context
from sitecoach.export.csv_files import competencies_csv, events_csv, evidence_csv, hours_csv
from sitecoach.export.html_page import render_html
from sitecoach.export.model import Portfolio
from sitecoach.export.pdf import render_pdf
from sitecoach.infra.progress import Progress


def write_portfolio_zip(portfolio: Portfolio, out: Path, *, show_progress: bool = False) -> Path:
    """Write the learner's e-portfolio ZIP to `out` atomically (temp file in the same folder, then rename)."""
    out = Path(out)
    ctx = export_context(portfolio)
    media = [m for ev in ctx.evidence for m in ctx.media[ev.id] if m.present]
    tables = (
        ("competencies.csv", competencies_csv),
        ("evidence.csv", evidence_csv),
        ("hours.csv", hours_csv),
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
        out.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(dir=out.parent, prefix=f".{out.name}.", suffix=".tmp")
        tmp = Path(tmp_name)
        try:
            with os.fdopen(fd, "wb") as fh:
                with zipfile.ZipFile(fh, "w", compression=zipfile.ZIP_DEFLATED) as zf:
                    zf.writestr("index.html", html_bytes)
                    zf.writestr("index.pdf", pdf_bytes)
                    for m in media:
                        zf.write(m.source, m.arcname)
                        done.advance()
                    for name, table in tables:
                        zf.writestr(name, table(ctx))
                        done.advance()
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, out)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
    return out
