"""Tests for the prompt library: declared variables, the sandbox, hot reload and the real prompts."""

import os
from pathlib import Path

import pytest
from jinja2.exceptions import SecurityError

from sitecoach.prompts.library import PromptError, PromptLibrary

REPO_PROMPTS = Path(__file__).resolve().parents[2] / "sitecoach" / "prompts"


def _write(root: Path, name: str, text: str) -> Path:
    path = root / f"{name}.txt"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def library(tmp_path):
    return PromptLibrary(tmp_path)


def test_renders_declared_variables(tmp_path, library):
    _write(
        tmp_path,
        "quiz/correct",
        "{# variables: name, streak #}\nNice one {{ name }}! Streak: {{ streak }} days.\n",
    )
    assert library.render("quiz/correct", name="Jamie", streak=4) == "Nice one Jamie! Streak: 4 days."


def test_declaration_line_is_not_part_of_the_message(tmp_path, library):
    _write(tmp_path, "help/menu", "{# variables: #}\nReply QUIZ to practise.\n")
    assert library.render("help/menu") == "Reply QUIZ to practise."


def test_loops_and_conditions_over_declared_variables(tmp_path, library):
    _write(
        tmp_path,
        "quiz/question",
        "{# variables: question, options, topic #}\n"
        "{{ question }}{% if topic %} ({{ topic }}){% endif %}\n"
        "{% for o in options %}{{ 'ABCD'[loop.index0] }}) {{ o }}\n{% endfor %}",
    )
    text = library.render("quiz/question", question="First step?", options=["Cut", "Isolate"], topic="")
    assert text == "First step?\nA) Cut\nB) Isolate"


def test_undeclared_variable_is_refused_naming_file_and_variable(tmp_path, library):
    _write(
        tmp_path, "quiz/wrong", "{# variables: name #}\nNot quite {{ name }}, it was {{ correct_answer }}.\n"
    )
    with pytest.raises(PromptError) as info:
        library.render("quiz/wrong", name="Jamie", correct_answer="B")
    message = str(info.value)
    assert "quiz/wrong" in message
    assert "correct_answer" in message
    assert "undeclared" in message


def test_missing_declaration_line_is_refused(tmp_path, library):
    _write(tmp_path, "smalltalk/thanks", "No worries {{ name }}!\n")
    with pytest.raises(PromptError, match="smalltalk/thanks.*declare variables"):
        library.render("smalltalk/thanks", name="Jamie")


def test_declaration_must_be_the_first_line(tmp_path, library):
    _write(tmp_path, "smalltalk/thanks", "Hello\n{# variables: name #}\n{{ name }}\n")
    with pytest.raises(PromptError, match="declare variables"):
        library.get("smalltalk/thanks")


def test_syntax_error_is_refused_with_its_line_number(tmp_path, library):
    _write(tmp_path, "progress/summary", "{# variables: name #}\nHi {{ name }}\nYour score {{ name }\n")
    with pytest.raises(PromptError) as info:
        library.get("progress/summary")
    message = str(info.value)
    assert "progress/summary" in message
    assert "syntax error" in message
    assert "line 3" in message


def test_unclosed_block_is_a_syntax_error(tmp_path, library):
    _write(tmp_path, "progress/summary", "{# variables: done #}\n{% if done %}\nWell done\n")
    with pytest.raises(PromptError, match="syntax error"):
        library.get("progress/summary")


def test_missing_variable_at_render_time_is_refused(tmp_path, library):
    _write(
        tmp_path,
        "onboarding/done",
        "{# variables: name, mentor #}\nWelcome {{ name }}, your mentor is {{ mentor }}.\n",
    )
    with pytest.raises(PromptError, match="onboarding/done.*missing variable.*mentor"):
        library.render("onboarding/done", name="Jamie")


def test_unknown_prompt_is_refused(library):
    with pytest.raises(PromptError, match="no prompt named"):
        library.render("quiz/nothing_here")


@pytest.mark.parametrize("name", ["../secret", "quiz/../../etc/passwd", "Quiz/Correct", "quiz", "a/b/c"])
def test_bad_prompt_names_are_refused(library, name):
    with pytest.raises(PromptError, match="bad prompt name"):
        library.render(name)


