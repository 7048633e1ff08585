"""Numbers of chapter 10 (IIR filter design), recomputed with numpy/scipy."""

import math

import numpy as np
import pytest
from scipy import signal

FS = 8000.0


def _db(x):
    return 20 * np.log10(np.abs(x))


def _sos_gain_db(sos, freqs, fs=FS):
    _, h = signal.sosfreqz(sos, worN=np.asarray(freqs, dtype=float), fs=fs)
    return _db(h)


def _butter_order(a_p, a_s, ratio):
    return math.log10((10 ** (a_s / 10) - 1) / (10 ** (a_p / 10) - 1)) / (2 * math.log10(ratio))


def test_butterworth_properties():
    for order in (1, 3, 8):
        b, a = signal.butter(order, 1.0, analog=True)
        _, h = signal.freqs(b, a, worN=[1e-6, 1.0, 100.0, 1000.0])
        assert _db(h[1]) == pytest.approx(-3.0103, abs=1e-4)
        assert abs(h[0]) == pytest.approx(1)
        assert _db(h[2]) - _db(h[3]) == pytest.approx(20 * order, abs=0.01)  # per decade
        assert np.allclose(np.abs(h) ** 2, 1 / (1 + np.array([1e-6, 1, 100, 1000]) ** (2 * order)))
    # maximally flat: 1 - |H|^2 = x^(2N)/(1 + x^(2N)) behaves like x^(2N) near DC (slope 2N on a log-log plot)
    n = 3
    x = np.array([1e-2, 2e-2])
    loss = x ** (2 * n) / (1 + x ** (2 * n))
    assert np.log(loss[1] / loss[0]) / np.log(2) == pytest.approx(2 * n, abs=1e-6)


def test_butterworth_pole_formula():
    for order in (2, 5, 8):
        k = np.arange(1, order + 1)
        poles = np.exp(1j * np.pi * (2 * k + order - 1) / (2 * order))
        _, p, _ = signal.buttap(order)
        assert np.allclose(np.sort_complex(poles), np.sort_complex(p))
    _, a = signal.butter(2, 1.0, analog=True)
    assert np.allclose(a, [1, math.sqrt(2), 1])
    assert sorted(np.degrees(np.angle(signal.buttap(2)[1])) % 360) == pytest.approx([135, 225])


def test_example_butterworth_order_one_octave():
    assert math.log10(9999 / (10**0.1 - 1)) == pytest.approx(4.587, abs=5e-4)
    assert pytest.approx(0.2589, abs=5e-5) == 10**0.1 - 1
    assert _butter_order(1, 40, 2) == pytest.approx(7.62, abs=0.005)
    low = 1 / (10**0.1 - 1) ** (1 / 16)
    high = 2 / 9999 ** (1 / 16)
    assert low == pytest.approx(1.088, abs=5e-4)
    assert high == pytest.approx(1.125, abs=5e-4)
    assert 10 * math.log10(1 + (2 / low) ** 16) == pytest.approx(42.3, abs=0.05)
    order, wn = signal.buttord(1, 2, 1, 40, analog=True)
    assert order == 8
    assert wn == pytest.approx(low)


def test_chebyshev_polynomial():
    x = np.linspace(-1, 1, 11)
    assert np.allclose(np.cos(2 * np.arccos(x)), 2 * x**2 - 1)
    x = 3.0
    assert math.cosh(2 * math.acosh(x)) == pytest.approx(2 * x**2 - 1)
    # ripple of a type I filter: between 1 and 1/sqrt(1 + eps^2)
    b, a = signal.cheby1(5, 1, 1.0, analog=True)
    _, h = signal.freqs(b, a, worN=np.linspace(0, 1, 2001))
    assert np.abs(h).max() == pytest.approx(1, abs=1e-6)
    assert np.abs(h).min() == pytest.approx(1 / math.sqrt(1 + (10**0.1 - 1)), abs=1e-6)


