"""What a skill sees (`Ctx`), what it returns (`Reply`) and how it is registered (`SkillRegistry`).

Skills return; the core sends. A skill never talks to WhatsApp, Flask, `os.environ` or `current_app`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, TypeVar, cast

from sitecoach.models import MessageKind
from sitecoach.models.choices import Choices
from sitecoach.nlu.intents import Intent, load_examples

if TYPE_CHECKING:
    from sitecoach.curriculum.catalogue import Catalogue
    from sitecoach.infra.links import LinkSigner
    from sitecoach.infra.llm import LLMService
    from sitecoach.models import Learner
    from sitecoach.nlu.classifier import Classification
    from sitecoach.prompts import PromptLibrary
    from sitecoach.records.repository import CoachRepository
    from sitecoach.settings import Settings

S = TypeVar("S")


class SkillError(Exception):
    """A problem the learner should hear about in plain words (the message is shown to them)."""


@dataclass(frozen=True)
class MediaItem:
    """A media attachment of an inbound message, once stored locally."""

    url: str
    content_type: str
    path: str | None = None


@dataclass(frozen=True)
class InboundText:
    """The parts of an inbound WhatsApp message a skill may use."""

    body: str
    media: tuple[MediaItem, ...] = ()
    latitude: float | None = None
    longitude: float | None = None
    address: str | None = None
    button_payload: str | None = None
    profile_name: str | None = None
    message_id: int | None = None

    @property
    def text(self) -> str:
        """The button payload if a quick reply was tapped, else the body."""
        return (self.button_payload or self.body or "").strip()


@dataclass(frozen=True)
class OutMessage:
    """One message for the core to send; `to` None means the learner."""

    body: str
    media_urls: tuple[str, ...] = ()
    to: str | None = None
    kind: MessageKind = MessageKind.REPLY
    choices: Choices | None = None  # buttons or a list to tap (see `models.choices.offer`)


class ConversationData(Protocol):
    """A skill's multi-turn state: a frozen dataclass, kept on the conversation row as its step and JSON data.

    The skill's `load_state(step, data)` reads it back, once per message, before the skill runs.
    """

    @property
    def step(self) -> str:
        """Where the conversation stands (a `StrEnum` member), stored in the row's `state` column."""
        ...

    def to_data(self) -> dict[str, Any]:
        """The JSON kept in the row's `data` column."""
        ...


@dataclass(frozen=True)
class Conversation:
    """The conversation in progress: the skill that owns it, its typed state, and when it expires."""

    skill: str
    data: ConversationData
    expires_at: datetime


@dataclass(frozen=True)
class Keep:
    """Leave the conversation as it is (the default of a reply)."""


@dataclass(frozen=True)
class SetState:
    """Start or continue a multi-turn conversation with this skill, in this state."""

    state: ConversationData
    ttl: timedelta | None = None  # None: the default conversation TTL


@dataclass(frozen=True)
class End:
    """End the conversation in progress (if any)."""


KEEP = Keep()
END = End()
StateChange = Keep | SetState | End


@dataclass
class Reply:
    """Messages to send and what happens to the conversation afterwards (keep, set or end it)."""

    messages: list[OutMessage] = field(default_factory=list)
    state: StateChange = KEEP

    @classmethod
    def text(cls, *bodies: str, state: StateChange = KEEP, choices: Choices | None = None) -> Reply:
        """A reply of text messages to the learner; `choices` go with the last one."""
        messages = [OutMessage(b) for b in bodies if b]
        if choices is not None and messages:
            messages[-1] = OutMessage(messages[-1].body, choices=choices)
        return cls(messages, state)

    def add(self, body: str, to: str | None = None, kind: MessageKind = MessageKind.REPLY) -> Reply:
        """Append a message."""
        self.messages.append(OutMessage(body, to=to, kind=kind))
        return self


@dataclass
class Ctx:
    """Everything a skill may use for one inbound message."""

    learner: Learner
    message: InboundText
    now: datetime
    settings: Settings
    repo: CoachRepository
    prompts: PromptLibrary
    catalogue: Catalogue
    links: LinkSigner
    intent: Classification
    state: Conversation | None = None
    in_conversation: bool = False
    llm: LLMService | None = None
    slots: dict[str, Any] = field(default_factory=dict)  # what the model extracted when it routed

    def say(self, prompt: str, /, **variables: Any) -> str:
        """Render a prompt (the only way skills produce wording)."""
        return self.prompts.render(prompt, **variables)

    def known_names(self) -> list[str]:
        """Every part of the learner's, their WhatsApp profile's and their mentor's names (for redaction)."""
        names = [self.learner.name or "", self.message.profile_name or ""]
        mentor = self.repo.mentor_of(self.learner)
        if mentor:
            names.append(mentor.name)
        return [n for part in names for n in part.split() if len(n) > 1]

    def state_as(self, kind: type[S]) -> S | None:
        """The conversation's state if it is a `kind` (the calling skill's own), else None."""
        data = self.state.data if self.state is not None else None
        return data if isinstance(data, kind) else None