@pytest.mark.parametrize(
    "learner_text",
    [
        "{{ 7*7 }}",
        "{% for x in y %}",
        "{% raw %}{{ name }}",
        "{# comment #}",
        "{{ ''.__class__.__mro__ }}",
        "{{ config }}",
    ],
)
def test_learner_text_is_never_run_as_template_code(tmp_path, library, learner_text):
    _write(tmp_path, "explain/answer", "{# variables: question #}\nYou asked: {{ question }}\n")
    assert library.render("explain/answer", question=learner_text) == f"You asked: {learner_text}"


@pytest.mark.parametrize(
    "template",
    [
        "{{ ''.__class__ }}",
        "{{ name.__class__.__mro__ }}",
        "{{ name.__class__.__mro__[1].__subclasses__() }}",
        "{{ name.__init__.__globals__ }}",
        "{{ '{0.__class__}'.format(name) }}",
        # Jinja's own globals need no declaration, but they are no way out of the sandbox either.
        "{{ cycler.__init__.__globals__ }}",
        "{{ joiner.__init__.__globals__['os'] }}",
    ],
)
def test_sandbox_blocks_attribute_tricks_in_a_template(tmp_path, library, template):
    _write(tmp_path, "core/apology", "{# variables: name #}\n" + template + "\n")
    with pytest.raises(SecurityError):
        library.render("core/apology", name="Jamie")


def test_edited_file_is_picked_up_on_next_render(tmp_path, library):
    path = _write(tmp_path, "smalltalk/greeting", "{# variables: name #}\nHi {{ name }}\n")
    assert library.render("smalltalk/greeting", name="Jamie") == "Hi Jamie"
    path.write_text("{# variables: name #}\nAlright {{ name }}, ready for a quiz?\n", encoding="utf-8")
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 2_000_000_000))
    assert library.render("smalltalk/greeting", name="Jamie") == "Alright Jamie, ready for a quiz?"


def test_an_edit_that_breaks_a_prompt_is_reported_on_next_render(tmp_path, library):
    path = _write(tmp_path, "smalltalk/greeting", "{# variables: name #}\nHi {{ name }}\n")
    library.render("smalltalk/greeting", name="Jamie")
    path.write_text("{# variables: name #}\nHi {{ name }} from {{ site }}\n", encoding="utf-8")
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 2_000_000_000))
    with pytest.raises(PromptError, match="site"):
        library.render("smalltalk/greeting", name="Jamie")


def test_names_and_check_on_a_folder(tmp_path, library):
    _write(tmp_path, "quiz/correct", "{# variables: #}\nCorrect!\n")
    _write(tmp_path, "quiz/wrong", "{# variables: #}\nNot quite: {{ answer }}\n")
    _write(tmp_path, "help/menu", "no declaration\n")
    (tmp_path / "quiz" / "notes.md").write_text("not a prompt", encoding="utf-8")
    assert library.names() == ["help/menu", "quiz/correct", "quiz/wrong"]
    problems = library.check(required=["quiz/summary"])
    assert len(problems) == 3
    assert any("help/menu" in p and "declare" in p for p in problems)
    assert any("quiz/wrong" in p and "answer" in p for p in problems)
    assert any("quiz/summary" in p and "no prompt named" in p for p in problems)


# --- the real prompts folder -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def real_library():
    return PromptLibrary(REPO_PROMPTS)


def test_every_real_prompt_is_valid(real_library):
    assert real_library.check() == []


def test_real_prompt_names_include_the_core_flows(real_library):
    names = real_library.names()
    for name in (
        "quiz/question",
        "quiz/correct",
        "quiz/wrong",
        "emergency/instructions",
        "onboarding/welcome",
    ):
        assert name in names


def test_real_emergency_prompt_tells_them_to_call_999_and_not_touch(real_library):
    text = real_library.render("emergency/instructions")
    assert "999" in text
    assert "Do not touch a casualty until the supply is isolated" in text
    assert "{{" not in text and "{#" not in text


def test_real_quiz_question_prompt_renders(real_library):
    text = real_library.render(
        "quiz/question",
        number=2,
        total=5,
        topic="Isolation",
        question="What comes first?",
        options=["A) Cut", "B) Isolate", "C) Dig"],
    )
    assert "Q2/5" in text
    assert "What comes first?" in text
    assert "B) Isolate" in text
    assert "A–C" in text
