"""What a learner's e-portfolio holds: plain frozen dataclasses (no Flask, no ORM) that every format renders.

The web app, the CLI and tests build a `Portfolio` and hand it to `write_portfolio_zip`. Naive datetimes
are taken to be UTC; everything is shown in `Portfolio.timezone`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path


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
    activity_type: str = ""  # the kind of training, in words ("Classroom or training course")
    learned: str = ""
    status: str = ""  # logged (awaiting the mentor), verified or queried
    comment: str = ""  # the mentor's query


@dataclass(frozen=True)
class PortfolioBreak:
    """A break in learning: from, expected back, back (None: still away)."""

    starts_on: date
    expected_return: date | None
    ended_on: date | None


@dataclass(frozen=True)
class PortfolioReview:
    """One signed (locked) progress review: its text and the three signatures."""

    number: int
    period_start: datetime
    due_at: datetime
    locked_at: datetime
    sections: tuple[tuple[str, str], ...]  # (title, text) in order
    signatures: tuple[tuple[str, str, datetime], ...]  # (role, who, when)
    content_hash: str

    @property
    def arcname(self) -> str:
        """The review's PDF inside the portfolio ZIP."""
        return f"reviews/review-{self.number}.pdf"


@dataclass(frozen=True)
class PortfolioPassportItem:
    """One line of the authorisation passport: an authorisation granted or a practical assessment."""

    kind: str  # "Authorisation" or "Assessment"
    title: str
    on: date  # granted or assessed on
    expires_on: date | None
    by: str  # granted by, or the assessor
    result: str  # "Granted", "Pass" or "Refer"
    standing: str  # plain words: "Current", "Expiring soon", "Expired", "Referred", "Revoked", "Superseded"
    evidence_id: int | None


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
    reviews: tuple[PortfolioReview, ...] = ()  # signed progress reviews, oldest first
    breaks: tuple[PortfolioBreak, ...] = ()
    verified_hours: float = 0.0
    passport: tuple[PortfolioPassportItem, ...] = ()  # the authorisation passport, in the employer's order
    next_step: str | None = None  # the passport's next step, in plain words
