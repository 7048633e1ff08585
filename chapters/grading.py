"""Grading an answer text against a question of the bank (`chapters.bank.QuestionData`). Pure.

Two callers: the section quiz, where a student types a short answer ("8 kHz", "b", "linear phase"), and
the confidence model's labelling, where the answer is an LLM tutor's paragraph that may restate the
question, cite passages like [1] and write LaTeX like $f_s = 8\\,\\text{kHz}$. So reading is tolerant and
grading is lenient; the decisions below are the places where it had to choose.

Numbers (`parse_quantities`)
  - Accepted forms: 8, -3 (also the Unicode minus), +3, .5, 8,000 and 8 000 (a thin or no-break space too;
    groups of exactly three digits, one kind of separator per number), 8e3, 8E+3, 8×10^3, 8 x 10^3, 8·10³,
    8*10**3, 8\\times10^{3}, 10^3 and 2^16 (integer powers), 1/4 (only plain integers with no spaces;
    "1 / 4" is two numbers), 8k (a glued k or K means thousand), and π or pi as a factor: π, π/4, 0.25π,
    0.25 pi, 3pi/8, 2π·1000, \\frac{\\pi}{4}.
  - "1,5" is the numbers 1 and 5: the book is in English, so a comma is a thousands separator or nothing.
  - Not numbers: digits glued to a letter or an underscore on either side (f0, x2, H_1, 2B, 2N, 10th, 1st,
    2πf), exponents of a symbol (z^-1, x²), divisors of a symbol (f_s/2, N / 4) and what a symbol divides
    (2/N), the offset in n-1, array indices (the whole of x[n-1]), citation markers ([1], [2,3], [1-3]),
    numbered-list markers at the start of a line of a multi-line text, and references like Section 3.2,
    Chapter 5, Figure 4, Table 1, Eq. (3), Step 2, page 12, §3.2. Ordinals (10th) are therefore not numbers.
  - Units follow the number, after spaces or one hyphen ("16-bit"): Hz with m, k, M, G (and hertz,
    kilohertz...), s with ms, µs/us, ns, dB (dBFS and decibels are dB), rad, °/degrees (converted to rad),
    rad/s, rad/sample, cycles/sample (converted to rad/sample), V, mV, µV, W, mW, µW, kW, Ω/ohm, kΩ, MΩ,
    %/percent, samples, bits, bit/s (kbps...), samples per second (a frequency), dB/decade, dB/octave, and
    taps, coefficients and points (counts with no unit). Symbols are case-sensitive ("mHz" is millihertz),
    but a few lowercase spellings people type are read as the common unit: hz, khz, db, and mhz as MHz.
  - `Quantity.value` is in the SI base unit of the dimension: 8 kHz -> 8000.0 "Hz", 90° -> 1.5708 "rad",
    0.25 cycles/sample -> 1.5708 "rad/sample". A percentage stays a percentage: 12.5 % -> 12.5 "%".

Numeric grading
  - The reference is `answer` in the question's `unit`, the tolerance is absolute in that unit; both are
    converted to SI (unit "kHz", answer "8" -> 8000 Hz). A question's unit may carry a factor π
    ("π rad/sample", answer 0.25 means 0.25π); a unit the table does not know is compared as written.
  - A number in the answer counts when its unit has the question's dimension, or it has no unit: a bare
    number is read in the question's unit ("8" answers 8 kHz). A bare number containing π is in radians when
    the question is about an angle or an angular frequency; for a "π rad/sample" question a bare number
    without π may mean either (0.25 or 0.785 both answer 0.25π). Counts (samples, bits, taps) answer
    unitless questions and each other. A percentage answers a unitless question as a fraction (12.5 % is
    0.125); a bare number answers a "%" question as a percentage (0.125 is 0.125 %, wrong for 12.5 %).
    dB answers dB/decade and dB/octave questions and the reverse, since people drop the "per".
  - The answer is right when ANY counting number is within tolerance. That is lenient on purpose: an LLM
    paragraph restates the question's numbers and hedges ("7 kHz appears at 1 kHz"), so one number must
    not spoil it, and negations ("not 7 kHz but 1 kHz") are not read. It also means a student who types
    several numbers gets credit; a quiz that must prevent that can call `parse_quantity` first.
  - An answer whose only numbers are of another dimension gets "8 ms is not a frequency".

Choices
  - `grade_choice_index` is for the quiz's radio buttons (0-based, as in the bank).
  - For text, a letter a-h counts when it is the whole answer ("b", "(b)", "B)", "option b", "The answer is
    b."), or inside a paragraph as "(b)", "option b", "choice b" or "answer is b." (never a bare "a", the
    article). Digits are never choice numbers: they may be the content of an option. Then option texts:
    the answer names an option when it contains the option's normalised words as whole words, options are
    looked for longest first and a found option's words are blanked, so "linear phase" does not also name
    "phase". An option named only after a negation (see Short) does not count. Last, when every option is
    a single quantity, an answer quantity equal to one (within 0.1 %) names it. Naming two options is wrong.

Short answers
  - Right when the answer contains the reference answer or an `accepted` phrase as whole words, or when
    every `keywords` group has a word (or phrase) in the answer. Words are compared after a tiny stemmer
    (strips -ies/-ing/-es/-ed/-s, then a final e), so "aliased" matches "aliasing" and "phases" "phase".
    Texts (options too) are compared as `normalise` words, which keep operators (-, /, *, =, +...), plus the
    brackets of an index or argument, so "x[n]" is not found in "x[n-1]" and "x(n)" equals "x[n]"; prose
    parentheses do not count.
  - Negation guard: a match preceded within three words (and in the same clause: a comma or a full stop
    ends the look-back) by not, no, never, non, without, isn't, doesn't, cannot... does not count.
    "It is not linear phase" is wrong for "linear phase"; "No, it has linear phase" is right.

Out of scope
  - Right iff `says_not_covered`: the answer declines or says the book does not cover it, in any of the
    usual phrasings (case and apostrophe style do not matter). Any decline phrase counts, even followed by
    an answer ("The book does not mention it by name, but..."). "No information" counts only at the start
    or after is/has/have/contains/gives/finds..., so "a DC signal carries no information" is not a decline.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from chapters.bank import QuestionData


@dataclass(frozen=True)
class Quantity:
    """A number read from text: `value` in the SI base unit of `unit`'s dimension, `unit` "" when it has none."""

    value: float
    unit: str


