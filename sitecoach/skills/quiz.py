"""quiz: rounds of multiple-choice questions, scheduled per learner by FSRS."""

from __future__ import annotations

import random
import re
from dataclasses import replace
from datetime import datetime, timedelta

from sitecoach.curriculum.catalogue import ItemInfo
from sitecoach.infra.localtime import local_now
from sitecoach.learning.answers import LETTERS, parse_choice
from sitecoach.learning.memory import Candidate, pick_next_item
from sitecoach.models import EventKind, Learner
from sitecoach.models.choices import Choice, Choices, offer
from sitecoach.nlu.intents import Intent
from sitecoach.records.passport import focus_competencies
from sitecoach.records.repository import CoachRepository
from sitecoach.settings import Settings
from sitecoach.skills.contract import END, ConversationData, Ctx, Reply, SetState, SimpleSkill, TimeoutCtx
from sitecoach.skills.quiz_state import MockPaper, MockScore, QuizRound, load_state

_MOCK = re.compile(r"\b(mock|practice (?:paper|exam|test)|exam practice|epa test)\b", re.IGNORECASE)
FINISH_WORDS = {
    "done",
    "finish",
    "finished",
    "end",
    "end quiz",
    "enough",
    "no more",
    "thats enough",
    "that's enough",
}
# "stop the quiz", "end quiz", "no more questions", "quiz later": a finish said in words (never a new round)
_STOP_QUIZ = re.compile(
    r"^(?:(?:can we|can i|lets|let's|please|pls|ok|okay|nah|no)\s+)*"
    r"(?:stop|end|quit|finish|cancel|pause|leave|park|bin|no more|enough(?: of)?)\s+"
    r"(?:the |this |that |my |these |with the )?(?:quiz|quizzes|questions?|qs|test|round|mock)\b"
    r"(?!\s+(?:messages|msgs|texts|reminders|nudges))"
    r"|\b(?:quiz|questions?|test)\s+(?:later|tomorrow|another time)\b",
    re.IGNORECASE,
)


def is_finish(text: str) -> bool:
    """Whether a reply ends the quiz in progress ("done", "end quiz", "stop the quiz", "questions later")."""
    text = text.strip().lower().strip(".!")
    return text in FINISH_WORDS or _STOP_QUIZ.search(text) is not None


SKIP_WORDS = {"skip", "pass", "dunno", "dont know", "don't know", "no idea", "idk", "next"}
_TOPIC = re.compile(
    r"^(?:.*?\b(?:quiz|test|questions?|qs|q's|revision|revise)\b)(?:\s+(?:me|us))?"
    r"(?:\s+(?:on|about|for|in|with))?\s*(?P<topic>.*)$",
    re.IGNORECASE,
)
_TOPIC_NOISE = re.compile(
    r"\b(please|pls|plz|mate|now|a|some|quick|the|me|us|give|gies|gimme)\b", re.IGNORECASE
)


def _topic_of(text: str) -> str:
    m = _TOPIC.match(text.strip())
    if not m:
        return ""
    topic = _TOPIC_NOISE.sub(" ", m.group("topic"))
    return re.sub(r"[^\w\s'-]", " ", topic).strip()


def _choose(ctx: Ctx, lessons: list[str] | None, asked: list[str], last: str | None) -> ItemInfo | None:
    items = ctx.catalogue.items_for_lessons(set(lessons) if lessons else None)
    states = ctx.repo.review_states(ctx.learner)
    candidates = [
        Candidate(i.code, i.lesson_position, i.competencies, states[i.id].due if i.id in states else None)
        for i in items
    ]
    mastery = ctx.repo.mastery(ctx.learner, ctx.now).by_competency if candidates else {}
    focus = (
        focus_competencies(
            ctx.repo.session,
            ctx.learner,
            ctx.settings.content_pack_path,
            local_now(ctx.now, ctx.learner.timezone).date(),
        )
        if candidates and ctx.settings.passport_quiz_lean > 0
        else frozenset()
    )
    picked = pick_next_item(
        candidates,
        mastery,
        ctx.now,
        last_item=last,
        exclude=asked,
        focus=focus,
        focus_lean=ctx.settings.passport_quiz_lean,
    )
    return ctx.catalogue.items[picked.item_code] if picked else None


