"""Numbers of chapter 14, "Adaptive filtering", recomputed (content/14-adaptive-filtering.md)."""

from __future__ import annotations

import contextlib
import io
import math
import re
from pathlib import Path

import numpy as np
import pytest
from scipy import signal
from scipy.linalg import toeplitz

CHAPTER = Path(__file__).resolve().parents[2] / "content" / "14-adaptive-filtering.md"
H = np.array([0.7, -0.4, 0.2, 0.1])  # the system identified in the worked examples
R2 = np.array([[2.0, 1.0], [1.0, 2.0]])
P2 = np.array([4.0, 5.0])
SIGMA_D2 = 16.0


@pytest.fixture(scope="module")
def chapter_text() -> str:
    return CHAPTER.read_text(encoding="utf-8")


def identify(algorithm: str, *, colored: bool, seed: int = 14, length: int = 3000) -> tuple[np.ndarray, np.ndarray]:
    """The chapter's identification run; returns the errors e[n] and the weight-error norms after each sample."""
    rng = np.random.default_rng(seed)
    g = rng.standard_normal(length)
    x = signal.lfilter([math.sqrt(0.19)], [1.0, -0.9], g) if colored else g
    d = np.convolve(x, H)[:length] + 0.1 * rng.standard_normal(length)
    n_taps, mu = 4, 0.02
    w, e, xbuf, p = np.zeros(n_taps), np.zeros(length), np.zeros(n_taps), np.eye(n_taps) / 0.01
    distance = np.zeros(length)
    for n in range(length):
        xbuf = np.roll(xbuf, 1)
        xbuf[0] = x[n]
        e[n] = d[n] - w @ xbuf
        if algorithm == "lms":
            w = w + (mu * e[n]) * xbuf
        else:  # RLS with lambda = 1
            px = p @ xbuf
            k = px / (1.0 + xbuf @ px)
            w = w + k * e[n]
            p = p - np.outer(k, px)
        distance[n] = np.linalg.norm(w - H)
    return e, distance


def after(distance: np.ndarray, samples: int) -> float:
    return round(float(distance[samples - 1]), 3)


# --- The adaptive filtering problem -----------------------------------------------------------------------------------


def test_example_two_tap_predictor_never_misses() -> None:
    omega0 = 2 * math.pi * 1000 / 6000
    assert omega0 == pytest.approx(math.pi / 3)
    weights = [2 * math.cos(omega0), -1.0]
    assert weights == pytest.approx([1.0, -1.0])
    n = np.arange(40)
    for phase in (0.0, 0.7, 2.0):
        x = np.cos(omega0 * n + phase)
        prediction = weights[0] * x[1:-1] + weights[1] * x[:-2]
        assert np.allclose(prediction, x[2:])
    assert np.round(np.cos(np.pi * n[:6] / 3), 12).tolist() == [1.0, 0.5, -0.5, -1.0, -0.5, 0.5]


# --- The Wiener solution and the normal equations ---------------------------------------------------------------------


def test_example_two_tap_wiener_filter() -> None:
    w_o = np.linalg.solve(R2, P2)
    assert np.allclose(np.linalg.inv(R2), np.array([[2, -1], [-1, 2]]) / 3)
    assert np.allclose(w_o, [1.0, 2.0])
    j_min = SIGMA_D2 - P2 @ w_o
    assert j_min == pytest.approx(2)
    assert 1 - j_min / SIGMA_D2 == pytest.approx(0.875)
    assert round(10 * math.log10(SIGMA_D2 / j_min), 2) == 9.03
    w = np.array([1.0, 1.0])
    assert SIGMA_D2 - 2 * P2 @ w + w @ R2 @ w == pytest.approx(4)
    assert j_min + (w - w_o) @ R2 @ (w - w_o) == pytest.approx(4)


def test_two_tap_wiener_statistics_come_from_a_real_process() -> None:
    """r_x[0] = 2, r_x[1] = 1 and d[n] = x[n] + 2x[n-1] + v[n], var(v) = 2, give R, p and sigma_d^2 of the example."""
    r = toeplitz([2.0, 1.0])
    h = np.array([1.0, 2.0])
    assert np.allclose(r, R2)
    assert np.allclose(r @ h, P2)
    assert h @ r @ h + 2 == SIGMA_D2
    # and a simulation: x[n] = u[n] + u[n-1] with var(u) = 1 has r_x[0] = 2, r_x[1] = 1
    rng = np.random.default_rng(0)
    u = rng.standard_normal(400_001)
    x = u[1:] + u[:-1]
    d = x[1:] + 2 * x[:-1] + math.sqrt(2) * rng.standard_normal(len(x) - 1)
    taps = np.vstack([x[1:], x[:-1]])
    assert np.allclose(taps @ taps.T / taps.shape[1], R2, atol=0.03)
    assert np.allclose(taps @ d / len(d), P2, atol=0.05)
    w_o = np.linalg.solve(R2, P2)
    error = d - w_o @ taps
    assert np.mean(error**2) == pytest.approx(2, rel=0.02)
    assert np.allclose(taps @ error / len(error), 0, atol=0.03)  # orthogonality principle


