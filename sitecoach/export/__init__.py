"""The e-portfolio export, one module per format: `csv_files`, `html_page`, `pdf` and the `archive` (ZIP).

Callers import from here: build a `Portfolio` (`model`) and call `write_portfolio_zip`.
"""

from sitecoach.export.archive import portfolio_download_name, write_portfolio_archive, write_portfolio_zip
from sitecoach.export.latin1 import to_latin1
from sitecoach.export.model import (
    Portfolio,
    PortfolioBreak,
    PortfolioCompetency,
    PortfolioEvidence,
    PortfolioHours,
    PortfolioPassportItem,
    PortfolioReview,
)
from sitecoach.export.review_pdf import render_review_pdf, review_pdf_name

__all__ = [
    "Portfolio",
    "PortfolioCompetency",
    "PortfolioEvidence",
    "PortfolioHours",
    "PortfolioReview",
    "PortfolioBreak",
    "PortfolioPassportItem",
    "portfolio_download_name",
    "render_review_pdf",
    "review_pdf_name",
    "to_latin1",
    "write_portfolio_archive",
    "write_portfolio_zip",
]
