"""uq.metrics on seeded synthetic data and small hand-computed examples. Pure: no database, no model."""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt
import pytest

from uq import metrics
from uq.metrics import (
    auprc,
    aurc,
    auroc,
    brier,
    coverage_at_risk,
    ece,
    nll,
    reliability,
    risk_coverage,
    summary,
    wrong_detection,
)


def brute_force_auroc(scores: npt.NDArray[np.float64], positives: npt.NDArray[np.bool_]) -> float:
    """P(score of a positive > score of a negative) + ½ P(equal), over every pair."""
    wins = 0.0
    pos, neg = scores[positives], scores[~positives]
    for p in pos:
        for n in neg:
            wins += 1.0 if p > n else 0.5 if p == n else 0.0
    return wins / (len(pos) * len(neg))


def brute_force_auprc(scores: npt.NDArray[np.float64], positives: npt.NDArray[np.bool_]) -> float:
    """Σ_k (R_k − R_{k−1}) P_k over the distinct thresholds, highest first, predicting positive when score ≥ t."""
    total, previous_recall = 0.0, 0.0
    for t in sorted(set(scores.tolist()), reverse=True):
        predicted = scores >= t
        true_positives = np.sum(predicted & positives)
        precision = true_positives / np.sum(predicted)
        recall = true_positives / np.sum(positives)
        total += (recall - previous_recall) * precision
        previous_recall = recall
    return float(total)


# AUROC


def test_auroc_perfect_reversed_and_all_tied() -> None:
    positives = np.array([True, True, False, False, False])
    scores = np.array([0.9, 0.8, 0.3, 0.2, 0.1])
    assert auroc(scores, positives) == 1.0
    assert auroc(-scores, positives) == 0.0
    assert auroc(np.full(5, 0.4), positives) == 0.5


