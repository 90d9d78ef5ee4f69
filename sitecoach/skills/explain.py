"""explain: answers from the vetted knowledge cards and lessons (safety first), with a link to the lesson.

The answer leads: the live card that clearly answers the question gives its direct answer (cards answer
"can I / should I / is it ok" with yes or no and the rule), then its safety must-dos and a key fact or two
that the answer does not already say, in at most about six WhatsApp lines; then a note when the detail is
the employer's to confirm, the one-line emergency reminder when the question is about what to do if
something happens, the lesson link and the source in a few words. With Claude configured the same cards
are all it may answer from. When no card clearly answers, the best lesson is used if it covers the
question and the cards know most of its words; otherwise the coach says plainly that it has nothing
vetted, rather than guess.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TypeVar

from sitecoach.curriculum.card_search import CardHit, CardInfo
from sitecoach.curriculum.retrieval import LessonMatch
from sitecoach.infra.llm import cap_answer, ensure_phrases
from sitecoach.infra.redact import redact
from sitecoach.models import EventKind
from sitecoach.models.choices import Choices, offer
from sitecoach.nlu.intents import Intent
from sitecoach.skills.card_reply import card_answer
from sitecoach.skills.contract import Ctx, Reply, SimpleSkill

T = TypeVar("T")
MAX_FACTS = 3
MAX_PASSAGES = 8
RUNNERS_UP = 2  # cards after the answering one that may add a sentence on what it leaves out
LLM_CARDS = 3  # Claude sees the answering card and the next best ones that also clear the bar
_PLACEHOLDER = re.compile(r"\[(?:phone|email|name|postcode|address|reg)\]")
_LEAD_IN = re.compile(
    r"^(?:(?:can you |could you |pls |please )?"
    r"(?:explain|tell me about|tell me|what about|info on|teach me)\s+)",
    re.IGNORECASE,
)


# "send me the video on resin", "got a lesson on spiking?", "link to the earthing vid pls"
_LESSON_REQUEST = re.compile(
    r"^(?:.*?\b(?:send|show|give|gies|gimme|got|have|get|share|link|where(?:'?s| is)|"
    r"can i (?:see|watch|have)|want|need|any|is there)\b)?.*?\b(?:the |a |that |your )?"
    # "clip" the noun, not the verb ("the box you clip on to the cable", "the gadget u clip on ur chest")
    r"(?:video|vid|vids|videos|lesson|lessons|module"
    r"|(?<!\byou )(?<!\bu )(?<!\bye )(?<!\bi )(?<!\bwe )(?<!\bthey )(?<!\bto )(?<!\band )(?<!\bor )"
    r"(?<!\bthen )(?<!\bjust )clip)s?"
    r"\b(?:\s+(?:on|about|for|re|regarding|covering|of))?\s+(?P<topic>.+?)[\s?!.]*$",
    re.IGNORECASE,
)
# A topic name alone is short: the best lesson only needs to be clearly about it.
LESSON_REQUEST_MIN_SCORE = 0.5


def lesson_requested(ctx: Ctx, text: str) -> str | None:
    """A link to the lesson asked for by name or topic, or None if this is not such a request."""
    m = _LESSON_REQUEST.match(text.strip())
    if not m:
        return None
    topic = re.sub(r"\b(?:please|pls|plz|mate|ta|thanks|cheers)\b", " ", m.group("topic"), flags=re.I).strip()
    matches = ctx.catalogue.find_lessons(topic, k=1) if topic else []
    if not matches or matches[0].score < LESSON_REQUEST_MIN_SCORE or matches[0].coverage == 0:
        return None
    lesson = ctx.catalogue.lessons[matches[0].lesson_id]
    link = ctx.links.lesson_url(ctx.learner.id or 0, lesson.code)
    ctx.repo.add_event(ctx.learner, EventKind.LESSON_SENT, ctx.now, lesson=lesson.code, via="request")
    return ctx.say("explain/lesson_link", lesson_title=lesson.title, link=link)


def answer_for(ctx: Ctx, question: str) -> str | None:
    """The grounded answer text for a question, or None when the pack does not cover it."""
    match = ctx.catalogue.covered(question)
    if match is None:
        return None
    lesson = ctx.catalogue.lessons[match.lesson_id]
    facts: list[str] = []
    for hit in match.hits:
        if hit.passage.kind in ("fact", "script") and hit.passage.text not in facts:
            facts.append(hit.passage.text)
        if len(facts) == MAX_FACTS:
            break
    for fact in lesson.key_facts:  # top up from the lesson's own key facts, in order
        if len(facts) >= MAX_FACTS:
            break
        if fact not in facts:
            facts.append(fact)
    warnings = [h.passage.text for h in match.hits if h.passage.kind == "warning"][:1]
    if not warnings and lesson.safety_warnings:
        warnings = [lesson.safety_warnings[0]]
    link = ctx.links.lesson_url(ctx.learner.id or 0, lesson.code)
    ctx.repo.add_event(ctx.learner, EventKind.LESSON_SENT, ctx.now, lesson=lesson.code, via="explain")
    return ctx.say(
        "explain/answer",
        lesson_title=lesson.title,
        warnings=warnings,
        facts=facts,
        link=link,
        verify_locally=lesson.verify_locally,
    )


def _ask_claude(
    ctx: Ctx, question: str, title: str, passages: list[str], warnings: list[str]
) -> tuple[str | None, bool]:
    """Claude's answer from these passages only, or (None, not_covered); None too when Claude is not
    configured, over the learner's budget, or failed (the offline answer is used)."""
    llm = ctx.llm
    if llm is None or not llm.enabled:
        return None, False
    s = ctx.settings
    if not ctx.repo.llm_allowed(ctx.learner, ctx.now, s.llm_daily_tokens, s.llm_hourly_calls):
        return None, False
    system = ctx.say("llm/explain_system", lesson_title=title, passages=passages, warnings=warnings)
    names = ctx.known_names()
    history = [
        (role, redact(text, names).text)
        for role, text in ctx.repo.recent_turns(ctx.learner, ctx.message.message_id)
    ]
    call = llm.explain(system, redact(question, names).text, history)
    ctx.repo.record_llm(
        ctx.learner, "explain", call, llm.model, llm.cost_usd(call.input_tokens, call.output_tokens), ctx.now
    )
    if call.outcome == "not_covered":
        return None, True
    if not call.ok or call.text is None:
        return None, False
    return cap_answer(call.text), False