@dataclass(frozen=True)
class Grade:
    correct: bool
    reason: str  # one short sentence, shown to students


# --- Units ----------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Unit:
    symbol: str  # the SI base symbol values are reported in
    dimension: str  # what it measures; "" for a plain number
    factor: float = 1.0  # the SI value of one of this unit
    pi: bool = False  # the unit carries a factor π, as in "π rad/sample"


_PLAIN = _Unit("", "")

# SI symbol, dimension, factor, spellings. All-lowercase words also match Capitalised and UPPER.
_UNIT_ROWS: tuple[tuple[str, str, float, tuple[str, ...]], ...] = (
    ("Hz", "frequency", 1e-3, ("mHz", "millihertz")),
    ("Hz", "frequency", 1.0, ("Hz", "hz", "HZ", "hertz", "S/s", "sps", "samples/s", "samples per second")),
    ("Hz", "frequency", 1e3, ("kHz", "khz", "KHz", "Khz", "KHZ", "kilohertz", "kS/s", "ksps")),
    ("Hz", "frequency", 1e6, ("MHz", "mhz", "Mhz", "MHZ", "megahertz", "MS/s", "Msps")),
    ("Hz", "frequency", 1e9, ("GHz", "ghz", "GHZ", "gigahertz")),
    ("s", "time", 1.0, ("s", "sec", "secs", "second", "seconds")),
    ("s", "time", 1e-3, ("ms", "msec", "millisecond", "milliseconds")),
    ("s", "time", 1e-6, ("µs", "μs", "us", "microsecond", "microseconds")),
    ("s", "time", 1e-9, ("ns", "nanosecond", "nanoseconds")),
    ("dB", "level", 1.0, ("dB", "db", "DB", "dBFS", "dBfs", "decibel", "decibels")),
    ("dB/decade", "level per decade", 1.0, ("dB/decade", "dB/dec", "dB per decade")),
    ("dB/octave", "level per octave", 1.0, ("dB/octave", "dB/oct", "dB per octave")),
    ("rad", "angle", 1.0, ("rad", "rads", "radian", "radians")),
    ("rad", "angle", math.pi / 180, ("°", "deg", "degree", "degrees")),
    ("rad/s", "angular frequency", 1.0, ("rad/s", "rad/sec", "radians/s", "radians/second", "radians per second")),
    ("rad/sample", "normalised frequency", 1.0, ("rad/sample", "radians/sample", "radians per sample")),
    ("rad/sample", "normalised frequency", 2 * math.pi, ("cycles/sample", "cycle/sample", "cycles per sample")),
    ("V", "voltage", 1.0, ("V", "volt", "volts")),
    ("V", "voltage", 1e-3, ("mV", "millivolt", "millivolts")),
    ("V", "voltage", 1e-6, ("µV", "μV", "uV", "microvolt", "microvolts")),
    ("W", "power", 1.0, ("W", "watt", "watts")),
    ("W", "power", 1e-3, ("mW", "milliwatt", "milliwatts")),
    ("W", "power", 1e-6, ("µW", "μW", "uW", "microwatt", "microwatts")),
    ("W", "power", 1e3, ("kW", "kilowatt", "kilowatts")),
    ("Ω", "resistance", 1.0, ("Ω", "ohm", "Ohm", "ohms")),
    ("Ω", "resistance", 1e3, ("kΩ", "kohm", "kohms", "kilohm", "kilohms")),
    ("Ω", "resistance", 1e6, ("MΩ", "Mohm", "megohm", "megohms")),
    ("%", "percent", 1.0, ("%", "percent", "per cent")),
    ("samples", "count", 1.0, ("sample", "samples")),
    ("bits", "count", 1.0, ("bit", "bits", "bits/sample", "bits per sample")),
    ("", "count", 1.0, ("tap", "taps", "coefficient", "coefficients", "point", "points")),
    ("bit/s", "bit rate", 1.0, ("bit/s", "bits/s", "b/s", "bps", "bits per second")),
    ("bit/s", "bit rate", 1e3, ("kbit/s", "kbits/s", "kb/s", "kbps")),
    ("bit/s", "bit rate", 1e6, ("Mbit/s", "Mbits/s", "Mb/s", "Mbps")),
)

