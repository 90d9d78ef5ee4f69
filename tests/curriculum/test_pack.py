"""Tests for the lesson pack: the real ST1332 pack, validation messages, and importing a competency CSV."""

import shutil
from collections import Counter
from pathlib import Path

import pytest
import yaml

from sitecoach.curriculum.pack import PackError, load_competency_map, load_pack
from sitecoach.records.seeding import read_competency_file

PACK = Path(__file__).resolve().parents[2] / "content" / "st1332"


@pytest.fixture(scope="module")
def pack():
    return load_pack(PACK)


# --- the real pack -----------------------------------------------------------------------------------


def test_real_pack_has_twenty_lessons_in_order(pack):
    assert len(pack.lessons) == 20
    assert [lesson.order for lesson in pack.lessons] == list(range(1, 21))
    assert pack.lessons[0].id == "L01"


def test_real_pack_has_at_least_120_quiz_items(pack):
    assert len(pack.quiz) >= 120


def test_every_lesson_has_quiz_items(pack):
    per_lesson = Counter(lesson_id for lesson_id, _item in pack.quiz)
    for lesson in pack.lessons:
        assert per_lesson[lesson.id] >= 3, lesson.id


def test_every_lesson_has_3_to_6_key_facts(pack):
    for lesson in pack.lessons:
        assert 3 <= len(lesson.key_facts) <= 6, lesson.id
        assert all(fact.strip() for fact in lesson.key_facts), lesson.id


def test_every_lesson_script_is_at_least_150_words(pack):
    for lesson in pack.lessons:
        assert len(lesson.script.split()) >= 150, lesson.id


def test_every_quiz_item_has_one_answer_in_range(pack):
    for _lesson_id, item in pack.quiz:
        assert isinstance(item.answer, int), item.id
        assert 0 <= item.answer < len(item.options), item.id
        assert len({o.strip().lower() for o in item.options}) == len(item.options), item.id


def test_every_referenced_competency_exists(pack):
    known = {c.id for c in pack.competency_map.competencies}
    areas = {a.id for a in pack.competency_map.areas}
    for lesson in pack.lessons:
        assert set(lesson.competencies) <= known, lesson.id
    for _lesson_id, item in pack.quiz:
        assert set(item.competencies) <= known, item.id
    for comp in pack.competency_map.competencies:
        assert comp.area in areas, comp.id


def test_quiz_items_point_at_real_lessons(pack):
    lesson_ids = {lesson.id for lesson in pack.lessons}
    assert {lesson_id for lesson_id, _item in pack.quiz} <= lesson_ids


def test_competency_map_is_marked_as_a_working_map(pack):
    standard = pack.competency_map.standard
    assert standard.code == "ST1332"
    assert standard.working_map is True
    assert "not the official" in standard.note


def test_competency_map_covers_all_three_kinds(pack):
    assert {c.kind for c in pack.competency_map.competencies} == {"knowledge", "skill", "behaviour"}


def test_ids_are_unique(pack):
    lesson_ids = [lesson.id for lesson in pack.lessons]
    item_ids = [item.id for _lesson_id, item in pack.quiz]
    comp_ids = [c.id for c in pack.competency_map.competencies]
    area_ids = [a.id for a in pack.competency_map.areas]
    for ids in (lesson_ids, item_ids, comp_ids, area_ids):
        assert len(ids) == len(set(ids))


def test_passages_cover_every_lesson(pack):
    passages = pack.passages()
    assert {p.lesson_id for p in passages} == {lesson.id for lesson in pack.lessons}
    assert len({p.id for p in passages}) == len(passages)


# --- validation messages -----------------------------------------------------------------------------


def _load(path: Path):
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def _dump(path: Path, data) -> None:
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")


@pytest.fixture
def pack_copy(tmp_path):
    root = tmp_path / "st1332"
    shutil.copytree(PACK, root)
    return root


def _problems(root: Path) -> list[str]:
    with pytest.raises(PackError) as info:
        load_pack(root)
    return info.value.problems


def test_copied_pack_loads_unchanged(pack_copy):
    assert len(load_pack(pack_copy).lessons) == 20


