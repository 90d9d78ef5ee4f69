"""Voice notes: how well the offline recogniser hears jointers, and whether the coach still understands them.

Run from the repository root:  .venv/bin/python bench/voice.py [--voices en-gb,en-us] [--snr clean,10]

Forty phrases a jointer might say to the coach (questions, quiz requests, emergencies, stops, hours, ...;
written for this bench: none is a line of the language model's text or of the training examples) are spoken by espeak-ng in several voices,
at two speeds (alternating by phrase), mixed with site-like noise (brown noise from ffmpeg's anoisesrc
plus a 50 Hz generator rumble) at a few signal-to-noise ratios, encoded to OGG/Opus as WhatsApp sends
them, then transcribed by the product's own path (`sitecoach.nlu.transcribe`, ffmpeg decoding included).
Printed per voice and per noise level:

* **WER**: word error rate of the transcripts against the phrases (both as spoken words: lower case,
  punctuation dropped);
* **intent**: the share whose transcript gets the phrase's intent from the product's classifier, with a
  voice note's emergency rule (`voice_notes.heard_emergency`); "typed" is the same on the phrase itself;
* **emerg**: emergencies heard as emergencies; **false em**: other phrases taken for an emergency;
* **unsure**: the share the coach would read back for confirmation (confidence below the setting), and
  **sure ok**: the intent accuracy of the rest, which the coach acts on at once;
* **s/s**: seconds of processing (decode and recognition) per second of audio.

Asserts nothing. espeak-ng's voices are synthetic: real voices on a real site will differ.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from bench.harness import progress  # noqa: E402
from sitecoach.conversation.voice_notes import heard_emergency  # noqa: E402
from sitecoach.nlu.classifier import IntentClassifier  # noqa: E402
from sitecoach.nlu.speech_vocabulary import spoken_words  # noqa: E402
from sitecoach.nlu.transcribe import SAMPLE_RATE, SphinxTranscriber, transcribe_file  # noqa: E402
from sitecoach.settings import DEFAULT_VOICE_CONFIRM_BELOW  # noqa: E402
from sitecoach.skills import build_classifier, build_registry  # noqa: E402

VOICES = ("en-gb", "en-gb-scotland", "en-gb-x-rp", "en-us", "en-us+klatt")
SPEEDS = (140, 175)  # words per minute, alternating by phrase (espeak-ng's default is 175)
SNRS = ("clean", "20", "10")  # dB of speech over noise
RUMBLE_HZ = 50  # a generator or a compressor on site

PHRASES: tuple[tuple[str, str], ...] = (
    ("quiz me on earthing", "quiz"),
    ("give me a quiz on cable jointing", "quiz"),
    ("can I have some questions on LV cables", "quiz"),
    ("test me on safe isolation", "quiz"),
    ("I want to practise for the exam", "quiz"),
    ("another quiz please", "quiz"),
    ("quiz me on megger testing", "quiz"),
    ("what is a megger test for", "explain"),
    ("how deep should an LV cable be buried", "explain"),
    ("how do I prove a cable is dead", "explain"),
    ("what gloves do I need for resin", "explain"),
    ("how long does resin take to cure in the cold", "explain"),
    ("how do I crimp a lug on a cable", "explain"),
    ("what is the difference between CNE and SWA cable", "explain"),
    ("what is inside PILC cable", "explain"),
    ("how far back do I keep the spoil from the trench", "explain"),
    ("what is an 11kV pot end", "explain"),
    ("help my mate has had an electric shock", "emergency"),
    ("someone has been electrocuted call an ambulance", "emergency"),
    ("the trench has collapsed on Dave", "emergency"),
    ("we hit a live cable with the digger", "emergency"),
    ("there is smoke coming out of the link box", "emergency"),
    ("my mate has collapsed and is not breathing", "emergency"),
    ("I can smell gas in the hole", "emergency"),
    ("he has burnt his hand on the torch badly", "emergency"),
    ("please stop messaging me", "stop"),
    ("stop", "stop"),
    ("unsubscribe me from this", "stop"),
    ("I do not want these messages any more", "stop"),
    ("how am I doing", "progress"),
    ("show me my progress", "progress"),
    ("what is my score", "progress"),
    ("log six hours off the job training today", "hours"),
    ("I did three hours at college on earthing", "hours"),
    ("I need to talk to my mentor", "mentor"),
    ("can you ask my mentor to call me", "mentor"),
    ("what can you do", "help"),
    ("help", "help"),
    ("hello", "smalltalk"),
    ("cheers for that mate", "smalltalk"),
)


@dataclass(frozen=True)
class Heard:
    """One phrase, spoken and heard."""

    voice: str
    snr: str
    reference: list[str]
    hypothesis: list[str]
    intent_ok: bool
    emergency: bool  # the phrase is one
    heard_emergency: bool
    confidence: float
    audio_seconds: float
    seconds: float

    @property
    def unsure(self) -> bool:
        """The coach would read it back for confirmation."""
        return self.confidence < DEFAULT_VOICE_CONFIRM_BELOW


def word_errors(reference: list[str], hypothesis: list[str]) -> int:
    """Substitutions, insertions and deletions between two word lists (Levenshtein)."""
    row = list(range(len(hypothesis) + 1))
    for i, ref in enumerate(reference, start=1):
        previous, row[0] = row[0], i
        for j, hyp in enumerate(hypothesis, start=1):
            previous, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, previous + (ref != hyp))
    return row[-1]


def speak(text: str, voice: str, speed: int, folder: Path) -> np.ndarray:
    """espeak-ng's speech of `text` as 16 kHz mono int16 samples."""
    wav = folder / "speech.wav"
    subprocess.run(["espeak-ng", "-v", voice, "-s", str(speed), "-w", str(wav), text], check=True)
    pcm = subprocess.run(
        ["ffmpeg", "-nostdin", "-loglevel", "error", "-i", str(wav), "-ac", "1", "-ar", str(SAMPLE_RATE),
         "-f", "s16le", "-"],
        check=True, capture_output=True,
    ).stdout  # fmt: skip
    return np.frombuffer(pcm, dtype=np.int16)


