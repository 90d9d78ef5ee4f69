"""One proactive message to a learner, written from an admin-editable prompt: the shape every outreach
module shares (render the prompt with its variables, claim the row under its key, keep the variables for a
WhatsApp template outside the 24-hour window)."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from sitecoach.delivery import proactive
from sitecoach.models import Learner, Message, MessageKind
from sitecoach.services import Services


def to_learner(
    services: Services,
    session: Session,
    learner: Learner,
    *,
    key: str,
    kind: MessageKind,
    prompt: str,
    variables: dict[str, object],
    now: datetime,
    answer_to_learner: bool = False,
) -> Message | None:
    """Claim the prompt `prompt` rendered with `variables` for the learner (None: not sendable, or claimed
    before under `key`). `answer_to_learner`: it answers something the learner did, so "answers only"
    learners get it too."""
    return proactive.to_learner(
        session,
        services.settings,
        learner,
        key=key,
        kind=kind,
        body=services.prompts.render(prompt, **variables),
        variables=variables,
        now=now,
        answer_to_learner=answer_to_learner,
    )
