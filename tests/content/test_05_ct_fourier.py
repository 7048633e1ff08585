"""Numbers of chapter 05 (Continuous-time Fourier analysis), recomputed with numpy/scipy."""

import math

import numpy as np
import pytest
from scipy import integrate, optimize, signal, special


def pulse_train_coefficient(k: int, duty: float) -> float:
    """a_k of the 0/1 pulse train centred on t = 0, by numerical integration of the analysis equation."""
    period = 1.0
    value, _ = integrate.quad(lambda t: math.cos(2 * math.pi * k * t / period), -duty / 2, duty / 2)
    return value / period  # the pulse is even, so the sine part integrates to zero


# --- Fourier series -------------------------------------------------------------------------------


def test_orthogonality_of_harmonics():
    t = np.linspace(0, 1, 4096, endpoint=False)
    for k in range(-3, 4):
        for m in range(-3, 4):
            average = np.mean(np.exp(2j * np.pi * (k - m) * t))
            assert average == pytest.approx(1.0 if k == m else 0.0, abs=1e-12)


def test_pulse_train_formula_matches_analysis_integral():
    for duty in (0.25, 0.5, 0.1):
        for k in range(1, 9):
            closed = math.sin(math.pi * k * duty) / (math.pi * k)
            assert pulse_train_coefficient(k, duty) == pytest.approx(closed, abs=1e-12)
            assert closed == pytest.approx(duty * np.sinc(k * duty), abs=1e-15)


def test_example_25_percent_pulse_train():
    values = [pulse_train_coefficient(k, 0.25) for k in range(5)]
    assert values[0] == pytest.approx(0.25)
    assert [round(v, 4) for v in values[1:4]] == [0.2251, 0.1592, 0.0750]
    assert values[4] == pytest.approx(0, abs=1e-12)
    assert pulse_train_coefficient(8, 0.25) == pytest.approx(0, abs=1e-12)
    assert round(2 * values[1], 3) == 0.450


def test_table_coefficients_of_pulse_trains():
    quarter = [0.2500, 0.2251, 0.1592, 0.0750, 0.0, -0.0450]
    half = [0.5000, 0.3183, 0.0, -0.1061, 0.0, 0.0637]
    for k in range(6):
        assert pulse_train_coefficient(k, 0.25) == pytest.approx(quarter[k], abs=5e-5)
        assert pulse_train_coefficient(k, 0.5) == pytest.approx(half[k], abs=5e-5)


def test_plus_minus_one_square_wave_series():
    t = np.linspace(-0.5, 0.5, 2001)
    partial = 4 / np.pi * sum((-1) ** m * np.cos(2 * np.pi * (2 * m + 1) * t) / (2 * m + 1) for m in range(2000))
    square = np.where(np.abs(t) < 0.25, 1.0, -1.0)
    away_from_edges = np.abs(np.abs(t) - 0.25) > 0.02
    assert np.max(np.abs(partial - square)[away_from_edges]) < 0.02
    assert round(4 / math.pi, 3) == 1.273


def test_lti_scales_each_harmonic():
    period = 1e-3
    omega0 = 2 * math.pi / period
    k = np.arange(-5, 6)
    a = np.array([pulse_train_coefficient(int(abs(i)), 0.25) for i in k])
    rc = 1e-4
    gains = 1 / (1 + 1j * k * omega0 * rc)
    t = np.linspace(0, period, 64, endpoint=False)
    y = np.real(np.sum((a * gains)[:, None] * np.exp(1j * np.outer(k, omega0 * t)), axis=0))
    assert np.mean(y) == pytest.approx(0.25)  # the DC gain of the RC filter is 1


# --- Parseval's relation and the Gibbs phenomenon -------------------------------------------------


