"""Live signal processing demos embedded in textbook sections.

An author writes a fenced block in Markdown::

    ```demo aliasing
    f0 = 7000
    fs = 8000
    ```

The page shows one control per `Param`, an SVG figure and numeric readouts; moving a control asks the
server for a new figure. This module is pure (stdlib, numpy, matplotlib): it validates values
(`parse_block`, `parse_query`), computes, and draws with matplotlib's object API (never pyplot).

Every failure a reader or an author can cause raises `DemoError`, whose message is fit to show a student.
"""

from __future__ import annotations

import functools
import io
import math
import numbers
import re
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import matplotlib as mpl
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from numpy.typing import NDArray

__all__ = [
    "DEMOS",
    "WINDOWS",
    "Demo",
    "DemoError",
    "DemoResult",
    "Param",
    "Readout",
    "alias_frequency",
    "biquad_coefficients",
    "design_lowpass",
    "gain_db",
    "highest_sidelobe_db",
    "mainlobe_width_bins",
    "measured_snr_db",
    "parse_block",
    "parse_query",
    "quantize",
    "render",
    "scalloping_loss_db",
    "theoretical_snr_db",
    "window",
]

FloatArray = NDArray[np.float64]
Values = dict[str, float | str]


class DemoError(ValueError):
    """A message fit to show a student in the figure, e.g. 'fs must be between 100 and 96000 Hz (got 0)'."""


# ---------------------------------------------------------------------------------------------------------------------
# The contract with the web side
# ---------------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Param:
    """One control. Numeric unless `choices` is non-empty; then it is a select and the numeric fields are unused."""

    name: str
    label: str
    unit: str
    default: float
    minimum: float
    maximum: float
    step: float
    choices: tuple[str, ...] = ()
    default_choice: str = ""
    integer: bool = False
    # Human text for each choice, same order as `choices` (the values submitted are `choices`).
    choice_labels: tuple[str, ...] = ()

    @property
    def is_choice(self) -> bool:
        return bool(self.choices)

    @property
    def initial(self) -> float | str:
        """The default as a value: the default choice, an int for integer params, else a float."""
        if self.is_choice:
            return self.default_choice
        return int(self.default) if self.integer else float(self.default)

    @property
    def display_name(self) -> str:
        return f"{self.label} ({self.name})"


@dataclass(frozen=True)
class Readout:
    label: str
    value: str


@dataclass(frozen=True)
class DemoResult:
    svg: str
    readouts: tuple[Readout, ...]
    caption: str


def _no_constraints(values: Values) -> None:
    return None


@dataclass(frozen=True)
class Demo:
    name: str
    title: str
    summary: str
    params: tuple[Param, ...]
    compute: Callable[[Values], DemoResult] = field(repr=False, compare=False)
    # Cross-parameter rules (e.g. cutoff < fs/2); raises DemoError. Runs on values already valid one by one.
    constraints: Callable[[Values], None] = field(default=_no_constraints, repr=False, compare=False)

    def param(self, name: str) -> Param:
        for param in self.params:
            if param.name == name:
                return param
        raise DemoError(self._unknown(name))

    @property
    def defaults(self) -> Values:
        return {param.name: param.initial for param in self.params}

    def validate(self, values: Mapping[str, object], *, ignore_unknown: bool = False) -> Values:
        """A complete values dict (defaults filled in), every value checked; raises DemoError."""
        known = {param.name for param in self.params}
        unknown = [key for key in values if key not in known]
        if unknown and not ignore_unknown:
            raise DemoError(self._unknown(unknown[0]))
        checked = {param.name: _coerce(param, values[param.name]) for param in self.params if param.name in values}
        return self._complete(checked)

    def run(self, values: Mapping[str, float | str]) -> DemoResult:
        """Validate `values` (missing ones take defaults), then compute the figure, readouts and caption."""
        return self.compute(self.validate(values))

    def _complete(self, checked: Values) -> Values:
        complete = {param.name: checked.get(param.name, param.initial) for param in self.params}
        self.constraints(complete)
        return complete

    def _unknown(self, key: object) -> str:
        shown = repr(key[:_MAX_TEXT]) if isinstance(key, str) else type(key).__name__
        names = ", ".join(param.name for param in self.params)
        return f"Unknown parameter {shown} for the {self.name} demo; expected one of: {names}"


# ---------------------------------------------------------------------------------------------------------------------
# Validation and parsing
# ---------------------------------------------------------------------------------------------------------------------

_MAX_TEXT = 64


def _num(x: float, digits: int = 6) -> str:
    """Compact human number (7000, 0.125, 1.5e−05) with a typographic minus."""
    if x == 0:
        x = 0.0  # no "−0"
    return f"{x:.{digits}g}".replace("-", "−")


def _with_unit(x: float, unit: str) -> str:
    return f"{_num(x, 10)} {unit}" if unit else _num(x, 10)


def _as_float(param: Param, raw: object) -> float:
    if isinstance(raw, bool):
        raise DemoError(f"{param.display_name} must be a number (got {raw!r})")
    if isinstance(raw, numbers.Real):
        try:
            return float(raw)
        except OverflowError:
            raise DemoError(f"{param.display_name} is far too large") from None
    if not isinstance(raw, str):
        raise DemoError(f"{param.display_name} must be a number (got {type(raw).__name__})")
    text = raw.strip()
    if len(text) > _MAX_TEXT:
        raise DemoError(f"{param.display_name} must be a number (got {len(text)} characters of text)")
    try:
        return float(text)
    except ValueError:
        raise DemoError(f"{param.display_name} must be a number (got {text!r})") from None


def _coerce_number(param: Param, raw: object) -> float:
    number = _as_float(param, raw)
    if not math.isfinite(number):
        raise DemoError(f"{param.display_name} must be a finite number (got {_num(number)})")
    if param.integer and not number.is_integer():
        raise DemoError(f"{param.display_name} must be a whole number (got {_num(number, 10)})")
    if not param.minimum <= number <= param.maximum:
        span = f"between {_num(param.minimum, 10)} and {_with_unit(param.maximum, param.unit)}"
        raise DemoError(f"{param.display_name} must be {span} (got {_with_unit(number, param.unit)})")
    return int(number) if param.integer else number


