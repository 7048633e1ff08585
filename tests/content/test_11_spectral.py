"""Numbers stated in content/11-spectral-analysis.md, recomputed with numpy/scipy.

Windows use the periodic (DFT-even) convention of the chapter: scipy.signal.get_window(name, N).
"""

import math

import numpy as np
import pytest
from scipy import linalg, signal, special

from chapters import demos

NAMES = {"rectangular": "boxcar", "hann": "hann", "hamming": "hamming", "blackman": "blackman"}
BIG_N, PAD = 4096, 64


def periodic(name, n):
    return signal.get_window(NAMES[name], n)


def relative_spectrum(name, n=BIG_N, pad=PAD):
    magnitude = np.abs(np.fft.rfft(periodic(name, n), n * pad))
    return magnitude / magnitude[0]


def response_at(name, offset_bins, n=BIG_N):
    w = periodic(name, n)
    return abs(np.sum(w * np.exp(-2j * np.pi * offset_bins * np.arange(n) / n))) / np.sum(w)


# --- Windows and their figures of merit -----------------------------------------------------------


def test_window_formulas_match_scipy_periodic_windows():
    n = 64
    k = np.arange(n)
    formulas = {
        "rectangular": np.ones(n),
        "hann": 0.5 - 0.5 * np.cos(2 * np.pi * k / n),
        "hamming": 0.54 - 0.46 * np.cos(2 * np.pi * k / n),
        "blackman": 0.42 - 0.5 * np.cos(2 * np.pi * k / n) + 0.08 * np.cos(4 * np.pi * k / n),
    }
    for name, w in formulas.items():
        assert np.allclose(w, periodic(name, n))
        assert np.allclose(w, demos.window(name, n))  # the demo uses the same convention


TABLE = {  # name: (mainlobe bins, highest sidelobe dB, roll-off dB/octave, coherent gain, scalloping dB, ENBW bins)
    "rectangular": (2, -13.3, -6, 1.00, 3.92, 1.00),
    "hann": (4, -31.5, -18, 0.50, 1.42, 1.50),
    "hamming": (4, -42.7, -6, 0.54, 1.75, 1.36),
    "blackman": (6, -58.1, -18, 0.42, 1.10, 1.73),
}


@pytest.mark.parametrize("name", TABLE)
def test_window_table(name):
    mainlobe, sidelobe, _, gain, scalloping, enbw = TABLE[name]
    w, spectrum = periodic(name, BIG_N), relative_spectrum(name)
    first_null = int(np.flatnonzero(np.diff(spectrum) > 0)[0])
    assert 2 * first_null / PAD == pytest.approx(mainlobe, abs=2 / PAD)
    assert 20 * np.log10(spectrum[first_null:].max()) == pytest.approx(sidelobe, abs=0.05)
    assert np.mean(w) == pytest.approx(gain, abs=0.005)
    assert -20 * np.log10(response_at(name, 0.5)) == pytest.approx(scalloping, abs=0.005)
    assert BIG_N * np.sum(w**2) / np.sum(w) ** 2 == pytest.approx(enbw, abs=0.005)


@pytest.mark.parametrize("name", TABLE)
def test_window_sidelobe_roll_off(name):
    rolloff = TABLE[name][2]
    spectrum = relative_spectrum(name, n=BIG_N, pad=16)

    def sidelobe_peak(center):
        return spectrum[int((center - 0.5) * 16) : int((center + 0.5) * 16)].max()

    for near in (20.5, 40.5):
        drop = 20 * np.log10(sidelobe_peak(2 * near - 0.5) / sidelobe_peak(near))
        assert drop == pytest.approx(rolloff, abs=0.6)


@pytest.mark.parametrize("name", TABLE)
def test_demo_readouts_agree_with_table(name):
    mainlobe, sidelobe, _, _, scalloping, _ = TABLE[name]
    assert demos.mainlobe_width_bins(name, 256) == pytest.approx(mainlobe, abs=0.05)
    assert demos.highest_sidelobe_db(name, 256) == pytest.approx(sidelobe, abs=0.1)
    assert demos.scalloping_loss_db(name, 0.5, 256) == pytest.approx(scalloping, abs=0.01)


