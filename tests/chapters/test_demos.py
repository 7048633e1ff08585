"""The live demos compute what the textbook says they compute, and no input a reader can send breaks them.

Pure module: no database, no Django.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
from scipy import signal

from chapters.demos import (
    DEMOS,
    WINDOWS,
    DemoError,
    DemoResult,
    alias_frequency,
    alias_traces,
    biquad_coefficients,
    biquad_response,
    design_lowpass,
    fir_response,
    gain_db,
    highest_sidelobe_db,
    leakage_spectrum,
    mainlobe_width_bins,
    measured_snr_db,
    parse_block,
    parse_query,
    quantize,
    render,
    scalloping_loss_db,
    step_size,
    theoretical_snr_db,
    window,
)

ROOT = Path(__file__).resolve().parents[2]
SCIPY_NAMES = {"rectangular": "boxcar", "hann": "hann", "hamming": "hamming", "blackman": "blackman"}


def readout(result: DemoResult, label_start: str) -> str:
    return next(r.value for r in result.readouts if r.label.startswith(label_start))


# --- aliasing -------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("f0", "fs", "expected"),
    [
        (7000, 8000, 1000),
        (3000, 8000, 3000),
        (5000, 8000, 3000),
        (8000, 8000, 0),
        (12500, 8000, 3500),
        (4000, 8000, 4000),
        (22050, 44100, 22050),
        (0, 8000, 0),
    ],
)
def test_alias_frequency_folds_into_zero_to_half_fs(f0: float, fs: float, expected: float) -> None:
    assert alias_frequency(f0, fs) == expected


def test_alias_frequency_agrees_with_the_rounding_formula() -> None:
    rng = np.random.default_rng(1)
    for f0, fs in zip(rng.uniform(0, 100_000, 500), rng.uniform(100, 96_000, 500), strict=True):
        assert alias_frequency(f0, fs) == pytest.approx(abs(f0 - fs * round(f0 / fs)), abs=1e-6)


@pytest.mark.parametrize(("f0", "fs"), [(7000, 8000), (12500, 8000), (3000, 8000), (31_999, 8000), (440, 1000)])
def test_the_plotted_alias_passes_through_the_samples(f0: float, fs: float) -> None:
    traces = alias_traces(f0, fs, 24)
    at_samples = slice(None, None, traces.oversampling)
    np.testing.assert_allclose(traces.t[at_samples], traces.t_samples, rtol=1e-12)
    np.testing.assert_allclose(traces.signal[at_samples], traces.samples, atol=1e-9)
    np.testing.assert_allclose(traces.alias[at_samples], traces.samples, atol=1e-9)


def test_aliasing_readouts_give_nyquist_and_the_apparent_frequency() -> None:
    result = render("aliasing", {"f0": 7000, "fs": 8000})
    assert readout(result, "Nyquist") == "4000 Hz"
    assert readout(result, "Apparent") == "1000 Hz"
    assert readout(result, "Aliased").startswith("yes")


def test_a_signal_below_half_fs_is_not_reported_as_aliased() -> None:
    assert readout(render("aliasing", {"f0": 3000, "fs": 8000}), "Aliased").startswith("no")


def test_aliasing_refuses_a_signal_too_fast_to_draw() -> None:
    with pytest.raises(DemoError, match=r"Signal frequency \(f0\) must be at most 4 × the sampling rate"):
        parse_query("aliasing", {"f0": "50000", "fs": "8000"})


# --- quantisation ---------------------------------------------------------------------------------------------------


# 4 bits sits 0.53 dB under the formula and that is real: the sine's peaks dwell on the top decision level,
# a deterministic error term (∝ J0(2π·A/Δ)) the "uniform, independent error" model ignores. It fades with more bits.
@pytest.mark.parametrize(("bits", "tolerance"), [(4, 0.6), (8, 0.5), (12, 0.5)])
def test_measured_snr_of_a_full_scale_sine_is_about_6_02_bits_plus_1_76(bits: int, tolerance: float) -> None:
    assert measured_snr_db(bits, 1.0) == pytest.approx(6.02 * bits + 1.76, abs=tolerance)


def test_the_white_noise_model_gets_better_with_more_bits() -> None:
    gaps = [abs(measured_snr_db(bits) - theoretical_snr_db(bits)) for bits in (4, 8, 12)]
    assert gaps == sorted(gaps, reverse=True)


def test_a_smaller_sine_loses_20_log10_of_its_amplitude() -> None:
    assert measured_snr_db(12, 0.1) == pytest.approx(6.02 * 12 + 1.76 - 20.0, abs=0.5)
    assert theoretical_snr_db(12, 0.1) == pytest.approx(theoretical_snr_db(12) - 20.0)


@pytest.mark.parametrize("bits", range(1, 17))
def test_step_size_is_full_scale_two_over_two_to_the_bits(bits: int) -> None:
    assert step_size(bits) == 2 / 2**bits


@pytest.mark.parametrize("bits", [1, 3, 8, 16])
def test_mid_rise_error_never_exceeds_half_a_step_on_minus_one_to_one(bits: int) -> None:
    x = np.linspace(-1.0, 1.0, 100_001)
    assert np.max(np.abs(quantize(x, bits) - x)) <= step_size(bits) / 2 * (1 + 1e-12)


def test_mid_rise_has_two_to_the_bits_symmetric_levels_and_no_zero() -> None:
    levels = np.unique(quantize(np.linspace(-1.0, 1.0, 10_001), 3))
    np.testing.assert_allclose(levels, np.arange(-7, 8, 2) / 8)


def test_mid_tread_has_a_zero_level_and_clips_at_one_minus_a_step() -> None:
    levels = np.unique(quantize(np.linspace(-1.0, 1.0, 10_001), 3, "mid-tread"))
    np.testing.assert_allclose(levels, np.arange(-4, 4) / 4)


def test_quantization_readouts_give_the_step_and_both_snrs() -> None:
    result = render("quantization", {"bits": 8, "amplitude": 1.0})
    assert readout(result, "Step size") == "0.007812"
    assert readout(result, "Theoretical SNR") == "49.93 dB"
    assert float(readout(result, "Measured SNR").removesuffix(" dB")) == pytest.approx(49.9, abs=0.5)


# --- DFT leakage ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", WINDOWS)
@pytest.mark.parametrize("n", [8, 9, 64])
def test_windows_match_scipy_in_both_conventions(name: str, n: int) -> None:
    scipy_name: str | tuple[str, float] = ("kaiser", 5.0) if name == "kaiser" else SCIPY_NAMES[name]
    np.testing.assert_allclose(window(name, n, beta=5.0), signal.get_window(scipy_name, n), atol=1e-14)
    symmetric = signal.get_window(scipy_name, n, fftbins=False)
    np.testing.assert_allclose(window(name, n, periodic=False, beta=5.0), symmetric, atol=1e-14)


@pytest.mark.parametrize(("n", "k0"), [(64, 10.0), (8, 1.0), (1024, 300.0), (64, 0.0), (64, 32.0)])
def test_an_on_bin_tone_through_a_rectangular_window_does_not_leak(n: int, k0: float) -> None:
    dft = leakage_spectrum(n, k0, "rectangular").dft
    others = np.delete(dft, int(k0))
    assert others.max() < 1e-10 * dft[int(k0)]


def test_an_off_bin_tone_leaks_into_every_bin() -> None:
    dft = leakage_spectrum(64, 10.5, "rectangular").dft
    assert dft.min() > 1e-3 * dft.max()


@pytest.mark.parametrize(
    ("name", "expected_db"), [("rectangular", -13.3), ("hann", -31.5), ("hamming", -42.7), ("blackman", -58.1)]
)
def test_highest_sidelobe_matches_the_window_table(name: str, expected_db: float) -> None:
    assert highest_sidelobe_db(name) == pytest.approx(expected_db, abs=0.5)


@pytest.mark.parametrize(("name", "bins"), [("rectangular", 2), ("hann", 4), ("hamming", 4), ("blackman", 6)])
def test_mainlobe_width_null_to_null(name: str, bins: float) -> None:
    assert mainlobe_width_bins(name) == bins


@pytest.mark.parametrize(("name", "expected_db"), [("rectangular", 3.92), ("hann", 1.42)])
def test_scalloping_loss_half_a_bin_off(name: str, expected_db: float) -> None:
    assert scalloping_loss_db(name, 0.5) == pytest.approx(expected_db, abs=0.05)


def test_a_tone_half_way_between_bins_loses_the_scalloping_loss_in_the_dft() -> None:
    spectrum = leakage_spectrum(256, 60.5, "hann")
    assert spectrum.dft_db.max() == pytest.approx(-scalloping_loss_db("hann", 0.5, 256), abs=0.05)


def test_leakage_readouts_name_the_peak_bin_and_the_window_figures() -> None:
    result = render("dft_leakage", {"N": 64, "k0": 10.0, "window": "hann"})
    assert readout(result, "Peak bin") == "10"
    assert readout(result, "Scalloping") == "0.00 dB"
    assert readout(result, "Mainlobe") == "4 bins"
    assert readout(result, "Highest sidelobe") == "−31.5 dB"


def test_leakage_refuses_a_tone_above_half_the_dft_length() -> None:
    with pytest.raises(DemoError, match=r"k0\) must be at most N/2 = 4 bins"):
        parse_query("dft_leakage", {"N": "8", "k0": "5"})


# --- FIR window design ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", WINDOWS)
@pytest.mark.parametrize(("numtaps", "cutoff", "fs"), [(3, 1000, 8000), (51, 1000, 8000), (201, 15_000, 44_100)])
def test_design_lowpass_matches_scipy_firwin(name: str, numtaps: int, cutoff: float, fs: float) -> None:
    scipy_window: str | tuple[str, float] = ("kaiser", 6.0) if name == "kaiser" else SCIPY_NAMES[name]
    expected = signal.firwin(numtaps, cutoff, fs=fs, window=scipy_window)
    np.testing.assert_allclose(design_lowpass(numtaps, cutoff, fs, name, beta=6.0), expected, atol=1e-12)


def test_lowpass_has_unit_gain_at_dc() -> None:
    taps = design_lowpass(101, 1000, 8000, "blackman")
    assert taps.sum() == pytest.approx(1.0, abs=1e-12)
    assert gain_db(taps, 0.0, 8000) == pytest.approx(0.0, abs=1e-9)


def test_lowpass_taps_are_symmetric_so_the_phase_is_linear() -> None:
    taps = design_lowpass(101, 1000, 8000, "hamming")
    np.testing.assert_allclose(taps, taps[::-1], atol=1e-15)


def test_passband_phase_is_minus_omega_times_half_the_order() -> None:
    response = fir_response(design_lowpass(101, 1000, 8000, "hamming"), 8000)
    passband = response.frequency < 800
    expected = -2 * np.pi * response.frequency[passband] / 8000 * 50
    np.testing.assert_allclose(response.phase[passband], expected, atol=1e-9)


def test_window_design_is_six_db_down_at_the_cutoff() -> None:
    taps = design_lowpass(101, 1000, 8000, "hamming")
    assert gain_db(taps, 1000, 8000) == pytest.approx(-6.02, abs=0.5)


def test_fir_readouts_give_dc_gain_cutoff_gain_and_group_delay() -> None:
    result = render("fir_window", {"numtaps": 101, "cutoff": 1000, "fs": 8000, "window": "hamming"})
    assert readout(result, "Gain at DC") == "0.00 dB"
    assert readout(result, "Gain at cutoff").startswith("−6.0")
    assert readout(result, "Group delay") == "50 samples = 6.25 ms"


def test_hamming_stopband_is_about_53_db_down() -> None:
    stopband = readout(render("fir_window", {"numtaps": 101, "window": "hamming"}), "Highest stopband gain")
    assert -56 < float(stopband.split(" dB")[0].replace("−", "-")) < -50


def test_fir_refuses_even_numtaps() -> None:
    with pytest.raises(DemoError, match=r"Number of taps \(numtaps\) must be odd"):
        parse_query("fir_window", {"numtaps": "50"})


def test_fir_refuses_a_cutoff_at_or_above_half_fs() -> None:
    with pytest.raises(DemoError, match=r"Cutoff frequency \(cutoff\) must be below fs/2 = 4000 Hz"):
        parse_query("fir_window", {"cutoff": "4000", "fs": "8000"})


# --- biquad ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("zeros", ["bandpass", "origin", "notch"])
def test_biquad_poles_sit_at_r_e_to_the_plus_minus_j_theta(zeros: str) -> None:
    r, theta = 0.9, np.pi / 3
    _, a = biquad_coefficients(r, theta, zeros)
    np.testing.assert_allclose(a, [1, -2 * r * np.cos(theta), r**2])
    poles = sorted(np.roots(a), key=lambda p: p.imag)
    np.testing.assert_allclose(poles, [r * np.exp(-1j * theta), r * np.exp(1j * theta)], atol=1e-12)


def test_biquad_zero_placements() -> None:
    theta = np.pi / 3
    np.testing.assert_allclose(sorted(np.roots(biquad_coefficients(0.9, theta, "bandpass")[0]).real), [-1, 1])
    np.testing.assert_allclose(biquad_coefficients(0.9, theta, "origin")[0], [1, 0, 0])
    notch_zeros = np.roots(biquad_coefficients(0.9, theta, "notch")[0])
    np.testing.assert_allclose(np.abs(notch_zeros), [1, 1])
    np.testing.assert_allclose(np.abs(np.angle(notch_zeros)), [theta, theta])


@pytest.mark.parametrize(("r", "stable"), [(0.0, True), (0.5, True), (0.999, True), (1.0, False), (1.2, False)])
def test_biquad_is_stable_exactly_when_r_is_below_one(r: float, stable: bool) -> None:
    result = render("biquad", {"r": r})
    assert readout(result, "Stability").startswith("stable" if stable else "unstable")
    assert (np.max(np.abs(np.roots(biquad_coefficients(r, 0.8, "origin")[1]))) < 1) == stable


def test_an_unstable_biquad_claims_no_frequency_response() -> None:
    result = render("biquad", {"r": 1.0, "zeros": "origin"})
    assert readout(result, "Peak gain") == "n/a (unstable)"
    assert "unstable" in result.caption


def test_the_notch_nulls_the_pole_angle() -> None:
    b, a = biquad_coefficients(0.95, 2 * np.pi * 1000 / 8000, "notch")
    magnitude = abs(biquad_response(b, a, np.array([1000.0]), 8000)[0])
    assert 20 * np.log10(magnitude + 1e-300) < -60


def test_the_bandpass_peaks_at_the_pole_angle_and_blocks_dc_and_nyquist() -> None:
    b, a = biquad_coefficients(0.95, 2 * np.pi * 1000 / 8000, "bandpass")
    frequency = np.linspace(0, 4000, 40_001)
    magnitude = np.abs(biquad_response(b, a, frequency, 8000))
    assert frequency[np.argmax(magnitude)] == pytest.approx(1000, rel=0.01)
    assert magnitude[0] < 1e-12 and magnitude[-1] < 1e-12


def test_the_bandwidth_approximation_holds_near_the_unit_circle() -> None:
    r, fs = 0.99, 8000
    b, a = biquad_coefficients(r, 2 * np.pi * 1000 / fs, "bandpass")
    frequency = np.linspace(900, 1100, 200_001)
    power = np.abs(biquad_response(b, a, frequency, fs)) ** 2
    band = frequency[power >= power.max() / 2]
    assert band[-1] - band[0] == pytest.approx((1 - r) * fs / np.pi, rel=0.03)


def test_biquad_refuses_a_pole_angle_above_half_fs() -> None:
    with pytest.raises(DemoError, match=r"Pole angle \(f_pole\) must be at most fs/2"):
        parse_query("biquad", {"f_pole": "5000", "fs": "8000"})


# --- parsing and validation -----------------------------------------------------------------------------------------


def test_parse_block_reads_values_and_fills_in_defaults() -> None:
    source = "# the classic example\nf0 = 7000   # Hz\n\n  fs=8000\n"
    assert parse_block("aliasing", source) == {"f0": 7000.0, "fs": 8000.0, "samples": 24}


def test_parse_block_reads_choices_case_insensitively_and_quoted() -> None:
    values = parse_block("dft_leakage", 'N = 32\nk0 = 4.5\nwindow = "Hann"\n')
    assert values == {"N": 32, "k0": 4.5, "window": "hann"}


def test_integer_params_come_back_as_ints() -> None:
    assert isinstance(parse_block("quantization", "bits = 8.0")["bits"], int)


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("f0 = 7000\nfrequency = 3", r"Line 2: Unknown parameter 'frequency' for the aliasing demo"),
        ("f0 7000", r"Line 1: expected 'name = value'"),
        ("f0 =", r"Line 1: expected 'name = value'"),
        ("\n\nfs = eight thousand", r"Line 3: Sampling rate \(fs\) must be a number \(got 'eight thousand'\)"),
        ("fs = 0", r"Line 1: Sampling rate \(fs\) must be between 100 and 96000 Hz \(got 0 Hz\)"),
        ("f0 = 1\nf0 = 2", r"Line 2: 'f0' is given twice"),
        ("samples = 10.5", r"Line 1: Samples shown \(samples\) must be a whole number"),
        ("fs = nan", r"Line 1: Sampling rate \(fs\) must be a finite number"),
    ],
)
def test_parse_block_explains_bad_lines(source: str, message: str) -> None:
    with pytest.raises(DemoError, match=message):
        parse_block("aliasing", source)


def test_an_unknown_demo_is_named_with_the_available_ones() -> None:
    with pytest.raises(DemoError, match=r"Unknown demo 'dft'; available demos: aliasing, quantization"):
        parse_block("dft", "N = 8")


@pytest.mark.parametrize("bad", ["nan", "inf", "-inf", "1e400", "Infinity"])
def test_non_finite_numbers_are_refused(bad: str) -> None:
    with pytest.raises(DemoError, match=r"Sampling rate \(fs\) must be a finite number"):
        parse_query("biquad", {"fs": bad})


def test_out_of_range_values_are_refused_not_clamped() -> None:
    with pytest.raises(DemoError, match=r"Pole radius \(r\) must be between 0 and 1.2 \(got 1.3\)"):
        render("biquad", {"r": 1.3})


def test_a_bad_choice_lists_the_choices() -> None:
    with pytest.raises(DemoError, match=r"Window \(window\) must be one of: rectangular, hann, hamming, blackman"):
        parse_query("dft_leakage", {"window": "kaiser"})


def test_parse_query_takes_strings_fills_defaults_and_ignores_other_fields() -> None:
    values = parse_query("quantization", {"bits": " 12 ", "csrfmiddlewaretoken": "x", "demo": "quantization"})
    assert values == {"bits": 12, "amplitude": 1.0, "quantizer": "mid-rise"}


def test_render_refuses_unknown_keys() -> None:
    with pytest.raises(DemoError, match=r"Unknown parameter 'f1' for the aliasing demo; expected one of: f0, fs"):
        render("aliasing", {"f1": 3})


def test_render_refuses_a_boolean_for_a_number() -> None:
    with pytest.raises(DemoError, match=r"Bits per sample \(bits\) must be a number"):
        render("quantization", {"bits": True})


@pytest.mark.parametrize("name", DEMOS)
def test_defaults_are_valid_values(name: str) -> None:
    demo = DEMOS[name]
    assert parse_block(name, "") == demo.defaults
    for param in demo.params:
        if param.choices:
            assert param.default_choice in param.choices
        else:
            assert param.minimum <= param.default <= param.maximum


# --- rendering ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", DEMOS)
def test_every_demo_renders_a_bare_svg_with_readouts_and_a_caption(name: str) -> None:
    result = render(name, {})
    assert result.svg.startswith("<svg") and result.svg.rstrip().endswith("</svg>")
    assert "<?xml" not in result.svg and "<!DOCTYPE" not in result.svg
    assert len(result.readouts) >= 3 and result.caption.endswith(".")


@pytest.mark.parametrize("name", ["aliasing", "biquad"])
def test_rendering_is_deterministic(name: str) -> None:
    demo = DEMOS[name]
    assert demo.run({}).svg == demo.run({}).svg


@pytest.mark.parametrize(
    ("name", "values"), [("dft_leakage", {"N": 1024, "k0": 300.5}), ("quantization", {"bits": 16}), ("aliasing", {})]
)
def test_no_plotted_line_carries_more_than_about_2000_points(name: str, values: dict[str, float]) -> None:
    paths = re.findall(r' d="([^"]*)"', render(name, values).svg)
    assert max(path.count("L") for path in paths) <= 2001


def test_render_is_memoised_on_the_validated_values() -> None:
    assert render("aliasing", {"f0": 7000}) is render("aliasing", {"f0": "7000.0", "fs": 8000})


def test_concurrent_renders_give_the_same_svg() -> None:
    values = [("aliasing", {"f0": 5000.0}), ("fir_window", {"numtaps": 21}), ("biquad", {"r": 0.5})] * 2
    with ThreadPoolExecutor(max_workers=4) as pool:
        svgs = list(pool.map(lambda item: DEMOS[item[0]].run(item[1]).svg, values))
    assert svgs[:3] == svgs[3:]


def extremes(name: str) -> list[dict[str, float | str]]:
    """Each numeric param at its minimum and maximum, and each choice, the others at their defaults."""
    cases: list[dict[str, float | str]] = []
    for param in DEMOS[name].params:
        values = param.choices if param.choices else (param.minimum, param.maximum)
        cases += [{param.name: value} for value in values]
    return cases


def outcome(name: str, values: Mapping[str, float | str]) -> DemoResult | DemoError:
    """The result, or the DemoError (any other exception fails the test)."""
    try:
        return DEMOS[name].run(values)
    except DemoError as error:
        return error


@pytest.mark.parametrize("name", DEMOS)
def test_every_extreme_setting_renders_or_explains_itself(name: str) -> None:
    for values in extremes(name):
        result = outcome(name, values)
        if isinstance(result, DemoError):
            assert str(result)
        else:
            assert result.svg.startswith("<svg")
            assert all(r.value for r in result.readouts)


def query_outcome(name: str, query: Mapping[str, str]) -> dict[str, float | str] | DemoError:
    try:
        return parse_query(name, query)
    except DemoError as error:
        return error


FUZZ_TEXT = [
    "", " ", "0", "-0", "-1", "1e308", "-1e308", "1e-320", "nan", "NaN", "inf", "-Infinity", "0x10", "1_000",
    "七", "１２", "1,5", "3.", ".5", "+5", "5e", "None", "True", "[]", "' OR 1=1 --", "\x00", "é" * 1000,
    "9" * 400, "1" * 70, "kaiser", "HANN", "hann ", "notch", "mid-tread",
]  # fmt: skip


@pytest.mark.parametrize("name", DEMOS)
def test_no_query_string_breaks_a_demo(name: str) -> None:
    rng = np.random.default_rng(sum(name.encode()))
    params = DEMOS[name].params
    accepted = 0
    for _ in range(300):
        texts = [*FUZZ_TEXT, repr(rng.uniform(-2, 2) * 10 ** rng.integers(0, 7))]
        query = {p.name: str(rng.choice(texts)) for p in params if rng.random() < 0.7}
        values = query_outcome(name, query)
        if isinstance(values, DemoError):
            assert str(values)
            continue
        if accepted < 4:  # rendering is the slow part; parse_query is the gate being fuzzed
            assert render(name, values).svg.startswith("<svg")
        accepted += 1
    assert accepted > 0  # some random queries must get through, or the fuzzing proves nothing


def test_the_module_is_pure_and_never_touches_pyplot() -> None:
    script = (
        "import sys, chapters.demos\n"
        "bad = [m for m in sys.modules if m.split('.')[0] in ('django', 'channels', 'celery')]\n"
        "print(bad + [m for m in sys.modules if m == 'matplotlib.pyplot'])\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    out = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
