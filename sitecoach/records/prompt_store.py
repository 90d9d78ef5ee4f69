"""Prompt wordings edited in the admin pages: stored versions, checks on save, and a per-process cache.

The file on disk is version 0; every save or rollback appends a `PromptVersion` row (1, 2, ...) with a
unified diff against the version before, and an `AdminAuditLog` row in the same transaction.

**Cache invalidation (database stamp).** Each process keeps the newest text of every edited prompt in
memory. At most once a second (`STAMP_TTL_SECONDS`) a render asks the database for a stamp,
``SELECT max(id), count(*) FROM promptversion``; when the stamp changes the latest versions are reloaded.
So a save reaches every web and worker process within a second, with no restart and no extra moving part:
the stamp lives in the same database as the rows (a Redis key could be bumped before the row commits, or
be lost in a Redis restart). The saving process also calls `invalidate()` so it sees its own edit at once.
Rows are only ever appended, so the stamp always moves on a save. If the database cannot answer, the last
loaded versions stay in use (or the files, if none were loaded) and the failure is logged.
"""

from __future__ import annotations

import difflib
import logging
import threading
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

from jinja2.exceptions import SecurityError, TemplateError
from sqlmodel import Session, col, func, select

from sitecoach.models import AdminAuditLog, Cohort, Database, Learner, LearnerSnapshot, Mentor, PromptVersion
from sitecoach.prompts.library import Prompt, PromptError, PromptLibrary
from sitecoach.prompts.sandbox import WHATSAPP_MESSAGE_CHARS, max_chars

log = logging.getLogger(__name__)
STAMP_TTL_SECONDS = 1.0
PROMPT_MAX_CHARS = 4000
# Sample values for the variables the coach's prompts use; anything else starts as a string.
LIST_VARIABLES = frozenset(
    {"options", "facts", "warnings", "areas", "gaps", "suggestions", "must_do", "passages"}
)
BOOL_VARIABLES = frozenset(
    {"approved", "passed", "early", "fallback", "urgent", "timed_out", "due_next", "verify_locally"}
)
NUMBER_VARIABLES = frozenset(
    {"count", "streak", "number", "total", "questions", "minutes", "correct", "asked", "photos", "percent"}
    | {"pass_mark", "pass_chance", "expected", "predicted", "ready", "more", "hours", "planned", "overall"}
    | {"velocity", "evidence_waiting"}
)
SAMPLE_LIST = ["sample one", "sample two", "sample three"]
ALTERNATIVES: tuple[Any, ...] = (3, SAMPLE_LIST, True, "sample")
RENDER_ERRORS = (TemplateError, TypeError, ValueError, LookupError, ArithmeticError, AttributeError)