_RADIAN_DIMENSIONS = frozenset({"angle", "angular frequency", "normalised frequency"})
_INTERCHANGEABLE = frozenset(
    {frozenset({"count", ""}), frozenset({"level", "level per decade"}), frozenset({"level", "level per octave"})}
)
_DESCRIPTIONS = {
    "": "a plain number",
    "frequency": "a frequency",
    "time": "a time",
    "level": "a level in dB",
    "level per decade": "a slope in dB/decade",
    "level per octave": "a slope in dB/octave",
    "angle": "an angle",
    "angular frequency": "an angular frequency",
    "normalised frequency": "a normalised frequency",
    "voltage": "a voltage",
    "power": "a power",
    "resistance": "a resistance",
    "percent": "a percentage",
    "count": "a count",
    "bit rate": "a bit rate",
}


def _unit_spellings() -> dict[str, _Unit]:
    spellings: dict[str, _Unit] = {}
    for symbol, dimension, factor, names in _UNIT_ROWS:
        for name in names:
            is_word = len(name) > 3 and name.replace(" ", "").isalpha() and name.isascii() and name.islower()
            for variant in (name, name.capitalize(), name.upper()) if is_word else (name,):
                spellings.setdefault(variant, _Unit(symbol, dimension, factor))
    return spellings


_UNITS = _unit_spellings()
_PI_PREFIX = re.compile(r"^(?:×\s*)?(?:π|\\pi|pi)(?=\s|$|·|\*)\s*(?:[·*]\s*)?", re.IGNORECASE)


def _question_unit(text: str) -> _Unit:
    """The unit of a question: a known one, a π-multiple of one, or an unknown one compared as written."""
    rest = text.strip()
    prefix = _PI_PREFIX.match(rest)
    if prefix:
        rest = rest[prefix.end() :].strip()
    unit = _UNITS.get(rest) or (_Unit(rest, f"unit {rest}") if rest else _PLAIN)
    return _Unit(unit.symbol, unit.dimension, unit.factor * math.pi, pi=True) if prefix else unit


def _describe(unit: _Unit) -> str:
    return _DESCRIPTIONS.get(unit.dimension, f"in {unit.symbol}")


# --- Cleaning text: LaTeX, Unicode ------------------------------------------------------------------------------------


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


_TEXT_COMMANDS = _words("text textrm textit textbf textsf texttt mathrm mathit mathbf mathsf mathtt operatorname mbox")
_FRACTIONS = frozenset({"frac", "dfrac", "tfrac"})
_DROPPED_COMMANDS = _words(
    "left right big Big bigl bigr Bigl Bigr displaystyle textstyle hat bar tilde vec dot ddot overline underline"
    " mathcal mathbb boldsymbol quad qquad limits nolimits"
)
_LATEX_SYMBOLS = {
    "times": "×",
    "cdot": "·",
    "pi": "π",
    "omega": "ω",
    "Omega": "Ω",
    "mu": "µ",
    "theta": "θ",
    "phi": "φ",
    "alpha": "α",
    "beta": "β",
    "delta": "δ",
    "Delta": "Δ",
    "lambda": "λ",
    "sigma": "σ",
    "tau": "τ",
    "approx": "≈",
    "pm": "±",
    "le": "≤",
    "leq": "≤",
    "ge": "≥",
    "geq": "≥",
    "neq": "≠",
    "ne": "≠",
    "infty": "∞",
    "degree": "°",
    "circ": "°",
    "to": "→",
    "rightarrow": "→",
    "sim": " ",
}
_CHARACTERS = str.maketrans(
    {
        **dict.fromkeys("\u2212\u2010\u2011\u2012\u2013\u2014\u2015\ufe63\uff0d", "-"),
        **dict.fromkeys("\u22c5\u2219", "·"),
        **dict.fromkeys("\u2044\u2215", "/"),
        "\u2126": "Ω",
        "\u00ad": "",
        "$": " ",
        "~": " ",
        "{": "",
        "}": "",
    }
)
_SUPERSCRIPTS = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻", "0123456789+-")


