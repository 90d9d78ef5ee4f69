"""Micro-videos for lessons: espeak-ng narrates the script, ffmpeg draws one slide per key fact and safety
warning, and a WebVTT caption file is spread over the narration.

Output lives in ``<instance>/videos/<LESSON>.mp4|.vtt|.png``. Each caption file carries a ``NOTE`` with a
digest of the lesson content and the narration length, so `render_all` can skip lessons already rendered
from the same content and the CLI can report durations without probing the MP4.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
import tempfile
import textwrap
import time
import wave
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import click

from sitecoach.curriculum.catalogue import Catalogue, LessonInfo
from sitecoach.infra.progress import is_terminal, progress
from sitecoach.settings import Settings

RENDERER_VERSION = 1  # bump to re-render every lesson after changing the look
WIDTH, HEIGHT = 1280, 720
FRAME_RATE = 10  # slides are still: few frames, small file
KEYFRAME_SECONDS = 10
SPEECH_WPM = 150  # espeak-ng's default of 175 is hurried for new vocabulary
VOICE = "en-gb"
TAIL_SECONDS = 0.8  # silence after the last word, so the last slide does not vanish mid-sentence
AUDIO_BITRATE = "64k"
VIDEO_CRF = "30"
VIDEO_MAXRATE = "250k"
CAPTION_LINE_CHARS = 42  # two lines of this per cue (BBC subtitle guidelines use 37-42)
CUE_PAUSE_CHARS = 6  # the pause at the end of a cue, as if it were this many more characters
COMMAND_TIMEOUT_SECONDS = 300
DEJAVU_DIRS = (Path("/usr/share/fonts/truetype/dejavu"), Path("/usr/share/fonts/dejavu"))
CODE_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,40}$")
NOTE_PATTERN = re.compile(r"^NOTE sitecoach content=(\w+) duration=([\d.]+)$", re.MULTILINE)

# colours: the page's brand green, a dark slate for facts, deep red with amber for safety
TITLE_BG, TITLE_ACCENT = "0x0b6e4f", "0xf2a900"
FACT_BG, FACT_BAR, FACT_LABEL = "0x17323a", "0x0b6e4f", "0x8fdcbc"
WARN_BG, WARN_BAR, WARN_LABEL = "0x7a1712", "0xf2a900", "0xffd166"


class RenderError(Exception):
    """ffmpeg or espeak-ng failed; the message says which and why."""


@dataclass(frozen=True)
class RenderedVideo:
    """The three files of one lesson's video."""

    mp4: Path
    vtt: Path
    poster: Path

    @property
    def size(self) -> int:
        """Bytes of the MP4."""
        return self.mp4.stat().st_size

    def duration(self) -> float | None:
        """Seconds of narration, as noted in the caption file."""
        found = NOTE_PATTERN.search(self.vtt.read_text(encoding="utf-8")) if self.vtt.exists() else None
        return float(found.group(2)) if found else None


@dataclass(frozen=True)
class RenderOutcome:
    """What `render_all` did for one lesson."""

    lesson: str
    video: RenderedVideo
    rendered: bool  # False: skipped, already up to date
    seconds: float  # time spent rendering


@dataclass(frozen=True)
class Slide:
    """One still: a label, the text and its colours."""

    label: str
    text: str
    background: str
    bar: str
    label_colour: str
    bar_text: str = "white"
    footer: str = ""