def site_noise(seconds: float) -> np.ndarray:
    """Brown noise (ffmpeg's anoisesrc) and a generator's rumble, as float samples."""
    graph = (
        f"anoisesrc=color=brown:amplitude=0.5:duration={seconds}:sample_rate={SAMPLE_RATE}:seed=1[n];"
        f"sine=frequency={RUMBLE_HZ}:duration={seconds}:sample_rate={SAMPLE_RATE}[s];"
        "[n][s]amix=inputs=2[out]"
    )
    pcm = subprocess.run(
        ["ffmpeg", "-nostdin", "-loglevel", "error", "-filter_complex", graph, "-map", "[out]", "-ac", "1",
         "-f", "s16le", "-"],
        check=True, capture_output=True,
    ).stdout  # fmt: skip
    return np.frombuffer(pcm, dtype=np.int16).astype(np.float64)


def mix(speech: np.ndarray, noise: np.ndarray, snr: str) -> np.ndarray:
    """Speech with noise at `snr` dB (speech RMS over noise RMS), or the speech alone for "clean"."""
    if snr == "clean":
        return speech
    clean = speech.astype(np.float64)
    part = noise[: len(clean)]
    gain = np.sqrt(np.mean(clean**2) / (np.mean(part**2) * 10 ** (float(snr) / 10)))
    return np.clip(clean + gain * part, -32768, 32767).astype(np.int16)


def as_ogg(samples: np.ndarray, folder: Path) -> Path:
    """The samples encoded to OGG/Opus, as a phone uploads a voice note."""
    ogg = folder / "note.ogg"
    subprocess.run(
        ["ffmpeg", "-nostdin", "-y", "-loglevel", "error", "-f", "s16le", "-ar", str(SAMPLE_RATE), "-ac", "1",
         "-i", "-", "-c:a", "libopus", str(ogg)],
        input=samples.tobytes(), check=True,
    )  # fmt: skip
    return ogg


def intent_of(classifier: IntentClassifier, text: str) -> str:
    """The intent a voice note with this transcript takes (the emergency path on the voice rule)."""
    classification = classifier.classify(text)
    return "emergency" if heard_emergency(classification) else classification.intent