def test_example_power_of_square_wave_by_harmonic():
    total = 0.5
    dc = 0.5**2
    fundamental = 2 * (1 / math.pi) ** 2
    third = 2 * (1 / (3 * math.pi)) ** 2
    assert dc / total == pytest.approx(0.5)
    assert round(fundamental, 4) == 0.2026
    assert round(fundamental / total * 100, 1) == 40.5
    assert round(third, 4) == 0.0225
    assert round(third / total * 100, 1) == 4.5
    assert round(dc + fundamental + third, 4) == 0.4752
    assert round((dc + fundamental + third) / total * 100, 1) == 95.0
    k = np.arange(1, 400_001, 2)
    assert dc + np.sum(2 / (k * np.pi) ** 2) == pytest.approx(total, abs=1e-6)
    assert np.sum(1 / k**2) == pytest.approx(math.pi**2 / 8, abs=1e-5)
    plus_minus_fundamental = (4 / math.pi) ** 2 / 2
    assert plus_minus_fundamental == pytest.approx(8 / math.pi**2)
    assert round(plus_minus_fundamental, 3) == 0.811


def test_parseval_numerically_for_pulse_train():
    t = np.linspace(-0.5, 0.5, 200_000, endpoint=False)
    x = (np.abs(t) < 0.125).astype(float)
    k = np.arange(1, 200_001)
    coefficients = np.sin(np.pi * k * 0.25) / (np.pi * k)
    assert np.mean(x**2) == pytest.approx(0.25**2 + 2 * np.sum(coefficients**2), abs=1e-5)


def gibbs_peak(highest: int) -> tuple[float, float]:
    """Peak value and position (in periods after the rising edge) of the ±1 square-wave partial sum."""
    k = np.arange(1, highest + 1, 2)

    def partial(t: float) -> float:
        return float(4 / np.pi * np.sum(np.sin(2 * np.pi * k * t) / k))

    guess = 1 / (2 * (highest + 1))
    result = optimize.minimize_scalar(lambda t: -partial(t), bounds=(0.5 * guess, 1.5 * guess), method="bounded")
    return -result.fun, result.x


@pytest.mark.parametrize(
    ("highest", "peak", "where"),
    [(1, 1.273, 0.25), (3, 1.200, 0.125), (9, 1.182, 0.05), (49, 1.179, 0.01), (199, 1.179, 0.0025)],
)
def test_table_gibbs_peaks(highest: int, peak: float, where: float):
    value, position = gibbs_peak(highest)
    assert round(value, 3) == peak
    assert position == pytest.approx(where, rel=1e-3)


def test_gibbs_overshoot_is_about_nine_percent_of_jump():
    limit = 2 / math.pi * special.sici(math.pi)[0]  # limiting peak of the ±1 square wave
    assert limit == pytest.approx(1.179, abs=5e-4)
    overshoot_fraction = (limit - 1) / 2
    assert round(overshoot_fraction * 100, 2) == 8.95


def test_partial_sums_pass_through_midpoint_of_jump():
    k = np.arange(1, 100, 2)
    zero_one_square = 0.5 + 2 / np.pi * np.sum(np.sin(2 * np.pi * k * 0.0) / k)
    assert zero_one_square == pytest.approx(0.5)


def test_coefficient_decay_rates():
    k = np.array([11, 101, 1001])
    square = np.abs(np.sin(k * np.pi / 2) / (k * np.pi))
    assert np.allclose(square * k, 1 / np.pi)  # jumps: 1/k
    t = np.linspace(0, 1, 100_000, endpoint=False)
    triangle = 1 - 4 * np.abs(((t + 0.5) % 1) - 0.5)  # corners, no jumps
    for harmonic in (1, 11, 101):
        numeric = np.abs(np.mean(triangle * np.exp(-2j * np.pi * harmonic * t)))
        assert numeric == pytest.approx(4 / (np.pi**2 * harmonic**2), rel=1e-3)  # 1/k²


# --- The Fourier transform and common pairs ------------------------------------------------------


