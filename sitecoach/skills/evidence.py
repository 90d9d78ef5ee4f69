"""evidence: photos and notes from site, matched to competencies, confirmed, and queued for sign-off."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from sitecoach.nlu.intents import Intent
from sitecoach.skills.contract import CLEAR_STATE, Ctx, Reply, SetState, SimpleSkill

AWAITING_MEDIA = "awaiting_media"
AWAITING_NOTE = "awaiting_note"
CONFIRMING = "confirming"
MAX_SUGGESTIONS = 4
_TRIGGER_ONLY = re.compile(
    r"^(?:(?:i want to |can i |how do i |let me |wanna )?(?:log|add|save|upload|send|record)?\s*"
    r"(?:some |an? |my )?(?:evidence|portfolio|photo|pic|picture|proof)(?: of (?:my )?work)?"
    r"(?: please| pls)?[.!?]*)$",
    re.IGNORECASE,
)


def _ttl(ctx: Ctx) -> timedelta:
    return timedelta(minutes=ctx.settings.conversation_ttl_minutes)


def _media_of(ctx: Ctx) -> list[dict[str, Any]]:
    return [{"url": m.url, "content_type": m.content_type, "path": m.path} for m in ctx.message.media]


def _location_of(ctx: Ctx) -> dict[str, Any]:
    m = ctx.message
    if m.latitude is None and not m.address:
        return {}
    return {"latitude": m.latitude, "longitude": m.longitude, "address": m.address}


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


def _confirm(ctx: Ctx, data: dict[str, Any]) -> Reply:
    suggestions = suggest_competencies(ctx, data.get("note", ""))
    data["suggestions"] = suggestions
    photos = len(data.get("media", []))
    if not suggestions:
        return Reply.text(
            ctx.say("evidence/confirm_none", photos=photos), state=SetState(CONFIRMING, data, _ttl(ctx))
        )
    labels = [f"{code}: {ctx.catalogue.competencies[code].text}" for code in suggestions]
    return Reply.text(
        ctx.say("evidence/confirm", suggestions=labels, photos=photos),
        state=SetState(CONFIRMING, data, _ttl(ctx)),
    )


def _save(ctx: Ctx, data: dict[str, Any], claims: list[str]) -> Reply:
    loc = data.get("location") or {}
    item = ctx.repo.add_evidence(
        ctx.learner,
        ctx.now,
        note=data.get("note", ""),
        media=data.get("media", []),
        competencies=claims,
        latitude=loc.get("latitude"),
        longitude=loc.get("longitude"),
        address=loc.get("address"),
    )
    mentor = ctx.repo.mentor_of(ctx.learner)
    return Reply.text(
        ctx.say(
            "evidence/saved",
            reference=f"#{item.id}",
            claims=", ".join(claims),
            mentor_name=mentor.name if mentor else "your mentor",
        ),
        state=CLEAR_STATE,
    )


def _parse_claims(text: str, suggestions: list[str]) -> list[str] | None:
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


def handle(ctx: Ctx) -> Reply:
    """Collect photo and note, suggest competencies, confirm, save as pending sign-off."""
    state = ctx.state.state if (ctx.in_conversation and ctx.state) else None
    data: dict[str, Any] = dict(ctx.state.data) if state else {"media": [], "note": "", "location": {}}
    data["media"] = list(data.get("media", [])) + _media_of(ctx)
    if _location_of(ctx):
        data["location"] = _location_of(ctx)
    text = ctx.message.text

    if state == CONFIRMING:
        if ctx.message.media:  # another photo of the same job
            return Reply.text(
                ctx.say("evidence/unclear", count=max(1, len(data.get("suggestions", [])))),
                state=SetState(CONFIRMING, data, _ttl(ctx)),
            )
        claims = _parse_claims(text, data.get("suggestions", []))
        if claims is None:
            if len(text.split()) >= 3:  # a better note: match again
                data["note"] = (data.get("note", "") + " " + text).strip()
                return _confirm(ctx, data)
            return Reply.text(
                ctx.say("evidence/unclear", count=max(1, len(data.get("suggestions", [])))),
                state=SetState(CONFIRMING, data, _ttl(ctx)),
            )
        return _save(ctx, data, claims)

    note = _note_from(text)
    if note:
        data["note"] = (data.get("note", "") + " " + note).strip()
    if not data["media"] and not data["note"]:
        return Reply.text(
            ctx.say("evidence/ask_for_photo", name=ctx.learner.name or ""),
            state=SetState(AWAITING_MEDIA, data, _ttl(ctx)),
        )
    if data["media"] and not data["note"]:
        return Reply.text(
            ctx.say("evidence/ask_for_note", photos=len(data["media"])),
            state=SetState(AWAITING_NOTE, data, _ttl(ctx)),
        )
    return _confirm(ctx, data)


def accepts(ctx: Ctx) -> bool:
    """Photos, notes and confirmations continue the evidence conversation."""
    if ctx.message.media or ctx.message.latitude is not None:
        return True
    state = ctx.state.state if ctx.state else None
    if state == CONFIRMING:
        if _parse_claims(ctx.message.text, (ctx.state.data or {}).get("suggestions", [])) is not None:
            return True
        return ctx.intent.intent in ("evidence", "smalltalk", "explain") and ctx.intent.confidence < 0.8
    if state in (AWAITING_MEDIA, AWAITING_NOTE):
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
    prompts=(
        "evidence/ask_for_photo",
        "evidence/ask_for_note",
        "evidence/confirm",
        "evidence/confirm_none",
        "evidence/saved",
        "evidence/unclear",
    ),
)
