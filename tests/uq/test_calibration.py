"""Thresholds for answer / flag / abstain, checked on seeded synthetic data. No database: uq.calibration is pure.

The guarantees are statements over the calibration draw, so they are checked across many seeds: each seed draws an
exchangeable calibration set and test set from the same distribution.
"""

from __future__ import annotations

import itertools
import math
from fractions import Fraction

import numpy as np
import pytest

from uq.calibration import (
    MIN_CALIBRATION,
    OnlineState,
    Thresholds,
    adapt,
    binomial_tail,
    calibrate,
    crc_threshold_false_abstain,
    selective_risk_threshold,
    shown_error_rate,
)

SEEDS = range(200)
N_CALIBRATION = 500
N_TEST = 5000


def draw(rng: np.random.Generator, n: int, power: float) -> tuple[np.ndarray, np.ndarray]:
    """p ~ Beta(5, 1) (a useful score: most answers confident); correct ~ Bernoulli(p**power).

    power = 1 is a calibrated score; power = 2 an overconfident one (the real chance of being right is p²).
    """
    p = np.clip(rng.beta(5.0, 1.0, n), 0.0, 1.0)
    return p, rng.random(n) < p**power


def brute_force_tail(k: int, n: int, p: Fraction) -> float:
    return float(sum(math.comb(n, i) * p**i * (1 - p) ** (n - i) for i in range(k + 1)))


# --- binomial_tail --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("n", [1, 2, 7, 30, 61])
@pytest.mark.parametrize("p", ["1/10", "1/3", "9/10"])
def test_binomial_tail_matches_brute_force(n: int, p: str) -> None:
    for k in range(n + 1):
        assert binomial_tail(k, n, float(Fraction(p))) == pytest.approx(
            brute_force_tail(k, n, Fraction(p)), rel=1e-9, abs=1e-300
        )


def test_binomial_tail_edges_and_monotone() -> None:
    assert binomial_tail(40, 40, 0.3) == 1.0
    assert binomial_tail(-1, 40, 0.3) == 0.0
    assert binomial_tail(0, 40, 0.0) == 1.0
    assert binomial_tail(39, 40, 1.0) == 0.0
    tails = [binomial_tail(k, 300, 0.2) for k in range(301)]
    assert all(a <= b for a, b in itertools.pairwise(tails))
    assert tails[-1] == 1.0


def test_binomial_tail_is_stable_for_large_n() -> None:
    n, p = 100_000, 0.1
    # Ten standard deviations below the mean: tiny, yet positive and under the Chernoff bound exp(−n·KL(0.09‖0.1)).
    kl = 0.09 * math.log(0.09 / 0.1) + 0.91 * math.log(0.91 / 0.9)
    tail = binomial_tail(9000, n, p)
    assert 1e-40 < tail <= math.exp(-n * kl)
    # Both ways of summing (lower tail, or 1 − upper tail) agree through the symmetry P[X ≤ k] = P[n − X ≥ n − k].
    for k in (9500, 9990, 10_000, 10_010, 10_500):
        assert binomial_tail(k, n, p) == pytest.approx(1.0 - binomial_tail(n - k - 1, n, 1.0 - p), rel=1e-8)
    assert binomial_tail(10_000, n, p) == pytest.approx(0.5, abs=0.01)
    assert binomial_tail(11_000, n, p) == pytest.approx(1.0, abs=1e-20)


# --- flag threshold: Learn-then-Test ---------------------------------------------------------------------------


@pytest.mark.parametrize("power", [1.0, 2.0], ids=["calibrated", "overconfident"])
def test_selective_risk_guarantee_holds_across_seeds(power: float) -> None:
    alpha, delta = 0.1, 0.1
    held, shown_something = 0, 0
    for seed in SEEDS:
        rng = np.random.default_rng(seed)
        cal_p, cal_ok = draw(rng, N_CALIBRATION, power)
        test_p, test_ok = draw(rng, N_TEST, power)
        flag = selective_risk_threshold(cal_p, cal_ok, alpha, delta)
        wrong_rate, coverage = shown_error_rate(test_p, test_ok, flag)
        held += math.isnan(wrong_rate) or wrong_rate <= alpha
        shown_something += coverage > 0
    # The guarantee is ≥ 90% of calibration draws; a little slack for Monte Carlo noise over 200 seeds.
    assert held >= 0.85 * len(SEEDS)
    # ... and it is not met by flagging everything.
    assert shown_something >= 0.7 * len(SEEDS)