def test_wiener_solution_identifies_a_system() -> None:
    r = toeplitz(0.9 ** np.arange(4))
    p = r @ H
    assert np.allclose(np.linalg.solve(r, p), H)


# --- Steepest descent and its stability bound -------------------------------------------------------------------------


def steepest_descent(mu: float, steps: int) -> list[np.ndarray]:
    w, history = np.zeros(2), []
    for _ in range(steps + 1):
        history.append(w)
        w = w + mu * (P2 - R2 @ w)
    return history


def mse(w: np.ndarray) -> float:
    return float(SIGMA_D2 - 2 * P2 @ w + w @ R2 @ w)


def test_example_steepest_descent_eigenvalues_and_bound() -> None:
    eigenvalues, vectors = np.linalg.eigh(R2)
    assert np.allclose(eigenvalues, [1.0, 3.0])
    assert np.allclose(np.abs(vectors[:, 1]), [1 / math.sqrt(2)] * 2)  # lambda = 3 along [1, 1]
    assert round(2 / eigenvalues.max(), 3) == 0.667
    assert eigenvalues.max() / eigenvalues.min() == pytest.approx(3)
    assert pytest.approx(0.4) == 1 - 0.2 * 3 and pytest.approx(0.8) == 1 - 0.2 * 1


def test_example_steepest_descent_table() -> None:
    history = steepest_descent(0.2, 10)
    table = {
        0: (0, 0, 16),
        1: (0.8, 1.0, 4.48),
        2: (1.08, 1.44, 2.550),
        3: (1.16, 1.648, 2.186),
        5: (1.148, 1.821, 2.055),
        10: (1.054, 1.946, 2.006),
    }
    for k, (w0, w1, j) in table.items():
        assert round(history[k][0], 3) == pytest.approx(w0)
        assert round(history[k][1], 3) == pytest.approx(w1)
        assert round(mse(history[k]), 3) == pytest.approx(j)
    for k, w in enumerate(history):
        assert w[0] == pytest.approx(1 - 1.5 * 0.4**k + 0.5 * 0.8**k)
        assert w[1] == pytest.approx(2 - 1.5 * 0.4**k - 0.5 * 0.8**k)
        assert mse(w) == pytest.approx(2 + 3 * 4.5 * 0.16**k + 0.5 * 0.64**k)


def test_example_steepest_descent_speed_and_divergence() -> None:
    assert round(-1 / math.log(0.8), 2) == 4.48
    assert 1 / (0.2 * 1) == 5
    assert 2 / (3 + 1) == 0.5
    assert [1 - 0.5 * lam for lam in (1, 3)] == [0.5, -0.5]
    assert pytest.approx(-1.1) == 1 - 0.7 * 3
    assert mse(steepest_descent(0.7, 60)[-1]) > 1e3
    chi = 3
    assert (chi - 1) / (chi + 1) == 0.5


# --- The LMS algorithm ------------------------------------------------------------------------------------------------


def test_lms_cost_per_sample() -> None:
    n_taps = 32
    assert 2 * n_taps + 1 == 65
    assert 65 * 16_000 == 1_040_000


def test_example_choosing_a_step_size() -> None:
    n_taps, power, mu, j_min = 32, 0.5, 0.01, 0.001
    assert 2 / (n_taps * power) == 0.125
    misadjustment = mu * n_taps * power / 2
    assert misadjustment == pytest.approx(0.08)
    assert j_min * (1 + misadjustment) == pytest.approx(0.00108)
    tau = 1 / (2 * mu * power)
    assert tau == pytest.approx(100)
    assert misadjustment * tau == pytest.approx(n_taps / 4)
    assert 0.005 * n_taps * power / 2 == pytest.approx(0.04) and 1 / (2 * 0.005 * power) == pytest.approx(200)


def test_trace_bounds_the_largest_eigenvalue() -> None:
    for a in (0.0, 0.5, 0.9, 0.99):
        r = toeplitz(a ** np.arange(8))
        assert np.linalg.eigvalsh(r).max() <= np.trace(r) == 8


# --- LMS at work: system identification and hum cancellation ----------------------------------------------------------


def test_example_lms_identification_code_in_the_chapter(chapter_text: str) -> None:
    code = re.search(r"```python\n(.*?)```", chapter_text, flags=re.S)
    assert code is not None
    namespace: dict[str, object] = {}
    with contextlib.redirect_stdout(io.StringIO()) as printed:
        exec(code.group(1), namespace)  # noqa: S102 - the book's own example code
    w, e = namespace["w"], namespace["e"]
    assert np.round(w, 3).tolist() == [0.694, -0.393, 0.185, 0.110]
    assert round(float(np.mean(e[1000:] ** 2)), 5) == 0.01026
    assert "0.694" in printed.getvalue()
    same_run, _ = identify("lms", colored=False)
    assert np.array_equal(same_run, e)


