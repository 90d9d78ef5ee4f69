"""Signed, expiring deep links to lessons (itsdangerous), so learners need no login."""

from __future__ import annotations

from dataclasses import dataclass

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

LESSON_SALT = "lesson-link"


class LinkExpired(Exception):
    """The link was genuine but is too old; carries what it pointed at so a fresh one can be offered."""

    def __init__(self, learner_id: int | None, lesson_code: str | None) -> None:
        super().__init__("link expired")
        self.learner_id = learner_id
        self.lesson_code = lesson_code


class LinkInvalid(Exception):
    """The link was tampered with or is not ours."""


@dataclass(frozen=True)
class LessonLink:
    """What a lesson link grants: one learner, one lesson."""

    learner_id: int
    lesson_code: str


class LinkSigner:
    """Makes and checks lesson links."""

    def __init__(self, secret_key: str, public_base_url: str, max_age_days: int) -> None:
        self._serializer = URLSafeTimedSerializer(secret_key, salt=LESSON_SALT)
        self.base = public_base_url.rstrip("/")
        self.max_age_seconds = max_age_days * 86400

    def token(self, learner_id: int, lesson_code: str) -> str:
        """A signed token for one learner and lesson."""
        return self._serializer.dumps({"l": learner_id, "s": lesson_code})

    def lesson_url(self, learner_id: int, lesson_code: str) -> str:
        """The full deep link for WhatsApp."""
        return f"{self.base}/lesson/{self.token(learner_id, lesson_code)}"

    def read(self, token: str) -> LessonLink:
        """Check a token; raise LinkExpired or LinkInvalid."""
        try:
            data = self._serializer.loads(token, max_age=self.max_age_seconds)
        except SignatureExpired as exc:
            payload = exc.payload
            try:
                data = self._serializer.load_payload(payload) if payload is not None else {}
            except BadSignature:
                data = {}
            raise LinkExpired(data.get("l"), data.get("s")) from exc
        except BadSignature as exc:
            raise LinkInvalid(str(exc)) from exc
        if not isinstance(data, dict) or "l" not in data or "s" not in data:
            raise LinkInvalid("malformed link")
        try:
            return LessonLink(int(data["l"]), str(data["s"]))
        except (TypeError, ValueError) as exc:
            raise LinkInvalid("malformed link") from exc
