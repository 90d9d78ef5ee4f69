"""Signed, expiring deep links to lessons and progress reviews (itsdangerous): learners need no login."""

from __future__ import annotations

from dataclasses import dataclass

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

LESSON_SALT = "lesson-link"
REVIEW_SALT = "review-link"  # a review link is no lesson link: one can never stand in for the other


class LinkExpired(Exception):
    """The link was genuine but is too old; carries what it pointed at so a fresh one can be offered."""

    def __init__(self, learner_id: int | None, lesson_code: str | None, review_id: int | None = None) -> None:
        super().__init__("link expired")
        self.learner_id = learner_id
        self.lesson_code = lesson_code
        self.review_id = review_id


class LinkInvalid(Exception):
    """The link was tampered with or is not ours."""


@dataclass(frozen=True)
class LessonLink:
    """What a lesson link grants: one learner, one lesson."""

    learner_id: int
    lesson_code: str


@dataclass(frozen=True)
class ReviewLink:
    """What a review link grants: one learner reads and signs one of their progress reviews."""

    learner_id: int
    review_id: int


class LinkSigner:
    """Makes and checks lesson and review links."""

    def __init__(self, secret_key: str, public_base_url: str, max_age_days: int) -> None:
        self._serializer = URLSafeTimedSerializer(secret_key, salt=LESSON_SALT)
        self._reviews = URLSafeTimedSerializer(secret_key, salt=REVIEW_SALT)
        self.base = public_base_url.rstrip("/")
        self.max_age_seconds = max_age_days * 86400

    def token(self, learner_id: int, lesson_code: str) -> str:
        """A signed token for one learner and lesson."""
        return self._serializer.dumps({"l": learner_id, "s": lesson_code})

    def lesson_url(self, learner_id: int, lesson_code: str) -> str:
        """The full deep link for WhatsApp."""
        return f"{self.base}/lesson/{self.token(learner_id, lesson_code)}"

    def read(self, token: str) -> LessonLink:
        """Check a lesson token; raise LinkExpired or LinkInvalid."""
        data = self._load(self._serializer, token, "s")
        try:
            return LessonLink(int(data["l"]), str(data["s"]))
        except (TypeError, ValueError) as exc:
            raise LinkInvalid("malformed link") from exc

    def review_token(self, learner_id: int, review_id: int) -> str:
        """A signed token for one learner and progress review."""
        return self._reviews.dumps({"l": learner_id, "r": review_id})

    def review_url(self, learner_id: int, review_id: int) -> str:
        """The full link to read and sign a progress review, for WhatsApp."""
        return f"{self.base}/review/{self.review_token(learner_id, review_id)}"

    def read_review(self, token: str) -> ReviewLink:
        """Check a review token; raise LinkExpired (with `review_id`) or LinkInvalid."""
        data = self._load(self._reviews, token, "r")
        try:
            return ReviewLink(int(data["l"]), int(data["r"]))
        except (TypeError, ValueError) as exc:
            raise LinkInvalid("malformed link") from exc

    def _load(self, serializer: URLSafeTimedSerializer, token: str, key: str) -> dict:
        """The token's payload (a dict with "l" and `key`); raise LinkExpired or LinkInvalid."""
        try:
            data = serializer.loads(token, max_age=self.max_age_seconds)
        except SignatureExpired as exc:
            payload = exc.payload
            try:
                data = serializer.load_payload(payload) if payload is not None else {}
            except BadSignature:
                data = {}
            data = data if isinstance(data, dict) else {}
            review = data.get("r") if key == "r" else None
            raise LinkExpired(data.get("l"), data.get("s"), review) from exc
        except BadSignature as exc:
            raise LinkInvalid(str(exc)) from exc
        if not isinstance(data, dict) or "l" not in data or key not in data:
            raise LinkInvalid("malformed link")
        return data