def fourier(x, omega: float, lower: float, upper: float) -> complex:
    real, _ = integrate.quad(lambda t: x(t) * math.cos(omega * t), lower, upper, limit=400)
    imag, _ = integrate.quad(lambda t: -x(t) * math.sin(omega * t), lower, upper, limit=400)
    return complex(real, imag)


def test_rect_pulse_pair():
    tau = 2e-3
    for f in (0.0, 100.0, 250.0, 500.0, 730.0):
        omega = 2 * math.pi * f
        numeric = fourier(lambda t: 1.0, omega, -tau / 2, tau / 2)
        assert numeric.real == pytest.approx(tau * np.sinc(f * tau), abs=1e-12)
        assert numeric.imag == pytest.approx(0, abs=1e-12)


def test_example_two_spectra_in_numbers():
    tau = 2e-3
    assert tau * np.sinc(0) == 2e-3
    assert tau * np.sinc(500 * tau) == pytest.approx(0, abs=1e-18)
    assert tau * np.sinc(250 * tau) == pytest.approx(2e-3 * 2 / math.pi)
    assert round(tau * np.sinc(250 * tau) * 1e3, 3) == 1.273
    assert round(20 * math.log10(2 / math.pi), 2) == -3.92
    value = 1 / (3 + 3j)
    assert abs(value) == pytest.approx(1 / (3 * math.sqrt(2)))
    assert round(abs(value), 4) == 0.2357
    assert math.degrees(np.angle(value)) == pytest.approx(-45)
    numeric = fourier(lambda t: math.exp(-3 * t), 3.0, 0, 40)
    assert numeric == pytest.approx(value, abs=1e-9)


def test_one_sided_exponential_pair():
    a = 2.0
    for omega in (0.0, 1.0, 5.0):
        assert fourier(lambda t: math.exp(-a * t), omega, 0, 40) == pytest.approx(1 / (a + 1j * omega), abs=1e-9)


def test_gaussian_pair():
    sigma = 0.7
    for omega in (0.0, 1.0, 3.0):
        numeric = fourier(lambda t: math.exp(-(t**2) / (2 * sigma**2)), omega, -20, 20)
        expected = sigma * math.sqrt(2 * math.pi) * math.exp(-(sigma**2) * omega**2 / 2)
        assert numeric.real == pytest.approx(expected, abs=1e-10)


# --- Properties of the Fourier transform ----------------------------------------------------------


def test_time_shift_and_scaling_properties():
    def x(t):
        return math.exp(-(t**2))

    t0, a, omega = 0.8, 2.5, 1.7
    shifted = fourier(lambda t: x(t - t0), omega, -20, 20)
    assert shifted == pytest.approx(np.exp(-1j * omega * t0) * fourier(x, omega, -20, 20), abs=1e-10)
    scaled = fourier(lambda t: x(a * t), omega, -20, 20)
    assert scaled == pytest.approx(fourier(x, omega / a, -20, 20) / a, abs=1e-10)


def test_example_delayed_pulse():
    tau, f = 1e-3, 300.0
    omega = 2 * math.pi * f
    numeric = fourier(lambda t: 1.0, omega, 0, tau)
    assert numeric == pytest.approx(tau * np.sinc(f * tau) * np.exp(-1j * omega * tau / 2), abs=1e-12)


def test_example_tone_burst():
    tau, fc = 2e-3, 1e4

    def burst(t):
        return math.cos(2 * math.pi * fc * t)

    peak = fourier(burst, 2 * math.pi * fc, -tau / 2, tau / 2)
    assert peak.real == pytest.approx(1e-3, rel=1e-6)
    for edge in (9.5e3, 10.5e3):
        assert abs(fourier(burst, 2 * math.pi * edge, -tau / 2, tau / 2)) == pytest.approx(0, abs=1e-9)


