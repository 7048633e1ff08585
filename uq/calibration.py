"""Thresholds that turn a confidence p = P(answer is correct) into answer / flag / abstain. Pure: the standard
library and numpy only.

Two thresholds, ``abstain ≤ flag``: an answer is shown plainly when p ≥ flag, withheld when p < abstain, and
shown with a low-confidence notice (and queued for review) in between.

* ``flag`` bounds the wrong-answer rate among plainly shown answers, with high probability over the calibration
  draw (Learn-then-Test, Angelopoulos, Bates et al. 2021).
* ``abstain`` bounds the expected rate of correct answers that get withheld (conformal risk control,
  Angelopoulos et al. 2022).
* ``adapt`` moves ``flag`` online from reviewers' verdicts (adaptive conformal inference, Gibbs & Candès 2021), so
  a drift in the question mix does not silently break the first guarantee.

Both offline guarantees assume the calibration answers and the future answers are exchangeable (e.g. i.i.d. from
the same mix of questions).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

__all__ = [
    "MIN_CALIBRATION",
    "OnlineState",
    "Thresholds",
    "adapt",
    "binomial_tail",
    "calibrate",
    "crc_threshold_false_abstain",
    "selective_risk_threshold",
    "shown_error_rate",
]

# Below this many answers the thresholds are mostly noise (and the flag test can barely pass at all).
MIN_CALIBRATION = 20

# The flag threshold when no candidate passes the test: above every possible p, so every answer is flagged.
ABOVE_ONE = math.nextafter(1.0, 2.0)

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class Thresholds:
    """Answer when p ≥ flag; abstain when p < abstain; flag in between. ``flag`` may exceed 1 (flag everything)."""

    flag: float
    abstain: float
    alpha: float  # target wrong-answer rate among plainly shown answers
    beta: float  # target rate of correct answers withheld
    delta: float  # allowed probability that the calibration draw breaks the alpha guarantee
    n_calibration: int

    def __post_init__(self) -> None:
        if not self.abstain <= self.flag:
            raise ValueError(f"abstain threshold {self.abstain} must not exceed flag threshold {self.flag}")

    def to_dict(self) -> dict[str, float | int]:
        return {
            "flag": float(self.flag),
            "abstain": float(self.abstain),
            "alpha": float(self.alpha),
            "beta": float(self.beta),
            "delta": float(self.delta),
            "n_calibration": int(self.n_calibration),
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, float | int]) -> Thresholds:
        return cls(
            flag=float(d["flag"]),
            abstain=float(d["abstain"]),
            alpha=float(d["alpha"]),
            beta=float(d["beta"]),
            delta=float(d["delta"]),
            n_calibration=int(d["n_calibration"]),
        )


def _log_pmf_sum(n: int, p: float, lo: int, hi: int) -> float:
    """log Σ_{i=lo..hi} C(n,i) p^i (1−p)^(n−i), for 0 < p < 1, by log-sum-exp."""
    i = np.arange(lo, hi + 1)
    log_choose = math.lgamma(n + 1) - np.array([math.lgamma(j + 1) + math.lgamma(n - j + 1) for j in range(lo, hi + 1)])
    terms = log_choose + i * math.log(p) + (n - i) * math.log1p(-p)
    top = float(terms.max())
    return top + math.log(float(np.exp(terms - top).sum()))


def binomial_tail(k: int, n: int, p: float) -> float:
    """P[Binomial(n, p) ≤ k], exact up to rounding.

    Sums the pmf in log space (``math.lgamma`` and log-sum-exp), so tiny tails do not underflow to 0 before they
    are added. Only the smaller side is summed: the lower tail directly when k is below the mean n·p, otherwise
    1 − the upper tail (the result is then ≳ 1/2, so the subtraction loses nothing). Relative error ~1e-9 at
    n = 100000 (rounding in lgamma(n + 1) ≈ 1e6).
    """
    if n < 0 or not 0.0 <= p <= 1.0:
        raise ValueError(f"binomial_tail needs n ≥ 0 and 0 ≤ p ≤ 1, got n={n}, p={p}")
    if k < 0:
        return 0.0
    if k >= n:
        return 1.0
    if p == 0.0:
        return 1.0
    if p == 1.0:
        return 0.0  # all n trials succeed and k < n
    if k < n * p:
        return min(1.0, math.exp(_log_pmf_sum(n, p, 0, k)))
    return max(0.0, -math.expm1(_log_pmf_sum(n, p, k + 1, n)))


def _validated(confidence: npt.ArrayLike, correct: npt.ArrayLike) -> tuple[FloatArray, BoolArray]:
    p = np.asarray(confidence, dtype=np.float64)
    c = np.asarray(correct)
    if p.ndim != 1 or c.ndim != 1:
        raise ValueError(f"confidence and correct must be 1-D, got shapes {p.shape} and {c.shape}")
    if p.shape != c.shape:
        raise ValueError(f"confidence and correct must have the same length, got {p.size} and {c.size}")
    if not np.all(np.isfinite(p)):
        raise ValueError("confidence contains NaN or infinite values")
    if np.any((p < 0.0) | (p > 1.0)):
        raise ValueError("confidence values must be probabilities in [0, 1]")
    if c.dtype != np.bool_:
        if not np.all(np.isin(c, (0, 1))):
            raise ValueError("correct must be booleans or 0/1")
        c = c.astype(np.bool_)
    return p, c


def _check_level(name: str, value: float) -> None:
    if not (math.isfinite(value) and 0.0 < value < 1.0):
        raise ValueError(f"{name} must be strictly between 0 and 1, got {value}")


def selective_risk_threshold(
    confidence: npt.ArrayLike, correct: npt.ArrayLike, alpha: float, delta: float = 0.1
) -> float:
    """The flag threshold λ̂ by Learn-then-Test with fixed-sequence testing.

    Candidates are the distinct calibration confidences, from highest to lowest. For candidate λ let
    n(λ) = #{p_i ≥ λ} and e(λ) = #{p_i ≥ λ and wrong}. The null H_λ says the selective risk
    R(λ) = P[wrong | p ≥ λ] exceeds alpha; given n(λ), e(λ) ~ Binomial(n(λ), R(λ)), so
    P[Binomial(n(λ), alpha) ≤ e(λ)] is a valid p-value. Walking down the sequence while p-value ≤ delta and stopping
    at the first failure controls the family-wise error at delta, so the lowest λ that passed is returned.

    Guarantee: for exchangeable data, with probability ≥ 1 − delta over the calibration draw, the wrong-answer rate
    among new answers with p ≥ λ̂ is ≤ alpha.

    Candidates with n(λ) so small that even e(λ) = 0 gives a p-value (1 − alpha)^n(λ) > delta can never pass, and
    which ones they are depends on the confidences only, never on the labels; they are skipped rather than allowed
    to end the walk (otherwise the top candidate, with n = 1, would always fail). If no candidate passes, returns a
    value just above 1: every answer is flagged.
    """
    _check_level("alpha", alpha)
    _check_level("delta", delta)
    p, c = _validated(confidence, correct)
    n_total = p.size
    # The smallest n for which a clean record (no wrong answers) can reject H_λ.
    n_min = math.ceil(math.log(delta) / math.log1p(-alpha))

    order = np.argsort(p, kind="stable")
    p_sorted = p[order]
    wrong_sorted = ~c[order]
    # wrong_from[j] = number of wrong answers among p_sorted[j:], i.e. among the answers with p ≥ p_sorted[j].
    wrong_from = np.concatenate([np.cumsum(wrong_sorted[::-1])[::-1], [0]])

    passed = ABOVE_ONE
    for lam in np.unique(p_sorted)[::-1]:
        first = int(np.searchsorted(p_sorted, lam, side="left"))
        n_shown = n_total - first
        if n_shown < n_min:
            continue
        if binomial_tail(int(wrong_from[first]), n_shown, alpha) > delta:
            break
        passed = float(lam)
    return passed


def crc_threshold_false_abstain(confidence: npt.ArrayLike, correct: npt.ArrayLike, beta: float) -> float:
    """The abstain threshold λ̂ (abstain when p < λ̂) by conformal risk control.

    Loss L_i(λ) = 1{correct_i and p_i < λ}: a correct answer withheld. It is non-decreasing in λ and bounded by
    B = 1. Returns the largest λ in {0} ∪ {distinct calibration confidences} with
    (n/(n+1))·R̂_n(λ) + 1/(n+1) ≤ beta, where R̂_n(λ) = (1/n) Σ L_i(λ); equivalently
    #{correct_i and p_i < λ} + 1 ≤ beta·(n+1). Returns 0.0 (never abstain) if none qualifies, e.g. when n < 1/beta − 1.

    Guarantee: for exchangeable data, E[L_{n+1}(λ̂)] ≤ beta, i.e. the expected fraction of new answers that are
    correct yet withheld is at most beta (marginally, over the calibration draw and the new answer).
    """
    _check_level("beta", beta)
    p, c = _validated(confidence, correct)
    n = p.size
    correct_sorted = np.sort(p[c])
    candidates = np.concatenate([[0.0], np.unique(p)])
    # withheld[j] = #{correct and p < candidates[j]}; it never decreases along the (ascending) candidates.
    withheld = np.searchsorted(correct_sorted, candidates, side="left")
    # A hair of slack so that e.g. beta·(n+1) = 25.000000000000004 is not read as a strict inequality.
    ok = withheld + 1 <= beta * (n + 1) + 1e-9
    if not ok.any():
        return 0.0
    return float(candidates[np.flatnonzero(ok)[-1]])


def calibrate(
    confidence: npt.ArrayLike,
    correct: npt.ArrayLike,
    *,
    alpha: float = 0.10,
    beta: float = 0.05,
    delta: float = 0.10,
) -> Thresholds:
    """Both thresholds from one calibration set: flag by ``selective_risk_threshold``, abstain by
    ``crc_threshold_false_abstain``, then abstain = min(abstain, flag) so the three outcomes stay ordered."""
    _check_level("alpha", alpha)
    _check_level("beta", beta)
    _check_level("delta", delta)
    p, c = _validated(confidence, correct)
    if p.size < MIN_CALIBRATION:
        raise ValueError(f"calibration needs at least {MIN_CALIBRATION} answers with verdicts, got {p.size}")
    flag = selective_risk_threshold(p, c, alpha, delta)
    abstain = min(crc_threshold_false_abstain(p, c, beta), flag)
    return Thresholds(flag=flag, abstain=abstain, alpha=alpha, beta=beta, delta=delta, n_calibration=int(p.size))


@dataclass(frozen=True)
class OnlineState:
    """The live flag threshold, the calibrated one it started from, and how many verdicts have moved it."""

    flag: float
    base_flag: float
    steps: int


def adapt(
    state: OnlineState,
    *,
    shown_unflagged_was_wrong: bool,
    alpha: float,
    gamma: float = 0.01,
    bound: float = 0.15,
) -> OnlineState:
    """One adaptive-conformal-inference step from a reviewer's verdict on an answer shown WITHOUT a flag.

    flag ← flag + gamma·(err − alpha), err = 1 if the answer was wrong else 0: a wrong verdict raises the bar by
    gamma·(1 − alpha), a right one lowers it by gamma·alpha. The result is clipped to
    [base_flag − bound, base_flag + bound] ∩ [0, 1], so one bad stretch cannot move the bar far from calibration.

    Long-run behaviour: summing the updates, (1/T) Σ_t err_t − alpha = (flag_{T+1} − flag_1)/(gamma·T). While the
    threshold stays off the bounds, the right side is at most (width of the allowed range)/(gamma·T), so the error
    rate among these T verdicts converges to alpha, whatever the data (no exchangeability needed). Clipping at a bound
    breaks that identity: the bar then stops following the errors.

    A base_flag above 1 (calibration flagged everything) keeps its upper limit, so adapting never starts showing
    answers plainly that calibration would not.
    """
    _check_level("alpha", alpha)
    if not (math.isfinite(gamma) and gamma > 0.0):
        raise ValueError(f"gamma must be positive, got {gamma}")
    if not (math.isfinite(bound) and bound >= 0.0):
        raise ValueError(f"bound must be non-negative, got {bound}")
    err = 1.0 if shown_unflagged_was_wrong else 0.0
    low = max(0.0, state.base_flag - bound)
    high = min(1.0, state.base_flag + bound) if state.base_flag <= 1.0 else state.base_flag
    flag = min(high, max(low, state.flag + gamma * (err - alpha)))
    return OnlineState(flag=flag, base_flag=state.base_flag, steps=state.steps + 1)


def shown_error_rate(confidence: npt.ArrayLike, correct: npt.ArrayLike, threshold: float) -> tuple[float, float]:
    """(wrong rate among answers with p ≥ threshold, coverage = fraction with p ≥ threshold).

    The wrong rate is NaN when nothing is shown (no answers, or a threshold above every p).
    """
    p, c = _validated(confidence, correct)
    shown = p >= threshold
    n_shown = int(shown.sum())
    coverage = n_shown / p.size if p.size else 0.0
    wrong_rate = float((~c[shown]).mean()) if n_shown else math.nan
    return wrong_rate, coverage
