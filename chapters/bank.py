"""The question bank as authored next to a book's chapters, in `questions/*.yml`: schema, loading, checks. Pure.

One YAML file per chapter holds a list of questions:

    - id: ch03-alias-7k            # unique in the book: lowercase letters, digits, "-" and "_"
      section: the-sampling-theorem  # slug of a section in this file's chapter, or a list of them
      type: numeric                # numeric | choice | short | out_of_scope
      difficulty: 1                # 1 easy, 2 medium, 3 hard
      text: A 7 kHz cosine is sampled at 8 kHz. At what frequency does it appear?
      answer: 1000                 # numeric: the value in `unit`; choice: index of the right option; short: text
      unit: Hz                     # numeric only (leave it out when dimensionless)
      tolerance: 0.5               # numeric only: absolute, in `unit`
      check: abs(7000 - 8000 * round(7000 / 8000))   # numeric, optional: recomputes `answer` (math, np)
      choices: [...]               # choice only: the options, in order
      accepted: [...]              # short: phrases that count as right (the reference answer always does)
      keywords: [[a, b], [c]]      # short, optional: every group must appear, any word of a group
      explanation: Why the answer is what it is, shown after a student answers.

The file `questions/03-sampling-and-aliasing.yml` belongs to the chapter read from `03-sampling-and-aliasing.md`
(see `chapters.importers`). Out-of-scope questions live in `questions/out-of-scope.yml` with
`type: out_of_scope`, `text`, `category` and no section: the tutor should say the book does not cover them.

Every value is read as the text the author wrote (`answer: 0.50` stays "0.50", `answer: no` stays "no"); only
`difficulty` and `tolerance` become numbers. `read_book` reads the bank with the book and keeps only the questions
that pass `validate`; `python -m chapters.bank content` prints what it found and every problem.
"""

from __future__ import annotations

import ast
import math
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import yaml

TYPES = ("numeric", "choice", "short", "out_of_scope")
CATEGORIES = ("other-field", "trivia", "future", "personal", "current-events", "advice")
FIELDS = (
    "id", "section", "type", "difficulty", "text", "answer", "unit", "tolerance", "check", "choices", "accepted",
    "keywords", "explanation", "category",
)  # fmt: skip
OUT_OF_SCOPE_STEM = "out-of-scope"
QUESTIONS_FOLDER = "questions"

_ID = re.compile(r"[a-z0-9][a-z0-9_-]*")
_LINE = "__line__"  # where the loader files each mapping's line; no author writes such a key
_TWICE = "__twice__"  # and the keys a mapping gives more than once (YAML would keep the last silently)
_NULLS = frozenset({"", "~", "null", "Null", "NULL"})
# The fields that only some types take, for "does not apply" messages.
_APPLIES = {
    "section": ("numeric", "choice", "short"),
    "answer": ("numeric", "choice", "short"),
    "unit": ("numeric",),
    "tolerance": ("numeric",),
    "check": ("numeric",),
    "choices": ("choice",),
    "accepted": ("short",),
    "keywords": ("short",),
    "category": ("out_of_scope",),
}


@dataclass
class QuestionData:
    id: str
    type: str
    text: str
    chapter: str = ""  # chapter slug ("" for out-of-scope)
    sections: list[str] = field(default_factory=list)  # section slugs within `chapter`
    difficulty: int = 1
    answer: str = ""  # numeric: a number as text; choice: the index as text; short: the reference answer
    unit: str = ""
    tolerance: float = 0.0
    check: str = ""
    choices: list[str] = field(default_factory=list)
    accepted: list[str] = field(default_factory=list)
    keywords: list[list[str]] = field(default_factory=list)
    explanation: str = ""
    category: str = ""  # out-of-scope only
    source: str = field(default="", compare=False)  # "questions/03-x.yml:12", where it was read; not content

    @property
    def out_of_scope(self) -> bool:
        return self.type == "out_of_scope"


class QuestionFileError(ValueError):
    """A question file that cannot be read at all (not UTF-8, not YAML); `line` is where reading gave up."""

    def __init__(self, name: str, line: int, reason: str) -> None:
        super().__init__(f"{name}:{line}: {reason}")
        self.line = line
        self.reason = reason


