"""Lesson micro-videos: a real render with ffmpeg and espeak-ng, checked with ffprobe; the captions."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from sitecoach.curriculum import videos
from sitecoach.curriculum.catalogue import Catalogue, LessonInfo
from sitecoach.curriculum.videos import (
    RenderedVideo,
    caption_chunks,
    is_current,
    lesson_slides,
    render_all,
    render_lesson_video,
    render_videos_command,
    slide_durations,
    tools_available,
    webvtt_from_script,
)
from sitecoach.infra import progress as progress_module
from sitecoach.settings import DEFAULT_CONTENT_PACK, Settings
from tests.conftest import pack_lesson

MAX_BYTES = 3 * 1024 * 1024
CUE_TIMES = re.compile(r"^(\d\d):(\d\d):(\d\d)\.(\d{3}) --> (\d\d):(\d\d):(\d\d)\.(\d{3})$", re.MULTILINE)


def require_tools() -> tuple[str, str]:
    """ffmpeg and espeak-ng, or a failure that says how to install them (these tests are never skipped)."""
    ffmpeg, espeak = tools_available()
    assert ffmpeg and espeak and shutil.which("ffprobe"), (
        "lesson video tests need ffmpeg, ffprobe and espeak-ng: apt-get install ffmpeg espeak-ng"
    )
    return ffmpeg, espeak


def ffprobe(path: Path) -> dict:
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-show_streams", "-show_format", "-of", "json", str(path)],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout)


def top_level_atoms(path: Path) -> list[str]:
    """The MP4's top-level box types, in file order."""
    data, atoms, at = path.read_bytes(), [], 0
    while at + 8 <= len(data):
        size = int.from_bytes(data[at : at + 4], "big")
        atoms.append(data[at + 4 : at + 8].decode("latin-1"))
        if size == 1:
            size = int.from_bytes(data[at + 8 : at + 16], "big")
        if size < 8:
            break
        at += size
    return atoms


def cue_seconds(vtt: str) -> list[tuple[float, float]]:
    def secs(h: str, m: str, s: str, ms: str) -> float:
        return int(h) * 3600 + int(m) * 60 + int(s) + int(ms) / 1000

    return [(secs(*m.groups()[:4]), secs(*m.groups()[4:])) for m in CUE_TIMES.finditer(vtt)]


@pytest.fixture
def rendered(l03_rendered: RenderedVideo) -> RenderedVideo:
    """L03 rendered once for the suite (tests/conftest.py)."""
    return l03_rendered


# --- the real render ----------------------------------------------------------------------------
def test_video_is_h264_and_aac_in_a_small_faststart_mp4(rendered):
    probe = ffprobe(rendered.mp4)
    codecs = {s["codec_type"]: s["codec_name"] for s in probe["streams"]}
    assert codecs == {"video": "h264", "audio": "aac"}
    video = next(s for s in probe["streams"] if s["codec_type"] == "video")
    assert (video["width"], video["height"]) == (1280, 720) and video["pix_fmt"] == "yuv420p"
    assert rendered.size < MAX_BYTES, f"{rendered.size} bytes"
    atoms = top_level_atoms(rendered.mp4)
    assert atoms.index("moov") < atoms.index("mdat"), atoms  # +faststart: playable before it has all loaded


def test_video_lasts_as_long_as_the_narration(rendered):
    narration = rendered.duration()
    assert narration is not None and 60 < narration < 120  # a ~220-word script at 150 words a minute
    video_seconds = float(ffprobe(rendered.mp4)["format"]["duration"])
    assert abs(video_seconds - narration) <= 0.2 * narration


def test_poster_is_the_title_card_as_png(rendered):
    data = rendered.poster.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    assert (width, height) == (1280, 720) and len(data) < 100_000


