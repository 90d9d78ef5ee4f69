"""Content review pages: the listing, a card's edit saved as a version with a diff and an audit row,
refused edits (422, nothing saved), withdraw / reinstate reaching the coach, lessons, and admins only."""

from __future__ import annotations

import re

from sqlmodel import select
from werkzeug.security import generate_password_hash

from sitecoach.models import AdminAuditLog, KnowledgeCard, KnowledgeCardVersion, Mentor, QuizItem
from tests.conftest import add_admin

PASSWORD = "correct horse battery"
CARD = "K-ISO-003"
PAGE = f"/admin/content/cards/{CARD}"


def _token(client, path: str = "/login") -> str:
    page = client.get(path).data.decode()
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def _login(client, email: str = "admin@example.test") -> None:
    response = client.post(
        "/login", data={"email": email, "password": PASSWORD, "csrf_token": _token(client)}
    )
    assert response.status_code == 302


def _admin(services, client) -> None:
    add_admin(services, "admin@example.test", PASSWORD, name="Sue Safety")
    _login(client)


def _form(client, card: KnowledgeCard, **changes) -> dict[str, str]:
    """The edit form as the page fills it, with some fields changed."""
    content = card.content
    form = {
        "csrf_token": _token(client, PAGE),
        "base_version": str(card.version),
        "title": content["title"],
        "answer": content["answer"],
        "varies_by_operator": content.get("varies_by_operator") or "",
        "note": "",
    }
    for name in ("questions", "key_facts", "must_do", "mandatory_phrases", "sources"):
        form[name] = "\r\n".join(content.get(name) or [])
    if content.get("verify_locally"):
        form["verify_locally"] = "on"
    form.update(changes)
    return {k: v for k, v in form.items() if v is not None}


def _card(services, code: str = CARD) -> KnowledgeCard:
    with services.db.read_session() as session:
        return session.exec(select(KnowledgeCard).where(KnowledgeCard.code == code)).one()


def _audit(services, action: str) -> list[AdminAuditLog]:
    with services.db.read_session() as session:
        return list(session.exec(select(AdminAuditLog).where(AdminAuditLog.action == action)).all())


def test_non_admins_get_404_and_strangers_the_login_page(client, services):
    with services.db.session() as session:
        session.add(
            Mentor(name="Sam", email="sam@example.test", password_hash=generate_password_hash(PASSWORD))
        )
    for path in ("/admin/content", PAGE, f"{PAGE}/history"):
        response = client.get(path)
        assert response.status_code == 302 and "/login" in response.headers["Location"]
    _login(client, "sam@example.test")
    for path in ("/admin/content", PAGE, f"{PAGE}/history"):
        assert client.get(path).status_code == 404
    token = _token(client, "/mentor")
    assert client.post(f"{PAGE}/withdraw", data={"csrf_token": token}).status_code == 404
    assert _card(services).status == "live"


def test_listing_shows_states_counts_filters_and_pages(client, services, restore_content):
    _admin(services, client)
    page = client.get("/admin/content").data.decode()
    assert '>Content</a>' in page  # the nav link
    assert re.search(r"live</span> \d{3}", page)  # e.g. "live 357"
    assert "shipped in the pack" in page and "L03" in page
    found = client.get("/admin/content?area=ISO&q=volt+stick").data.decode()
    assert CARD in found and "K-EXC-" not in found
    second = client.get("/admin/content?page=1").data.decode()
    assert "page 2 of" in second
    assert client.get("/admin/content?status=nonsense&page=-3").status_code == 200


def test_edit_saves_a_draft_version_with_a_diff_and_an_audit_row(client, services, restore_content):
    _admin(services, client)
    card = _card(services)
    answer = card.content["answer"].replace("false zero", "false zero reading")
    response = client.post(PAGE, data=_form(client, card, answer=answer, note="clearer wording"))
    assert response.status_code == 302
    page = client.get(PAGE).data.decode()
    assert "a draft: the coach does not use it until reviewed" in page
    saved = _card(services)
    assert (saved.status, saved.version, saved.content["answer"]) == ("draft", card.version + 1, answer)
    with services.db.read_session() as session:
        [version] = session.exec(select(KnowledgeCardVersion)).all()
    assert version.version == card.version + 1 and version.note == "clearer wording"
    assert "+answer: " in version.diff and "-answer: " in version.diff
    [audit] = _audit(services, "card.edit")
    assert audit.target == CARD and audit.details["status"] == "draft"
    assert CARD not in services.catalogue().cards
    history = client.get(f"{PAGE}/history").data.decode()
    assert "false zero reading" in history and "clearer wording" in history and "Sue Safety" in history
    token = _token(client, PAGE)
    client.post(f"{PAGE}/review", data={"csrf_token": token})
    assert _card(services).status == "live" and _card(services).reviewed_by == "Sue Safety"
    assert services.catalogue().cards[CARD].answer == answer


