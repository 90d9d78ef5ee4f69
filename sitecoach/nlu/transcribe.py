"""Voice notes to text, offline: ffmpeg decodes any audio Twilio delivers, a bundled model transcribes it.

The default engine is pocketsphinx (5.x), whose English acoustic model and dictionary ship inside its
wheel; it decodes with a language model built from what learners write to the coach and knows the trade's
words (`speech_vocabulary`). An operator who has a faster-whisper model on disk can point
FASTER_WHISPER_MODEL_DIR at it (used only if the package is installed; nothing is ever downloaded).
"""

from __future__ import annotations

import hashlib
import io
import logging
import math
import subprocess
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from sitecoach.nlu.speech_vocabulary import JOINTER_PRONUNCIATIONS, language_model_lines

log = logging.getLogger(__name__)

SAMPLE_RATE = 16_000  # Hz, mono, 16-bit: what both engines' English models were trained on
MAX_AUDIO_SECONDS = 120  # a voice note longer than this is cut (WhatsApp notes to a coach are short)
FFMPEG_TIMEOUT_SECONDS = 30
# Digital silence (exact zeros: synthetic speech, or an Opus encoder's silence between words) throws the
# recogniser's feature normalisation: a faint, fixed noise floor under the audio, as any microphone has,
# took bench/voice.py's clean-speech WER from 75% to 29% (en-us voice, 20 phrases).
NOISE_FLOOR_DBFS = -50.0
NOISE_FLOOR_SEED = 17  # the same audio is always heard the same way
JOINTER_PROMPT = "Cable jointing: LV, HV, 11kV, SWA, CNE, PILC, megger, earthing, pot end, crimp, lug, resin."


class TranscriptionError(Exception):
    """The audio could not be decoded or transcribed."""


@dataclass(frozen=True)
class Transcript:
    """What the recogniser heard, how sure it is (0..1), and how long the audio was."""

    text: str
    confidence: float
    audio_seconds: float
    engine: str


class Transcriber(Protocol):
    """An engine that turns 16 kHz mono 16-bit PCM into text."""

    engine: str

    def transcribe_pcm(self, pcm: bytes) -> Transcript:
        """Transcribe raw PCM."""
        ...


def is_audio(content_type: str) -> bool:
    """Whether a media item's content type is audio (a voice note)."""
    return content_type.split(";")[0].strip().lower().startswith("audio/")


