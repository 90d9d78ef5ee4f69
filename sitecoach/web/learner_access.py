"""The one check every staff page about a learner makes (`sitecoach.records.access` decides)."""

from __future__ import annotations

from flask import abort
from flask_login import current_user
from sqlmodel import Session

from sitecoach.models import Learner
from sitecoach.records import access


def learner_or_404(session: Session, learner_id: int, *, act: bool = False) -> Learner:
    """The learner, if the current staff member may see them (and, with `act`, act as their mentor):
    a learner they may not see is a 404, one they may see but not act for a 403."""
    learner = session.get(Learner, learner_id)
    if learner is None or not access.can_see_learner(session, current_user, learner):
        abort(404)
    if act and not access.can_act_as_mentor(current_user, learner):
        abort(403)
    return learner