def _coerce_choice(param: Param, raw: object) -> str:
    text = raw.strip().lower() if isinstance(raw, str) else None
    for choice in param.choices:
        if text == choice.lower():
            return choice
    shown = repr(raw[:_MAX_TEXT]) if isinstance(raw, str) else type(raw).__name__
    raise DemoError(f"{param.display_name} must be one of: {', '.join(param.choices)} (got {shown})")


def _coerce(param: Param, raw: object) -> float | str:
    return _coerce_choice(param, raw) if param.is_choice else _coerce_number(param, raw)


def _demo(name: str) -> Demo:
    demo = DEMOS.get(name) if isinstance(name, str) else None
    if demo is None:
        shown = repr(name[:_MAX_TEXT]) if isinstance(name, str) else type(name).__name__
        raise DemoError(f"Unknown demo {shown}; available demos: {', '.join(DEMOS)}")
    return demo


def _unquote(text: str) -> str:
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        return text[1:-1].strip()
    return text


def _parse_line(demo: Demo, number: int, line: str) -> tuple[str, float | str] | None:
    text = line.split("#", 1)[0].strip()
    if not text:
        return None
    key, equals, value = (part.strip() for part in text.partition("="))
    if not equals or not key or not value:
        raise DemoError(f"Line {number}: expected 'name = value' (got {line.strip()[:_MAX_TEXT]!r})")
    try:
        return key, _coerce(demo.param(key), _unquote(value))
    except DemoError as error:
        raise DemoError(f"Line {number}: {error}") from None


def parse_block(name: str, source: str) -> Values:
    """Values from the body of a ```demo <name>``` fence: lines `key = value`, blank lines, `# comments`.

    Missing keys take their defaults. Unknown demo or key, repeated key, malformed line, non-numeric,
    non-finite or out-of-range value, bad choice, or a broken cross-parameter rule raise DemoError.
    """
    demo = _demo(name)
    checked: Values = {}
    for number, line in enumerate(source.splitlines(), start=1):
        parsed = _parse_line(demo, number, line)
        if parsed is None:
            continue
        key, value = parsed
        if key in checked:
            raise DemoError(f"Line {number}: {key!r} is given twice")
        checked[key] = value
    return demo._complete(checked)


def parse_query(name: str, query: Mapping[str, str]) -> Values:
    """Values from a form or query string (strings); missing keys take defaults, keys that are no
    parameter of the demo are ignored (a form carries other fields). Same checks as `parse_block`."""
    return _demo(name).validate(query, ignore_unknown=True)


def render(name: str, values: Mapping[str, float | str]) -> DemoResult:
    """Validate `values` (numbers or strings; missing ones take defaults; unknown keys rejected), then
    compute the demo. Memoised on (name, validated values)."""
    checked = _demo(name).validate(values)
    return _render_cached(name, tuple(sorted(checked.items())))


@functools.lru_cache(maxsize=256)
def _render_cached(name: str, items: tuple[tuple[str, float | str], ...]) -> DemoResult:
    return DEMOS[name].compute(dict(items))


# ---------------------------------------------------------------------------------------------------------------------
# Drawing helpers
# ---------------------------------------------------------------------------------------------------------------------

# Okabe & Ito (2008), distinguishable with the common colour-vision deficiencies.
BLUE = "#0072B2"
ORANGE = "#E69F00"
VERMILLION = "#D55E00"
GREEN = "#009E73"
BLACK = "#000000"
GREY = "#8C8C8C"

_FIGSIZE = (640 / 96, 360 / 96)  # inches: 640 × 360 CSS px (the SVG says 480 × 270 pt)
_MAX_POINTS = 2001
_LABEL_SIZE = 9
_TICK_SIZE = 8
_LEGEND_SIZE = 8
# rc_context changes global rcParams; serialise layout + SVG writing so concurrent renders can't see
# each other's settings (matplotlib's text machinery is not documented as thread-safe either).
_SVG_LOCK = threading.Lock()
_ID_ATTRIBUTE = re.compile(r' id="([^"]+)"')
_REFERENCE = re.compile(r'#([^"\s)]+)')
_GEOMETRY = re.compile(r' (d|x|y)="([^"]*)"')
_LONG_DECIMAL = re.compile(r"(\.\d\d)\d+")


def _new_figure() -> Figure:
    return Figure(figsize=_FIGSIZE, dpi=96, facecolor="white")


def _style_axes(ax: Axes, xlabel: str, ylabel: str) -> None:
    ax.set_xlabel(xlabel, fontsize=_LABEL_SIZE)
    ax.set_ylabel(ylabel, fontsize=_LABEL_SIZE)
    ax.tick_params(labelsize=_TICK_SIZE)
    ax.grid(True, color="#DDDDDD", linewidth=0.6)
    ax.set_axisbelow(True)


def _legend(ax: Axes, ncol: int = 3) -> None:
    ax.legend(
        loc="lower center",
        bbox_to_anchor=(0.5, 1.0),
        ncol=ncol,
        frameon=False,
        fontsize=_LEGEND_SIZE,
        borderaxespad=0.2,
    )


def _short_coordinates(svg: str) -> str:
    # matplotlib writes 6 decimals of a point; 2 (1/100 pt) look the same and make the file a third smaller.
    def shorten(match: re.Match[str]) -> str:
        attribute, value = match.groups()
        return f' {attribute}="{_LONG_DECIMAL.sub(_keep_two_decimals, value)}"'

    return _GEOMETRY.sub(shorten, svg)


def _keep_two_decimals(match: re.Match[str]) -> str:
    return match.group(1)


def _drop_unreferenced_ids(svg: str) -> str:
    # matplotlib names every group (figure_1, axes_1, ...): duplicates once two figures share a page.
    referenced = set(_REFERENCE.findall(svg))
    return _ID_ATTRIBUTE.sub(lambda match: match.group(0) if match.group(1) in referenced else "", svg)


def _svg(fig: Figure, salt: str) -> str:
    """The figure as a standalone `<svg>` string, byte-identical for identical figures."""
    buffer = io.StringIO()
    with _SVG_LOCK, mpl.rc_context({"svg.hashsalt": f"demo-{salt}", "svg.fonttype": "none"}):
        fig.tight_layout(pad=0.4)
        fig.savefig(buffer, format="svg", metadata={"Date": None})
    text = buffer.getvalue()
    text = text[text.index("<svg") :]
    text = text.replace('<style type="text/css">*{', '<style type="text/css">svg *{', 1)
    return _short_coordinates(_drop_unreferenced_ids(text))