def test_example_lms_identification_theory() -> None:
    mu, n_taps, power, var_v = 0.02, 4, 1.0, 0.01
    assert 2 / (n_taps * power) == 0.5 and 0.5 / mu == 25
    misadjustment = mu * n_taps * power / 2
    assert misadjustment == pytest.approx(0.04)
    assert var_v * (1 + misadjustment) == pytest.approx(0.0104)
    assert 1 / (mu * power) == pytest.approx(50) and 1 / (2 * mu * power) == pytest.approx(25)
    assert np.sum(H**2) + var_v == pytest.approx(0.71)
    assert round(float(np.linalg.norm(H)), 3) == 0.837


def test_example_lms_identification_weight_error_table() -> None:
    _, distance = identify("lms", colored=False)
    expected = {20: 0.396, 50: 0.209, 100: 0.106, 200: 0.028, 1000: 0.027, 3000: 0.020}
    assert {n: after(distance, n) for n in expected} == expected


def test_example_hum_canceller_is_a_notch_filter() -> None:
    fs, f0, mu, c = 1000.0, 50.0, 0.02, 1.0
    omega0 = 2 * math.pi * f0 / fs
    rng = np.random.default_rng(1)
    n = np.arange(2000)
    d = rng.standard_normal(len(n)) + 3 * np.cos(omega0 * n + 1.0)
    refs = c * np.vstack([np.cos(omega0 * n), np.sin(omega0 * n)])
    w, e = np.zeros(2), np.zeros(len(n))
    for k in n:
        e[k] = d[k] - w @ refs[:, k]
        w = w + mu * e[k] * refs[:, k]
    b = [1.0, -2 * math.cos(omega0), 1.0]
    a = [1.0, -(2 - mu * c * c) * math.cos(omega0), 1 - mu * c * c]
    assert np.allclose(e, signal.lfilter(b, a, d), atol=1e-10)  # exactly LTI
    assert np.allclose(np.abs(np.roots(b)), 1.0)
    poles = np.roots(a)
    assert np.allclose(np.abs(poles), math.sqrt(0.98))
    assert round(math.sqrt(0.98), 3) == 0.990
    assert round(float(np.max(np.angle(poles))) * fs / (2 * math.pi), 2) == 49.98
    f = np.linspace(40, 60, 200_001)
    _, response = signal.freqz(b, a, worN=f, fs=fs)
    below = f[np.abs(response) ** 2 < 0.5]
    assert round(float(below[-1] - below[0]), 2) == 3.15
    assert round(mu * c * c * fs / (2 * math.pi), 2) == 3.18


def test_demo_radii_match_step_sizes() -> None:
    """r = 0.99 is mu C^2 = 0.02 (pole radius sqrt(1 - mu C^2)); r = 0.95 is about five times larger."""
    assert pytest.approx(0.02, abs=2e-4) == 1 - 0.99**2
    assert pytest.approx(5, rel=0.03) == (1 - 0.95**2) / (1 - 0.99**2)
    assert pytest.approx((1 - 0.95**2) / 2, rel=0.03) == 1 - 0.95


# --- Normalized LMS and recursive least squares -----------------------------------------------------------------------


def test_example_one_nlms_update() -> None:
    x, e, mu_n = np.array([1.0, 2.0, -1.0, 0.0]), 0.6, 0.5
    energy = x @ x
    assert energy == 6
    assert round(mu_n / energy, 4) == 0.0833
    delta_w = mu_n / energy * e * x
    assert np.allclose(delta_w, [0.05, 0.1, -0.05, 0.0])
    rng = np.random.default_rng(3)
    w = rng.standard_normal(4)
    d = e + w @ x  # a desired sample that makes the error 0.6
    assert d - (w + delta_w) @ x == pytest.approx(0.3)
    assert 2 * 4 + 3 == 11  # NLMS: 2N + 3 multiplications for N = 4


def test_rls_memory() -> None:
    assert pytest.approx(100) == 1 / (1 - 0.99)
    assert pytest.approx(1000) == 1 / (1 - 0.999)


def test_example_lms_against_rls_eigenvalues() -> None:
    eigenvalues = np.linalg.eigvalsh(toeplitz(0.9 ** np.arange(4)))
    assert round(float(eigenvalues.min()), 3) == 0.061
    assert round(float(eigenvalues.max()), 3) == 3.527
    assert round(float(eigenvalues.max() / eigenvalues.min()), 1) == 57.5
    assert 1 / (0.02 * eigenvalues.min()) == pytest.approx(815, abs=1)


def test_example_lms_against_rls_table() -> None:
    columns = (20, 50, 200, 1000, 3000)
    table = {
        ("lms", False): (0.396, 0.209, 0.028, 0.027, 0.020),
        ("rls", False): (0.047, 0.020, 0.014, 0.005, 0.004),
        ("lms", True): (0.749, 0.705, 0.559, 0.170, 0.016),
        ("rls", True): (0.119, 0.058, 0.013, 0.019, 0.010),
    }
    for (algorithm, colored), row in table.items():
        _, distance = identify(algorithm, colored=colored)
        assert tuple(after(distance, n) for n in columns) == row, (algorithm, colored)
