"""Write a BookData as a folder that `read_book` reads back to the same book. Pure: standard library and PyYAML.

The canonical layout, which doubles as the simplest thing to hand-write for the importer::

    mkdocs.yml             site_name, site_description, extra.textbook.slug, nav: [{Chapter title: 01-slug.md}, …]
    01-<chapter-slug>.md   front matter (title, slug), "# Title", then for each section "## Title {#slug}",
                           its "!!! objectives" block and its body
    figures/<file>         every figure the book names, bytes from read_asset("figures/<file>")
    questions/01-<chapter-slug>.yml   the chapter's questions, in the schema of `chapters.bank`
    questions/out-of-scope.yml        the out-of-scope questions

Every section gets an explicit heading and slug (an "Introduction" too), so importing an export gives the same
chapters and sections, and exporting that import again gives the same bytes. The output is deterministic: YAML
keys in a fixed order, figures sorted, LF line ends, one final newline. A question leaves out the fields that are
empty (and an out-of-scope question its default difficulty); `section` is a string when there is one; a numeric or
choice answer is written as a YAML number when it reads as one (``answer: 1000``), other text is quoted only
where YAML needs it (``answer: 'no'``).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from chapters.bank import OUT_OF_SCOPE_STEM, QUESTIONS_FOLDER, QuestionData
from chapters.importers import BookData, ChapterData, SectionData, normalise_body

_SLUG = re.compile(r"[A-Za-z0-9_-]+")
_FIGURE_NAME = re.compile(r"figures/[A-Za-z0-9_][A-Za-z0-9._-]*")
_FIGURE_REFERENCES = (
    re.compile(r"!\[[^\]\n]*\]\(\s*<?(figures/[^\s)>]+)"),
    re.compile(r"<img\b[^>]*?\bsrc\s*=\s*[\"'](figures/[^\"'>]+)", re.IGNORECASE),
)


def write_book(book: BookData, folder: Path, read_asset: Callable[[str], bytes]) -> None:
    """Write `book` into `folder`, which is created if need be and must be empty (a stale chapter left there
    would be read back). `read_asset("figures/x.png")` returns that figure's bytes; it is called for every name
    in `book.assets` and for every other ``figures/…`` image a body shows (those may raise KeyError or
    FileNotFoundError: such a dangling reference is skipped, and importing the export reports it as missing)."""
    folder.mkdir(parents=True, exist_ok=True)
    if any(folder.iterdir()):
        raise FileExistsError(f"{folder} is not empty; export a book into a new or empty folder")
    for name, text in render_book(book).items():
        (folder / name).parent.mkdir(exist_ok=True)
        (folder / name).write_text(text, encoding="utf-8", newline="\n")
    for name in figure_names(book):
        data = _figure_bytes(book, name, read_asset)
        if data is not None:
            (folder / name).parent.mkdir(exist_ok=True)
            (folder / name).write_bytes(data)


def render_book(book: BookData) -> dict[str, str]:
    """The text files of the export by relative path: mkdocs.yml, one Markdown file per chapter, then the
    question files."""
    chapters = {chapter_file_name(number, c): render_chapter(c) for number, c in enumerate(book.chapters, start=1)}
    files = list(chapters)
    return {"mkdocs.yml": render_mkdocs_yml(book, files), **chapters, **render_question_files(book, files)}


def chapter_file_name(number: int, chapter: ChapterData) -> str:
    """ "01-sampling.md": the number keeps a file listing in book order."""
    return f"{number:02d}-{_checked_slug(chapter.slug, 'chapter')}.md"


def render_mkdocs_yml(book: BookData, chapter_files: list[str]) -> str:
    config = {
        "site_name": book.title,
        "site_description": normalise_body(book.description),
        "extra": {"textbook": {"slug": _checked_slug(book.slug, "book")}},
        "nav": [{chapter.title: name} for chapter, name in zip(book.chapters, chapter_files, strict=True)],
    }
    return _yaml(config)


def render_chapter(chapter: ChapterData) -> str:
    front_matter = _yaml({"title": chapter.title, "slug": _checked_slug(chapter.slug, "chapter")})
    blocks = [f"---\n{front_matter}---", f"# {_one_line(chapter.title)}", *map(_render_section, chapter.sections)]
    return "\n\n".join(blocks) + "\n"


def render_question_files(book: BookData, chapter_files: list[str]) -> dict[str, str]:
    """``questions/<chapter file stem>.yml`` for each chapter with questions, then ``questions/out-of-scope.yml``.

    Raises ValueError for a question of a chapter the book does not have.
    """
    by_chapter: dict[str, list[QuestionData]] = {chapter.slug: [] for chapter in book.chapters}
    out_of_scope = []
    for question in book.questions:
        if question.out_of_scope:
            out_of_scope.append(question)
        elif question.chapter in by_chapter:
            by_chapter[question.chapter].append(question)
        else:
            raise ValueError(f"question {question.id!r} belongs to chapter {question.chapter!r}, not in the book")
    files = {
        f"{QUESTIONS_FOLDER}/{name.removesuffix('.md')}.yml": render_questions(by_chapter[chapter.slug])
        for chapter, name in zip(book.chapters, chapter_files, strict=True)
        if by_chapter[chapter.slug]
    }
    if out_of_scope:
        files[f"{QUESTIONS_FOLDER}/{OUT_OF_SCOPE_STEM}.yml"] = render_questions(out_of_scope)
    return files


def render_questions(questions: list[QuestionData]) -> str:
    """A question file: the questions as a YAML list, a blank line between two."""
    return "\n".join(_yaml_list([_question_fields(question)]) for question in questions)


def _question_fields(question: QuestionData) -> dict[str, Any]:
    """The fields to write, in the order of `chapters.bank.FIELDS`; empty ones left out."""
    sections = question.sections[0] if len(question.sections) == 1 else _Flow(question.sections)
    numeric_answer = question.type in ("numeric", "choice")
    fields: dict[str, Any] = {
        "id": question.id,
        "section": sections,
        "type": question.type,
        "difficulty": question.difficulty if not question.out_of_scope or question.difficulty != 1 else None,
        "text": question.text,
        "answer": _NumberText(question.answer) if numeric_answer else question.answer,
        "unit": question.unit,
        "tolerance": _tolerance(question.tolerance),
        "check": question.check,
        "choices": list(question.choices),
        "accepted": list(question.accepted),
        "keywords": _Flow([_Flow(group) for group in question.keywords]),
        "explanation": question.explanation,
        "category": question.category,
    }
    return {key: value for key, value in fields.items() if value is not None and value != "" and value != []}


def _tolerance(tolerance: float) -> float | None:
    """None (left out) for 0, an int for a whole number (``tolerance: 1``), else the float."""
    if not tolerance:
        return None
    return int(tolerance) if float(tolerance).is_integer() else tolerance


def figure_names(book: BookData) -> list[str]:
    """The figures to write: the book's assets and the ``figures/…`` images that its bodies and description show."""
    for name in book.assets:
        if not _FIGURE_NAME.fullmatch(name):
            raise ValueError(f"asset name {name!r} is not of the form figures/<file>")
    texts = [book.description, *(section.body for chapter in book.chapters for section in chapter.sections)]
    shown = {name for text in texts for pattern in _FIGURE_REFERENCES for name in pattern.findall(text)}
    return sorted(set(book.assets) | {name for name in shown if _FIGURE_NAME.fullmatch(name)})