def _db(x: float, decimals: int = 2) -> str:
    if math.isinf(x):
        return "+∞ dB" if x > 0 else "−∞ dB"
    if math.isnan(x):
        return "undefined"
    if round(x, decimals) == 0:
        x = 0.0
    return f"{x:.{decimals}f} dB".replace("-", "−")


def _hz(x: float, digits: int = 6) -> str:
    return f"{_num(x, digits)} Hz"


def _to_db(magnitude: FloatArray, floor_db: float = -300.0) -> FloatArray:
    with np.errstate(divide="ignore", invalid="ignore"):
        db = 20.0 * np.log10(np.abs(magnitude))
    return np.nan_to_num(db, nan=floor_db, posinf=-floor_db, neginf=floor_db).clip(floor_db, -floor_db)


# ---------------------------------------------------------------------------------------------------------------------
# 1. Aliasing
# ---------------------------------------------------------------------------------------------------------------------

MAX_ALIAS_RATIO = 4  # f0 ≤ 4·fs keeps ≥ 10 plotted points per period of the continuous signal


def alias_frequency(f0: float, fs: float) -> float:
    """Apparent frequency (Hz) of a sinusoid at `f0` Hz sampled at `fs` Hz.

    f_a = |f0 − fs·round(f0/fs)|, i.e. f0 folded into [0, fs/2]; f0 = fs/2 gives fs/2.
    """
    if not fs > 0:
        raise DemoError(f"The sampling rate must be positive (got {_num(fs)} Hz)")
    remainder = math.fmod(abs(f0), fs)
    return min(remainder, fs - remainder)


@dataclass(frozen=True)
class AliasTraces:
    """Cosines with zero phase, so the signal and its alias agree exactly at the sample instants."""

    t: FloatArray  # s, dense grid; every `oversampling`-th point is a sample instant
    signal: FloatArray  # cos(2π f0 t)
    alias: FloatArray  # cos(2π f_a t)
    oversampling: int
    t_samples: FloatArray  # s, n/fs
    samples: FloatArray  # cos(2π f0 n/fs)


