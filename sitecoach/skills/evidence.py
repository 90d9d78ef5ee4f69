"""evidence: photos and notes from site, matched to competencies, confirmed, and queued for sign-off."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import timedelta

from sitecoach.models.choices import Choice, Choices, offer
from sitecoach.nlu.intents import Intent
from sitecoach.skills.contract import END, Ctx, MediaItem, Reply, SetState, SimpleSkill
from sitecoach.skills.evidence_state import EvidenceDraft, EvidenceStep, SiteLocation, load_state

MAX_SUGGESTIONS = 4
_TRIGGER_ONLY = re.compile(
    r"^(?:(?:i want to |can i |how do i |let me |wanna )?(?:log|add|save|upload|send|record)?\s*"
    r"(?:some |an? |my )?(?:evidence|portfolio|photo|pic|picture|proof)(?: of (?:my )?work)?"
    r"(?: please| pls)?[.!?]*)$",
    re.IGNORECASE,
)


def _ttl(ctx: Ctx) -> timedelta:
    return timedelta(minutes=ctx.settings.conversation_ttl_minutes)


def _keep(ctx: Ctx, draft: EvidenceDraft, step: EvidenceStep) -> SetState:
    return SetState(replace(draft, step=step), _ttl(ctx))


def _location_of(ctx: Ctx) -> SiteLocation | None:
    m = ctx.message
    if m.latitude is None and not m.address:
        return None
    return SiteLocation(m.latitude, m.longitude, m.address)


def suggest_competencies(ctx: Ctx, note: str) -> list[str]:
    """Competency codes the note most likely shows: practical skills first, from the best lessons."""
    if not note.strip():
        return []
    known = {c.code for c in ctx.catalogue.competencies_of_standard(None)}
    codes: list[str] = []
    matches = ctx.catalogue.find_lessons(note, k=2)
    best = matches[0].score if matches else 0.0
    for match in matches:
        # A note describes a job, not a question: no coverage rule, just a clear match near the best.
        if match.score < ctx.catalogue.index.min_score or match.score < 0.6 * best:
            continue
        lesson = ctx.catalogue.lessons[match.lesson_id]
        ranked = sorted(
            (c for c in lesson.competencies if c in known),
            key=lambda c: (ctx.catalogue.competencies[c].kind != "skill", c),
        )
        for code in ranked:
            if code not in codes:
                codes.append(code)
    return codes[:MAX_SUGGESTIONS]


def _confirm(ctx: Ctx, draft: EvidenceDraft) -> Reply:
    suggestions = suggest_competencies(ctx, draft.note)
    draft = replace(draft, suggestions=tuple(suggestions))
    photos = len(draft.media)
    if not suggestions:
        return Reply.text(
            ctx.say("evidence/confirm_none", photos=photos),
            state=_keep(ctx, draft, EvidenceStep.CONFIRMING),
            choices=SAVE_AS_IT_IS,
        )
    labels = [f"{code}: {ctx.catalogue.competencies[code].text}" for code in suggestions]
    return Reply.text(
        ctx.say("evidence/confirm", suggestions=labels, photos=photos),
        state=_keep(ctx, draft, EvidenceStep.CONFIRMING),
        choices=_claim_choices(ctx, suggestions),
    )


SAVE_AS_IT_IS = offer([("save", "Save as it is")], listed=True)


def _claim_choices(ctx: Ctx, suggestions: list[str]) -> Choices:
    """What a tap can claim: every suggestion, one of them (its number, as typed), or none."""
    one = [
        Choice(str(i), f"{i}) {code}", ctx.catalogue.competencies[code].text)
        for i, code in enumerate(suggestions, 1)
    ]
    if len(suggestions) == 1:
        return offer([("all", f"Yes, {suggestions[0]}"), ("none", "No claim, just save")], listed=True)
    return offer(
        [Choice("all", "All of these"), *one, Choice("none", "None: just save")], button="Claim", listed=True
    )


def _save(ctx: Ctx, draft: EvidenceDraft, claims: list[str]) -> Reply:
    loc = draft.location or SiteLocation()
    item = ctx.repo.add_evidence(
        ctx.learner,
        ctx.now,
        note=draft.note,
        media=[{"url": m.url, "content_type": m.content_type, "path": m.path} for m in draft.media],
        competencies=claims,
        latitude=loc.latitude,
        longitude=loc.longitude,
        address=loc.address,
    )
    mentor = ctx.repo.mentor_of(ctx.learner)
    return Reply.text(
        ctx.say(
            "evidence/saved",
            reference=f"#{item.id}",
            claims=", ".join(claims),
            mentor_name=mentor.name if mentor else "your mentor",
        ),
        state=END,
    )


def _parse_claims(text: str, suggestions: tuple[str, ...]) -> list[str] | None:
    t = text.strip().lower().strip(".!")
    if t in ("all", "yes", "y", "yep", "yeah", "aye", "ok", "correct", "all of them", "both"):
        return list(suggestions)
    if t in ("none", "no", "nope", "save", "just save", "save it", "neither"):
        return []
    numbers = re.findall(r"\d+", t)
    if numbers and re.fullmatch(r"[\d\s,&and+]+", t):
        picked = [suggestions[int(n) - 1] for n in numbers if 1 <= int(n) <= len(suggestions)]
        return list(dict.fromkeys(picked)) if picked else None
    return None


def _note_from(text: str) -> str:
    return "" if _TRIGGER_ONLY.match(text.strip()) else text.strip()


def _note_joined(note: str, more: str) -> str:
    return (note + " " + more).strip()


def handle(ctx: Ctx) -> Reply:
    """Collect photo and note, suggest competencies, confirm, save as pending sign-off."""
    ongoing = ctx.state_as(EvidenceDraft) if ctx.in_conversation else None
    draft = ongoing or EvidenceDraft(EvidenceStep.AWAITING_MEDIA)
    media = tuple(MediaItem(m.url, m.content_type, m.path) for m in ctx.message.media)
    draft = replace(draft, media=draft.media + media, location=_location_of(ctx) or draft.location)
    text = ctx.message.text

    if ongoing is not None and ongoing.step == EvidenceStep.CONFIRMING:
        if ctx.message.media:  # another photo of the same job
            return Reply.text(
                ctx.say("evidence/unclear", count=max(1, len(draft.suggestions))),
                state=_keep(ctx, draft, EvidenceStep.CONFIRMING),
            )
        claims = _parse_claims(text, draft.suggestions)
        if claims is None:
            if len(text.split()) >= 3:  # a better note: match again
                return _confirm(ctx, replace(draft, note=_note_joined(draft.note, text)))
            return Reply.text(
                ctx.say("evidence/unclear", count=max(1, len(draft.suggestions))),
                state=_keep(ctx, draft, EvidenceStep.CONFIRMING),
            )
        return _save(ctx, draft, claims)

    note = _note_from(text)
    if note:
        draft = replace(draft, note=_note_joined(draft.note, note))
    if not draft.media and not draft.note:
        return Reply.text(
            ctx.say("evidence/ask_for_photo", name=ctx.learner.name or ""),
            state=_keep(ctx, draft, EvidenceStep.AWAITING_MEDIA),
        )
    if draft.media and not draft.note:
        return Reply.text(
            ctx.say("evidence/ask_for_note", photos=len(draft.media)),
            state=_keep(ctx, draft, EvidenceStep.AWAITING_NOTE),
        )
    return _confirm(ctx, draft)


def accepts(ctx: Ctx) -> bool:
    """Photos, notes and confirmations continue the evidence conversation."""
    if ctx.message.media or ctx.message.latitude is not None:
        return True
    draft = ctx.state_as(EvidenceDraft)
    if draft is None:
        return False
    if draft.step == EvidenceStep.CONFIRMING:
        if _parse_claims(ctx.message.text, draft.suggestions) is not None:
            return True
        return ctx.intent.intent in ("evidence", "smalltalk", "explain") and ctx.intent.confidence < 0.8
    if draft.step in (EvidenceStep.AWAITING_MEDIA, EvidenceStep.AWAITING_NOTE):
        # A note describing the job reads like a question to the classifier; only clear new intents break out.
        return not (
            ctx.intent.intent in ("quiz", "progress", "mentor", "help") and ctx.intent.confidence >= 0.6
        )
    return False


skill = SimpleSkill(
    name="evidence",
    intent=Intent("evidence", before_onboarding=True),
    description="Logs photos and notes from site as portfolio evidence for mentor sign-off.",
    handler=handle,
    accepts_fn=accepts,
    state_loader=load_state,
    prompts=(
        "evidence/ask_for_photo",
        "evidence/ask_for_note",
        "evidence/confirm",
        "evidence/confirm_none",
        "evidence/saved",
        "evidence/unclear",
    ),
)