def _latex_command(match: re.Match[str]) -> str:
    name = match[1]
    if name in _TEXT_COMMANDS or name in _FRACTIONS:
        return match[0]  # unwrapped below, with its braces
    if name in _LATEX_SYMBOLS:
        return _LATEX_SYMBOLS[name]
    return "" if name in _DROPPED_COMMANDS else f" {name} "


_TEXT_COMMAND = re.compile(rf"\\(?:{'|'.join(sorted(_TEXT_COMMANDS, key=len, reverse=True))})\s*\{{([^{{}}]*)\}}")
_FRACTION = re.compile(r"\\[dt]?frac\s*\{([^{}]*)\}\s*\{([^{}]*)\}")


def _unwrap_commands(text: str) -> str:
    """\\text{kHz} -> kHz and \\frac{a}{b} -> a/b, innermost first until none is left."""
    while True:
        unwrapped = _FRACTION.sub(r"\1/\2", _TEXT_COMMAND.sub(r"\1", text))
        if unwrapped == text:
            return text
        text = unwrapped


def _unlatex(text: str) -> str:
    r"""Plain text from LaTeX-ish, Unicode-rich text: $8\,\text{kHz}$ -> " 8 kHz ", 10⁻³ -> 10^-3, − -> -."""
    text = text.replace("\\\\", " ")
    text = re.sub(r"\^\s*\{?\s*\\circ\s*\}?", "°", text)
    text = re.sub(r"\\[,;:! ]", " ", text)
    text = re.sub(r"\\([%{}])", r"\1", text)
    text = re.sub(r"\\[()\[\]]", " ", text)
    text = _unwrap_commands(re.sub(r"\\([A-Za-z]+)", _latex_command, text))
    text = re.sub(r"\\[A-Za-z]+", " ", text).translate(_CHARACTERS)
    text = re.sub(r"[⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻]+", lambda m: "^" + m[0].translate(_SUPERSCRIPTS), text)
    return re.sub(r"(?<=\d)\s*\*\*\s*(?=[-+]?\d)", "^", text)


# --- Reading numbers ------------------------------------------------------------------------------------------------

_PI = r"(?:π|(?<![A-Za-z])[pP][iI](?![A-Za-z]))"
_NUMBER = (
    r"(?:(?<![\w)\]])(?P<sign>[-+]))?"
    r"(?:"
    rf"(?P<pi_alone>{_PI})(?:/(?P<pi_alone_den>\d+))?"
    r"|(?:"
    r"(?P<num>\d+)/(?P<den>\d+)(?!/|\.\d)"
    r"|(?P<mant>\d{1,3}(?P<sep>[,\u00a0\u2009\u202f ])\d{3}(?:(?P=sep)\d{3})*(?:\.\d+)?(?!\d)|\d+(?:\.\d+)?|\.\d+)"
    r")"
    r"(?:[eE](?P<exp>[-+]?\d+)|\s*[x×·*]\s*10\s*\^\s*(?P<exp10>[-+]?\d+)|\^(?P<power>[-+]?\d+))?"
    rf"(?:\s?(?P<pi>{_PI})(?:/(?P<pi_den>\d+))?(?:\s*[·*×]\s*(?P<times>\d+(?:\.\d+)?))?|(?P<kilo>[kK])(?![A-Za-z]))?"
    r")"
)
_CITATION = re.compile(r"\[\s*\d+(?:\s*[,;-]\s*\d+)*\s*\]")
_INDEX = re.compile(r"(?<=[^\W\d])\[[^\[\]\n]{0,30}\]")
_LIST_MARKER = re.compile(r"^[ \t]*\d+[.)](?=[ \t]|$)", re.MULTILINE)
_SYMBOL_BEFORE = re.compile(r"(?:[\w^]|[A-Za-z_)\]]\s*/\s*|(?:^|[^A-Za-z])[A-Za-z_][-+])$")
_LABEL_BEFORE = re.compile(
    r"(?:\b(?:sections?|chapters?|figs?|figures?|tables?|eqs?|eqns?|equations?|examples?|exercises?|problems?"
    r"|steps?|pages?|pp?\.)|§)\.?\s*\(?\s*$",
    re.IGNORECASE,
)
_SYMBOL_AFTER = re.compile(r"[^\W\d]|\s*/\s*[A-Za-z_\\(]")


@dataclass(frozen=True)
class _Reading:
    value: float  # in SI
    unit: _Unit | None  # None: a bare number
    text: str  # as written (after LaTeX is undone)
    has_pi: bool


