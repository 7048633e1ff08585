"""Numbers of chapter 09 (FIR filter design), recomputed with numpy/scipy."""

import math

import numpy as np
import pytest
from scipy import signal

FS = 8000.0
REMEZ_BANDS = [0, 1000, 1500, 4000]


def _band_errors(taps, f_pass=1000.0, f_stop=1500.0, fs=FS):
    """(largest |gain - 1| in the passband, largest gain in the stopband) on a fine grid."""
    f, h = signal.freqz(taps, worN=2**16, fs=fs)
    mag = np.abs(h)
    return float(np.max(np.abs(mag[f <= f_pass] - 1))), float(np.max(mag[f >= f_stop]))


def _window_figures(taps, cutoff):
    """(attenuation dB, transition width as a fraction of fs, peak passband deviation), as the chapter measures them.

    delta = largest gain beyond the first null after the cutoff; the width runs from the last passband frequency
    with gain >= 1 - delta to the first stopband frequency with gain <= delta. `cutoff` is a fraction of fs.
    """
    f, h = signal.freqz(taps, worN=2**17, fs=1.0)
    mag = np.abs(h)
    k = np.searchsorted(f, cutoff)
    first_null = k + int(np.argmax(np.diff(mag[k:]) > 0))
    delta = mag[first_null:].max()
    below = np.flatnonzero(mag[:k] >= 1 - delta).max()
    above = k + int(np.argmax(mag[k:] <= delta))
    passband_dev = np.max(np.abs(mag[: below + 1] - 1))
    return -20 * math.log10(delta), f[above] - f[below], passband_dev


def test_example_running_specification():
    assert 2 * math.pi * 1000 / FS == pytest.approx(math.pi / 4)
    assert 2 * math.pi * 1500 / FS == pytest.approx(3 * math.pi / 8)
    assert pytest.approx(0.0625) == 500 / FS
    assert 2 * math.pi * 500 / FS == pytest.approx(0.3927, abs=1e-4)
    assert -20 * math.log10(0.001) == pytest.approx(60)
    assert 20 * math.log10(1.01 / 0.99) == pytest.approx(0.174, abs=5e-4)
    g = 10 ** (1 / 20)
    assert (g - 1) / (g + 1) == pytest.approx(0.0575, abs=5e-5)
    for a_s, delta in [(20, 0.1), (40, 0.01), (60, 0.001), (80, 0.0001)]:
        assert 10 ** (-a_s / 20) == pytest.approx(delta)


def test_small_ripple_approximation():
    assert 40 / math.log(10) == pytest.approx(17.37, abs=0.005)
    delta = 0.002
    assert 20 * math.log10((1 + delta) / (1 - delta)) == pytest.approx(17.37 * delta, rel=1e-3)


def test_linear_phase_types_forced_zeros():
    rng = np.random.default_rng(1)
    half_odd, half_even = rng.normal(size=4), rng.normal(size=4)
    type1 = np.concatenate([half_odd, [0.7], half_odd[::-1]])
    type2 = np.concatenate([half_even, half_even[::-1]])
    type3 = np.concatenate([half_odd, [0.0], -half_odd[::-1]])
    type4 = np.concatenate([half_even, -half_even[::-1]])

    def at(h, z):
        return np.polyval(h[::-1], 1 / z)

    assert abs(at(type1, 1)) > 1e-3
    assert abs(at(type1, -1)) > 1e-3
    assert at(type2, -1) == pytest.approx(0, abs=1e-12)
    assert at(type3, 1) == pytest.approx(0, abs=1e-12)
    assert at(type3, -1) == pytest.approx(0, abs=1e-12)
    assert at(type4, 1) == pytest.approx(0, abs=1e-12)
    assert abs(at(type4, -1)) > 1e-3
    # constant group delay (N - 1)/2 for a symmetric filter
    _, gd = signal.group_delay((type1, [1]), w=np.linspace(0.1, 3.0, 50))
    assert np.allclose(gd[np.isfinite(gd)], 4, atol=1e-6)
    # zeros come in reciprocal pairs
    zeros = np.roots(type1)
    for z0 in zeros:
        assert np.min(np.abs(zeros - 1 / z0)) < 1e-6