def test_caption_file_covers_the_narration(rendered):
    vtt = rendered.vtt.read_text(encoding="utf-8")
    assert vtt.startswith("WEBVTT\n")
    cues = cue_seconds(vtt)
    assert len(cues) >= 15 and cues[0][0] == 0
    assert all(a < b for a, b in cues) and all(cues[i][1] <= cues[i + 1][0] for i in range(len(cues) - 1))
    assert cues[-1][1] == pytest.approx(rendered.duration(), abs=0.01)
    assert "prove dead before you touch" in " ".join(vtt.split()).lower()


def test_render_all_skips_lessons_already_rendered_from_the_same_content(rendered, tmp_path):
    lesson = pack_lesson("L03")
    settings = Settings(instance_path=tmp_path, content_pack_path=DEFAULT_CONTENT_PACK, secret_key="x")
    out = tmp_path / "videos"
    out.mkdir()
    for path in (rendered.mp4, rendered.vtt, rendered.poster):
        shutil.copy2(path, out / path.name)
        (out / path.name).touch()  # copies are newer than the pack file
    catalogue = Catalogue([lesson], [], [], None)
    [outcome] = render_all(settings, catalogue)
    assert outcome.lesson == "L03" and not outcome.rendered and outcome.video.mp4 == out / "L03.mp4"
    changed = LessonInfo(**{**lesson.__dict__, "key_facts": (*lesson.key_facts, "A new fact.")})
    assert is_current(outcome.video, lesson) and not is_current(outcome.video, changed)


def test_without_drawtext_the_slides_are_plain_but_the_video_is_made(monkeypatch, tmp_path):
    ffmpeg, espeak = require_tools()
    real = videos._slide_graph

    def no_drawtext(*args, **kwargs):  # type: ignore[no-untyped-def]
        graph = real(*args, **kwargs)
        return graph.replace("drawtext=", "no_such_filter=") if "drawtext=" in graph else graph

    monkeypatch.setattr(videos, "_slide_graph", no_drawtext)
    short = LessonInfo(**{**pack_lesson("L03").__dict__, "script": "Prove dead before you touch."})
    video = render_lesson_video(short, tmp_path, ffmpeg, espeak)
    assert {s["codec_name"] for s in ffprobe(video.mp4)["streams"]} == {"h264", "aac"}
    assert video.poster.read_bytes()[:4] == b"\x89PNG" and video.vtt.read_text().startswith("WEBVTT")


def test_command_explains_missing_tools_without_a_traceback(monkeypatch):
    monkeypatch.setattr(videos, "tools_available", lambda: (None, "/usr/bin/espeak-ng"))
    result = CliRunner().invoke(render_videos_command, [])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "ffmpeg not found" in result.output and "apt-get install ffmpeg espeak-ng" in result.output


@pytest.fixture
def command_env(base_settings, seeded, rendered) -> dict[str, str]:
    """The environment for `render-videos`, with L03's video already rendered and up to date."""
    out = base_settings.instance_path / "videos"
    out.mkdir(exist_ok=True)
    for path in (rendered.mp4, rendered.vtt, rendered.poster):
        shutil.copy2(path, out / path.name)
        (out / path.name).touch()
    return {
        "DATABASE_URL": base_settings.database_uri,
        "INSTANCE_PATH": str(base_settings.instance_path),
        "SECRET_KEY": base_settings.secret_key,
    }


L03_LINE = re.compile(r"^L03\s+\d\.\d\d MB\s+\d+\.\d s\s+up to date$", re.MULTILINE)


def test_command_reports_each_lesson(command_env):
    result = CliRunner().invoke(render_videos_command, ["--lesson", "l03"], env=command_env)
    assert result.exit_code == 0, result.output
    assert L03_LINE.search(result.stdout)
    # not a terminal: no bar, exactly one summary line on stderr
    assert re.fullmatch(r"checked 1 lesson video in \d+\.\d s\n", result.stderr), result.stderr
    quiet = CliRunner().invoke(render_videos_command, ["--lesson", "L03", "--no-progress"], env=command_env)
    assert quiet.exit_code == 0 and quiet.stderr == "" and L03_LINE.search(quiet.stdout)
    bad = CliRunner().invoke(render_videos_command, ["--lesson", "L99"], env=command_env)
    assert bad.exit_code == 1 and "no lesson L99" in bad.output


