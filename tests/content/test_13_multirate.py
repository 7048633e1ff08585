"""Numbers of chapter 13, "Multirate processing", recomputed (content/13-multirate-processing.md)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import signal

from chapters.demos import alias_frequency, design_lowpass, gain_db


def dtft(x: np.ndarray, omega: float | np.ndarray) -> np.ndarray:
    n = np.arange(len(x))
    return np.exp(-1j * np.outer(np.atleast_1d(omega), n)) @ x


def kaiser_d(attenuation_db: float) -> float:
    return (attenuation_db - 7.95) / 14.36


def taps(fs: float, transition: float, attenuation_db: float = 80.0) -> int:
    return math.ceil(kaiser_d(attenuation_db) * fs / transition)


def two_stage(m1: int, fin: float = 384e3, fp: float = 10e3, fstop: float = 12e3) -> tuple[int, int, int]:
    m2 = 16 // m1
    f1 = fin / m1
    n1 = taps(fin, (f1 - fstop) - fp)
    n2 = taps(f1, fstop - fp)
    return n1, n2, n1 * m2 + n2


# --- Downsampling and decimation ------------------------------------------------------------------------------------


def test_downsampled_spectrum_formula() -> None:
    rng = np.random.default_rng(1)
    x = rng.standard_normal(120)
    m = 3
    y = x[::m]
    omega = np.linspace(-np.pi, np.pi, 13)
    formula = sum(dtft(x, (omega - 2 * np.pi * k) / m) for k in range(m)) / m
    assert np.allclose(dtft(y, omega), formula)


def test_downsampler_is_not_time_invariant() -> None:
    x = np.arange(12.0)
    delayed = np.concatenate([[0.0], x[:-1]])
    assert not np.array_equal(delayed[::2], np.concatenate([[0.0], x[::2][:-1]]))


def test_example_downsampling_48khz_audio_by_4() -> None:
    fs, m = 48000, 4
    assert 2 * np.pi * 3 / 48 == pytest.approx(np.pi / 8)
    assert 2 * np.pi * 10 / 48 == pytest.approx(5 * np.pi / 12)
    assert (4 * 5 * np.pi / 12) - 2 * np.pi == pytest.approx(-np.pi / 3)
    assert (np.pi / 3) / (2 * np.pi) * 12 == pytest.approx(2)
    n = np.arange(48000)
    x = np.cos(2 * np.pi * 3000 * n / fs) + np.cos(2 * np.pi * 10000 * n / fs)
    y = x[::m]  # 12 kHz, 1 s: 1 Hz bins
    spectrum = np.abs(np.fft.rfft(y)) / len(y)
    assert sorted(np.argsort(spectrum)[-2:].tolist()) == [2000, 3000]
    # a decimation filter with cutoff pi/4 (6 kHz) removes the 10 kHz tone before it can alias
    h = signal.firwin(201, 6000, window=("kaiser", 8.0), fs=fs)
    filtered = signal.lfilter(h, 1, x)[::m]
    spectrum = np.abs(np.fft.rfft(filtered[100:])) / len(filtered[100:])
    assert spectrum.max() == pytest.approx(0.5, abs=0.02)
    peak = np.argmax(spectrum) * 12000 / len(filtered[100:])
    assert peak == pytest.approx(3000, abs=2)


def test_demo_decimation_alias() -> None:
    assert alias_frequency(10000, 12000) == 2000
    assert alias_frequency(3000, 12000) == 3000


def test_downsampling_keeps_tone_amplitude() -> None:
    n = np.arange(4000)
    x = np.cos(0.05 * np.pi * n)
    assert np.allclose(x[::4], np.cos(4 * 0.05 * np.pi * np.arange(1000)))
    rng = np.random.default_rng(2)
    noise = rng.standard_normal(400_000)
    assert np.var(noise[::5]) == pytest.approx(np.var(noise), rel=0.02)


# --- Upsampling and interpolation -------------------------------------------------------------------------------------


def upsample(x: np.ndarray, factor: int) -> np.ndarray:
    v = np.zeros(len(x) * factor)
    v[::factor] = x
    return v


def test_upsampled_spectrum_is_compressed() -> None:
    rng = np.random.default_rng(3)
    x = rng.standard_normal(50)
    v = upsample(x, 3)
    omega = np.linspace(-np.pi, np.pi, 17)
    assert np.allclose(dtft(v, omega), dtft(x, 3 * omega))


def test_example_8khz_speech_raised_to_24khz_images() -> None:
    n = np.arange(8000)
    x = np.cos(2 * np.pi * 1000 * n / 8000)
    v = upsample(x, 3)  # 24 kHz, 1 s: 1 Hz bins
    spectrum = np.abs(np.fft.rfft(v)) / len(v)
    assert np.flatnonzero(spectrum > 1e-6).tolist() == [1000, 7000, 9000]


def test_ideal_interpolation_filter_passes_original_samples() -> None:
    n = np.arange(-30, 31)
    h = np.sinc(n / 3)
    assert h[n == 0][0] == 1
    assert np.allclose(h[(n % 3 == 0) & (n != 0)], 0)


def test_interpolation_filter_needs_gain_l() -> None:
    x = np.ones(100)
    v = upsample(x, 3)
    assert v.mean() == pytest.approx(1 / 3)
    n = np.arange(400)
    tone = np.cos(2 * np.pi * 0.05 * n)
    h = signal.firwin(121, 1 / 3, window=("kaiser", 8.0))  # cutoff pi/3, unit DC gain
    y = 3 * signal.lfilter(h, 1, upsample(tone, 3))[60:]
    expected = np.cos(2 * np.pi * 0.05 * (np.arange(len(y))) / 3)
    assert np.max(np.abs(y[200:1000] - expected[200:1000])) < 1e-3


def linear_interpolator_response_db(f: float, fs: float = 24000, factor: int = 3) -> float:
    w = 2 * np.pi * f / fs
    h = (np.sin(w * factor / 2) / np.sin(w / 2)) ** 2 / factor
    return 20 * math.log10(abs(h) / factor)


def test_linear_interpolation_as_a_filter() -> None:
    h = np.array([1, 2, 3, 2, 1]) / 3
    assert h.sum() == pytest.approx(3)
    assert h[2] == 1
    # straight lines between samples equal zero-stuffing followed by the triangle
    x = np.array([0.0, 2.0, -1.0, 4.0, 3.0])
    filled = np.convolve(upsample(x, 3), h)[2 : 2 + 13]
    assert np.allclose(filled, np.interp(np.arange(13) / 3, np.arange(5), x))
    # its frequency response matches the closed form
    w = np.linspace(0.1, np.pi, 7)
    _, response = signal.freqz(h, worN=w)
    assert np.allclose(np.abs(response), (np.sin(3 * w / 2) / np.sin(w / 2)) ** 2 / 3)


def test_example_linear_interpolation_image_rejection() -> None:
    assert round(linear_interpolator_response_db(1000), 2) == -0.40
    assert round(linear_interpolator_response_db(7000), 2) == -31.75
    assert round(linear_interpolator_response_db(9000), 2) == -34.40
    relative = linear_interpolator_response_db(7000) - linear_interpolator_response_db(1000)
    assert round(relative, 1) == -31.4


def test_demo_interpolation_filter() -> None:
    h = design_lowpass(81, 4000, 24000, "kaiser", 8.0)
    assert gain_db(h, 0, 24000) == pytest.approx(0, abs=1e-9)
    assert gain_db(h, 1000, 24000) == pytest.approx(0, abs=0.01)
    assert gain_db(h, 7000, 24000) < -90
    assert gain_db(design_lowpass(41, 4000, 24000, "kaiser", 8.0), 7000, 24000) > gain_db(h, 7000, 24000)
    assert 2 * np.pi * 4000 / 24000 == pytest.approx(np.pi / 3)


# --- Rational rate change -------------------------------------------------------------------------------------------


def test_table_rational_ratios() -> None:
    rows = [
        (48000, 32000, 2, 3, 96_000),
        (44100, 48000, 160, 147, 7_056_000),
        (48000, 44100, 147, 160, 7_056_000),
        (16000, 44100, 441, 160, 7_056_000),
        (96000, 44100, 147, 320, 14_112_000),
    ]
    for fin, fout, up, down, middle in rows:
        g = math.gcd(fin, fout)
        assert (fout // g, fin // g) == (up, down)
        assert math.gcd(up, down) == 1
        assert fin * up == fout * down == middle == math.lcm(fin, fout)


def test_example_44k1_to_48k() -> None:
    assert math.gcd(48000, 44100) == 300
    assert (160, 147) == (2**5 * 5, 3 * 7**2)
    assert math.isclose(44.1 * 160, 7056)
    assert 7056 / 147 == 48
    assert math.isclose(7056 / 320, 22.05)  # cutoff pi/160 at 7.056 MHz
    assert 180 * 44100 == 7_938_000
    assert 7_938_000 * 160 // 147 == 8_640_000 == 180 * 48000


def test_where_the_output_samples_fall() -> None:
    assert 147 / 160 == 0.91875
    assert 5 * 147 / 160 == 4.59375
    coincide = [m for m in range(160 * 5) if (m * 147) % 160 == 0]
    assert coincide == [0, 160, 320, 480, 640]  # one in 160 outputs, i.e. every 147th input sample


def test_rational_resampler_produces_the_tone_at_the_new_rate() -> None:
    n = np.arange(44100)
    x = np.cos(2 * np.pi * 1000 * n / 44100)
    y = signal.resample_poly(x, 160, 147)
    assert len(y) == 48000
    m = np.arange(48000)
    assert np.max(np.abs(y[2000:46000] - np.cos(2 * np.pi * 1000 * m[2000:46000] / 48000))) < 1e-3


def test_direct_implementation_waste() -> None:
    assert 3840 // 160 == 24


# --- Polyphase structures and the noble identities --------------------------------------------------------------------


def test_polyphase_decomposition_identity() -> None:
    rng = np.random.default_rng(4)
    h = rng.standard_normal(24)
    m = 4
    components = [h[k::m] for k in range(m)]
    for z in (0.9 * np.exp(0.3j), 1.2 * np.exp(-2.1j), np.exp(1j)):
        direct = np.sum(h * z ** -np.arange(24))
        split = sum(z**-k * np.sum(e * (z**m) ** -np.arange(len(e))) for k, e in enumerate(components))
        assert split == pytest.approx(direct)


def test_noble_identities() -> None:
    rng = np.random.default_rng(5)
    g = rng.standard_normal(7)
    x = rng.standard_normal(300)
    m = 3
    g_of_zm = upsample(g, m)[: (len(g) - 1) * m + 1]  # G(z^M)
    left = np.convolve(x, g_of_zm)[::m]
    right = np.convolve(x[::m], g)
    assert np.allclose(left[: len(right)], right[: len(left)])
    up_then = np.convolve(upsample(x, m), g_of_zm)
    then_up = upsample(np.convolve(x, g), m)
    assert np.allclose(up_then[: len(then_up)], then_up[: len(up_then)])


def test_code_snippet_polyphase_decimator() -> None:
    rng = np.random.default_rng(0)
    m, h, x = 4, rng.standard_normal(96), rng.standard_normal(4000)
    direct = np.convolve(x, h)[::m]
    y = np.zeros(len(direct))
    for k in range(m):
        xk = np.concatenate([np.zeros(k), x])[::m]
        yk = np.convolve(xk, h[k::m])
        n = min(len(y), len(yk))
        y[:n] += yk[:n]
    assert np.allclose(y, direct)


def test_polyphase_interpolator() -> None:
    rng = np.random.default_rng(6)
    factor, h, x = 3, rng.standard_normal(30), rng.standard_normal(200)
    direct = np.convolve(upsample(x, factor), h)
    y = np.zeros(len(x) * factor)
    for k in range(factor):
        y[k::factor] = np.convolve(x, h[k::factor])[: len(x)]
    assert np.allclose(y, direct[: len(y)])


def test_example_96_tap_decimator_by_4_cost() -> None:
    assert 96 * 48000 == 4_608_000
    assert 96 // 4 == 24 and 12000 == 48000 // 4
    assert 4 * 24 * 12000 == 1_152_000 == 96 * 48000 // 4


def test_example_cost_of_44k1_to_48k() -> None:
    direct = 3840 * 7.056e6
    assert round(direct / 1e10, 2) == 2.71
    assert 24 * 48000 == 1_152_000
    assert direct / 1_152_000 == pytest.approx(160 * 147) and 160 * 147 == 23520


# --- Multistage decimation ------------------------------------------------------------------------------------------


def test_kaiser_length_constant() -> None:
    assert round(kaiser_d(80), 2) == 5.02
    # scipy's Kaiser estimate agrees with N = D fs / delta_f to within a tap or two
    numtaps, _ = signal.kaiserord(80, 2e3 / 192e3)
    assert abs(numtaps - taps(384e3, 2e3)) <= 2


def test_example_decimating_384khz_to_24khz() -> None:
    assert taps(384e3, 2e3) == 964
    table = {2: (12, 482, 578), 4: (27, 241, 349), 8: (75, 121, 271)}
    for m1, (n1, n2, per_output) in table.items():
        assert two_stage(m1) == (n1, n2, per_output)
    rates = {16: 964, 2: 578, 4: 349, 8: 271}
    millions = {16: 23.14, 2: 13.87, 4: 8.38, 8: 6.50}
    for key, per_output in rates.items():
        assert round(per_output * 24e3 / 1e6, 2) == millions[key]
    assert {12 + 482, 27 + 241, 75 + 121} == {494, 268, 196}
    assert 48 - 12 == 36 and 48e3 - 12e3 - 10e3 == 26e3
    assert round(964 / 271, 1) == 3.6
    assert round(964 / 196, 1) == 4.9


def test_three_stage_design() -> None:
    fin = 384e3
    n1 = taps(fin, 96e3 - 12e3 - 10e3)
    n2 = taps(96e3, 48e3 - 12e3 - 10e3)
    n3 = taps(48e3, 2e3)
    assert (n1, n2, n3) == (27, 19, 121)
    assert n1 * 4 + n2 * 2 + n3 == 267


def test_rule_of_thumb_lengths_reach_about_80db() -> None:
    beta = signal.kaiser_beta(80)
    for numtaps, fs, fp, fstop in [(964, 384e3, 10e3, 12e3), (75, 384e3, 10e3, 36e3), (121, 48e3, 10e3, 12e3)]:
        h = signal.firwin(numtaps, (fp + fstop) / 2, window=("kaiser", beta), fs=fs)
        w, response = signal.freqz(h, worN=2**15, fs=fs)
        assert 20 * np.log10(np.abs(response[w >= fstop]).max()) < -78


# --- Applications ----------------------------------------------------------------------------------------------------


def cic_db(f: float, fs: float, r: int, order: int) -> float:
    return order * 20 * math.log10(abs(math.sin(math.pi * f * r / fs) / (r * math.sin(math.pi * f / fs))))


def test_example_decimation_chain_for_a_48khz_audio_adc() -> None:
    fs = 64 * 48e3
    assert fs == 3.072e6 and fs / 16 == 192e3 and 16 * 2 * 2 == 64
    assert round(cic_db(20e3, fs, 16, 4), 2) == -0.62
    assert round(cic_db(172e3, fs, 16, 4), 1) == -75.2
    assert cic_db(180e3, fs, 16, 4) < cic_db(172e3, fs, 16, 4)
    # nulls at multiples of the output rate
    for k in (1, 2, 3):
        assert abs(math.sin(math.pi * k * 192e3 * 16 / fs)) < 1e-12
    # the closed form is a moving average of length R applied K times
    box = np.ones(16) / 16
    cascade = box
    for _ in range(3):
        cascade = np.convolve(cascade, box)
    _, response = signal.freqz(cascade, worN=[2 * np.pi * 20e3 / fs])
    assert 20 * np.log10(abs(response[0])) == pytest.approx(cic_db(20e3, fs, 16, 4))


def test_example_oversampled_dac() -> None:
    assert 48 - 20 == 28 and 192 - 20 == 172
    assert round(20 * math.log10(np.sinc(20 / 48)), 2) == -2.64
    assert round(20 * math.log10(np.sinc(20 / 192)), 2) == -0.16


def test_example_how_much_easier_is_the_analog_filter() -> None:
    def order(ratio: float) -> int:
        return math.ceil(math.log10(10**6 - 1) / (2 * math.log10(ratio)))

    assert 28 / 20 == 1.4 and 172 / 20 == 8.6
    assert order(1.4) == 21
    assert order(8.6) == 4
