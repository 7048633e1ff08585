"""Grading answers: alice types short answers in the section quiz; the tutor writes paragraphs with LaTeX and
citations that the confidence model's labelling grades. Pure: no database."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from chapters.bank import QuestionData
from chapters.grading import (
    Grade,
    Quantity,
    grade,
    grade_choice_index,
    normalise,
    parse_quantities,
    parse_quantity,
    reference_answer,
    says_not_covered,
    wrong_answer,
)

QUESTIONS_FOLDER = Path(__file__).resolve().parents[2] / "content" / "questions"


def numeric(answer: str, unit: str, tolerance: float) -> QuestionData:
    return QuestionData(
        id="q", type="numeric", text="A numeric question?", answer=answer, unit=unit, tolerance=tolerance
    )


def choice(choices: list[str], right: int) -> QuestionData:
    return QuestionData(id="q", type="choice", text="Which one?", answer=str(right), choices=choices)


def short(answer: str, accepted: list[str] | None = None, keywords: list[list[str]] | None = None) -> QuestionData:
    return QuestionData(
        id="q", type="short", text="A short question?", answer=answer, accepted=accepted or [], keywords=keywords or []
    )


OUT_OF_SCOPE = QuestionData(id="q", type="out_of_scope", text="Who won the 2022 World Cup?", category="trivia")
ALIAS_8K = numeric("8000", "Hz", 1)
FILTERS = choice(["high-pass", "low-pass", "band-pass", "all-pass"], right=1)


# --- Reading numbers ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("8", 8),
        ("-3", -3),
        ("−3", -3),
        ("+3", 3),
        (".5", 0.5),
        ("0.5", 0.5),
        ("8,000", 8000),
        ("1,000,000", 1e6),
        ("8 000", 8000),
        ("8\u2009000", 8000),
        ("8\u00a0000", 8000),
        ("8,000.5", 8000.5),
        ("8e3", 8000),
        ("8E+3", 8000),
        ("1e-3", 0.001),
        ("8×10^3", 8000),
        ("8 x 10^3", 8000),
        ("8·10³", 8000),
        ("8×10⁻³", 0.008),
        ("8*10**3", 8000),
        (r"8\times10^{3}", 8000),
        (r"8 \times 10^{-3}", 0.008),
        ("10^3", 1000),
        ("2^16", 65536),
        ("1/4", 0.25),
        (r"\frac{1}{4}", 0.25),
        ("8k", 8000),
        (r"8{,}000", 8000),
    ],
)
def test_it_reads_every_supported_way_of_writing_a_number(text: str, value: float) -> None:
    assert parse_quantity(text) == Quantity(pytest.approx(value), "")


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("π", math.pi),
        ("pi", math.pi),
        ("π/4", math.pi / 4),
        ("pi/2", math.pi / 2),
        ("-π/2", -math.pi / 2),
        ("0.25π", math.pi / 4),
        ("0.25 pi", math.pi / 4),
        ("3pi/8", 3 * math.pi / 8),
        ("3π/8", 3 * math.pi / 8),
        ("2π·1000", 2000 * math.pi),
        (r"2\pi \cdot 1000", 2000 * math.pi),
        (r"\frac{\pi}{4}", math.pi / 4),
        (r"\frac{3\pi}{8}", 3 * math.pi / 8),
        ("1/4π", math.pi / 4),
    ],
)
def test_it_reads_pi_as_a_factor(text: str, value: float) -> None:
    assert parse_quantity(text) == Quantity(pytest.approx(value), "")


@pytest.mark.parametrize(
    ("text", "value", "unit"),
    [
        ("8 kHz", 8000, "Hz"),
        ("8kHz", 8000, "Hz"),
        ("8 khz", 8000, "Hz"),
        ("8 kilohertz", 8000, "Hz"),
        ("2 MHz", 2e6, "Hz"),
        ("2 megahertz", 2e6, "Hz"),
        ("2 mhz", 2e6, "Hz"),
        ("5 mHz", 0.005, "Hz"),
        ("1 GHz", 1e9, "Hz"),
        ("440 Hertz", 440, "Hz"),
        ("8000 samples per second", 8000, "Hz"),
        ("8 ms", 0.008, "s"),
        ("2 seconds", 2, "s"),
        ("8 µs", 8e-6, "s"),
        ("8 μs", 8e-6, "s"),
        ("8 us", 8e-6, "s"),
        (r"8\,\mu\text{s}", 8e-6, "s"),
        ("8 ns", 8e-9, "s"),
        ("3 dB", 3, "dB"),
        ("-6 dBFS", -6, "dB"),
        ("3 decibels", 3, "dB"),
        ("20 dB/decade", 20, "dB/decade"),
        ("6 dB per octave", 6, "dB/octave"),
        ("1.5 rad", 1.5, "rad"),
        ("90°", math.pi / 2, "rad"),
        (r"90^\circ", math.pi / 2, "rad"),
        ("90 degrees", math.pi / 2, "rad"),
        ("100 rad/s", 100, "rad/s"),
        ("0.5 rad/sample", 0.5, "rad/sample"),
        ("0.5 radians per sample", 0.5, "rad/sample"),
        ("0.25 cycles/sample", math.pi / 2, "rad/sample"),
        ("π/4 rad/sample", math.pi / 4, "rad/sample"),
        (r"$\pi/4$ rad/sample", math.pi / 4, "rad/sample"),
        ("16 bits", 16, "bits"),
        ("16-bit", 16, "bits"),
        ("64 samples", 64, "samples"),
        ("31 taps", 31, ""),
        ("31 coefficients", 31, ""),
        ("8k-point", 8000, ""),
        ("12.5 %", 12.5, "%"),
        ("12.5%", 12.5, "%"),
        ("12.5 percent", 12.5, "%"),
        ("3.3 V", 3.3, "V"),
        ("500 mV", 0.5, "V"),
        ("2 W", 2, "W"),
        ("10 mW", 0.01, "W"),
        ("50 Ω", 50, "Ω"),
        ("4.7 kΩ", 4700, "Ω"),
        ("50 ohms", 50, "Ω"),
        ("64 kbps", 64000, "bit/s"),
        (r"$8\,\text{kHz}$", 8000, "Hz"),
        (r"$f_s = 8\,\mathrm{kHz}$", 8000, "Hz"),
        (r"8\,\mathrm{k}\mathrm{Hz}", 8000, "Hz"),
        ("8×10³ Hz", 8000, "Hz"),
    ],
)
def test_it_reads_units_and_converts_to_si(text: str, value: float, unit: str) -> None:
    assert parse_quantity(text) == Quantity(pytest.approx(value), unit)


@pytest.mark.parametrize(
    "text",
    [
        "f0",
        "x2",
        "H_1",
        "f_s = 2B",
        "2N",
        "the 10th sample",
        "the 1st zero",
        "x[n-1]",
        "h[2]",
        "y[n] = x[n] - x[n-1]",
        "z^{-1}",
        "x²",
        "f_s/2",
        "N / 4",
        "2/N",
        "2πf",
        "[1]",
        "[2,3]",
        "[1, 2]",
        "[1–3]",
        "Section 3.2",
        "see Chapter 5",
        "Figure 4",
        "Eq. (3)",
        "§3.2",
    ],
)
def test_it_ignores_digits_that_are_part_of_symbols_labels_or_citations(text: str) -> None:
    assert parse_quantities(text) == []


def test_it_reads_every_number_of_a_text_in_order() -> None:
    assert parse_quantities("Speech lies between 300 Hz and 3.4 kHz.") == [Quantity(300, "Hz"), Quantity(3400, "Hz")]


def test_a_minus_between_numbers_is_a_subtraction_not_a_sign() -> None:
    assert parse_quantities("8000-1000 = 7000") == [Quantity(8000, ""), Quantity(1000, ""), Quantity(7000, "")]


def test_a_comma_between_one_and_five_is_not_a_decimal_point() -> None:
    assert parse_quantities("1,5") == [Quantity(1, ""), Quantity(5, "")]


def test_numbered_list_markers_of_a_paragraph_are_not_numbers() -> None:
    assert parse_quantities("1. Sample the tone.\n2. It folds to 1 kHz.") == [Quantity(1000, "Hz")]


def test_the_first_quantity_is_the_quiz_input() -> None:
    assert parse_quantity("8 kHz, or maybe 9 kHz") == Quantity(8000, "Hz")


@pytest.mark.parametrize("text", ["", "no numbers here", "[1]"])
def test_there_is_no_quantity_in_a_text_without_numbers(text: str) -> None:
    assert parse_quantity(text) is None


# --- Numeric grading ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "answer", ["8 kHz", "8000 Hz", "8e3", "8,000 Hz", "8 000 Hz", "8.0 kHz", "8×10³ Hz", r"$8\,\text{kHz}$"]
)
def test_every_way_of_writing_8_khz_answers_8000_hz(answer: str) -> None:
    assert grade(ALIAS_8K, answer).correct


@pytest.mark.parametrize("answer", ["8 MHz", "800 Hz", "8 ms", "8001.5 Hz", "nothing"])
def test_wrong_magnitudes_and_units_do_not_answer_8000_hz(answer: str) -> None:
    assert not grade(ALIAS_8K, answer).correct


def test_the_reason_for_a_right_number_states_the_tolerance() -> None:
    assert grade(ALIAS_8K, "8000 Hz") == Grade(True, "8000 Hz is within ±1 Hz of 8000 Hz")


def test_the_reason_shows_a_number_in_another_unit_converted() -> None:
    assert grade(ALIAS_8K, "8 kHz").reason == "8 kHz (8000 Hz) is within ±1 Hz of 8000 Hz"


def test_the_reason_for_a_wrong_number_states_what_was_expected() -> None:
    assert (
        grade(numeric("1000", "Hz", 0.5), "7 kHz").reason
        == "Expected about 1000 Hz (±0.5 Hz); you gave 7 kHz (7000 Hz)"
    )


def test_the_reason_for_a_paragraph_names_the_closest_number() -> None:
    reason = grade(numeric("1000", "Hz", 0.5), "It is 7 kHz or 900 Hz").reason
    assert reason == "Expected about 1000 Hz (±0.5 Hz); the closest you gave is 900 Hz"


def test_a_number_in_another_dimension_is_named_as_such() -> None:
    assert grade(ALIAS_8K, "8 ms") == Grade(False, "8 ms is not a frequency")


def test_an_answer_without_a_number_says_so() -> None:
    assert grade(ALIAS_8K, "the Nyquist rate") == Grade(False, "No number found in the answer")


@pytest.mark.parametrize(("answer", "correct"), [("8", True), ("8.0004", True), ("8000", False), ("8000 Hz", True)])
def test_a_bare_number_is_read_in_the_question_unit(answer: str, correct: bool) -> None:
    assert grade(numeric("8", "kHz", 0.0005), answer).correct is correct


@pytest.mark.parametrize("bits", range(2, 17))
def test_quantisation_snr_for_every_word_length_within_a_tenth_of_a_db(bits: int) -> None:
    snr = 6.02 * bits + 1.76
    question = numeric(f"{snr:.2f}", "dB", 0.1)
    assert grade(question, f"{snr:.1f} dB").correct
    assert grade(question, f"A {bits}-bit quantiser gives about {snr:.1f} dB [2].").correct
    assert not grade(question, f"{snr + 6.02:.1f} dB").correct


def test_49_9_db_is_within_a_tenth_of_49_92_db() -> None:
    assert grade(numeric("49.92", "dB", 0.1), "49.9 dB") == Grade(True, "49.9 dB is within ±0.1 dB of 49.92 dB")


@pytest.mark.parametrize(("answer", "correct"), [("−3 dB", True), ("-3dB", True), ("-3", True), ("3 dB", False)])
def test_negative_numbers_keep_their_sign(answer: str, correct: bool) -> None:
    assert grade(numeric("-3", "dB", 0.5), answer).correct is correct


@pytest.mark.parametrize(
    ("answer", "correct"),
    [
        ("π/4", True),
        ("0.25π", True),
        ("pi/4 rad/sample", True),
        (r"$\omega = \frac{\pi}{4}$", True),
        ("0.785 rad/sample", True),
        ("0.125 cycles/sample", True),
        ("π/2", False),
        ("45°", False),
    ],
)
def test_pi_forms_answer_a_rad_per_sample_question(answer: str, correct: bool) -> None:
    assert grade(numeric("0.7854", "rad/sample", 0.005), answer).correct is correct


@pytest.mark.parametrize(
    ("answer", "correct"), [("0.25", True), ("π/4", True), ("0.25π rad/sample", True), ("0.785", True), ("0.5", False)]
)
def test_a_question_in_multiples_of_pi_takes_the_multiple_or_the_value(answer: str, correct: bool) -> None:
    assert grade(numeric("0.25", "π rad/sample", 0.005), answer).correct is correct


def test_a_multiple_of_pi_is_shown_in_the_question_unit() -> None:
    assert grade(numeric("0.25", "π rad/sample", 0.005), "0.5").reason == (
        "Expected about 0.25 π rad/sample (±0.005 π rad/sample); you gave 0.5"
    )


@pytest.mark.parametrize("answer", ["π/2 rad", "π/2", "1.5708 rad", "90°", "90 degrees"])
def test_degrees_and_radians_convert(answer: str) -> None:
    assert grade(numeric("90", "degrees", 0.5), answer).correct


def test_a_paragraph_with_latex_and_citations_is_graded_on_its_numbers() -> None:
    paragraph = (
        r"Sampling at $f_s = 8\,\text{kHz}$ [1], the 7 kHz tone folds to "
        r"$|7 - 8|\,\text{kHz} = 1\,\text{kHz}$ [2,3], as Section 3.2 explains."
    )
    assert grade(numeric("1000", "Hz", 0.5), paragraph).correct


def test_a_citation_marker_is_not_the_number_it_cites() -> None:
    assert not grade(numeric("1", "", 0.1), "The gain at DC is 2 [1].").correct


def test_an_index_or_subscript_is_not_an_answer() -> None:
    assert not grade(numeric("1", "", 0.1), "It is h[1] times f_1, so H_1 = 2B.").correct


def test_any_matching_number_is_enough_for_a_hedging_answer() -> None:
    assert grade(numeric("1000", "Hz", 0.5), "Either 7 kHz or 1 kHz; I think 1 kHz.").correct


def test_a_matching_number_counts_next_to_one_of_another_dimension() -> None:
    assert grade(numeric("125", "Hz", 0.5), "A period of 8 ms, i.e. 125 Hz.").correct


@pytest.mark.parametrize(("unit", "answer"), [("", "31 taps"), ("samples", "31"), ("", "31 samples"), ("bits", "31")])
def test_counts_answer_unitless_questions(unit: str, answer: str) -> None:
    assert grade(numeric("31", unit, 0.5), answer).correct


def test_a_percentage_answers_a_unitless_question_as_a_fraction() -> None:
    assert grade(numeric("0.125", "", 0.001), "12.5 %").correct


def test_a_percentage_answers_a_percent_question() -> None:
    assert grade(numeric("12.5", "%", 0.1), "12.5%").correct


def test_a_fraction_does_not_answer_a_percent_question() -> None:
    assert not grade(numeric("12.5", "%", 0.1), "0.125").correct


def test_a_slope_in_db_answers_a_db_per_decade_question() -> None:
    assert grade(numeric("20", "dB/decade", 0.5), "It rolls off at 20 dB.").correct


def test_db_per_octave_does_not_answer_a_db_per_decade_question() -> None:
    assert grade(numeric("20", "dB/decade", 0.5), "6 dB/octave") == Grade(
        False, "6 dB/octave is not a slope in dB/decade"
    )


@pytest.mark.parametrize(("answer", "correct"), [("256 levels", True), ("256", True), ("256 Hz", False)])
def test_a_unit_the_table_does_not_know_is_compared_as_written(answer: str, correct: bool) -> None:
    assert grade(numeric("256", "levels", 0.5), answer).correct is correct


def test_an_unknown_unit_is_named_in_the_reason() -> None:
    assert grade(numeric("256", "levels", 0.5), "256 Hz").reason == "256 Hz is not in levels"


def test_the_tolerance_edge_survives_float_error() -> None:
    assert grade(numeric("0.3", "", 0.1), "0.4").correct


def test_a_reference_that_is_not_a_number_is_an_error() -> None:
    with pytest.raises(ValueError, match="not a number"):
        grade(numeric("eight", "Hz", 1), "8 Hz")


def test_an_unknown_question_type_is_an_error() -> None:
    with pytest.raises(ValueError, match="unknown type"):
        grade(QuestionData(id="q", type="essay", text="Discuss."), "Well.")


# --- Choices --------------------------------------------------------------------------------------------------------


def test_the_right_radio_button_is_correct() -> None:
    assert grade_choice_index(FILTERS, 1) == Grade(True, "Yes. The right choice is: low-pass")


def test_a_wrong_radio_button_names_the_right_choice() -> None:
    assert grade_choice_index(FILTERS, 0) == Grade(False, "The right choice is: low-pass")


@pytest.mark.parametrize("index", [-1, 4])
def test_a_radio_button_outside_the_choices_is_wrong(index: int) -> None:
    assert grade_choice_index(FILTERS, index) == Grade(
        False, "That is not one of the choices. The right choice is: low-pass"
    )


@pytest.mark.parametrize(
    "answer", ["b", "B", "(b)", "B)", "b.", "option b", "Option B", "answer: B", "The answer is (b).", "choice (b)"]
)
def test_the_right_letter_is_correct(answer: str) -> None:
    assert grade(FILTERS, answer).correct


@pytest.mark.parametrize("answer", ["a", "(c)", "option d"])
def test_a_wrong_letter_is_wrong(answer: str) -> None:
    assert not grade(FILTERS, answer).correct


def test_a_letter_past_the_last_choice_is_not_a_choice() -> None:
    assert grade(FILTERS, "(e)").reason == "No choice recognised in the answer. The right choice is: low-pass"


def test_a_letter_in_a_paragraph_is_read() -> None:
    assert grade(FILTERS, "Looking at the pole-zero plot, the answer is (b) [1].").correct


def test_the_article_a_is_not_the_letter_a() -> None:
    assert grade(FILTERS, "The answer is a low-pass filter.").correct


def test_a_digit_is_not_a_choice_number() -> None:
    assert not grade(FILTERS, "2").correct


@pytest.mark.parametrize("answer", ["low-pass", "Low pass", "LOW-PASS!", "It is a low-pass filter [3]."])
def test_the_right_option_text_is_correct(answer: str) -> None:
    assert grade(FILTERS, answer).correct


def test_another_option_text_is_wrong() -> None:
    assert grade(FILTERS, "high-pass") == Grade(False, "The right choice is: low-pass")


def test_naming_two_options_is_wrong() -> None:
    assert grade(FILTERS, "low-pass or high-pass").reason == (
        "The answer names more than one choice. The right choice is: low-pass"
    )


def test_a_negated_option_is_not_named() -> None:
    assert grade(FILTERS, "It is not high-pass; it is low-pass.").correct


PHASES = choice(["phase", "linear phase", "minimum phase"], right=1)


@pytest.mark.parametrize(
    ("answer", "correct"),
    [
        ("linear phase", True),
        ("It has linear phase.", True),
        ("It has linear phase, not minimum phase.", True),
        ("phase", False),
        ("minimum phase", False),
    ],
)
def test_an_option_inside_a_longer_option_is_claimed_by_the_longer(answer: str, correct: bool) -> None:
    assert grade(PHASES, answer).correct is correct


def test_an_option_that_is_an_index_is_not_named_by_another_index() -> None:
    assert not grade(choice(["x[n]", "x[n] + x[n−2]"], right=0), "It is x[n−1].").correct


def test_the_short_option_is_right_on_its_own() -> None:
    assert grade(choice(["phase", "linear phase"], right=0), "The phase.").correct


@pytest.mark.parametrize(("answer", "correct"), [("The alias is at 1000 Hz.", True), ("At 2000 Hz.", False)])
def test_options_that_are_quantities_are_matched_by_value(answer: str, correct: bool) -> None:
    assert grade(choice(["500 Hz", "1 kHz", "2 kHz"], right=1), answer).correct is correct


def test_an_answer_that_names_no_option_says_so() -> None:
    assert grade(FILTERS, "a comb").reason == "No choice recognised in the answer. The right choice is: low-pass"


# --- Short answers --------------------------------------------------------------------------------------------------

LINEAR_PHASE = short("linear phase", accepted=["constant group delay"])


@pytest.mark.parametrize(
    "answer",
    ["linear phase", "Linear-phase!", "It has linear phase [1].", "The filter has a constant group delay."],
)
def test_the_reference_or_an_accepted_phrase_is_correct(answer: str) -> None:
    assert grade(LINEAR_PHASE, answer).correct


def test_a_phrase_inside_another_word_does_not_count() -> None:
    assert not grade(LINEAR_PHASE, "It has nonlinear phase.").correct


@pytest.mark.parametrize(("answer", "correct"), [("x[n]", True), ("x(n)", True), ("x[n−1]", False), ("x[n+1]", False)])
def test_an_indexed_phrase_is_not_found_inside_another_index(answer: str, correct: bool) -> None:
    assert grade(short("the present sample x[n]", accepted=["x[n]"]), answer).correct is correct


def test_plurals_and_endings_match() -> None:
    assert grade(short("linear phase"), "Both filters have linear phases.").correct


@pytest.mark.parametrize(
    "answer", ["It is not linear phase.", "It isn't linear phase.", "It isn’t linear phase.", "never linear phase"]
)
def test_a_negated_match_does_not_count(answer: str) -> None:
    assert not grade(LINEAR_PHASE, answer).correct


def test_a_negation_in_an_earlier_clause_does_not_negate() -> None:
    assert grade(LINEAR_PHASE, "No, it has linear phase.").correct


def test_a_negation_more_than_three_words_back_does_not_negate() -> None:
    assert grade(LINEAR_PHASE, "Not surprisingly the designed filter has linear phase.").correct


def test_one_plain_match_outweighs_a_negated_one() -> None:
    assert grade(LINEAR_PHASE, "Some say it is not linear phase, but it has linear phase.").correct


ALIASING = short("aliasing", keywords=[["alias", "aliasing"], ["fold", "mirror image"]])


@pytest.mark.parametrize(
    ("answer", "correct"),
    [
        ("The tone is aliased, folding back below fs/2.", True),
        ("It aliases to a mirror image.", True),
        ("It is aliased.", True),
        ("It folds back.", False),
        ("It is not aliased; it folds back.", False),
    ],
)
def test_every_keyword_group_must_be_present(answer: str, correct: bool) -> None:
    assert grade(ALIASING, answer).correct is correct


def test_a_short_answer_that_misses_says_what_was_expected() -> None:
    assert grade(LINEAR_PHASE, "I am not sure.") == Grade(False, "Expected something like: linear phase")


def test_a_short_answer_that_matches_says_so() -> None:
    assert grade(LINEAR_PHASE, "linear phase") == Grade(True, "That matches the expected answer: linear phase")


# --- Out of scope ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "The book does not cover this.",
        "The textbook doesn't cover football.",
        "The textbook doesn’t discuss that.",
        "This is not covered in the book.",
        "That isn't covered here.",
        "That question is outside the scope of this book.",
        "It is beyond the scope of the textbook.",
        "I cannot answer that from the passages.",
        "I can't answer that.",
        "I can’t answer that.",
        "I don't know.",
        "There is no information about that in the passages [1].",
        "No information.",
        "The passages make no mention of it.",
        "That is not in the textbook.",
        "The book does not discuss sports.",
        "World Cups are not discussed.",
        "The weather is not addressed in these chapters.",
        "I cannot find anything on that.",
        "The passages don't mention it.",
        "THE BOOK DOES NOT COVER THIS.",
    ],
)
def test_it_recognises_a_decline(text: str) -> None:
    assert says_not_covered(text)


@pytest.mark.parametrize(
    "text",
    [
        "The book covers this in section 3.",
        "Aliasing is discussed in Chapter 3 [1].",
        "The answer is 8 kHz.",
        "I know: it is a low-pass filter.",
        "A DC signal carries no information about phase.",
        "There is no aliasing because the signal is band-limited.",
        "",
    ],
)
def test_an_answer_is_not_a_decline(text: str) -> None:
    assert not says_not_covered(text)


def test_declining_an_out_of_scope_question_is_correct() -> None:
    assert grade(OUT_OF_SCOPE, "The book does not cover football.").correct


def test_answering_an_out_of_scope_question_is_wrong() -> None:
    assert grade(OUT_OF_SCOPE, "Argentina won it.") == Grade(
        False, "The book does not cover this question, and the answer should say so"
    )


# --- Normalising ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "normalised"),
    [
        ("Linear–Phase", "linear phase"),
        ("  many   spaces\n", "many spaces"),
        ("−3 dB", "-3 db"),
        ("x-3", "x - 3"),
        ("16-bit low-pass", "16 bit low pass"),
        ("e^{−jω}", "e - jω"),
        ("8,000.5 Hz!", "8,000.5 hz"),
        ("1/4 and a/b", "1/4 and a / b"),
        (".5", ".5"),
        ("(b)", "b"),
        ("It isn’t, it's", "it isnt its"),
        (r"$8\,\text{kHz}$", "8 khz"),
        (r"\mathrm{FIR}", "fir"),
        ("|H| ≤ 1", "| h | ≤ 1"),
    ],
)
def test_normalise(text: str, normalised: str) -> None:
    assert normalise(text) == normalised


@pytest.mark.parametrize(
    ("question", "right", "wrong"),
    [
        (
            QuestionData(id="n", type="numeric", text="Rate?", answer="8000", unit="Hz", tolerance=1),
            "8000 Hz",
            "80100 Hz",
        ),
        (QuestionData(id="z", type="numeric", text="Gain?", answer="0", unit="dB", tolerance=0.1), "0 dB", "11 dB"),
        (QuestionData(id="c", type="choice", text="Which?", choices=["low", "high"], answer="1"), "high", "low"),
        (QuestionData(id="s", type="short", text="Name?", answer="linear phase"), "linear phase", "I am not sure."),
        (
            QuestionData(id="o", type="out_of_scope", text="Stock price?"),
            "The book does not cover this.",
            "It is 42 Hz.",
        ),
    ],
)
def test_reference_and_wrong_answers_for_checking_a_bank(question: QuestionData, right: str, wrong: str) -> None:
    assert (reference_answer(question), wrong_answer(question)) == (right, wrong)
    assert grade(question, right).correct
    assert not grade(question, wrong).correct
