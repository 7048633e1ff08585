"""Numbers of chapter 01 (Signals and systems), recomputed with numpy/scipy."""

import math
from fractions import Fraction

import numpy as np
import pytest
from scipy import integrate

# --- Continuous-time and discrete-time signals ---------------------------------------------------


def test_example_energy_of_half_power_geometric_sequence():
    n = np.arange(200)
    assert np.sum(0.5 ** (2 * n)) == pytest.approx(4 / 3)
    assert round(4 / 3, 3) == 1.333


def test_example_energy_of_decaying_exponential():
    energy, _ = integrate.quad(lambda t: math.exp(-2 * t) ** 2, 0, np.inf)
    assert energy == pytest.approx(0.25)


def test_example_power_of_3cos():
    t = np.linspace(0, 1 / 50, 100_000, endpoint=False)  # one period of 3cos(100πt)
    assert np.mean((3 * np.cos(100 * np.pi * t)) ** 2) == pytest.approx(4.5)


def test_example_power_of_unit_step_sequence():
    for big_n in (10, 1000, 100_000):
        n = np.arange(-big_n, big_n + 1)
        power = np.sum((n >= 0).astype(float)) / (2 * big_n + 1)
        assert power == pytest.approx((big_n + 1) / (2 * big_n + 1))
    assert power == pytest.approx(0.5, abs=1e-4)


def test_complex_exponential_power_is_magnitude_squared():
    t = np.linspace(0, 1, 10_000, endpoint=False)
    x = (1 + 2j) * np.exp(2j * np.pi * 7 * t)
    assert np.mean(np.abs(x) ** 2) == pytest.approx(5)


def test_energy_of_short_list():
    assert np.sum(np.array([2, 1, 0, -1]) ** 2) == 6


# --- Elementary signals ---------------------------------------------------------------------------


def test_impulse_is_first_difference_of_step():
    n = np.arange(-5, 6)
    step = (n >= 0).astype(int)
    step_delayed = (n - 1 >= 0).astype(int)
    assert list(step - step_delayed) == list((n == 0).astype(int))
    assert list(np.cumsum((n == 0).astype(int))) == list(step)


def test_example_sifting_sum():
    n = np.arange(-10, 11)
    assert np.sum((n**2 + 1) * (n == 3)) == 10


def test_example_sifting_cosine():
    assert math.cos(math.pi / 3) == pytest.approx(0.5)


def test_example_scaled_impulse_integral():
    # δ(2t − 4) approximated by a narrow unit-area Gaussian in its argument
    width = 1e-4

    def delta(v: float) -> float:
        return math.exp(-(v**2) / (2 * width**2)) / (width * math.sqrt(2 * math.pi))

    value, _ = integrate.quad(lambda t: math.exp(-t) * delta(2 * t - 4), 1.99, 2.01, points=[2.0], limit=200)
    assert value == pytest.approx(0.5 * math.exp(-2), rel=1e-4)
    assert round(0.5 * math.exp(-2), 4) == 0.0677


def test_example_damped_sinusoid_value():
    c = 2 * np.exp(1j * np.pi / 4)
    z0 = 0.8 * np.exp(1j * np.pi / 3)
    x3 = np.real(c * z0**3)
    assert x3 == pytest.approx(2 * 0.512 * math.cos(5 * math.pi / 4))
    assert round(x3, 3) == -0.724


def test_euler_cosine_as_two_exponentials():
    t = np.linspace(0, 1, 101)
    a, omega, phi = 1.7, 5.0, 0.3
    lhs = a * np.cos(omega * t + phi)
    rhs = a / 2 * np.exp(1j * phi) * np.exp(1j * omega * t) + a / 2 * np.exp(-1j * phi) * np.exp(-1j * omega * t)
    assert np.allclose(lhs, rhs)


# --- Transformations of the independent variable -------------------------------------------------


def ramp(t: np.ndarray) -> np.ndarray:
    return np.where((t >= 0) & (t <= 2), t, 0.0)


