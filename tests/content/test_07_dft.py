"""Numbers stated in content/07-dft-and-fft.md, recomputed with numpy/scipy."""

import numpy as np
import pytest
from scipy import signal

from chapters.demos import leakage_spectrum, scalloping_loss_db

X4 = np.array([1.0, 2.0, 0.0, -1.0])


def dft_direct(x):
    x = np.asarray(x, dtype=complex)
    n = np.arange(len(x))
    return np.exp(-2j * np.pi * np.outer(n, n) / len(x)) @ x


def fft_radix2(x):
    """The recursive radix-2 decimation-in-time FFT printed in the chapter."""
    x = np.asarray(x, dtype=complex)
    n = len(x)
    if n == 1:
        return x
    even, odd = fft_radix2(x[0::2]), fft_radix2(x[1::2])
    twiddled = np.exp(-2j * np.pi * np.arange(n // 2) / n) * odd
    return np.concatenate([even + twiddled, even - twiddled])


def circular_convolution(x, h, n):
    return np.real(np.fft.ifft(np.fft.fft(x, n) * np.fft.fft(h, n)))


# --- The DFT as samples of the DTFT ---------------------------------------------------------------


def test_dft_samples_the_dtft():
    x = np.random.default_rng(4).standard_normal(16)
    w = 2 * np.pi * np.arange(16) / 16
    dtft = np.exp(-1j * np.outer(w, np.arange(16))) @ x
    assert np.allclose(np.fft.fft(x), dtft)
    assert np.allclose(dft_direct(x), np.fft.fft(x))


def test_sampling_dtft_of_a_longer_sequence_time_aliases():
    x = np.arange(1.0, 7.0)  # length 6, sampled with N = 4
    w = 2 * np.pi * np.arange(4) / 4
    samples = np.exp(-1j * np.outer(w, np.arange(6))) @ x
    folded = x[:4] + np.concatenate([x[4:], [0, 0]])
    assert np.allclose(np.fft.ifft(samples).real, folded)


def test_example_four_point_dft_by_hand():
    assert np.allclose(dft_direct(X4), [2, 1 - 3j, 0, 1 + 3j])
    assert np.allclose(np.fft.fft(X4), [2, 1 - 3j, 0, 1 + 3j])
    assert np.exp(-2j * np.pi / 4) == pytest.approx(-1j)


def test_real_signal_dft_symmetry():
    x = np.random.default_rng(5).standard_normal(10)
    spectrum = np.fft.fft(x)
    assert np.allclose(spectrum[1:][::-1], np.conj(spectrum[1:]))
    assert spectrum[0] == pytest.approx(x.sum())
    assert spectrum[5] == pytest.approx(np.sum((-1.0) ** np.arange(10) * x))


def test_example_reading_bins_at_8_khz():
    fs, n = 8000, 256
    spacing = fs / n
    assert spacing == 31.25
    assert n / fs == pytest.approx(0.032)
    assert 1000 / spacing == 32
    freqs = np.fft.fftfreq(n, 1 / fs)
    assert freqs[32] == 1000 and freqs[224] == -1000
    assert freqs[200] == -1750
    assert 1100 / spacing == pytest.approx(35.2)
    tone = np.cos(2 * np.pi * 1000 * np.arange(n) / fs)
    magnitude = np.abs(np.fft.fft(tone))
    assert set(np.flatnonzero(magnitude > 1e-9)) == {32, 224}


# --- Inverse DFT and circular convolution ---------------------------------------------------------


def test_inverse_dft_formula():
    x = np.random.default_rng(6).standard_normal(8) + 1j
    spectrum = np.fft.fft(x)
    k = np.arange(8)
    inverse = np.exp(2j * np.pi * np.outer(k, k) / 8) @ spectrum / 8
    assert np.allclose(inverse, x)


def test_circular_shift_example():
    rotated = np.roll(X4, 1)
    assert np.allclose(rotated, [-1, 1, 2, 0])
    expected = np.fft.fft(X4) * (-1j) ** np.arange(4)
    assert np.allclose(np.fft.fft(rotated), expected)
    assert np.allclose(expected, [2, -3 - 1j, 0, -3 + 1j])


def test_dft_modulation_and_multiplication_properties():
    rng = np.random.default_rng(7)
    x, y = rng.standard_normal(8), rng.standard_normal(8)
    n = np.arange(8)
    assert np.allclose(np.fft.fft(np.exp(2j * np.pi * 3 * n / 8) * x), np.roll(np.fft.fft(x), 3))
    circ = np.array([np.sum(np.fft.fft(x) * np.fft.fft(y)[(k - n) % 8]) for k in range(8)])
    assert np.allclose(np.fft.fft(x * y), circ / 8)


def test_example_circular_versus_linear_convolution():
    x, h = [1, 2, 3, 4], [1, 1, 1]
    assert np.allclose(np.convolve(x, h), [1, 3, 6, 9, 7, 4])
    assert np.allclose(circular_convolution(x, h, 4), [8, 7, 6, 9])
    assert np.allclose(circular_convolution(x, h, 5), [5, 3, 6, 9, 7])
    assert np.allclose(circular_convolution(x, h, 6), [1, 3, 6, 9, 7, 4])
    assert np.allclose(circular_convolution(x, h, 8), [1, 3, 6, 9, 7, 4, 0, 0])


def test_example_parseval_four_point():
    assert np.sum(X4**2) == 6
    assert np.sum(np.abs(np.fft.fft(X4)) ** 2) / 4 == pytest.approx(6)


# --- Zero-padding and leakage ---------------------------------------------------------------------


def peak_frequencies(x, fs, pad, low, high):
    magnitude = np.abs(np.fft.rfft(x, pad))
    freqs = np.fft.rfftfreq(pad, 1 / fs)
    peaks, _ = signal.find_peaks(magnitude, height=0.5 * magnitude.max())
    return [f for f in freqs[peaks] if low < f < high]


def test_example_zero_padding_does_not_resolve_two_tones():
    fs = 1000
    assert fs / 50 == 20 and fs / 200 == 5
    assert fs / 8192 == pytest.approx(0.12, abs=0.005)

    def tones(n):
        t = np.arange(n) / fs
        return np.cos(2 * np.pi * 200 * t) + np.cos(2 * np.pi * 210 * t)

    short = peak_frequencies(tones(50), fs, 8192, 150, 260)
    assert len(short) == 1 and short[0] == pytest.approx(205, abs=1)
    long = peak_frequencies(tones(200), fs, 8192, 150, 260)
    assert len(long) == 2
    assert long == pytest.approx([200, 210], abs=1.5)


def test_zero_padding_samples_the_same_dtft():
    x = np.random.default_rng(8).standard_normal(16)
    padded = np.fft.fft(x, 64)
    assert np.allclose(padded[::4], np.fft.fft(x))


def test_on_bin_tone_has_no_leakage():
    spectrum = leakage_spectrum(64, 10.0, "rectangular")
    assert np.allclose(np.delete(spectrum.dft, 10), 0, atol=1e-12)
    assert spectrum.dft[10] == pytest.approx(1.0)


def test_rectangular_scalloping_loss_half_bin():
    n = 4096
    exact = abs(np.sin(np.pi / 2) / (n * np.sin(np.pi / (2 * n))))
    assert exact == pytest.approx(2 / np.pi, abs=1e-6)
    assert 2 / np.pi == pytest.approx(0.637, abs=5e-4)
    assert -20 * np.log10(2 / np.pi) == pytest.approx(3.92, abs=0.005)
    assert scalloping_loss_db("rectangular", 0.5, 64) == pytest.approx(3.92, abs=0.01)


def test_example_tone_at_bin_10_5():
    spectrum = leakage_spectrum(64, 10.5, "rectangular")
    levels = 20 * np.log10(spectrum.dft)
    assert levels[10] == pytest.approx(-4.05, abs=0.005)
    assert levels[11] == pytest.approx(-3.79, abs=0.005)
    assert levels[20] == pytest.approx(-27.0, abs=0.05)
    assert levels[32] == pytest.approx(-30.1, abs=0.05)


def test_rectangular_sidelobes_fall_6_db_per_doubling():
    n, pad = 1024, 16
    magnitude = np.abs(np.fft.rfft(np.ones(n), n * pad))
    near, far = magnitude[int(10.5 * pad)], magnitude[int(20.5 * pad)]
    assert 20 * np.log10(near / far) == pytest.approx(20 * np.log10(20.5 / 10.5), abs=0.05)
    assert 20 * np.log10(2) == pytest.approx(6.02, abs=0.005)


# --- Radix-2 FFT ----------------------------------------------------------------------------------


def test_radix2_code_matches_numpy():
    x = np.random.default_rng(9).standard_normal(64)
    assert np.allclose(fft_radix2(x), np.fft.fft(x))


def test_butterfly_equations():
    x = np.random.default_rng(10).standard_normal(16)
    even, odd = np.fft.fft(x[0::2]), np.fft.fft(x[1::2])
    w = np.exp(-2j * np.pi * np.arange(8) / 16)
    full = np.fft.fft(x)
    assert np.allclose(full[:8], even + w * odd)
    assert np.allclose(full[8:], even - w * odd)


def test_speedup_table():
    table = {
        64: (4096, 192, 21.3),
        128: (16384, 448, 36.6),
        256: (65536, 1024, 64.0),
        512: (262144, 2304, 113.8),
        1024: (1048576, 5120, 204.8),
        2048: (4194304, 11264, 372.4),
        4096: (16777216, 24576, 682.7),
    }
    for n, (direct, fast, ratio) in table.items():
        stages = int(np.log2(n))
        assert n * n == direct
        assert n // 2 * stages == fast
        assert round(direct / fast, 1) == ratio
        assert direct / fast == pytest.approx(2 * n / stages)


def test_bit_reversed_order_for_8_points():
    order = [int(format(p, "03b")[::-1], 2) for p in range(8)]
    assert order == [0, 4, 2, 6, 1, 5, 3, 7]


def test_example_four_point_fft_by_butterflies():
    even = np.array([1 + 0, 1 - 0])
    odd = np.array([2 - 1, 2 + 1])
    assert np.allclose(np.fft.fft([1, 0]), even)
    assert np.allclose(np.fft.fft([2, -1]), odd)
    w = np.array([1, -1j])
    assert np.allclose(np.concatenate([even + w * odd, even - w * odd]), [2, 1 - 3j, 0, 1 + 3j])
    assert 4 // 2 * 2 == 4 and 4**2 == 16


def test_inverse_fft_with_conjugate_twiddles():
    spectrum = np.fft.fft(np.arange(8.0))
    assert np.allclose(np.conj(fft_radix2(np.conj(spectrum))) / 8, np.arange(8.0))


# --- Fast convolution -----------------------------------------------------------------------------


def overlap_add(x, h, n):
    m = len(h)
    block = n - m + 1
    spectrum = np.fft.fft(h, n)
    y = np.zeros(len(x) + m - 1)
    for start in range(0, len(x), block):
        piece = np.real(np.fft.ifft(np.fft.fft(x[start : start + block], n) * spectrum))
        stop = min(start + n, len(y))
        y[start:stop] += piece[: stop - start]
    return y


def overlap_save(x, h, n):
    m = len(h)
    block = n - m + 1
    spectrum = np.fft.fft(h, n)
    padded = np.concatenate([np.zeros(m - 1), x, np.zeros(n)])
    out = []
    for start in range(0, len(x) + m - 1, block):
        segment = padded[start : start + n]
        out.append(np.real(np.fft.ifft(np.fft.fft(segment) * spectrum))[m - 1 :])
    return np.concatenate(out)[: len(x) + m - 1]


def test_example_overlap_add_and_save_by_hand():
    x, h = np.arange(1.0, 7.0), np.array([1.0, 1.0])
    assert np.allclose(np.convolve(x[:3], h), [1, 3, 5, 3])
    assert np.allclose(np.convolve(x[3:], h), [4, 9, 11, 6])
    assert np.allclose(circular_convolution([0, 1, 2, 3], h, 4), [3, 1, 3, 5])
    assert np.allclose(circular_convolution([3, 4, 5, 6], h, 4), [9, 7, 9, 11])
    assert np.allclose(circular_convolution([6, 0, 0, 0], h, 4), [6, 6, 0, 0])
    expected = [1, 3, 5, 7, 9, 11, 6]
    assert np.allclose(np.convolve(x, h), expected)
    assert np.allclose(overlap_add(x, h, 4), expected)
    assert np.allclose(overlap_save(x, h, 4), expected)


def test_block_methods_match_direct_convolution_for_257_taps():
    rng = np.random.default_rng(11)
    x, h = rng.standard_normal(5000), rng.standard_normal(257)
    direct = np.convolve(x, h)
    assert np.allclose(overlap_add(x, h, 1024), direct)
    assert np.allclose(overlap_save(x, h, 1024), direct)


def real_mults_per_output(m, n):
    block = n - m + 1
    complex_mults = 2 * (n // 2) * np.log2(n) + n
    return 4 * complex_mults / block


def test_example_257_tap_filter():
    assert 1024 - 257 + 1 == 768
    assert 1024 * 10 + 1024 == 11264
    assert 4 * 11264 == 45056
    assert real_mults_per_output(257, 1024) == pytest.approx(58.7, abs=0.05)
    assert 257 / real_mults_per_output(257, 1024) == pytest.approx(4.4, abs=0.05)
    table = {512: (256, 80.0), 1024: (768, 58.7), 2048: (1792, 54.9), 4096: (3840, 55.5)}
    for n, (block, cost) in table.items():
        assert n - 256 == block
        assert real_mults_per_output(257, n) == pytest.approx(cost, abs=0.05)
    costs = {n: real_mults_per_output(257, n) for n in (256 * 2**p for p in range(1, 8))}
    assert min(costs, key=costs.get) == 2048


def test_example_short_filter_is_cheaper_direct():
    assert real_mults_per_output(16, 64) == pytest.approx(36.6, abs=0.05)
    assert real_mults_per_output(16, 64) > 16
