"""Evidence a mentor uploads with a passport record (a photo of the assessment sheet, a PDF certificate):
stored in the media folder and kept as one of the learner's evidence items, signed off by that mentor."""

from __future__ import annotations

import secrets
from datetime import datetime
from pathlib import Path

from sqlmodel import Session

from sitecoach.models import EvidenceItem, EvidenceStatus, Learner, Mentor

# What a mentor may upload, told apart by the file's first bytes (never by its name or the browser's word).
UPLOAD_SIGNATURES: tuple[tuple[bytes, str, str], ...] = (
    (b"\xff\xd8\xff", ".jpg", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", ".png", "image/png"),
    (b"%PDF-", ".pdf", "application/pdf"),
)


class UploadRefused(ValueError):
    """The file is not a photo or PDF, is empty, or is too large."""


def sniff(data: bytes) -> tuple[str, str]:
    """The suffix and content type of an upload, from its first bytes."""
    for magic, suffix, content_type in UPLOAD_SIGNATURES:
        if data.startswith(magic):
            return suffix, content_type
    raise UploadRefused("attach a photo (JPEG or PNG) or a PDF")


def store_upload(
    session: Session,
    learner: Learner,
    mentor: Mentor,
    data: bytes,
    *,
    note: str,
    media_dir: Path,
    max_bytes: int,
    now: datetime,
) -> EvidenceItem:
    """Keep an uploaded file as a signed-off evidence item of the learner (claiming no competency)."""
    if not data:
        raise UploadRefused("the file is empty")
    if len(data) > max_bytes:
        raise UploadRefused(f"the file is over {max_bytes // (1024 * 1024)} MB")
    suffix, content_type = sniff(data)
    media_dir.mkdir(parents=True, exist_ok=True)
    path = media_dir / f"passport{learner.id}_{secrets.token_hex(8)}{suffix}"
    path.write_bytes(data)
    item = EvidenceItem(
        learner_id=int(learner.id or 0),
        note=note[:500],
        media=[{"path": str(path), "content_type": content_type, "source": "mentor_upload"}],
        status=EvidenceStatus.SIGNED_OFF,
        signed_by_id=mentor.id,
        signed_at=now,
        captured_at=now,
        created_at=now,
    )
    session.add(item)
    session.flush()
    return item