def test_example_duality_sinc_has_rectangular_spectrum():
    w = 3.0
    omega = np.linspace(-10, 10, 4001)
    d_omega = omega[1] - omega[0]
    spectrum = (np.abs(omega) < w).astype(float)
    for t in (0.1, 0.5, 1.3):
        inverse = np.sum(spectrum * np.exp(1j * omega * t)) * d_omega / (2 * np.pi)
        assert inverse.real == pytest.approx(math.sin(w * t) / (math.pi * t), abs=2e-3)


def test_example_parseval_for_decaying_exponential():
    time_energy, _ = integrate.quad(lambda t: math.exp(-4 * t), 0, np.inf)
    freq_energy, _ = integrate.quad(lambda w: 1 / (4 + w**2), -np.inf, np.inf)
    assert time_energy == pytest.approx(0.25)
    assert freq_energy / (2 * math.pi) == pytest.approx(0.25)


def test_example_convolution_of_two_exponentials():
    for omega in (0.0, 0.9, 4.0):
        product = 1 / ((1 + 1j * omega) * (2 + 1j * omega))
        assert product == pytest.approx(1 / (1 + 1j * omega) - 1 / (2 + 1j * omega))
    dt = 1e-4
    t = np.arange(0, 15, dt)
    y = signal.fftconvolve(np.exp(-t), np.exp(-2 * t))[: len(t)] * dt
    assert np.max(np.abs(y - (np.exp(-t) - np.exp(-2 * t)))) < 1e-3
    peak = math.log(2)
    assert math.exp(-peak) - math.exp(-2 * peak) == pytest.approx(0.25)
    assert round(peak, 3) == 0.693


def test_differentiation_property():
    omega = 1.3

    def derivative(t):
        return -2 * t * math.exp(-(t**2))

    assert fourier(derivative, omega, -20, 20) == pytest.approx(
        1j * omega * fourier(lambda t: math.exp(-(t**2)), omega, -20, 20), abs=1e-10
    )


# --- Bandwidth and the time-bandwidth trade-off ----------------------------------------------------


def test_example_rect_pulse_bandwidth_and_main_lobe_energy():
    tau = 1e-6
    assert 1 / tau == pytest.approx(1e6)
    fraction, _ = integrate.quad(lambda v: np.sinc(v) ** 2, -1, 1)
    assert round(fraction * 100, 1) == 90.3


def test_example_exponential_half_power_bandwidth():
    a = 1000.0
    assert 1 / (a**2 + a**2) == pytest.approx(0.5 / a**2)
    assert round(a / (2 * math.pi), 1) == 159.2


def test_example_exponential_ninety_percent_bandwidth():
    a = 1000.0
    w = a * math.tan(0.45 * math.pi)
    energy, _ = integrate.quad(lambda v: 1 / (a**2 + v**2), -w, w)
    assert energy / (2 * math.pi) / (1 / (2 * a)) == pytest.approx(0.9)
    assert round(w / a, 2) == 6.31
    assert round(w / (2 * math.pi)) == 1005
    assert w / (2 * math.pi) / (a / (2 * math.pi)) > 6


def test_table_time_bandwidth_products():
    assert 1 / (2 * math.pi) == pytest.approx(0.159, abs=5e-4)
    sigma = 0.4
    t = np.linspace(-10, 10, 200_001)
    x2 = np.exp(-(t**2) / sigma**2)
    sigma_t = math.sqrt(np.sum(t**2 * x2) / np.sum(x2))
    omega = np.linspace(-100, 100, 200_001)
    spectrum2 = np.exp(-(sigma**2) * omega**2)
    sigma_omega = math.sqrt(np.sum(omega**2 * spectrum2) / np.sum(spectrum2))
    assert sigma_t == pytest.approx(sigma / math.sqrt(2), rel=1e-6)
    assert sigma_omega == pytest.approx(1 / (sigma * math.sqrt(2)), rel=1e-6)
    assert sigma_t * sigma_omega == pytest.approx(0.5, rel=1e-6)


