"""Numbers stated in content/06-dtft.md, recomputed with numpy/scipy."""

import numpy as np
import pytest
from scipy import signal

from chapters.demos import leakage_spectrum


def dtft(x, w, n0=0):
    """DTFT of the finite sequence x (first sample at index n0) at the frequencies w."""
    n = np.arange(len(x)) + n0
    return np.exp(-1j * np.outer(np.atleast_1d(w), n)) @ np.asarray(x, dtype=complex)


def db(x):
    return 20 * np.log10(np.abs(x))


# --- Definition, inverse and convergence ----------------------------------------------------------


def test_dtft_is_2pi_periodic():
    x = np.random.default_rng(1).standard_normal(12)
    w = np.linspace(-np.pi, np.pi, 50)
    assert np.allclose(dtft(x, w), dtft(x, w + 2 * np.pi))


def test_inverse_dtft_recovers_the_sequence():
    x = np.array([3.0, -1.0, 2.0, 0.5])
    w = np.linspace(-np.pi, np.pi, 4096, endpoint=False)  # a rectangle rule is exact for trig polynomials
    spectrum = dtft(x, w)
    recovered = [np.mean(spectrum * np.exp(1j * w * n)).real for n in range(4)]
    assert np.allclose(recovered, x)


def test_example_two_sample_difference():
    x = [1.0, 0.0, -1.0]
    w = np.array([0.0, np.pi / 4, np.pi / 2, np.pi])
    assert np.allclose(np.abs(dtft(x, w)), [0.0, np.sqrt(2), 2.0, 0.0], atol=1e-12)
    assert np.allclose(dtft(x, w), 2j * np.exp(-1j * w) * np.sin(w))
    grid = np.linspace(-np.pi, np.pi, 1024, endpoint=False)
    assert np.mean(dtft(x, grid)).real == pytest.approx(1.0)


def test_example_ideal_lowpass_energy():
    wc, k = np.pi / 4, 200_000
    n = np.arange(1, k + 1)
    h = np.sin(wc * n) / (np.pi * n)
    assert wc / np.pi == 0.25
    energy = 0.25**2 + 2 * np.sum(h**2)
    assert energy == pytest.approx(0.25, abs=1e-5)
    # not absolutely summable: the partial sums of |h| keep growing like ln K
    growth = (1 + np.sqrt(2)) / (4 * np.pi) * np.log(100)
    assert np.sum(np.abs(h[1000:100_000])) == pytest.approx(growth, rel=0.01)


def test_gibbs_overshoot_about_9_percent():
    wc = np.pi / 4
    for k in (200, 2000):
        n = np.arange(1, k + 1)
        h = np.sin(wc * n) / (np.pi * n)
        w = np.linspace(0.70, 0.7854, 4001)
        partial = wc / np.pi + 2 * np.cos(np.outer(w, n)) @ h
        assert partial.max() == pytest.approx(1.09, abs=0.005)


# --- Common pairs ---------------------------------------------------------------------------------


def test_impulse_and_delayed_impulse_pairs():
    w = np.linspace(-np.pi, np.pi, 9)
    assert np.allclose(dtft([1.0], w), 1.0)
    assert np.allclose(dtft([0, 0, 0, 1.0], w), np.exp(-3j * w))


def test_exponential_pair_and_squared_magnitude():
    a, w = 0.8, np.linspace(-np.pi, np.pi, 17)
    x = a ** np.arange(400)
    closed = 1 / (1 - a * np.exp(-1j * w))
    assert np.allclose(dtft(x, w), closed)
    assert np.allclose(np.abs(closed) ** 2, 1 / (1 - 2 * a * np.cos(w) + a**2))


def test_example_exponential_0p8():
    low, high = 1 / (1 - 0.8), 1 / (1 + 0.8)
    assert low == pytest.approx(5)
    assert high == pytest.approx(0.556, abs=5e-4)
    assert low / high == pytest.approx(9)
    assert 20 * np.log10(low / high) == pytest.approx(19.08, abs=0.005)


def test_rectangular_pulse_is_a_dirichlet_kernel():
    for length in (5, 8):
        w = np.linspace(0.01, np.pi, 40)
        closed = np.exp(-1j * w * (length - 1) / 2) * np.sin(w * length / 2) / np.sin(w / 2)
        assert np.allclose(dtft(np.ones(length), w), closed)
        zeros = 2 * np.pi * np.arange(1, length) / length
        assert np.allclose(dtft(np.ones(length), zeros), 0, atol=1e-12)