def llm_card_answer(ctx: Ctx, question: str, hit: CardHit) -> tuple[str | None, bool]:
    """Claude's answer from the answering card (and the next best that also clear the bar), or
    (None, not_covered). Only ever from the cards."""
    cards = [hit.card, *runners_up(ctx, question, hit, k=LLM_CARDS - 1)]
    passages = [
        f"[{c.title}] {c.answer} "
        + " ".join([*c.key_facts, *c.must_do])
        + (f" (Varies by operator: {c.varies_by_operator})" if c.varies_by_operator else "")
        for c in cards
    ]
    text, not_covered = _ask_claude(ctx, question, hit.card.title, passages, list(hit.card.must_do))
    if text is None:
        return None, not_covered
    answer = ensure_phrases(text, hit.card.mandatory_phrases)
    return card_answer(ctx, question, hit.card, answer=answer), False


def _with_context(ctx: Ctx, question: str, find: Callable[[str], T | None]) -> tuple[str, T | None]:
    """What `find` finds for the question, reading it with the learner's previous question if needed
    ("and what about 11kV?"): a short follow-up is asked again joined to the question before it."""
    found = find(question)
    if found is not None:
        return question, found
    if len(question.split()) > 8:
        return question, None
    turns = ctx.repo.recent_turns(ctx.learner, ctx.message.message_id, limit=4)
    previous = next((text for role, text in reversed(turns) if role == "learner"), None)
    if previous:
        combined = f"{previous} {question}"
        return combined, find(combined)
    return question, None


def _words_the_cards_know(ctx: Ctx, question: str) -> bool:
    """Whether the cards use enough of the question's words for a lesson to stand in for them: the lessons
    are a narrower text than the cards, so a question whose words the cards mostly do not know ("what time
    does the chippy shut", "change the oil on my corsa") is not answered from a lesson passage either."""
    hits = ctx.catalogue.find_cards(question, k=1)
    return bool(hits) and hits[0].known >= ctx.catalogue.card_index.min_known


