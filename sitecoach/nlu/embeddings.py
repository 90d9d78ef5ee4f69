"""Sentence vectors from static word embeddings that ship inside a wheel (wordllama), never downloaded.

WordLlama's `l2_supercat` model is a 256-dimension token embedding table distilled from large language
models, with its tokenizer, both inside the package (16 MB). A sentence's vector is the pooled vector of
its tokens, so "what depth do I dig for a low voltage cable" and "how deep should the trench be for LV"
land close although they share almost no word. It is a meaning signal beside BM25's word matching, not a
replacement: cheap (a few microseconds a sentence) and deterministic.

WordLlama 0.4 looks for its bundled tokenizer under `wordllama/tokenizer/` while the wheel ships it in
`wordllama/tokenizers/`, and would then try to download it. Pointing its cache folder at the package
itself makes it find both files where the wheel put them; downloads stay disabled, so a missing file is
an error at start-up, never a request to the internet.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import Protocol

import numpy as np

DIMENSIONS = 256
CACHE_SIZE = 50_000  # texts whose vectors are kept: every card phrasing, so rebuilding an index is cheap


class _Embedder(Protocol):
    def embed(self, texts: list[str], norm: bool = ...) -> np.ndarray: ...


@cache
def _model() -> _Embedder:
    import wordllama  # imported on first use: ~0.5 s, and only processes that search cards need it
    from wordllama import WordLlama

    package = Path(wordllama.__file__).parent
    model: _Embedder = WordLlama.load(
        config="l2_supercat", dim=DIMENSIONS, cache_dir=package, disable_download=True
    )
    return model


_cache: dict[str, np.ndarray] = {}


def sentence_vectors(texts: Sequence[str]) -> np.ndarray:
    """One unit-length row per text (a zero row for a blank text). Vectors are remembered per text."""
    missing = sorted({t for t in texts if t not in _cache})
    if missing:
        if len(_cache) + len(missing) > CACHE_SIZE:
            _cache.clear()
        for text, vector in zip(missing, _embed(missing), strict=True):
            _cache[text] = vector
    out = np.zeros((len(texts), DIMENSIONS), dtype=np.float32)
    for i, text in enumerate(texts):
        out[i] = _cache[text]
    return out


def _embed(texts: list[str]) -> np.ndarray:
    vectors = np.asarray(_model().embed([t.strip() or "." for t in texts], norm=False), dtype=np.float32)
    vectors[[not t.strip() for t in texts]] = 0.0
    lengths = np.linalg.norm(vectors, axis=1, keepdims=True)
    unit: np.ndarray = np.divide(vectors, lengths, out=np.zeros_like(vectors), where=lengths > 0)
    return unit