def test_example_rect_pulse_length_8():
    assert dtft(np.ones(8), 0.0)[0].real == pytest.approx(8)
    w = 3 * np.pi / 8
    value = abs(np.sin(w * 4) / np.sin(w / 2))
    assert np.sin(3 * np.pi / 16) == pytest.approx(0.5556, abs=5e-5)
    assert value == pytest.approx(1.80, abs=0.005)
    assert db(value / 8) == pytest.approx(-12.96, abs=0.005)


def test_dirichlet_first_sidelobe_large_length():
    length, pad = 1024, 64
    magnitude = np.abs(np.fft.rfft(np.ones(length), length * pad))
    first_null = np.flatnonzero(np.diff(magnitude) > 0)[0]
    assert first_null / pad == pytest.approx(1.0, abs=1 / pad)  # zero at 2π/L, i.e. one bin
    assert db(magnitude[first_null:].max() / magnitude[0]) == pytest.approx(-13.3, abs=0.05)


def test_cosine_pair_by_inverse_dtft():
    # The inverse DTFT of π[δ(ω-ω0) + δ(ω+ω0)] is (1/2π)·π·(e^{jω0 n} + e^{-jω0 n}) = cos(ω0 n).
    w0, n = 0.3 * np.pi, np.arange(10)
    assert np.allclose(0.5 * (np.exp(1j * w0 * n) + np.exp(-1j * w0 * n)), np.cos(w0 * n))


def test_demo_windowed_cosine_n16_k0_4():
    spectrum = leakage_spectrum(16, 4.0, "rectangular")
    assert int(np.argmax(spectrum.dft)) == 4
    assert np.allclose(np.delete(spectrum.dft, 4), 0, atol=1e-12)  # the other DFT samples sit on kernel zeros
    peak = spectrum.fine_bins[np.argmax(spectrum.fine_db)]
    assert peak == pytest.approx(4, abs=0.1)


# --- Properties -----------------------------------------------------------------------------------


def test_properties_shift_modulation_reversal_symmetry():
    rng = np.random.default_rng(2)
    x = rng.standard_normal(10)
    w = np.linspace(-np.pi, np.pi, 33)
    spectrum = dtft(x, w)
    assert np.allclose(dtft(x, w, n0=3), np.exp(-3j * w) * spectrum)
    w0 = 0.4
    assert np.allclose(dtft(np.exp(1j * w0 * np.arange(10)) * x, w), dtft(x, w - w0))
    assert np.allclose(dtft(x[::-1], w, n0=-9), dtft(x, -w))
    assert np.allclose(dtft(x, -w), np.conj(spectrum))
    assert np.allclose(np.abs(dtft(x, -w)), np.abs(spectrum))


def test_convolution_theorem_and_parseval():
    rng = np.random.default_rng(3)
    x, h = rng.standard_normal(7), rng.standard_normal(5)
    w = np.linspace(-np.pi, np.pi, 33)
    assert np.allclose(dtft(np.convolve(x, h), w), dtft(x, w) * dtft(h, w))
    grid = np.linspace(-np.pi, np.pi, 256, endpoint=False)
    assert np.mean(np.abs(dtft(x, grid)) ** 2) == pytest.approx(np.sum(x**2))


def test_example_parseval_decaying_exponential():
    a = 0.5
    assert np.sum((a ** np.arange(200)) ** 2) == pytest.approx(4 / 3)
    grid = np.linspace(-np.pi, np.pi, 4096, endpoint=False)
    assert np.mean(1 / (1.25 - np.cos(grid))) == pytest.approx(4 / 3)
    assert np.mean(1 / (1 - 2 * a * np.cos(grid) + a**2)) == pytest.approx(1 / (1 - a**2))


def test_example_three_properties():
    assert 3 * np.pi / 6 == pytest.approx(np.pi / 2)
    assert 3 * np.pi / 3 == pytest.approx(np.pi)
    flipped = (-0.8) ** np.arange(400)
    assert np.abs(dtft(flipped, [0.0, np.pi])) == pytest.approx([1 / 1.8, 5.0])
    assert np.allclose(np.convolve([1, 1], [1, 1]), [1, 2, 1])
    assert abs(dtft([1, 1], np.pi / 2)[0]) == pytest.approx(np.sqrt(2))
    assert dtft([1, 2, 1], np.pi / 2)[0] == pytest.approx(-2j)


# --- Frequency response ---------------------------------------------------------------------------