def test_non_gaussian_pulse_exceeds_uncertainty_bound():
    # x(t) = 1/(1 + t²) has |X(jΩ)| = π e^{-|Ω|}: σ_t = 1, σ_Ω = 1/√2, product ≈ 0.707 > 1/2
    t = np.linspace(-2000, 2000, 2_000_001)
    x2 = 1 / (1 + t**2) ** 2
    sigma_t = math.sqrt(np.sum(t**2 * x2) / np.sum(x2))
    omega = np.linspace(-60, 60, 1_200_001)
    spectrum2 = np.exp(-2 * np.abs(omega))
    sigma_omega = math.sqrt(np.sum(omega**2 * spectrum2) / np.sum(spectrum2))
    assert sigma_t * sigma_omega > 0.5


def test_tone_burst_of_10_ms_main_lobe():
    tau = 10e-3
    assert 1000 - 1 / tau == pytest.approx(900)
    assert 1000 + 1 / tau == pytest.approx(1100)


# --- Frequency response of continuous-time LTI systems --------------------------------------------


def rc_response(f: float, rc: float) -> complex:
    return 1 / (1 + 2j * math.pi * f * rc)


def test_three_db_point():
    assert 20 * math.log10(1 / math.sqrt(2)) == pytest.approx(-3.01, abs=0.005)


@pytest.mark.parametrize(
    ("ratio", "magnitude", "db", "phase"),
    [
        (0.1, 0.995, -0.04, -5.7),
        (0.5, 0.894, -0.97, -26.6),
        (1, 0.707, -3.01, -45.0),
        (2, 0.447, -6.99, -63.4),
        (10, 0.0995, -20.04, -84.3),
    ],
)
def test_table_rc_response(ratio: float, magnitude: float, db: float, phase: float):
    value = 1 / (1 + 1j * ratio)
    digits = 4 if magnitude < 0.1 else 3
    assert round(abs(value), digits) == magnitude
    assert round(20 * math.log10(abs(value)), 2) == db
    assert round(math.degrees(np.angle(value)), 1) == phase


def test_example_rc_filter():
    rc = 1e3 * 100e-9
    assert rc == pytest.approx(100e-6)
    fc = 1 / (2 * math.pi * rc)
    assert round(fc, 1) == 1591.5
    at_1k = rc_response(1000, rc)
    assert round(1000 / fc, 4) == 0.6283
    assert round(abs(at_1k), 4) == 0.8467
    assert round(2 * abs(at_1k), 3) == 1.693
    assert round(math.degrees(np.angle(at_1k)), 1) == -32.1
    at_10k = rc_response(10_000, rc)
    assert round(abs(at_10k), 4) == 0.1572
    assert round(20 * math.log10(abs(at_10k)), 2) == -16.07
    assert round(math.degrees(np.angle(at_10k))) == -81
    rise = rc * math.log(9)
    assert round(rise * 1e6, 1) == 219.7
    assert round(rise * fc, 2) == 0.35


def test_rc_step_rise_time_by_simulation():
    rc, dt = 100e-6, 1e-8
    t = np.arange(0, 1e-3, dt)
    step = 1 - np.exp(-t / rc)
    rise = t[np.argmax(step >= 0.9)] - t[np.argmax(step >= 0.1)]
    assert rise == pytest.approx(rc * math.log(9), rel=1e-3)


def test_rc_twenty_db_per_decade():
    rc = 1e-4
    fc = 1 / (2 * math.pi * rc)
    drop = 20 * math.log10(abs(rc_response(100 * fc, rc)) / abs(rc_response(1000 * fc, rc)))
    assert drop == pytest.approx(20, abs=0.01)


def test_rc_impulse_response_transform():
    rc = 0.5
    for omega in (0.0, 1.0, 4.0):
        numeric = fourier(lambda t: math.exp(-t / rc) / rc, omega, 0, 40)
        assert numeric == pytest.approx(1 / (1 + 1j * omega * rc), abs=1e-9)