def test_selective_risk_threshold_flags_everything_when_nothing_passes() -> None:
    rng = np.random.default_rng(0)
    p = rng.random(200)
    correct = rng.random(200) < 0.5  # confidence says nothing: the wrong rate is 50% at every threshold
    assert selective_risk_threshold(p, correct, alpha=0.1) == math.nextafter(1.0, 2.0)
    assert selective_risk_threshold(p[:5], np.ones(5, bool), alpha=0.1) > 1.0  # too few to pass even when all right


def test_selective_risk_threshold_walks_down_to_the_last_pass() -> None:
    # 100 right answers above 60 wrong ones: every threshold at a right answer passes, the first wrong one fails.
    p = np.concatenate([np.linspace(0.5, 1.0, 100), np.linspace(0.0, 0.4, 60)])
    correct = np.concatenate([np.ones(100, bool), np.zeros(60, bool)])
    flag = selective_risk_threshold(p, correct, alpha=0.1, delta=0.1)
    # Including a few wrong answers can still pass (100 right + a few wrong is < 10% wrong with room to spare).
    assert 0.3 <= flag <= 0.5
    wrong_rate, coverage = shown_error_rate(p, correct, flag)
    assert wrong_rate < 0.1 and coverage >= 100 / 160


# --- abstain threshold: conformal risk control ----------------------------------------------------------------


@pytest.mark.parametrize("power", [1.0, 2.0], ids=["calibrated", "overconfident"])
def test_false_abstention_is_controlled_on_average(power: float) -> None:
    beta = 0.05
    rates = []
    for seed in SEEDS:
        rng = np.random.default_rng(seed)
        cal_p, cal_ok = draw(rng, N_CALIBRATION, power)
        test_p, test_ok = draw(rng, N_TEST, power)
        abstain = crc_threshold_false_abstain(cal_p, cal_ok, beta)
        rates.append(np.mean(test_ok & (test_p < abstain)))
    assert np.mean(rates) <= beta + 0.01
    assert np.mean(rates) > beta / 2  # and it does abstain on something: not the trivial λ = 0


def test_crc_never_abstains_when_too_few_answers() -> None:
    # With n answers, the smallest achievable bound is 1/(n+1): 10 answers cannot promise 5%.
    assert crc_threshold_false_abstain(np.linspace(0, 1, 10), np.ones(10, bool), beta=0.05) == 0.0


def test_crc_threshold_is_the_largest_that_qualifies() -> None:
    # 99 correct answers at p = 0.01 … 0.99: (m + 1)/(n + 1) ≤ 0.05 allows m = 4 correct answers below λ.
    p = np.arange(1, 100) / 100
    assert crc_threshold_false_abstain(p, np.ones(99, bool), beta=0.05) == pytest.approx(0.05)
    # Wrong answers cost nothing to withhold but count in n: with 20 more, (m + 1)/120 ≤ 0.05 allows m = 5.
    p2 = np.concatenate([p, np.full(20, 0.001)])
    assert crc_threshold_false_abstain(
        p2, np.concatenate([np.ones(99, bool), np.zeros(20, bool)]), beta=0.05
    ) == pytest.approx(0.06)


# --- calibrate ------------------------------------------------------------------------------------------------


def test_calibrate_orders_thresholds_and_round_trips() -> None:
    for seed in range(20):
        rng = np.random.default_rng(seed)
        p, ok = draw(rng, 300, 2.0)
        t = calibrate(p, ok, alpha=0.1, beta=0.2, delta=0.1)
        assert t.abstain <= t.flag
        assert t.n_calibration == 300 and (t.alpha, t.beta, t.delta) == (0.1, 0.2, 0.1)
        assert Thresholds.from_dict(t.to_dict()) == t