def test_example_correcting_an_amplitude_reading():
    fs, n = 48_000, 1024
    w = periodic("hann", n)
    assert fs / n == 46.875
    assert np.sum(w) / 2 == 256
    k = np.arange(n)
    on_bin = np.abs(np.fft.fft(2.0 * np.cos(2 * np.pi * 100 * k / n) * w))
    assert on_bin[100] == pytest.approx(512)
    assert 2 * on_bin[100] / np.sum(w) == pytest.approx(2.0)
    amplitude, loss_db = 2.0, 1.42
    assert amplitude * 10 ** (-loss_db / 20) == pytest.approx(1.70, abs=0.005)
    half_bin = np.abs(np.fft.fft(2.0 * np.exp(2j * np.pi * 100.5 * k / n) * w))  # one-sided tone: no mirror
    assert half_bin[100] / np.sum(w) == pytest.approx(1.70, abs=0.005)
    assert 1.5 * fs / n == pytest.approx(70.3, abs=0.05)
    assert 10 * np.log10(1.5) == pytest.approx(1.76, abs=0.005)


# --- Resolving close and weak tones ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "b3", "b6"),
    [("rectangular", 0.89, 1.21), ("hann", 1.44, 2.00), ("hamming", 1.30, 1.82), ("blackman", 1.64, 2.30)],
)
def test_window_3db_and_6db_bandwidths(name, b3, b6):
    from scipy.optimize import brentq

    half3 = brentq(lambda d: response_at(name, d) - 10 ** (-3.0103 / 20), 0.01, 1.5)
    half6 = brentq(lambda d: response_at(name, d) - 0.5, 0.01, 1.5)
    assert 2 * half3 == pytest.approx(b3, abs=0.005)
    assert 2 * half6 == pytest.approx(b6, abs=0.005)


def count_peaks(n, phase, name="hann", fs=8000):
    t = np.arange(n) / fs
    x = (np.cos(2 * np.pi * 440 * t) + np.cos(2 * np.pi * 445 * t + phase)) * periodic(name, n)
    magnitude = np.abs(np.fft.rfft(x, 1 << 17))
    freqs = np.fft.rfftfreq(1 << 17, 1 / fs)
    band = magnitude[(freqs > 430) & (freqs < 455)]
    peaks, _ = signal.find_peaks(band, height=0.5 * band.max())
    return len(peaks)


def test_example_two_notes_5_hz_apart():
    fs, separation = 8000, 5
    assert 2.00 * fs / separation == 3200
    assert 3200 / fs == 0.4
    assert separation / (fs / 2048) == pytest.approx(1.28)
    assert 1.21 * fs / separation == pytest.approx(1936)
    phases = np.linspace(0, 2 * np.pi, 12, endpoint=False)
    assert all(count_peaks(3200, p) == 2 for p in phases)
    assert any(count_peaks(2048, p) == 1 for p in phases)


def test_example_tone_60_db_down():
    n, fs = 128, 12_800
    assert fs / n == 100
    k = np.arange(n)
    strong = np.cos(2 * np.pi * 20.3 * k / n)
    weak = 1e-3 * np.cos(2 * np.pi * 26.3 * k / n)
    leakage = {"rectangular": -27.7, "hamming": -46.1, "hann": -56.9, "blackman": -66.0}
    weak_alone = []
    for name, level in leakage.items():
        w = periodic(name, n)
        scale = np.sum(w) / 2

        def db(x, w=w, scale=scale):
            return 20 * np.log10(np.abs(np.fft.rfft(x * w)) / scale)

        assert db(strong)[26] == pytest.approx(level, abs=0.05)
        weak_alone.append(db(weak)[26])
        if name == "blackman":
            both = db(strong + weak)
            assert both[26] - max(both[25], both[27]) == pytest.approx(10, abs=0.5)
    assert min(weak_alone) == pytest.approx(-61.3, abs=0.05)
    assert max(weak_alone) == pytest.approx(-60.4, abs=0.05)