def _ask(ctx: Ctx, item: ItemInfo, number: int, topic: str, total: int | None = None) -> str:
    options = [f"{LETTERS[i].upper()}) {o}" for i, o in enumerate(item.options)]
    return ctx.say(
        "quiz/question",
        number=number,
        total=total or ctx.settings.quiz_round_length,
        topic=topic,
        question=item.question,
        options=options,
    )


def _answer_choices(item: ItemInfo) -> Choices:
    """The options to tap (buttons up to 3, else a list): a tap answers with the option's letter, as typed."""
    return offer(
        [Choice(LETTERS[i].upper(), f"{LETTERS[i].upper()}) {o}", o) for i, o in enumerate(item.options)],
        button="Answer",
        listed=True,
    )


def _state(ctx: Ctx, state: QuizRound) -> SetState:
    return SetState(state, ttl=timedelta(minutes=ctx.settings.conversation_ttl_minutes))


def start_round(ctx: Ctx) -> Reply:
    """Begin a round, on a topic if the learner named one."""
    topic = str(ctx.slots.get("topic") or "") or _topic_of(ctx.message.text)
    lessons: list[str] | None = None
    if topic:
        matches = [m for m in ctx.catalogue.find_lessons(topic, k=3) if ctx.catalogue.index.covers(m)]
        if not matches:
            return Reply.text(ctx.say("quiz/no_items", topic=topic))
        top = matches[0].score
        lessons = [m.lesson_id for m in matches if m.score >= 0.85 * top]
        topic = ctx.catalogue.lessons[lessons[0]].title if len(lessons) == 1 else topic
    item = _choose(ctx, lessons, [], None)
    if item is None:
        return Reply.text(ctx.say("quiz/no_items", topic=topic), state=END)
    state = QuizRound(item.code, (item.code,), lessons=tuple(lessons) if lessons else None, topic=topic)
    return Reply.text(_ask(ctx, item, 1, topic), state=_state(ctx, state), choices=_answer_choices(item))


def answer(ctx: Ctx, state: QuizRound) -> Reply:
    """Mark the answer, explain, and ask the next question or close the round."""
    item = ctx.catalogue.items.get(state.item)
    if item is None:  # the lesson pack changed under the round
        return start_round(ctx)
    text = ctx.message.text.strip().lower().strip(".!")
    if is_finish(text):
        return _summary(ctx, state.correct, asked_count=len(state.asked) - 1)
    skipped = text in SKIP_WORDS
    choice = None if skipped else parse_choice(ctx.message.text, item.options)
    if choice is None and not skipped:
        letters = ", ".join(LETTERS[i].upper() for i in range(len(item.options)))
        return Reply.text(ctx.say("quiz/unclear", letters=letters), state=_state(ctx, state))
    correct = choice == item.answer_index
    ctx.repo.record_review(ctx.learner, item.id, correct, ctx.now)
    right = f"{LETTERS[item.answer_index].upper()}) {item.options[item.answer_index]}"
    feedback = (
        ctx.say("quiz/correct", explanation=item.explanation)
        if correct
        else ctx.say("quiz/wrong", right_option=right, explanation=item.explanation)
    )
    state = replace(state, correct=state.correct + (1 if correct else 0))
    nxt = (
        _choose(ctx, list(state.lessons) if state.lessons else None, list(state.asked), item.code)
        if len(state.asked) < ctx.settings.quiz_round_length
        else None
    )
    if nxt is None:  # the round is full, or no question is left to ask
        summary = _summary(ctx, state.correct, asked_count=len(state.asked))
        return Reply.text(feedback, *[m.body for m in summary.messages], state=END)
    state = replace(state, item=nxt.code, asked=(*state.asked, nxt.code))
    return Reply.text(
        feedback,
        _ask(ctx, nxt, len(state.asked), state.topic),
        state=_state(ctx, state),
        choices=_answer_choices(nxt),
    )