def test_example_orders_of_the_four_families():
    ratio = math.sqrt(9999 / (10**0.1 - 1))
    assert ratio == pytest.approx(196.5, abs=0.05)
    assert math.acosh(ratio) == pytest.approx(5.974, abs=5e-4)
    assert math.acosh(2) == pytest.approx(1.317, abs=5e-4)
    assert math.acosh(ratio) / math.acosh(2) == pytest.approx(4.54, abs=0.005)
    assert signal.cheb1ord(1, 2, 1, 40, analog=True)[0] == 5
    assert signal.cheb2ord(1, 2, 1, 40, analog=True)[0] == 5
    assert signal.ellipord(1, 2, 1, 40, analog=True)[0] == 4


@pytest.mark.parametrize(
    ("family", "order", "gd_low", "gd_high"),
    [("butter", 16, 11.8, 28.5), ("cheby1", 8, 7.5, 46.3), ("cheby2", 8, 4.3, 13.9), ("ellip", 6, 4.2, 39.0)],
)
def test_digital_order_table(family, order, gd_low, gd_high):
    ordfun = {"butter": signal.buttord, "cheby1": signal.cheb1ord, "cheby2": signal.cheb2ord, "ellip": signal.ellipord}
    n, wn = ordfun[family](1000, 1500, 1, 60, fs=FS)
    assert n == order
    sos = signal.iirfilter(n, float(wn), btype="lowpass", rp=1, rs=60, ftype=family, fs=FS, output="sos")
    f, h = signal.sosfreqz(sos, worN=2**15, fs=FS)
    assert _db(h[f <= 1000]).min() >= -1.0 - 1e-6
    assert _db(h[f >= 1500]).max() <= -60 + 1e-6
    _, gd = signal.group_delay(signal.sos2tf(sos), w=np.linspace(0, 1000, 2001), fs=FS)
    assert gd.min() == pytest.approx(gd_low, abs=0.06)
    assert gd.max() == pytest.approx(gd_high, abs=0.06)


def test_bilinear_mapping_properties():
    ts = 1 / FS
    omega = np.array([10.0, 1e3, 1e5])
    z = (1 + 1j * omega * ts / 2) / (1 - 1j * omega * ts / 2)
    assert np.allclose(np.abs(z), 1)
    s = np.array([-100 + 5000j, -1e4 - 3e4j, -1.0])
    assert np.all(np.abs((1 + s * ts / 2) / (1 - s * ts / 2)) < 1)
    # trapezoidal integrator = (T/2)(1 + z^-1)/(1 - z^-1)
    x = np.random.default_rng(0).normal(size=20)
    y = signal.lfilter([ts / 2, ts / 2], [1, -1], x)
    trapezoid = np.concatenate([[ts / 2 * x[0]], ts / 2 * x[0] + np.cumsum(ts / 2 * (x[1:] + x[:-1]))])
    assert np.allclose(y, trapezoid)


@pytest.mark.parametrize(
    ("f_digital", "f_analog"), [(500, 507), (1000, 1055), (2000, 2546), (3000, 6148), (3800, 32356)]
)
def test_warping_table(f_digital, f_analog):
    omega = 2 * FS * math.tan(math.pi * f_digital / FS)
    assert omega / (2 * math.pi) == pytest.approx(f_analog, abs=0.6)


def test_example_first_order_bilinear():
    wc = math.pi / 4
    omega_c = 16000 * math.tan(wc / 2)
    assert omega_c == pytest.approx(6627, abs=0.5)
    assert omega_c / (2 * math.pi * 1000) - 1 == pytest.approx(0.055, abs=0.001)
    w_raw = 2 * math.atan(2 * math.pi * 1000 / 16000)
    assert w_raw == pytest.approx(0.748, abs=5e-4)
    assert w_raw * FS / (2 * math.pi) == pytest.approx(953, abs=0.5)
    t = math.tan(wc / 2)
    b = np.array([t, t]) / (1 + t)
    a = np.array([1, (t - 1) / (t + 1)])
    assert b == pytest.approx([0.2929, 0.2929], abs=5e-5)
    assert a[1] == pytest.approx(-0.4142, abs=5e-5)
    bs, as_ = signal.butter(1, 1000, fs=FS)
    assert np.allclose(b, bs)
    assert np.allclose(a, as_)
    # the same from scipy's bilinear transform of the prewarped prototype
    bz, az = signal.bilinear([omega_c], [1, omega_c], fs=FS)
    assert np.allclose(bz, b)
    assert np.allclose(az, a)
    _, h = signal.freqz(b, a, worN=[0, 1000, 4000 - 1e-9], fs=FS)
    assert abs(h[0]) == pytest.approx(1)
    assert _db(h[1]) == pytest.approx(-3.0103, abs=1e-4)
    assert abs(h[2]) == pytest.approx(0, abs=1e-9)


