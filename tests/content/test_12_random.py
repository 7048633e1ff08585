"""Numbers of chapter 12, "Random signals and noise", recomputed (content/12-random-signals-and-noise.md)."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from scipy import integrate, signal, stats

CHAPTER = Path(__file__).resolve().parents[2] / "content" / "12-random-signals-and-noise.md"
BOLTZMANN = 1.380649e-23  # J/K, exact since the 2019 SI


def db(ratio: float) -> float:
    return 10 * math.log10(ratio)


def dbm(watts: float) -> float:
    return db(watts / 1e-3)


def psd(r: dict[int, float], omega: np.ndarray) -> np.ndarray:
    """DTFT of a finite, even autocorrelation given as {lag: value}."""
    return np.real(sum(value * np.exp(-1j * omega * lag) for lag, value in r.items()))


@pytest.fixture(scope="module")
def chapter_text() -> str:
    return CHAPTER.read_text(encoding="utf-8")


# --- Random variables: mean, variance and two common densities --------------------------------------------------------


@pytest.mark.parametrize(("a", "b"), [(0.0, 1.0), (-2.0, 5.0), (0.0, 6.0)])
def test_uniform_mean_and_variance_formulas(a: float, b: float) -> None:
    density = 1 / (b - a)
    mean = integrate.quad(lambda x: x * density, a, b)[0]
    mean_square = integrate.quad(lambda x: x * x * density, a, b)[0]
    assert mean == pytest.approx((a + b) / 2)
    assert mean_square == pytest.approx((a * a + a * b + b * b) / 3)
    assert mean_square - mean**2 == pytest.approx((b - a) ** 2 / 12)


def test_example_quantization_error_of_8_bit_adc() -> None:
    delta = 2 / 2**8
    assert delta == pytest.approx(7.8125e-3)
    assert delta**2 / 12 == pytest.approx(5.09e-6, rel=2e-3)
    assert delta / math.sqrt(12) == pytest.approx(2.26e-3, rel=3e-3)


def test_gaussian_interval_table() -> None:
    inside = [100 * (2 * stats.norm.cdf(k) - 1) for k in (1, 2, 3)]
    assert [round(p, 2) for p in inside] == [68.27, 95.45, 99.73]
    assert [round(100 - p, 2) for p in inside] == [31.73, 4.55, 0.27]


def test_example_peaks_of_gaussian_noise() -> None:
    sigma = 2e-3
    outside = 2 * stats.norm.sf(6e-3 / sigma)
    assert round(100 * outside, 2) == 0.27
    assert round(1 / outside) == 370


def test_example_two_independent_sources() -> None:
    assert math.sqrt(3**2 + 4**2) == 5
    rng = np.random.default_rng(12)
    a, b = 3 * rng.standard_normal(400_000), 4 * rng.standard_normal(400_000)
    assert np.std(a + b) == pytest.approx(5, rel=0.01)


# --- Random processes, stationarity and autocorrelation ---------------------------------------------------------------


def test_example_random_phase_sinusoid() -> None:
    amplitude, omega0 = 2.0, math.pi / 4
    theta = np.linspace(0, 2 * np.pi, 4096, endpoint=False)  # exact average over a uniform phase
    for n in (0, 3, 10):
        x_n = amplitude * np.cos(omega0 * n + theta)
        assert np.mean(x_n) == pytest.approx(0, abs=1e-12)
        for m, expected in ((0, 2.0), (2, 0.0), (4, -2.0), (1, 2 * math.cos(math.pi / 4))):
            x_nm = amplitude * np.cos(omega0 * (n + m) + theta)
            assert np.mean(x_nm * x_n) == pytest.approx(expected, abs=1e-12)


def test_example_moving_sum_autocorrelation() -> None:
    h, var_w = np.array([1.0, 0.5]), 4.0
    r = var_w * np.correlate(h, h, mode="full")  # lags -1, 0, 1
    assert r.tolist() == [2.0, 5.0, 2.0]
    assert r[1] == 5 and r[2] / r[1] == pytest.approx(0.4)
    rng = np.random.default_rng(5)
    w = 2 * rng.standard_normal(500_000)
    x = w[1:] + 0.5 * w[:-1]
    assert np.mean(x * x) == pytest.approx(5, rel=0.01)
    assert np.mean(x[1:] * x[:-1]) == pytest.approx(2, rel=0.02)
    assert np.mean(x[2:] * x[:-2]) == pytest.approx(0, abs=0.03)


def test_autocorrelation_bounded_by_lag_zero() -> None:
    rng = np.random.default_rng(3)
    x = signal.lfilter([1.0, 0.5, -0.3], [1.0, -0.6], rng.standard_normal(5000))
    r = np.correlate(x, x, mode="full") / len(x)
    middle = len(x) - 1
    assert np.argmax(np.abs(r)) == middle
    assert np.allclose(r[middle + 1 : middle + 20], r[middle - 1 : middle - 20 : -1])


# --- Power spectral density and white noise ---------------------------------------------------------------------------


def test_example_spectrum_of_the_moving_sum() -> None:
    omega = np.linspace(-np.pi, np.pi, 20_001)
    s = psd({-1: 2.0, 0: 5.0, 1: 2.0}, omega)
    assert np.allclose(s, 5 + 4 * np.cos(omega))
    assert s.max() == pytest.approx(9) and s[np.argmin(np.abs(omega))] == pytest.approx(9)
    assert s.min() == pytest.approx(1) and s[-1] == pytest.approx(1)
    assert np.all(s >= 0)
    assert integrate.trapezoid(s, omega) / (2 * np.pi) == pytest.approx(5, rel=1e-6)


def test_wiener_khinchin_expected_periodogram() -> None:
    """E{|X_N|^2}/N equals the triangle-weighted sum of r[m], and tends to the PSD."""
    r = {-1: 2.0, 0: 5.0, 1: 2.0}
    omega = np.linspace(-np.pi, np.pi, 101)
    for n_samples in (4, 16, 256):
        n = np.arange(n_samples)
        lags = n[:, None] - n[None, :]
        r_matrix = np.select([lags == 0, np.abs(lags) == 1], [5.0, 2.0], 0.0)
        expected = np.real(np.einsum("ij,wij->w", r_matrix, np.exp(-1j * omega[:, None, None] * lags)))
        weighted = np.real(
            sum(
                (1 - abs(m) / n_samples) * value * np.exp(-1j * omega * m)
                for m, value in r.items()
                if abs(m) < n_samples
            )
        )
        assert np.allclose(expected / n_samples, weighted)
    assert np.max(np.abs(weighted - (5 + 4 * np.cos(omega)))) == pytest.approx(4 / 256)


def test_example_noise_in_a_band() -> None:
    sigma, fs = 1e-3, 48_000
    one_sided = 2 * sigma**2 / fs
    assert one_sided == pytest.approx(4.17e-11, rel=1e-3)
    assert math.sqrt(one_sided) == pytest.approx(6.45e-6, rel=1e-3)
    in_band = one_sided * 4000
    assert in_band == pytest.approx(1.67e-7, rel=3e-3)
    assert math.sqrt(in_band) == pytest.approx(0.408e-3, rel=1e-3)
    assert in_band == pytest.approx(sigma**2 / 6)
    assert round(db(6), 2) == 7.78


def test_random_phase_sinusoid_psd_impulses_hold_its_power() -> None:
    amplitude = 2.0
    impulse_area = math.pi * amplitude**2 / 2
    assert 2 * impulse_area / (2 * math.pi) == pytest.approx(amplitude**2 / 2)


# --- Noise through LTI systems ----------------------------------------------------------------------------------------


def test_noise_gain_table() -> None:
    assert np.sum(np.full(4, 0.25) ** 2) == 0.25
    assert round(db(0.25), 2) == -6.02
    assert np.sum(np.array([1.0, -1.0]) ** 2) == 2
    assert round(db(2), 2) == 3.01
    a = 0.9
    gain = np.sum(a ** (2 * np.arange(2000)))
    assert gain == pytest.approx(1 / (1 - a * a))
    assert round(gain, 2) == 5.26 and round(db(gain), 2) == 7.21


def test_parseval_form_of_noise_gain() -> None:
    h = np.array([0.5, 1.0, 0.5])
    _, response = signal.freqz(h, worN=8192, whole=True)
    assert np.mean(np.abs(response) ** 2) == pytest.approx(np.sum(h**2))


def test_example_three_tap_filter() -> None:
    h, mean_x, var_x = np.array([0.5, 1.0, 0.5]), 1.0, 2.0
    assert mean_x * h.sum() == 2
    assert var_x * np.sum(h**2) == 3
    c_h = np.correlate(h, h, mode="full")
    assert c_h.tolist() == [0.25, 1.0, 1.5, 1.0, 0.25]
    c_y = var_x * c_h
    assert c_y.tolist() == [0.5, 2.0, 3.0, 2.0, 0.5]
    assert c_y[3] / c_y[2] == pytest.approx(2 / 3)
    omega = np.linspace(-np.pi, np.pi, 20_001)
    s_y = var_x * np.abs(h[0] + h[1] * np.exp(-1j * omega) + h[2] * np.exp(-2j * omega)) ** 2
    assert np.allclose(s_y, 2 * (1 + np.cos(omega)) ** 2)
    assert s_y[10_000] == pytest.approx(8) and s_y[-1] == pytest.approx(0, abs=1e-12)
    assert integrate.trapezoid(s_y, omega) / (2 * np.pi) == pytest.approx(3, rel=1e-6)
    assert 3 + 2**2 == 7


def test_example_three_tap_filter_simulation() -> None:
    rng = np.random.default_rng(12)
    x = 1.0 + math.sqrt(2.0) * rng.standard_normal(1_000_000)
    y = np.convolve(x, [0.5, 1.0, 0.5], mode="valid")
    fluctuation = y - y.mean()
    assert y.mean() == pytest.approx(2, rel=0.01)
    assert np.var(y) == pytest.approx(3, rel=0.01)
    assert np.mean(fluctuation[1:] * fluctuation[:-1]) == pytest.approx(2, rel=0.01)
    assert np.mean(fluctuation[2:] * fluctuation[:-2]) == pytest.approx(0.5, rel=0.03)
    assert np.mean(y * y) == pytest.approx(7, rel=0.01)


def test_shaping_white_noise_gives_the_moving_sum_psd() -> None:
    omega = np.linspace(-np.pi, np.pi, 1001)
    assert np.allclose(4 * np.abs(1 + 0.5 * np.exp(-1j * omega)) ** 2, 5 + 4 * np.cos(omega))
    assert round(1 / (1 - 0.81), 2) == 5.26


# --- Signal-to-noise ratio, noise power and thermal noise -------------------------------------------------------------


def test_example_snr_of_a_noisy_sine() -> None:
    assert pytest.approx(5000) == 0.5 / 1e-4
    assert round(db(5000), 2) == 36.99
    assert round(20 * math.log10((1 / math.sqrt(2)) / 0.01), 2) == 36.99


def test_dbm_definition_examples() -> None:
    assert dbm(1e-3) == 0
    assert dbm(1e-6) == pytest.approx(-30)


def test_power_addition_table() -> None:
    assert round(db(2), 2) == 3.01
    assert db(10) == 10
    assert round(db(4), 2) == 6.02
    assert round(db(1.1), 2) == 0.41


def test_example_adding_two_noise_levels() -> None:
    total_mw = 10 ** (-10 / 10) + 10 ** (-13 / 10)
    assert round(total_mw, 3) == 0.150
    assert round(db(total_mw), 2) == -8.24


def test_thermal_noise_floor_and_table() -> None:
    kt = BOLTZMANN * 290
    assert kt == pytest.approx(4.00e-21, rel=1e-3)
    assert round(dbm(kt), 2) == -173.98
    table = {1: -174, 1e3: -144, 1e6: -114, 20e6: -101}
    for bandwidth, level in table.items():
        assert round(dbm(kt * bandwidth)) == level


def test_resistor_noise_voltage_example() -> None:
    v_rms = math.sqrt(4 * BOLTZMANN * 290 * 1000 * 20_000)
    assert v_rms == pytest.approx(0.566e-6, rel=1e-3)


def test_example_best_possible_snr_of_a_receiver() -> None:
    noise = dbm(BOLTZMANN * 290 * 1e6)
    assert round(noise) == -114
    assert round(-90 - noise) == 24
    assert round(-90 - noise - 5) == 19


# --- Averaging, matched filtering and estimating statistics from data -------------------------------------------------


def test_averaging_gain() -> None:
    assert db(100) == 20
    assert round(db(2), 2) == 3.01
    rng = np.random.default_rng(7)
    records = rng.standard_normal((16, 200_000))
    assert np.var(records.mean(axis=0)) == pytest.approx(1 / 16, rel=0.02)


def test_example_matched_filtering_a_short_pulse() -> None:
    s, var = np.array([1.0, 2.0, 3.0, 2.0, 1.0]), 0.5
    energy = np.sum(s**2)
    assert energy == 19
    matched = s[::-1]
    snr = np.dot(matched, s[::-1]) ** 2 / (var * np.sum(matched**2))
    assert snr == pytest.approx(38)
    assert round(db(snr), 2) == 15.80
    assert round(db(3**2 / var), 2) == 12.55
    assert round(db(38 / 18), 2) == 3.25
    rng = np.random.default_rng(1)
    for _ in range(200):  # Cauchy–Schwarz: no other filter does better
        h = rng.standard_normal(5)
        assert np.dot(h, s[::-1]) ** 2 / (var * np.sum(h**2)) <= snr + 1e-9


def test_constant_pulse_matched_filter_is_averaging() -> None:
    length, amplitude, var = 8, 0.5, 0.1
    energy = length * amplitude**2
    assert (energy / var) / (amplitude**2 / var) == pytest.approx(length)


def test_sample_mean_standard_deviation() -> None:
    assert 2 / math.sqrt(400) == pytest.approx(0.1)


def test_biased_autocorrelation_shrink_factor() -> None:
    assert pytest.approx(0.8) == 1 - 20 / 100
    rng = np.random.default_rng(2)
    n_samples, m, trials = 100, 20, 4000
    phase = rng.uniform(0, 2 * np.pi, trials)
    n = np.arange(n_samples)
    x = np.sqrt(2) * np.cos(0.05 * np.pi * n[None, :] + phase[:, None])  # r[m] = cos(0.05 pi m)
    estimate = np.mean(np.sum(x[:, m:] * x[:, :-m], axis=1) / n_samples)
    assert estimate == pytest.approx(0.8 * math.cos(0.05 * math.pi * m), abs=0.02)


def test_example_estimates_from_five_samples() -> None:
    x = np.array([2.0, 1.0, -1.0, 1.0, 3.0])
    assert x.mean() == pytest.approx(1.2)
    assert np.sum(x * x) / 5 == pytest.approx(3.2)
    lag1 = np.sum(x[1:] * x[:-1])
    assert lag1 == 3
    assert lag1 / 5 == pytest.approx(0.6)
    assert lag1 / 4 == pytest.approx(0.75)


# --- The text states these numbers ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "phrase",
    [
        "7.8125",
        "68.27",
        "95.45",
        "99.73",
        "36.99",
        "-8.24",
        "-173.98",
        "0.566",
        "15.80",
        "12.55",
        "0.408",
        "7.78",
        "6.45",
        "7.21",
        "5.26",
    ],
)
def test_chapter_states_the_checked_numbers(chapter_text: str, phrase: str) -> None:
    assert phrase.replace("-", "−") in chapter_text or phrase in chapter_text