def test_two_point_average_table():
    w = np.array([0, np.pi / 4, np.pi / 2, 3 * np.pi / 4])
    _, h = signal.freqz([0.5, 0.5], worN=w)
    assert np.allclose(np.abs(h), [1, 0.924, 0.707, 0.383], atol=5e-4)
    assert np.allclose(db(h), [0, -0.69, -3.01, -8.34], atol=0.005)
    assert np.allclose(h, np.exp(-1j * w / 2) * np.cos(w / 2))
    assert abs(signal.freqz([0.5, 0.5], worN=[np.pi])[1][0]) < 1e-12
    _, gd = signal.group_delay(([0.5, 0.5], [1.0]), w=w[1:])
    assert np.allclose(gd, 0.5)


def test_example_four_point_average_at_8_khz():
    fs, taps = 8000, np.full(4, 0.25)
    _, zeros_hz = signal.freqz(taps, worN=[2000, 4000], fs=fs)
    assert np.allclose(np.abs(zeros_hz), 0, atol=1e-12)
    _, h = signal.freqz(taps, worN=[1000], fs=fs)
    assert abs(h[0]) == pytest.approx(0.653, abs=5e-4)
    assert np.sin(np.pi / 8) == pytest.approx(0.3827, abs=5e-5)
    assert db(h[0]) == pytest.approx(-3.70, abs=0.005)
    assert np.angle(h[0]) == pytest.approx(-3 * np.pi / 8)
    _, gd = signal.group_delay((taps, [1.0]), w=[500, 1000, 1500], fs=fs)
    assert np.allclose(gd, 1.5)
    assert 1.5 / fs == pytest.approx(187.5e-6)
    n = np.arange(64)
    y = signal.lfilter(taps, [1.0], np.cos(np.pi * n / 4))
    assert np.allclose(y[3:], 0.6533 * np.cos(np.pi * n[3:] / 4 - 3 * np.pi / 8), atol=1e-4)


def test_moving_average_zeros_are_at_multiples_of_fs_over_m():
    for m in (3, 5, 8):
        w = 2 * np.pi * np.arange(1, m) / m
        _, h = signal.freqz(np.full(m, 1 / m), worN=w)
        assert np.allclose(np.abs(h), 0, atol=1e-12)


def test_example_first_difference():
    w = np.array([0, np.pi / 3, np.pi])
    _, h = signal.freqz([1, -1], worN=w)
    assert np.allclose(np.abs(h), [0, 1, 2], atol=1e-12)
    assert np.allclose(h, 2j * np.exp(-1j * w / 2) * np.sin(w / 2))


# --- Sampled signals ------------------------------------------------------------------------------


def test_frequency_mapping_table_48_khz():
    fs = 48_000
    omegas = 2 * np.pi * np.array([0, 6, 12, 24, 36, 48]) * 1000 / fs
    assert np.allclose(omegas, [0, np.pi / 4, np.pi / 2, np.pi, 3 * np.pi / 2, 2 * np.pi])
    n = np.arange(20)
    assert np.allclose(np.cos(2 * np.pi * 36_000 * n / fs), np.cos(2 * np.pi * 12_000 * n / fs))


def test_moving_average_zero_in_hertz_depends_on_fs():
    assert [fs / 4 for fs in (8000, 48_000, 44_100)] == [2000, 12_000, 11_025]


def test_example_band_limited_at_two_rates():
    edge_8k, edge_5k = 2 * 3 / 8, 2 * 3 / 5  # band edge in units of π
    assert edge_8k == 0.75
    assert 2 - edge_8k == 1.25  # the copy centred at 2π starts here
    assert edge_5k == pytest.approx(1.2)
    assert 2 - edge_5k == pytest.approx(0.8)
    n = np.arange(20)
    for f in (2000, 2500, 3000):  # a component at f lands at 5 kHz - f
        assert np.allclose(np.cos(2 * np.pi * f * n / 5000), np.cos(2 * np.pi * (5000 - f) * n / 5000))


def test_example_sampled_sinc_scale_factor():
    fs, k = 8000, 400_000
    n = np.arange(1, k + 1)
    x_pos = fs * np.sin(np.pi * n / 4) / (np.pi * n)
    x0 = fs * 0.25
    assert x0 == 2000
    assert x0 + 2 * np.sum(x_pos) == pytest.approx(8000, rel=1e-4)  # X(e^{j0})
    assert x0 + 2 * np.sum(x_pos * np.cos(np.pi / 2 * n)) == pytest.approx(0, abs=1.0)  # X(e^{jπ/2})
