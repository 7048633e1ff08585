"""Numbers of chapter 08 (the z-transform), recomputed with numpy/scipy."""

import math

import numpy as np
import pytest
from scipy import signal


def _tf_at(b, a, z):
    """H(z) for coefficients in powers of z^-1."""
    zi = 1 / z
    return np.polyval(b[::-1], zi) / np.polyval(a[::-1], zi)


def test_example_right_sided_0p8_at_z_2():
    partial = sum(0.4**n for n in range(200))
    assert pytest.approx(5 / 3) == 1 / (1 - 0.8 / 2)
    assert partial == pytest.approx(5 / 3)
    # at z = 0.5 the terms 1.6^n grow: outside the ROC
    assert 0.8 / 0.5 > 1


def test_example_two_sided_sequence_at_z_1():
    right = sum(0.5**n for n in range(200))
    left = sum(2.0**n for n in range(-200, 0))
    assert right + left == pytest.approx(3.0)
    z = 1.0
    combined = -1.5 / z / ((1 - 0.5 / z) * (1 - 2 / z))
    separate = 1 / (1 - 0.5 / z) - 1 / (1 - 2 / z)
    assert combined == pytest.approx(3.0)
    assert separate == pytest.approx(3.0)
    # the combined form equals the sum at another point inside the ring 0.5 < |z| < 2
    z = 1.3 * np.exp(0.7j)
    direct = sum((0.5 / z) ** n for n in range(400)) + sum((2 / z) ** n for n in range(-400, 0))
    assert -1.5 / z / ((1 - 0.5 / z) * (1 - 2 / z)) == pytest.approx(direct)


def test_left_sided_pair_same_formula():
    a, z = 0.7, 0.4 * np.exp(1.1j)  # |z| < |a|
    direct = sum(-(a**n) * z ** (-n) for n in range(-300, 0))
    assert direct == pytest.approx(1 / (1 - a / z))


def test_table_pairs_by_impulse_response():
    n = np.arange(40)
    a, r, w0 = 0.6, 0.8, 0.9
    impulse = np.zeros(40)
    impulse[0] = 1
    assert np.allclose(signal.lfilter([0, a], [1, -2 * a, a * a], impulse), n * a**n)
    den = [1, -2 * r * math.cos(w0), r * r]
    assert np.allclose(signal.lfilter([1, -r * math.cos(w0)], den, impulse), r**n * np.cos(w0 * n))
    assert np.allclose(signal.lfilter([0, r * math.sin(w0)], den, impulse), r**n * np.sin(w0 * n))


def test_example_convolution_as_polynomial_multiplication():
    y = np.convolve([1, 2], [1, -1, 3])
    assert y.tolist() == [1, 1, 1, 6]


def test_example_damped_cosine_modulation():
    n = np.arange(30)
    x = 0.9**n * np.cos(np.pi * n / 3)
    assert np.allclose(x[:4], [1, 0.45, -0.405, -0.729])
    impulse = np.zeros(30)
    impulse[0] = 1
    h = signal.lfilter([1, -0.45], [1, -0.9, 0.81], impulse)
    assert np.allclose(h, x)
    assert np.allclose(np.abs(np.roots([1, -0.9, 0.81])), 0.9)
    assert np.allclose(sorted(np.abs(np.angle(np.roots([1, -0.9, 0.81])))), [np.pi / 3] * 2)


def test_example_recursion_pole_zero_plot():
    b, a = [1, 1], [1, -0.9, 0.2]
    z, p, _ = signal.tf2zpk([1, 1, 0], [1, -0.9, 0.2])
    assert sorted(p.real) == pytest.approx([0.4, 0.5])
    assert sorted(z.real) == pytest.approx([-1, 0])
    dc = _tf_at(np.array(b), np.array(a), 1.0)
    assert dc == pytest.approx(6.6667, abs=1e-3)
    assert 20 * math.log10(dc) == pytest.approx(16.5, abs=0.05)
    impulse = np.zeros(5)
    impulse[0] = 1
    h = signal.lfilter(b, a, impulse)
    assert h[:3] == pytest.approx([1, 1.9, 1.51])
    # closed form from partial fractions: 15(0.5)^n - 14(0.4)^n
    n = np.arange(5)
    assert np.allclose(h, 15 * 0.5**n - 14 * 0.4**n)


def test_halving_time_of_pole_0p99():
    assert math.log(2) / -math.log(0.99) == pytest.approx(69, abs=0.5)


def test_accumulator_step_response_grows():
    y = signal.lfilter([1], [1, -1], np.ones(10))
    assert y.tolist() == list(range(1, 11))


