"""The consent record: every grant and withdrawal appended as a row (never overwritten), with the wording
of the consent question as it stood, so "what did they agree to, and when" has an answer."""

from __future__ import annotations

import hashlib
from datetime import datetime

from sqlmodel import Session, col, select

from sitecoach.models import Consent, ConsentMethod, ConsentRecord, Learner
from sitecoach.prompts.library import PromptError, PromptLibrary

CONSENT_PROMPT = "onboarding/welcome"  # the question a learner answers YES or NO to
WORDING_HASH_CHARS = 12


def consent_wording(prompts: PromptLibrary) -> str:
    """The consent question's name, version and content hash, e.g. 'onboarding/welcome v2 sha256:1a2b...'."""
    try:
        prompt = prompts.get(CONSENT_PROMPT)
    except PromptError:
        return f"{CONSENT_PROMPT} unreadable"
    digest = hashlib.sha256(prompt.source.encode("utf-8")).hexdigest()[:WORDING_HASH_CHARS]
    return f"{CONSENT_PROMPT} v{prompt.version} sha256:{digest}"


def record_consent(
    session: Session,
    learner: Learner,
    consent: Consent,
    method: ConsentMethod,
    at: datetime,
    *,
    wording: str = "",
    actor_id: int | None = None,
    message_id: int | None = None,
) -> ConsentRecord:
    """Set the learner's consent and append the record of how it changed."""
    learner.consent = consent
    learner.consent_changed_at = at
    session.add(learner)
    session.flush()  # a learner created in this transaction needs its id
    row = ConsentRecord(
        learner_id=int(learner.id or 0),
        at=at,
        consent=str(consent),
        method=str(method),
        wording=wording,
        actor_id=actor_id,
        message_id=message_id,
    )
    session.add(row)
    return row


def consent_history(session: Session, learner_id: int) -> list[ConsentRecord]:
    """Every consent change of a learner, oldest first."""
    return list(
        session.exec(
            select(ConsentRecord)
            .where(ConsentRecord.learner_id == learner_id)
            .order_by(col(ConsentRecord.at), col(ConsentRecord.id))
        ).all()
    )