def _impulse_invariant_butter2():
    omega_c = 2 * math.pi * 1000
    ts = 1 / FS
    sigma = omega_c / math.sqrt(2)
    r, theta = math.exp(-sigma * ts), sigma * ts
    b = [0, ts * math.sqrt(2) * omega_c * r * math.sin(theta)]
    a = [1, -2 * r * math.cos(theta), r * r]
    return b, a, r, theta


def test_example_impulse_invariance_second_order():
    b, a, r, theta = _impulse_invariant_butter2()
    assert theta == pytest.approx(math.pi / (4 * math.sqrt(2)))
    assert theta == pytest.approx(0.5554, abs=5e-5)
    assert r == pytest.approx(0.5739, abs=5e-5)
    assert b[1] == pytest.approx(0.3361, abs=5e-5)
    assert a[1] == pytest.approx(-0.9752, abs=5e-5)
    assert a[2] == pytest.approx(0.3293, abs=5e-5)
    pole = r * np.exp(1j * theta)
    assert pole.real == pytest.approx(0.4876, abs=5e-5)
    assert pole.imag == pytest.approx(0.3026, abs=5e-5)

    # same filter from partial fractions of the prototype (residues), as in the section
    ba, aa = signal.butter(2, 2 * math.pi * 1000, analog=True)
    res, poles, _ = signal.residue(ba, aa)
    n = np.arange(40)
    h_pf = np.real(sum(ri / FS * np.exp(pi / FS * n) for ri, pi in zip(res, poles, strict=True)))
    impulse = np.zeros(40)
    impulse[0] = 1
    assert np.allclose(signal.lfilter(b, a, impulse), h_pf)
    # and the samples of h_a(t) = sqrt(2) Wc exp(-sigma t) sin(sigma t)
    sigma = 2 * math.pi * 1000 / math.sqrt(2)
    t = n / FS
    assert np.allclose(h_pf, math.sqrt(2) * 2 * math.pi * 1000 * np.exp(-sigma * t) * np.sin(sigma * t) / FS)

    freqs = [0, 1000, 2000, 3000, 4000]
    _, hd = signal.freqz(b, a, worN=freqs, fs=FS)
    _, ha = signal.freqs(ba, aa, worN=2 * np.pi * np.array(freqs, dtype=float))
    assert _db(ha) == pytest.approx([0, -3.01, -12.3, -19.1, -24.1], abs=0.05)
    assert _db(hd) == pytest.approx([-0.45, -3.02, -10.9, -15.4, -16.7], abs=0.05)
    assert abs(hd[0]) == pytest.approx(0.949, abs=5e-4)
    assert abs(hd[4]) == pytest.approx(0.146, abs=5e-4)
    assert _db(hd[4]) - _db(ha[4]) == pytest.approx(7.4, abs=0.05)
    bilinear = signal.butter(2, 1000, fs=FS, output="sos")
    assert _sos_gain_db(bilinear, freqs[:4]) == pytest.approx([0, -3.01, -15.4, -30.6], abs=0.05)
    _, hb = signal.sosfreqz(bilinear, worN=[np.pi])
    assert abs(hb[0]) < 1e-12


def test_impulse_invariance_aliasing_sum():
    b, a, _, _ = _impulse_invariant_butter2()
    ba, aa = signal.butter(2, 2 * math.pi * 1000, analog=True)
    w = np.pi / 2
    k = np.arange(-200000, 200001)
    _, copies = signal.freqs(ba, aa, worN=(w - 2 * np.pi * k) * FS)
    _, hd = signal.freqz(b, a, worN=[w])
    assert copies.sum() == pytest.approx(hd[0], abs=1e-5)


