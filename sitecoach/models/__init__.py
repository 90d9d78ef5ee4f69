"""Every table of Site Coach; importing this package registers them all on the metadata."""

from sitecoach.models.admin import AdminAuditLog, PromptVersion
from sitecoach.models.curriculum import (
    Competency,
    CompetencyKind,
    KnowledgeCard,
    KnowledgeCardVersion,
    Lesson,
    LessonCompetency,
    QuizItem,
    QuizItemCompetency,
    ReviewStatus,
    Standard,
)
from sitecoach.models.db import Database, UTCDateTime, metadata, utcnow
from sitecoach.models.experiments import BanditRecord, VariantAssignment
from sitecoach.models.learning import EventKind, LearningEvent, ReviewState
from sitecoach.models.memory_fits import FsrsParameters
from sitecoach.models.messaging import ConversationState, Direction, Message, MessageKind, MessageStatus
from sitecoach.models.passport import AssessmentResult, Employer, PassportAuthorisation, PracticalAssessment
from sitecoach.models.people import (
    Cohort,
    CohortProvider,
    Consent,
    Learner,
    LearningBreak,
    Mentor,
    OtjMinimum,
)
from sitecoach.models.portfolio import (
    Escalation,
    EscalationKind,
    EscalationStatus,
    EvidenceItem,
    EvidenceStatus,
)
from sitecoach.models.reviews import ProgressReview, ProgressReviewStatus, ProgressReviewVersion
from sitecoach.models.rights import ConsentMethod, ConsentRecord, ErasureRecord
from sitecoach.models.safeguarding import (
    ConcernOutcome,
    ConcernStatus,
    SafeguardingConcern,
    SafeguardingNote,
)
from sitecoach.models.snapshots import LearnerSnapshot
from sitecoach.models.usage import LLMUsage

__all__ = [
    "AssessmentResult",
    "Employer",
    "PassportAuthorisation",
    "PracticalAssessment",
    "AdminAuditLog",
    "BanditRecord",
    "LearnerSnapshot",
    "LLMUsage",
    "VariantAssignment",
    "Cohort",
    "CohortProvider",
    "Competency",
    "ConcernOutcome",
    "ConcernStatus",
    "CompetencyKind",
    "Consent",
    "ConsentMethod",
    "ConsentRecord",
    "ConversationState",
    "Database",
    "Direction",
    "Escalation",
    "EscalationKind",
    "EscalationStatus",
    "ErasureRecord",
    "EventKind",
    "EvidenceItem",
    "EvidenceStatus",
    "FsrsParameters",
    "LearningEvent",
    "Learner",
    "LearningBreak",
    "KnowledgeCard",
    "KnowledgeCardVersion",
    "Lesson",
    "LessonCompetency",
    "Mentor",
    "Message",
    "OtjMinimum",
    "MessageKind",
    "MessageStatus",
    "PromptVersion",
    "ProgressReview",
    "ProgressReviewStatus",
    "ProgressReviewVersion",
    "ReviewStatus",
    "QuizItem",
    "QuizItemCompetency",
    "ReviewState",
    "SafeguardingConcern",
    "SafeguardingNote",
    "Standard",
    "UTCDateTime",
    "metadata",
    "utcnow",
]