@lru_cache(maxsize=64)
def _scanner(extra_units: tuple[str, ...]) -> re.Pattern[str]:
    spellings = sorted({*_UNITS, *extra_units}, key=len, reverse=True)
    units = "|".join(re.escape(s) for s in spellings)
    return re.compile(rf"{_NUMBER}(?:(?:\s*|-)(?P<unit>{units})(?!\w))?")


def _numeric_text(text: str) -> str:
    """The text with LaTeX undone and citations, array indices and list markers removed."""
    plain = _INDEX.sub("", _CITATION.sub(" ", _unlatex(text)))
    return _LIST_MARKER.sub("", plain) if "\n" in plain else plain


def _is_symbol_or_label(plain: str, match: re.Match[str], has_unit: bool) -> bool:
    """Whether a match is part of a symbol (f0, 2B, z^-1, f_s/2) or a reference label (Section 3)."""
    before = plain[max(0, match.start() - 20) : match.start()]
    if _SYMBOL_BEFORE.search(before) or _LABEL_BEFORE.search(before):
        return True
    return not has_unit and _SYMBOL_AFTER.match(plain, match.end()) is not None


def _magnitude(match: re.Match[str]) -> float:
    if match["pi_alone"]:
        return math.pi / int(match["pi_alone_den"] or 1)
    value = int(match["num"]) / int(match["den"]) if match["num"] else float(re.sub(r"[^\d.]", "", match["mant"]))
    if match["exp"] is not None:
        value *= 10.0 ** int(match["exp"])
    if match["exp10"] is not None:
        value *= 10.0 ** int(match["exp10"])
    if match["power"] is not None:
        value = value ** int(match["power"])
    if match["pi"]:
        value *= math.pi / int(match["pi_den"] or 1)
    if match["times"]:
        value *= float(match["times"])
    return value * 1000 if match["kilo"] else value


def _signed_value(match: re.Match[str]) -> float | None:
    try:
        value = _magnitude(match)
    except (OverflowError, ZeroDivisionError):
        return None
    if not math.isfinite(value):
        return None
    return -value if match["sign"] == "-" else value


def _readings(text: str, extra: dict[str, _Unit] | None = None) -> list[_Reading]:
    units = {**_UNITS, **(extra or {})}
    plain = _numeric_text(text)
    readings = []
    for match in _scanner(tuple(sorted(extra or {}))).finditer(plain):
        unit = units[match["unit"]] if match["unit"] else None
        value = _signed_value(match)
        if value is None or _is_symbol_or_label(plain, match, unit is not None):
            continue
        has_pi = bool(match["pi"] or match["pi_alone"])
        readings.append(_Reading(value * (unit.factor if unit else 1.0), unit, match[0].strip(), has_pi))
    return readings


def parse_quantities(text: str) -> list[Quantity]:
    """Every number in `text`, in order, with its unit when one follows (value in SI: 8 kHz -> 8000.0 Hz)."""
    return [Quantity(r.value, r.unit.symbol if r.unit else "") for r in _readings(text)]


def parse_quantity(text: str) -> Quantity | None:
    """The first number in `text` with its unit (for a quiz input such as "8 kHz"), or None."""
    quantities = parse_quantities(text)
    return quantities[0] if quantities else None


# --- Numeric grading ------------------------------------------------------------------------------------------------


def _format_number(value: float) -> str:
    """Six significant digits, never in exponent notation: 8000.0 -> "8000", 0.7853981 -> "0.785398"."""
    return str(np.format_float_positional(float(f"{value:.6g}"), trim="-"))


def _shown(si_value: float, unit: _Unit, unit_text: str) -> str:
    return f"{_format_number(si_value / unit.factor)} {unit_text}".strip()


def _given(reading: _Reading, value: float, unit: _Unit, unit_text: str) -> str:
    """The number as written, with its value in the question's unit when that reads differently."""
    converted = _shown(value, unit, unit_text)
    return reading.text if reading.unit is None or converted == reading.text else f"{reading.text} ({converted})"


def _comparable_values(reading: _Reading, unit: _Unit) -> list[float]:
    """The reading's SI values that may answer a question in `unit` (none when the dimensions differ)."""
    if reading.unit is None:
        if reading.has_pi and (unit.pi or unit.dimension in _RADIAN_DIMENSIONS):
            return [reading.value]
        return (
            [reading.value * unit.factor, reading.value * unit.factor / math.pi]
            if unit.pi
            else [reading.value * unit.factor]
        )
    dimension = reading.unit.dimension
    if dimension == unit.dimension or frozenset({dimension, unit.dimension}) in _INTERCHANGEABLE:
        return [reading.value]
    if dimension == "percent" and unit.dimension == "":
        return [reading.value / 100]
    return []


def _within(value: float, reference: float, tolerance: float) -> bool:
    slack = 1e-9 * max(abs(reference), tolerance)  # absorbs float error, as in 0.4 - 0.3 > 0.1
    return abs(value - reference) <= tolerance + slack


