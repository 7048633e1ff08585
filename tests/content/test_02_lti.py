"""Numbers of chapter 02 (LTI systems and convolution), recomputed with numpy/scipy."""

import math

import numpy as np
import pytest
from scipy import integrate, signal

# --- The impulse response and the convolution sum ------------------------------------------------


def test_example_three_by_three_convolution():
    x, h = np.array([1, 2, 3]), np.array([2, 1, -1])
    y = np.convolve(x, h)
    assert y.tolist() == [2, 5, 7, 1, -3]
    assert len(y) == len(x) + len(h) - 1
    rows = np.zeros((3, 5))
    for k in range(3):
        rows[k, k : k + 3] = x[k] * h
    assert rows[0].tolist() == [2, 1, -1, 0, 0]
    assert rows[1].tolist() == [0, 4, 2, -2, 0]
    assert rows[2].tolist() == [0, 0, 6, 3, -3]
    assert rows.sum(axis=0).tolist() == y.tolist()
    flipped = [h[2 - k] for k in range(3)]
    assert flipped == [-1, 1, 2]
    assert sum(x[k] * flipped[k] for k in range(3)) == 7
    assert y.sum() == x.sum() * h.sum() == 12


def test_polynomial_product_view():
    assert np.polymul([1, 2, 3], [2, 1, -1]).tolist() == [2, 5, 7, 1, -3]


def test_example_step_convolved_with_half_power():
    n = np.arange(30)
    y = np.convolve(np.ones(30), 0.5**n)[:30]
    assert np.allclose(y, (1 - 0.5 ** (n + 1)) / (1 - 0.5))
    assert y[3] == pytest.approx(1.875)
    assert y[-1] == pytest.approx(2, abs=1e-8)


def test_convolution_sum_equals_superposition_of_shifted_responses():
    rng = np.random.default_rng(0)
    x, h = rng.normal(size=7), rng.normal(size=5)
    total = np.zeros(11)
    for k, value in enumerate(x):
        total[k : k + 5] += value * h
    assert np.allclose(total, np.convolve(x, h))


# --- Properties of convolution and connected systems ---------------------------------------------


def test_commutative_associative_distributive():
    rng = np.random.default_rng(1)
    x, h1, h2 = rng.normal(size=6), rng.normal(size=4), rng.normal(size=4)
    assert np.allclose(np.convolve(x, h1), np.convolve(h1, x))
    assert np.allclose(np.convolve(np.convolve(x, h1), h2), np.convolve(x, np.convolve(h1, h2)))
    assert np.allclose(np.convolve(x, h1 + h2), np.convolve(x, h1) + np.convolve(x, h2))
    assert np.allclose(np.convolve(x, [1.0]), x)
    assert np.allclose(np.convolve(x, [0, 0, 1.0])[2:], x)


def test_warning_nonlinear_cascade_order_matters():
    def offset(v):
        return 2 * v + 3

    def square(v):
        return v**2

    assert square(offset(1)) == 25
    assert offset(square(1)) == 5


def test_example_cascade_feeding_parallel_pair():
    h1 = np.array([1, 1])
    branches = np.array([1, 0, 0]) + np.array([0, 0, -1])
    h = np.convolve(h1, branches)
    assert branches.tolist() == [1, 0, -1]
    assert h.tolist() == [1, 1, -1, -1]
    assert h.sum() == h1.sum() * branches.sum() == 0
    step_response = np.convolve(h, np.ones(8))[:8]
    assert step_response.tolist() == [1, 2, 1, 0, 0, 0, 0, 0]


def test_example_accumulator_and_difference_are_inverses():
    n = 20
    accumulator = np.ones(n)
    difference = np.array([1, -1])
    assert np.allclose(np.convolve(accumulator, difference)[:n], np.eye(1, n, 0)[0])


# --- The convolution integral and the step response ----------------------------------------------


def test_example_step_into_decaying_exponential():
    def y(t):
        value, _ = integrate.quad(lambda tau: math.exp(-2 * (t - tau)), 0, t)
        return value

    assert y(1.0) == pytest.approx((1 - math.exp(-2)) / 2)
    assert round(y(1.0), 3) == 0.432
    assert y(20.0) == pytest.approx(0.5)


def test_example_two_rectangular_pulses():
    dt = 1e-3
    t = np.arange(0, 4, dt)
    x = ((t >= 0) & (t < 2)).astype(float)
    h = ((t >= 0) & (t < 1)).astype(float)
    y = np.convolve(x, h)[: len(t)] * dt
    expected = np.piecewise(t, [t < 1, (t >= 1) & (t < 2), (t >= 2) & (t < 3)], [lambda s: s, 1.0, lambda s: 3 - s, 0])
    assert np.max(np.abs(y - expected)) < 2e-3
    assert y.sum() * dt == pytest.approx(2, rel=1e-3)


def test_example_discrete_step_response():
    n = np.arange(40)
    h = 0.5**n
    s = np.cumsum(h)
    assert np.allclose(s, 2 - 0.5**n)
    assert s[:4].tolist() == [1, 1.5, 1.75, 1.875]
    assert s[3] - s[2] == 0.125
    assert s[-1] == pytest.approx(2, abs=1e-10)


def test_example_ninety_percent_time_of_continuous_step_response():
    t90 = math.log(10) / 2
    assert (1 - math.exp(-2 * t90)) / 2 == pytest.approx(0.9 * 0.5)
    assert round(t90, 3) == 1.151


# --- Causality, stability and invertibility from the impulse response ----------------------------


def test_absolute_sums():
    n = np.arange(1, 200_000)
    assert np.sum(1 / n**2) == pytest.approx(math.pi**2 / 6, rel=1e-4)
    assert np.sum(1 / n) > 12  # the harmonic series keeps growing (≈ ln N)
    k = np.arange(0, 500)
    assert np.sum(np.abs(0.7**k)) == pytest.approx(1 / (1 - 0.7))