def test_example_three_rocs_for_one_formula():
    r, p, k = signal.residuez([1], np.convolve([1, -0.5], [1, -2]))
    residues = dict(zip(np.round(p.real, 6), r.real, strict=True))
    assert residues[0.5] == pytest.approx(-1 / 3)
    assert residues[2.0] == pytest.approx(4 / 3)
    assert len(k) == 0
    # the stable, two-sided choice
    n_pos, n_neg = np.arange(0, 200), np.arange(-200, 0)
    h_pos = -1 / 3 * 0.5**n_pos
    h_neg = -4 / 3 * 2.0**n_neg
    assert np.abs(h_pos).sum() + np.abs(h_neg).sum() == pytest.approx(2.0)
    assert h_pos.sum() + h_neg.sum() == pytest.approx(-2.0)
    assert pytest.approx(-2.0) == 1 / ((1 - 0.5) * (1 - 2))
    # its DTFT agrees with H(e^{jw}) at a few frequencies
    for w in (0.3, 1.2, 2.5):
        dtft = np.sum(h_pos * np.exp(-1j * w * n_pos)) + np.sum(h_neg * np.exp(-1j * w * n_neg))
        zinv = np.exp(-1j * w)
        assert dtft == pytest.approx(1 / ((1 - 0.5 * zinv) * (1 - 2 * zinv)))


def test_example_partial_fractions_step_by_step():
    b, a = [3], [1, -0.25, -0.125]
    r, p, k = signal.residuez(b, a)
    residues = dict(zip(np.round(p.real, 6), r.real, strict=True))
    assert residues[0.5] == pytest.approx(2)
    assert residues[-0.25] == pytest.approx(1)
    assert len(k) == 0
    n = np.arange(10)
    closed = 2 * 0.5**n + (-0.25) ** n
    impulse = np.zeros(10)
    impulse[0] = 1
    assert np.allclose(signal.lfilter(b, a, impulse), closed)
    assert closed[:4] == pytest.approx([3, 0.75, 0.5625, 0.234375])
    assert np.convolve([1, -0.5], [1, 0.25]) == pytest.approx(a)


def test_example_long_division_recursion():
    b0, a1, a2 = 3, -0.25, -0.125
    x = [b0]
    x.append(-a1 * x[0])
    for _ in range(2):
        x.append(-a1 * x[-1] - a2 * x[-2])
    assert x == pytest.approx([3, 0.75, 0.5625, 0.234375])


def test_example_resonator_gain_at_pole_angle():
    theta, r = math.pi / 4, 0.9
    b, a = [1, 0, -1], [1, -2 * r * math.cos(theta), r * r]
    assert theta / (2 * math.pi) * 8000 == pytest.approx(1000)
    _, h = signal.freqz(b, a, [theta])
    gain = abs(h[0])
    dists = [abs(np.exp(1j * theta) - 1), abs(np.exp(1j * theta) + 1)]
    pole_dists = [abs(np.exp(1j * theta) - r * np.exp(1j * theta)), abs(np.exp(1j * theta) - r * np.exp(-1j * theta))]
    assert dists == pytest.approx([0.765, 1.848], abs=5e-4)
    assert pole_dists == pytest.approx([0.1, 1.345], abs=5e-4)
    assert gain == pytest.approx(np.prod(dists) / np.prod(pole_dists))
    assert gain == pytest.approx(10.5, abs=0.05)
    assert 20 * math.log10(gain) == pytest.approx(20.4, abs=0.05)


def test_example_resonator_bandwidth():
    theta, r, fs = math.pi / 4, 0.9, 8000
    assert (1 - r) * fs / math.pi == pytest.approx(255, abs=0.5)
    f, h = signal.freqz([1, 0, -1], [1, -2 * r * math.cos(theta), r * r], worN=2**17, fs=fs)
    mag = np.abs(h)
    inside = f[mag >= mag.max() / math.sqrt(2)]
    assert inside[-1] - inside[0] == pytest.approx(266, abs=1)
    # closer poles: the rule of thumb improves
    r = 0.99
    f, h = signal.freqz([1, 0, -1], [1, -2 * r * math.cos(theta), r * r], worN=2**18, fs=fs)
    mag = np.abs(h)
    inside = f[mag >= mag.max() / math.sqrt(2)]
    assert inside[-1] - inside[0] == pytest.approx((1 - r) * fs / math.pi, rel=0.02)


def test_example_lowpass_gain_at_quarter_turn():
    _, h = signal.freqz([1, 1], [1, -0.9, 0.2], [0, np.pi / 2, np.pi])
    assert abs(h[1]) == pytest.approx(math.sqrt(2) / math.sqrt(1.25 * 1.16))
    assert abs(h[1]) == pytest.approx(1.17, abs=0.005)
    assert abs(h[0]) == pytest.approx(20 / 3)
    assert abs(h[2]) == pytest.approx(0, abs=1e-12)