class _TextLoader(yaml.BaseLoader):
    """Every scalar as the text written (no 1.1 surprises: `no` is not False, `0.50` not 0.5); mappings get a line."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        mapping: dict[Any, Any] = dict(super().construct_mapping(node, deep=True))
        keys = [key.value for key, _ in node.value if isinstance(key, yaml.ScalarNode)]
        mapping[_LINE] = node.start_mark.line + 1
        mapping[_TWICE] = sorted({key for key in keys if keys.count(key) > 1})
        return mapping


def read_questions(path: Path, chapter: str = "", name: str = "") -> tuple[list[QuestionData], list[tuple[int, str]]]:
    """The questions of one YAML file, not yet validated, and (line, message) for entries that are not questions.

    `chapter` is the slug the questions get; `name` (default: the file name) starts each question's `source`.
    Raises QuestionFileError (a ValueError) when the file is not UTF-8 or not YAML.
    """
    entries, problems = _read_entries(path, chapter, name or path.name)
    return [question for _, question in entries], problems


def _read_entries(path: Path, chapter: str, name: str) -> tuple[list[tuple[int, QuestionData]], list[tuple[int, str]]]:
    try:
        raw = yaml.load(path.read_text(encoding="utf-8-sig"), Loader=_TextLoader)  # noqa: S506 - scalars as text
    except UnicodeDecodeError as exc:
        raise QuestionFileError(name, 1, f"not UTF-8 text (byte {exc.start})") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        reason = getattr(exc, "problem", None) or str(exc)
        raise QuestionFileError(name, mark.line + 1 if mark else 1, f"invalid YAML: {reason}") from None
    if raw is None or raw == "":
        return [], []
    if not isinstance(raw, list):
        return [], [(1, "a question file must hold a list of questions")]
    entries: list[tuple[int, QuestionData]] = []
    problems: list[tuple[int, str]] = []
    for item in raw:
        line = item.get(_LINE, 1) if isinstance(item, dict) else 1
        try:
            entries.append((line, _question(item, chapter, f"{name}:{line}")))
        except ValueError as exc:
            problems.append((line, str(exc)))
    return entries, problems


def _question(entry: Any, chapter: str, source: str) -> QuestionData:
    """One entry as a QuestionData; ValueError when its shape is wrong (validate() judges the values)."""
    if not isinstance(entry, dict):
        raise ValueError("each question must be a mapping of fields (id: …, type: …)")
    unknown = sorted(str(key) for key in entry if key not in (_LINE, _TWICE, *FIELDS))
    if unknown:
        raise ValueError(f"unknown field(s): {', '.join(unknown)}; a question has {', '.join(FIELDS)}")
    if entry[_TWICE]:
        raise ValueError(f"field(s) given twice: {', '.join(entry[_TWICE])}")
    kind = _scalar(entry, "type")
    return QuestionData(
        id=_scalar(entry, "id"),
        type=kind,
        text=_scalar(entry, "text"),
        chapter="" if kind == "out_of_scope" else chapter,
        sections=[text] if (text := _scalar_or_empty(entry, "section")) else _texts(entry, "section"),
        difficulty=int(_number(entry, "difficulty", int, 1)),
        answer=_scalar(entry, "answer"),
        unit=_scalar(entry, "unit"),
        tolerance=_number(entry, "tolerance", float, 0.0),
        check=_scalar(entry, "check"),
        choices=_texts(entry, "choices"),
        accepted=_texts(entry, "accepted"),
        keywords=_keywords(entry),
        explanation=_scalar(entry, "explanation"),
        category=_scalar(entry, "category"),
        source=source,
    )


def _scalar(entry: dict[str, Any], key: str) -> str:
    value = entry.get(key)
    if isinstance(value, list | dict):
        raise ValueError(f"{key} must be a single value, not a list or a mapping")
    return _text(value)


def _scalar_or_empty(entry: dict[str, Any], key: str) -> str:
    """The text of a single value; "" when there is none or it is a list."""
    value = entry.get(key)
    return "" if isinstance(value, list | dict) else _text(value)


def _text(value: str | None) -> str:
    text = "" if value is None else value.strip()
    return "" if text in _NULLS else text


def _texts(entry: dict[str, Any], key: str) -> list[str]:
    value = entry.get(key)
    if value is None or (isinstance(value, str) and _text(value) == ""):
        return []
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ValueError(f"{key} must be a list of texts (quote an item that holds ': ')")
    return [item.strip() for item in value]


def _keywords(entry: dict[str, Any]) -> list[list[str]]:
    value = entry.get("keywords")
    if value is None or (isinstance(value, str) and _text(value) == ""):
        return []
    groups = value if isinstance(value, list) else [value]
    keywords = []
    for group in groups:
        words = [group] if isinstance(group, str) else group
        if not isinstance(words, list) or not all(isinstance(word, str) for word in words):
            raise ValueError("keywords must be a list of groups, each a word or a list of words")
        keywords.append([word.strip() for word in words])
    return keywords


def _number(entry: dict[str, Any], key: str, kind: type[float] | type[int], default: float) -> float:
    text = _scalar(entry, key)
    if not text:
        return default
    try:
        return kind(text)
    except ValueError:
        raise ValueError(f"{key} {text!r} is not {'a whole number' if kind is int else 'a number'}") from None


def evaluate_check(expression: str) -> float:
    """The value of a `check:` formula: arithmetic with `math`, numpy as `np`, abs, round, min, max, sum and pi.

    No other builtins, and no name or attribute that starts with "_" (the way out of a bare eval); raises
    ValueError for those, and whatever the formula raises (NameError, ZeroDivisionError…) otherwise.
    """
    tree = ast.parse(expression, mode="eval")
    for node in ast.walk(tree):
        name = node.attr if isinstance(node, ast.Attribute) else node.id if isinstance(node, ast.Name) else ""
        if name.startswith("_"):
            raise ValueError(f"check formulas may not use {name!r}")
    names = {"math": math, "np": np, "abs": abs, "round": round, "min": min, "max": max, "sum": sum, "pi": math.pi}
    value = eval(compile(tree, "<check>", "eval"), {"__builtins__": {}}, names)  # noqa: S307 - names checked above
    return float(np.real(value))


def validate(question: QuestionData, section_slugs: Collection[str]) -> list[str]:
    """Everything wrong with one question, as messages (empty when it is fine).

    `section_slugs` are the slugs of the sections of the question's chapter.
    """
    errors: list[str] = []
    if not _ID.fullmatch(question.id):
        errors.append(f"id {question.id!r} must be a lowercase slug (letters, digits, '-' and '_')")
    if question.type not in TYPES:
        return [*errors, f"type {question.type!r} must be one of {', '.join(TYPES)}"]
    if len(question.text) < 10:
        errors.append("text is missing or too short")
    misplaced = _fields_that_do_not_apply(question)
    if misplaced:
        verb = "does" if len(misplaced) == 1 else "do"
        errors.append(f"{', '.join(misplaced)} {verb} not apply to a {question.type} question")
    if question.out_of_scope:
        if question.category not in CATEGORIES:
            errors.append(f"category {question.category!r} must be one of {', '.join(CATEGORIES)}")
        return errors
    if not question.sections:
        errors.append("section is missing")
    errors += [f"section {s!r} is not a section of this chapter" for s in question.sections if s not in section_slugs]
    if question.difficulty not in (1, 2, 3):
        errors.append("difficulty must be 1, 2 or 3")
    if not question.explanation:
        errors.append("explanation is missing")
    errors += _validate_answer(question)
    return errors


def _fields_that_do_not_apply(question: QuestionData) -> list[str]:
    given = {
        "section": question.sections,
        "answer": question.answer,
        "unit": question.unit,
        "tolerance": question.tolerance,
        "check": question.check,
        "choices": question.choices,
        "accepted": question.accepted,
        "keywords": question.keywords,
        "category": question.category,
    }
    return [name for name, value in given.items() if value and question.type not in _APPLIES[name]]


def _validate_answer(question: QuestionData) -> list[str]:
    if question.type == "numeric":
        try:
            value = float(question.answer)
        except ValueError:
            value = math.nan
        if not math.isfinite(value):
            return [f"numeric answer {question.answer!r} is not a number"]
        errors = [] if question.tolerance > 0 else ["numeric questions need a tolerance > 0"]
        if question.check:
            try:
                computed = evaluate_check(question.check)
            except Exception as exc:  # an author's formula can fail in any way; report it
                return [*errors, f"check formula failed: {type(exc).__name__}: {exc}"]
            if not math.isfinite(computed) or abs(computed - value) > question.tolerance:
                wanted = f"{value:.6g} (±{question.tolerance:g})"
                errors.append(f"check formula gives {computed:.6g}, but the answer is {wanted}")
        return errors
    if question.type == "choice":
        if len(question.choices) < 2:
            return ["a choice question needs at least two choices"]
        if len(set(question.choices)) != len(question.choices):
            return ["choices must differ"]
        if not re.fullmatch(r"[0-9]+", question.answer) or not 0 <= int(question.answer) < len(question.choices):
            return [f"choice answer must be an index from 0 to {len(question.choices) - 1}"]
        return []
    if not question.answer:
        return ["a short question needs a reference answer"]
    return []


def load_bank(
    folder: Path, chapters: Mapping[str, tuple[str, Collection[str]]]
) -> tuple[list[QuestionData], list[tuple[str, int, str]]]:
    """The valid questions of `folder/questions/`, and every problem as (file, line, message).

    `chapters` maps a chapter's file stem ("03-sampling-and-aliasing") to its slug and its section slugs, in book
    order: `questions/03-sampling-and-aliasing.yml` holds that chapter's questions. Questions come in that order,
    then those of `questions/out-of-scope.yml`. A question with problems, or whose id an earlier one has, is left
    out; so is a file that matches no chapter. Files are named relative to `folder` ("questions/….yml").
    """
    paths = sorted(path for path in (folder / QUESTIONS_FOLDER).glob("*") if path.is_file())
    files = {path.stem: path for path in paths if path.suffix == ".yml"}
    problems: list[tuple[str, int, str]] = [
        (f"{QUESTIONS_FOLDER}/{path.name}", 1, "question files end in .yml; not read")
        for path in paths
        if path.suffix.lower() in (".yaml", ".yml") and path.suffix != ".yml"
    ]
    ordered = [(stem, *chapters[stem]) for stem in chapters if stem in files]
    if OUT_OF_SCOPE_STEM in files:
        ordered.append((OUT_OF_SCOPE_STEM, "", ()))
    questions: list[QuestionData] = []
    seen: dict[str, str] = {}
    for stem, chapter, sections in ordered:
        found, bad = _load_file(files[stem], stem == OUT_OF_SCOPE_STEM, chapter, sections, seen)
        questions += found
        problems += bad
    for stem in sorted(set(files) - {OUT_OF_SCOPE_STEM, *chapters}):
        message = f"no chapter of the book was read from a file named {stem}.md; these questions are not imported"
        problems.append((f"{QUESTIONS_FOLDER}/{stem}.yml", 1, message))
    return questions, problems


def _load_file(
    path: Path, out_of_scope: bool, chapter: str, sections: Collection[str], seen: dict[str, str]
) -> tuple[list[QuestionData], list[tuple[str, int, str]]]:
    """The valid questions of one file; `seen` (id -> source) carries the ids of earlier files."""
    name = f"{QUESTIONS_FOLDER}/{path.name}"
    try:
        entries, bad = _read_entries(path, chapter, name)
    except QuestionFileError as exc:
        return [], [(name, exc.line, exc.reason)]
    problems = [(line, message) for line, message in bad]
    questions = []
    for line, question in entries:
        errors = validate(question, sections)
        if out_of_scope and not question.out_of_scope:
            errors.append(f"only out_of_scope questions belong in {OUT_OF_SCOPE_STEM}.yml")
        elif question.out_of_scope and not out_of_scope:
            errors.append(f"out_of_scope questions belong in {QUESTIONS_FOLDER}/{OUT_OF_SCOPE_STEM}.yml")
        if question.id and question.id in seen:
            errors.append(f"id {question.id!r} is used again (first at {seen[question.id]})")
        seen.setdefault(question.id, question.source)  # an invalid first use still claims its id
        problems += [(line, message) for message in errors]
        if not errors:
            questions.append(question)
    return questions, [(name, line, message) for line, message in sorted(problems, key=lambda p: p[0])]


@dataclass
class ContentReport:
    chapters: int
    sections: int
    questions: int
    out_of_scope: int
    per_chapter: dict[str, int]
    problems: list[str]


def check_folder(folder: Path) -> ContentReport:
    """Read a book folder with its question bank (`read_book`); every problem as "file:line: message"."""
    from chapters.importers import BookImportError, read_book  # importers reads the bank through this module

    try:
        book = read_book(folder)
    except BookImportError as exc:
        return ContentReport(0, 0, 0, 0, {}, [str(exc)])
    per_chapter = {chapter.slug: 0 for chapter in book.chapters}
    for question in book.questions:
        if not question.out_of_scope:
            per_chapter[question.chapter] += 1
    return ContentReport(
        chapters=len(book.chapters),
        sections=sum(len(chapter.sections) for chapter in book.chapters),
        questions=sum(per_chapter.values()),
        out_of_scope=sum(1 for question in book.questions if question.out_of_scope),
        per_chapter=per_chapter,
        problems=[str(problem) for problem in book.problems],
    )


if __name__ == "__main__":  # python -m chapters.bank content/
    import sys

    report = check_folder(Path(sys.argv[1] if len(sys.argv) > 1 else "content"))
    print(
        f"{report.chapters} chapters, {report.sections} sections, {report.questions} questions, "
        f"{report.out_of_scope} out of scope"
    )
    for slug, count in report.per_chapter.items():
        print(f"  {slug}: {count} questions")
    for problem in report.problems:
        print(f"PROBLEM {problem}")
    sys.exit(1 if report.problems else 0)
