"""Sentence vectors from the embeddings wordllama ships in its wheel: offline (the suite blocks the
internet), and close for sentences that mean the same in other words."""

from __future__ import annotations

import numpy as np

from sitecoach.nlu.embeddings import sentence_vectors


def test_paraphrases_are_closer_than_other_questions_of_the_job():
    asked, same, other = sentence_vectors(
        [
            "how deep should the trench be for an LV cable",
            "what depth do I dig for a low voltage main",
            "how do I crimp a lug onto a conductor",
        ]
    )
    assert float(asked @ same) > float(asked @ other) + 0.2


def test_vectors_are_unit_length_and_blank_text_is_zero():
    vectors = sentence_vectors(["got a belt off the pot end", "   ", ""])
    assert np.isclose(np.linalg.norm(vectors[0]), 1.0, atol=1e-5)
    assert not vectors[1].any() and not vectors[2].any()


def test_the_same_text_gets_the_same_vector_every_time():
    first = sentence_vectors(["is the joint bay safe to go in"])
    again = sentence_vectors(["is the joint bay safe to go in", "something else"])[:1]
    assert np.array_equal(first, again)