def test_example_reversed_compressed_ramp():
    t = np.linspace(-1, 4, 50_001)
    y = ramp(4 - 2 * t)
    support = t[y > 0]
    assert support.min() == pytest.approx(1, abs=1e-3)
    assert support.max() == pytest.approx(2, abs=1e-3)
    assert ramp(np.array([4 - 2 * 1.0]))[0] == 2
    energy_y, _ = integrate.quad(lambda s: (4 - 2 * s) ** 2, 1, 2)
    energy_x, _ = integrate.quad(lambda s: s**2, 0, 2)
    assert energy_y == pytest.approx(4 / 3)
    assert energy_x == pytest.approx(8 / 3)
    assert energy_y == pytest.approx(energy_x / 2)
    energy_x3, _ = integrate.quad(lambda s: ramp(np.array([3 * s]))[0] ** 2, 0, 1)
    assert energy_x3 == pytest.approx(energy_x / 3)


def test_example_discrete_reversal_and_decimation():
    x = {0: 1, 1: 2, 2: 3, 3: 4}
    y = {n: x.get(2 - n, 0) for n in range(-3, 6) if x.get(2 - n, 0)}
    assert y == {-1: 4, 0: 3, 1: 2, 2: 1}
    assert [x[2 * n] for n in range(2)] == [1, 3]


def test_example_even_odd_parts_of_sequence():
    n = np.arange(-3, 4)
    x = np.array([0, 0, 0, 1, 2, 3, 4], dtype=float)  # x[n] on n = -3..3
    xr = x[::-1]
    even, odd = (x + xr) / 2, (x - xr) / 2
    assert dict(zip(n.tolist(), even.tolist(), strict=True)) == {-3: 2, -2: 1.5, -1: 1, 0: 1, 1: 1, 2: 1.5, 3: 2}
    assert dict(zip(n.tolist(), odd.tolist(), strict=True)) == {-3: -2, -2: -1.5, -1: -1, 0: 0, 1: 1, 2: 1.5, 3: 2}
    assert np.allclose(even + odd, x)
    assert np.sum(even**2) == pytest.approx(15.5)
    assert np.sum(odd**2) == pytest.approx(14.5)
    assert np.sum(x**2) == 30


# --- Periodic signals and discrete-time sinusoids ------------------------------------------------


def fundamental_period(omega_over_pi: Fraction) -> int:
    """N for cos(ω0 n) with ω0 = omega_over_pi·π, from ω0/2π in lowest terms."""
    return (omega_over_pi / 2).denominator


