"""Replies built from one knowledge card, shared by the skills that answer from cards (explain, emergency).

The card's answer leads, with its yes or no only when the learner asked the card's own question the same
way round; then its safety must-dos, a key fact or two the answer does not already say (about six
WhatsApp lines in all), a note when the detail is the employer's to confirm, the one-line emergency
reminder for "what do I do if ..." questions, the lesson link and the source in a few words.

A question often asks two things ("do we still need the plans if we CAT the trench anyway?"): when the
answering card says nothing of a content word the learner used and a runner-up card that also clears
the bar does, that card's one sentence about it comes first among the extra lines (`complement`); when
none does, the best runner-up's sentence closest to the question, if it adds something (`runner_up_line`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from sitecoach.curriculum.card_search import CardInfo, terms
from sitecoach.curriculum.retrieval import analyze, sentences
from sitecoach.models import EventKind
from sitecoach.nlu.normalise import normalise
from sitecoach.skills.contract import Ctx

MAX_SOURCES = 2

MAX_BODY_LINES = 6  # the answer, must-dos, extra facts and the local note: about one phone screen
MAX_MUST_DO = 3
MAX_CARD_FACTS = 2
NEW_FACT_SHARE = 0.5  # a key fact is added only if at least half its words are not in the answer
RUNNER_UP_SHARED = 2  # content words of the question a runner-up's sentence must have to be added
RUNNER_UP_NEW_WORDS = 3  # ... and words the answering card never uses (it must add something)
# "what do I do if ...", "what happens if ...", "if someone gets a belt ...": about an emergency, not in one.
_WHAT_IF = re.compile(
    r"\b(?:what (?:do|should|would) (?:i|you|we) do|what to do|what happens|"
    r"how do (?:i|you|we) (?:deal|cope)|(?:in )?(?:the )?(?:event|case) of|"
    r"if (?:a|an|some|the|your|my|he|she|they|you|i|we)\b)",
    re.IGNORECASE,
)
_INCIDENT = re.compile(
    r"\b(?:shock|belt|electrocut|burn|flash|arc|strike|struck|hit|fire|explo|collaps|cave|gas|faint|unconscious|"
    r"injur|hurt|accident|incident|emergenc|bleed|trapped|overcome|fumes|rescue|fall|fell|drown|flood)",
    re.IGNORECASE,
)
_YES_NO = re.compile(
    r"^\W*(?:(?:so|and|but|mate|hi|hey|quick q(?:uestion)?)\W+)*"
    r"(?:can|could|should|shall|is|isn'?t|are|do|does|did|must|may|will|would|have|has|am|"
    r"ok to|okay to|alright to|any need)\b",
    re.IGNORECASE,
)
_LEADING_VERDICT = re.compile(r"^(?:yes|no)\b[,.!:;]?\s*(?:-|—)?\s*", re.IGNORECASE)


def is_yes_no(question: str) -> bool:
    """A question answered by yes or no ("can I...", "is it ok to...", "do we need...")."""
    return bool(_YES_NO.search(question))


_PERMISSION = re.compile(
    r"\b(?:can|could|may|allowed|ok|okay|alright|fine|safe|acceptable|get away with)\b", re.IGNORECASE
)
_OBLIGATION = re.compile(
    r"\b(?:need|needs|have to|has to|must|should|required|got to|gotta)\b", re.IGNORECASE
)
SAME_QUESTION_OVERLAP = 0.5  # share of content words a learner's question and a card phrasing have in common
# Words that turn a yes/no question round: both questions must use the same ones ("keep my ring on" is not
# "take my ring off").
_POLARITY = frozenset(
    {"on", "off", "keep", "take", "remove", "leave", "wear", "without", "skip", "use", "not", "no", "never",
     "dont", "cant", "wont", "shouldnt", "stop", "start", "before", "after", "allowed", "need"}
)  # fmt: skip


def _asks(question: str) -> str:
    """Whether a yes/no question asks for permission ("can I", "is it ok") or about a duty ("do I need")."""
    if _OBLIGATION.search(question):
        return "duty"
    return "permission" if _PERMISSION.search(question) else "other"


def _same_question(question: str, card: CardInfo) -> bool:
    """Whether the learner asked the card's own yes/no question (its first phrasing, the one its answer
    was written to), the same way round: only then is the card's yes or no theirs ("is it ok to wear my
    ring" must never get the "yes" that answers "do I have to take my ring off"). The other phrasings
    only find the card: one may be asked the other way round."""
    if not card.questions or not is_yes_no(question):
        return False
    own = card.questions[0]
    if not is_yes_no(own) or _asks(own) != _asks(question):
        return False
    if _polarity(question) != _polarity(own):
        return False
    asked, words = set(terms(question)), set(terms(own))
    return bool(asked and words and len(asked & words) / len(asked | words) >= SAME_QUESTION_OVERLAP)


def _polarity(text: str) -> frozenset[str]:
    return frozenset(re.findall(r"[a-z]+", text.lower().replace("'", ""))) & _POLARITY


def lead_for(question: str, card: CardInfo) -> str:
    """The card's answer as the lead: with its yes or no only when the learner asked the card's own
    question the same way round; otherwise the rule itself leads."""
    answer = card.answer.strip()
    if _same_question(question, card):
        return answer
    rest = _LEADING_VERDICT.sub("", answer, count=1)
    return rest[:1].upper() + rest[1:] if rest and rest != answer else answer


_QUESTION_WORD = re.compile(
    r"\b(?:what|how|why|when|where|which|who|should|can|could|do|does|is|are)\b", re.IGNORECASE
)
# A question after the report, without a question mark: "smell gas in the trench what do i do",
# "mate collapsed down a manhole can i go in and get him", "lifting the pit covers any tips",
# "van parked on the edge of the trench, is that a problem", "surge generator, anything i need to know",
# "freezing out, will the resin still set".
TRAILING_QUESTION = re.compile(
    r"\b(?:what (?:do|should|shall|can) (?:i|we|you) do|what now|what next|what to do|"
    r"(?:can|could|should|shall|do|must) (?:i|we|he|she|they) |(?:does|do) (?:he|she|they|i|we) need|"
    r"how (?:do|should|can) (?:i|we|you) |any (?:tips|advice|pointers|rules|guidance)|"
    r"(?:is|isn'?t) (?:that|it|this) (?:a problem|an issue|bad|ok|okay|alright|safe|normal|right|allowed)|"
    r"(?:does|will) (?:that|it|this) matter|(?:i|we) (?:need|ought|should) to know|"
    # after a comma a yes/no question ("freezing out, will the resin still set"); not "do": "nah, do the
    # quiz later" is an instruction
    r"[,;:]\s*(?:will|would|does|can|could|should|is|are) (?:it|the|that|this|my|our|i|we|they)\b)",
    re.IGNORECASE,
)


def is_question(text: str) -> bool:
    """Whether a message asks something (a question mark, a yes/no opening, a question word, or a
    question after the report such as "... what do I do"; texting spelt out too: "wot is", "what do u do")."""
    stripped = text.strip()
    return "?" in text or _reads_as_question(stripped) or _reads_as_question(normalise(stripped))


def _reads_as_question(text: str) -> bool:
    return is_yes_no(text) or bool(_QUESTION_WORD.match(text)) or bool(TRAILING_QUESTION.search(text))


def is_what_if(question: str) -> bool:
    """A question about what to do if something goes wrong (not a report that it is happening)."""
    return bool(_WHAT_IF.search(question) and _INCIDENT.search(question))


def _touched(words: set[str], groups: Sequence[set[str]]) -> int:
    """How many of a question's content-word groups a sentence's terms touch."""
    return sum(1 for group in groups if not words.isdisjoint(group))


def _new_facts(card: CardInfo, room: int, question: str = "") -> list[str]:
    """Up to `room` key facts that add to the answer (most of their words are not already in it), those
    that speak to more of the question's content words first, then in the card's order."""
    said = set(terms(card.answer)) | {t for m in card.must_do for t in terms(m)}
    asked = [set(group) for group in analyze(question)]

    def relevance(fact: str) -> int:
        return _touched(set(terms(fact)), asked)

    facts = []
    for fact in sorted(card.key_facts, key=relevance, reverse=True):  # stable: ties keep the card's order
        words = set(terms(fact))
        if words and len(words - said) / len(words) >= NEW_FACT_SHARE and len(facts) < room:
            facts.append(fact)
            said |= words
    return facts


def complement(question: str, card: CardInfo, others: Sequence[CardInfo]) -> str | None:
    """The one sentence of a runner-up card that speaks to what the question asks and the answering card
    never mentions (the most such content words; the better-ranked card on a tie), or None."""
    said = set(terms(" ".join([card.title, card.answer, *card.must_do, *card.key_facts, *card.questions])))
    unanswered = [set(group) for group in analyze(question) if said.isdisjoint(group)]
    best, most = None, 0
    for other in others if unanswered else ():
        for sentence in sentences(other.answer):
            words = set(terms(sentence))
            found = _touched(words, unanswered)
            if found > most:
                best, most = sentence, found
    return best


def runner_up_line(question: str, card: CardInfo, others: Sequence[CardInfo]) -> str | None:
    """When no runner-up speaks to a word the answering card leaves out: the runner-up's sentence that
    shares the most of the question's content words (at least `RUNNER_UP_SHARED`) and says something the
    answering card does not (`RUNNER_UP_NEW_WORDS` words it never uses), or None. Two cards that both clear
    the bar often split the answer between them (measured on a tuning set written blind of the cards, before
    its content round: 80.8% -> 82.5% grounded; the other tuning sets unchanged or better)."""
    said = set(terms(" ".join([card.answer, *card.must_do, *card.key_facts])))
    asked = [set(group) for group in analyze(question)]
    best, most = None, RUNNER_UP_SHARED - 1
    for other in others:
        for sentence in sentences(other.answer):
            words = set(terms(sentence))
            if len(words - said) < RUNNER_UP_NEW_WORDS:
                continue
            shared = _touched(words, asked)
            if shared > most:
                best, most = sentence, shared
    return best


def local_note(ctx: Ctx, card: CardInfo) -> str | None:
    """The line saying the detail is the employer's to confirm, when it is."""
    if card.varies_by_operator or card.verify_locally:
        return ctx.say("explain/local_note", varies=card.varies_by_operator or "")
    return None