def _reference(question: QuestionData) -> float:
    try:
        return float(question.answer)
    except ValueError:
        raise ValueError(f"question {question.id!r}: numeric answer {question.answer!r} is not a number") from None


def _grade_numeric(question: QuestionData, answer: str) -> Grade:
    unit = _question_unit(question.unit)
    reference = _reference(question) * unit.factor
    tolerance = abs(question.tolerance) * unit.factor
    extra = {unit.symbol: _Unit(unit.symbol, unit.dimension)} if unit.dimension.startswith("unit ") else None
    readings = _readings(answer, extra)
    if not readings:
        return Grade(False, "No number found in the answer")
    candidates = [(value, r) for r in readings for value in _comparable_values(r, unit)]
    if not candidates:
        return Grade(False, f"{readings[0].text} is not {_describe(unit)}")
    value, reading = min(candidates, key=lambda c: abs(c[0] - reference))
    given, expected = _given(reading, value, unit, question.unit), _shown(reference, unit, question.unit)
    plus_minus = f"±{_shown(tolerance, unit, question.unit)}"
    if _within(value, reference, tolerance):
        return Grade(True, f"{given} is within {plus_minus} of {expected}")
    gave = "you gave" if len({r for _, r in candidates}) == 1 else "the closest you gave is"
    return Grade(False, f"Expected about {expected} ({plus_minus}); {gave} {given}")


# --- Words: normalising, stemming, matching -------------------------------------------------------------------------

_BREAK = "\ue010"  # a clause boundary among tokens; the negation look-back stops there
_BLANK = "\ue011"  # a word already claimed by a longer option
_OPEN, _CLOSE = "\ue012", "\ue013"  # the brackets of an index or argument, so x[n] is not part of x[n-1]
_CLAUSE_PUNCTUATION = frozenset(".,;:!?")
_IN_NUMBER = re.compile(r"(?<=\d)[.,/](?=\d)|(?<![\w.])\.(?=\d)|(?<!\w)[-+](?=\.?\d)")
_HYPHEN = re.compile(r"(?<=[^\W_])-(?=[^\W\d_])")  # low-pass, 16-bit; a minus elsewhere (n-1, e^-jω) stays
_OPERATORS = frozenset("-/*%")  # punctuation that is mathematics: kept as words, so x/y differs from x y
_PROTECT = str.maketrans({".": "\ue000", ",": "\ue001", "/": "\ue002", "-": "\ue003", "+": "\ue004"})
_RESTORE = str.maketrans({"\ue000": ".", "\ue001": ",", "\ue002": "/", "\ue003": "-", "\ue004": "+"})
_NEGATIONS = _words(
    "not no never non none neither nor without isnt arent wasnt werent doesnt dont didnt cannot cant wont hasnt havent"
)


def _spaced(character: str, for_matching: bool) -> str:
    if character in _CLAUSE_PUNCTUATION:
        return f" {_BREAK} " if for_matching else " "
    if character in _OPERATORS:
        return f" {character} "
    category = unicodedata.category(character)
    if category[0] == "P" or category in ("Sk", "Cc", "Cf"):
        return " "
    return f" {character} " if category[0] == "S" else character


def _spaced_text(text: str, for_matching: bool) -> str:
    """Every character as it reads among words; for matching, clause ends and the brackets of x[n], H(z) are words."""
    pieces: list[str] = []
    arguments: list[bool] = []  # for each open bracket: whether it opened an index or argument
    for i, character in enumerate(text):
        if for_matching and character in "([":
            arguments.append(i > 0 and (text[i - 1].isalnum() or text[i - 1] == "_"))
            pieces.append(f" {_OPEN} " if arguments[-1] else " ")
        elif for_matching and character in ")]":
            pieces.append(f" {_CLOSE} " if arguments and arguments.pop() else " ")
        else:
            pieces.append(_spaced(character, for_matching))
    return "".join(pieces)


def _normalised(text: str, for_matching: bool) -> str:
    lowered = re.sub(r"['’‘ʼ`´]", "", _unlatex(text).lower())
    protected = _HYPHEN.sub(" ", _IN_NUMBER.sub(lambda m: m[0].translate(_PROTECT), lowered))
    return " ".join(_spaced_text(protected, for_matching).translate(_RESTORE).split())


def normalise(text: str) -> str:
    r"""Lowercase words separated by single spaces, for comparing texts.

    Dashes and the Unicode minus become '-', LaTeX wrappers go ($, \text{}, \mathrm{}, \,), apostrophes join
    ("isn't" -> "isnt"), a hyphen between words is a space ("low-pass" -> "low pass"), punctuation becomes
    space except within numbers ("8,000.5", "-3", "1/4"), and symbols and operators such as = < × ° - / *
    stay as words of their own ("e^{-jω}" -> "e - jω", "a/b" -> "a / b"), since options can differ by them.
    """
    return _normalised(text, for_matching=False)