def smallest_period(x: np.ndarray) -> int:
    for period in range(1, len(x) // 2):
        if np.allclose(x[period:], x[:-period]):
            return period
    raise AssertionError("no period found")


@pytest.mark.parametrize(
    ("omega_over_pi", "period"),
    [(Fraction(1, 4), 8), (Fraction(2, 3), 3), (Fraction(3, 8), 16), (Fraction(9, 10), 20), (Fraction(7, 4), 8)],
)
def test_table_discrete_sinusoid_periods(omega_over_pi: Fraction, period: int):
    assert fundamental_period(omega_over_pi) == period
    n = np.arange(400)
    assert smallest_period(np.cos(float(omega_over_pi) * np.pi * n + 0.3)) == period


def test_table_cos_half_n_not_periodic():
    n = np.arange(2000)
    x = np.cos(0.5 * n)
    assert min(np.max(np.abs(x[p:] - x[:-p])) for p in range(1, 1000)) > 1e-3
    assert 4 * math.pi == pytest.approx(12.57, abs=0.005)


def test_frequencies_differing_by_2pi_identical():
    n = np.arange(50)
    assert np.allclose(np.cos(7 * np.pi / 4 * n), np.cos(np.pi / 4 * n))
    assert np.allclose(np.cos((np.pi / 4 + 2 * np.pi) * n), np.cos(np.pi / 4 * n))
    assert 2 * np.pi * 7000 / 8000 == pytest.approx(7 * np.pi / 4)


def test_example_periods_of_sums():
    n = np.arange(600)
    assert np.allclose(np.cos(0.9 * np.pi * n), (-1.0) ** n * np.cos(0.1 * np.pi * n))
    assert smallest_period(np.cos(0.9 * np.pi * n) + np.sin(2 * np.pi * n / 3)) == 60 == math.lcm(20, 3)
    assert smallest_period(np.cos(np.pi * n / 4) + np.sin(np.pi * n / 6)) == 24 == math.lcm(8, 12)
    t = np.linspace(0, 4 * np.pi, 40_001)
    x = np.cos(2 * t) + np.sin(3 * t)
    shift = 20_000  # 2π is half of the grid
    assert np.allclose(x[shift:], x[:-shift])
    assert not np.allclose(x[shift // 2 :], x[: -shift // 2])  # π is not a period of the sum


# --- Systems: memory, causality, stability, invertibility; linearity and time invariance ---------


def s1(x):  # first difference
    return x - np.concatenate(([0.0], x[:-1]))


def s2(x):  # accumulator
    return np.cumsum(x)


def s3(x):  # centred three-point average (zeros outside)
    padded = np.concatenate(([0.0], x, [0.0]))
    return (padded[:-2] + padded[1:-1] + padded[2:]) / 3


def s4(x):
    return x**2


def s5(x):
    return np.arange(len(x)) * x


def s7(x):
    return 2 * x + 3


def test_example_accumulator_of_geometric_sequence():
    n = np.arange(10)
    y = s2(0.5**n)
    assert np.allclose(y, 2 * (1 - 0.5 ** (n + 1)))
    assert y[:4].tolist() == [1, 1.5, 1.75, 1.875]
    assert y[3] - y[2] == 0.125
    assert np.allclose(s1(y), 0.5**n)


def test_unstable_accumulator_and_time_varying_gain_with_step():
    step = np.ones(1000)
    assert s2(step)[-1] == 1000  # n + 1 at n = 999
    assert s5(step)[-1] == 999


def test_centred_average_kills_cos_2pi_over_3():
    n = np.arange(-30, 31)
    x = np.cos(2 * np.pi * n / 3)
    y = (np.cos(2 * np.pi * (n - 1) / 3) + x + np.cos(2 * np.pi * (n + 1) / 3)) / 3
    assert np.allclose(y, 0)
    assert 1 + 2 * math.cos(2 * math.pi / 3) == pytest.approx(0)


def test_stability_bounds():
    rng = np.random.default_rng(1)
    x = rng.uniform(-1, 1, 10_000)
    assert np.max(np.abs(s1(x))) <= 2
    assert np.max(np.abs(s7(x))) <= 5


def test_squarer_and_s7_not_invertible_or_invertible():
    x = np.array([1.0, -2.0, 3.0])
    assert np.allclose(s4(x), s4(-x))
    assert np.allclose((s7(x) - 3) / 2, x)
    assert np.allclose(s1(np.full(5, 4.0))[1:], 0)  # constants vanish (after the start)


@pytest.mark.parametrize(
    ("system", "linear"), [(s1, True), (s2, True), (s3, True), (s4, False), (s5, True), (s7, False)]
)
def test_table_linearity(system, linear: bool):
    rng = np.random.default_rng(2)
    x1, x2 = rng.normal(size=20), rng.normal(size=20)
    a, b = 1.5, -0.7
    assert np.allclose(system(a * x1 + b * x2), a * system(x1) + b * system(x2)) is linear


@pytest.mark.parametrize(("system", "invariant"), [(s1, True), (s2, True), (s3, True), (s4, True), (s5, False)])
def test_table_time_invariance(system, invariant: bool):
    rng = np.random.default_rng(3)
    x = np.concatenate((np.zeros(5), rng.normal(size=10), np.zeros(10)))  # starts at rest, ends at rest
    shifted_input = np.concatenate((np.zeros(3), x[:-3]))
    shifted_output = np.concatenate((np.zeros(3), system(x)[:-3]))
    assert np.allclose(system(shifted_input), shifted_output) is invariant


def test_example_two_failures_in_numbers():
    n = np.arange(6)
    assert np.all(s5((n == 0).astype(float)) == 0)
    assert s5((n == 2).astype(float)).tolist() == [0, 0, 2, 0, 0, 0]
    assert s7(np.array([1.0]))[0] == 5
    assert s7(np.array([2.0]))[0] == 7
    assert s7(np.array([3.0]))[0] == 9


def test_s6_time_compressor_is_time_varying():
    def x(t):
        return np.exp(-(t**2))

    t, t0 = np.linspace(-3, 3, 61), 1.0
    response_to_shifted = x(2 * t - t0)
    shifted_response = x(2 * (t - t0))
    assert not np.allclose(response_to_shifted, shifted_response)
