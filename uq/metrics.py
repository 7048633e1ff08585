"""Metrics for judging a confidence score that predicts whether the tutor's answer is correct. Pure.

Imports only the standard library and numpy (no Django, scipy or sklearn), so a notebook or a GPU
worker can use it.

Conventions
  - ``confidence``: float [N]. A probability P(correct) in [0, 1] for the calibration metrics (``ece``,
    ``reliability``, ``brier``, ``nll``); any finite real score for the ranking metrics, where HIGHER means
    MORE LIKELY CORRECT (a raw baseline signal such as mean token log-probability works as is).
  - ``correct``: bool or 0/1 [N].
  - Wrong-answer detection treats "wrong" as the positive class and scores it with ``-confidence``.
  - Ties never depend on input order: AUROC counts a tie as 1/2, AUPRC and the risk–coverage curve move
    a whole group of equal scores at once.
  - Every function raises ValueError on empty, non-1-D, mismatched or non-finite input.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

__all__ = [
    "Bin",
    "auprc",
    "aurc",
    "auroc",
    "bootstrap_interval",
    "brier",
    "coverage_at_risk",
    "ece",
    "nll",
    "reliability",
    "risk_coverage",
    "summary",
    "wrong_detection",
]

FloatArray = npt.NDArray[np.float64]
Scores = npt.NDArray[np.floating[Any]] | npt.NDArray[np.integer[Any]]
Labels = npt.NDArray[np.bool_] | npt.NDArray[np.integer[Any]] | npt.NDArray[np.floating[Any]]

DEFAULT_BINS = 15


@dataclass(frozen=True)
class Bin:
    """One bin of a reliability diagram; ``mean_confidence`` and ``accuracy`` are NaN when ``count`` is 0."""

    lower: float
    upper: float
    count: int
    mean_confidence: float
    accuracy: float


def _validate(scores: Scores, labels: Labels, *, names: tuple[str, str]) -> tuple[FloatArray, npt.NDArray[np.bool_]]:
    """Return (float64 scores [N], bool labels [N]) or raise ValueError naming the bad argument."""
    score_name, label_name = names
    x = np.asarray(scores, dtype=np.float64)
    y_raw = np.asarray(labels)
    if x.ndim != 1:
        raise ValueError(f"{score_name} must be 1-D, got shape {x.shape}")
    if y_raw.ndim != 1:
        raise ValueError(f"{label_name} must be 1-D, got shape {y_raw.shape}")
    if x.shape != y_raw.shape:
        raise ValueError(f"{score_name} and {label_name} differ in length: {x.shape[0]} != {y_raw.shape[0]}")
    if x.size == 0:
        raise ValueError(f"{score_name} and {label_name} are empty")
    if not np.all(np.isfinite(x)):
        raise ValueError(f"{score_name} contains NaN or infinite values")
    if y_raw.dtype != np.bool_:
        y_float = y_raw.astype(np.float64)
        if not np.all((y_float == 0) | (y_float == 1)):
            raise ValueError(f"{label_name} must be bool or 0/1")
    return x, y_raw.astype(np.bool_)


def _validate_prob(prob: Scores, correct: Labels) -> tuple[FloatArray, npt.NDArray[np.bool_]]:
    p, y = _validate(prob, correct, names=("prob", "correct"))
    if np.any((p < 0) | (p > 1)):
        raise ValueError("prob must lie in [0, 1]")
    return p, y


def _auroc(x: FloatArray, positive: npt.NDArray[np.bool_]) -> float:
    n_pos = int(positive.sum())
    n_neg = positive.size - n_pos
    if n_pos == 0 or n_neg == 0:
        return math.nan
    # Mann–Whitney U from average ranks: a tie between a positive and a negative adds 1/2.
    _, inverse, counts = np.unique(x, return_inverse=True, return_counts=True)
    last_rank = np.cumsum(counts)
    average_rank = last_rank - (counts - 1) / 2.0
    rank_sum = float(average_rank[inverse][positive].sum())
    u = rank_sum - n_pos * (n_pos + 1) / 2.0
    return u / (n_pos * n_neg)


def _auprc(x: FloatArray, positive: npt.NDArray[np.bool_]) -> float:
    n_pos = int(positive.sum())
    if n_pos == 0:
        return math.nan
    # One threshold per distinct score, highest first; equal scores enter together.
    _, group = np.unique(-x, return_inverse=True)
    positives_per_group = np.bincount(group, weights=positive.astype(np.float64))
    size_per_group = np.bincount(group)
    true_positives = np.cumsum(positives_per_group)
    precision = true_positives / np.cumsum(size_per_group)
    recall = true_positives / n_pos
    return float(np.sum(np.diff(recall, prepend=0.0) * precision))


def auroc(scores: Scores, positives: Labels) -> float:
    """ROC AUC of ``scores`` [N] for ``positives`` [N] (ties count 1/2); NaN if one class is absent."""
    x, y = _validate(scores, positives, names=("scores", "positives"))
    return _auroc(x, y)


def auprc(scores: Scores, positives: Labels) -> float:
    """Average precision Σ_k (R_k − R_{k−1}) P_k over distinct thresholds of ``scores`` [N]; NaN if no positives."""
    x, y = _validate(scores, positives, names=("scores", "positives"))
    return _auprc(x, y)


def wrong_detection(confidence: Scores, correct: Labels) -> tuple[float, float]:
    """(AUROC, AUPRC) for detecting WRONG answers with score −confidence; both [N]."""
    c, y = _validate(confidence, correct, names=("confidence", "correct"))
    return _auroc(-c, ~y), _auprc(-c, ~y)


def reliability(prob: Scores, correct: Labels, bins: int = DEFAULT_BINS) -> list[Bin]:
    """Equal-width bins on [0, 1] of ``prob`` [N]; a bin holds [lower, upper), the last one also 1.0."""
    p, y = _validate_prob(prob, correct)
    if bins < 1:
        raise ValueError(f"bins must be at least 1, got {bins}")
    edges = np.linspace(0.0, 1.0, bins + 1)
    # searchsorted against the same edges the bins report, so a value equal to an edge lands where Bin says.
    index = np.minimum(np.searchsorted(edges, p, side="right") - 1, bins - 1)
    counts = np.bincount(index, minlength=bins)
    confidence_sums = np.bincount(index, weights=p, minlength=bins)
    correct_sums = np.bincount(index, weights=y.astype(np.float64), minlength=bins)
    result = []
    for b in range(bins):
        n = int(counts[b])
        mean_confidence = float(confidence_sums[b] / n) if n else math.nan
        accuracy = float(correct_sums[b] / n) if n else math.nan
        result.append(Bin(float(edges[b]), float(edges[b + 1]), n, mean_confidence, accuracy))
    return result


def ece(prob: Scores, correct: Labels, bins: int = DEFAULT_BINS) -> float:
    """Expected calibration error Σ_b (n_b/N)|acc_b − conf_b| with equal-width bins; ``prob``, ``correct`` [N]."""
    table = reliability(prob, correct, bins)
    total = sum(b.count for b in table)
    return sum(b.count / total * abs(b.accuracy - b.mean_confidence) for b in table if b.count)


def brier(prob: Scores, correct: Labels) -> float:
    """Mean squared error of ``prob`` [N] against ``correct`` [N]."""
    p, y = _validate_prob(prob, correct)
    return float(np.mean((p - y) ** 2))


def nll(prob: Scores, correct: Labels, eps: float = 1e-6) -> float:
    """Mean negative log-likelihood in nats of ``correct`` [N] under ``prob`` [N], clipped to [eps, 1 − eps]."""
    p, y = _validate_prob(prob, correct)
    # Clipping keeps a confidently wrong 0 or 1 finite (−log 1e-6 ≈ 13.8) instead of infinite.
    p = np.clip(p, eps, 1.0 - eps)
    return float(-np.mean(np.where(y, np.log(p), np.log1p(-p))))


def _risk_groups(confidence: Scores, correct: Labels) -> tuple[FloatArray, FloatArray, npt.NDArray[np.intp]]:
    """Per distinct confidence, highest first: (coverage, selective risk) after the group enters, and group sizes."""
    c, y = _validate(confidence, correct, names=("confidence", "correct"))
    _, group, sizes = np.unique(-c, return_inverse=True, return_counts=True)
    wrong = np.cumsum(np.bincount(group, weights=(~y).astype(np.float64)))
    answered = np.cumsum(sizes)
    return answered / c.size, wrong / answered, sizes


def risk_coverage(confidence: Scores, correct: Labels) -> tuple[FloatArray, FloatArray]:
    """(coverage [N], selective risk [N]) for k = 1..N most confident answers; a tie group shares its end risk."""
    _, group_risk, sizes = _risk_groups(confidence, correct)
    n = int(sizes.sum())
    coverage = np.arange(1, n + 1, dtype=np.float64) / n
    return coverage, np.repeat(group_risk, sizes)


def aurc(confidence: Scores, correct: Labels) -> float:
    """Area under the risk–coverage curve: the mean selective risk over k = 1..N; both inputs [N]."""
    _, risk = risk_coverage(confidence, correct)
    return float(risk.mean())


def coverage_at_risk(confidence: Scores, correct: Labels, target: float) -> float:
    """Largest coverage of a confidence threshold whose selective risk is ≤ ``target``; 0.0 if none."""
    if not math.isfinite(target):
        raise ValueError(f"target must be finite, got {target}")
    group_coverage, group_risk, _ = _risk_groups(confidence, correct)
    ok = group_risk <= target
    return float(group_coverage[ok].max()) if ok.any() else 0.0


def summary(confidence: Scores, correct: Labels, *, probabilities: bool, target_risk: float) -> dict[str, float]:
    """Wrong-detection AUROC/AUPRC, AURC and coverage at ``target_risk``; with ECE, Brier and NLL if ``probabilities``."""
    wrong_auroc, wrong_auprc = wrong_detection(confidence, correct)
    result = {
        "auroc": wrong_auroc,
        "auprc": wrong_auprc,
        "aurc": aurc(confidence, correct),
        "coverage_at_risk": coverage_at_risk(confidence, correct, target_risk),
    }
    if probabilities:
        result["ece"] = ece(confidence, correct)
        result["brier"] = brier(confidence, correct)
        result["nll"] = nll(confidence, correct)
    return result


def bootstrap_interval(
    metric: Callable[[FloatArray, npt.NDArray[np.bool_]], float],
    confidence: Scores,
    correct: Labels,
    *,
    resamples: int = 1000,
    level: float = 0.95,
    seed: int = 0,
) -> tuple[float, float]:
    """Percentile bootstrap interval of ``metric(confidence, correct)``: answers resampled with replacement,
    seeded. Resamples where the metric is NaN (e.g. one class only) are skipped; (NaN, NaN) if all are."""
    x, y = _validate(confidence, correct, names=("confidence", "correct"))
    rng = np.random.default_rng(seed)
    values = []
    for _ in range(resamples):
        rows = rng.integers(0, x.size, x.size)
        value = metric(x[rows], y[rows])
        if not math.isnan(value):
            values.append(value)
    if not values:
        return math.nan, math.nan
    tail = 100 * (1 - level) / 2
    return float(np.percentile(values, tail)), float(np.percentile(values, 100 - tail))
