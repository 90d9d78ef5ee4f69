"""explain: answers from the vetted lessons (safety first), with a link to the micro-video."""

from __future__ import annotations

import re

from bot.skill_api import Ctx, Reply, SimpleSkill
from models import EventKind

MAX_FACTS = 3
_LEAD_IN = re.compile(
    r"^(?:(?:can you |could you |pls |please )?"
    r"(?:explain|tell me about|tell me|what about|info on|teach me)\s+)",
    re.IGNORECASE,
)


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


def handle(ctx: Ctx) -> Reply:
    """Answer from the best-matching lesson, or say plainly that the pack does not cover it."""
    question = _LEAD_IN.sub("", ctx.message.text).strip()
    if len(question) < 2:
        return Reply.text(ctx.say("explain/empty", examples='"why do we spike a cable?"'))
    answer = answer_for(ctx, question)
    if answer is None:
        return Reply.text(ctx.say("explain/not_covered", question=question))
    return Reply.text(answer)


skill = SimpleSkill(
    name="explain",
    description="Answers a question from the vetted lessons, safety first, with a link to the lesson video.",
    handler=handle,
    prompts=("explain/answer", "explain/not_covered", "explain/empty"),
)