# --- Periodogram ----------------------------------------------------------------------------------


def test_example_periodogram_of_white_noise_does_not_settle():
    rng = np.random.default_rng(12)
    for n in (256, 4096):
        x = rng.standard_normal((200, n))
        periodogram = np.abs(np.fft.fft(x, axis=1)) ** 2 / n
        inner = periodogram[:, 1 : n // 2]
        assert inner.mean() == pytest.approx(1.0, abs=0.02)
        assert inner.std() == pytest.approx(1.0, abs=0.03)


def test_exponential_distribution_facts():
    assert 1 - math.exp(-0.1) == pytest.approx(0.095, abs=5e-4)
    assert math.exp(-3) == pytest.approx(0.050, abs=5e-4)
    assert 10 * math.log10(3) == pytest.approx(4.8, abs=0.05)
    assert 10 / math.log(10) * math.pi / math.sqrt(6) == pytest.approx(5.57, abs=0.005)
    samples = np.random.default_rng(13).exponential(1.0, 400_000)
    assert np.std(10 * np.log10(samples)) == pytest.approx(5.57, abs=0.03)


def test_example_periodogram_units():
    sigma2, fs = 0.01, 10_000
    assert sigma2 / fs == pytest.approx(1e-6)
    x = np.random.default_rng(14).normal(0, math.sqrt(sigma2), (100, 2048))
    _, two_sided = signal.periodogram(x, fs=fs, return_onesided=False, detrend=False, axis=-1)
    _, one_sided = signal.periodogram(x, fs=fs, detrend=False, axis=-1)
    assert two_sided.mean() == pytest.approx(1e-6, rel=0.02)
    assert one_sided[:, 1:-1].mean() == pytest.approx(2e-6, rel=0.02)


# --- Bartlett and Welch ---------------------------------------------------------------------------


def std_db_of_average(k):
    """Exact std of 10·log10 of the mean of k unit exponentials (a gamma variable): (10/ln 10)·sqrt(trigamma(k))."""
    return 10 / math.log(10) * math.sqrt(special.polygamma(1, k))


def test_bartlett_trade_off_table():
    rows = [
        (8192, 1, 0.98, 1.00, 5.57),
        (2048, 4, 3.91, 0.50, 2.31),
        (512, 16, 15.6, 0.25, 1.10),
        (128, 64, 62.5, 0.125, 0.54),
    ]
    for length, k, spacing, ratio, std_db in rows:
        assert 8192 // length == k
        assert 8000 / length == pytest.approx(spacing, abs=0.05)
        assert 1 / math.sqrt(k) == pytest.approx(ratio)
        assert std_db_of_average(k) == pytest.approx(std_db, abs=0.005)
    assert 10 * math.log10(math.e) == pytest.approx(4.34, abs=0.005)
    assert 10 * math.log10(math.e) / math.sqrt(16) == pytest.approx(1.1, abs=0.05)  # "about 1.1 dB" for K = 16


def test_example_bartlett_versus_welch():
    assert 8192 // 512 == 16 and 8000 / 512 == 15.625
    segments = (8192 - 512) // 256 + 1
    assert segments == 31
    w = periodic("hann", 512)
    rho = np.sum(w[:256] * w[256:]) ** 2 / np.sum(w**2) ** 2
    assert rho == pytest.approx(1 / 36)
    predicted = (1 + 2 * rho * (1 - 1 / segments)) / segments
    assert 1 / predicted == pytest.approx(29.4, abs=0.05)
    bin_hz = 8000 / 512
    assert 2 * bin_hz == pytest.approx(31, abs=0.5)  # Hann resolution ≈ 2 bins

    x = np.random.default_rng(15).standard_normal((400, 8192))
    ratios = []
    for window, overlap in (("boxcar", 0), ("hann", 256)):
        _, psd = signal.welch(x, fs=8000, window=window, nperseg=512, noverlap=overlap, detrend=False, axis=-1)
        inner = psd[:, 10:250]
        ratios.append(np.mean(inner.var(axis=0) / inner.mean(axis=0) ** 2))
    assert 1 / ratios[0] == pytest.approx(16, rel=0.05)
    assert 1 / ratios[1] == pytest.approx(29.4, rel=0.05)


# --- STFT -----------------------------------------------------------------------------------------


def test_example_frames_of_a_speech_spectrogram():
    fs = 16_000
    length, hop = round(0.025 * fs), round(0.010 * fs)
    assert (length, hop) == (400, 160)
    assert fs / length == 40 and fs / hop == 100
    frames = (fs - length) // hop + 1
    assert frames == 98
    x = np.random.default_rng(16).standard_normal(fs)
    stft = np.array([np.fft.rfft(x[m * hop : m * hop + length] * periodic("hann", length)) for m in range(frames)])
    assert stft.shape == (98, 201)
    assert 2.00 * 40 == 80


def test_stft_window_table():
    fs = 16_000
    for ms, length, spacing in ((5, 80, 200), (25, 400, 40), (100, 1600, 10)):
        assert round(ms * fs / 1000) == length
        assert fs / length == spacing


def test_example_best_window_for_a_chirp():
    rate = 4000.0
    assert rate * 0.025 == 100 and 100 / 40 == 2.5
    t = 1 / math.sqrt(rate)
    assert t * 1000 == pytest.approx(15.8, abs=0.05)
    assert t * 16_000 == pytest.approx(253, abs=0.5)
    assert rate * t == pytest.approx(1 / t)
    assert 1 / t == pytest.approx(63, abs=0.5)


# --- AR estimation --------------------------------------------------------------------------------


def test_example_first_order_model():
    r0, r1 = 2.0, 1.6
    a1 = -r1 / r0
    sigma2 = r0 + a1 * r1
    assert a1 == pytest.approx(-0.8)
    assert sigma2 == pytest.approx(0.72)
    w = np.linspace(-np.pi, np.pi, 8192, endpoint=False)
    psd = sigma2 / np.abs(1 + a1 * np.exp(-1j * w)) ** 2
    assert np.allclose(psd, 0.72 / (1.64 - 1.6 * np.cos(w)))
    at_dc, at_nyquist = psd[len(w) // 2], psd[0]  # ω = 0 and ω = -π
    assert at_dc == pytest.approx(18)
    assert at_nyquist == pytest.approx(0.222, abs=5e-4)
    assert 10 * np.log10(at_dc / at_nyquist) == pytest.approx(19.08, abs=0.005)
    assert np.mean(psd) == pytest.approx(2.0)  # (1/2π)∫S dω = r[0]


def test_yule_walker_recovers_an_ar2_model():
    a = np.array([1.0, -1.2728, 0.81])
    impulse = signal.lfilter([1.0], a, np.r_[1.0, np.zeros(4000)])
    r = np.array([np.dot(impulse[: len(impulse) - m], impulse[m:]) for m in range(3)])  # σ_e² = 1
    coefficients = linalg.solve_toeplitz(r[:2], -r[1:3])
    assert np.allclose(coefficients, a[1:], atol=1e-8)
    assert r[0] + coefficients @ r[1:3] == pytest.approx(1.0)


def test_example_resonance_from_two_poles():
    r, theta = 0.9, 2 * np.pi * 1000 / 8000
    assert theta == pytest.approx(np.pi / 4)
    a1, a2 = -2 * r * np.cos(theta), r**2
    assert a1 == pytest.approx(-1.273, abs=5e-4)
    assert a2 == pytest.approx(0.81)
    assert np.allclose(np.poly([r * np.exp(1j * theta), r * np.exp(-1j * theta)]).real, [1, a1, a2])
    cos_peak = -a1 * (1 + a2) / (4 * a2)
    assert cos_peak == pytest.approx(0.711, abs=5e-4)
    assert np.arccos(cos_peak) == pytest.approx(0.780, abs=5e-4)
    freqs, h = signal.freqz([1.0], [1, a1, a2], worN=200_001, fs=8000)
    assert freqs[np.argmax(np.abs(h))] == pytest.approx(993, abs=0.5)
    assert np.arccos(cos_peak) / (2 * np.pi) * 8000 == pytest.approx(993, abs=0.5)
