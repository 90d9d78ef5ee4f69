"""Finding 7 (files): the database and media files were world-readable, portfolio downloads left full ZIPs in
/tmp, and a newline in a learner's name made the portfolio download fail with a 500."""

from __future__ import annotations

import io
import os
import stat
import tempfile
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from werkzeug.security import generate_password_hash

from sitecoach.cli import main
from sitecoach.models import Learner, Mentor
from sitecoach.settings import Settings
from sitecoach.wiring import build_services
from tests.web.test_mentor import PASSWORD, _login


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def usual_umask() -> Iterator[None]:
    """A process started the way a shell or a service manager usually starts it (umask 022)."""
    previous = os.umask(0o022)
    yield
    os.umask(previous)


def _default_install(instance: Path) -> dict[str, str | None]:
    """The CLI's environment for the embedded default in `instance` (None unsets the suite's own servers)."""
    return {"INSTANCE_PATH": str(instance), "DATABASE_URL": None, "REDIS_URL": None}


def test_the_database_keys_and_media_are_for_the_service_user_only(tmp_path, usual_umask):
    instance = tmp_path / "instance"
    result = CliRunner().invoke(main, ["migrate"], env=_default_install(instance))  # the release step
    assert result.exit_code == 0, result.output
    assert _mode(instance) == 0o700
    for name in ("sitecoach.db", "secret_key", "audit_key"):
        assert _mode(instance / name) == 0o600, name
    for name in ("sitecoach.db-wal", "sitecoach.db-shm"):
        if (instance / name).exists():
            assert _mode(instance / name) == 0o600, name

    os.umask(0o022)  # a web or worker process (gunicorn imports the app factory, no CLI)
    settings = Settings.from_env(env={"INSTANCE_PATH": str(instance), "REDIS_URL": "redis://127.0.0.1:1"})
    photo = instance / "simulator_media" / "joint.jpg"
    photo.parent.mkdir()
    photo.write_bytes(b"\xff\xd8\xff\xe0 a photo from site")
    services = build_services(settings, start_embedded_redis=False)
    try:
        saved, _ = services.channel.fetch_media(
            "http://localhost/simulator/media/joint.jpg", settings.media_path, "m1"
        )
    finally:
        services.close()
    assert _mode(settings.media_path) == 0o700
    assert _mode(saved) == 0o600 and saved.read_bytes().endswith(b"a photo from site")


def test_an_install_made_world_readable_is_tightened_at_start(tmp_path, usual_umask):
    instance = tmp_path / "old-instance"
    instance.mkdir(mode=0o755)
    (instance / "media").mkdir(mode=0o755)
    (instance / "sitecoach.db").touch(mode=0o644)
    os.chmod(instance / "sitecoach.db", 0o644)
    assert CliRunner().invoke(main, ["migrate"], env=_default_install(instance)).exit_code == 0
    assert (_mode(instance), _mode(instance / "media"), _mode(instance / "sitecoach.db")) == (
        0o700,
        0o700,
        0o600,
    )


def _admin_and_learner(services, name: str) -> int:
    with services.db.session() as session:
        session.add(
            Mentor(
                name="Admin",
                email="admin@example.test",
                is_admin=True,
                password_hash=generate_password_hash(PASSWORD),
            )
        )
        learner = Learner(phone="+447700900811", name=name)
        session.add(learner)
        session.flush()
        return int(learner.id or 0)


@pytest.fixture
def private_tmp(tmp_path, monkeypatch) -> Path:
    """The temporary folder the web process would use, empty and watched."""
    folder = tmp_path / "tmp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


def test_a_portfolio_download_leaves_nothing_in_the_temporary_folder(client, services, private_tmp):
    learner_id = _admin_and_learner(services, "Jamie Carter")
    _login(client, "admin@example.test")
    response = client.get(f"/mentor/learners/{learner_id}/portfolio.zip")
    body = response.get_data()
    response.close()
    assert response.status_code == 200 and response.content_length == len(body)
    assert "index.pdf" in zipfile.ZipFile(io.BytesIO(body)).namelist()
    assert list(private_tmp.rglob("*")) == []


@pytest.mark.parametrize(
    ("name", "ascii_name", "utf8_name"),
    [
        ("Jamie\nCarter", "portfolio-jamie-carter-", None),
        (
            'Zoë "Z"\r\nO\'Neil; filename=x.exe',
            "portfolio-zoe-z-o-neil-filename-x-exe-",
            "portfolio-zo%C3%AB-z-o",
        ),
        ("../../etc/passwd", "portfolio-etc-passwd-", None),
        ("", "portfolio-learner-", None),
    ],
)
def test_any_name_gives_a_safe_download_file_name(client, services, private_tmp, name, ascii_name, utf8_name):
    learner_id = _admin_and_learner(services, name)
    _login(client, "admin@example.test")
    response = client.get(f"/mentor/learners/{learner_id}/portfolio.zip")
    response.close()
    assert response.status_code == 200
    disposition = response.headers["Content-Disposition"]
    assert "\n" not in disposition and "\r" not in disposition and "/" not in disposition
    assert disposition.startswith("attachment; filename=")
    assert ascii_name in disposition
    if utf8_name:
        assert f"filename*=UTF-8''{utf8_name}" in disposition  # RFC 6266 for names beyond ASCII