def _render_section(section: SectionData) -> str:
    blocks = [f"## {_one_line(section.title)} {{#{_checked_slug(section.slug, 'section')}}}"]
    if section.objectives:
        blocks.append("\n".join(["!!! objectives", *(f"    - {_one_line(item)}" for item in section.objectives)]))
    body = normalise_body(section.body)
    if body:
        blocks.append(body)
    return "\n\n".join(blocks)


def _figure_bytes(book: BookData, name: str, read_asset: Callable[[str], bytes]) -> bytes | None:
    if name in book.assets:
        return read_asset(name)
    try:
        return read_asset(name)
    except (KeyError, FileNotFoundError):
        return None


def _checked_slug(slug: str, what: str) -> str:
    if not _SLUG.fullmatch(slug):
        raise ValueError(f"{what} slug {slug!r} is not a slug (letters, digits, '-' and '_')")
    return slug


def _one_line(text: str) -> str:
    return " ".join(text.split())


class _Dumper(yaml.SafeDumper):
    """safe_dump, with multi-line strings (a long description) as literal blocks a person can edit."""


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|" if "\n" in value else None)


class _Flow(list[Any]):
    """A list written on one line: ``section: [a, b]``, ``keywords: [[alias, aliasing], [fold]]``."""


class _NumberText(str):
    """Text written as a YAML number when YAML reads it as one (``1000``, not ``'1000'``), else as text."""

    __slots__ = ()


def _represent_flow(dumper: yaml.SafeDumper, value: _Flow) -> yaml.Node:
    return dumper.represent_sequence("tag:yaml.org,2002:seq", value, flow_style=True)


def _represent_number_text(dumper: yaml.SafeDumper, value: _NumberText) -> yaml.Node:
    tag = dumper.resolve(yaml.ScalarNode, str(value), (True, False))  # type: ignore[no-untyped-call]
    if tag in ("tag:yaml.org,2002:int", "tag:yaml.org,2002:float"):
        return dumper.represent_scalar(tag, str(value))  # the same text, so it reads back unchanged
    return _represent_str(dumper, str(value))


_Dumper.add_representer(str, _represent_str)
_Dumper.add_representer(_Flow, _represent_flow)
_Dumper.add_representer(_NumberText, _represent_number_text)


def _yaml(data: dict[str, Any]) -> str:
    return yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=120)


def _yaml_list(data: list[Any]) -> str:
    return yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=120)
