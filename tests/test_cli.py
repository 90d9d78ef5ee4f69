"""`sitecoach classify` and `sitecoach ask` as an operator runs them."""

from __future__ import annotations

import json
import subprocess
import sys

from click.testing import CliRunner

from sitecoach.cli import main


def test_classify_reads_lines_and_prints_json_lines():
    messages = (
        "hows ma progress\nSTOP\nhow do I stop the resin going off\npic of the 11k pot end i did 2day\n"
    )
    result = subprocess.run(
        [sys.executable, "-m", "sitecoach.cli", "classify"],
        input=messages,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["intent"] for r in rows] == ["progress", "stop", "explain", "evidence"]
    assert rows[0]["text"] == "hows ma progress" and all(0 <= r["confidence"] <= 1 for r in rows)


def _env(base_settings):
    return {
        "DATABASE_URL": base_settings.database_uri,
        "REDIS_URL": base_settings.redis_url,
        "INSTANCE_PATH": str(base_settings.instance_path),
        "SECRET_KEY": "cli-test-secret-key-0123456789abcdef",
    }


def test_ask_json_answers_through_the_router_and_skills(services, base_settings):
    result = CliRunner().invoke(
        main, ["ask", "why do we spike a cable before cutting it", "--json"], env=_env(base_settings)
    )
    assert result.exit_code == 0, result.output
    out = json.loads(result.output.strip().splitlines()[-1])
    assert out["intent"] == "explain" and out["skill"] == "explain"
    assert (
        len(out["replies"]) == 1 and "spike" in out["replies"][0].lower() and "/lesson/" in out["replies"][0]
    )


def test_ask_emergency_gives_the_vetted_steps(services, base_settings):
    result = CliRunner().invoke(
        main,
        ["ask", "hes been electrocuted and isnt moving", "--json", "--phone", "+447700900444"],
        env=_env(base_settings),
    )
    out = json.loads(result.output.strip().splitlines()[-1])
    assert out["intent"] == "emergency" and "999" in out["replies"][0]


def _ask(base_settings, *args: str) -> dict:
    result = CliRunner().invoke(main, ["ask", *args, "--json"], env=_env(base_settings))
    assert result.exit_code == 0, result.output
    return json.loads(result.output.strip().splitlines()[-1])


def test_each_ask_without_a_phone_is_a_new_learner(services, base_settings):
    # An outside tester asks question after question: an opt-out (or a quiz) in one must not colour the next.
    assert _ask(base_settings, "STOP")["skill"] == "stop"
    assert _ask(base_settings, "why do we spike a cable before cutting it")["skill"] == "explain"


def test_ask_with_a_phone_goes_on_from_that_learners_last_message(services, base_settings):
    phone = "+447700900445"
    assert _ask(base_settings, "STOP", "--phone", phone)["skill"] == "stop"
    after = _ask(base_settings, "why do we spike a cable before cutting it", "--phone", phone)
    assert after["skill"] != "explain"  # an opted-out learner is not coached


def test_ask_refuses_a_bad_phone(services, base_settings):
    result = CliRunner().invoke(main, ["ask", "hi", "--phone", "nope"], env=_env(base_settings))
    assert result.exit_code != 0 and "phone number" in result.output


def test_validate_pack_reports_the_real_pack_valid():
    result = CliRunner().invoke(main, ["validate-pack"])
    assert result.exit_code == 0 and "20 lessons" in result.output and "valid" in result.output


def test_import_standard_loads_the_official_list_and_maps_lessons_and_items(
    services, base_settings, tmp_path
):
    ksbs = tmp_path / "ksbs.csv"
    ksbs.write_text(
        "code,kind,area,area_title,text,standard_code,standard_title\n"
        "K1,knowledge,K,Knowledge,Safe isolation and proving dead,ST1332-OFFICIAL,Official ST1332\n"
        "S1,skill,S,Skills,Make LV joints to the approved instruction,ST1332-OFFICIAL,Official ST1332\n",
        encoding="utf-8",
    )
    mapping = tmp_path / "mapping.csv"
    mapping.write_text("target,competency\nL03,K1\nQ-L03-01,K1\nL13,S1\n", encoding="utf-8")
    result = CliRunner().invoke(
        main, ["import-standard", str(ksbs), "--mapping", str(mapping)], env=_env(base_settings)
    )
    assert result.exit_code == 0, result.output
    assert "ST1332-OFFICIAL: 2 competencies imported, 3 lessons/items mapped" in result.output
    services.reload_catalogue()
    catalogue = services.catalogue()
    assert catalogue.competencies["K1"].standard_code == "ST1332-OFFICIAL"
    assert "K1" in catalogue.lessons["L03"].competencies and "ISO-K1" in catalogue.lessons["L03"].competencies
    assert "S1" in catalogue.lessons["L13"].competencies
    bad = tmp_path / "bad.csv"
    bad.write_text("target,competency\nL99,K1\n", encoding="utf-8")
    result = CliRunner().invoke(
        main, ["import-standard", str(ksbs), "--mapping", str(bad)], env=_env(base_settings)
    )
    assert result.exit_code != 0 and "bad.csv: line 2: target: no lesson or quiz item 'L99'" in result.output


def test_variants_list_shows_champion_counts_p_best_and_history(services, base_settings):
    from sitecoach.learning.bandit import new_bandit, tally
    from sitecoach.models import BanditRecord

    state = tally(new_bandit("due_reviews", ["a", "b"]), {"a": (500, 150), "b": (500, 200)})
    with services.db.session() as session:
        session.add(BanditRecord(kind="due_reviews", state=state.to_dict()))
    runner = CliRunner()
    pinned = runner.invoke(main, ["variants", "pin", "due_reviews", "a"], env=_env(base_settings))
    assert pinned.exit_code == 0, pinned.output
    result = runner.invoke(main, ["variants", "list"], env=_env(base_settings))
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "due_reviews: champion a (pinned: a)"
    assert lines[1].startswith(
        "  a (champion): 150/500 counted (30%), P(best) 0.00, sent to 100% of new learners"
    )
    assert lines[2].startswith(
        "  b (challenger): 200/500 counted (40%), P(best) 1.00, sent to 0% of new learners"
    )
    assert lines[-1] == "  · pinned a"