# --- captions (pure) ---------------------------------------------------------------------------
def _timestamp(ms: int) -> str:
    hours, rest = divmod(ms, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    seconds, millis = divmod(rest, 1000)
    return f"{hours:02d}:{minutes:02d}:{seconds:02d}.{millis:03d}"


def caption_chunks(script: str, line_chars: int = CAPTION_LINE_CHARS) -> list[str]:
    """The script cut into sentences, and long sentences into pieces that fit two caption lines."""
    chunks: list[str] = []
    for sentence in re.split(r"(?<=[.!?])\s+", " ".join(script.split())):
        current: list[str] = []
        for word in sentence.split():
            candidate = " ".join([*current, word])
            if current and len(textwrap.wrap(candidate, line_chars)) > 2:
                chunks.append(" ".join(current))
                current = [word]
            else:
                current.append(word)
        if current:
            chunks.append(" ".join(current))
    return chunks


def _escape_cue(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def webvtt_from_script(script: str, duration: float, note: str | None = None) -> str:
    """WebVTT captions for a narration of `duration` seconds, cue lengths in proportion to their text."""
    if duration <= 0:
        raise ValueError("duration must be positive")
    chunks = caption_chunks(script)
    weights = [len(c) + CUE_PAUSE_CHARS for c in chunks]
    total_ms, total_weight = round(duration * 1000), sum(weights)
    out = ["WEBVTT", ""]
    if note:
        out += [f"NOTE {note}", ""]
    start, running = 0, 0
    for number, (chunk, weight) in enumerate(zip(chunks, weights, strict=True), start=1):
        running += weight
        end = round(total_ms * running / total_weight)
        out += [str(number), f"{_timestamp(start)} --> {_timestamp(end)}"]
        out += [_escape_cue(line) for line in textwrap.wrap(chunk, CAPTION_LINE_CHARS)] + [""]
        start = end
    return "\n".join(out)


# --- slides -------------------------------------------------------------------------------------
def lesson_slides(lesson: LessonInfo) -> list[Slide]:
    """The title card, one slide per key fact, then the safety warnings."""
    count, warnings = len(lesson.key_facts), len(lesson.safety_warnings)
    summary = f"A 90-second lesson  ·  {count} key fact{'s' if count != 1 else ''}"
    if warnings:
        summary += f"  ·  {warnings} safety point{'s' if warnings != 1 else ''}"
    label = f"SITE COACH  ·  LESSON {lesson.position}"
    slides = [Slide(label, lesson.title, TITLE_BG, TITLE_BG, "0xbfe3d4", footer=summary)]
    for i, fact in enumerate(lesson.key_facts, start=1):
        slides.append(Slide(f"KEY FACT {i} OF {count}", fact, FACT_BG, FACT_BAR, FACT_LABEL))
    for warning in lesson.safety_warnings:
        slides.append(Slide("⚠  SAFETY", warning, WARN_BG, WARN_BAR, WARN_LABEL, bar_text="0x1d2327"))
    return slides


def slide_durations(slides: list[Slide], total: float) -> list[float]:
    """Seconds per slide: a short title card, then the rest in proportion to each slide's text."""
    if len(slides) == 1:
        return [total]
    title = min(max(3.0, total * 0.07), 6.0, total / len(slides))  # a short narration shares fairly
    weights = [len(s.text) + 60 for s in slides[1:]]
    rest = total - title
    return [title] + [rest * w / sum(weights) for w in weights]


def find_fonts() -> tuple[Path | None, Path | None]:
    """(regular, bold) TrueType fonts: fontconfig's DejaVu Sans, else the usual DejaVu paths."""
    found: list[Path | None] = []
    for pattern, name in (("DejaVu Sans", "DejaVuSans.ttf"), ("DejaVu Sans:bold", "DejaVuSans-Bold.ttf")):
        path: Path | None = None
        fc_match = shutil.which("fc-match")
        if fc_match:
            result = subprocess.run(
                [fc_match, "-f", "%{file}", pattern], capture_output=True, text=True, timeout=10, check=False
            )
            candidate = Path(result.stdout.strip())
            if result.returncode == 0 and candidate.suffix.lower() in (".ttf", ".otf") and candidate.exists():
                path = candidate
        path = path or next((d / name for d in DEJAVU_DIRS if (d / name).exists()), None)
        found.append(path)
    return found[0], found[1] or found[0]


def _fit(text: str, sizes: tuple[int, ...], max_lines: int, em: float = 0.56) -> tuple[str, int]:
    """The text wrapped at the largest font size that keeps it within `max_lines` lines."""
    for size in sizes:
        # `em`: DejaVu Sans' average character width as a fraction of the font size (bold is wider)
        lines = textwrap.wrap(text, max(12, int((WIDTH - 128) / (em * size))))
        if len(lines) <= max_lines or size == sizes[-1]:
            return "\n".join(lines), size
    raise AssertionError("unreachable")


def _slide_graph(
    slides: list[Slide],
    durations: list[float],
    title: str,
    workdir: Path,
    text: bool,
    pix_fmt: str = "yuv420p",
) -> str:
    """An ffmpeg filtergraph drawing the slides one after another into [v]."""

    def write(name: str, content: str) -> str:
        (workdir / name).write_text(content, encoding="utf-8")
        return name

    def draw(font: str, file: str, size: int, colour: str, x: str, y: str, spacing: int = 0) -> str:
        return (
            f"drawtext={font}:textfile={file}:expansion=none:fontsize={size}:fontcolor={colour}"
            f":line_spacing={spacing}:x={x}:y={y}"
        )

    regular = "fontfile=regular.ttf" if (workdir / "regular.ttf").exists() else "font=Sans"
    bold = "fontfile=bold.ttf" if (workdir / "bold.ttf").exists() else regular
    header = textwrap.shorten(title, 60, placeholder="…")
    parts, labels = [], []
    for i, (slide, seconds) in enumerate(zip(slides, durations, strict=True)):
        seconds = max(seconds, 1 / FRAME_RATE)  # at least one frame, or concat fails
        chain = [f"color=c={slide.background}:s={WIDTH}x{HEIGHT}:r={FRAME_RATE}:d={seconds:.3f}"]
        footer = f"Site Coach  ·  {i + 1}/{len(slides)}"
        if i == 0:
            chain.append(f"drawbox=x=64:y=236:w=140:h=10:color={TITLE_ACCENT}:t=fill")
            if text:
                body, size = _fit(slide.text, (72, 64, 56, 48), 3, em=0.62)
                chain += [
                    draw(bold, write(f"l{i}.txt", slide.label), 30, slide.label_colour, "64", "170"),
                    draw(bold, write(f"b{i}.txt", body), size, "white", "64", "290", size // 4),
                    draw(regular, write(f"f{i}.txt", slide.footer), 28, "white@0.75", "64", "h-84"),
                ]
        else:
            chain.append(f"drawbox=x=0:y=0:w=iw:h=88:color={slide.bar}:t=fill")
            if text:
                body, size = _fit(slide.text, (48, 44, 40, 36, 32), 6)
                chain += [
                    draw(bold, write(f"h{i}.txt", header), 30, slide.bar_text, "64", "29"),
                    draw(bold, write(f"l{i}.txt", slide.label), 30, slide.label_colour, "64", "150"),
                    draw(regular, write(f"b{i}.txt", body), size, "white", "64", "216", size // 3),
                    draw(regular, write(f"f{i}.txt", footer), 24, "white@0.6", "w-tw-64", "h-64"),
                ]
        parts.append(",".join(chain) + f"[s{i}]")
        labels.append(f"[s{i}]")
    parts.append("".join(labels) + f"concat=n={len(slides)}:v=1:a=0,format={pix_fmt}[v]")
    return ";\n".join(parts)


# --- rendering ----------------------------------------------------------------------------------
def _run(command: list[str], cwd: Path, what: str) -> None:
    try:
        result = subprocess.run(
            command, cwd=cwd, capture_output=True, text=True, timeout=COMMAND_TIMEOUT_SECONDS, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise RenderError(f"{what} failed: {exc}") from exc
    if result.returncode != 0:
        tail = "\n".join(result.stderr.strip().splitlines()[-5:])
        raise RenderError(f"{what} failed (exit {result.returncode}): {tail}")


def content_digest(lesson: LessonInfo) -> str:
    """A digest of everything the video shows or says (and the renderer version)."""
    content = [RENDERER_VERSION, lesson.title, lesson.script, lesson.key_facts, lesson.safety_warnings]
    return hashlib.sha256(json.dumps(content, ensure_ascii=False).encode("utf-8")).hexdigest()[:16]


def video_files(out_dir: Path, code: str) -> RenderedVideo:
    """Where a lesson's video files live (they may not exist)."""
    if not CODE_PATTERN.match(code):
        raise ValueError(f"unsafe lesson code {code!r}")
    return RenderedVideo(out_dir / f"{code}.mp4", out_dir / f"{code}.vtt", out_dir / f"{code}.png")


def find_video(out_dir: Path, code: str) -> RenderedVideo | None:
    """A lesson's rendered video, if its MP4 exists."""
    try:
        video = video_files(out_dir, code)
    except ValueError:
        return None
    return video if video.mp4.is_file() else None


def render_lesson_video(lesson: LessonInfo, out_dir: Path, ffmpeg: str, espeak: str) -> RenderedVideo:
    """Narrate, draw and encode one lesson into `out_dir` (files replaced atomically)."""
    final = video_files(out_dir, lesson.code)
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=f".{lesson.code}-", dir=out_dir) as tmp:
        work = Path(tmp)
        (work / "script.txt").write_text(lesson.script, encoding="utf-8")
        _run(
            [espeak, "-v", VOICE, "-s", str(SPEECH_WPM), "-w", "narration.wav", "-f", "script.txt"],
            work,
            "espeak-ng",
        )
        with wave.open(str(work / "narration.wav")) as narration:
            duration = narration.getnframes() / narration.getframerate()
        regular, bold = find_fonts()
        for source, name in ((regular, "regular.ttf"), (bold, "bold.ttf")):
            if source:
                shutil.copyfile(source, work / name)
        slides = lesson_slides(lesson)
        durations = slide_durations(slides, duration + TAIL_SECONDS)
        # fmt: off
        encode = [
            "-map", "[v]", "-map", "0:a",
            "-c:v", "libx264", "-preset", "slow", "-tune", "stillimage", "-crf", VIDEO_CRF,
            "-maxrate", VIDEO_MAXRATE, "-bufsize", "1000k", "-profile:v", "main",
            "-g", str(FRAME_RATE * KEYFRAME_SECONDS),
            "-c:a", "aac", "-b:a", AUDIO_BITRATE, "-ar", "44100", "-ac", "1",
            "-movflags", "+faststart", "-metadata", f"title={lesson.title}",
            "-t", f"{duration + TAIL_SECONDS:.3f}", "video.mp4",
        ]
        # fmt: on
        for text in (True, False):
            try:
                graph = _slide_graph(slides, durations, lesson.title, work, text)
                _run(
                    [ffmpeg, "-hide_banner", "-y", "-i", "narration.wav", "-filter_complex", graph, *encode],
                    work,
                    "ffmpeg",
                )
                # the title card drawn alone as the poster: crisper (and smaller) than a decoded frame
                graph = _slide_graph(slides[:1], [1.0], lesson.title, work, text, pix_fmt="rgb24")
                _run(
                    [
                        ffmpeg,
                        "-hide_banner",
                        "-y",
                        "-filter_complex",
                        graph,
                        "-map",
                        "[v]",
                        "-frames:v",
                        "1",
                        "poster.png",
                    ],
                    work,
                    "ffmpeg (poster)",
                )
                break
            except RenderError:
                # No usable font or no drawtext in this ffmpeg: plain coloured slides still carry the
                # narration, and the captions and the page carry the words.
                if not text:
                    raise
        note = f"sitecoach content={content_digest(lesson)} duration={duration:.2f}"
        (work / "captions.vtt").write_text(
            webvtt_from_script(lesson.script, duration, note), encoding="utf-8"
        )
        # captions last: their note marks the set complete
        for name, target in (
            ("video.mp4", final.mp4),
            ("poster.png", final.poster),
            ("captions.vtt", final.vtt),
        ):
            (work / name).replace(target)
    return final


def tools_available() -> tuple[str | None, str | None]:
    """(ffmpeg path, espeak-ng path), each None when not installed."""
    return shutil.which("ffmpeg"), shutil.which("espeak-ng")


def videos_dir(settings: Settings) -> Path:
    """Where rendered lesson videos are kept."""
    return settings.instance_path / "videos"


def is_current(video: RenderedVideo, lesson: LessonInfo, source: Path | None = None) -> bool:
    """Whether all three files exist, are newer than the lesson's source file, and match its content."""
    paths = (video.mp4, video.vtt, video.poster)
    if not all(p.is_file() for p in paths):
        return False
    if source is not None and source.exists():
        if min(p.stat().st_mtime for p in paths) < source.stat().st_mtime:
            return False
    found = NOTE_PATTERN.search(video.vtt.read_text(encoding="utf-8"))
    return bool(found) and found.group(1) == content_digest(lesson)


def render_all(
    settings: Settings,
    catalogue: Catalogue,
    only: Iterable[str] | None = None,
    force: bool = False,
    on_outcome: Callable[[RenderOutcome], None] | None = None,
    show_progress: bool = False,
) -> list[RenderOutcome]:
    """Render every lesson (or `only` some) whose video is missing or older than its content."""
    ffmpeg, espeak = tools_available()
    if not ffmpeg or not espeak:
        raise RenderError(missing_tools_message(ffmpeg, espeak))
    wanted = set(only) if only is not None else None
    out_dir = videos_dir(settings)
    lessons = [lesson for lesson in catalogue.lessons.values() if wanted is None or lesson.code in wanted]
    outcomes = []
    for lesson in progress(
        lessons, "Rendering lesson videos", summary="checked {count} lesson video{s}", show=show_progress
    ):
        video = video_files(out_dir, lesson.code)
        source = settings.content_pack_path / "lessons" / f"{lesson.code}.yaml"
        started = time.monotonic()
        rendered = force or not is_current(video, lesson, source)
        if rendered:
            video = render_lesson_video(lesson, out_dir, ffmpeg, espeak)
        outcome = RenderOutcome(lesson.code, video, rendered, time.monotonic() - started)
        if on_outcome:
            on_outcome(outcome)
        outcomes.append(outcome)
    return outcomes


def missing_tools_message(ffmpeg: str | None, espeak: str | None) -> str:
    """What to install when ffmpeg or espeak-ng is missing."""
    missing = " and ".join(name for name, path in (("ffmpeg", ffmpeg), ("espeak-ng", espeak)) if not path)
    return (
        f"{missing} not found. Lesson videos are made with ffmpeg (slides) and espeak-ng (narration).\n"
        "Install them, then run this again:\n"
        "  Debian/Ubuntu:  sudo apt-get install ffmpeg espeak-ng\n"
        "  macOS:          brew install ffmpeg espeak-ng"
    )


@click.command("render-videos")
@click.option("--lesson", "lesson_code", metavar="CODE", help="Render one lesson only, e.g. L03.")
@click.option("--force", is_flag=True, help="Render even if the video is up to date.")
@click.option(
    "--progress/--no-progress",
    "show_progress",
    default=True,
    help="A progress bar on a terminal, else one summary line (on stderr).",
)
def render_videos_command(lesson_code: str | None, force: bool, show_progress: bool) -> None:
    """Render the lesson micro-videos (narration, slides, captions, poster) into instance/videos."""
    from sitecoach.models import Database

    ffmpeg, espeak = tools_available()
    if not ffmpeg or not espeak:
        raise click.ClickException(missing_tools_message(ffmpeg, espeak))
    settings = Settings.from_env()
    db = Database(settings.database_uri, audit_key=settings.audit_key)
    try:
        with db.read_session() as session:
            catalogue = Catalogue.load(session)
    except Exception as exc:  # noqa: BLE001 - an unmigrated database; say what to do, not a traceback
        raise click.ClickException(
            f"could not read the lessons ({exc.__class__.__name__}): run `sitecoach seed` first"
        ) from exc
    finally:
        db.dispose()
    if not catalogue.lessons:
        raise click.ClickException("no lessons in the database: run `sitecoach seed` first")
    code = lesson_code.upper() if lesson_code else None
    if code and code not in catalogue.lessons:
        raise click.ClickException(f"no lesson {code}; lessons are {', '.join(catalogue.lessons)}")

    def report(outcome: RenderOutcome) -> None:
        seconds = outcome.video.duration()
        length = f"{seconds:5.1f} s" if seconds is not None else "    ? s"
        status = f"rendered in {outcome.seconds:.1f} s" if outcome.rendered else "up to date"
        click.echo(f"{outcome.lesson}  {outcome.video.size / 1_000_000:5.2f} MB  {length}  {status}")

    # A line per lesson as it finishes; under a bar on this terminal the lines follow the bar instead.
    bar = show_progress and is_terminal()
    try:
        outcomes = render_all(
            settings,
            catalogue,
            only=[code] if code else None,
            force=force,
            on_outcome=None if bar else report,
            show_progress=show_progress,
        )
    except RenderError as exc:
        raise click.ClickException(str(exc)) from exc
    if bar:
        for outcome in outcomes:
            report(outcome)
    made = sum(o.rendered for o in outcomes)
    click.echo(f"{made} rendered, {len(outcomes) - made} up to date, in {videos_dir(settings)}")