def decode_audio(path: Path) -> bytes:
    """Decode any audio file ffmpeg reads to 16 kHz mono signed 16-bit PCM (at most MAX_AUDIO_SECONDS)."""
    command = [
        "ffmpeg", "-nostdin", "-loglevel", "error", "-i", str(path), "-t", str(MAX_AUDIO_SECONDS),
        "-ac", "1", "-ar", str(SAMPLE_RATE), "-f", "s16le", "-",
    ]  # fmt: skip
    try:
        done = subprocess.run(command, capture_output=True, timeout=FFMPEG_TIMEOUT_SECONDS, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise TranscriptionError(f"ffmpeg could not run: {exc}") from exc
    if done.returncode != 0:
        raise TranscriptionError(f"ffmpeg could not decode the audio: {done.stderr.decode()[-200:]}")
    return done.stdout


def transcribe_file(transcriber: Transcriber, path: Path) -> Transcript:
    """Decode an audio file and transcribe it."""
    return transcriber.transcribe_pcm(decode_audio(path))


class SphinxTranscriber:
    """pocketsphinx with its bundled en-us acoustic model, the jointers' words and a coach language model."""

    engine = "pocketsphinx"

    def __init__(self, messages: Sequence[str], cache_dir: Path) -> None:
        self._lines = language_model_lines(messages)
        self._cache_dir = cache_dir
        self._decoder: Any = None
        self._initial_cmn = ""
        self._lock = threading.Lock()

    def _language_model(self) -> Path:
        """The ARPA language model for these lines, built once and kept under a name that is its content."""
        from pocketsphinx.lm import ArpaBoLM

        text = "\n".join(self._lines)
        path = self._cache_dir / f"coach-{hashlib.sha256(text.encode()).hexdigest()[:16]}.arpa"
        if not path.exists():
            model = ArpaBoLM(text=text, add_start=True)
            model.compute()
            out = io.StringIO()
            model.write(out)
            self._cache_dir.mkdir(parents=True, exist_ok=True)
            partial = path.with_suffix(".partial")
            partial.write_text(out.getvalue(), encoding="utf-8")
            partial.replace(path)  # another worker reading it never sees half a file
        return path

    def _ready(self) -> Any:  # pocketsphinx ships no type hints
        if self._decoder is None:
            from pocketsphinx import Decoder, set_loglevel

            set_loglevel("FATAL")
            decoder = Decoder(lm=str(self._language_model()), bestpath=True)
            entries = [
                (word if i == 0 else f"{word}({i + 1})", phones)
                for word, pronunciations in JOINTER_PRONUNCIATIONS.items()
                for i, phones in enumerate(pronunciations)
                if decoder.lookup_word(word) is None  # CMUdict's own entry wins
            ]
            for n, (word, phones) in enumerate(entries, start=1):
                decoder.add_word(word, phones, update=n == len(entries))  # one search update for all
            self._decoder = decoder
            self._initial_cmn = decoder.get_cmn()
        return self._decoder

    def transcribe_pcm(self, pcm: bytes) -> Transcript:
        """Decode one utterance; confidence is the geometric mean of the words' posterior probabilities."""
        seconds = len(pcm) / (2 * SAMPLE_RATE)
        with self._lock:
            decoder = self._ready()
            # Every note starts from the model's cepstral mean, not the last note's: one learner's audio
            # never changes how the next one's is heard.
            decoder.set_cmn(self._initial_cmn)
            decoder.start_utt()
            decoder.process_raw(with_noise_floor(pcm), full_utt=True)
            decoder.end_utt()
            hyp = decoder.hyp()
            # Each word's posterior probability (from the lattice: `bestpath`); silences and fillers skipped.
            posteriors = [seg.prob for seg in decoder.seg() if not seg.word.startswith(("<", "["))]
        text = hyp.hypstr.strip() if hyp is not None else ""
        confidence = _geometric_mean(posteriors) if text else 0.0
        return Transcript(text, confidence, seconds, self.engine)


class WhisperTranscriber:
    """faster-whisper with an operator's local model directory (never downloads)."""

    engine = "faster-whisper"

    def __init__(self, model_dir: Path) -> None:
        from faster_whisper import WhisperModel

        self._model = WhisperModel(str(model_dir), device="cpu", compute_type="int8", local_files_only=True)
        self._lock = threading.Lock()

    def transcribe_pcm(self, pcm: bytes) -> Transcript:
        """Transcribe; confidence is the mean per-token probability Whisper reports."""
        import numpy as np

        audio = np.frombuffer(pcm, dtype=np.int16).astype(np.float32) / 32768.0
        with self._lock:
            segments, _info = self._model.transcribe(audio, language="en", initial_prompt=JOINTER_PROMPT)
            parts = list(segments)
        text = " ".join(p.text.strip() for p in parts).strip()
        confidence = math.exp(sum(p.avg_logprob for p in parts) / len(parts)) if parts else 0.0
        return Transcript(text, confidence, len(pcm) / (2 * SAMPLE_RATE), self.engine)


def make_transcriber(messages: Sequence[str], cache_dir: Path, whisper_dir: Path | None) -> Transcriber:
    """faster-whisper when a local model directory is configured and the package is installed, else
    pocketsphinx (built lazily: the first voice note pays the model's load)."""
    if whisper_dir is not None:
        try:
            return WhisperTranscriber(whisper_dir)
        except ImportError:
            log.warning("FASTER_WHISPER_MODEL_DIR is set but faster-whisper is not installed: pocketsphinx")
        except Exception as exc:  # noqa: BLE001 - a bad model directory must not stop voice notes
            log.warning("faster-whisper model at %s did not load (%s): pocketsphinx", whisper_dir, exc)
    return SphinxTranscriber(messages, cache_dir)


def with_noise_floor(pcm: bytes) -> bytes:
    """The 16-bit PCM with white noise at NOISE_FLOOR_DBFS added (deterministically)."""
    import numpy as np

    samples = np.frombuffer(pcm, dtype=np.int16).astype(np.float64)
    level = 32768 * 10 ** (NOISE_FLOOR_DBFS / 20)
    noise = np.random.default_rng(NOISE_FLOOR_SEED).normal(0.0, level, len(samples))
    return bytes(np.clip(samples + noise, -32768, 32767).astype(np.int16).tobytes())


def _geometric_mean(values: Sequence[float]) -> float:
    if not values:
        return 0.0
    return math.exp(sum(math.log(max(v, 1e-9)) for v in values) / len(values))