def test_example_bounding_an_output():
    k = np.arange(400)
    h = (-0.6) ** k
    assert np.sum(np.abs(h)) == pytest.approx(2.5)
    n = np.arange(800)
    worst = np.convolve(2 * (-1.0) ** n, h)[:800]
    assert abs(worst[-1]) == pytest.approx(5, rel=1e-9)
    assert np.max(np.abs(worst)) <= 5 + 1e-12
    constant = np.convolve(2 * np.ones(800), h)[:800]
    assert constant[-1] == pytest.approx(1.25)
    rng = np.random.default_rng(4)
    random_bounded = rng.uniform(-2, 2, 800)
    assert np.max(np.abs(np.convolve(random_bounded, h))) <= 5


def test_example_inverse_of_first_order_fir():
    n = np.arange(30)
    h = np.array([1, -0.5])
    inverse = 0.5**n
    cascade = np.convolve(h, inverse)[:30]
    assert np.allclose(cascade, np.eye(1, 30, 0)[0])


def test_echo_inverse():
    d, length = 5, 200
    h = np.zeros(length)
    h[0], h[d] = 1, 0.8
    inverse = np.zeros(length)
    inverse[::d] = (-0.8) ** np.arange(len(inverse[::d]))
    cascade = np.convolve(h, inverse)[:length]
    assert np.allclose(cascade, np.eye(1, length, 0)[0], atol=1e-12)


# --- Difference equations, FIR and IIR systems ---------------------------------------------------


def test_first_order_recursion_impulse_response():
    impulse = np.eye(1, 20, 0)[0]
    assert np.allclose(signal.lfilter([1], [1, -0.7], impulse), 0.7 ** np.arange(20))


def test_fir_impulse_response_is_coefficients():
    b = [0.25, 0.25, 0.25, 0.25]
    assert np.allclose(signal.lfilter(b, [1], np.eye(1, 8, 0)[0]), [*b, 0, 0, 0, 0])


def test_example_first_order_iir_system():
    impulse = np.eye(1, 10, 0)[0]
    h = signal.lfilter([1, 1], [1, -0.8], impulse)
    assert h[:4] == pytest.approx([1, 1.8, 1.44, 1.152])
    assert np.allclose(h[1:], 1.8 * 0.8 ** np.arange(9))
    y = signal.lfilter([1, 1], [1, -0.8], np.ones(4))
    assert y == pytest.approx([1, 2.8, 4.24, 5.392])
    assert signal.lfilter([1, 1], [1, -0.8], np.ones(400))[-1] == pytest.approx(10)
    dc_gain = (1 + 1) / (1 - 0.8)
    assert dc_gain == pytest.approx(10)


def test_manual_recursion_matches_lfilter():
    x = np.ones(6)
    y, previous_y, previous_x = [], 0.0, 0.0
    for value in x:
        current = 0.8 * previous_y + value + previous_x
        y.append(current)
        previous_y, previous_x = current, value
    assert np.allclose(y, signal.lfilter([1, 1], [1, -0.8], x))


# --- Complex exponentials and the frequency response ---------------------------------------------


def test_eigenfunction_property():
    rng = np.random.default_rng(5)
    h = rng.normal(size=6)
    omega = 0.7
    n = np.arange(50, 80)
    x_full = np.exp(1j * omega * np.arange(80))
    y = np.convolve(x_full, h)[50:80]
    response = np.sum(h * np.exp(-1j * omega * np.arange(6)))
    assert np.allclose(y, response * np.exp(1j * omega * n))


def test_example_two_point_average():
    _, response = signal.freqz([0.5, 0.5], [1], worN=[0.0, np.pi / 2, np.pi])
    assert abs(response[0]) == pytest.approx(1)
    assert abs(response[1]) == pytest.approx(math.cos(math.pi / 4))
    assert round(abs(response[1]), 3) == 0.707
    assert 20 * math.log10(abs(response[1])) == pytest.approx(-3.01, abs=0.01)
    assert np.angle(response[1]) == pytest.approx(-math.pi / 4)
    assert abs(response[2]) == pytest.approx(0, abs=1e-12)
    n = np.arange(1, 40)
    x = 3 * np.cos(np.pi * np.arange(40) / 2)
    y = 0.5 * (x[1:] + x[:-1])
    assert np.allclose(y, 3 * math.cos(math.pi / 4) * np.cos(np.pi * n / 2 - np.pi / 4))
    assert round(3 * math.cos(math.pi / 4), 3) == 2.121
    assert y[0] == pytest.approx(1.5)


def test_example_resonator_gain_at_centre():
    r, theta = 0.9, math.pi / 4
    a = [1, -2 * r * math.cos(theta), r * r]
    assert a[1] == pytest.approx(-1.2728, abs=1e-4)
    assert a[2] == pytest.approx(0.81)
    assert theta * 8000 / (2 * math.pi) == pytest.approx(1000)
    z1 = np.exp(-1j * theta)
    numerator = 1 - z1**2
    denominator = a[0] + a[1] * z1 + a[2] * z1**2
    assert numerator == pytest.approx(1 + 1j)
    assert denominator == pytest.approx(0.1 + 0.09j)
    assert abs(denominator) == pytest.approx(0.1345, abs=1e-4)
    _, response = signal.freqz([1, 0, -1], a, worN=[0.0, theta])
    assert abs(response[1]) == pytest.approx(10.51, abs=0.01)
    assert 20 * math.log10(abs(response[1])) == pytest.approx(20.4, abs=0.05)
    assert abs(response[0]) == pytest.approx(0, abs=1e-12)