class PromptStore:
    """The newest stored version of each prompt, cached in-process and refreshed by a database stamp."""

    def __init__(
        self, db: Database, stamp_ttl: float = STAMP_TTL_SECONDS, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.db = db
        self.stamp_ttl = stamp_ttl
        self.clock = clock
        self._latest: dict[str, tuple[int, str]] = {}
        self._stamp: tuple[int, int] | None = None
        self._checked_at: float | None = None
        self._failing = False
        self._lock = threading.Lock()

    def latest(self, name: str) -> tuple[int, str] | None:
        """The newest stored (version, text) of a prompt, or None when only the file exists."""
        with self._lock:
            now = self.clock()
            if self._checked_at is None or now - self._checked_at >= self.stamp_ttl:
                self._checked_at = now
                self._refresh()
            return self._latest.get(name)

    def invalidate(self) -> None:
        """Check the stamp on the next render (this process has just saved)."""
        with self._lock:
            self._checked_at = None

    def _refresh(self) -> None:
        try:
            with self.db.read_session() as session:
                top, count = session.exec(select(func.max(PromptVersion.id), func.count())).one()
                stamp = (int(top or 0), int(count or 0))
                if stamp != self._stamp:
                    self._latest = latest_texts(session)
                    self._stamp = stamp
        except Exception:  # noqa: BLE001 - keep the last versions (or the files) rather than fail a reply
            if not self._failing:
                log.exception("prompt versions could not be read; using the last loaded (or the files)")
            self._failing = True
            return
        self._failing = False


def latest_texts(session: Session) -> dict[str, tuple[int, str]]:
    """The newest (version, text) of every prompt that has stored versions."""
    newest = (
        select(PromptVersion.name, func.max(PromptVersion.version).label("version"))
        .group_by(col(PromptVersion.name))
        .subquery()
    )
    rows = session.exec(
        select(PromptVersion.name, PromptVersion.version, PromptVersion.text).join(
            newest,
            (col(PromptVersion.name) == newest.c.name) & (col(PromptVersion.version) == newest.c.version),
        )
    ).all()
    return {name: (version, text) for name, version, text in rows}


def sample_value(variable: str) -> Any:
    """A plausible value for a variable, by the names the coach's prompts use."""
    if variable in LIST_VARIABLES:
        return list(SAMPLE_LIST)
    if variable in BOOL_VARIABLES:
        return True
    if variable in NUMBER_VARIABLES:
        return 3
    return "sample"


def render_with_samples(
    library: PromptLibrary, prompt: Prompt, known: dict[str, Any] | None = None
) -> tuple[str, dict[str, Any]]:
    """Render with sample values (and `known` real ones), trying other types where the template needs them."""
    known = known or {}
    values = {v: known[v] if v in known else sample_value(v) for v in prompt.variables}
    try:
        return library.render_prompt(prompt, **values), values
    except SecurityError:
        raise
    except RENDER_ERRORS as exc:
        first, last = exc, str(exc)
    for variable in (v for v in prompt.variables if v not in known):
        for alternative in ALTERNATIVES:
            if type(alternative) is type(values[variable]):
                continue
            trial = {**values, variable: alternative}
            try:
                return library.render_prompt(prompt, **trial), trial
            except SecurityError:
                raise
            except RENDER_ERRORS as exc:
                if str(exc) != last:  # a different error: this variable's type was the problem
                    values, last = trial, str(exc)
                    break
    raise PromptError(f"{prompt.name}: does not render with sample values: {first}") from first


def check_rendered_length(library: PromptLibrary, prompt: Prompt, values: dict[str, Any]) -> None:
    """Refuse a wording whose render (with these values) runs past its cap; PromptError says by how much."""
    _text, cut = library.render_within_cap(prompt, **values)
    if cut:
        limit = max_chars(prompt.name)
        raise PromptError(
            f"{prompt.name}: renders to more than {limit:,} characters "
            f"(about {limit // WHATSAPP_MESSAGE_CHARS} WhatsApp messages) even with short sample values: "
            "shorten it, or loop over fewer items"
        )


def normalise_text(text: str) -> str:
    """Textarea text as a prompt file holds it: LF line ends and one final newline."""
    return text.replace("\r\n", "\n").replace("\r", "\n").rstrip("\n") + "\n"


def check_prompt_text(library: PromptLibrary, name: str, text: str) -> Prompt:
    """Everything a new wording must pass before it is saved; raises PromptError with the reason."""
    if len(text) > PROMPT_MAX_CHARS:
        raise PromptError(f"{name}: too long ({len(text)} characters; at most {PROMPT_MAX_CHARS})")
    library.file_prompt(name)  # only prompts the coach has (and whose file parses) can be edited
    prompt = library.validate(name, text)
    library.check_supplied(prompt)
    try:
        rendered, values = render_with_samples(library, prompt)
        check_rendered_length(library, prompt, values)
    except SecurityError as exc:
        raise PromptError(f"{name}: the template does something the sandbox forbids: {exc}") from exc
    if not rendered.strip():
        raise PromptError(f"{name}: renders to an empty message")
    return prompt


def current_row(session: Session, name: str) -> PromptVersion | None:
    """The newest stored version of a prompt, if any."""
    return session.exec(
        select(PromptVersion).where(PromptVersion.name == name).order_by(col(PromptVersion.version).desc())
    ).first()


def save_version(
    session: Session,
    library: PromptLibrary,
    name: str,
    text: str,
    author_id: int | None,
    *,
    action: str = "prompt.save",
    note: str = "",
) -> PromptVersion:
    """Check and store a new wording as the next version, with its diff and an audit row."""
    text = normalise_text(text)
    check_prompt_text(library, name, text)
    previous = current_row(session, name)
    before, number = (previous.text, previous.version) if previous else (library.file_prompt(name).source, 0)
    if text == normalise_text(before):
        raise PromptError(f"{name}: nothing changed: this is already the text of v{number}")
    version = number + 1
    diff = "".join(
        difflib.unified_diff(
            normalise_text(before).splitlines(keepends=True),
            text.splitlines(keepends=True),
            fromfile=f"{name} v{number}",
            tofile=f"{name} v{version}",
        )
    )
    row = PromptVersion(name=name, version=version, text=text, diff=diff, note=note, author_id=author_id)
    session.add(row)
    session.add(
        AdminAuditLog(
            actor_id=author_id,
            action=action,
            target=name,
            details={"version": version, "previous": number, "note": note, "diff": diff[:4000]},
        )
    )
    session.flush()
    return row


def rollback_to(
    session: Session, library: PromptLibrary, name: str, version: int, author_id: int | None
) -> PromptVersion:
    """Save an old version's text (0: the file) again as the newest version."""
    if version == 0:
        text = library.file_prompt(name).source
    else:
        old = session.exec(
            select(PromptVersion).where(PromptVersion.name == name, PromptVersion.version == version)
        ).first()
        if old is None:
            raise PromptError(f"{name}: there is no version {version}")
        text = old.text
    return save_version(
        session, library, name, text, author_id, action="prompt.rollback", note=f"rollback to v{version}"
    )


def history(session: Session, name: str) -> list[tuple[PromptVersion, str | None]]:
    """Every stored version of a prompt with its author's name, newest first."""
    rows = session.exec(
        select(PromptVersion, Mentor.name)
        .join(Mentor, col(Mentor.id) == col(PromptVersion.author_id), isouter=True)
        .where(PromptVersion.name == name)
        .order_by(col(PromptVersion.version).desc())
    ).all()
    return [(row, author) for row, author in rows]


def overview(session: Session) -> dict[str, tuple[int, str | None, datetime]]:
    """For each edited prompt: its current version, who saved it and when."""
    newest = (
        select(PromptVersion.name, func.max(PromptVersion.version).label("version"))
        .group_by(col(PromptVersion.name))
        .subquery()
    )
    rows = session.exec(
        select(PromptVersion.name, PromptVersion.version, Mentor.name, PromptVersion.created_at)
        .join(
            newest,
            (col(PromptVersion.name) == newest.c.name) & (col(PromptVersion.version) == newest.c.version),
        )
        .join(Mentor, col(Mentor.id) == col(PromptVersion.author_id), isouter=True)
    ).all()
    return {name: (version, author, at) for name, version, author, at in rows}


HIDDEN_PHONE = "(phone hidden in previews)"


def learner_values(session: Session, learner_id: int) -> dict[str, Any]:
    """Real values for a preview, by variable name, from one learner (never their phone number)."""
    learner = session.get(Learner, learner_id)
    if learner is None:
        return {}
    snap = session.get(LearnerSnapshot, learner_id)
    cohort = session.get(Cohort, learner.cohort_id) if learner.cohort_id else None
    mentor = session.get(Mentor, learner.mentor_id) if learner.mentor_id else None
    values: dict[str, Any] = {
        "name": learner.name or "",
        "learner_name": learner.name or "New learner",
        "profile_name": learner.name or "",
        "learner_phone": HIDDEN_PHONE,
        "cohort": cohort.name if cohort else "",
        "time": learner.nudge_time,
    }
    if mentor is not None:
        values["mentor_name"] = mentor.name
    if snap is not None:
        values |= {
            "streak": snap.streak,
            "overall": round(snap.overall),
            "velocity": snap.velocity_7,
            "reasons": "; ".join(snap.risk_reasons),
            "ready": snap.gateway_ready,
        }
    return values