def _summary(ctx: Ctx, correct: int, asked_count: int) -> Reply:
    return Reply.text(
        ctx.say("quiz/summary", correct=correct, asked=asked_count, due_next=asked_count > 0),
        state=END,
    )


def start_mock(ctx: Ctx) -> Reply:
    """A timed paper of knowledge items drawn at random from the bank, like the EPA's multiple-choice test."""
    knowledge = {c.code for c in ctx.catalogue.competencies_of_standard(None) if c.kind == "knowledge"}
    bank = sorted(i.code for i in ctx.catalogue.items.values() if any(c in knowledge for c in i.competencies))
    count = min(ctx.settings.mock_test_questions, len(bank))
    if count == 0:
        return Reply.text(ctx.say("quiz/no_items", topic="the EPA knowledge test"), state=END)
    paper = random.Random(f"{ctx.learner.id}-{ctx.now.isoformat()}").sample(bank, count)
    predicted = ctx.repo.insights(ctx.learner, ctx.now, ctx.settings.epa_pass_mark).readiness.pass_chance
    state = MockPaper(tuple(paper), index=0, correct=0, started=ctx.now, predicted=round(predicted, 4))
    intro = ctx.say(
        "quiz/mock_start",
        questions=count,
        minutes=ctx.settings.mock_test_minutes,
        pass_mark=f"{100 * ctx.settings.epa_pass_mark:.0f}",
        predicted=f"{100 * predicted:.0f}",
    )
    first = ctx.catalogue.items[paper[0]]
    return Reply.text(
        intro,
        _ask(ctx, first, 1, "", total=count),
        state=_mock_state(ctx, state),
        choices=_answer_choices(first),
    )


def _mock_state(ctx: Ctx, state: MockPaper) -> SetState:
    return SetState(state, ttl=timedelta(minutes=ctx.settings.mock_test_minutes + 5))


def _without_withdrawn(ctx: Ctx, state: MockPaper) -> MockPaper:
    """The paper without the questions not yet answered (the one on screen included) whose card or lesson
    was withdrawn meanwhile."""
    done, rest = state.paper[: state.index], state.paper[state.index :]
    live = tuple(code for code in rest if code in ctx.catalogue.items)
    return state if live == rest else replace(state, paper=done + live)


def mock_answer(ctx: Ctx, state: MockPaper) -> Reply:
    """Mark a mock answer silently and move on; finish on the last question, DONE, or time up."""
    timed_out = ctx.now - state.started > timedelta(minutes=ctx.settings.mock_test_minutes)
    text = ctx.message.text.strip().lower().strip(".!")
    on_screen = state.item
    state = _without_withdrawn(ctx, state)
    if timed_out or is_finish(text) or state.finished:
        return _mock_result(ctx, state, timed_out=timed_out)
    if state.item != on_screen:  # the question they answered was withdrawn: ask the next, mark nothing
        nxt = ctx.catalogue.items[state.item]
        return Reply.text(
            _ask(ctx, nxt, state.index + 1, "", total=len(state.paper)),
            state=_mock_state(ctx, state),
            choices=_answer_choices(nxt),
        )
    item = ctx.catalogue.items[state.item]
    choice = None if text in SKIP_WORDS else parse_choice(ctx.message.text, item.options)
    if choice is None and text not in SKIP_WORDS:
        letters = ", ".join(LETTERS[i].upper() for i in range(len(item.options)))
        return Reply.text(ctx.say("quiz/unclear", letters=letters), state=_mock_state(ctx, state))
    correct = choice == item.answer_index
    ctx.repo.record_review(ctx.learner, item.id, correct, ctx.now)
    state = replace(state, correct=state.correct + (1 if correct else 0), index=state.index + 1)
    state = _without_withdrawn(ctx, state)
    if state.finished:
        return _mock_result(ctx, state, timed_out=False)
    nxt = ctx.catalogue.items[state.item]
    return Reply.text(
        _ask(ctx, nxt, state.index + 1, "", total=len(state.paper)),
        state=_mock_state(ctx, state),
        choices=_answer_choices(nxt),
    )