def card_answer(
    ctx: Ctx,
    question: str,
    card: CardInfo,
    reminder: bool = True,
    answer: str | None = None,
    runners_up: Sequence[CardInfo] = (),
) -> str:
    """The reply from one card: the answer first, then the must-dos, then what to check. `answer` is
    Claude's rewording of the card (which carries the must-dos already) when it wrote one; `runners_up`
    are the next cards that also clear the bar, for a sentence on what this one leaves out."""
    must_do = [] if answer is not None else list(card.must_do[:MAX_MUST_DO])
    note = local_note(ctx, card)
    room = max(0, MAX_BODY_LINES - 1 - len(must_do) - (1 if note else 0))
    facts: list[str] = []
    if answer is None:
        extra = (
            (complement(question, card, runners_up) or runner_up_line(question, card, runners_up[:1]))
            if room
            else None
        )
        facts = ([extra] if extra else []) + _new_facts(
            card, min(MAX_CARD_FACTS, room) - (1 if extra else 0), question
        )
    link = lesson_link(ctx, card, via="card" if answer is None else "card-llm")
    lesson = ctx.catalogue.lessons.get(card.lesson_code or "")
    return ctx.say(
        "explain/card_answer",
        answer=lead_for(question, card) if answer is None else answer,
        must_do=must_do,
        facts=facts,
        note=note,
        reminder=ctx.say("explain/what_if_reminder") if reminder and is_what_if(question) else "",
        link=link,
        lesson_title=lesson.title if lesson else "",
        source="; ".join(card.sources[:MAX_SOURCES]),
    )


def lesson_link(ctx: Ctx, card: CardInfo, via: str) -> str | None:
    """The signed link to the card's lesson (recorded as sent), or None when it has no live lesson."""
    if not ctx.catalogue.lesson_is_live(card.lesson_code):
        ctx.repo.add_event(ctx.learner, EventKind.CARD_SENT, ctx.now, card=card.code, via=via)
        return None
    code = card.lesson_code or ""
    ctx.repo.add_event(ctx.learner, EventKind.LESSON_SENT, ctx.now, lesson=code, card=card.code, via=via)
    return ctx.links.lesson_url(ctx.learner.id or 0, code)