@pytest.mark.parametrize("seed", [0, 1, 2, 3, 4])
def test_auroc_matches_pairwise_count_with_ties(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = 40
    scores = rng.integers(0, 5, size=n).astype(np.float64)  # few values, so many ties
    positives = rng.random(n) < 0.4
    assert auroc(scores, positives) == pytest.approx(brute_force_auroc(scores, positives), abs=1e-12)


def test_auroc_is_nan_when_a_class_is_absent() -> None:
    assert math.isnan(auroc(np.array([0.1, 0.2]), np.array([True, True])))
    assert math.isnan(auroc(np.array([0.1, 0.2]), np.array([0, 0])))


# AUPRC


def test_auprc_perfect_is_one() -> None:
    assert auprc(np.array([0.9, 0.8, 0.3, 0.2]), np.array([1, 1, 0, 0])) == 1.0


@pytest.mark.parametrize("seed", [0, 1, 2, 3, 4])
def test_auprc_matches_definition_with_ties(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = 30
    scores = rng.integers(0, 6, size=n).astype(np.float64)
    positives = rng.random(n) < 0.3
    positives[0] = True  # at least one positive
    assert auprc(scores, positives) == pytest.approx(brute_force_auprc(scores, positives), abs=1e-12)


def test_auprc_of_random_scores_is_the_positive_rate() -> None:
    rng = np.random.default_rng(7)
    n = 100_000
    positives = rng.random(n) < 0.3
    assert auprc(rng.random(n), positives) == pytest.approx(positives.mean(), abs=0.01)


def test_auprc_is_nan_without_positives() -> None:
    assert math.isnan(auprc(np.array([0.1, 0.2]), np.array([False, False])))


def test_wrong_detection_scores_wrong_answers_with_negated_confidence() -> None:
    rng = np.random.default_rng(3)
    confidence = rng.random(200)
    correct = rng.random(200) < confidence
    assert wrong_detection(confidence, correct) == (auroc(-confidence, ~correct), auprc(-confidence, ~correct))
    # A confidence that puts every wrong answer below every right one detects them perfectly.
    assert wrong_detection(np.array([0.9, 0.7, 0.2]), np.array([True, True, False])) == (1.0, 1.0)


# Calibration


def test_ece_of_calibrated_data_is_small_and_of_overconfident_data_large() -> None:
    rng = np.random.default_rng(0)
    prob = rng.random(200_000)
    calibrated = rng.random(prob.size) < prob
    overconfident = rng.random(prob.size) < prob**3
    assert ece(prob, calibrated) < 0.01
    assert ece(prob, overconfident) > 0.1


def test_ece_hand_example() -> None:
    # 2 bins. [0, 0.5): probs 0.1, 0.2 → conf 0.15, acc 1/2 → |0.5 − 0.15| = 0.35, weight 2/4 → 0.175.
    #         [0.5, 1]: probs 0.8, 0.9 → conf 0.85, acc 2/2 → |1 − 0.85| = 0.15, weight 2/4 → 0.075.
    # ECE = 0.175 + 0.075 = 0.25.
    assert ece(np.array([0.1, 0.2, 0.8, 0.9]), np.array([0, 1, 1, 1]), bins=2) == pytest.approx(0.25)


def test_reliability_bins() -> None:
    table = reliability(np.array([0.0, 0.1, 0.5, 1.0, 1.0]), np.array([0, 1, 1, 1, 0]), bins=4)
    assert [(b.lower, b.upper) for b in table] == [(0.0, 0.25), (0.25, 0.5), (0.5, 0.75), (0.75, 1.0)]
    assert [b.count for b in table] == [2, 0, 1, 2]  # 0.5 opens the third bin; 1.0 goes in the last
    assert table[0].mean_confidence == pytest.approx(0.05) and table[0].accuracy == 0.5
    assert math.isnan(table[1].mean_confidence) and math.isnan(table[1].accuracy)
    assert table[3].mean_confidence == 1.0 and table[3].accuracy == 0.5


def test_brier_and_nll_hand_example() -> None:
    prob, correct = np.array([0.9, 0.6, 0.2]), np.array([True, False, False])
    # Brier: ((0.9 − 1)² + (0.6 − 0)² + (0.2 − 0)²) / 3 = (0.01 + 0.36 + 0.04) / 3 = 0.41 / 3.
    assert brier(prob, correct) == pytest.approx(0.41 / 3)
    # NLL: −(ln 0.9 + ln(1 − 0.6) + ln(1 − 0.2)) / 3.
    assert nll(prob, correct) == pytest.approx(-(math.log(0.9) + math.log(0.4) + math.log(0.8)) / 3)


def test_nll_is_finite_at_zero_and_one() -> None:
    value = nll(np.array([0.0, 1.0]), np.array([1, 0]))
    assert math.isfinite(value)
    assert value == pytest.approx(-math.log(1e-6), rel=1e-6)


# Risk–coverage


def test_risk_coverage_does_not_depend_on_input_order() -> None:
    rng = np.random.default_rng(11)
    n = 500
    confidence = np.round(rng.random(n), 1)  # rounded, so there are large tie groups
    correct = rng.random(n) < confidence
    coverage, risk = risk_coverage(confidence, correct)
    for _ in range(3):
        order = rng.permutation(n)
        shuffled_coverage, shuffled_risk = risk_coverage(confidence[order], correct[order])
        np.testing.assert_array_equal(shuffled_coverage, coverage)
        np.testing.assert_array_equal(shuffled_risk, risk)
        assert aurc(confidence[order], correct[order]) == aurc(confidence, correct)
    assert coverage[-1] == 1.0
    assert coverage[0] == 1 / n
    assert risk[-1] == pytest.approx(1 - correct.mean())


def test_risk_coverage_tie_group_shares_its_end_risk() -> None:
    coverage, risk = risk_coverage(np.array([0.9, 0.9, 0.5]), np.array([0, 1, 1]))
    np.testing.assert_allclose(coverage, [1 / 3, 2 / 3, 1.0])
    np.testing.assert_allclose(risk, [0.5, 0.5, 1 / 3])


def test_aurc_of_a_perfect_ranking() -> None:
    # Three right answers above two wrong ones: risks for k = 1..5 are 0, 0, 0, 1/4, 2/5.
    # AURC = (0 + 0 + 0 + 0.25 + 0.4) / 5 = 0.13.
    assert aurc(np.array([0.9, 0.8, 0.7, 0.2, 0.1]), np.array([1, 1, 1, 0, 0])) == pytest.approx(0.13)


def test_coverage_at_risk_hand_example() -> None:
    confidence = np.array([0.9, 0.8, 0.7, 0.6, 0.5])
    correct = np.array([1, 1, 0, 1, 0])
    # Selective risks at coverage 0.2, 0.4, 0.6, 0.8, 1.0: 0, 0, 1/3, 1/4, 2/5.
    assert coverage_at_risk(confidence, correct, 0.25) == 0.8
    assert coverage_at_risk(confidence, correct, 0.0) == 0.4
    assert coverage_at_risk(confidence, correct, 0.5) == 1.0
    # With a tie at the top, the only thresholds give risk 1/2 (coverage 2/3) and 1/3 (coverage 1).
    tied = np.array([0.9, 0.9, 0.5])
    assert coverage_at_risk(tied, np.array([1, 0, 1]), 0.4) == 1.0
    assert coverage_at_risk(tied, np.array([1, 0, 1]), 0.2) == 0.0


# Summary and validation


def test_summary_keys() -> None:
    rng = np.random.default_rng(5)
    confidence = rng.random(100)
    correct = rng.random(100) < confidence
    assert list(summary(confidence, correct, probabilities=False, target_risk=0.1)) == [
        "auroc",
        "auprc",
        "aurc",
        "coverage_at_risk",
    ]
    full = summary(confidence, correct, probabilities=True, target_risk=0.1)
    assert set(full) == {"auroc", "auprc", "aurc", "coverage_at_risk", "ece", "brier", "nll"}
    assert full["ece"] == ece(confidence, correct)
    # A raw signal need not be a probability.
    assert set(summary(confidence * 40 - 20, correct, probabilities=False, target_risk=0.1)) == {
        "auroc",
        "auprc",
        "aurc",
        "coverage_at_risk",
    }


@pytest.mark.parametrize(
    ("confidence", "correct", "message"),
    [
        (np.array([0.1, 0.2]), np.array([1]), "differ in length"),
        (np.array([]), np.array([]), "empty"),
        (np.array([0.1, np.nan]), np.array([1, 0]), "NaN or infinite"),
        (np.array([0.1, np.inf]), np.array([1, 0]), "NaN or infinite"),
        (np.array([[0.1, 0.2]]), np.array([1, 0]), "1-D"),
        (np.array([0.1, 0.2]), np.array([1, 2]), "bool or 0/1"),
    ],
)
def test_bad_input_raises(confidence: npt.NDArray[np.float64], correct: npt.NDArray[np.int64], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        summary(confidence, correct, probabilities=True, target_risk=0.1)
    with pytest.raises(ValueError, match=message):
        auroc(confidence, correct)


def test_probability_metrics_reject_values_outside_zero_one() -> None:
    for metric in (ece, brier, nll):
        with pytest.raises(ValueError, match=r"\[0, 1\]"):
            metric(np.array([0.5, 1.5]), np.array([1, 0]))


def test_the_bootstrap_interval_brackets_the_estimate_and_narrows_with_more_data() -> None:
    rng = np.random.default_rng(5)

    def interval(n: int) -> tuple[float, float, float]:
        correct = rng.random(n) < 0.5
        score = correct + rng.normal(0, 1, n)
        low, high = metrics.bootstrap_interval(metrics.auroc, score, correct, resamples=300)
        return low, metrics.auroc(score, correct), high

    small, large = interval(60), interval(2000)
    assert small[0] <= small[1] <= small[2] and large[0] <= large[1] <= large[2]
    assert large[2] - large[0] < small[2] - small[0]
    assert np.isnan(metrics.bootstrap_interval(metrics.auroc, [0.1, 0.2], [True, True])[0])
