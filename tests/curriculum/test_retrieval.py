"""Tests for the offline BM25 passage retrieval."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sitecoach.curriculum.retrieval import Passage, PassageIndex, analyze, split_script, stem

_LESSONS: dict[str, tuple[str, tuple[str, ...], list[tuple[str, str]]]] = {
    "L01": (
        "Safe isolation and proving dead",
        ("isolation", "prove dead", "lock off", "voltage indicator", "proving unit"),
        [
            (
                "fact",
                "Isolate at the point of supply, lock off with your own padlock "
                "and key, and fit a caution notice.",
            ),
            (
                "fact",
                "Prove dead with an approved voltage indicator to GS38: test the "
                "indicator on a proving unit, test the circuit, then prove the "
                "indicator again.",
            ),
            (
                "warning",
                "Never trust a drawing or a label: a cable is live until you have proved it dead yourself.",
            ),
            (
                "script",
                "Right, proving dead. First identify the circuit from the "
                "records. Then isolate it and lock off. Next take your voltage "
                "indicator and check it on the proving unit. Test every "
                "conductor, phase to phase and phase to earth. Finally prove "
                "the indicator again so you know it did not fail halfway.",
            ),
        ],
    ),
    "L02": (
        "Resin joints: mixing and curing",
        ("resin", "cure", "cold weather", "mixing", "joint shell"),
        [
            (
                "fact",
                "Two-part resin cures by an exothermic reaction; below about "
                "5 degrees C it can take many hours to set.",
            ),
            (
                "fact",
                "In cold weather warm the resin packs in the van cab before "
                "mixing, and never heat them with a flame.",
            ),
            ("warning", "Wear nitrile gloves and eye protection: uncured resin is a skin sensitiser."),
            (
                "script",
                "Burst the inner seal and knead the pack until the colour is "
                "even. Pour slowly into the joint shell so you do not trap air. "
                "Leave it alone until it has gone hard before you backfill.",
            ),
        ],
    ),
    "L03": (
        "HSG47: finding buried services with the CAT and Genny",
        ("hsg47", "cat", "genny", "locating", "buried services"),
        [
            ("fact", "HSG47 is the HSE guidance on avoiding danger from underground services when you dig."),
            ("fact", "A cable avoidance tool detects buried cables in power mode and radio mode."),
            (
                "fact",
                "A signal generator puts a known signal onto a pipe or cable so "
                "the locator can trace it in generator mode.",
            ),
            (
                "warning",
                "The locator cannot find everything: plastic pipes and cables "
                "carrying no load stay silent, so dig trial holes by hand.",
            ),
            (
                "script",
                "Sweep the whole area in power mode, then radio mode. Clip the "
                "signal generator onto the service and trace it out. Mark what "
                "you find with paint before anyone breaks ground.",
            ),
        ],
    ),
    "L04": (
        "11 kV stress control",
        ("stress control", "stress cone", "11kv", "semicon", "screen cut"),
        [
            (
                "fact",
                "At the end of the cut screen on an 11kV XLPE cable the "
                "electric field concentrates at the edge.",
            ),
            (
                "fact",
                "A stress control tube or stress cone spreads that field so the "
                "insulation does not break down.",
            ),
            (
                "warning",
                "Nicking the XLPE insulation while removing the semi-con "
                "screen makes a weak spot that can fail in service.",
            ),
            (
                "script",
                "Mark the screen cut with tape. Score the semicon lightly and "
                "peel it back. Clean the insulation with the approved solvent "
                "wiping away from the screen.",
            ),
        ],
    ),
    "L05": (
        "Earthing: PME and TN-C-S supplies",
        ("pme", "tncs", "pen conductor", "earthing", "broken neutral"),
        [
            (
                "fact",
                "On a PME supply the neutral and protective earth are combined "
                "in the PEN conductor of the service cable.",
            ),
            (
                "fact",
                "If the PEN conductor is broken, exposed metalwork in the "
                "property can rise to a dangerous voltage.",
            ),
            ("fact", "Consac and Waveform are CNE cables: the concentric outer conductor is the PEN."),
            ("warning", "Never break the neutral of a live CNE cable without bridging it first."),
        ],
    ),
    "L06": (
        "First aid for electric shock",
        ("electric shock", "first aid", "cpr", "aed", "casualty"),
        [
            (
                "fact",
                "Do not touch a casualty still in contact with the supply: "
                "isolate first or use dry insulating material to part them.",
            ),
            (
                "fact",
                "Call 999 and start CPR if the casualty is not breathing "
                "normally; send someone for the defibrillator.",
            ),
            (
                "warning",
                "Anyone who has had an electric shock must see a medic, even "
                "if they feel fine: burns can be deep and heart rhythm can "
                "change later.",
            ),
        ],
    ),
}


def _corpus() -> list[Passage]:
    passages = []
    for lesson_id, (title, keywords, items) in _LESSONS.items():
        passages.append(Passage(f"{lesson_id}:title:0", lesson_id, title, "title", title))
        for n, (kind, text) in enumerate(items):
            passages.append(Passage(f"{lesson_id}:{kind}:{n}", lesson_id, title, kind, text, keywords))
    return passages


@pytest.fixture(scope="module")
def index() -> PassageIndex:
    return PassageIndex(_corpus())


@pytest.mark.parametrize(
    ("query", "lesson_id"),
    [
        ("how do i prove dead", "L01"),
        ("how do I prove a cable is dead before jointing?", "L01"),
        ("wots a genny for", "L03"),
        ("resin wont go off in the cold", "L02"),
        ("11k stress cone why", "L04"),
        ("broken pen danger", "L05"),
        ("what do i do if my mate gets a belt", "L06"),
        ("Lad got zapped, wot now", "L06"),
        ("what is a CAT used for", "L03"),
        ("whats HSG 47", "L03"),
        ("isolaton and lock of", "L01"),
        ("stres cone on 11kv", "L04"),
        ("pme broken nuetral", "L05"),
        ("is consac tn-c-s", "L05"),
        ("how long does resin take to cure when its freezing", "L02"),
        ("semi con screen nick", "L04"),
    ],
)
def test_right_lesson_ranks_first(index: PassageIndex, query: str, lesson_id: str) -> None:
    lessons = index.best_lessons(query)
    assert lessons, query
    assert lessons[0].lesson_id == lesson_id, [(m.lesson_id, m.score) for m in lessons]
    assert index.covers(lessons[0])
    hits = index.search(query)
    assert hits and hits[0].passage.lesson_id == lesson_id


@pytest.mark.parametrize(
    "query",
    [
        "who won the football",
        "best pizza in leeds",
        "how do I fix my car's gearbox",
        "what's the weather like tomorrow",
        "can you recommend a good film",
        "my girlfriend is angry with me",
    ],
)
def test_off_topic_is_not_covered(index: PassageIndex, query: str) -> None:
    assert not any(index.covers(m) for m in index.best_lessons(query))


@pytest.mark.parametrize(
    "query", ["", "   ", "?!", "👍🔥⚡", "how do i", "\x00\n\t", "é" * 50, "cable " * 1000]
)
def test_degenerate_queries_do_not_raise(index: PassageIndex, query: str) -> None:
    index.search(query)
    for match in index.best_lessons(query):
        index.covers(match)


def test_five_thousand_char_query(index: PassageIndex) -> None:
    query = ("prove dead resin genny stress cone pme belt xyzzy " * 120)[:5000]
    assert len(query) == 5000
    assert index.search(query, k=3)
    assert index.best_lessons(query, k=6)


def test_empty_query_returns_nothing(index: PassageIndex) -> None:
    assert index.search("") == []
    assert index.best_lessons("👍") == []
    assert index.search("prove dead", k=0) == []


def test_fact_beats_equally_relevant_script() -> None:
    text = "Bond the armour to the earth with the braid."
    long_script = (
        "Okay so now the armour. " + text + " Keep the braid tidy and flat along "
        "the cable. Then we tape over it and move on to the next part of the job."
    )
    idx = PassageIndex(
        [
            Passage("A:script:0", "A", "Armour", "script", long_script),
            Passage("A:fact:0", "A", "Armour", "fact", text),
        ]
    )
    hits = idx.search("bond armour braid earth")
    assert hits[0].passage.id == "A:fact:0"


def test_scripts_are_split_into_short_passages(index: PassageIndex) -> None:
    scripts = [p for p in index.passages if p.kind == "script"]
    assert any(p.id == "L01:script:3.1" for p in scripts)
    for passage in scripts:
        assert passage.text.count(". ") <= 2
    long = Passage("X:script:0", "X", "X", "script", " ".join(f"S{i}." for i in range(7)))
    parts = split_script(long)
    assert [p.text for p in parts] == ["S0. S1. S2.", "S3. S4. S5.", "S6."]
    assert [p.id for p in parts] == ["X:script:0.1", "X:script:0.2", "X:script:0.3"]


def test_keywords_boost_ranking() -> None:
    plain = Passage("A:fact:0", "A", "A", "fact", "Check the tool before use.")
    tagged = Passage("B:fact:0", "B", "B", "fact", "Check the tool before use.", ("tool",))
    hits = PassageIndex([plain, tagged]).search("tool")
    assert hits[0].passage.id == "B:fact:0"
    assert hits[0].score > hits[1].score


def test_analysis_normalises_slang_and_units() -> None:
    assert analyze("11k") == analyze("11 kV") == analyze("11,000 volts") == [("11kv",)]
    assert analyze("megger") == analyze("IR test") == analyze("insulation resistance test")
    assert analyze("genny") == analyze("signal generator")
    assert analyze("PTW") == analyze("permit") == analyze("permit to work")
    assert analyze("SFT") == analyze("sanction for test")
    assert analyze("TN-C-S") == analyze("tncs")
    assert analyze("zapped") == analyze("belt") == analyze("electric shock")
    assert analyze("resin going off") == analyze("resin cure set")
    assert stem("proving") == stem("proved") == stem("prove") == stem("proves")
    assert stem("cables") == stem("cable")


def test_lesson_match_fields(index: PassageIndex) -> None:
    match = index.best_lessons("prove dead", k=1)[0]
    assert match.lesson_title == "Safe isolation and proving dead"
    assert match.coverage == 1.0
    assert 1 <= len(match.hits) <= 3
    assert all(h.passage.lesson_id == "L01" for h in match.hits)
    scores = [h.score for h in match.hits]
    assert scores == sorted(scores, reverse=True)


@settings(max_examples=300, deadline=None)
@given(query=st.text(max_size=300), k=st.integers(min_value=-2, max_value=50))
def test_search_never_raises_and_is_sorted(query: str, k: int) -> None:
    idx = _PROPERTY_INDEX
    hits = idx.search(query, k=k)
    assert len(hits) <= max(k, 0)
    scores = [h.score for h in hits]
    assert scores == sorted(scores, reverse=True)
    assert all(s > 0 for s in scores)
    lessons = idx.best_lessons(query, k=max(k, 0))
    lesson_scores = [m.score for m in lessons]
    assert lesson_scores == sorted(lesson_scores, reverse=True)
    assert all(0.0 <= m.coverage <= 1.0 for m in lessons)


@settings(max_examples=200, deadline=None)
@given(
    words=st.lists(
        st.sampled_from(
            [
                "prove",
                "dead",
                "genny",
                "resin",
                "11k",
                "pme",
                "belt",
                "the",
                "how",
                "stres",
                "cone",
                "xx",
                "👍",
                "?",
                "tn-c-s",
                "megger",
                "lock",
                "off",
            ]
        ),
        max_size=12,
    )
)
def test_search_on_domain_words_is_sorted(words: list[str]) -> None:
    hits = _PROPERTY_INDEX.search(" ".join(words), k=10)
    scores = [h.score for h in hits]
    assert scores == sorted(scores, reverse=True)


_PROPERTY_INDEX = PassageIndex(_corpus())