def test_command_on_a_terminal_draws_a_bar_and_prints_the_table_after_it(command_env, monkeypatch):
    callbacks = []
    real_render_all = videos.render_all

    def render_all(*args, **kwargs):  # type: ignore[no-untyped-def]
        callbacks.append(kwargs["on_outcome"])
        return real_render_all(*args, **kwargs)

    monkeypatch.setattr(videos, "render_all", render_all)
    monkeypatch.setattr(videos, "is_terminal", lambda stream=None: True)
    monkeypatch.setattr(progress_module, "is_terminal", lambda stream=None: True)
    result = CliRunner().invoke(render_videos_command, ["--lesson", "L03"], env=command_env)
    assert result.exit_code == 0, result.output
    assert "Rendering lesson videos" in result.stderr and "checked" not in result.stderr
    assert callbacks == [None] and L03_LINE.search(result.stdout)  # no line under the bar; the table after


# --- slides -------------------------------------------------------------------------------------
def test_slides_are_title_then_facts_then_safety():
    lesson = pack_lesson("L03")
    slides = lesson_slides(lesson)
    assert [s.label for s in slides[:2]] == ["SITE COACH  ·  LESSON 3", "KEY FACT 1 OF 5"]
    assert slides[0].text == lesson.title
    assert [s.text for s in slides[-2:]] == list(lesson.safety_warnings)
    assert all(s.background == videos.WARN_BG for s in slides[-2:])
    durations = slide_durations(slides, 86.0)
    assert sum(durations) == pytest.approx(86.0) and 3 <= durations[0] <= 6
    short = slide_durations(slides, 2.0)
    assert sum(short) == pytest.approx(2.0) and all(d > 0 for d in short)


# --- captions (pure) ----------------------------------------------------------------------------
def test_webvtt_golden():
    # cue 1 is (28 + 6) / (28 + 6 + 58 + 6) of 6 s = 2.0816 s
    script = "Prove dead before you touch. Test every combination, phase to phase and phase to earth!"
    assert webvtt_from_script(script, 6.0) == (
        "WEBVTT\n"
        "\n"
        "1\n"
        "00:00:00.000 --> 00:00:02.082\n"
        "Prove dead before you touch.\n"
        "\n"
        "2\n"
        "00:00:02.082 --> 00:00:06.000\n"
        "Test every combination, phase to phase and\n"
        "phase to earth!\n"
    )


def test_webvtt_escapes_markup_and_keeps_a_note():
    vtt = webvtt_from_script("Volts < 50 & amps > 0.", 2.5, note="sitecoach content=abc duration=2.50")
    assert "NOTE sitecoach content=abc duration=2.50\n\n1\n" in vtt
    assert "Volts &lt; 50 &amp; amps &gt; 0." in vtt and "-->" in vtt


def test_webvtt_refuses_a_zero_duration():
    with pytest.raises(ValueError):
        webvtt_from_script("Hello.", 0)


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.text(st.characters(codec="ascii", categories=("L", "N", "P")), min_size=1, max_size=30),
        min_size=1,
        max_size=60,
    ),
    st.floats(min_value=0.5, max_value=600),
)
def test_webvtt_cues_are_monotone_cover_the_duration_and_keep_every_word(words, duration):
    script = " ".join(words)
    vtt = webvtt_from_script(script, duration)
    assert vtt.startswith("WEBVTT\n\n")
    cues = cue_seconds(vtt)
    assert cues and cues[0][0] == 0 and cues[-1][1] == pytest.approx(round(duration, 3), abs=0.0015)
    assert all(a <= b for a, b in cues) and all(cues[i][1] == cues[i + 1][0] for i in range(len(cues) - 1))
    assert " ".join(caption_chunks(script)).split() == script.split()
    assert all(len(textwrap.wrap(c, 42)) <= 2 or " " not in c for c in caption_chunks(script))