@dataclass
class TimeoutCtx:
    """What a skill may use when its conversation expires: no message to answer, the learner and records."""

    learner: Learner
    now: datetime
    last_turn_at: datetime  # when the conversation last moved on (the learner's last message in it)
    settings: Settings
    repo: CoachRepository
    prompts: PromptLibrary
    catalogue: Catalogue

    def say(self, prompt: str, /, **variables: Any) -> str:
        """Render a prompt."""
        return self.prompts.render(prompt, **variables)


class Skill(Protocol):
    """A plug-in: one module in `skills/` exposing one `skill` object."""

    name: str
    description: str
    examples: Sequence[str]
    prompts: Sequence[str]
    intent: Intent | None  # the intent this skill answers, declared here and nowhere else

    def handle(self, ctx: Ctx) -> Reply:
        """Answer the message."""
        ...


class ConversationalSkill(Skill, Protocol):
    """A skill that keeps a conversation going across messages."""

    def accepts(self, ctx: Ctx) -> bool:
        """Whether this message continues the conversation (else the router classifies it afresh)."""
        ...

    def load_state(self, step: str, data: Mapping[str, Any]) -> ConversationData:
        """The typed state from a stored row; raises KeyError, TypeError or ValueError if it cannot."""
        ...

    def on_timeout(self, ctx: TimeoutCtx, state: ConversationData) -> Reply | None:
        """The conversation expired unfinished: record what it achieved.

        Its messages are said only when the learner is writing at the time (a new message found the
        conversation expired); the expiry job says nothing, since an unprompted message is outreach's job
        (quiet hours, consent, templates). Its state change is ignored: the conversation is over.
        """
        ...


def conversational(skill: Skill) -> ConversationalSkill | None:
    """The skill as one that keeps conversations (it can load its state and hear of a timeout), or None."""
    members = (getattr(skill, name, None) for name in ("accepts", "load_state", "on_timeout"))
    return cast(ConversationalSkill, skill) if all(callable(m) for m in members) else None


@dataclass(frozen=True)
class SimpleSkill:
    """A skill built from a handler function, with its examples in `skills/examples/<name>.txt`."""

    name: str
    description: str
    handler: Callable[[Ctx], Reply]
    prompts: tuple[str, ...] = ()
    accepts_fn: Callable[[Ctx], bool] | None = None
    intent: Intent | None = None
    state_loader: Callable[[str, Mapping[str, Any]], ConversationData] | None = None
    timeout_fn: Callable[[TimeoutCtx, ConversationData], Reply | None] | None = None

    @property
    def examples(self) -> list[str]:
        """Example messages for this intent, which train the classifier."""
        return load_examples(EXAMPLES_DIR / f"{self.name}.txt") if self.intent else []

    def handle(self, ctx: Ctx) -> Reply:
        """Run the handler."""
        return self.handler(ctx)

    def accepts(self, ctx: Ctx) -> bool:
        """Whether a message continues this skill's conversation."""
        return bool(self.accepts_fn and self.accepts_fn(ctx))

    def load_state(self, step: str, data: Mapping[str, Any]) -> ConversationData:
        """This skill's typed state from a stored row."""
        if self.state_loader is None:
            raise ValueError(f"skill {self.name!r} keeps no conversation state")
        return self.state_loader(step, data)

    def on_timeout(self, ctx: TimeoutCtx, state: ConversationData) -> Reply | None:
        """Record what an expired conversation achieved (nothing, unless the skill says so)."""
        return self.timeout_fn(ctx, state) if self.timeout_fn else None


EXAMPLES_DIR = Path(__file__).resolve().parent / "examples"


class SkillRegistry:
    """The explicit list of skills; refuses duplicate names."""

    def __init__(self, skills: Iterable[Skill]) -> None:
        self._skills: dict[str, Skill] = {}
        for skill in skills:
            if skill.name in self._skills:
                raise ValueError(f"duplicate skill name {skill.name!r}")
            self._skills[skill.name] = skill

    def __contains__(self, name: object) -> bool:
        return name in self._skills

    def __iter__(self) -> Iterator[Skill]:
        return iter(self._skills.values())

    def get(self, name: str) -> Skill:
        """The skill with this name."""
        return self._skills[name]

    def names(self) -> list[str]:
        """Every registered skill name."""
        return list(self._skills)

    def examples(self) -> dict[str, list[str]]:
        """Intent name to example messages, for the classifier."""
        return {s.name: list(s.examples) for s in self._skills.values() if s.intent and s.examples}

    def intents(self) -> list[Intent]:
        """Every declared intent, in registry order."""
        return [s.intent for s in self._skills.values() if s.intent is not None]

    def intent_names(self, **flags: bool) -> tuple[str, ...]:
        """The names of the intents whose flags have these values, e.g. `global_command=True`."""
        return tuple(
            i.name for i in self.intents() if all(getattr(i, flag) == value for flag, value in flags.items())
        )

    def required_prompts(self) -> list[str]:
        """Every prompt a registered skill uses (checked at startup)."""
        return sorted({p for s in self._skills.values() for p in s.prompts})