def test_edit_with_the_reviewed_tick_is_live_at_once(client, services, restore_content):
    _admin(services, client)
    card = _card(services)
    form = _form(client, card, title="Multimeters and volt sticks never prove dead", reviewed="on")
    assert client.post(PAGE, data=form).status_code == 302
    assert _card(services).status == "live"
    assert services.catalogue().cards[CARD].title == "Multimeters and volt sticks never prove dead"


def test_invalid_edit_shows_the_error_keeps_the_text_and_saves_nothing(client, services, restore_content):
    _admin(services, client)
    card = _card(services)
    response = client.post(PAGE, data=_form(client, card, answer="Use a meter.", sources=""))
    assert response.status_code == 422
    page = response.data.decode()
    assert "Not saved" in page and "answer: String should have at least 40 characters" in page
    assert "sources: List should have at least 1 item" in page
    assert "Use a meter." in page  # the text is kept for fixing
    assert _card(services).version == card.version and _card(services).content == card.content
    assert _audit(services, "card.edit") == []
    unchanged = client.post(PAGE, data=_form(client, card))
    assert unchanged.status_code == 422 and "nothing changed" in unchanged.data.decode()
    stale = client.post(PAGE, data=_form(client, card, base_version=str(card.version - 1), title="X title"))
    assert stale.status_code == 409
    assert client.get("/admin/content/cards/K-NOT-999").status_code == 404
    assert client.get("/admin/content/cards/nonsense").status_code == 404


def test_withdraw_takes_the_card_and_its_quiz_items_out_and_reinstate_brings_them_back(
    client, services, restore_content
):
    _admin(services, client)
    assert CARD in services.catalogue().cards
    token = _token(client, PAGE)
    response = client.post(f"{PAGE}/withdraw", data={"csrf_token": token, "note": "kit list changed"})
    assert response.status_code == 302
    assert CARD not in services.catalogue().cards
    assert services.catalogue().card_for("is a volt stick ok for proving dead") is None or (
        services.catalogue().card_for("is a volt stick ok for proving dead").card.code != CARD
    )
    with services.db.read_session() as session:
        items = session.exec(select(QuizItem).where(QuizItem.card_code == CARD)).all()
    assert items and not any(q.active for q in items)
    assert not any(code.startswith(f"Q-{CARD}") for code in services.catalogue().items)
    [audit] = _audit(services, "card.withdraw")
    assert audit.details == {
        "before": "live",
        "after": "withdrawn",
        "version": _card(services).version,
        "note": "kit list changed",
    }
    page = client.get(PAGE).data.decode()
    assert "withdrawn: the coach no longer uses it" in page and 'id="reinstate"' in page
    client.post(f"{PAGE}/reinstate", data={"csrf_token": token})
    assert CARD in services.catalogue().cards
    with services.db.read_session() as session:
        items = session.exec(select(QuizItem).where(QuizItem.card_code == CARD)).all()
    assert all(q.active for q in items)
    again = client.post(f"{PAGE}/reinstate", data={"csrf_token": token}, follow_redirects=True)
    assert "Nothing changed" in again.data.decode()


def test_lessons_can_be_withdrawn_reinstated_and_marked_reviewed(client, services, restore_content):
    _admin(services, client)
    token = _token(client, "/admin/content")
    client.post("/admin/content/lessons/L20/withdraw", data={"csrf_token": token})
    assert not services.catalogue().lesson_is_live("L20")
    client.post("/admin/content/lessons/L20/reinstate", data={"csrf_token": token})
    client.post("/admin/content/lessons/L20/review", data={"csrf_token": token})
    assert services.catalogue().lesson_is_live("L20")
    assert [a.action for a in _audit(services, "lesson.review")] == ["lesson.review"]
    page = client.get("/admin/content?q=L20").data.decode()
    assert "Sue Safety" in page
    assert client.post("/admin/content/lessons/L99/withdraw", data={"csrf_token": token}).status_code == 404
    assert client.post("/admin/content/lessons/L20/delete", data={"csrf_token": token}).status_code == 404


def test_post_without_csrf_token_is_refused(app, client, services, restore_content):
    app.config["WTF_CSRF_ENABLED"] = True
    _admin(services, client)
    assert client.post(f"{PAGE}/withdraw", data={}).status_code == 400
    assert _card(services).status == "live"