def llm_answer(ctx: Ctx, question: str, match: LessonMatch) -> tuple[str | None, bool]:
    """Claude's grounded answer, or (None, not_covered). Only ever from the retrieved passages."""
    lesson = ctx.catalogue.lessons[match.lesson_id]
    passages = list(dict.fromkeys([h.passage.text for h in match.hits] + list(lesson.key_facts)))[
        :MAX_PASSAGES
    ]
    text, not_covered = _ask_claude(ctx, question, lesson.title, passages, list(lesson.safety_warnings))
    if text is None:
        return None, not_covered
    text = ensure_phrases(text, lesson.mandatory_phrases)
    link = ctx.links.lesson_url(ctx.learner.id or 0, lesson.code)
    ctx.repo.add_event(ctx.learner, EventKind.LESSON_SENT, ctx.now, lesson=lesson.code, via="explain-llm")
    return f"{text}\n\n▶️ 90-second lesson: {link}", False


def handle(ctx: Ctx) -> Reply:
    """Answer from the best-matching lesson (Claude when configured, else offline), or say plainly that
    the pack does not cover it."""
    # Personal details come out first: they are nobody's business, and they are not part of the question;
    # but a name that is also a word of the job stays in the question ("how do I mark up the services" from
    # Mark; Claude still gets every name redacted).
    names = [n for n in ctx.known_names() if not ctx.catalogue.card_index.knows(n)]
    redacted = redact(_LEAD_IN.sub("", ctx.message.text), names).text
    question = re.sub(r"\s+", " ", _PLACEHOLDER.sub(" ", redacted)).strip(" ,.")
    if len(question) < 2:
        return Reply.text(ctx.say("explain/empty", examples='"why do we spike a cable?"'))
    requested = lesson_requested(ctx, question)
    if requested is not None:
        return Reply.text(requested)
    query, hit = _with_context(ctx, question, ctx.catalogue.card_for)
    if hit is not None:
        # A card clearly answers: if Claude declines or fails, the vetted card itself is the answer.
        text, _not_covered = llm_card_answer(ctx, question, hit)
        answer = (
            text
            if text is not None
            else card_answer(ctx, query, hit.card, runners_up=runners_up(ctx, query, hit))
        )
        return Reply.text(answer, choices=follow_up(ctx, hit.card.lesson_code))
    if not _words_the_cards_know(ctx, question):
        return Reply.text(ctx.say("explain/not_covered", question=question))
    query, match = _with_context(ctx, question, ctx.catalogue.covered)
    if match is None:
        return Reply.text(ctx.say("explain/not_covered", question=question))
    text, not_covered = llm_answer(ctx, question, match)
    if not_covered:
        return Reply.text(ctx.say("explain/not_covered", question=question))
    if text is None:
        text = answer_for(ctx, query)
    if text is None:
        return Reply.text(ctx.say("explain/not_covered", question=question))
    return Reply.text(text, choices=follow_up(ctx, match.lesson_id))


def runners_up(ctx: Ctx, query: str, hit: CardHit, k: int = RUNNERS_UP) -> list[CardInfo]:
    """The next best live cards for a question that also clear the bar on their own (what Claude reads
    beside the answering card, and where the offline reply looks for what that card leaves out)."""
    index = ctx.catalogue.card_index
    found = index.search(query, k=k + 1)
    return [h.card for h in found if h.card != hit.card and index.answers(h)][:k]


def follow_up(ctx: Ctx, lesson_code: str | None) -> Choices | None:
    """After an answer, two taps: a quiz on the answer's lesson, or the learner's mentor. An extra the
    answer does without when it cannot be tapped (so no numbered text)."""
    lesson = ctx.catalogue.lessons.get(lesson_code) if lesson_code else None
    if lesson is None:
        return None
    return offer(
        [(f"quiz me on {lesson.title}", "Quiz me on this"), ("mentor", "Ask my mentor")], listed=True
    )


skill = SimpleSkill(
    name="explain",
    intent=Intent("explain", before_onboarding=True),
    description="Answers a question from the vetted lessons, safety first, with a link to the lesson video.",
    handler=handle,
    prompts=(
        "explain/answer",
        "explain/card_answer",
        "explain/what_if_reminder",
        "explain/local_note",
        "explain/not_covered",
        "explain/empty",
        "explain/lesson_link",
        "llm/explain_system",
    ),
)