def test_example_fifth_order_digital_butterworth():
    op = 16000 * math.tan(math.pi / 8)
    os_ = 16000 * math.tan(math.pi / 4)
    assert op == pytest.approx(6627, abs=0.5)
    assert os_ == pytest.approx(16000)
    assert os_ / op == pytest.approx(2.414, abs=5e-4)
    assert math.log10(999 / (10**0.1 - 1)) == pytest.approx(3.586, abs=5e-4)
    assert 2 * math.log10(os_ / op) == pytest.approx(0.7656, abs=5e-5)
    assert _butter_order(1, 30, os_ / op) == pytest.approx(4.68, abs=0.005)
    assert _butter_order(1, 30, 2) == pytest.approx(5.96, abs=0.005)  # without prewarping
    order = 5
    assert pytest.approx(0.8736, abs=5e-5) == (10**0.1 - 1) ** (1 / 10)
    omega_c = op / (10**0.1 - 1) ** (1 / (2 * order))
    assert omega_c == pytest.approx(7586, abs=0.5)
    assert 10 * math.log10(1 + (os_ / omega_c) ** 10) == pytest.approx(32.4, abs=0.05)
    wc = 2 * math.atan(omega_c / 16000)
    assert wc == pytest.approx(0.8855, abs=5e-5)
    assert wc * FS / (2 * math.pi) == pytest.approx(1127, abs=0.5)
    n_scipy, wn = signal.buttord(1000, 2000, gpass=1, gstop=30, fs=FS)
    assert n_scipy == 5
    assert wn == pytest.approx(1127.4, abs=0.05)

    # analog poles and their bilinear images
    k = np.arange(1, 6)
    angles = np.degrees(np.pi * (2 * k + order - 1) / (2 * order))
    assert angles == pytest.approx([108, 144, 180, 216, 252])
    s = omega_c * np.exp(1j * np.radians(angles))
    z = (1 + s / 16000) / (1 - s / 16000)
    assert min(abs(z)) == pytest.approx(0.3567, abs=5e-5)
    assert (1 - omega_c / 16000) / (1 + omega_c / 16000) == pytest.approx(0.3567, abs=5e-5)
    upper = sorted((p for p in z if p.imag > 1e-9), key=abs)
    assert upper[0] == pytest.approx(0.3892 + 0.2798j, abs=5e-5)
    assert upper[1] == pytest.approx(0.5107 + 0.5942j, abs=5e-5)
    assert [abs(p) for p in upper] == pytest.approx([0.4793, 0.7835], abs=5e-5)

    zd, pd, kd = signal.butter(5, wn, fs=FS, output="zpk")
    # the digital poles lie on the circle |z - 1|/|z + 1| = Wc Ts/2 (the image of |s| = Wc)
    assert np.allclose(np.abs(pd - 1) / np.abs(pd + 1), omega_c / 16000)
    assert omega_c / 16000 == pytest.approx(0.474, abs=5e-4)
    assert np.allclose(zd, -1)
    assert np.allclose(np.sort_complex(np.round(pd, 9)), np.sort_complex(np.round(z, 9)))
    assert kd == pytest.approx(0.005376, abs=5e-7)
    assert kd * 2 * 4 * 4 / ((1 - 0.3567) * (1 - 0.7783 + 0.2297) * (1 - 1.0214 + 0.6139)) == pytest.approx(1, abs=5e-3)

    sos = signal.butter(5, wn, fs=FS, output="sos")
    dens = sorted(tuple(np.round(row[3:], 4)) for row in sos)
    assert dens == sorted([(1.0, -0.3567, 0.0), (1.0, -0.7783, 0.2297), (1.0, -1.0214, 0.6139)])
    gains = _sos_gain_db(sos, [0, 1000, 2000, 3000])
    assert gains == pytest.approx([0, -1.00, -32.4, -70.7], abs=0.05)
    assert np.all(np.abs(pd) < 1)
    assert min(abs(pd)) == pytest.approx(0.36, abs=0.005)
    assert max(abs(pd)) == pytest.approx(0.78, abs=0.005)