def run(voices: list[str], snrs: list[str], cache: Path) -> tuple[list[Heard], float]:
    """Speak, mix, encode and hear every phrase; returns what was heard and the typed intent accuracy."""
    registry = build_registry()
    classifier = build_classifier(registry)
    transcriber = SphinxTranscriber([m for lines in registry.examples().values() for m in lines], cache)
    transcriber.transcribe_pcm(b"\0" * SAMPLE_RATE)  # load the model before timing anything
    typed = sum(intent_of(classifier, p) == want for p, want in PHRASES) / len(PHRASES)
    noise = site_noise(30.0)
    results = []
    spoken = [(voice, n, phrase, want) for voice in voices for n, (phrase, want) in enumerate(PHRASES)]
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for voice, n, phrase, want in progress(spoken, "voice notes"):
            speech = speak(phrase, voice, SPEEDS[n % len(SPEEDS)], folder)
            for snr in snrs:
                ogg = as_ogg(mix(speech, noise, snr), folder)
                started = time.perf_counter()
                heard = transcribe_file(transcriber, ogg)
                seconds = time.perf_counter() - started
                got = intent_of(classifier, heard.text)
                results.append(
                    Heard(voice, snr, spoken_words(phrase), spoken_words(heard.text), got == want,
                          want == "emergency", got == "emergency", heard.confidence,
                          heard.audio_seconds, seconds)
                )  # fmt: skip
    return results, typed


def table(title: str, key: str, rows: list[Heard]) -> None:
    """Print the figures grouped by `key` ("voice" or "snr")."""
    groups: dict[str, list[Heard]] = defaultdict(list)
    for r in rows:
        groups[getattr(r, key)].append(r)
    print(f"\n{title}")
    print(f"{'':16} {'n':>4} {'WER':>6} {'intent':>7} {'emerg':>6} {'false em':>9} {'unsure':>7} {'sure ok':>8} {'s/s':>5}")
    for name, group in list(groups.items()) + [("all", rows)]:
        words = sum(len(r.reference) for r in group)
        errors = sum(word_errors(r.reference, r.hypothesis) for r in group)
        emergencies = [r for r in group if r.emergency]
        others = [r for r in group if not r.emergency]
        recall = sum(r.heard_emergency for r in emergencies) / max(len(emergencies), 1)
        false_em = sum(r.heard_emergency for r in others) / max(len(others), 1)
        sure = [r for r in group if not r.unsure]
        sure_ok = sum(r.intent_ok for r in sure) / max(len(sure), 1)
        print(
            f"{name:16} {len(group):4} {errors / words:6.1%} {sum(r.intent_ok for r in group) / len(group):7.1%} "
            f"{recall:6.1%} {false_em:9.1%} {sum(r.unsure for r in group) / len(group):7.1%} {sure_ok:8.1%} "
            f"{sum(r.seconds for r in group) / sum(r.audio_seconds for r in group):5.2f}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--voices", default=",".join(VOICES), help="espeak-ng voices, comma-separated")
    parser.add_argument("--snr", default=",".join(SNRS), help='noise levels in dB, or "clean"')
    args = parser.parse_args()
    voices, snrs = args.voices.split(","), args.snr.split(",")
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as cache:
        rows, typed = run(voices, snrs, Path(cache))
    print(f"{len(PHRASES)} phrases x {len(voices)} voices x {len(snrs)} noise levels, speeds {SPEEDS} wpm")
    table("By voice (all noise levels)", "voice", rows)
    table("By noise level (all voices; dB of speech over brown noise + 50 Hz rumble)", "snr", rows)
    for voice in voices:
        table(f"{voice} by noise level", "snr", [r for r in rows if r.voice == voice])
    print("\nRead-back bar (VOICE_CONFIRM_BELOW): share read back, and intent accuracy of the rest")
    for bar in (0.2, 0.3, 0.4, 0.5, 0.6, 0.7):
        sure = [r for r in rows if r.confidence >= bar]
        print(f"  {bar:.1f}: read back {1 - len(sure) / len(rows):6.1%}, acted on {sum(r.intent_ok for r in sure) / max(len(sure), 1):6.1%}")
    heard = [r for r in rows if r.snr == "clean"]
    print(
        f"\nvoice: typed intent {typed:.1%}; clean speech WER "
        f"{sum(word_errors(r.reference, r.hypothesis) for r in heard) / sum(len(r.reference) for r in heard):.1%}, "
        f"intent {sum(r.intent_ok for r in heard) / max(len(heard), 1):.1%}; "
        f"{sum(r.seconds for r in rows) / sum(r.audio_seconds for r in rows):.2f} s per second of audio; "
        f"{time.perf_counter() - started:.0f} s in all"
    )


if __name__ == "__main__":
    main()