def alias_traces(f0: float, fs: float, samples: int) -> AliasTraces:
    """Signal, alias and samples over `samples` sample instants (times in seconds)."""
    oversampling = max(1, (_MAX_POINTS - 1) // max(samples - 1, 1))
    dense = np.arange((samples - 1) * oversampling + 1)
    t = dense / (fs * oversampling)
    t_samples = np.arange(samples) / fs
    fa = alias_frequency(f0, fs)
    return AliasTraces(
        t=t,
        signal=np.cos(2 * np.pi * f0 * t),
        alias=np.cos(2 * np.pi * fa * t),
        oversampling=oversampling,
        t_samples=t_samples,
        samples=np.cos(2 * np.pi * f0 * t_samples),
    )


def _aliasing_constraints(values: Values) -> None:
    f0, fs = float(values["f0"]), float(values["fs"])
    if f0 > MAX_ALIAS_RATIO * fs:
        raise DemoError(
            f"Signal frequency (f0) must be at most {MAX_ALIAS_RATIO} × the sampling rate, "
            f"{_hz(MAX_ALIAS_RATIO * fs)} here, so the plot can draw it (got {_hz(f0)})"
        )


def _aliasing_status(f0: float, fs: float) -> str:
    if f0 < fs / 2:
        return "no (f0 < fs/2)"
    if f0 == fs / 2:
        return "borderline (f0 = fs/2)"
    return "yes (f0 > fs/2)"


def _aliasing_caption(f0: float, fs: float, fa: float) -> str:
    if f0 < fs / 2:
        return (
            f"Sampled at {_hz(fs)}, the {_hz(f0)} cosine lies below fs/2 = {_hz(fs / 2)}, "
            "so no other cosine below fs/2 fits its samples and the dashed curve is the signal itself."
        )
    if f0 == fs / 2:
        return (
            f"At exactly fs/2 = {_hz(fs / 2)} the samples alternate ±1 for this cosine, but a sine would give "
            "all-zero samples, which is why sampling needs fs > 2·f0 strictly."
        )
    return (
        f"Sampled at {_hz(fs)}, the {_hz(f0)} cosine (thin line) gives exactly the same samples as a "
        f"{_hz(fa)} cosine (dashed): above fs/2 = {_hz(fs / 2)} it is aliased."
    )


def _aliasing_figure(traces: AliasTraces, f0: float, fa: float) -> Figure:
    fig = _new_figure()
    ax = fig.subplots()
    ms = 1e3
    ax.plot(traces.t * ms, traces.signal, color=BLUE, linewidth=0.9, label=f"signal, {_hz(f0)}")
    ax.plot(traces.t * ms, traces.alias, color=VERMILLION, linewidth=1.6, linestyle="--", label=f"alias, {_hz(fa)}")
    ax.plot(traces.t_samples * ms, traces.samples, "o", color=BLACK, markersize=4.5, label="samples", zorder=3)
    ax.set_ylim(-1.25, 1.25)
    ax.set_xlim(0, traces.t[-1] * ms)
    _style_axes(ax, "Time (ms)", "Amplitude")
    _legend(ax)
    return fig


def _compute_aliasing(values: Values) -> DemoResult:
    f0, fs, samples = float(values["f0"]), float(values["fs"]), int(values["samples"])
    fa = alias_frequency(f0, fs)
    traces = alias_traces(f0, fs, samples)
    readouts = (
        Readout("Nyquist frequency fs/2", _hz(fs / 2)),
        Readout("Apparent (alias) frequency", _hz(fa)),
        Readout("Aliased?", _aliasing_status(f0, fs)),
        Readout("Samples per signal period", _num(fs / f0, 4) if f0 > 0 else "∞ (constant signal)"),
    )
    svg = _svg(_aliasing_figure(traces, f0, fa), "aliasing")
    return DemoResult(svg=svg, readouts=readouts, caption=_aliasing_caption(f0, fs, fa))


# ---------------------------------------------------------------------------------------------------------------------
# 2. Quantisation
# ---------------------------------------------------------------------------------------------------------------------

QUANTIZERS = ("mid-rise", "mid-tread")
_SNR_SAMPLES = 1 << 16
_SNR_CYCLES_PER_SAMPLE = (math.sqrt(5) - 1) / 20  # ≈ 0.0618: irrational, so the error decorrelates from the sine


def step_size(bits: int) -> float:
    """Quantisation step Δ = 2/2^bits for the full-scale range [−1, 1)."""
    return 2.0 / (1 << bits)


def quantize(x: FloatArray, bits: int, kind: str = "mid-rise") -> FloatArray:
    """Uniform `bits`-bit quantiser over the full-scale range [−1, 1), step Δ = 2/2^bits.

    mid-rise: levels ±Δ/2, ±3Δ/2, …, ±(1 − Δ/2) (no zero level); |error| ≤ Δ/2 for all |x| ≤ 1.
    mid-tread: levels kΔ from −1 to 1 − Δ (two's complement, zero is a level); inputs above 1 − Δ/2 clip.
    """
    delta = step_size(bits)
    x = np.asarray(x, dtype=np.float64)
    if kind == "mid-rise":
        return np.clip(delta * (np.floor(x / delta) + 0.5), -1.0 + delta / 2, 1.0 - delta / 2)
    if kind == "mid-tread":
        return np.clip(delta * np.floor(x / delta + 0.5), -1.0, 1.0 - delta)
    raise DemoError(f"Quantiser must be one of: {', '.join(QUANTIZERS)} (got {kind!r})")


def theoretical_snr_db(bits: int, amplitude: float = 1.0) -> float:
    """SNR (dB) of a sine of `amplitude` × full scale: 6.02·bits + 1.76 + 20·log10(amplitude).

    Assumes the error is uniform on [−Δ/2, Δ/2] and independent of the signal (many bits, no overload).
    """
    return 20 * bits * math.log10(2) + 10 * math.log10(1.5) + 20 * math.log10(amplitude)


@functools.lru_cache(maxsize=256)
def measured_snr_db(bits: int, amplitude: float = 1.0, kind: str = "mid-rise") -> float:
    """SNR (dB) measured by quantising 65 536 samples of a sine at an irrational fraction of fs."""
    n = np.arange(_SNR_SAMPLES)
    x = amplitude * np.sin(2 * np.pi * _SNR_CYCLES_PER_SAMPLE * n + 0.1)
    noise = float(np.sum((quantize(x, bits, kind) - x) ** 2))
    if noise == 0.0:
        return math.inf
    return 10 * math.log10(float(np.sum(x**2)) / noise)


def _quantization_figure(bits: int, amplitude: float, kind: str) -> tuple[Figure, float]:
    periods = np.linspace(0.0, 2.0, _MAX_POINTS)
    x = amplitude * np.sin(2 * np.pi * periods)
    q = quantize(x, bits, kind)
    delta = step_size(bits)
    error_lsb = (q - x) / delta
    fig = _new_figure()
    top, bottom = fig.subplots(2, 1, sharex=True, height_ratios=[1.6, 1])
    if bits <= 5:
        levels = quantize(np.linspace(-1, 1, 2**bits * 4), bits, kind)
        for level in np.unique(levels):
            top.axhline(level, color="#E6E6E6", linewidth=0.6, zorder=0)
    top.plot(periods, x, color=BLUE, linewidth=1.0, label="signal")
    top.plot(periods, q, color=VERMILLION, linewidth=1.4, label=f"quantised ({bits} bits)")
    top.set_ylim(-1.1, 1.1)
    _style_axes(top, "", "Amplitude (full scale = ±1)")
    _legend(top, ncol=2)
    bottom.plot(periods, error_lsb, color=GREEN, linewidth=0.9)
    for edge in (-0.5, 0.5):
        bottom.axhline(edge, color=BLACK, linestyle=":", linewidth=0.8)
    bottom.set_ylim(min(-0.6, error_lsb.min() * 1.1), max(0.6, error_lsb.max() * 1.1))
    _style_axes(bottom, "Time (periods of the sine)", "Error (Δ)")
    bottom.set_xlim(0, 2)
    return fig, float(np.max(np.abs(error_lsb)))


def _compute_quantization(values: Values) -> DemoResult:
    bits, amplitude, kind = int(values["bits"]), float(values["amplitude"]), str(values["quantizer"])
    fig, worst_error = _quantization_figure(bits, amplitude, kind)
    delta = step_size(bits)
    readouts = (
        Readout("Step size Δ = 2/2^b", _num(delta, 4)),
        Readout("Levels 2^b", str(2**bits)),
        Readout("Theoretical SNR 6.02·b + 1.76 + 20·log10(A)", _db(theoretical_snr_db(bits, amplitude))),
        Readout("Measured SNR", _db(measured_snr_db(bits, amplitude, kind))),
        Readout("Largest |error| in the plot", f"{worst_error:.2f} Δ"),
    )
    if worst_error > 0.5 + 1e-9:
        error_text = "goes beyond ±Δ/2 where the peaks clip at the top level"
    else:
        error_text = "stays within ±Δ/2"
    caption = (
        f"A {bits}-bit {kind} quantiser rounds a sine of amplitude {_num(amplitude, 3)} to levels Δ = {_num(delta, 4)} "
        f"apart; the error (bottom, in units of Δ) {error_text}, and each extra bit buys about 6 dB of SNR."
    )
    return DemoResult(svg=_svg(fig, "quantization"), readouts=readouts, caption=caption)


# ---------------------------------------------------------------------------------------------------------------------
# Windows (shared by the DFT leakage and FIR demos)
# ---------------------------------------------------------------------------------------------------------------------

_COSINE_SUM = {
    "rectangular": (1.0,),
    "hann": (0.5, 0.5),
    "hamming": (0.54, 0.46),
    "blackman": (0.42, 0.5, 0.08),
}
WINDOWS = (*_COSINE_SUM, "kaiser")
DEFAULT_KAISER_BETA = 8.6


def window(name: str, n: int, *, periodic: bool = True, beta: float = DEFAULT_KAISER_BETA) -> FloatArray:
    """Window of length `n`, values in [0, 1].

    periodic=True is the DFT-even convention for spectral analysis (the symmetric window of length n + 1
    without its last point; `scipy.signal.get_window(name, n)`); periodic=False is the symmetric one for
    FIR design (`get_window(name, n, fftbins=False)`, what `scipy.signal.firwin` uses). `beta` is Kaiser's β.
    """
    if name not in WINDOWS:
        raise DemoError(f"Window must be one of: {', '.join(WINDOWS)} (got {name!r})")
    if n < 1:
        raise DemoError(f"A window needs at least one point (got {n})")
    if n == 1:
        return np.ones(1)
    span = n if periodic else n - 1  # the symmetric window of length span + 1 has its ends at 0 and span
    k = np.arange(n, dtype=np.float64)
    if name == "kaiser":
        ratio = 2 * k / span - 1
        return np.i0(beta * np.sqrt(np.clip(1 - ratio**2, 0.0, None))) / np.i0(beta)
    phase = 2 * np.pi * k / span
    w = np.zeros(n)
    for j, a in enumerate(_COSINE_SUM[name]):
        w += (-1) ** j * a * np.cos(j * phase)
    return w


_PAD = 64  # zero-padding factor for window spectra: 1/64-bin resolution


def _window_spectrum(name: str, n: int) -> FloatArray:
    """|W| relative to |W(0)| on [0, n/2] bins with a 1/_PAD-bin grid."""
    w = window(name, n)
    magnitude: FloatArray = np.abs(np.fft.rfft(w, n * _PAD))
    relative: FloatArray = magnitude / float(magnitude[0])
    return relative


def _first_null(magnitude: FloatArray) -> int:
    """Index of the first local minimum after DC (the edge of the mainlobe)."""
    falling = np.flatnonzero(np.diff(magnitude) > 0)
    return int(falling[0]) if falling.size else len(magnitude) - 1


def highest_sidelobe_db(name: str, n: int = 256) -> float:
    """Highest sidelobe (dB relative to the mainlobe peak) of the periodic `name` window of length n."""
    magnitude = _window_spectrum(name, n)
    return float(_to_db(magnitude[_first_null(magnitude) :]).max())


def mainlobe_width_bins(name: str, n: int = 256) -> float:
    """Null-to-null mainlobe width (DFT bins) of the periodic `name` window of length n."""
    return 2 * _first_null(_window_spectrum(name, n)) / _PAD


def scalloping_loss_db(name: str, offset: float, n: int = 256) -> float:
    """Drop (dB, positive) of the spectral peak when the tone sits `offset` bins away from a DFT bin."""
    w = window(name, n)
    k = np.arange(n)
    off_bin = abs(np.sum(w * np.exp(-2j * np.pi * offset * k / n)))
    return float(-20 * math.log10(off_bin / np.sum(w)))


# ---------------------------------------------------------------------------------------------------------------------
# 3. DFT leakage
# ---------------------------------------------------------------------------------------------------------------------

_DFT_FLOOR_DB = -140.0


@dataclass(frozen=True)
class LeakageSpectrum:
    """One-sided spectra of the windowed cosine cos(2π k0 n/N), in dB re an on-bin cosine of amplitude 1."""

    fine_bins: FloatArray  # zero-padded grid, bins of the N-point DFT
    fine_db: FloatArray
    dft: FloatArray  # |X[k]| / (Σw/2), k = 0 … N/2 (linear, for exact tests)
    dft_db: FloatArray


def leakage_spectrum(n: int, k0: float, name: str) -> LeakageSpectrum:
    """Spectrum of N samples of a unit cosine at `k0` bins (k0 cycles per N samples) through window `name`."""
    w = window(name, n)
    x = np.cos(2 * np.pi * k0 * np.arange(n) / n) * w
    scale = np.sum(w) / 2
    pad = max(1, (_MAX_POINTS - 1) * 2 // n)
    fine = np.abs(np.fft.rfft(x, n * pad)) / scale
    dft = np.abs(np.fft.rfft(x)) / scale
    return LeakageSpectrum(
        fine_bins=np.arange(len(fine)) / pad,
        fine_db=_to_db(fine, _DFT_FLOOR_DB),
        dft=dft,
        dft_db=_to_db(dft, _DFT_FLOOR_DB),
    )


def _leakage_constraints(values: Values) -> None:
    n, k0 = int(values["N"]), float(values["k0"])
    if k0 > n / 2:
        raise DemoError(f"Signal frequency (k0) must be at most N/2 = {_num(n / 2)} bins for N = {n} (got {_num(k0)})")


def _leakage_figure(spectrum: LeakageSpectrum, n: int, name: str) -> Figure:
    fig = _new_figure()
    ax = fig.subplots()
    ax.plot(spectrum.fine_bins, spectrum.fine_db, color=BLUE, linewidth=0.9, label="DTFT (zero-padded)")
    bins = np.arange(len(spectrum.dft), dtype=np.float64)
    marker = 4.5 if n <= 128 else 2.5
    ax.plot(bins, spectrum.dft_db, "o", color=VERMILLION, markersize=marker, label=f"{n}-point DFT", zorder=3)
    ax.set_xlim(0, n / 2)
    ax.set_ylim(_DFT_FLOOR_DB - 5, 12)
    _style_axes(ax, "Frequency (DFT bins)", f"Magnitude (dB), {name} window")
    _legend(ax, ncol=2)
    return fig


def _compute_leakage(values: Values) -> DemoResult:
    n, k0, name = int(values["N"]), float(values["k0"]), str(values["window"])
    spectrum = leakage_spectrum(n, k0, name)
    offset = abs(k0 - round(k0))
    readouts = (
        Readout("Peak bin", str(int(np.argmax(spectrum.dft)))),
        Readout("Bin offset of the tone", f"{_num(offset, 3)} bin"),
        Readout("Scalloping loss at k0", _db(scalloping_loss_db(name, offset, n))),
        Readout("Highest sidelobe (window)", _db(highest_sidelobe_db(name, n), 1)),
        Readout("Mainlobe width (null to null)", f"{_num(mainlobe_width_bins(name, n), 3)} bins"),
    )
    if offset == 0:
        what = "falls exactly on a bin, so every other DFT sample lands on a null of the window's spectrum"
        if name == "rectangular":
            what += " and there is no visible leakage"
    else:
        what = f"falls {_num(offset, 3)} bin off the grid, so the DFT samples the window's sidelobes: leakage"
    caption = f"The {_num(k0)}-bin cosine through a {name} window {what}."
    return DemoResult(svg=_svg(_leakage_figure(spectrum, n, name), "dft_leakage"), readouts=readouts, caption=caption)


# ---------------------------------------------------------------------------------------------------------------------
# 4. FIR design by windowing
# ---------------------------------------------------------------------------------------------------------------------


def design_lowpass(
    numtaps: int, cutoff: float, fs: float, window_name: str = "hamming", beta: float = DEFAULT_KAISER_BETA
) -> FloatArray:
    """Linear-phase lowpass taps by the window method (same as `scipy.signal.firwin` with a symmetric window).

    h[n] = (2fc/fs)·sinc(2fc/fs·(n − M/2))·w[n], M = numtaps − 1, scaled so Σh = 1 (0 dB at DC).
    `cutoff` and `fs` in Hz, 0 < cutoff < fs/2.
    """
    if numtaps < 1:
        raise DemoError(f"A filter needs at least one tap (got {numtaps})")
    if not 0 < cutoff < fs / 2:
        raise DemoError(f"Cutoff frequency must be between 0 and fs/2 = {_hz(fs / 2)} (got {_hz(cutoff)})")
    ratio = 2 * cutoff / fs
    m = np.arange(numtaps) - (numtaps - 1) / 2
    h = ratio * np.sinc(ratio * m) * window(window_name, numtaps, periodic=False, beta=beta)
    h = np.asarray(h, dtype=np.float64)
    total = float(np.sum(h))
    if abs(total) < 1e-12:
        raise DemoError("These settings give a filter with no gain at DC; use more taps or a higher cutoff")
    return h / total


def gain_db(taps: FloatArray, frequency: float, fs: float) -> float:
    """|H| in dB of an FIR filter at `frequency` Hz (sampling rate `fs` Hz), from the exact DTFT."""
    n = np.arange(len(taps))
    response = np.sum(taps * np.exp(-2j * np.pi * frequency / fs * n))
    return float(_to_db(np.array([abs(response)]))[0])


@dataclass(frozen=True)
class FirResponse:
    frequency: FloatArray  # Hz, 0 … fs/2
    magnitude_db: FloatArray
    phase: FloatArray  # rad, unwrapped


def fir_response(taps: FloatArray, fs: float) -> FirResponse:
    """Frequency response on a 2001-point grid from DC to fs/2."""
    spectrum = np.fft.rfft(taps, 2 * (_MAX_POINTS - 1))
    frequency = np.linspace(0.0, fs / 2, len(spectrum))
    return FirResponse(frequency, _to_db(np.abs(spectrum)), np.unwrap(np.angle(spectrum)))


def _stopband_start(response: FirResponse, cutoff: float) -> int | None:
    """Grid index of the first null above the cutoff, or None when the response has none below fs/2."""
    start = int(np.searchsorted(response.frequency, cutoff))
    rising = np.flatnonzero(np.diff(response.magnitude_db[start:]) > 0)
    return start + int(rising[0]) if rising.size else None


def _fir_constraints(values: Values) -> None:
    numtaps, cutoff, fs = int(values["numtaps"]), float(values["cutoff"]), float(values["fs"])
    if numtaps % 2 == 0:
        raise DemoError(
            f"Number of taps (numtaps) must be odd, so the delay M/2 is a whole number of samples (got {numtaps})"
        )
    if cutoff >= fs / 2:
        raise DemoError(f"Cutoff frequency (cutoff) must be below fs/2 = {_hz(fs / 2)} (got {_hz(cutoff)})")


def _fir_figure(response: FirResponse, cutoff: float, numtaps: int, fs: float) -> Figure:
    fig = _new_figure()
    top, bottom = fig.subplots(2, 1, sharex=True, height_ratios=[1.6, 1])
    frequency = response.frequency
    top.plot(frequency, response.magnitude_db, color=BLUE, linewidth=1.1, label="|H(f)|")
    top.axvline(cutoff, color=VERMILLION, linestyle="--", linewidth=1.0, label=f"cutoff {_hz(cutoff)}")
    top.axhline(-6.02, color=GREY, linestyle=":", linewidth=0.8, label="−6 dB")
    top.set_ylim(-120, 10)
    _style_axes(top, "", "Magnitude (dB)")
    _legend(top)
    delay = (numtaps - 1) / 2
    shown = np.where(response.magnitude_db > -100, response.phase, np.nan)
    bottom.plot(frequency, shown, color=BLUE, linewidth=1.0, label="phase of H(f), unwrapped")
    linear = -2 * np.pi * frequency / fs * delay
    bottom.plot(frequency, linear, color=ORANGE, linestyle="--", linewidth=1.0, label=f"delay of {_num(delay)} samples")
    bottom.legend(loc="lower left", frameon=False, fontsize=_LEGEND_SIZE)
    _style_axes(bottom, "Frequency (Hz)", "Phase (rad)")
    bottom.set_xlim(0, fs / 2)
    return fig


def _compute_fir(values: Values) -> DemoResult:
    numtaps, cutoff, fs = int(values["numtaps"]), float(values["cutoff"]), float(values["fs"])
    name, beta = str(values["window"]), float(values["beta"])
    taps = design_lowpass(numtaps, cutoff, fs, name, beta)
    response = fir_response(taps, fs)
    stop = _stopband_start(response, cutoff)
    delay = (numtaps - 1) / 2
    if stop is None:
        stopband = Readout("Highest stopband gain", "no stopband null below fs/2")
    else:
        beyond = f"above {_hz(response.frequency[stop])}"
        stopband = Readout("Highest stopband gain", f"{_db(float(response.magnitude_db[stop:].max()), 1)} ({beyond})")
    readouts = (
        Readout("Gain at DC", _db(gain_db(taps, 0.0, fs))),
        Readout(f"Gain at cutoff ({_hz(cutoff)})", _db(gain_db(taps, cutoff, fs))),
        stopband,
        Readout("Group delay M/2", f"{_num(delay)} samples = {_num(delay / fs * 1e3, 4)} ms"),
    )
    window_text = f"Kaiser (β = {_num(beta, 3)})" if name == "kaiser" else name
    caption = (
        f"A {numtaps}-tap {window_text}-windowed sinc lowpass with cutoff {_hz(cutoff)} at fs = {_hz(fs)}: "
        f"magnitude on top and, below, a phase that falls linearly (delay {_num(delay)} samples) "
        "with jumps of π where the response changes sign in the stopband."
    )
    return DemoResult(
        svg=_svg(_fir_figure(response, cutoff, numtaps, fs), "fir_window"), readouts=readouts, caption=caption
    )


# ---------------------------------------------------------------------------------------------------------------------
# 5. Biquad
# ---------------------------------------------------------------------------------------------------------------------

ZERO_PLACEMENTS = ("bandpass", "origin", "notch")
_ZERO_LABELS = (
    "at z = ±1 (band-pass: zeros at DC and Nyquist)",
    "at the origin (all-pole resonator)",
    "on the unit circle at the pole angle (notch)",
)


def biquad_coefficients(r: float, theta: float, zeros: str) -> tuple[FloatArray, FloatArray]:
    """(b, a) of H(z) = (b0 + b1 z⁻¹ + b2 z⁻²)/(1 − 2r·cosθ z⁻¹ + r² z⁻²): poles at r·e^{±jθ}, θ in rad/sample.

    zeros: "bandpass" b = [1, 0, −1] (z = ±1); "origin" b = [1, 0, 0]; "notch" b = [1, −2cosθ, 1] (z = e^{±jθ}).
    b0 = 1 in every case (no gain normalisation).
    """
    a = np.array([1.0, -2 * r * math.cos(theta), r * r])
    if zeros == "bandpass":
        return np.array([1.0, 0.0, -1.0]), a
    if zeros == "origin":
        return np.array([1.0, 0.0, 0.0]), a
    if zeros == "notch":
        return np.array([1.0, -2 * math.cos(theta), 1.0]), a
    raise DemoError(f"Zeros must be one of: {', '.join(ZERO_PLACEMENTS)} (got {zeros!r})")


def biquad_response(b: FloatArray, a: FloatArray, frequency: FloatArray, fs: float) -> NDArray[np.complex128]:
    """H(e^{jω}) at `frequency` Hz, ω = 2π·frequency/fs (inf/nan where a pole lies on the unit circle)."""
    z1 = np.exp(-2j * np.pi * np.asarray(frequency) / fs)
    with np.errstate(divide="ignore", invalid="ignore"):
        response: NDArray[np.complex128] = (b[0] + b[1] * z1 + b[2] * z1**2) / (a[0] + a[1] * z1 + a[2] * z1**2)
    return response


def _biquad_constraints(values: Values) -> None:
    f_pole, fs = float(values["f_pole"]), float(values["fs"])
    if f_pole > fs / 2:
        raise DemoError(f"Pole angle (f_pole) must be at most fs/2 = {_hz(fs / 2)} (got {_hz(f_pole)})")


def _mark_multiplicity(ax: Axes, points: list[complex]) -> None:
    for point in set(points):
        if points.count(point) > 1:
            ax.annotate(str(points.count(point)), (point.real, point.imag), xytext=(5, 5), textcoords="offset points")


def _pole_zero_axes(ax: Axes, poles: list[complex], zeros: list[complex]) -> None:
    circle = np.linspace(0, 2 * np.pi, 361)
    ax.plot(np.cos(circle), np.sin(circle), color=GREY, linewidth=0.8)
    ax.axhline(0, color="#CCCCCC", linewidth=0.6)
    ax.axvline(0, color="#CCCCCC", linewidth=0.6)
    ax.plot([p.real for p in poles], [p.imag for p in poles], "x", color=VERMILLION, markersize=9, mew=2, label="poles")
    ax.plot(
        [z.real for z in zeros],
        [z.imag for z in zeros],
        "o",
        mfc="none",
        color=BLUE,
        markersize=8,
        mew=1.6,
        label="zeros",
    )
    _mark_multiplicity(ax, [complex(round(p.real, 12), round(p.imag, 12)) for p in poles])
    _mark_multiplicity(ax, [complex(round(z.real, 12), round(z.imag, 12)) for z in zeros])
    ax.set_xlim(-1.35, 1.35)
    ax.set_ylim(-1.35, 1.35)
    ax.set_aspect("equal")
    _style_axes(ax, "Re z", "Im z")
    _legend(ax, ncol=2)


def _biquad_zeros(zeros: str, theta: float) -> list[complex]:
    if zeros == "bandpass":
        return [1 + 0j, -1 + 0j]
    if zeros == "origin":
        return [0j, 0j]
    return [complex(math.cos(theta), math.sin(theta)), complex(math.cos(theta), -math.sin(theta))]


def _biquad_figure(values: Values, frequency: FloatArray, magnitude_db: FloatArray) -> Figure:
    r, f_pole, fs, zeros = float(values["r"]), float(values["f_pole"]), float(values["fs"]), str(values["zeros"])
    theta = 2 * math.pi * f_pole / fs
    fig = _new_figure()
    left, right = fig.subplots(1, 2, width_ratios=[1, 1.7])
    poles = [r * complex(math.cos(theta), math.sin(theta)), r * complex(math.cos(theta), -math.sin(theta))]
    _pole_zero_axes(left, poles, _biquad_zeros(zeros, theta))
    right.plot(frequency, magnitude_db, color=BLUE, linewidth=1.1, label="|H(f)|")
    right.axvline(f_pole, color=VERMILLION, linestyle="--", linewidth=0.9, label="pole angle")
    finite = magnitude_db[np.isfinite(magnitude_db)]
    low, high = max(float(finite.min()), -80.0), min(float(finite.max()), 80.0)
    right.set_ylim(low - 5, high + 5)
    right.set_xlim(0, fs / 2)
    _style_axes(right, "Frequency (Hz)", "Magnitude (dB)")
    _legend(right, ncol=2)
    return fig


def _peak_text(frequency: FloatArray, response: NDArray[np.complex128]) -> str:
    """Largest |H| in dB and where (Hz), for a stable filter (so |H| is finite everywhere)."""
    magnitude = np.abs(response)
    index = int(np.argmax(magnitude))
    return f"{_db(20 * math.log10(float(magnitude[index])), 1)} at {_hz(float(frequency[index]))}"


def _poles_text(r: float, theta: float) -> str:
    pole = r * complex(math.cos(theta), math.sin(theta))
    angle = f"{_num(theta / math.pi, 4)}π" if theta else "0"
    return f"{_num(pole.real, 4)} ± {_num(abs(pole.imag), 4)}j (r = {_num(r, 4)}, θ = ±{angle} rad)"


def _compute_biquad(values: Values) -> DemoResult:
    r, f_pole, fs, zeros = float(values["r"]), float(values["f_pole"]), float(values["fs"]), str(values["zeros"])
    theta = 2 * math.pi * f_pole / fs
    b, a = biquad_coefficients(r, theta, zeros)
    frequency = np.linspace(0.0, fs / 2, _MAX_POINTS)
    response = biquad_response(b, a, frequency, fs)
    magnitude_db = _to_db(np.nan_to_num(np.abs(response), nan=0.0))
    stable = r < 1
    unstable = "n/a (unstable)"
    readouts = (
        Readout("Poles r·e^{±jθ}", _poles_text(r, theta)),
        Readout("Stability", "stable (r < 1)" if stable else "unstable (r ≥ 1: poles on or outside the unit circle)"),
        Readout("Pole angle frequency θ·fs/2π", _hz(f_pole)),
        Readout("−3 dB bandwidth ≈ (1 − r)·fs/π (r near 1)", _hz((1 - r) * fs / math.pi, 4) if stable else unstable),
        Readout("Peak gain", _peak_text(frequency, response) if stable else unstable),
    )
    if stable:
        caption = (
            f"Poles at radius {_num(r, 3)} and angle ±{_num(theta / math.pi, 3)}π with zeros {_zero_phrase(zeros)}: "
            "the closer the poles get to the unit circle, the taller and narrower the resonance near the pole angle."
        )
    else:
        caption = (
            f"With r = {_num(r, 3)} ≥ 1 the poles are on or outside the unit circle, so the filter is unstable and "
            "the curve is only |B/A| evaluated on the circle, not a frequency response the filter can show."
        )
    return DemoResult(
        svg=_svg(_biquad_figure(values, frequency, magnitude_db), "biquad"), readouts=readouts, caption=caption
    )


def _zero_phrase(zeros: str) -> str:
    return {"bandpass": "at z = ±1", "origin": "at the origin", "notch": "on the unit circle at the pole angle"}[zeros]


# ---------------------------------------------------------------------------------------------------------------------
# Registry
# ---------------------------------------------------------------------------------------------------------------------


def _number(
    name: str, label: str, unit: str, default: float, low: float, high: float, step: float, *, integer: bool = False
) -> Param:
    return Param(name, label, unit, default, low, high, step, integer=integer)


def _choice(name: str, label: str, choices: tuple[str, ...], default: str, labels: tuple[str, ...] = ()) -> Param:
    return Param(name, label, "", 0.0, 0.0, 0.0, 0.0, choices=choices, default_choice=default, choice_labels=labels)


DEMOS: dict[str, Demo] = {
    demo.name: demo
    for demo in (
        Demo(
            name="aliasing",
            title="Aliasing",
            summary="A sinusoid above half the sampling rate produces the same samples as a slower one.",
            params=(
                _number("f0", "Signal frequency", "Hz", 7000, 0, 100_000, 1),
                _number("fs", "Sampling rate", "Hz", 8000, 100, 96_000, 1),
                _number("samples", "Samples shown", "", 24, 4, 50, 1, integer=True),
            ),
            compute=_compute_aliasing,
            constraints=_aliasing_constraints,
        ),
        Demo(
            name="quantization",
            title="Quantisation noise",
            summary="Each bit of a uniform quantiser halves the step and buys about 6 dB of signal-to-noise ratio.",
            params=(
                _number("bits", "Bits per sample", "bits", 4, 1, 16, 1, integer=True),
                _number("amplitude", "Sine amplitude (fraction of full scale)", "", 1.0, 0.01, 1.0, 0.01),
                _choice("quantizer", "Quantiser", QUANTIZERS, "mid-rise"),
            ),
            compute=_compute_quantization,
        ),
        Demo(
            name="dft_leakage",
            title="DFT leakage and windows",
            summary="A tone between DFT bins leaks into every bin; a window trades mainlobe width for lower sidelobes.",
            params=(
                _number("N", "DFT length N", "samples", 64, 8, 1024, 1, integer=True),
                _number("k0", "Signal frequency", "bins", 10.5, 0, 512, 0.1),
                _choice("window", "Window", tuple(_COSINE_SUM), "rectangular"),
            ),
            compute=_compute_leakage,
            constraints=_leakage_constraints,
        ),
        Demo(
            name="fir_window",
            title="FIR lowpass by the window method",
            summary="Truncating the ideal sinc with a window sets the transition width and the stopband attenuation.",
            params=(
                _number("numtaps", "Number of taps", "", 51, 3, 201, 2, integer=True),
                _number("cutoff", "Cutoff frequency", "Hz", 1000, 1, 48_000, 1),
                _number("fs", "Sampling rate", "Hz", 8000, 100, 96_000, 1),
                _choice("window", "Window", WINDOWS, "hamming"),
                _number("beta", "Kaiser β (kaiser window only)", "", DEFAULT_KAISER_BETA, 0, 20, 0.1),
            ),
            compute=_compute_fir,
            constraints=_fir_constraints,
        ),
        Demo(
            name="biquad",
            title="A biquad: poles, zeros and resonance",
            summary="Two poles near the unit circle make a resonance; the zeros shape it into a band-pass or a notch.",
            params=(
                _number("r", "Pole radius", "", 0.9, 0, 1.2, 0.01),
                _number("f_pole", "Pole angle (as a frequency)", "Hz", 1000, 0, 48_000, 1),
                _choice("zeros", "Zeros", ZERO_PLACEMENTS, "bandpass", _ZERO_LABELS),
                _number("fs", "Sampling rate", "Hz", 8000, 100, 96_000, 1),
            ),
            compute=_compute_biquad,
            constraints=_biquad_constraints,
        ),
    )
}