def test_three_broken_things_are_all_reported_with_file_item_and_field(pack_copy):
    quiz_file = pack_copy / "quiz" / "L04.yaml"
    quiz = _load(quiz_file)
    broken_item = quiz["items"][2]
    broken_item["answer"] = 9
    _dump(quiz_file, quiz)

    lesson_file = pack_copy / "lessons" / "L05.yaml"
    lesson = _load(lesson_file)
    lesson["key_facts"] = lesson["key_facts"][:1]
    _dump(lesson_file, lesson)

    ref_file = pack_copy / "quiz" / "L02.yaml"
    ref_quiz = _load(ref_file)
    ref_item = ref_quiz["items"][0]
    ref_item["competencies"] = ["NOPE-K9"]
    _dump(ref_file, ref_quiz)

    problems = _problems(pack_copy)

    answer = [p for p in problems if broken_item["id"] in p]
    assert len(answer) == 1
    assert "L04.yaml" in answer[0]
    assert "answer" in answer[0]
    assert "0..3" in answer[0]

    facts = [p for p in problems if "lessons/L05.yaml" in p]
    assert len(facts) == 1
    assert "item L05" in facts[0]
    assert "key_facts" in facts[0]

    ref = [p for p in problems if ref_item["id"] in p]
    assert len(ref) == 1
    assert "L02.yaml" in ref[0]
    assert "competencies" in ref[0]
    assert "NOPE-K9" in ref[0]

    # The exception's message lists them all too, for the command line.
    with pytest.raises(PackError, match="invalid content pack") as info:
        load_pack(pack_copy)
    for problem in problems:
        assert problem in str(info.value)


def test_unknown_competency_on_a_lesson_is_reported(pack_copy):
    lesson_file = pack_copy / "lessons" / "L07.yaml"
    lesson = _load(lesson_file)
    lesson["competencies"] = [*lesson["competencies"], "ISO-K99"]
    _dump(lesson_file, lesson)
    problems = _problems(pack_copy)
    assert problems == [f"{lesson_file}: item L07: competencies: unknown competency 'ISO-K99'"]


def test_duplicate_quiz_item_id_is_reported(pack_copy):
    quiz_file = pack_copy / "quiz" / "L03.yaml"
    quiz = _load(quiz_file)
    duplicate = quiz["items"][0]["id"]
    quiz["items"][1]["id"] = duplicate
    _dump(quiz_file, quiz)
    problems = _problems(pack_copy)
    assert len(problems) == 1
    assert duplicate in problems[0]
    assert "duplicate" in problems[0]


def test_lesson_file_name_must_match_its_id(pack_copy):
    (pack_copy / "lessons" / "L06.yaml").rename(pack_copy / "lessons" / "L99.yaml")
    problems = _problems(pack_copy)
    assert any("L99.yaml" in p and "item L06" in p and "id" in p for p in problems)


def test_invalid_yaml_names_the_file(pack_copy):
    (pack_copy / "quiz" / "L01.yaml").write_text("lesson: L01\nitems: [\n", encoding="utf-8")
    problems = _problems(pack_copy)
    assert any("L01.yaml" in p and "not valid YAML" in p for p in problems)


def test_quiz_item_with_repeated_options_is_reported(pack_copy):
    quiz_file = pack_copy / "quiz" / "L08.yaml"
    quiz = _load(quiz_file)
    item = quiz["items"][0]
    item["options"][1] = item["options"][0].upper()
    _dump(quiz_file, quiz)
    problems = _problems(pack_copy)
    assert len(problems) == 1
    assert item["id"] in problems[0]
    assert "options" in problems[0]


def test_missing_manifest_is_reported(tmp_path):
    problems = _problems(tmp_path)
    assert problems == [f"{tmp_path / 'pack.yaml'}: file not found"]


def test_competency_map_loads_on_its_own():
    cmap = load_competency_map(PACK / "competencies.yaml")
    assert cmap is not None
    assert cmap.standard.working_map is True


# --- importing an official list from CSV ---------------------------------------------------------------

HEADER = "code,kind,area,area_title,text,standard_code,standard_title\n"