def _stem(word: str) -> str:
    """A tiny stemmer: "aliasing", "aliased", "aliases" -> "alias"; "phases", "phase" -> "phas"."""
    if not word.isalpha():
        return word
    for suffix, replacement in (("ies", "y"), ("ing", ""), ("es", ""), ("ed", ""), ("s", "")):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3 and not word.endswith("ss"):
            word = word[: -len(suffix)] + replacement
            break
    return word[:-1] if word.endswith("e") and len(word) > 3 else word


def _tokens(text: str) -> list[str]:
    return [_stem(token) for token in _normalised(text, for_matching=True).split()]


def _phrase(text: str) -> list[str]:
    tokens = _tokens(text)
    while tokens and tokens[0] == _BREAK:
        tokens.pop(0)
    while tokens and tokens[-1] == _BREAK:
        tokens.pop()
    return tokens


def _occurrences(tokens: list[str], phrase: list[str]) -> list[int]:
    size = len(phrase)
    if not size:
        return []
    return [i for i in range(len(tokens) - size + 1) if tokens[i : i + size] == phrase]


def _negated(tokens: list[str], start: int) -> bool:
    """Whether one of the three words before `start`, in the same clause, negates what follows."""
    for token in reversed(tokens[max(0, start - 3) : start]):
        if token == _BREAK:
            return False
        if token in _NEGATIONS:
            return True
    return False


def _mentions(tokens: list[str], phrase: list[str]) -> bool:
    return any(not _negated(tokens, start) for start in _occurrences(tokens, phrase))


# --- Choices --------------------------------------------------------------------------------------------------------

_LETTER_ALONE = re.compile(
    r"^\W*(?:(?:the\s+)?(?:(?:correct|right)\s+)?(?:option|choice|answer)(?:\s+is)?\W*)?\(?([a-h])\)?\W*$",
    re.IGNORECASE,
)
_LETTER_IN_TEXT = re.compile(
    r"(?<!\w)\(([a-h])\)(?!\w)"  # (b)
    r"|\b(?:option|choice)\s+\(?([a-h])\b"  # option b
    r"|\banswer(?:\s+is)?\s*:?\s*([a-h])(?=\s*(?:$|[.,;:!?)]))",  # answer is b. (never "answer is a filter")
    re.IGNORECASE,
)


def _right_index(question: QuestionData) -> int:
    if not question.answer.isdigit() or int(question.answer) >= len(question.choices):
        raise ValueError(f"question {question.id!r}: choice answer {question.answer!r} is not an option's index")
    return int(question.answer)


def _right_choice(question: QuestionData) -> str:
    return f"The right choice is: {question.choices[_right_index(question)]}"


def _letters_named(text: str, count: int) -> set[int]:
    alone = _LETTER_ALONE.match(text.strip())
    letters = [alone[1]] if alone else [next(g for g in m.groups() if g) for m in _LETTER_IN_TEXT.finditer(text)]
    return {i for i in (ord(letter.lower()) - ord("a") for letter in letters) if i < count}


def _options_named(text: str, choices: list[str]) -> set[int]:
    """Options whose words the text contains, longest first, each claiming its words from shorter ones."""
    tokens = _tokens(text)
    found: set[int] = set()
    phrases = sorted(((_phrase(c), i) for i, c in enumerate(choices)), key=lambda p: (len(p[0]), len("".join(p[0]))))
    for phrase, index in reversed(phrases):
        starts = _occurrences(tokens, phrase)
        if any(not _negated(tokens, start) for start in starts):
            found.add(index)
        for start in starts:
            tokens[start : start + len(phrase)] = [_BLANK] * len(phrase)
    return found


def _same_quantity(a: _Reading, b: _Reading) -> bool:
    comparable = a.unit is None or b.unit is None or a.unit.dimension == b.unit.dimension
    return comparable and math.isclose(a.value, b.value, rel_tol=1e-3, abs_tol=1e-12)


def _options_by_value(text: str, choices: list[str]) -> set[int]:
    """When every option is one quantity: the options equal to a quantity in the text."""
    options = [_readings(choice) for choice in choices]
    if not options or any(len(readings) != 1 for readings in options):
        return set()
    given = _readings(text)
    return {i for i, (option,) in enumerate(options) if any(_same_quantity(g, option) for g in given)}


def grade_choice_index(question: QuestionData, index: int) -> Grade:
    """Grade the quiz's radio button `index` (0-based, as `answer` in the bank)."""
    if index == _right_index(question):
        return Grade(True, f"Yes. {_right_choice(question)}")
    if not 0 <= index < len(question.choices):
        return Grade(False, f"That is not one of the choices. {_right_choice(question)}")
    return Grade(False, _right_choice(question))