def _record_mock(
    repo: CoachRepository,
    learner: Learner,
    settings: Settings,
    state: MockPaper,
    at: datetime,
    timed_out: bool,
    abandoned: bool = False,
) -> MockScore:
    """Append the paper's MOCK_TEST event and return its score; an abandoned paper also says so, with how
    many questions were answered."""
    score = state.score(at, settings.epa_pass_mark)
    left = {"abandoned": True, "answered": state.index} if abandoned else {}
    repo.add_event(
        learner,
        EventKind.MOCK_TEST,
        at,
        correct=state.correct,
        questions=len(state.paper),
        passed=score.passed,
        predicted_pass_chance=state.predicted,
        minutes=score.minutes,
        timed_out=timed_out,
        **left,
    )
    return score


def _mock_result(ctx: Ctx, state: MockPaper, timed_out: bool) -> Reply:
    score = _record_mock(ctx.repo, ctx.learner, ctx.settings, state, ctx.now, timed_out=timed_out)
    return Reply.text(
        ctx.say(
            "quiz/mock_result",
            correct=state.correct,
            questions=len(state.paper),
            percent=f"{score.percent:.0f}",
            passed=score.passed,
            pass_mark=f"{100 * ctx.settings.epa_pass_mark:.0f}",
            minutes=score.minutes,
            predicted=f"{100 * state.predicted:.0f}",
            timed_out=timed_out,
        ),
        state=END,
    )


def on_timeout(ctx: TimeoutCtx, state: ConversationData) -> Reply | None:
    """A mock paper left unfinished is recorded with its score so far; a practice round needs nothing more
    (each answer was recorded as it came)."""
    if isinstance(state, MockPaper):
        # At the learner's last answer: that is when they stopped, not when the expiry was noticed.
        timed_out = ctx.last_turn_at - state.started > timedelta(minutes=ctx.settings.mock_test_minutes)
        _record_mock(
            ctx.repo, ctx.learner, ctx.settings, state, ctx.last_turn_at, timed_out=timed_out, abandoned=True
        )
    return None


def handle(ctx: Ctx) -> Reply:
    """Start a round or a mock paper, or continue the one in progress."""
    if ctx.in_conversation and (paper := ctx.state_as(MockPaper)) is not None:
        return mock_answer(ctx, paper)
    if ctx.in_conversation and (round_ := ctx.state_as(QuizRound)) is not None:
        return answer(ctx, round_)
    if is_finish(ctx.message.text):  # "stop the quiz" with none running: never start one
        return Reply.text(ctx.say("quiz/none_running"), state=END)
    if _MOCK.search(ctx.message.text):
        return start_mock(ctx)
    return start_round(ctx)


def accepts(ctx: Ctx) -> bool:
    """An answer, a skip or a finish continues the quiz; anything else is classified afresh."""
    state = ctx.state_as(QuizRound) or ctx.state_as(MockPaper)
    item = ctx.catalogue.items.get(state.item) if state is not None else None
    if item is None:
        # a mock paper whose question on screen was withdrawn carries on with the next one
        return isinstance(state, MockPaper) and not state.finished
    text = ctx.message.text.strip().lower().strip(".!")
    if is_finish(text) or text in SKIP_WORDS:
        return True
    if parse_choice(ctx.message.text, item.options) is not None:
        return True
    # A short reply that is not a known intent is most likely a botched answer: ask again.
    return len(text) <= 3 or (ctx.intent.intent in ("smalltalk", "explain") and ctx.intent.confidence < 0.5)


skill = SimpleSkill(
    name="quiz",
    intent=Intent("quiz", before_onboarding=True),
    description="Asks quiz questions, marks answers and schedules reviews (FSRS).",
    handler=handle,
    accepts_fn=accepts,
    state_loader=load_state,
    timeout_fn=on_timeout,
    prompts=(
        "quiz/question",
        "quiz/correct",
        "quiz/wrong",
        "quiz/unclear",
        "quiz/summary",
        "quiz/no_items",
        "quiz/none_running",
        "quiz/mock_start",
        "quiz/mock_result",
    ),
)
