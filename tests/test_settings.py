"""Tests for Settings.from_env: defaults, the environment, overrides and the instance secret."""

import stat
from pathlib import Path

import pytest

from sitecoach.settings import Settings

TWILIO = {"TWILIO_ACCOUNT_SID": "AC0123456789abcdef0123456789abcdef", "TWILIO_AUTH_TOKEN": "token-123"}


def _settings(tmp_path, **env):
    return Settings.from_env(env=env, instance_path=tmp_path)


def test_channel_is_twilio_when_credentials_are_set(tmp_path):
    settings = _settings(tmp_path, **TWILIO)
    assert settings.coach_channel == "twilio"
    assert settings.twilio_configured
    assert settings.simulator_enabled is False


def test_channel_is_simulator_without_credentials(tmp_path):
    settings = _settings(tmp_path)
    assert settings.coach_channel == "simulator"
    assert settings.simulator_enabled is False  # the simulator page is mounted only by SIMULATOR_ENABLED
    assert not settings.twilio_configured


def test_half_the_twilio_credentials_is_still_the_simulator(tmp_path):
    assert _settings(tmp_path, TWILIO_ACCOUNT_SID="AC123").coach_channel == "simulator"
    assert _settings(tmp_path, TWILIO_AUTH_TOKEN="t").coach_channel == "simulator"


def test_empty_values_count_as_unset(tmp_path):
    settings = _settings(tmp_path, TWILIO_ACCOUNT_SID="", TWILIO_AUTH_TOKEN="", PORT="", COACH_CHANNEL="")
    assert settings.coach_channel == "simulator"
    assert settings.port == 5000


def test_explicit_channel_wins(tmp_path):
    settings = _settings(tmp_path, COACH_CHANNEL="simulator", **TWILIO)
    assert settings.coach_channel == "simulator"
    assert settings.simulator_enabled is False
    settings = _settings(tmp_path, COACH_CHANNEL="twilio")
    assert settings.coach_channel == "twilio"
    assert settings.simulator_enabled is False


def test_override_beats_environment(tmp_path):
    settings = Settings.from_env(
        env={"COACH_CHANNEL": "twilio", "PORT": "8000"},
        instance_path=tmp_path,
        coach_channel="simulator",
        port=9000,
    )
    assert settings.coach_channel == "simulator"
    assert settings.port == 9000
    assert settings.public_base_url == "http://localhost:9000"


@pytest.mark.parametrize("channel", ["sms", "Twilio", "whatsapp", "carrier pigeon"])
def test_invalid_channel_is_refused(tmp_path, channel):
    with pytest.raises(ValueError, match="COACH_CHANNEL"):
        _settings(tmp_path, COACH_CHANNEL=channel)


def test_simulator_can_be_switched_on_explicitly_with_twilio(tmp_path):
    settings = _settings(tmp_path, SIMULATOR_ENABLED="yes", **TWILIO)
    assert settings.coach_channel == "twilio"
    assert settings.simulator_enabled is True


def test_port_is_parsed_and_sets_the_default_public_url(tmp_path):
    settings = _settings(tmp_path, PORT="8080")
    assert settings.port == 8080
    assert settings.public_base_url == "http://localhost:8080"


def test_default_port_and_public_url(tmp_path):
    settings = _settings(tmp_path)
    assert settings.port == 5000
    assert settings.public_base_url == "http://localhost:5000"


def test_bad_port_is_refused(tmp_path):
    with pytest.raises(ValueError):
        _settings(tmp_path, PORT="eighty")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("https://coach.example.com/", "https://coach.example.com"),
        ("https://coach.example.com///", "https://coach.example.com"),
        ("https://coach.example.com", "https://coach.example.com"),
        ("https://example.com/coach/", "https://example.com/coach"),
    ],
)
def test_public_base_url_loses_trailing_slash(tmp_path, raw, expected):
    assert _settings(tmp_path, PUBLIC_BASE_URL=raw, PORT="8080").public_base_url == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("postgres://u@h/db", "postgresql+psycopg://u@h/db"),
        ("postgresql://u:p@h:5432/db", "postgresql+psycopg://u:p@h:5432/db"),
        ("postgresql+psycopg://u@h/db", "postgresql+psycopg://u@h/db"),
        ("sqlite:////srv/coach.db", "sqlite:////srv/coach.db"),
    ],
)
def test_database_url_gets_a_driver(tmp_path, raw, expected):
    assert _settings(tmp_path, DATABASE_URL=raw).database_uri == expected


def test_no_database_url_gives_sqlite_in_the_instance_folder(tmp_path):
    settings = _settings(tmp_path)
    assert settings.database_url is None
    assert settings.database_uri == f"sqlite:///{tmp_path / 'sitecoach.db'}"
    assert settings.database_uri.startswith("sqlite:///")


def test_secret_key_is_generated_once_and_kept_in_the_instance_folder(tmp_path):
    first = _settings(tmp_path)
    second = _settings(tmp_path)
    assert len(first.secret_key) >= 32
    assert first.secret_key == second.secret_key
    stored = tmp_path / "secret_key"
    assert stored.read_text(encoding="utf-8").strip() == first.secret_key
    assert stat.S_IMODE(stored.stat().st_mode) == 0o600


def test_each_instance_folder_gets_its_own_secret(tmp_path):
    a = _settings(tmp_path / "a")
    b = _settings(tmp_path / "b")
    assert a.secret_key and b.secret_key
    assert a.secret_key != b.secret_key


def test_secret_key_from_environment_is_used_and_nothing_is_written(tmp_path):
    settings = _settings(tmp_path, SECRET_KEY="from-the-env-0123456789abcdef-012345")
    assert settings.secret_key == "from-the-env-0123456789abcdef-012345"
    assert not (tmp_path / "secret_key").exists()


def test_default_timezone_is_london(tmp_path):
    assert _settings(tmp_path).default_timezone == "Europe/London"
    assert _settings(tmp_path, DEFAULT_TIMEZONE="Europe/Dublin").default_timezone == "Europe/Dublin"


def test_typed_values_from_the_environment(tmp_path):
    settings = _settings(
        tmp_path,
        QUIZ_ROUND_LENGTH="7",
        DESIRED_RETENTION="0.85",
        CONTENT_PACK_PATH="/srv/packs/st1332",
        TWILIO_TIMEOUT_SECONDS="2.5",
    )
    assert settings.quiz_round_length == 7
    assert settings.desired_retention == 0.85
    assert settings.content_pack_path == Path("/srv/packs/st1332")
    assert settings.twilio_timeout_seconds == 2.5


def test_signing_token_is_twilio_token_or_derived_from_secret(tmp_path):
    assert _settings(tmp_path, **TWILIO).signing_token == "token-123"
    settings = _settings(tmp_path, SECRET_KEY="s3cret-0123456789abcdef-0123456789ab")
    assert settings.signing_token == "simulator-s3cret-0123456789abcdef-0123456789ab"


def test_instance_override_keeps_media_in_the_instance_folder(tmp_path):
    assert _settings(tmp_path).media_path == tmp_path / "media"