def _grade_choice(question: QuestionData, answer: str) -> Grade:
    letters = _letters_named(answer, len(question.choices))
    if len(letters) == 1:
        return grade_choice_index(question, letters.pop())
    for named in (_options_named(answer, question.choices), _options_by_value(answer, question.choices)):
        if len(named) == 1:
            return grade_choice_index(question, named.pop())
        if named:
            return Grade(False, f"The answer names more than one choice. {_right_choice(question)}")
    return Grade(False, f"No choice recognised in the answer. {_right_choice(question)}")


# --- Short answers --------------------------------------------------------------------------------------------------


def _keywords_present(tokens: list[str], groups: Iterable[list[str]]) -> bool:
    """Whether every non-empty keyword group has a word (or phrase) in `tokens`, not negated."""
    present = [any(_mentions(tokens, _phrase(word)) for word in group) for group in groups if group]
    return bool(present) and all(present)


def _grade_short(question: QuestionData, answer: str) -> Grade:
    tokens = _tokens(answer)
    phrases = [question.answer, *question.accepted]
    if any(_mentions(tokens, _phrase(p)) for p in phrases) or _keywords_present(tokens, question.keywords):
        return Grade(True, f"That matches the expected answer: {question.answer}")
    return Grade(False, f"Expected something like: {question.answer}")


# --- Out of scope ---------------------------------------------------------------------------------------------------

_DECLINES = re.compile(
    r"\b(?:"
    r"(?:doesnt|dont|didnt|(?:does|do|did) not) (?:\w+ ){0,2}"
    r"(?:cover|discuss|address|mention|treat|deal with|go into|talk about|appear in|include any)"
    r"|(?:not|isnt|arent|wasnt|werent|never) (?:\w+ ){0,2}(?:covered|discussed|addressed|mentioned|treated)"
    r"|(?:outside|beyond) (?:of )?(?:the|this|its|my|our) (?:\w+ )?scope|out of scope"
    r"|outside (?:the|this) (?:book|textbook|course)"
    r"|(?:cannot|cant|can not|unable to|not able to) (?:answer|find|help with|be answered|be found)"
    r"|i (?:dont|do not) know"
    r"|(?:^|(?:have|has|is|are|contains?|gives?|provides?|finds?|found|makes?) )no (?:\w+ )?"
    r"(?:information|mention|discussion|coverage)"
    r"|(?:dont|do not) have (?:any )?(?:\w+ )?information"
    r"|not (?:in|part of|found in|included in) (?:the|this|my|our) (?:\w+ )?"
    r"(?:textbook|book|text|passages?|sources?|material|context|course)"
    r"|nothing (?:in|about \w+ in) (?:the|this) (?:\w+ )?(?:book|textbook|passages|sources|material)"
    r")\b"
)


def says_not_covered(text: str) -> bool:
    """Whether the text declines or says the book does not cover the question ("outside the scope", "I don't know")."""
    return _DECLINES.search(normalise(text)) is not None


def _grade_out_of_scope(question: QuestionData, answer: str) -> Grade:
    if says_not_covered(answer):
        return Grade(True, "The answer says the book does not cover this")
    return Grade(False, "The book does not cover this question, and the answer should say so")


# --- Entry point ----------------------------------------------------------------------------------------------------

_GRADERS = {
    "numeric": _grade_numeric,
    "choice": _grade_choice,
    "short": _grade_short,
    "out_of_scope": _grade_out_of_scope,
}


def grade(question: QuestionData, answer: str) -> Grade:
    """Grade a free-text answer (a student's input or a tutor's paragraph) against a bank question.

    Raises ValueError for an unknown question type or a reference answer the bank's `validate` would reject.
    """
    grader = _GRADERS.get(question.type)
    if grader is None:
        raise ValueError(f"question {question.id!r}: unknown type {question.type!r}")
    return grader(question, answer)


# --- Checking a bank ------------------------------------------------------------------------


def reference_answer(question: QuestionData) -> str:
    """An answer the grader must accept: the reference as a student would type it."""
    if question.type == "numeric":
        return f"{question.answer} {question.unit}".strip()
    if question.type == "choice":
        return question.choices[int(question.answer)]
    if question.type == "short":
        return question.answer
    return "The book does not cover this."


def wrong_answer(question: QuestionData) -> str:
    """An answer the grader must reject: far outside the tolerance, another option, or no answer."""
    if question.type == "numeric":
        value = float(question.answer)
        wrong = value * 10 + question.tolerance * 100 if value else question.tolerance * 100 + 1
        if abs(wrong - value) <= question.tolerance:
            wrong = value + question.tolerance * 100 + 1
        return f"{wrong:.12g} {question.unit}".strip()
    if question.type == "choice":
        return question.choices[(int(question.answer) + 1) % len(question.choices)]
    if question.type == "short":
        return "I am not sure."
    return "It is 42 Hz."