def test_csv_competency_list_becomes_an_official_map(tmp_path):
    path = tmp_path / "ksb.csv"
    path.write_text(
        HEADER
        + "K1,knowledge,LAW,Law and regulations,The Electricity at Work Regulations,ST1332,Cable jointer\n"
        + "S1,Skill,ISO,Isolation,Prove dead before work,,\n"
        + 'B1,b,BEH,Behaviours,"Speaks up, stops unsafe work",,\n'
        + "K2,K,LAW,Law (again),ESQCR duties,,\n",
        encoding="utf-8",
    )
    cmap = read_competency_file(path)
    assert cmap.standard.code == "ST1332"
    assert cmap.standard.title == "Cable jointer"
    assert cmap.standard.working_map is False
    assert [a.id for a in cmap.areas] == ["LAW", "ISO", "BEH"]
    assert cmap.areas[0].title == "Law and regulations"  # the first title given for an area wins
    kinds = {c.id: c.kind for c in cmap.competencies}
    assert kinds == {"K1": "knowledge", "S1": "skill", "B1": "behaviour", "K2": "knowledge"}
    assert next(c for c in cmap.competencies if c.id == "B1").text == "Speaks up, stops unsafe work"


def test_csv_with_excel_bom_and_no_standard_columns(tmp_path):
    path = tmp_path / "ksb.csv"
    path.write_text(
        "\ufeffcode,kind,area,area_title,text\nK1,knowledge,LAW,Law,Know the law\n",
        encoding="utf-8",
    )
    cmap = read_competency_file(path)
    assert cmap.standard.code == "IMPORTED"
    assert cmap.standard.working_map is False
    assert [c.id for c in cmap.competencies] == ["K1"]


def test_csv_with_bad_kind_names_the_line(tmp_path):
    path = tmp_path / "ksb.csv"
    path.write_text(
        HEADER
        + "K1,knowledge,LAW,Law,Know the law,ST1332,Cable jointer\n"
        + "X1,attitude,BEH,Behaviours,Be nice,,\n",
        encoding="utf-8",
    )
    with pytest.raises(PackError) as info:
        read_competency_file(path)
    assert len(info.value.problems) == 1
    problem = info.value.problems[0]
    assert "ksb.csv" in problem
    assert "line 3" in problem
    assert "X1" in problem
    assert "kind" in problem


def test_csv_without_the_needed_columns_is_refused(tmp_path):
    path = tmp_path / "ksb.csv"
    path.write_text("id,description\nK1,Know the law\n", encoding="utf-8")
    with pytest.raises(PackError, match="header"):
        read_competency_file(path)


def test_competency_file_can_be_yaml(tmp_path):
    path = tmp_path / "official.yaml"
    shutil.copy(PACK / "competencies.yaml", path)
    assert read_competency_file(path).standard.code == "ST1332"


# --- knowledge cards ---------------------------------------------------------------------------------


def test_real_pack_has_at_least_250_knowledge_cards_covering_every_area(pack):
    assert len(pack.cards) >= 250
    areas = {c.area for c in pack.cards}
    assert {"LAW", "SDR", "ISO", "LIV", "CAB", "ERT", "EXC", "JNT", "TST", "MHL", "EMG"} <= areas
    assert sum(len(c.quiz) for c in pack.cards) >= 400


def test_every_card_names_its_sources_and_says_when_it_varies_by_operator(pack):
    for card in pack.cards:
        assert card.sources and 3 <= len(card.questions)
        if card.varies_by_operator:
            assert card.verify_locally, card.id


def test_a_broken_card_is_reported_by_file_card_and_field(pack_copy):
    path = pack_copy / "cards" / "safety_law_cables_earthing_health.yaml"
    data = _load(path)
    data["cards"][0]["competencies"] = ["NOPE-K9"]
    data["cards"][1]["mandatory_phrases"] = ["a phrase the answer does not contain"]
    data["cards"][2]["lesson"] = "L99"
    _dump(path, data)
    problems = _problems(pack_copy)
    first, second, third = (data["cards"][i]["id"] for i in range(3))
    assert any(first in p and "unknown competency 'NOPE-K9'" in p for p in problems), problems
    assert any(second in p and "mandatory_phrases" in p for p in problems), problems
    assert any(third in p and "unknown lesson 'L99'" in p for p in problems), problems
