"""Numbers of chapter 03, "Sampling and aliasing", recomputed (content/03-sampling-and-aliasing.md)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import signal

from chapters.demos import alias_frequency


def apparent(f0: float, fs: float) -> float:
    """f_a = |f0 - k fs| with k = round(f0 / fs), as stated in the chapter."""
    return abs(f0 - fs * round(f0 / fs))


def phase_negated(f0: float, fs: float) -> bool:
    r = f0 - fs * math.floor(f0 / fs)
    return r > fs / 2


def butterworth_order(attenuation_db: float, ratio: float) -> float:
    return math.log10(10 ** (attenuation_db / 10) - 1) / (2 * math.log10(ratio))


def zoh_droop_db(f: float, fs: float) -> float:
    return 20 * math.log10(abs(np.sinc(f / fs)))


# --- Ideal sampling and the spectrum of a sampled signal ----------------------------------------------------------


def test_sampled_spectrum_is_periodic_replication() -> None:
    # x(t) = exp(-pi t^2) has X(f) = exp(-pi f^2);
    # the DTFT of its samples must equal (1/T) sum_k X((w - 2 pi k)/(2 pi T)).
    ts = 0.7
    n = np.arange(-60, 61)
    samples = np.exp(-np.pi * (n * ts) ** 2)
    for omega in np.linspace(-np.pi, np.pi, 9):
        dtft = np.sum(samples * np.exp(-1j * omega * n))
        replicas = sum(np.exp(-np.pi * ((omega - 2 * np.pi * k) / (2 * np.pi * ts)) ** 2) for k in range(-20, 21)) / ts
        assert dtft.real == pytest.approx(replicas, rel=1e-9)


def test_table_analog_to_discrete_frequency() -> None:
    fs = 8000.0
    for f, omega in [(0, 0), (fs / 4, np.pi / 2), (fs / 2, np.pi), (fs, 2 * np.pi)]:
        assert 2 * np.pi * f / fs == pytest.approx(omega)


def test_example_where_the_copies_of_a_3khz_signal_land() -> None:
    b, fs = 3.0, 8.0
    copies = [(k * fs - b, k * fs + b) for k in range(3)]
    assert copies == [(-3, 3), (5, 11), (13, 19)]
    assert copies[1][0] - b == 2  # empty gap between 3 and 5 kHz
    assert 2 * np.pi * b / fs == pytest.approx(0.75 * np.pi)
    # at fs = 5 kHz the k = 1 copy occupies 2..8 kHz and overlaps the baseband copy between 2 and 3 kHz
    assert (5 - b, 5 + b) == (2, 8)


def test_example_single_tone_discrete_frequency() -> None:
    omega0 = 2 * np.pi * 1500 / 10000
    assert omega0 == pytest.approx(0.3 * np.pi)
    assert round(omega0, 3) == 0.942
    lines = sorted({abs(s * 1.5 + 10 * k) for k in range(-2, 3) for s in (1, -1)})
    assert lines == [1.5, 8.5, 11.5, 18.5, 21.5]


# --- The sampling theorem -----------------------------------------------------------------------------------------


def test_sine_at_nyquist_frequency_gives_zero_samples() -> None:
    n = np.arange(32)
    assert np.allclose(np.sin(np.pi * n), 0)
    phi = 0.6
    assert np.allclose(np.cos(np.pi * n + phi), (-1.0) ** n * np.cos(phi))


def test_nyquist_rate_and_frequency_examples() -> None:
    assert 2 * 4 == 8  # 4 kHz band-limited signal: Nyquist rate 8 kHz
    assert math.isclose(44.1 / 2, 22.05)
    assert round(8 / 6.8, 2) == 1.18  # telephone speech


def test_example_hidden_high_frequency() -> None:
    fs, n = 32000, 32000  # 1 s, 1 Hz bins
    t = np.arange(n) / fs
    x = 3 * np.cos(2 * np.pi * 400 * t) + np.cos(2 * np.pi * 1100 * t) * np.cos(2 * np.pi * 500 * t)
    spectrum = np.abs(np.fft.rfft(x)) / n
    present = np.flatnonzero(spectrum > 1e-6)
    assert present.tolist() == [400, 600, 1600]
    assert 2 * present.max() == 3200
    assert apparent(1600, 3000) == 1400


def test_squaring_doubles_the_bandwidth() -> None:
    fs, n = 8000, 8000
    t = np.arange(n) / fs
    x = np.cos(2 * np.pi * 300 * t) + 0.5 * np.cos(2 * np.pi * 700 * t)
    spectrum = np.abs(np.fft.rfft(x**2)) / n
    assert np.flatnonzero(spectrum > 1e-9).max() == 1400


def test_demo_sampling_theorem_settings() -> None:
    assert alias_frequency(3000, 8000) == 3000
    assert alias_frequency(4000, 8000) == 4000
    assert alias_frequency(5000, 8000) == 3000


# --- Aliasing and the apparent frequency ---------------------------------------------------------------------------


def test_frequencies_that_share_the_same_samples() -> None:
    fs, f0, phi = 8000.0, 1300.0, 0.7
    n = np.arange(50)
    base = np.cos(2 * np.pi * f0 * n / fs + phi)
    for k in (1, 2, 5):
        assert np.allclose(np.cos(2 * np.pi * (f0 + k * fs) * n / fs + phi), base)
        assert np.allclose(np.cos(2 * np.pi * (k * fs - f0) * n / fs + phi), np.cos(2 * np.pi * f0 * n / fs - phi))


def test_table_apparent_frequencies_at_10khz() -> None:
    rows = [(2, False), (8, True), (12, False), (18, True), (22, False)]
    for f0, negated in rows:
        assert apparent(f0, 10) == 2
        assert alias_frequency(f0, 10) == 2
        assert phase_negated(f0, 10) is negated


def test_example_5khz_and_13khz_sampled_at_8khz() -> None:
    assert apparent(5, 8) == 3 and phase_negated(5, 8)
    assert round(13 / 8) == 2 and 13 / 8 == 1.625
    assert apparent(13, 8) == 3 and phase_negated(13, 8)
    n = np.arange(40)
    three = -np.sin(2 * np.pi * 3 * n / 8)
    assert np.allclose(np.sin(2 * np.pi * 5 * n / 8), three)
    assert np.allclose(np.sin(2 * np.pi * 13 * n / 8), three)
    assert alias_frequency(13000, 8000) == 3000


def test_wagon_wheel_signed_alias() -> None:
    def signed(f0: float, fs: float) -> float:
        return (f0 + fs / 2) % fs - fs / 2

    assert signed(23, 24) == -1
    assert signed(24, 24) == 0
    # the samples of a complex exponential at 23 rev/s equal those at -1 rev/s
    n = np.arange(48)
    assert np.allclose(np.exp(2j * np.pi * 23 * n / 24), np.exp(-2j * np.pi * n / 24))


def test_discrete_frequency_of_5khz_at_8khz() -> None:
    omega0 = 2 * np.pi * 5000 / 8000
    assert omega0 == pytest.approx(1.25 * np.pi)
    reduced = (omega0 + np.pi) % (2 * np.pi) - np.pi
    assert reduced == pytest.approx(-0.75 * np.pi)


# --- Anti-aliasing filters and guard bands --------------------------------------------------------------------------


def test_example_folded_noise() -> None:
    factor = 2 * 100e3 / 10e3
    assert factor == 20
    assert round(10 * math.log10(factor), 1) == 13.0
    # simulate: white noise over 0..100 kHz (rate 200 kHz), keep every 20th sample -> same power in a 5 kHz band
    rng = np.random.default_rng(3)
    x = rng.standard_normal(200_000)
    y = x[::20]
    density_before = np.var(x) / 100e3
    density_after = np.var(y) / 5e3
    assert 10 * math.log10(density_after / density_before) == pytest.approx(13.0, abs=0.2)


def test_table_audio_guard_bands() -> None:
    fp = 20.0
    rows = [(44.1, 24.1, 4.1, 1.205), (48, 28, 8, 1.4), (96, 76, 56, 3.8)]
    for fs, fstop, guard, ratio in rows:
        assert fs - fp == pytest.approx(fstop)
        assert fs - 2 * fp == pytest.approx(guard)
        assert (fs - fp) / fp == pytest.approx(ratio)
    assert round(math.log2(24.1 / 20), 2) == 0.27  # about a quarter of an octave


def test_example_doubling_the_sampling_rate_butterworth_order() -> None:
    slow = butterworth_order(60, 6 / 4)
    fast = butterworth_order(60, 16 / 4)
    assert round(slow, 2) == 17.04 and math.ceil(slow) == 18
    assert round(fast, 2) == 4.98 and math.ceil(fast) == 5
    # the chosen orders meet 60 dB, one order less does not
    for order, ratio in [(18, 1.5), (5, 4.0)]:
        b, a = signal.butter(order, 2 * np.pi * 4000, analog=True)
        _, h = signal.freqs(b, a, worN=[2 * np.pi * 4000 * ratio])
        assert -20 * np.log10(abs(h[0])) >= 60
        b, a = signal.butter(order - 1, 2 * np.pi * 4000, analog=True)
        _, h = signal.freqs(b, a, worN=[2 * np.pi * 4000 * ratio])
        assert -20 * np.log10(abs(h[0])) < 60


# --- Reconstruction --------------------------------------------------------------------------------------------------


def test_sinc_interpolation_passes_through_the_samples() -> None:
    rng = np.random.default_rng(5)
    ts = 1 / 8000
    samples = rng.standard_normal(40)
    n = np.arange(40)

    def reconstruct(t: float) -> float:
        return float(np.sum(samples * np.sinc((t - n * ts) / ts)))

    for m in (3, 17, 30):
        assert reconstruct(m * ts) == pytest.approx(samples[m], abs=1e-12)


def test_sinc_interpolation_recovers_a_bandlimited_tone() -> None:
    fs, f0 = 8000.0, 1000.0
    n = np.arange(-4000, 4001)
    x = np.cos(2 * np.pi * f0 * n / fs)
    t = 0.37 / fs  # between samples
    value = np.sum(x * np.sinc(t * fs - n))
    assert value == pytest.approx(np.cos(2 * np.pi * f0 * t), abs=2e-3)


def test_zero_order_hold_frequency_response() -> None:
    ts = 1 / 8000
    t = np.linspace(0, ts, 20001)
    for f in (500.0, 2500.0, 4000.0, 7000.0):
        numeric = np.trapezoid(np.exp(-2j * np.pi * f * t), t)
        formula = ts * np.sinc(f * ts) * np.exp(-1j * np.pi * f * ts)
        assert numeric == pytest.approx(formula, rel=1e-6)


def test_table_zero_order_hold_droop() -> None:
    rows = [(0.1, 0.984, -0.14), (0.25, 0.900, -0.91), (0.4, 0.757, -2.42), (0.5, 0.637, -3.92)]
    for ratio, gain, droop in rows:
        assert round(float(np.sinc(ratio)), 3) == gain
        assert round(zoh_droop_db(ratio, 1), 2) == droop


def test_droop_at_the_nyquist_frequency() -> None:
    assert np.sinc(0.5) == pytest.approx(2 / np.pi)
    assert round(20 * math.log10(2 / math.pi), 2) == -3.92


def test_example_1khz_tone_from_an_8khz_dac() -> None:
    assert round(float(np.sinc(1 / 8)), 4) == 0.9745
    assert round(zoh_droop_db(1, 8), 2) == -0.22
    assert round(float(np.sinc(7 / 8)), 4) == 0.1392
    assert round(zoh_droop_db(7, 8), 2) == -17.13
    assert round(abs(float(np.sinc(9 / 8))), 4) == 0.1083
    assert round(zoh_droop_db(9, 8), 2) == -19.31
    assert round(zoh_droop_db(1, 8) - zoh_droop_db(7, 8), 1) == 16.9


def test_example_droop_of_an_audio_dac() -> None:
    assert round(zoh_droop_db(20, 48), 2) == -2.64
    assert round(zoh_droop_db(20, 192), 2) == -0.16


# --- Bandpass sampling ------------------------------------------------------------------------------------------------


def valid_ranges(fl: float, fh: float) -> list[tuple[int, float, float]]:
    b = fh - fl
    return [(k, 2 * fh / k, 2 * fl / (k - 1) if k > 1 else math.inf) for k in range(1, math.floor(fh / b) + 1)]


def test_table_bandpass_sampling_ranges_for_30_to_36_khz() -> None:
    ranges = valid_ranges(30, 36)
    expected = [(1, 72, math.inf), (2, 36, 60), (3, 24, 30), (4, 18, 20), (5, 14.4, 15), (6, 12, 12)]
    for (k, lo, hi), (ek, elo, ehi) in zip(ranges, expected, strict=True):
        assert k == ek and lo == pytest.approx(elo) and hi == pytest.approx(ehi)
    # upright for odd k, inverted for even k: check at a rate inside each finite range
    for k, lo, hi in ranges[1:]:
        fs = (lo + hi) / 2
        inverted = alias_frequency(30, fs) > alias_frequency(36, fs)
        assert inverted is (k % 2 == 0)


def test_forbidden_rate_16khz() -> None:
    assert not any(lo <= 16 <= hi for _, lo, hi in valid_ranges(30, 36))
    # the band folds onto itself: 30 and 34 kHz land on the same frequency
    assert alias_frequency(30, 16) == alias_frequency(34, 16)


def test_example_sampling_a_30_to_36_khz_band_at_19khz() -> None:
    fs = 19.0
    assert 18 <= fs <= 20
    assert alias_frequency(30, fs) == 8 and alias_frequency(36, fs) == 2
    assert alias_frequency(33, fs) == 5
    # every frequency of the band maps one-to-one, reversed, onto 2..8 kHz
    band = np.linspace(30, 36, 61)
    mapped = np.array([alias_frequency(f, fs) for f in band])
    assert np.all(np.diff(mapped) < 0)
    assert mapped.min() - 0 == pytest.approx(2) and fs / 2 - mapped.max() == pytest.approx(1.5)
    assert fs < 72 / 3
    assert alias_frequency(33000, 19000) == 5000  # the demo
