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


def write_portfolio_zip(portfolio: Portfolio, out: Path) -> Path:
    """Write the learner's e-portfolio ZIP to `out` atomically (temp file in the same folder, then rename)."""
    out = Path(out)
    ctx = export_context(portfolio)
    html_bytes = render_html(ctx)
    pdf_bytes = render_pdf(ctx)
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
                zf.writestr("competencies.csv", competencies_csv(ctx))
                zf.writestr("evidence.csv", evidence_csv(ctx))
                zf.writestr("hours.csv", hours_csv(ctx))
                zf.writestr("events.csv", events_csv(ctx))
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, out)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return out
