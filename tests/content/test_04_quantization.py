"""Numbers of chapter 04, "Quantization and ADCs", recomputed (content/04-quantization-and-adcs.md)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import integrate

from chapters.demos import measured_snr_db, quantize, theoretical_snr_db


def mid_rise(x: np.ndarray | float, delta: float, xm: float) -> np.ndarray:
    q = delta * (np.floor(np.asarray(x) / delta) + 0.5)
    return np.clip(q, -xm + delta / 2, xm - delta / 2)


def mid_tread(x: np.ndarray | float, delta: float, xm: float) -> np.ndarray:
    q = delta * np.floor(np.asarray(x) / delta + 0.5)
    return np.clip(q, -xm, xm - delta)


def snr_full_scale(bits: int) -> float:
    return 10 * math.log10(1.5 * 2 ** (2 * bits))


# --- Uniform quantizers -----------------------------------------------------------------------------------------------


def test_step_size_examples() -> None:
    assert math.isclose(2.048 / 2**10, 2e-3)
    assert math.isclose(2.048 / 2**16, 31.25e-6)
    assert 2 / 2**3 == 0.25


def test_example_3bit_quantizer_levels() -> None:
    delta, xm = 0.25, 1.0
    fine = np.linspace(-1, 0.999, 4001)
    rise = np.unique(mid_rise(fine, delta, xm))
    tread = np.unique(mid_tread(fine, delta, xm))
    assert rise.tolist() == [-0.875, -0.625, -0.375, -0.125, 0.125, 0.375, 0.625, 0.875]
    assert tread.tolist() == [-1, -0.75, -0.5, -0.25, 0, 0.25, 0.5, 0.75]
    # the demo's quantizer (X_m = 1) is the same function
    assert np.array_equal(quantize(fine, 3, "mid-rise"), mid_rise(fine, delta, xm))
    assert np.array_equal(quantize(fine, 3, "mid-tread"), mid_tread(fine, delta, xm))


def test_example_3bit_quantizer_inputs() -> None:
    delta, xm = 0.25, 1.0
    cases = [  # input, mid-rise output, mid-tread output
        (0.3, 0.375, 0.25),
        (0.95, 0.875, 0.75),
        (-0.95, -0.875, -1.0),
    ]
    for x, rise, tread in cases:
        assert float(mid_rise(x, delta, xm)) == pytest.approx(rise)
        assert float(mid_tread(x, delta, xm)) == pytest.approx(tread)
    assert float(mid_rise(0.3, delta, xm)) - 0.3 == pytest.approx(0.075)
    assert float(mid_tread(0.3, delta, xm)) - 0.3 == pytest.approx(-0.05)
    assert float(mid_rise(0.95, delta, xm)) - 0.95 == pytest.approx(-0.075)
    assert float(mid_tread(0.95, delta, xm)) - 0.95 == pytest.approx(-0.2)  # overload: |e| > delta/2
    assert float(mid_tread(-0.95, delta, xm)) + 0.95 == pytest.approx(-0.05)
    # the granular region of the mid-rise quantizer is the whole range
    x = np.linspace(-1, 1, 10001)
    assert np.max(np.abs(mid_rise(x, delta, xm) - x)) <= delta / 2 + 1e-12


def test_example_codes_of_the_10bit_converter() -> None:
    delta = 2e-3
    ratio = 0.3337 / delta
    assert ratio == pytest.approx(166.85)
    code = round(ratio)
    assert code == 167 and code * delta == pytest.approx(0.334)
    assert (-(2**9), 2**9 - 1) == (-512, 511)


# --- The quantization error model -------------------------------------------------------------------------------------


def test_error_variance_is_delta_squared_over_12() -> None:
    delta = 0.37
    variance, _ = integrate.quad(lambda e: e**2 / delta, -delta / 2, delta / 2)
    assert variance == pytest.approx(delta**2 / 12)
    assert round(1 / math.sqrt(12), 3) == 0.289
    assert round(10 * math.log10(4), 2) == 6.02


def test_example_noise_of_a_10bit_converter() -> None:
    delta_mv = 2.0
    assert round(delta_mv**2 / 12, 3) == 0.333
    assert round(delta_mv / math.sqrt(12), 3) == 0.577


def test_code_snippet_error_variance() -> None:
    rng = np.random.default_rng(1)
    delta = 2 / 2**10
    x = rng.uniform(-0.9, 0.9, 100_000)
    e = delta * np.round(x / delta) - x
    assert e.var() / (delta**2 / 12) == pytest.approx(1, abs=0.02)


def test_table_when_the_model_fails() -> None:
    delta = 2 / 2**8
    assert float(mid_tread(0.3 * delta, delta, 1.0)) - 0.3 * delta == pytest.approx(-0.3 * delta)
    n = np.arange(400)
    small = 0.4 * delta * np.sin(2 * np.pi * 0.013 * n)
    assert np.all(mid_tread(small, delta, 1.0) == 0)
    # a sine with exactly 8 samples per period: the error repeats every 8 samples
    x = 0.9 * np.sin(2 * np.pi * n / 8 + 0.3)
    e = mid_tread(x, delta, 1.0) - x
    assert np.allclose(e[8:], e[:-8])


# --- SNR of a sine and ENOB -------------------------------------------------------------------------------------------


def test_snr_derivation_full_scale_sine() -> None:
    for bits in (3, 8, 12):
        delta = 2 / 2**bits
        amplitude = 2 ** (bits - 1) * delta
        assert amplitude == pytest.approx(1.0)
        assert (amplitude**2 / 2) / (delta**2 / 12) == pytest.approx(1.5 * 2 ** (2 * bits))
    assert round(10 * math.log10(1.5), 2) == 1.76
    assert round(20 * math.log10(2), 2) == 6.02


def test_table_full_scale_sine_snr() -> None:
    table = {8: 49.93, 10: 61.97, 12: 74.01, 16: 98.09, 24: 146.26}
    for bits, snr in table.items():
        assert round(snr_full_scale(bits), 2) == snr
        assert theoretical_snr_db(bits) == pytest.approx(snr, abs=0.005)
    # a measurement agrees with the model for a busy full-scale sine
    assert measured_snr_db(12, 1.0, "mid-rise") == pytest.approx(74.01, abs=0.3)


def test_uniform_and_noise_like_signals() -> None:
    bits, xm = 10, 1.0
    delta = 2 * xm / 2**bits
    assert (xm**2 / 3) / (delta**2 / 12) == pytest.approx(2 ** (2 * bits))
    sigma = xm / 4
    assert sigma**2 / (delta**2 / 12) == pytest.approx(3 * 2 ** (2 * bits) / 16)
    assert round(10 * math.log10(3 / 16), 2) == -7.27


def test_example_a_quiet_recording() -> None:
    snr = snr_full_scale(16) + 20 * math.log10(0.1)
    assert round(snr, 2) == 78.09
    assert round((78.09 - 1.76) / 6.02, 1) == 12.7


def test_demo_snr_drops_20db_with_amplitude() -> None:
    full = measured_snr_db(8, 1.0, "mid-rise")
    tenth = measured_snr_db(8, 0.1, "mid-rise")
    assert full == pytest.approx(49.9, abs=0.5)
    assert full - tenth == pytest.approx(20, abs=1.0)
    assert theoretical_snr_db(9) - theoretical_snr_db(8) == pytest.approx(6.02, abs=0.01)


def test_example_enob_of_a_14bit_adc() -> None:
    assert round((68.0 - 1.76) / 6.02, 1) == 11.0
    assert round(6.02 * 14 + 1.76, 1) == 86.0


# --- Oversampling and noise shaping -----------------------------------------------------------------------------------


def first_order_inband_exact(osr: float) -> float:
    """In-band noise / (delta^2/12) for NTF = 1 - z^-1: (2/pi)(wB - sin wB)."""
    wb = math.pi / osr
    return 2 * (wb - math.sin(wb)) / math.pi


def test_example_three_extra_bits_from_oversampling() -> None:
    osr = 1.024e6 / (2 * 8000)
    assert osr == 64
    gain = 10 * math.log10(osr)
    assert round(gain, 2) == 18.06
    assert round(snr_full_scale(12) + gain, 2) == 92.07
    assert round(snr_full_scale(15), 2) == 92.07
    assert round(10 * math.log10(2), 2) == 3.01


def test_plain_oversampling_simulation() -> None:
    # white quantization error: the share in |f| < fs/(2 OSR) is 1/OSR of the total
    rng = np.random.default_rng(2)
    delta = 2 / 2**8
    x = rng.uniform(-0.9, 0.9, 2**16)
    e = mid_tread(x, delta, 1.0) - x
    power = np.abs(np.fft.fft(e)) ** 2
    osr = 8
    band = len(e) // (2 * osr)
    inband = (power[:band].sum() + power[-band:].sum()) / power.sum()
    assert 10 * math.log10(1 / inband) == pytest.approx(10 * math.log10(osr), abs=0.3)


def test_noise_shaping_loop_equation() -> None:
    rng = np.random.default_rng(4)
    x = 0.5 * rng.uniform(-1, 1, 500)
    delta = 2 / 2**6
    u_prev, y_prev = 0.0, 0.0
    y, e = np.zeros(500), np.zeros(500)
    for n in range(500):
        u = u_prev + x[n] - y_prev
        y[n] = delta * math.floor(u / delta + 0.5)
        e[n] = y[n] - u
        u_prev, y_prev = u, y[n]
    e_prev = np.concatenate([[0.0], e[:-1]])
    assert np.allclose(y, x + e - e_prev)


def test_first_order_noise_shaping_formulas() -> None:
    w = np.linspace(0, np.pi, 100001)
    ntf2 = np.abs(1 - np.exp(-1j * w)) ** 2
    assert np.allclose(ntf2, 4 * np.sin(w / 2) ** 2)
    assert np.trapezoid(ntf2, w) / np.pi == pytest.approx(2)  # total noise doubles
    for osr in (16, 64, 256):
        wb = np.pi / osr
        numeric, _ = integrate.quad(lambda v: 4 * math.sin(v / 2) ** 2, 0, wb)
        assert numeric / math.pi == pytest.approx(first_order_inband_exact(osr))
        assert first_order_inband_exact(osr) == pytest.approx(math.pi**2 / (3 * osr**3), rel=0.01)
    assert round(10 * math.log10(math.pi**2 / 3), 2) == 5.17
    assert round(30 * math.log10(2), 2) == 9.03
    per_doubling = 10 * math.log10(first_order_inband_exact(32) / first_order_inband_exact(64))
    assert per_doubling == pytest.approx(9.03, abs=0.01)


def test_first_order_modulator_gains_9db_per_doubling_in_simulation() -> None:
    # a first-order loop with an 8-bit quantizer and a busy input; measure the in-band error at OSR 16 and 32
    n_samples = 2**16
    rng = np.random.default_rng(7)
    x = 0.5 * rng.uniform(-1, 1, n_samples)
    delta = 2 / 2**8
    y = np.zeros(n_samples)
    u, y_prev = 0.0, 0.0
    for n in range(n_samples):
        u = u + x[n] - y_prev
        y_prev = delta * math.floor(u / delta + 0.5)
        y[n] = y_prev
    power = np.abs(np.fft.fft(y - x)) ** 2

    def inband(osr: int) -> float:
        band = n_samples // (2 * osr)
        return float(power[1:band].sum() + power[-band + 1 :].sum())

    assert 10 * math.log10(inband(16) / inband(32)) == pytest.approx(9.03, abs=0.6)


def test_second_order_noise_shaping() -> None:
    assert round(10 * math.log10(math.pi**4 / 5), 2) == 12.90
    assert round(50 * math.log10(2), 2) == 15.05
    for osr in (16, 64, 256):
        wb = math.pi / osr
        exact, _ = integrate.quad(lambda v: 16 * math.sin(v / 2) ** 4, 0, wb)
        assert exact / math.pi == pytest.approx(math.pi**4 / (5 * osr**5), rel=0.01)


def test_table_oversampling_gains() -> None:
    table = {16: (12.04, 30.95, 47.31), 64: (18.06, 49.01, 77.41), 256: (24.08, 67.08, 107.52)}
    for osr, (plain, first, second) in table.items():
        assert round(10 * math.log10(osr), 2) == plain
        assert round(30 * math.log10(osr) - 10 * math.log10(math.pi**2 / 3), 2) == first
        assert round(50 * math.log10(osr) - 10 * math.log10(math.pi**4 / 5), 2) == second


def test_example_first_order_modulator_with_a_constant_input() -> None:
    u_prev, y_prev = 0.0, 0.0
    us, ys = [], []
    for _ in range(16):
        u = u_prev + 0.25 - y_prev
        y = 1.0 if u >= 0 else -1.0
        us.append(u)
        ys.append(y)
        u_prev, y_prev = u, y
    assert us[:8] == [0.25, -0.5, 0.75, 0.0, -0.75, 0.5, -0.25, 1.0]
    assert ys[:8] == [1, -1, 1, 1, -1, 1, -1, 1]
    assert us[8] == 0.25 and us[8:] == us[:8]
    assert ys[:8].count(1) == 5 and sum(ys[:8]) / 8 == 0.25


def test_one_bit_predictions_at_osr_64() -> None:
    first = snr_full_scale(1) - 10 * math.log10(math.pi**2 / 3) + 30 * math.log10(64)
    second = snr_full_scale(1) - 10 * math.log10(math.pi**4 / 5) + 50 * math.log10(64)
    assert round(first, 1) == 56.8
    assert round(second, 1) == 85.2


# --- Dither -----------------------------------------------------------------------------------------------------------


def dithered_error_moments(x: float, dither: np.ndarray, delta: float = 1.0) -> tuple[float, float]:
    total = delta * np.floor((x + dither) / delta + 0.5) - x
    return float(total.mean()), float(np.mean(total**2))


def test_rpdf_and_tpdf_dither_moments() -> None:
    # dither values on a fine grid stand in for the continuous densities
    grid = (np.arange(4000) + 0.5) / 4000 - 0.5  # uniform on [-1/2, 1/2] in units of delta
    rpdf = grid
    tpdf = (grid[:, None] + grid[None, ::8]).ravel()  # sum of two uniforms: triangular on [-1, 1]
    rpdf_powers = []
    for c in np.linspace(0, 0.95, 20):
        mean, power = dithered_error_moments(c, rpdf)
        assert mean == pytest.approx(0, abs=1e-3)
        assert power == pytest.approx(c * (1 - c), abs=2e-3)
        rpdf_powers.append(power)
        mean, power = dithered_error_moments(c, tpdf)
        assert mean == pytest.approx(0, abs=1e-3)
        assert power == pytest.approx(1 / 4, abs=2e-3)
    assert dithered_error_moments(0.5, rpdf)[1] == pytest.approx(1 / 4, abs=1e-3)
    # averaged over positions in the step, RPDF gives delta^2/6
    c = np.linspace(0, 1, 100001)
    assert np.trapezoid(c * (1 - c), c) == pytest.approx(1 / 6)
    assert np.var(tpdf) == pytest.approx(1 / 6, rel=0.01)


def test_table_dither_penalties() -> None:
    assert round(10 * math.log10((1 / 6) / (1 / 12)), 2) == 3.01
    assert round(10 * math.log10((1 / 4) / (1 / 12)), 2) == 4.77
    assert math.isclose(1 / 12 + 1 / 6, 1 / 4)


def test_example_measuring_below_one_step() -> None:
    rng = np.random.default_rng(11)
    delta = 1.0
    x = 0.3 * delta
    assert float(mid_tread(x, delta, 100.0)) == 0
    d = rng.uniform(-0.5, 0.5, 200_000)
    out = mid_tread(x + d, delta, 100.0)
    assert set(np.unique(out)) == {0.0, 1.0}
    assert np.mean(out == 1.0) == pytest.approx(0.3, abs=0.005)
    assert np.mean(out) == pytest.approx(0.3, abs=0.005)
    assert round(math.sqrt(0.3 * 0.7 / 1000), 3) == 0.014
    means = out[: 1000 * 200].reshape(200, 1000).mean(axis=1)
    assert np.std(means) == pytest.approx(0.0145, abs=0.003)


def test_example_a_tone_smaller_than_half_a_step() -> None:
    rng = np.random.default_rng(12)
    delta = 1.0
    n = np.arange(64)
    x = 0.4 * delta * np.sin(2 * np.pi * 3 * n / 64)
    assert np.all(mid_tread(x, delta, 100.0) == 0)
    trials = 4000
    d = rng.uniform(-0.5, 0.5, (trials, 64)) + rng.uniform(-0.5, 0.5, (trials, 64))
    out = mid_tread(x + d, delta, 100.0)
    assert set(np.unique(out)) <= {-1.0, 0.0, 1.0}
    assert np.max(np.abs(out.mean(axis=0) - x)) < 0.05
    # the tone keeps its amplitude in the spectrum of one long dithered record
    spectrum = np.fft.rfft(out.ravel()) / (trials * 64 / 2)
    assert abs(spectrum[3 * trials]) == pytest.approx(0.4, abs=0.02)


def test_dithered_16bit_snr() -> None:
    assert round(snr_full_scale(16) - 10 * math.log10(3), 2) == 93.32


# --- ADC architectures ------------------------------------------------------------------------------------------------


def test_flash_comparator_counts_and_sar_rate() -> None:
    assert 2**8 - 1 == 255 and 2**10 - 1 == 1023
    assert 24e6 / 12 == 2e6


def test_example_4bit_sar_conversion() -> None:
    vref, bits, vin = 1.6, 4, 1.07
    delta = vref / 2**bits
    assert delta == pytest.approx(0.1)
    code, trials = 0, []
    for bit in reversed(range(bits)):
        trial = code | (1 << bit)
        dac = trial * delta
        keep = vin >= dac
        trials.append((format(trial, "04b"), round(dac, 6), keep))
        if keep:
            code = trial
    assert trials == [("1000", 0.8, True), ("1100", 1.2, False), ("1010", 1.0, True), ("1011", 1.1, False)]
    assert code == 0b1010 == 10 == math.floor(vin / delta)
    assert code * delta == pytest.approx(1.0)


def test_jitter_limited_snr() -> None:
    assert round(-20 * math.log10(2 * math.pi * 10e6 * 1e-12), 1) == 84.0
    assert round(-20 * math.log10(2 * math.pi * 100e6 * 1e-12), 1) == 64.0
    # simulate: sample a 10 MHz sine at instants with 1 ps rms jitter
    rng = np.random.default_rng(9)
    t = np.arange(200_000) / 97e6
    jittered = np.sin(2 * np.pi * 10e6 * (t + rng.normal(0, 1e-12, t.size)))
    ideal = np.sin(2 * np.pi * 10e6 * t)
    snr = 10 * math.log10(np.mean(ideal**2) / np.mean((jittered - ideal) ** 2))
    assert snr == pytest.approx(84.0, abs=0.2)
