"""Every table of Site Coach; importing this package registers them all on the metadata."""

from models.admin import AdminAuditLog, PromptVersion
from models.curriculum import (
    Competency,
    CompetencyKind,
    Lesson,
    LessonCompetency,
    QuizItem,
    QuizItemCompetency,
    Standard,
)
from models.db import Database, UTCDateTime, metadata, utcnow
from models.experiments import BanditRecord, VariantAssignment
from models.learning import EventKind, LearningEvent, ReviewState
from models.messaging import ConversationState, Direction, Message, OutboundStatus
from models.people import Cohort, Consent, Learner, Mentor
from models.portfolio import Escalation, EscalationKind, EvidenceItem, EvidenceStatus
from models.snapshots import LearnerSnapshot
from models.usage import LLMUsage

__all__ = [
    "AdminAuditLog",
    "BanditRecord",
    "LearnerSnapshot",
    "LLMUsage",
    "VariantAssignment",
    "Cohort",
    "Competency",
    "CompetencyKind",
    "Consent",
    "ConversationState",
    "Database",
    "Direction",
    "Escalation",
    "EscalationKind",
    "EventKind",
    "EvidenceItem",
    "EvidenceStatus",
    "LearningEvent",
    "Learner",
    "Lesson",
    "LessonCompetency",
    "Mentor",
    "Message",
    "OutboundStatus",
    "PromptVersion",
    "QuizItem",
    "QuizItemCompetency",
    "ReviewState",
    "Standard",
    "UTCDateTime",
    "metadata",
    "utcnow",
]
