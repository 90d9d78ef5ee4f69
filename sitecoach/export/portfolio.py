"""Moved: import from `sitecoach.export`. This alias stays only while `sitecoach/cli.py` imports
`write_portfolio_zip` from here; delete it with that line."""

from sitecoach.export import (
    Portfolio,
    PortfolioCompetency,
    PortfolioEvidence,
    PortfolioHours,
    to_latin1,
    write_portfolio_zip,
)

__all__ = [
    "Portfolio",
    "PortfolioCompetency",
    "PortfolioEvidence",
    "PortfolioHours",
    "to_latin1",
    "write_portfolio_zip",
]
