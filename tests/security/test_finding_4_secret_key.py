"""Finding 4: the generated SECRET_KEY could be read empty by a process racing its creation, and an empty key
was accepted, so lesson links became forgeable. Now the key appears in the instance folder complete or not at
all, and an empty or short key (file or environment) stops the process with a clear error."""

from __future__ import annotations

import multiprocessing
import stat
from pathlib import Path

import pytest
from click.testing import CliRunner

from sitecoach.cli import main
from sitecoach.settings import Settings, SettingsError

ROUNDS = 40  # fresh instance folders, each raced for by PROCESSES forks at once
PROCESSES = 8
READS = 20  # each process reads its settings this many times, as fast as it can, while the key is made


def _start_together(barrier, instance: str, results) -> None:  # type: ignore[no-untyped-def]
    """Processes starting up together: read the settings the way web, worker and clock do, again and
    again, so a read that lands while another process is still writing the key is seen."""
    barrier.wait()
    seen: set[tuple[str, str]] = set()
    try:
        for _ in range(READS):
            settings = Settings.from_env(env={"INSTANCE_PATH": instance})
            seen.add((settings.secret_key, getattr(settings, "audit_key", "")))
        results.put(("ok", seen))
    except Exception as exc:  # noqa: BLE001 - reported to the test, which names it
        results.put(("error", f"{type(exc).__name__}: {exc}"))


def test_processes_racing_to_create_the_key_all_get_the_same_complete_key(tmp_path):
    forks = multiprocessing.get_context("fork")
    for round_ in range(ROUNDS):
        instance = tmp_path / f"instance-{round_}"
        barrier, results = forks.Barrier(PROCESSES), forks.Queue()
        procs = [
            forks.Process(target=_start_together, args=(barrier, str(instance), results))
            for _ in range(PROCESSES)
        ]
        for proc in procs:
            proc.start()
        seen = [results.get(timeout=60) for _ in procs]
        for proc in procs:
            proc.join(timeout=60)
        assert all(status == "ok" for status, _ in seen), [s for s in seen if s[0] != "ok"][:3]
        keys = set().union(*(found for _, found in seen))
        secret_keys = {secret for secret, _ in keys}
        assert len(secret_keys) == 1, f"round {round_}: keys read {sorted(k[:6] for k in secret_keys)}"
        [secret] = secret_keys
        assert len(secret) >= 32
        assert (instance / "secret_key").read_text(encoding="utf-8").strip() == secret
        assert stat.S_IMODE((instance / "secret_key").stat().st_mode) == 0o600
        assert len({audit for _, audit in keys}) == 1  # the audit key is created the same way
        assert not [p.name for p in instance.iterdir() if p.name.startswith(".")], "temporary files left"


@pytest.mark.parametrize("content", ["", "\n", "   \n", "short-key"])
def test_an_empty_or_short_key_file_is_refused_at_start(tmp_path: Path, content: str):
    (tmp_path / "secret_key").write_text(content, encoding="utf-8")
    with pytest.raises(SettingsError, match="secret_key is (empty|too short)"):
        Settings.from_env(env={"INSTANCE_PATH": str(tmp_path)})
    result = CliRunner().invoke(main, ["migrate"], env={"INSTANCE_PATH": str(tmp_path)})
    assert result.exit_code == 1
    assert "secret_key is" in result.output and "at least 32 characters" in result.output
    assert not (tmp_path / "sitecoach.db").exists()  # refused before anything else happened


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("SECRET_KEY", ""),
        ("SECRET_KEY", "  "),
        ("SECRET_KEY", "dev"),
        ("AUDIT_KEY", ""),
        ("AUDIT_KEY", "changeme"),
    ],
)
def test_an_empty_or_short_key_in_the_environment_is_refused(tmp_path: Path, name: str, value: str):
    with pytest.raises(SettingsError, match=f"{name} is"):
        Settings.from_env(env={"INSTANCE_PATH": str(tmp_path), name: value})
    assert not (tmp_path / name.lower()).exists()  # no silent fallback to a generated key