def test_calibrate_caps_abstain_at_flag() -> None:
    # Every answer right: the flag test passes all the way down (flag = 0), while a loose beta lets CRC withhold
    # almost everything. An answer the flag rule would show plainly is never withheld.
    p = np.linspace(0.0, 1.0, 400)
    assert crc_threshold_false_abstain(p, np.ones(400, bool), beta=0.99) > 0.9
    t = calibrate(p, np.ones(400, bool), alpha=0.5, beta=0.99)
    assert t.flag == 0.0 and t.abstain == t.flag


def test_calibrate_rejects_bad_input() -> None:
    p = np.linspace(0.1, 0.9, 50)
    ok = p > 0.5
    with pytest.raises(ValueError, match=str(MIN_CALIBRATION)):
        calibrate(p[:5], ok[:5])
    with pytest.raises(ValueError, match="alpha"):
        calibrate(p, ok, alpha=0.0)
    with pytest.raises(ValueError, match="delta"):
        calibrate(p, ok, delta=1.0)
    with pytest.raises(ValueError, match="same length"):
        calibrate(p, ok[:-1])
    with pytest.raises(ValueError, match="NaN"):
        calibrate(np.where(p > 0.8, np.nan, p), ok)
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        calibrate(p + 0.5, ok)
    with pytest.raises(ValueError, match="1-D"):
        calibrate(p.reshape(5, 10), ok.reshape(5, 10))
    with pytest.raises(ValueError, match="abstain"):
        Thresholds(flag=0.5, abstain=0.6, alpha=0.1, beta=0.05, delta=0.1, n_calibration=100)


def test_shown_error_rate() -> None:
    p = np.array([0.9, 0.8, 0.7, 0.2])
    ok = np.array([True, False, True, False])
    assert shown_error_rate(p, ok, 0.75) == (0.5, 0.5)
    wrong_rate, coverage = shown_error_rate(p, ok, 0.95)
    assert math.isnan(wrong_rate) and coverage == 0.0


# --- adapt: adaptive conformal inference ----------------------------------------------------------------------


def test_adapt_moves_the_bar_with_verdicts() -> None:
    start = OnlineState(flag=0.8, base_flag=0.8, steps=0)
    up = adapt(start, shown_unflagged_was_wrong=True, alpha=0.1, gamma=0.01)
    down = adapt(start, shown_unflagged_was_wrong=False, alpha=0.1, gamma=0.01)
    assert up.flag == pytest.approx(0.8 + 0.01 * 0.9) and up.steps == 1
    assert down.flag == pytest.approx(0.8 - 0.01 * 0.1) and down.steps == 1
    assert up.base_flag == down.base_flag == 0.8


def test_adapt_stays_within_its_bound() -> None:
    state = OnlineState(flag=0.8, base_flag=0.8, steps=0)
    for _ in range(1000):
        state = adapt(state, shown_unflagged_was_wrong=True, alpha=0.1, bound=0.15)
    assert state.flag == pytest.approx(0.95) and state.steps == 1000
    state = OnlineState(flag=0.95, base_flag=0.95, steps=0)
    for _ in range(1000):
        state = adapt(state, shown_unflagged_was_wrong=True, alpha=0.1, bound=0.15)
    assert state.flag == 1.0  # also clipped to [0, 1]
    for _ in range(1000):
        state = adapt(state, shown_unflagged_was_wrong=False, alpha=0.1, gamma=0.1, bound=0.15)
    assert state.flag == pytest.approx(0.8)


def test_adapt_drives_the_long_run_error_rate_to_alpha() -> None:
    # The chance that a plainly shown answer is wrong falls as the bar rises: g(t) = 0.6·(1 − t).
    rng = np.random.default_rng(7)
    alpha = 0.1
    state = OnlineState(flag=0.5, base_flag=0.7, steps=0)
    wrong = 0
    for _ in range(20_000):
        was_wrong = bool(rng.random() < 0.6 * (1.0 - state.flag))
        wrong += was_wrong
        state = adapt(state, shown_unflagged_was_wrong=was_wrong, alpha=alpha, gamma=0.01, bound=0.3)
    assert abs(wrong / 20_000 - alpha) <= 0.03
    assert state.flag == pytest.approx(1 - alpha / 0.6, abs=0.1)  # near where g(t) = alpha
