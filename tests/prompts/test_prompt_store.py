"""Stored prompt versions: the library prefers them, refuses bad ones, and every real prompt can be
checked and rendered with sample values."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from sqlmodel import select

from sitecoach.models import AdminAuditLog, Database, PromptVersion
from sitecoach.prompts.library import PromptError, PromptLibrary
from sitecoach.records import prompt_store
from sitecoach.records.prompt_store import PromptStore, check_prompt_text, render_with_samples

REPO_PROMPTS = Path(__file__).resolve().parents[2] / "sitecoach" / "prompts"


class DictStore:
    """A stand-in store: whatever the test puts in `texts`."""

    def __init__(self) -> None:
        self.texts: dict[str, tuple[int, str]] = {}
        self.fail = False

    def latest(self, name: str) -> tuple[int, str] | None:
        if self.fail:
            raise RuntimeError("database down")
        return self.texts.get(name)

    def invalidate(self) -> None:
        return None


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    (tmp_path / "smalltalk").mkdir()
    (tmp_path / "smalltalk" / "thanks.txt").write_text("{# variables: name #}\nNo bother {{ name }}\n")
    return tmp_path


def test_a_library_without_a_store_reads_only_files(folder):
    library = PromptLibrary(folder)
    assert library.store is None
    assert library.render("smalltalk/thanks", name="Jo") == "No bother Jo"
    assert library.get("smalltalk/thanks").version == 0


def test_a_stored_version_wins_over_the_file_and_follows_new_versions(folder):
    store = DictStore()
    library = PromptLibrary(folder, store=store)
    store.texts["smalltalk/thanks"] = (1, "{# variables: name #}\nCheers {{ name }}\n")
    assert library.render("smalltalk/thanks", name="Jo") == "Cheers Jo"
    store.texts["smalltalk/thanks"] = (2, "{# variables: #}\nTa!\n")  # fewer variables is fine
    assert library.render("smalltalk/thanks", name="Jo") == "Ta!"
    assert library.get("smalltalk/thanks").version == 2


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("{# variables: name #}\nHi {{ name }} at {{ site }}\n", "undeclared"),
        ("{# variables: name, site #}\nHi {{ name }} at {{ site }}\n", "does not supply"),
        ("{# variables: name #}\nHi {{ name }\n", "syntax error"),
        ("Hi there\n", "declare variables"),
    ],
)
def test_a_stored_version_that_does_not_check_falls_back_to_the_file_and_is_logged(
    folder, caplog, text, reason
):
    store = DictStore()
    library = PromptLibrary(folder, store=store)
    store.texts["smalltalk/thanks"] = (3, text)
    with caplog.at_level(logging.ERROR, logger="sitecoach.prompts.library"):
        assert library.render("smalltalk/thanks", name="Jo") == "No bother Jo"
        assert library.render("smalltalk/thanks", name="Jo") == "No bother Jo"
    [record] = [r for r in caplog.records if "v3 refused" in r.getMessage()]  # logged once, not per render
    assert reason in record.getMessage()


def test_a_failing_store_never_silences_the_coach(folder, caplog):
    store = DictStore()
    store.fail = True
    library = PromptLibrary(folder, store=store)
    with caplog.at_level(logging.ERROR):
        assert library.render("smalltalk/thanks", name="Jo") == "No bother Jo"
    assert "using the file" in caplog.text


def test_bad_names_are_refused_before_the_store_is_asked(folder):
    store = DictStore()
    store.fail = True
    with pytest.raises(PromptError, match="bad prompt name"):
        PromptLibrary(folder, store=store).get("../etc/passwd")


# --- checks on save ----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def real_library() -> PromptLibrary:
    return PromptLibrary(REPO_PROMPTS)


def test_every_real_prompt_passes_the_save_check_with_sample_values(real_library):
    for name in real_library.names():
        check_prompt_text(real_library, name, real_library.file_prompt(name).source)


def test_samples_follow_the_variable_names(real_library):
    text, values = render_with_samples(real_library, real_library.file_prompt("quiz/question"))
    assert values["options"] == prompt_store.SAMPLE_LIST and values["number"] == 3
    assert "Q3/3" in text and "(A–C)" in text
    assert prompt_store.sample_value("urgent") is True and prompt_store.sample_value("reference") == "sample"


def test_an_unknown_variable_used_as_a_number_is_retried_as_one(folder):
    library = PromptLibrary(folder)
    prompt = library.validate(
        "smalltalk/thanks", "{# variables: name, widgets #}\n{{ name }}: {{ widgets + 1 }}\n"
    )
    text, values = render_with_samples(library, prompt)
    assert text == "sample: 4" and values["widgets"] == 3


def test_known_real_values_are_used_as_given(folder):
    library = PromptLibrary(folder)
    prompt = library.file_prompt("smalltalk/thanks")
    assert render_with_samples(library, prompt, {"name": "Jamie"})[0] == "No bother Jamie"


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("{# variables: name #}\n{{ name.__class__.__mro__ }}\n", "sandbox forbids"),
        ("{# variables: name #}\n{{ name + 1 + [] }}\n", "does not render with sample values"),
        ("{# variables: name #}\n{% if false %}x{% endif %}\n", "renders to an empty message"),
        ("{# variables: name #}\n" + "x" * 5000, "too long"),
    ],
)
def test_a_wording_that_cannot_render_is_refused_with_the_reason(folder, text, reason):
    with pytest.raises(PromptError, match=reason):
        check_prompt_text(PromptLibrary(folder), "smalltalk/thanks", text)


def test_only_prompts_the_coach_has_can_be_edited(folder):
    with pytest.raises(PromptError, match="no prompt named"):
        check_prompt_text(PromptLibrary(folder), "smalltalk/invented", "{# variables: #}\nHi\n")


def test_textarea_line_ends_are_normalised():
    assert prompt_store.normalise_text("{# variables: #}\r\nHi\r\n\r\n") == "{# variables: #}\nHi\n"


# --- versions in the database ------------------------------------------------------------------------------


def test_versions_diffs_audit_and_rollback_in_the_database(services):
    library = services.prompts
    new = "{# variables: name #}\nCheers{% if name %} {{ name }}{% endif %}!\n"
    with services.db.session() as session:
        first = prompt_store.save_version(
            session, library, "smalltalk/thanks", new.replace("\n", "\r\n"), None
        )
        with pytest.raises(PromptError, match="nothing changed: this is already the text of v1"):
            prompt_store.save_version(session, library, "smalltalk/thanks", new, None)
        back = prompt_store.rollback_to(session, library, "smalltalk/thanks", 0, None)
        with pytest.raises(PromptError, match="no version 9"):
            prompt_store.rollback_to(session, library, "smalltalk/thanks", 9, None)
    assert (first.version, first.text) == (1, new)
    assert first.diff.startswith("--- smalltalk/thanks v0\n+++ smalltalk/thanks v1\n")
    assert back.version == 2 and back.note == "rollback to v0"
    assert back.text == library.file_prompt("smalltalk/thanks").source
    with services.db.read_session() as session:
        actions = [a.action for a in session.exec(select(AdminAuditLog).order_by(AdminAuditLog.id)).all()]
        assert prompt_store.latest_texts(session) == {"smalltalk/thanks": (2, back.text)}
        assert [v.version for v, _author in prompt_store.history(session, "smalltalk/thanks")] == [2, 1]
        assert prompt_store.overview(session)["smalltalk/thanks"][0] == 2
    assert actions == ["prompt.save", "prompt.rollback"]


def test_the_store_checks_its_stamp_at_most_once_per_ttl(services):
    clock = [100.0]
    store = PromptStore(services.db, clock=lambda: clock[0])
    assert store.latest("smalltalk/thanks") is None
    with services.db.session() as session:
        session.add(PromptVersion(name="smalltalk/thanks", version=1, text="{# variables: name #}\nYo\n"))
    assert store.latest("smalltalk/thanks") is None  # cached within the second
    clock[0] += 1.0
    assert store.latest("smalltalk/thanks") == (1, "{# variables: name #}\nYo\n")
    with services.db.session() as session:
        session.add(PromptVersion(name="smalltalk/thanks", version=2, text="{# variables: name #}\nHiya\n"))
    store.invalidate()  # what a save in this process does: no wait
    assert store.latest("smalltalk/thanks") == (2, "{# variables: name #}\nHiya\n")


def test_the_store_keeps_the_last_versions_when_the_database_fails(tmp_path, caplog):
    database = Database(f"sqlite:///{tmp_path / 'empty.db'}")  # no tables: every query fails
    clock = [0.0]
    store = PromptStore(database, clock=lambda: clock[0])
    try:
        with caplog.at_level(logging.ERROR, logger="sitecoach.records.prompt_store"):
            assert store.latest("smalltalk/thanks") is None
            clock[0] += 5
            assert store.latest("smalltalk/thanks") is None
        assert caplog.text.count("prompt versions could not be read") == 1  # logged once per outage
        library = PromptLibrary(REPO_PROMPTS, store=store)
        assert library.render("smalltalk/thanks", name="Jo") == "No bother Jo 👍 Stay safe out there."
    finally:
        database.dispose()
