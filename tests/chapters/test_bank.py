"""The question bank: the schema `validate` enforces, reading question files with their lines, and the checks.

Pure code: no database, no Django.
"""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from chapters.bank import (
    FIELDS,
    QuestionData,
    QuestionFileError,
    check_folder,
    evaluate_check,
    load_bank,
    read_questions,
    validate,
)

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = Path(__file__).parent / "fixtures"
SECTIONS = {"the-sampling-theorem", "aliasing"}

NUMERIC = QuestionData(
    id="alias-7k",
    type="numeric",
    text="A 7 kHz cosine is sampled at 8 kHz. At what frequency does it appear?",
    chapter="sampling",
    sections=["aliasing"],
    answer="1000",
    unit="Hz",
    tolerance=0.5,
    check="abs(7000 - 8000 * round(7000 / 8000))",
    explanation="8 kHz - 7 kHz = 1 kHz: the tone folds about half the sampling rate.",
)
CHOICE = QuestionData(
    id="nyquist-choice",
    type="choice",
    text="Which rate samples a 3 kHz tone without aliasing?",
    chapter="sampling",
    sections=["the-sampling-theorem"],
    answer="2",
    choices=["4 kHz", "6 kHz", "8 kHz"],
    explanation="The rate must exceed twice the highest frequency, 6 kHz.",
)
SHORT = QuestionData(
    id="what-is-aliasing",
    type="short",
    text="What do we call a tone that shows up at the wrong frequency after sampling?",
    chapter="sampling",
    sections=["aliasing"],
    answer="an alias",
    explanation="Its samples coincide with those of a lower tone.",
)
OUT_OF_SCOPE = QuestionData(
    id="oos-best-dac",
    type="out_of_scope",
    text="Which DAC should I buy for my living room?",
    category="advice",
)


def changed(question: QuestionData, **fields: Any) -> QuestionData:
    return dataclasses.replace(question, **fields)


