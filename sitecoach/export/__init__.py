"""The e-portfolio export, one module per format: `csv_files`, `html_page`, `pdf` and the `archive` (ZIP).

Callers import from here: build a `Portfolio` (`model`) and call `write_portfolio_zip`.
"""

from sitecoach.export.archive import portfolio_download_name, write_portfolio_archive, write_portfolio_zip
from sitecoach.export.latin1 import to_latin1
from sitecoach.export.model import (
    Portfolio,
    PortfolioCompetency,
    PortfolioEvidence,
    PortfolioHours,
    PortfolioPassportItem,
)

__all__ = [
    "Portfolio",
    "PortfolioCompetency",
    "PortfolioEvidence",
    "PortfolioHours",
    "PortfolioPassportItem",
    "portfolio_download_name",
    "to_latin1",
    "write_portfolio_archive",
    "write_portfolio_zip",
]
