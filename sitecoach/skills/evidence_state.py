"""The evidence conversation's state: a draft item (photos, note, place) on its way to being saved.

Stored on the conversation row as its step and JSON data, with the keys the skill has always written.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sitecoach.skills.contract import MediaItem


class EvidenceStep(StrEnum):
    """What the evidence conversation waits for."""

    AWAITING_MEDIA = "awaiting_media"
    AWAITING_NOTE = "awaiting_note"
    CONFIRMING = "confirming"  # which of the suggested competencies the item shows


@dataclass(frozen=True)
class SiteLocation:
    """Where the work was, as WhatsApp shared it."""

    latitude: float | None = None
    longitude: float | None = None
    address: str | None = None


@dataclass(frozen=True)
class EvidenceDraft:
    """An evidence item being collected: its photos, note, place and the competencies suggested for it."""

    step: EvidenceStep
    media: tuple[MediaItem, ...] = ()
    note: str = ""
    location: SiteLocation | None = None
    suggestions: tuple[str, ...] = ()  # competency codes, numbered 1.. in the confirm message

    def to_data(self) -> dict[str, Any]:
        """The row's JSON."""
        loc = self.location
        return {
            "media": [{"url": m.url, "content_type": m.content_type, "path": m.path} for m in self.media],
            "note": self.note,
            "location": (
                {"latitude": loc.latitude, "longitude": loc.longitude, "address": loc.address} if loc else {}
            ),
            "suggestions": list(self.suggestions),
        }

    @classmethod
    def from_data(cls, step: str, data: Mapping[str, Any]) -> EvidenceDraft:
        """Read the row's JSON back."""
        loc = data.get("location") or {}
        return cls(
            step=EvidenceStep(step),
            media=tuple(
                MediaItem(str(m["url"]), str(m.get("content_type") or ""), m.get("path"))
                for m in data.get("media") or ()
            ),
            note=str(data.get("note") or ""),
            location=(
                SiteLocation(
                    float(loc["latitude"]) if loc.get("latitude") is not None else None,
                    float(loc["longitude"]) if loc.get("longitude") is not None else None,
                    loc.get("address"),
                )
                if loc
                else None
            ),
            suggestions=tuple(str(code) for code in data.get("suggestions") or ()),
        )


def load_state(step: str, data: Mapping[str, Any]) -> EvidenceDraft:
    """The evidence skill's typed state from a stored row."""
    return EvidenceDraft.from_data(step, data)