def write(folder: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return folder


# --- validate -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("question", [NUMERIC, CHOICE, SHORT, OUT_OF_SCOPE], ids=lambda q: q.type)
def test_a_well_formed_question_of_each_type_passes(question: QuestionData) -> None:
    assert validate(question, SECTIONS) == []


@pytest.mark.parametrize(
    ("question", "messages"),
    [
        (changed(SHORT, id="Alias 7k"), ["id 'Alias 7k' must be a lowercase slug (letters, digits, '-' and '_')"]),
        (changed(SHORT, id=""), ["id '' must be a lowercase slug (letters, digits, '-' and '_')"]),
        (changed(SHORT, type="essay"), ["type 'essay' must be one of numeric, choice, short, out_of_scope"]),
        (changed(SHORT, text="Why?"), ["text is missing or too short"]),
        (changed(SHORT, sections=[]), ["section is missing"]),
        (changed(SHORT, sections=["aliasing", "fft"]), ["section 'fft' is not a section of this chapter"]),
        (changed(SHORT, difficulty=4), ["difficulty must be 1, 2 or 3"]),
        (changed(SHORT, explanation=""), ["explanation is missing"]),
        (changed(NUMERIC, answer="one thousand"), ["numeric answer 'one thousand' is not a number"]),
        (changed(NUMERIC, answer="nan"), ["numeric answer 'nan' is not a number"]),
        (changed(NUMERIC, tolerance=0.0), ["numeric questions need a tolerance > 0"]),
        (changed(NUMERIC, check="7000 / fs"), ["check formula failed: NameError: name 'fs' is not defined"]),
        (changed(NUMERIC, check="1 / 0"), ["check formula failed: ZeroDivisionError: division by zero"]),
        (changed(NUMERIC, check="8000 - 6000"), ["check formula gives 2000, but the answer is 1000 (±0.5)"]),
        (changed(CHOICE, answer="3"), ["choice answer must be an index from 0 to 2"]),
        (changed(CHOICE, answer="second"), ["choice answer must be an index from 0 to 2"]),
        (changed(CHOICE, choices=["6 kHz"], answer="0"), ["a choice question needs at least two choices"]),
        (changed(CHOICE, choices=["6 kHz", "8 kHz", "6 kHz"]), ["choices must differ"]),
        (changed(SHORT, answer=""), ["a short question needs a reference answer"]),
        (changed(SHORT, unit="Hz", choices=["a", "b"]), ["unit, choices do not apply to a short question"]),
        (changed(OUT_OF_SCOPE, category="gossip"), [
            "category 'gossip' must be one of other-field, trivia, future, personal, current-events, advice"
        ]),
        (changed(OUT_OF_SCOPE, sections=["aliasing"]), ["section does not apply to a out_of_scope question"]),
    ],
)  # fmt: skip
def test_each_schema_rule_has_its_message(question: QuestionData, messages: list[str]) -> None:
    assert validate(question, SECTIONS) == messages


def test_a_check_within_the_tolerance_agrees() -> None:
    assert validate(changed(NUMERIC, check="1000.4"), SECTIONS) == []
    assert validate(changed(NUMERIC, check="1000.6"), SECTIONS) == [
        "check formula gives 1000.6, but the answer is 1000 (±0.5)"
    ]


# --- evaluate_check -------------------------------------------------------------------------------------------


def test_check_formulas_have_math_and_numpy() -> None:
    assert evaluate_check("20 * math.log10(2)") == pytest.approx(6.0206, abs=1e-4)
    assert evaluate_check("abs(np.fft.fft([1, 1, 1, 1])[0])") == 4.0
    assert evaluate_check("max(1, 2) + round(pi)") == 5.0


@pytest.mark.parametrize(
    ("formula", "error"),
    [
        ("__import__('os').getcwd()", ValueError),  # a name with "_" is refused before it runs
        ("().__class__.__base__.__subclasses__()", ValueError),
        ("open('/etc/passwd').read()", NameError),  # no builtins beyond the few listed
        ("eval('1')", NameError),
        ("np.__dict__", ValueError),
    ],
)
def test_check_formulas_cannot_reach_builtins(formula: str, error: type[Exception]) -> None:
    with pytest.raises(error):
        evaluate_check(formula)


# --- read_questions: shapes and lines -------------------------------------------------------------------------


def test_questions_are_read_as_written_with_their_lines(tmp_path: Path) -> None:
    path = write(tmp_path, {"03-sampling.yml": (
        "# sampling\n"
        "\n"
        "- id: alias-7k\n"
        "  section: aliasing\n"
        "  type: numeric\n"
        "  text: A 7 kHz cosine is sampled at 8 kHz. Where does it appear?\n"
        "  answer: 1000\n"
        "  tolerance: 5e-1\n"
        "- id: yes-or-no\n"
        "  section: [aliasing, the-sampling-theorem]\n"
        "  type: short\n"
        "  difficulty: 2\n"
        "  text: Can a 5 kHz tone be sampled at 8 kHz without aliasing?\n"
        "  answer: no\n"
        "  keywords: [[no, not], never]\n"
    )}) / "03-sampling.yml"  # fmt: skip
    questions, problems = read_questions(path, "sampling")
    assert problems == []
    first, second = questions
    assert (first.answer, first.tolerance, first.sections, first.source) == (
        "1000",
        0.5,
        ["aliasing"],
        "03-sampling.yml:3",
    )
    assert (second.answer, second.difficulty, second.source) == ("no", 2, "03-sampling.yml:9")
    assert second.sections == ["aliasing", "the-sampling-theorem"]
    assert second.keywords == [["no", "not"], ["never"]]
    assert {first.chapter, second.chapter} == {"sampling"}


def test_entries_that_are_not_questions_are_reported_at_their_line(tmp_path: Path) -> None:
    path = write(tmp_path, {"q.yml": (
        "- id: a\n"
        "  type: short\n"
        "  answers: [x]\n"
        "- just a sentence\n"
        "- id: b\n"
        "  type: choice\n"
        "  choices:\n"
        "    - Option: with a colon\n"
        "    - plain\n"
        "- id: c\n"
        "  difficulty: hard\n"
        "- id: d\n"
        "  tolerance: [1, 2]\n"
        "- id: e\n"
        "  answer: 1\n"
        "  answer: 2\n"
    )}) / "q.yml"  # fmt: skip
    questions, problems = read_questions(path)
    assert questions == []
    assert problems == [
        (1, f"unknown field(s): answers; a question has {', '.join(FIELDS)}"),
        (1, "each question must be a mapping of fields (id: …, type: …)"),
        (5, "choices must be a list of texts (quote an item that holds ': ')"),
        (10, "difficulty 'hard' is not a whole number"),
        (12, "tolerance must be a single value, not a list or a mapping"),
        (14, "field(s) given twice: answer"),
    ]


def test_a_file_must_hold_a_list(tmp_path: Path) -> None:
    path = write(tmp_path, {"q.yml": "id: a\ntype: short\n"}) / "q.yml"
    assert read_questions(path) == ([], [(1, "a question file must hold a list of questions")])
    empty = write(tmp_path, {"empty.yml": "# nothing yet\n"}) / "empty.yml"
    assert read_questions(empty) == ([], [])


def test_invalid_yaml_names_its_line(tmp_path: Path) -> None:
    path = write(tmp_path, {"q.yml": "- id: a\n  type: short\n  text: [unclosed\n- id: b\n"}) / "q.yml"
    with pytest.raises(QuestionFileError, match=r"^q\.yml:4: invalid YAML") as caught:
        read_questions(path)
    assert caught.value.line == 4


# --- load_bank: a folder of files -----------------------------------------------------------------------------

GOOD = (
    "- id: {id}\n"
    "  section: aliasing\n"
    "  type: short\n"
    "  text: What do we call a tone at the wrong frequency?\n"
    "  answer: an alias\n"
    "  explanation: Its samples match a lower tone.\n"
)
CHAPTERS = {"01-sampling": ("sampling", SECTIONS), "02-filters": ("filters", {"aliasing"})}


def test_a_duplicate_id_in_a_later_file_is_reported_and_left_out(tmp_path: Path) -> None:
    write(tmp_path, {
        "questions/01-sampling.yml": GOOD.format(id="alias") + GOOD.format(id="other"),
        "questions/02-filters.yml": "\n" + GOOD.format(id="alias"),
    })  # fmt: skip
    questions, problems = load_bank(tmp_path, CHAPTERS)
    assert [(q.id, q.chapter) for q in questions] == [("alias", "sampling"), ("other", "sampling")]
    assert problems == [
        ("questions/02-filters.yml", 2, "id 'alias' is used again (first at questions/01-sampling.yml:1)")
    ]


def test_questions_come_in_book_order_then_out_of_scope(tmp_path: Path) -> None:
    out_of_scope = "- id: oos\n  type: out_of_scope\n  text: What will the weather be tomorrow?\n  category: future\n"
    write(tmp_path, {
        "questions/out-of-scope.yml": out_of_scope,
        "questions/02-filters.yml": GOOD.format(id="b"),
        "questions/01-sampling.yml": GOOD.format(id="a"),
    })  # fmt: skip
    questions, problems = load_bank(tmp_path, {"02-filters": CHAPTERS["02-filters"], **CHAPTERS})
    assert ([q.id for q in questions], problems) == (["b", "a", "oos"], [])


def test_question_files_that_cannot_be_placed_are_reported(tmp_path: Path) -> None:
    write(tmp_path, {
        "questions/01-sampling.yml": "- id: oos\n  type: out_of_scope\n  text: Who invented the telephone?\n"
                                     "  category: trivia\n",
        "questions/out-of-scope.yml": GOOD.format(id="alias"),
        "questions/03-spectra.yml": GOOD.format(id="orphan"),
        "questions/02-filters.yaml": GOOD.format(id="wrong-suffix"),
        "questions/04-broken.yml": "- id: [\n",
    })  # fmt: skip
    questions, problems = load_bank(tmp_path, {**CHAPTERS, "04-broken": ("broken", set())})
    assert questions == []
    assert problems == [
        ("questions/02-filters.yaml", 1, "question files end in .yml; not read"),
        ("questions/01-sampling.yml", 1, "out_of_scope questions belong in questions/out-of-scope.yml"),
        ("questions/04-broken.yml", 2, "invalid YAML: expected the node content, but found '<stream end>'"),
        ("questions/out-of-scope.yml", 1, "section 'aliasing' is not a section of this chapter"),
        ("questions/out-of-scope.yml", 1, "only out_of_scope questions belong in out-of-scope.yml"),
        (
            "questions/03-spectra.yml",
            1,
            "no chapter of the book was read from a file named 03-spectra.md; these questions are not imported",
        ),
    ]


def test_a_file_that_is_not_utf8_is_reported_not_raised(tmp_path: Path) -> None:
    (tmp_path / "questions").mkdir()
    (tmp_path / "questions/01-sampling.yml").write_bytes(b"- id: caf\xe9\n")
    assert load_bank(tmp_path, CHAPTERS) == ([], [("questions/01-sampling.yml", 1, "not UTF-8 text (byte 9)")])


# --- check_folder and `python -m chapters.bank` ---------------------------------------------------------------


def test_check_folder_counts_questions_per_chapter_and_lists_every_problem() -> None:
    report = check_folder(FIXTURES / "mkdocs_course")
    assert (report.chapters, report.sections, report.questions, report.out_of_scope) == (3, 9, 5, 2)
    assert report.per_chapter == {"sampling": 3, "filters": 2, "spectra": 0}
    assert "questions/sampling.yml:36: numeric answer 'eight thousand' is not a number" in report.problems
    assert "docs/drafts.md:1: not listed in mkdocs.yml nav; not imported" in report.problems


def test_check_folder_reports_a_folder_that_is_not_a_book(tmp_path: Path) -> None:
    report = check_folder(tmp_path)
    assert (report.chapters, report.problems) == (0, [f"no Markdown or notebook files in {tmp_path.resolve()}"])


def test_the_command_prints_counts_and_problems_and_fails_on_problems(tmp_path: Path) -> None:
    write(tmp_path, {"01-sampling.md": "# Sampling\n\n## Aliasing\n\nTones fold.\n"})
    clean = subprocess.run(
        [sys.executable, "-m", "chapters.bank", str(tmp_path)], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert (clean.returncode, clean.stdout) == (
        0,
        "1 chapters, 1 sections, 0 questions, 0 out of scope\n  sampling: 0 questions\n",
    )
    write(tmp_path, {"questions/01-sampling.yml": GOOD.format(id="Alias")})
    broken = subprocess.run(
        [sys.executable, "-m", "chapters.bank", str(tmp_path)], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert broken.returncode == 1
    assert broken.stdout.endswith(
        "PROBLEM questions/01-sampling.yml:1: id 'Alias' must be a lowercase slug (letters, digits, '-' and '_')\n"
    )
