from __future__ import annotations

import math

import numpy as np
import pytest

from uq.semantic import clusters, semantic_entropy


def test_answers_that_agree_have_zero_entropy() -> None:
    same = np.tile([1.0, 0.0, 0.0], (5, 1)) + np.random.default_rng(0).normal(0, 0.01, (5, 3))
    assert clusters(same) == [0, 0, 0, 0, 0]
    assert semantic_entropy(same) == pytest.approx(0.0)


def test_answers_that_all_differ_have_entropy_log_k() -> None:
    assert semantic_entropy(np.eye(5)) == pytest.approx(math.log(5))


def test_two_meanings_three_to_two() -> None:
    a, b = [1.0, 0.0], [0.0, 1.0]
    assert clusters([a, b, a, a, b]) == [0, 1, 0, 0, 1]
    assert semantic_entropy([a, b, a, a, b]) == pytest.approx(-(0.6 * math.log(0.6) + 0.4 * math.log(0.4)))


def test_the_threshold_decides_what_counts_as_the_same_meaning() -> None:
    close = [[1.0, 0.0], [0.8, 0.6]]  # cosine 0.8
    assert semantic_entropy(close, threshold=0.75) == 0.0
    assert semantic_entropy(close, threshold=0.9) == pytest.approx(math.log(2))


def test_bad_input_is_refused() -> None:
    with pytest.raises(ValueError, match="at least one"):
        semantic_entropy(np.zeros((0, 3)))
    with pytest.raises(ValueError, match="expected embeddings"):
        clusters([1.0, 2.0])