def test_example_type_i_amplitude_response():
    h = np.array([1, 2, 3, 2, 1.0])
    w = np.array([0, np.pi / 2, np.pi, 1.234])
    _, resp = signal.freqz(h, worN=w)
    amplitude = 3 + 4 * np.cos(w) + 2 * np.cos(2 * w)
    assert np.allclose(resp, np.exp(-2j * w) * amplitude)
    assert amplitude[:3] == pytest.approx([9, 1, 1])
    assert np.allclose(np.convolve([1, 1, 1], [1, 1, 1]), h)
    assert np.allclose(np.abs(np.roots(h)), 1, atol=1e-6)
    assert np.allclose(sorted(np.abs(np.angle(np.roots(h)))), [2 * np.pi / 3] * 4, atol=1e-6)
    assert np.polyval([1, 1], -1) == 0  # {1, 1}: zero at z = -1
    assert np.polyval([1, -1], 1) == 0  # {1, -1}: zero at z = 1
    assert np.polyval([1, 3, -3, -1], 1) == 0
    assert abs(np.polyval([1, 3, -3, -1], -1)) == 4


def test_ideal_lowpass_taps_are_sinc():
    wc, m = 0.6, 20
    n = np.arange(m + 1)
    with np.errstate(invalid="ignore", divide="ignore"):
        hd = np.sin(wc * (n - m / 2)) / (np.pi * (n - m / 2))
    hd[m // 2] = wc / np.pi
    assert np.allclose(hd, wc / np.pi * np.sinc(wc / np.pi * (n - m / 2)))
    # firwin with a rectangular window and no scaling is exactly the truncated ideal filter
    assert np.allclose(signal.firwin(m + 1, wc / np.pi, window="boxcar", scale=False), hd)


def test_window_formulas_match_scipy():
    n_taps = 31
    n = np.arange(n_taps)
    c = np.cos(2 * np.pi * n / (n_taps - 1))
    c2 = np.cos(4 * np.pi * n / (n_taps - 1))
    assert np.allclose(0.5 - 0.5 * c, signal.get_window("hann", n_taps, fftbins=False))
    assert np.allclose(0.54 - 0.46 * c, signal.get_window("hamming", n_taps, fftbins=False))
    assert np.allclose(0.42 - 0.5 * c + 0.08 * c2, signal.get_window("blackman", n_taps, fftbins=False))
    beta = 5.65
    kaiser = np.i0(beta * np.sqrt(1 - (2 * n / (n_taps - 1) - 1) ** 2)) / np.i0(beta)
    assert np.allclose(kaiser, signal.get_window(("kaiser", beta), n_taps, fftbins=False))


@pytest.mark.parametrize(
    ("window", "attenuation", "width", "deviation"),
    [("boxcar", 21, 0.9, 0.09), ("hann", 44, 3.1, 0.0063), ("hamming", 54, 3.4, 0.002), ("blackman", 75, 5.6, 0.0002)],
)
def test_window_table(window, attenuation, width, deviation):
    for n_taps in (101, 201):
        a, dw, dev = _window_figures(signal.firwin(n_taps, 0.125, window=window, fs=1.0), 0.125)
        assert a == pytest.approx(attenuation, abs=1.5)
        assert dw * n_taps == pytest.approx(width, abs=0.1)
        assert dev == pytest.approx(deviation, rel=0.2)
        assert dev == pytest.approx(10 ** (-a / 20), rel=0.02)  # about the same ripple in both bands


def test_gibbs_ripple_does_not_shrink_with_length():
    peaks = []
    for n_taps in (51, 201, 801):
        _, h = signal.freqz(signal.firwin(n_taps, 0.25, window="boxcar"), worN=2**16)
        peaks.append(np.abs(h).max() - 1)
    assert peaks == pytest.approx([0.09] * 3, abs=0.01)


def test_window_design_cutoff_gain_is_half():
    for window in ("hann", "hamming", "blackman"):
        taps = signal.firwin(91, 1250, window=window, fs=FS)
        _, h = signal.freqz(taps, worN=[2 * np.pi * 1250 / FS])
        assert 20 * math.log10(abs(h[0])) == pytest.approx(-6.02, abs=0.1)


def test_example_blackman_design():
    assert pytest.approx(89.6) == 5.6 / 0.0625
    dp, ds = _band_errors(signal.firwin(91, 1250, window="blackman", fs=FS))
    assert -20 * math.log10(ds) == pytest.approx(75.3, abs=0.05)
    assert dp == pytest.approx(0.00017, abs=1e-5)
    dp, ds = _band_errors(signal.firwin(81, 1250, window="blackman", fs=FS))
    assert -20 * math.log10(ds) == pytest.approx(60.1, abs=0.05)
    assert dp == pytest.approx(0.00099, abs=1e-5)
    assert ds <= 0.001
    assert dp <= 0.01
    _, ds = _band_errors(signal.firwin(79, 1250, window="blackman", fs=FS))
    assert -20 * math.log10(ds) == pytest.approx(56.9, abs=0.05)


def test_example_kaiser_design():
    a, dw = 60.0, math.pi / 8
    beta = 0.1102 * (a - 8.7)
    m = (a - 8) / (2.285 * dw)
    assert beta == pytest.approx(5.653, abs=5e-4)
    assert m == pytest.approx(57.95, abs=0.005)
    assert math.ceil(m) + 1 == 59
    numtaps, kbeta = signal.kaiserord(60, 500 / 4000)
    assert numtaps == 60  # SciPy uses 7.95 instead of 8
    assert (60 - 7.95) / (2.285 * dw) == pytest.approx(58.006, abs=5e-4)
    assert kbeta == pytest.approx(beta)
    _, ds = _band_errors(signal.firwin(59, 1250, window=("kaiser", beta), fs=FS))
    assert -20 * math.log10(ds) == pytest.approx(59.7, abs=0.05)
    dp, ds = _band_errors(signal.firwin(61, 1250, window=("kaiser", beta), fs=FS))
    assert -20 * math.log10(ds) == pytest.approx(60.5, abs=0.05)
    assert dp < 0.001
    assert dp == pytest.approx(0.00095, abs=1e-5)
    # the rounded beta used in the demo gives the same result
    _, ds = _band_errors(signal.firwin(61, 1250, window=("kaiser", 5.65), fs=FS))
    assert -20 * math.log10(ds) == pytest.approx(60.5, abs=0.05)


def test_kaiser_per_20_db_and_hz_form():
    assert 2.285 * 2 * math.pi == pytest.approx(14.36, abs=0.005)


def _beta(a):
    if a > 50:
        return 0.1102 * (a - 8.7)
    if a >= 21:
        return 0.5842 * (a - 21) ** 0.4 + 0.07886 * (a - 21)
    return 0.0


@pytest.mark.parametrize(
    ("beta", "formula_a", "measured_a", "width"),
    [
        (0, None, 21, 0.9),
        (3.4, 40, 40, 2.3),
        (5, 54, 54, 3.2),
        (5.65, 60, 60, 3.6),
        (7.86, 80, 80, 5.0),
        (8.6, 86, 86, 5.5),
    ],
)
def test_kaiser_beta_table(beta, formula_a, measured_a, width):
    if formula_a is not None:
        assert _beta(formula_a) == pytest.approx(beta, abs=0.1)
    for n_taps in (101, 201):
        a, dw, _ = _window_figures(signal.firwin(n_taps, 0.125, window=("kaiser", beta), fs=1.0), 0.125)
        assert a == pytest.approx(measured_a, abs=1.5)
        assert dw * n_taps == pytest.approx(width, abs=0.1)
    if formula_a is not None:
        assert (formula_a - 8) / 14.36 == pytest.approx(width, abs=0.15)


def test_blackman_vs_kaiser_8p6():
    a_black, _, _ = _window_figures(signal.firwin(201, 0.125, window="blackman", fs=1.0), 0.125)
    a_kaiser, _, _ = _window_figures(signal.firwin(201, 0.125, window=("kaiser", 8.6), fs=1.0), 0.125)
    assert a_kaiser - a_black == pytest.approx(11, abs=1.5)


def _frequency_sampling(n_taps, amplitudes):
    a = np.zeros(n_taps)
    a[: len(amplitudes)] = amplitudes
    a[n_taps - len(amplitudes) + 1 :] = amplitudes[1:][::-1]
    k = np.arange(n_taps)
    h = np.fft.ifft(a * np.exp(-1j * np.pi * k * (n_taps - 1) / n_taps))
    assert np.max(np.abs(h.imag)) < 1e-12
    return h.real


def test_example_frequency_sampling_15_taps():
    for amplitudes, first_stop_k, peak_db in [([1, 1, 1, 0, 0, 0, 0, 0], 3, -15), ([1, 1, 1, 0.4, 0, 0, 0, 0], 4, -40)]:
        h = _frequency_sampling(15, np.array(amplitudes, dtype=float))
        assert np.allclose(h, h[::-1])
        assert np.allclose(np.abs(np.fft.fft(h))[:8], amplitudes)
        w, resp = signal.freqz(h, worN=2**14)
        stop = np.abs(resp[w >= 2 * np.pi * first_stop_k / 15]).max()
        assert 20 * math.log10(stop) == pytest.approx(peak_db, abs=0.7)


def test_example_equiripple_versus_windows():
    dp, ds = 0.01, 0.001
    estimate = (-20 * math.log10(math.sqrt(dp * ds)) - 13) / (14.6 * 0.0625) + 1
    assert estimate == pytest.approx(41.5, abs=0.05)
    for n_taps in (41, 43):
        e_p, e_s = _band_errors(signal.remez(n_taps, REMEZ_BANDS, [1, 0], weight=[1, 10], fs=FS))
        assert e_p > dp
        assert e_s > ds
    taps = signal.remez(45, REMEZ_BANDS, [1, 0], weight=[1, 10], fs=FS)
    e_p, e_s = _band_errors(taps)
    assert e_p <= dp
    assert e_s <= ds
    assert e_p == pytest.approx(0.0088, abs=5e-5)
    assert -20 * math.log10(e_s) == pytest.approx(61.0, abs=0.05)
    assert e_p / e_s == pytest.approx(10, rel=0.02)  # weight 10: delta_p = 10 delta_s
    assert pytest.approx(0.25, abs=0.02) == 1 - 45 / 61


def _fir_direct(h, x):
    line = np.zeros(len(h))
    y = np.empty(len(x))
    for n, sample in enumerate(x):
        line[1:] = line[:-1]
        line[0] = sample
        y[n] = np.dot(h, line)
    return y


def test_direct_form_code_matches_lfilter():
    rng = np.random.default_rng(0)
    h, x = rng.normal(size=9), rng.normal(size=50)
    assert np.allclose(_fir_direct(h, x), signal.lfilter(h, 1, x))
    assert np.allclose(_fir_direct(h, x), np.convolve(h, x)[: len(x)])


def test_folded_structure_equals_direct_form():
    taps = signal.remez(45, REMEZ_BANDS, [1, 0], weight=[1, 10], fs=FS)
    x = np.random.default_rng(2).normal(size=200)
    xp = np.concatenate([np.zeros(44), x])
    folded = np.array(
        [
            sum(taps[k] * (xp[n + 44 - k] + xp[n + 44 - (44 - k)]) for k in range(22)) + taps[22] * xp[n + 44 - 22]
            for n in range(len(x))
        ]
    )
    assert np.allclose(folded, signal.lfilter(taps, 1, x))
    assert (45 + 1) // 2 == 23


def test_example_cost_and_latency():
    assert (45 - 1) / 2 == 22
    assert pytest.approx(2.75) == 22 / FS * 1e3
    assert 45 * FS == 360_000
    assert 23 * FS == 184_000
    assert pytest.approx(3.75) == (61 - 1) / 2 / FS * 1e3
    assert 31 * FS == 248_000


@pytest.mark.parametrize(("bits", "floor_db"), [(8, -35.5), (10, -46.1), (12, -55.9), (14, -59.0), (16, -60.3)])
def test_quantised_taps_table(bits, floor_db):
    taps = signal.remez(45, REMEZ_BANDS, [1, 0], weight=[1, 10], fs=FS)
    rounded = np.round(taps * 2**bits) / 2**bits
    assert np.allclose(rounded, rounded[::-1])  # still linear phase
    _, ds = _band_errors(rounded)
    assert 20 * math.log10(ds) == pytest.approx(floor_db, abs=0.05)


def test_hamming_side_lobe_is_not_filter_attenuation():
    w = signal.get_window("hamming", 101, fftbins=False)
    spectrum = np.abs(np.fft.rfft(w, 101 * 64))
    spectrum /= spectrum[0]
    first_null = int(np.argmax(np.diff(spectrum) > 0))
    side_lobe_db = 20 * math.log10(spectrum[first_null:].max())
    assert side_lobe_db == pytest.approx(-43, abs=0.5)
    attenuation, _, _ = _window_figures(signal.firwin(101, 0.125, window="hamming", fs=1.0), 0.125)
    assert attenuation == pytest.approx(54, abs=1.5)