def test_biquad_stability_triangle():
    rng = np.random.default_rng(3)
    for a1, a2 in rng.uniform(-2.5, 1.5, size=(400, 2)):
        stable = bool(np.all(np.abs(np.roots([1, a1, a2])) < 1))
        assert stable == (abs(a2) < 1 and abs(a1) < 1 + a2)
    r, theta = 0.8, 0.7
    assert math.sqrt(r * r) == pytest.approx(np.abs(np.roots([1, -2 * r * math.cos(theta), r * r]))[0])


def test_example_rounding_direct_form_and_sections():
    _, a = signal.butter(6, 200, fs=FS)
    sos = signal.butter(6, 200, fs=FS, output="sos")
    assert np.round(a, 4) == pytest.approx([1, -5.3932, 12.1474, -14.6238, 9.9230, -3.5981, 0.5446])
    assert np.abs(np.roots(a)).max() == pytest.approx(0.9603, abs=5e-5)
    assert np.max(np.abs(np.round(a, 4) - a)) <= 0.00005
    assert np.abs(np.roots(np.round(a, 4))).max() == pytest.approx(1.097, abs=5e-4)
    rounded = sos.copy()
    rounded[:, 3:] = np.round(rounded[:, 3:], 4)
    assert max(np.abs(np.roots(row[3:])).max() for row in rounded) == pytest.approx(0.9603, abs=5e-5)


def test_resonator_bandwidth_rule():
    r, theta = 0.95, math.pi / 4
    f, h = signal.freqz([1], [1, -2 * r * math.cos(theta), r * r], worN=2**17, fs=FS)
    mag = np.abs(h)
    inside = f[mag >= mag.max() / math.sqrt(2)]
    assert inside[-1] - inside[0] == pytest.approx((1 - r) * FS / math.pi, rel=0.05)


def test_example_notch_for_50_hz_hum():
    fs, r = 1000.0, 0.98
    theta = 2 * math.pi * 50 / fs
    assert theta == pytest.approx(math.pi / 10)
    b = [1, -2 * math.cos(theta), 1]
    a = [1, -2 * r * math.cos(theta), r * r]
    assert b[1] == pytest.approx(-1.9021, abs=5e-5)
    assert a[1] == pytest.approx(-1.8641, abs=5e-5)
    assert a[2] == pytest.approx(0.9604)
    _, h = signal.freqz(b, a, worN=[0, 50, 500], fs=fs)
    assert abs(h[1]) == pytest.approx(0, abs=1e-12)
    assert _db(h[0]) == pytest.approx(0.14, abs=0.005)
    assert _db(h[2]) == pytest.approx(0.17, abs=0.005)
    assert (1 - r) * fs / math.pi == pytest.approx(6.4, abs=0.05)
    f, hh = signal.freqz(b, a, worN=2**18, fs=fs)
    mag = np.abs(hh)
    notch = f[mag < abs(h[0]) / math.sqrt(2)]
    assert notch[-1] - notch[0] == pytest.approx(6.4, abs=0.05)


def test_fir_versus_iir_table():
    g = 10 ** (1 / 20)
    dp, ds = (g - 1) / (g + 1), 0.001
    assert dp == pytest.approx(0.0575, abs=5e-5)

    def meets(n_taps):
        taps = signal.remez(n_taps, [0, 1000, 1500, 4000], [1, 0], weight=[1, dp / ds], fs=FS)
        f, h = signal.freqz(taps, worN=2**16, fs=FS)
        mag = np.abs(h)
        return np.max(np.abs(mag[f <= 1000] - 1)) <= dp and np.max(mag[f >= 1500]) <= ds

    assert not meets(35)
    assert meets(37)
    assert (37 - 1) / 2 == 18
    assert (37 + 1) // 2 == 19
    n, wn = signal.ellipord(1000, 1500, 1, 60, fs=FS)
    assert n == 6
    sos = signal.ellip(n, 1, 60, wn, fs=FS, output="sos")
    assert sos.shape == (3, 6)
    assert 5 * sos.shape[0] == 15
