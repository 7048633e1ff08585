"""Read a folder of course notes into plain dataclasses. Pure: the standard library, PyYAML and `chapters.bank`.

`read_book(folder)` recognises three layouts; the first that matches wins.

* **MkDocs**: ``mkdocs.yml`` gives the title (``site_name``), the description (``site_description``), the slug
  (``extra.textbook.slug``) and the order (``nav``). Pages live in ``docs_dir`` (``docs/`` by default, when that
  folder exists; else next to ``mkdocs.yml``). Tags such as ``!!python/name:…`` and ``!ENV`` are read as None.
* **Jupyter Book**: ``_toc.yml`` (``jb-book``: ``root`` plus ``chapters`` or ``parts``; ``jb-article``: one
  chapter) and ``_config.yml`` (``title``, ``description``). Part captions are not kept.
* **A plain folder**: top-level files and folders by name; a leading number ("01-", "10_") orders them
  numerically and is dropped from titles made from file names.

Chapters and sections
    A chapter is a top-level file, a nested nav list, a toc entry with its ``sections``, or a folder (with its
    ``index.md`` or ``README.md`` first). Its *head file* is the single file, the folder's index, or the toc
    entry's ``file``. The chapter title is the nav/toc title, else the head's front matter ``title``, else its
    first ``#`` heading, else the file or folder name; the slug is the head's front matter ``slug``, else a
    ``{#slug}`` on its ``#`` heading, else the slugified title.
    Every ``##`` heading starts a section (``{#slug}`` at its end sets the slug). Text before the first ``##``
    is a section "Introduction" in a head file; in any other file it is a section named after that file (nav
    title, front matter title, ``#`` heading, file name), also when the file has no ``##`` at all. ``###`` and
    deeper, and any ``#`` after the first, stay in the body. Nothing inside fenced code or ``$$`` math is a heading.
    An ``!!! objectives`` block right after a heading gives the section's objectives; front matter
    ``objectives`` apply to a file that makes exactly one section.
    The landing page is not a chapter: the top-level ``index.md``/``README.md`` when nav lists it first (or
    when there is no nav), or the toc ``root``. Its text is the description when the config gives none.
    ``ChapterData.source`` is the head file (the first file when there is none), relative to the folder.

What is not a page
    Hidden and ``_`` folders, folders named ``tests`` or ``scripts``, and the top-level ``questions/`` folder are
    never searched for pages. When a nav or a toc lists the pages, a page it leaves out is a problem, except the
    repository files at the top level (``README.md``, ``LICENSE*``, ``CONTRIBUTING.md``, ``AUTHORING.md``):
    those are skipped silently.

Questions
    ``questions/<stem>.yml`` next to the config (in the folder itself, not ``docs_dir``) holds the questions of the
    chapter whose source file has that stem: ``questions/03-sampling.yml`` for ``03-sampling.md`` or
    ``03-sampling.ipynb``; for a chapter whose head is an ``index.md``/``README.md``, its folder's name
    (``questions/filters.yml`` for ``filters/index.md``). ``questions/out-of-scope.yml`` holds the out-of-scope
    questions. The schema and its checks are `chapters.bank`'s; only valid questions are kept, in book order, and
    every problem is reported by file and line.

Conversions, to the MkDocs-flavoured Markdown the site renders
    ``!!!``/``???`` admonitions stay; ``???+`` becomes ``???``. MyST ``{note}``-like directives and
    ``{admonition} Title`` become ``!!!`` blocks, ``{math}`` a ``$$`` block, ``{figure}``/``{image}`` an image,
    ``{code-block}`` a fenced block; other directives stay as fenced code. The ``{math}`` role becomes ``$…$``,
    other roles plain text. ``\\(…\\)`` and ``\\[…\\]`` become ``$…$`` and ``$$…$$``. Local images (png, jpg, jpeg,
    gif, svg, webp) are collected as ``figures/<file>`` (``figures/<folder>-<file>`` when two files share a name)
    and the references rewritten. Notebook markdown cells are kept, code cells become fenced code in the kernel's
    language, outputs are dropped silently. Links between pages are left as written (future work).

Whatever cannot be carried over is a `Problem` (file and line; for notebooks the cell number, and the message
says "cell"). Only a book that cannot be read at all raises `BookImportError`.
"""

from __future__ import annotations

import json
import os
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any, NamedTuple
from urllib.parse import unquote

import yaml

from chapters.bank import QUESTIONS_FOLDER, QuestionData, load_bank

SOURCE_SUFFIXES = frozenset({".md", ".ipynb"})
IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".gif", ".svg", ".webp"})
LANDING_NAMES = ("index.md", "README.md")
# Repository files at the top of a book folder, not pages; skipped silently when a nav or toc leaves them out.
REPOSITORY_FILES = re.compile(r"(?i)(readme|license.*|licence.*|contributing|authoring)\.(md|ipynb)")
SKIPPED_FOLDERS = frozenset({"tests", "scripts"})
INTRODUCTION = "Introduction"
ADMONITION_DIRECTIVES = frozenset(
    {"admonition", "note", "tip", "hint", "important", "warning", "caution", "attention", "danger", "error", "seealso"}
)
CODE_DIRECTIVES = frozenset({"code", "code-block", "sourcecode"})


@dataclass(frozen=True)
class Problem:
    """Something the importer could not carry over. For a notebook, `line` is the cell number."""

    file: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.message}"


@dataclass
class SectionData:
    title: str
    slug: str
    body: str
    objectives: list[str]


@dataclass
class ChapterData:
    title: str
    slug: str
    sections: list[SectionData]
    source: str = field(default="", compare=False)  # head file relative to the book folder; metadata, not content


@dataclass
class BookData:
    title: str
    slug: str
    description: str
    chapters: list[ChapterData]
    assets: dict[str, Path]
    problems: list[Problem]
    questions: list[QuestionData] = field(default_factory=list)


class BookImportError(Exception):
    """The folder cannot be read as a book at all: no pages, or a config or page that cannot be parsed."""


def read_book(folder: Path) -> BookData:
    """Read a folder of course notes (MkDocs, Jupyter Book or plain) into a BookData; see the module docstring."""
    book = _Book.at(folder)
    layout = _layout(book)
    pages = {path: _read_page(book, path) for path in layout.paths()}
    described = _normalise(_plain_lines(layout.description), _Context(book, layout.config, book.content_root))
    book.assets.assign_names()
    parsed = {path: _split(page, book.assets) for path, page in pages.items()}
    chapters = [_chapter(plan, parsed) for plan in layout.chapters]
    _make_chapter_slugs_unique(book, chapters, layout.chapters)
    landing = parsed[layout.landing] if layout.landing else None
    description = _description(book, layout, book.assets.resolve_lines(described), landing)
    problems = _in_reading_order(book.problems, [layout.config, *(book.rel(path) for path in pages)])
    questions, question_problems = _questions(book, chapters)
    return BookData(
        title=layout.title,
        slug=layout.slug or slugify(layout.title),
        description=description,
        chapters=chapters,
        assets=book.assets.table(),
        problems=problems + question_problems,
        questions=questions,
    )


def slugify(text: str) -> str:
    """Lowercase ASCII words joined by hyphens: "Sampling & Aliasing" -> "sampling-aliasing"; "" -> "untitled"."""
    decomposed = unicodedata.normalize("NFKD", text)
    kept = "".join(c for c in decomposed if not unicodedata.combining(c) and c not in "'’")
    return "-".join(re.findall(r"[a-z0-9]+", kept.lower())) or "untitled"


def normalise_body(text: str) -> str:
    """A body as `read_book` gives it: LF line ends, no leading or trailing blank lines; nothing else changes."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    start = next((i for i, line in enumerate(lines) if line.strip()), len(lines))
    end = len(lines)
    while end > start and not lines[end - 1].strip():
        end -= 1
    return "\n".join(lines[start:end])


# ---------------------------------------------------------------------------------------------------------------
# What reading one folder accumulates


class _Line(NamedTuple):
    text: str
    origin: int  # the 1-based line in the source file, or the notebook cell number


class _Assets:
    """The images the pages show. Bodies hold placeholders until every image is known, because a basename that
    two files share changes the names of both."""

    _PLACEHOLDER = re.compile("\x00figure(\\d+)\x00")

    def __init__(self) -> None:
        self._paths: list[Path] = []
        self._names: dict[Path, str] = {}

    def placeholder(self, path: Path) -> str:
        if path not in self._paths:
            self._paths.append(path)
        return f"\x00figure{self._paths.index(path)}\x00"

    def assign_names(self) -> None:
        self._names = _figure_names(sorted(self._paths))

    def resolve_lines(self, lines: list[_Line]) -> list[_Line]:
        return [_Line(self._PLACEHOLDER.sub(self._name_of, line.text), line.origin) for line in lines]

    def table(self) -> dict[str, Path]:
        return {name: path for path, name in sorted(self._names.items(), key=lambda item: item[1])}

    def _name_of(self, match: re.Match[str]) -> str:
        return self._names[self._paths[int(match[1])]]


@dataclass
class _Book:
    root: Path
    content_root: Path
    problems: list[Problem] = field(default_factory=list)
    assets: _Assets = field(default_factory=_Assets)

    @classmethod
    def at(cls, folder: Path) -> _Book:
        root = folder.resolve()
        if not root.is_dir():
            raise BookImportError(f"{folder} is not a folder")
        return cls(root, root)

    def rel(self, path: Path) -> str:
        return path.relative_to(self.root).as_posix()

    def inside(self, path: Path) -> Path | None:
        """`path` resolved, or None when it leads out of the book (a "../" too many, a symlink)."""
        resolved = path.resolve()
        return resolved if resolved.is_relative_to(self.root) else None


@dataclass(frozen=True)
class _Context:
    """The file being converted: where its problems are filed and where its relative image paths start."""

    book: _Book
    rel: str
    base: Path
    notebook: bool = False

    def report(self, origin: int, message: str) -> None:
        text = f"cell {origin}: {message}" if self.notebook else message
        self.book.problems.append(Problem(self.rel, origin, text))


@dataclass(frozen=True)
class _ConfigFile:
    """mkdocs.yml or _toc.yml: a problem about an entry points at the line that ends with it (the nth such line
    for an entry listed twice), else at line 1."""

    rel: str
    text: str

    def report(self, book: _Book, entry: str, message: str, nth: int = 1) -> None:
        ends_with_entry = re.compile(re.escape(entry) + r"[\"']?\s*$") if entry else None
        lines = [
            number
            for number, text in enumerate(self.text.splitlines(), 1)
            if ends_with_entry and ends_with_entry.search(text)
        ]
        book.problems.append(Problem(self.rel, lines[min(nth, len(lines)) - 1] if lines else 1, message))


def _in_reading_order(problems: list[Problem], files: list[str]) -> list[Problem]:
    """By file (the config, then the pages in reading order, then the rest), then by line."""
    order = list(dict.fromkeys([*files, *(problem.file for problem in problems)]))
    rank = {file: index for index, file in enumerate(order)}
    return sorted(problems, key=lambda problem: (rank[problem.file], problem.line))


# ---------------------------------------------------------------------------------------------------------------
# Layouts: which files make which chapters, in what order


@dataclass
class _ChapterPlan:
    files: list[Path]
    head: Path | None
    title: str | None  # from nav or toc: overrides the head file's own title
    fallback_title: str
    file_titles: dict[Path, str] = field(default_factory=dict)  # nav titles of the files of a nested nav list


@dataclass
class _Layout:
    title: str
    slug: str | None
    description: str
    config: str  # the config file the title and description came from; "" for a plain folder
    landing: Path | None
    chapters: list[_ChapterPlan]

    def paths(self) -> list[Path]:
        landing = [self.landing] if self.landing else []
        return list(dict.fromkeys([*landing, *(path for plan in self.chapters for path in plan.files)]))


def _layout(book: _Book) -> _Layout:
    for name in ("mkdocs.yml", "mkdocs.yaml"):
        if (book.root / name).is_file():
            return _mkdocs_layout(book, book.root / name)
    if (book.root / "_toc.yml").is_file():
        return _jupyter_book_layout(book, book.root / "_toc.yml")
    _source_files_or_fail(book)
    landing, chapters = _folder_chapters(book)
    return _Layout(_humanise(book.root.name), None, "", "", landing, chapters)


def _mkdocs_layout(book: _Book, config_path: Path) -> _Layout:
    config, text = _read_config(book, config_path)
    docs = book.inside(book.root / str(config.get("docs_dir") or "docs"))
    if docs is not None and docs.is_dir():
        book.content_root = docs
    sources = _source_files_or_fail(book)
    nav = config.get("nav")
    if isinstance(nav, list) and nav:
        config_file = _ConfigFile(book.rel(config_path), text)
        landing, chapters = _nav_chapters(book, nav, config_file)
        _report_unlisted(book, sources, landing, chapters, f"not listed in {config_file.rel} nav; not imported")
    else:
        landing, chapters = _folder_chapters(book)
    slug = _text(_dig(config, "extra", "textbook", "slug"))
    return _Layout(
        title=_text(config.get("site_name")) or _humanise(book.root.name),
        slug=_explicit_slug(slug) if slug else None,
        description=_text(config.get("site_description")),
        config=book.rel(config_path),
        landing=landing,
        chapters=chapters,
    )


def _nav_chapters(book: _Book, nav: list[Any], config: _ConfigFile) -> tuple[Path | None, list[_ChapterPlan]]:
    """A nav entry is a page ("a.md" or {Title: "a.md"}) or a chapter of several pages ({Title: [...]})."""
    seen: set[Path] = set()
    landing = None
    chapters = []
    for position, (title, value) in enumerate(_nav_items(nav)):
        if isinstance(value, list):
            entries = [(t, page) for t, v in _flatten_nav(value) if (page := _nav_page(book, v, seen, config))]
            if entries:
                files = [page for _, page in entries]
                head = files[0] if files[0].name in LANDING_NAMES else None
                fallback = title or _humanise(files[0].parent.name)
                chapters.append(_ChapterPlan(files, head, title, fallback, {page: t for t, page in entries if t}))
            continue
        page = _nav_page(book, value, seen, config)
        if page is None:
            continue
        if position == 0 and page.name in LANDING_NAMES and page.parent == book.content_root:
            landing = page
        else:
            chapters.append(_ChapterPlan([page], page, title, _humanise(page.name)))
    return landing, chapters


def _nav_items(nav: list[Any]) -> list[tuple[str | None, Any]]:
    items: list[tuple[str | None, Any]] = []
    for item in nav:
        if isinstance(item, dict):
            items.extend((_text(title) or None, value) for title, value in item.items())
        else:
            items.append((None, item))
    return items


def _flatten_nav(nav: list[Any]) -> list[tuple[str | None, Any]]:
    flat: list[tuple[str | None, Any]] = []
    for title, value in _nav_items(nav):
        flat.extend(_flatten_nav(value) if isinstance(value, list) else [(title, value)])
    return flat


def _nav_page(book: _Book, value: Any, seen: set[Path], config: _ConfigFile) -> Path | None:
    entry = _text(value)
    if re.match(r"^[A-Za-z][A-Za-z0-9+.-]*:|^/", entry):
        config.report(book, entry, f"nav entry {entry} is a link, not a page; skipped")
        return None
    page = book.inside(book.content_root / entry) if entry else None
    if page is None or not page.is_file() or page.suffix.lower() not in SOURCE_SUFFIXES:
        config.report(book, entry, f"nav entry {entry or '?'} is not a Markdown or notebook file of the book; skipped")
        return None
    if page in seen:
        config.report(book, entry, f"nav entry {entry} is listed twice; the second is skipped", nth=2)
        return None
    seen.add(page)
    return page


def _jupyter_book_layout(book: _Book, toc_path: Path) -> _Layout:
    toc, text = _read_config(book, toc_path)
    config_path = book.root / "_config.yml"
    config = _read_config(book, config_path)[0] if config_path.is_file() else {}
    sources = _source_files_or_fail(book)
    toc_file = _ConfigFile(book.rel(toc_path), text)
    seen: set[Path] = set()
    root_page = _toc_page(book, toc.get("root"), seen, toc_file)
    if toc.get("format") == "jb-article":
        files = [page for page in [root_page, *_toc_sections(book, toc.get("sections"), seen, toc_file)] if page]
        landing = None
        chapters = [_ChapterPlan(files, files[0], None, _humanise(files[0].name))] if files else []
    else:
        landing = root_page
        chapters = [plan for entry in _toc_chapter_entries(toc) for plan in _toc_chapters(book, entry, seen, toc_file)]
    _report_unlisted(book, sources, landing, chapters, f"not listed in {toc_file.rel}; not imported")
    return _Layout(
        title=_text(config.get("title")) or _humanise(book.root.name),
        slug=None,
        description=_text(config.get("description")),
        config=book.rel(config_path) if config_path.is_file() else toc_file.rel,
        landing=landing,
        chapters=chapters,
    )


def _toc_chapter_entries(toc: dict[str, Any]) -> list[dict[str, Any]]:
    parts = [part for part in _as_list(toc.get("parts")) if isinstance(part, dict)]
    entries = [*_as_list(toc.get("chapters")), *(entry for part in parts for entry in _as_list(part.get("chapters")))]
    return [entry for entry in entries if isinstance(entry, dict)]


def _toc_chapters(book: _Book, entry: dict[str, Any], seen: set[Path], toc: _ConfigFile) -> list[_ChapterPlan]:
    if "glob" in entry or "url" in entry:
        return [
            _ChapterPlan([page], page, None, _humanise(page.name)) for page in _toc_sections(book, [entry], seen, toc)
        ]
    head = _toc_page(book, entry.get("file"), seen, toc)
    files = [page for page in [head, *_toc_sections(book, entry.get("sections"), seen, toc)] if page]
    if not files:
        return []
    return [_ChapterPlan(files, head, _text(entry.get("title")) or None, _humanise(files[0].name))]


def _toc_sections(book: _Book, entries: Any, seen: set[Path], toc: _ConfigFile) -> list[Path]:
    """The pages under a toc entry's ``sections``, depth first: they all belong to the same chapter."""
    pages: list[Path] = []
    for entry in _as_list(entries):
        if not isinstance(entry, dict):
            continue
        if "url" in entry:
            toc.report(book, _text(entry["url"]), f"toc entry {_text(entry['url'])} is a link, not a page; skipped")
        elif "glob" in entry:
            pages.extend(_toc_glob(book, _text(entry["glob"]), seen))
        else:
            page = _toc_page(book, entry.get("file"), seen, toc)
            pages.extend([page] if page else [])
            pages.extend(_toc_sections(book, entry.get("sections"), seen, toc))
    return pages


def _toc_glob(book: _Book, pattern: str, seen: set[Path]) -> list[Path]:
    pages = []
    for match in sorted(book.root.glob(pattern), key=lambda path: _order_key(path.relative_to(book.root))):
        page = book.inside(match)
        if page is not None and page.suffix.lower() in SOURCE_SUFFIXES and page.is_file() and page not in seen:
            seen.add(page)
            pages.append(page)
    return pages


def _toc_page(book: _Book, value: Any, seen: set[Path], toc: _ConfigFile) -> Path | None:
    """A toc ``file:`` names a page with or without its extension."""
    name = _text(value)
    if not name:
        return None
    names = [name] if PurePosixPath(name).suffix.lower() in SOURCE_SUFFIXES else [f"{name}.md", f"{name}.ipynb"]
    for candidate in names:
        page = book.inside(book.root / candidate)
        if page is not None and page.is_file():
            if page in seen:
                toc.report(book, name, f"toc entry {name} is listed twice; the second is skipped", nth=2)
                return None
            seen.add(page)
            return page
    toc.report(book, name, f"toc entry {name} is not a Markdown or notebook file of the book; skipped")
    return None


def _folder_chapters(book: _Book) -> tuple[Path | None, list[_ChapterPlan]]:
    """One chapter per top-level file or folder, in name order; index.md (or README.md) is the landing page."""
    root = book.content_root
    sources = _source_files(root)
    tops = sorted(
        {root / path.relative_to(root).parts[0] for path in sources}, key=lambda top: _order_key(Path(top.name))
    )
    landing = next((root / name for name in LANDING_NAMES if root / name in sources), None)
    chapters = []
    for top in tops:
        if top == landing:
            continue
        if top.is_dir():
            files = _folder_pages(top, [path for path in sources if path.is_relative_to(top)])
            head = files[0] if files[0].parent == top and files[0].name in LANDING_NAMES else None
            chapters.append(_ChapterPlan(files, head, None, _humanise(top.name)))
        else:
            chapters.append(_ChapterPlan([top], top, None, _humanise(top.name)))
    return landing, chapters


def _folder_pages(folder: Path, files: list[Path]) -> list[Path]:
    index = next((folder / name for name in LANDING_NAMES if folder / name in files), None)
    rest = sorted((path for path in files if path != index), key=lambda path: _order_key(path.relative_to(folder)))
    return [index, *rest] if index else rest


def _order_key(path: Path) -> tuple[tuple[int, int, str], ...]:
    """Name order, except that a leading number ("2-", "10_") sorts numerically and before unnumbered names."""
    key = []
    for part in path.parts:
        number = re.match(r"(\d+)[-_. ]", part)
        key.append((0, int(number[1]), part.lower()) if number else (1, 0, part.lower()))
    return tuple(key)


def _source_files(folder: Path) -> list[Path]:
    """Markdown and notebook files under `folder`, skipping symlinks, hidden and "_" folders (_build), folders
    named tests or scripts, and the top-level questions folder."""
    found = []
    for current, folders, files in os.walk(folder):
        top = Path(current) == folder
        folders[:] = sorted(
            name
            for name in folders
            if not name.startswith((".", "_"))
            and name not in SKIPPED_FOLDERS
            and not (top and name == QUESTIONS_FOLDER)
        )
        for name in files:
            path = Path(current) / name
            if path.suffix.lower() in SOURCE_SUFFIXES and not name.startswith(".") and not path.is_symlink():
                found.append(path)
    return sorted(found)


def _source_files_or_fail(book: _Book) -> list[Path]:
    sources = _source_files(book.content_root)
    if not sources:
        raise BookImportError(f"no Markdown or notebook files in {book.content_root}")
    return sources


def _report_unlisted(
    book: _Book, sources: list[Path], landing: Path | None, chapters: list[_ChapterPlan], message: str
) -> None:
    listed = {path for plan in chapters for path in plan.files} | ({landing} if landing else set())
    for path in sources:
        if path not in listed and not _is_repository_file(book, path):
            book.problems.append(Problem(book.rel(path), 1, message))


def _is_repository_file(book: _Book, path: Path) -> bool:
    """README.md, LICENSE.md and the like at the top of the folder (or of docs_dir): not meant as pages."""
    return path.parent in (book.root, book.content_root) and REPOSITORY_FILES.fullmatch(path.name) is not None


def _read_config(book: _Book, path: Path) -> tuple[dict[str, Any], str]:
    rel = book.rel(path)
    text = _read_text(path, rel)
    data = _load_yaml(text, rel)
    if data is None:
        return {}, text
    if not isinstance(data, dict):
        raise BookImportError(f"{rel}: expected settings (a YAML mapping), found {type(data).__name__}")
    return data, text


# ---------------------------------------------------------------------------------------------------------------
# Reading one page: front matter or notebook cells, then conversion to MkDocs-flavoured Markdown


@dataclass
class _FrontMatter:
    title: str | None = None
    slug: str | None = None
    description: str = ""
    objectives: list[str] = field(default_factory=list)


@dataclass
class _Page:
    context: _Context
    front: _FrontMatter
    lines: list[_Line]


def _read_page(book: _Book, path: Path) -> _Page:
    notebook = path.suffix.lower() == ".ipynb"
    context = _Context(book, book.rel(path), path.parent, notebook)
    if notebook:
        front, lines = _FrontMatter(), _notebook_lines(path, context)
    else:
        front, lines = _front_matter_and_lines(_read_text(path, context.rel), context)
    return _Page(context, front, _normalise(lines, context))


def _read_text(path: Path, rel: str) -> str:
    try:
        return path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as error:
        raise BookImportError(f"{rel}: not UTF-8 text (byte {error.start})") from error
    except OSError as error:
        raise BookImportError(f"{rel}: cannot be read ({error.strerror})") from error


class _TolerantLoader(yaml.SafeLoader):
    """A SafeLoader that reads tags it does not know (mkdocs.yml's ``!!python/name:…``, ``!ENV``) as None."""


def _construct_unknown(loader: yaml.SafeLoader, node: yaml.Node) -> None:
    return None


_TolerantLoader.add_constructor(None, _construct_unknown)


def _load_yaml(text: str, rel: str, first_line: int = 1) -> Any:
    try:
        return yaml.load(text, Loader=_TolerantLoader)  # noqa: S506 - a SafeLoader that only adds a None constructor
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = first_line + (mark.line if mark is not None else 0)
        reason = getattr(error, "problem", None) or str(error)
        raise BookImportError(f"{rel}:{line}: invalid YAML: {reason}") from error


def _front_matter_and_lines(text: str, context: _Context) -> tuple[_FrontMatter, list[_Line]]:
    """Split off a leading ``---`` … ``---`` YAML block; line numbers stay those of the file."""
    lines = [_Line(text, number) for number, text in enumerate(text.split("\n"), start=1)]
    if lines[0].text.rstrip() != "---":
        return _FrontMatter(), lines
    end = next((i for i in range(1, len(lines)) if lines[i].text.rstrip() in ("---", "...")), None)
    if end is None:
        return _FrontMatter(), lines
    data = _load_yaml("\n".join(line.text for line in lines[1:end]), context.rel, first_line=2)
    return _front_matter(data, context), lines[end + 1 :]


def _front_matter(data: Any, context: _Context) -> _FrontMatter:
    if data is None:
        return _FrontMatter()
    if not isinstance(data, dict):
        context.report(1, "front matter is not a mapping; ignored")
        return _FrontMatter()
    objectives = data.get("objectives") or []
    if not isinstance(objectives, list) or not all(isinstance(item, str | int | float) for item in objectives):
        context.report(1, "front matter objectives is not a list of sentences; ignored")
        objectives = []
    slug = _text(data.get("slug"))
    return _FrontMatter(
        title=_text(data.get("title")) or None,
        slug=_explicit_slug(slug) if slug else None,
        description=_text(data.get("description")),
        objectives=[_one_line(str(item)) for item in objectives if str(item).strip()],
    )


def _notebook_lines(path: Path, context: _Context) -> list[_Line]:
    """Markdown cells as they are, code cells fenced in the kernel's language; outputs are dropped."""
    try:
        notebook = json.loads(_read_text(path, context.rel))
    except json.JSONDecodeError as error:
        raise BookImportError(f"{context.rel}:{error.lineno}: not a notebook (invalid JSON: {error.msg})") from error
    if not isinstance(notebook, dict) or notebook.get("nbformat") != 4:
        raise BookImportError(f"{context.rel}: only nbformat 4 notebooks can be imported")
    language = _notebook_language(notebook)
    lines: list[_Line] = []
    for number, cell in enumerate(_as_list(notebook.get("cells")), start=1):
        lines.extend(_Line(text, number) for text in _cell_text(cell, number, language, context))
    return lines


def _notebook_language(notebook: dict[str, Any]) -> str:
    for value in (
        _dig(notebook, "metadata", "kernelspec", "language"),
        _dig(notebook, "metadata", "language_info", "name"),
    ):
        if isinstance(value, str) and value.strip():
            return value.strip().lower()
    return "python"


def _cell_text(cell: Any, number: int, language: str, context: _Context) -> list[str]:
    source = cell.get("source", "") if isinstance(cell, dict) else ""
    text = ("".join(source) if isinstance(source, list) else str(source)).replace("\r\n", "\n")
    kind = cell.get("cell_type") if isinstance(cell, dict) else None
    if kind == "markdown":
        return [*text.split("\n"), ""]
    if kind == "code":
        code = text.strip("\n")
        fence = _fence_for(code)
        return [f"{fence}{language}", *code.split("\n"), fence, ""] if code.strip() else []
    context.report(number, f"{kind or 'unknown'} cell dropped")
    return []


# ---------------------------------------------------------------------------------------------------------------
# Conversion, block level: directives, display math, fenced code


class _Blocks:
    """Follows fenced code and ``$$`` display math line by line: inside them nothing is converted or split."""

    _FENCE = re.compile(r"^\s*(?P<fence>`{3,}(?=[^`]*$)|~{3,})")

    def __init__(self) -> None:
        self.fence: str | None = None
        self.math = False

    @property
    def inside(self) -> bool:
        return self.fence is not None or self.math

    def feed(self, text: str) -> bool:
        """Step over one line; True when it belongs to code or math, its fences and ``$$`` included."""
        stripped = text.strip()
        if self.fence is not None:
            if _is_closing_fence(text, self.fence):
                self.fence = None
            return True
        if self.math:
            self.math = stripped.count("$$") % 2 == 0
            return True
        opening = self._FENCE.match(text)
        if opening:
            self.fence = opening["fence"]
            return True
        if stripped.startswith("$$"):
            self.math = stripped.count("$$") % 2 == 1
            return True
        return False


def _is_closing_fence(text: str, fence: str) -> bool:
    stripped = text.strip()
    return len(stripped) >= len(fence) and set(stripped) == {fence[0]}


_DIRECTIVE = re.compile(
    r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|:{3,})\{(?P<name>[A-Za-z][\w:.-]*)\}[ \t]*(?P<argument>.*?)\s*$"
)
_OPTION = re.compile(r"^\s*:(?P<key>[\w-]+):(?P<value>.*)$")
_LATEX_DISPLAY_OPEN = re.compile(r"^\s*\\\[(?!.*\\\])")
_MYST_TARGET = re.compile(r"^\s*\((?P<label>[^()\s]+)\)=\s*$")


def _normalise(lines: list[_Line], context: _Context) -> list[_Line]:
    """MkDocs-flavoured Markdown: directives, roles and LaTeX delimiters converted, images as placeholders."""
    out: list[_Line] = []
    blocks = _Blocks()
    index = 0
    while index < len(lines):
        line = lines[index]
        directive = None if blocks.inside else _DIRECTIVE.match(line.text)
        if directive:
            index = _convert_directive(directive, lines, index, out, context)
        elif not blocks.inside and _LATEX_DISPLAY_OPEN.match(line.text):
            index = _convert_latex_display(lines, index, out)
        elif not blocks.inside and _MYST_TARGET.match(line.text):
            context.report(line.origin, f"MyST target {line.text.strip()} dropped; references to it will not resolve")
            index += 1
        else:
            literal = blocks.feed(line.text)
            out.append(line if literal else _Line(_convert_line(line.text, line.origin, context), line.origin))
            index += 1
    return out


def _convert_directive(
    match: re.Match[str], lines: list[_Line], index: int, out: list[_Line], context: _Context
) -> int:
    """Append the conversion of the MyST directive opening at `index`; return the index after its closing fence."""
    opening = lines[index]
    end = next(
        (i for i in range(index + 1, len(lines)) if _is_closing_fence(lines[i].text, match["fence"])), len(lines)
    )
    body = lines[index + 1 : end]
    name, indent, argument = match["name"], match["indent"], match["argument"]
    kind = name.lower()
    options, content = _directive_options(body, indent, context)
    if kind in ADMONITION_DIRECTIVES:
        block = _admonition(kind, argument, options, content, indent, opening.origin, context)
        if out and out[-1].text.strip():
            out.append(_Line("", opening.origin))
        out.extend(block)
        if end + 1 < len(lines) and lines[end + 1].text.strip():
            out.append(_Line("", opening.origin))
    elif kind == "math":
        out.extend(_math_block(argument, content, indent, opening.origin))
    elif kind in ("figure", "image") and argument:
        out.extend(_figure(argument, options, content, indent, opening.origin, context))
    elif kind in CODE_DIRECTIVES:
        out.extend(_code_block(argument, content, indent, opening.origin))
    else:
        context.report(opening.origin, f"MyST directive {{{name}}} was not converted; kept as a code block")
        out.extend(_kept_as_code(match, body, lines[end] if end < len(lines) else None, opening))
    return end + 1


def _directive_options(body: list[_Line], indent: str, context: _Context) -> tuple[dict[str, str], list[_Line]]:
    """Options come as ``:key: value`` lines or a ``---`` YAML block before the content."""
    content = [_Line(_dedent(line.text, indent), line.origin) for line in body]
    options: dict[str, str] = {}
    if content and content[0].text.strip() == "---":
        end = next((i for i in range(1, len(content)) if content[i].text.strip() == "---"), None)
        if end is not None:
            data = _load_yaml("\n".join(line.text for line in content[1:end]), context.rel, content[0].origin + 1)
            options = {str(key): _text(value) for key, value in data.items()} if isinstance(data, dict) else {}
            content = content[end + 1 :]
    while content and (option := _OPTION.match(content[0].text)):
        options[option["key"]] = option["value"].strip()
        content = content[1:]
    return options, _strip_blank(content)


def _admonition(
    kind: str, argument: str, options: dict[str, str], content: list[_Line], indent: str, origin: int, context: _Context
) -> list[_Line]:
    classes = options.get("class", "").split()
    marker = "???" if "dropdown" in classes else "!!!"
    title = ""
    if kind == "admonition":
        kind, title = next((name for name in classes if name != "dropdown"), "note"), argument
    elif argument:
        content = [_Line(argument, origin), *content]  # MyST reads a note's argument as its first line
    heading = f"{indent}{marker} {kind}" + (f' "{title.replace(chr(34), chr(39))}"' if title else "")
    inner = _normalise(content, context)
    return [
        _Line(heading, origin),
        *(_Line(f"{indent}    {line.text}" if line.text.strip() else "", line.origin) for line in inner),
    ]


def _math_block(argument: str, content: list[_Line], indent: str, origin: int) -> list[_Line]:
    lines = [_Line(argument, origin), *content] if argument else content
    return [_Line(f"{indent}$$", origin), *_indented(lines, indent), _Line(f"{indent}$$", origin)]


def _figure(
    argument: str, options: dict[str, str], content: list[_Line], indent: str, origin: int, context: _Context
) -> list[_Line]:
    caption = " ".join(line.text.strip() for line in content if line.text.strip()) or options.get("alt", "")
    target = f"<{argument}>" if " " in argument else argument
    return [_Line(_convert_line(f"{indent}![{caption}]({target})", origin, context), origin)]


def _code_block(argument: str, content: list[_Line], indent: str, origin: int) -> list[_Line]:
    language = argument.split()[0] if argument.split() else ""
    fence = _fence_for("\n".join(line.text for line in content))
    return [_Line(f"{indent}{fence}{language}", origin), *_indented(content, indent), _Line(f"{indent}{fence}", origin)]


def _kept_as_code(match: re.Match[str], body: list[_Line], closing: _Line | None, opening: _Line) -> list[_Line]:
    """A backtick directive is already a fenced block; a colon one is rewritten with backticks."""
    if match["fence"].startswith("`"):
        return [opening, *body, closing or _Line(f"{match['indent']}{match['fence']}", opening.origin)]
    fence = _fence_for("\n".join(line.text for line in body))
    info = f"{{{match['name']}}}" + (f" {match['argument']}" if match["argument"] else "")
    end = closing.origin if closing else opening.origin
    return [_Line(f"{match['indent']}{fence}{info}", opening.origin), *body, _Line(f"{match['indent']}{fence}", end)]


def _convert_latex_display(lines: list[_Line], index: int, out: list[_Line]) -> int:
    """``\\[`` … ``\\]`` over several lines as ``$$`` … ``$$``; left as written when never closed."""
    end = next((i for i in range(index + 1, len(lines)) if "\\]" in lines[i].text), None)
    if end is None:
        out.append(lines[index])
        return index + 1
    first, last = lines[index], lines[end]
    closing = "$$".join(last.text.rsplit("\\]", 1))
    out.extend(
        [_Line(first.text.replace("\\[", "$$", 1), first.origin), *lines[index + 1 : end], _Line(closing, last.origin)]
    )
    return end + 1


def _fence_for(code: str) -> str:
    """Backticks enough to fence `code`: one more than its longest run, at least three."""
    longest = max((len(run) for run in re.findall(r"`+", code)), default=0)
    return "`" * max(3, longest + 1)


def _dedent(text: str, indent: str) -> str:
    return text[len(indent) :] if text.startswith(indent) else text.lstrip(" \t")


def _indented(lines: list[_Line], indent: str) -> list[_Line]:
    return [_Line(f"{indent}{line.text}" if line.text.strip() else "", line.origin) for line in lines]


def _strip_blank(lines: list[_Line]) -> list[_Line]:
    filled = [i for i, line in enumerate(lines) if line.text.strip()]
    return lines[filled[0] : filled[-1] + 1] if filled else []


# ---------------------------------------------------------------------------------------------------------------
# Conversion, inline: roles, LaTeX delimiters, images, macros


_OPEN_DETAILS = re.compile(r"^(\s*)\?\?\?\+")
_LATEX_DISPLAY_LINE = re.compile(r"^(\s*)\\\[(.*)\\\]\s*$")
_CODE_SPAN = re.compile(r"(?P<role>\{[A-Za-z][\w:.-]*\})?(?<!`)(?P<ticks>`+)(?P<code>.+?)(?<!`)(?P=ticks)(?!`)")
_INLINE_MATH = re.compile(r"\\\((.+?)\\\)")
_JINJA = re.compile(r"\{%.*?%\}|\{\{\s.*?\s\}\}")
_MARKDOWN_IMAGE = re.compile(
    r"!\[(?P<alt>[^\]\n]*)\]\(\s*(?P<target><[^>\n]*>|[^\s()]+)(?P<rest>(?:\s+(?:\"[^\"]*\"|'[^']*'))?\s*)\)"
)
_HTML_IMAGE = re.compile(r"(?P<head><img\b[^>]*?\bsrc\s*=\s*)(?P<quote>[\"'])(?P<target>[^\"'>]*)(?P=quote)", re.I)
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*):")


def _convert_line(text: str, origin: int, context: _Context) -> str:
    """One line outside code and math. Code spans are left alone unless a MyST role precedes them."""
    text = _OPEN_DETAILS.sub(r"\1???", text)
    text = _LATEX_DISPLAY_LINE.sub(lambda m: f"{m[1]}$${m[2]}$$", text)
    pieces: list[str] = []
    position = 0
    for span in _CODE_SPAN.finditer(text):
        pieces.append(_convert_text(text[position : span.start()], origin, context))
        pieces.append(_convert_role(span, origin, context))
        position = span.end()
    pieces.append(_convert_text(text[position:], origin, context))
    return "".join(pieces)


def _convert_role(span: re.Match[str], origin: int, context: _Context) -> str:
    if span["role"] is None:
        return span[0]
    name, code = span["role"][1:-1], span["code"]
    if name == "math":
        return f"${code}$"
    context.report(origin, f"MyST role {{{name}}} was not converted; kept as plain text")
    titled = re.fullmatch(r"(.*?)\s*<([^<>]+)>", code.strip())
    return (titled[1] or titled[2]) if titled else code.strip()


def _convert_text(text: str, origin: int, context: _Context) -> str:
    text = _INLINE_MATH.sub(lambda m: f"${m[1].strip()}$", text)
    for tag in _JINJA.finditer(text):
        context.report(origin, f"MkDocs macro {tag[0]} was not expanded; kept as text")
    text = _MARKDOWN_IMAGE.sub(lambda m: _rewrite_markdown_image(m, origin, context), text)
    return _HTML_IMAGE.sub(lambda m: _rewrite_html_image(m, origin, context), text)


def _rewrite_markdown_image(match: re.Match[str], origin: int, context: _Context) -> str:
    target = match["target"]
    bare = target[1:-1] if target.startswith("<") else target
    name = _image_name(bare, origin, context)
    return match[0] if name is None else f"![{match['alt']}]({name}{match['rest']})"


def _rewrite_html_image(match: re.Match[str], origin: int, context: _Context) -> str:
    name = _image_name(match["target"], origin, context)
    return match[0] if name is None else f"{match['head']}{match['quote']}{name}{match['quote']}"


def _image_name(target: str, origin: int, context: _Context) -> str | None:
    """The placeholder for a local image of the book; None (and a problem, mostly) to leave `target` as written."""
    scheme_match = _SCHEME.match(target)
    scheme = scheme_match[1].lower() if scheme_match else ""
    if target.startswith("//") or scheme in ("http", "https"):
        context.report(origin, f"remote image {target} not imported; it will not load offline")
        return None
    if scheme == "data":
        return None
    if scheme == "attachment":
        context.report(origin, f"notebook attachment {target} not imported")
        return None
    if scheme:
        context.report(origin, f"image {target} is not a file of the book; not imported")
        return None
    path_text = unquote(target.split("#", 1)[0].split("?", 1)[0])
    if PurePosixPath(path_text).suffix.lower() not in IMAGE_SUFFIXES:
        context.report(origin, f"image {target} is not a PNG, JPEG, GIF, SVG or WebP file; not imported")
        return None
    start = context.book.content_root if path_text.startswith("/") else context.base
    path = context.book.inside(start / path_text.lstrip("/"))
    if path is None:
        context.report(origin, f"image {target} is outside the book folder; not imported")
        return None
    if not path.is_file():
        context.report(origin, f"image {target} not found; reference left as written")
        return None
    return context.book.assets.placeholder(path)


def _figure_names(paths: list[Path]) -> dict[Path, str]:
    """``figures/<file>``; files that share a name get their folder's name in front, then a counter if need be."""
    counts: dict[str, int] = {}
    for path in paths:
        key = _safe_file_name(path.name).lower()
        counts[key] = counts.get(key, 0) + 1
    names: dict[Path, str] = {}
    taken: set[str] = set()
    for path in paths:
        name = _safe_file_name(path.name)
        if counts[name.lower()] > 1:
            name = _safe_file_name(f"{path.parent.name}-{path.name}")
        stem, suffix = os.path.splitext(name)
        number = 1
        while name.lower() in taken:
            number += 1
            name = f"{stem}-{number}{suffix}"
        taken.add(name.lower())
        names[path] = f"figures/{name}"
    return names


def _safe_file_name(name: str) -> str:
    """Letters, digits, ".", "_" and "-" only, so the name needs no escaping in Markdown or a URL."""
    stem, suffix = os.path.splitext(name)
    return (re.sub(r"[^A-Za-z0-9._-]+", "-", stem).strip(".-") or "figure") + suffix.lower()


# ---------------------------------------------------------------------------------------------------------------
# Splitting a page into its title, its preamble and its "##" sections; assembling chapters


@dataclass
class _RawSection:
    heading: _Line
    title: str
    slug: str | None
    lines: list[_Line] = field(default_factory=list)


@dataclass
class _Parsed:
    page: _Page
    title: str | None = None
    title_slug: str | None = None
    preamble: list[_Line] = field(default_factory=list)
    sections: list[_RawSection] = field(default_factory=list)
    untitled: list[_Line] = field(default_factory=list)  # every line but the title: a landing page's description


_HEADING = re.compile(r"^ {0,3}(?P<marks>##?)(?:[ \t]+(?P<text>.*))?$")
_SLUG_ATTRIBUTE = re.compile(r"\s*\{:?\s*#(?P<slug>[A-Za-z0-9_-]+)\s*\}\s*$")
_CLOSING_HASHES = re.compile(r"(?:^|\s+)#+\s*$")


def _split(page: _Page, assets: _Assets) -> _Parsed:
    page.lines = assets.resolve_lines(page.lines)
    parsed = _Parsed(page)
    blocks = _Blocks()
    for line in page.lines:
        heading = None if blocks.feed(line.text) else _HEADING.match(line.text)
        level = len(heading["marks"]) if heading else 0
        if heading and level == 1 and parsed.title is None and not parsed.sections:
            parsed.title, parsed.title_slug = _heading_parts(heading["text"])
            continue
        parsed.untitled.append(line)
        if heading and level == 2:
            parsed.sections.append(_RawSection(line, *_heading_parts(heading["text"])))
            continue
        if level == 1:
            page.context.report(line.origin, "a second level-1 heading stays in the text; only the first is a title")
        (parsed.sections[-1].lines if parsed.sections else parsed.preamble).append(line)
    return parsed


def _heading_parts(text: str | None) -> tuple[str, str | None]:
    """The title and the ``{#slug}`` of a heading's text."""
    text = (text or "").strip()
    attribute = _SLUG_ATTRIBUTE.search(text)
    if attribute:
        text = text[: attribute.start()]
    title = _CLOSING_HASHES.sub("", text).strip()
    return title or "Untitled", attribute["slug"] if attribute else None


@dataclass
class _Draft:
    section: SectionData
    context: _Context
    origin: int


def _chapter(plan: _ChapterPlan, parsed: dict[Path, _Parsed]) -> ChapterData:
    head = parsed[plan.head] if plan.head else None
    title = plan.title or (head.page.front.title or head.title if head else None) or plan.fallback_title
    slug = (head.page.front.slug or head.title_slug if head else None) or slugify(title)
    drafts = [
        draft
        for path in plan.files
        for draft in _file_sections(parsed[path], path == plan.head, plan.file_titles.get(path))
    ]
    source = parsed[plan.head or plan.files[0]].page.context.rel
    return ChapterData(title, slug, _sections_with_unique_slugs(drafts, slug), source)


def _file_sections(file: _Parsed, is_head: bool, nav_title: str | None) -> list[_Draft]:
    context, front = file.page.context, file.page.front
    has_preamble = any(line.text.strip() for line in file.preamble)
    drafts = []
    if is_head and has_preamble:
        origin = next(line.origin for line in file.preamble if line.text.strip())
        drafts.append(_draft(INTRODUCTION, slugify(INTRODUCTION), file.preamble, context, origin))
    elif not is_head and (has_preamble or not file.sections):
        title = nav_title or front.title or file.title or _humanise(PurePosixPath(context.rel).name)
        slug = front.slug or file.title_slug or slugify(title)
        drafts.append(_draft(title, slug, file.preamble, context, 1))
    drafts.extend(
        _draft(s.title, s.slug or slugify(s.title), s.lines, context, s.heading.origin) for s in file.sections
    )
    if front.objectives and len(drafts) == 1:
        drafts[0].section.objectives[:0] = front.objectives
    elif front.objectives:
        context.report(1, f"front matter objectives ignored: the file makes {len(drafts)} sections, not one")
    return drafts


_OBJECTIVES = re.compile(r"^ {0,3}!!!\s+objectives(?:\s+\"[^\"]*\")?\s*$")
_OBJECTIVE_ITEM = re.compile(r"^(?: {4}|\t)\s*(?:[-*+]|\d+[.)])\s+(?P<text>.*)$")
_INDENTED = re.compile(r"^(?: {4}|\t)")


def _draft(title: str, slug: str, lines: list[_Line], context: _Context, origin: int) -> _Draft:
    objectives, rest = _take_objectives(lines, context)
    blocks = _Blocks()
    for line in rest:
        if not blocks.feed(line.text) and _OBJECTIVES.match(line.text):
            context.report(line.origin, 'objectives block not directly after a "##" heading; kept as an admonition')
    body = normalise_body("\n".join(line.text for line in rest))
    return _Draft(SectionData(title, slug, body, objectives), context, origin)


def _take_objectives(lines: list[_Line], context: _Context) -> tuple[list[str], list[_Line]]:
    """The bullets of an ``!!! objectives`` block that opens the section, and the lines without it. A blank line
    ends the block unless an indented bullet follows, so indented code after it stays in the body."""
    start = next((i for i, line in enumerate(lines) if line.text.strip()), None)
    if start is None or not _OBJECTIVES.match(lines[start].text):
        return [], lines
    items: list[str] = []
    index = start + 1
    while index < len(lines):
        text = lines[index].text
        if not text.strip():
            following = next((line for line in lines[index:] if line.text.strip()), None)
            if following is None or not _OBJECTIVE_ITEM.match(following.text):
                break
        elif not _INDENTED.match(text):
            break
        elif item := _OBJECTIVE_ITEM.match(text):
            items.append(_one_line(item["text"]))
        elif items:
            items[-1] = f"{items[-1]} {_one_line(text)}"
        else:
            context.report(lines[index].origin, "text in an objectives block before its first bullet dropped")
        index += 1
    return items, lines[index:]


def _sections_with_unique_slugs(drafts: list[_Draft], chapter_slug: str) -> list[SectionData]:
    for draft, slug in zip(drafts, _unique([draft.section.slug for draft in drafts]), strict=True):
        if slug != draft.section.slug:
            message = f"duplicate section slug {draft.section.slug!r} in chapter {chapter_slug!r}; renamed {slug!r}"
            draft.context.report(draft.origin, message)
            draft.section.slug = slug
    return [draft.section for draft in drafts]


def _questions(book: _Book, chapters: list[ChapterData]) -> tuple[list[QuestionData], list[Problem]]:
    """The valid questions of `questions/*.yml`, each file matched to a chapter by its source file's stem."""
    by_stem: dict[str, tuple[str, set[str]]] = {}
    problems = []
    for chapter in chapters:
        stem = question_file_stem(chapter.source)
        if stem not in by_stem:
            by_stem[stem] = (chapter.slug, {section.slug for section in chapter.sections})
        elif (book.root / QUESTIONS_FOLDER / f"{stem}.yml").is_file():
            first = by_stem[stem][0]
            message = f"chapters {first!r} and {chapter.slug!r} both match this file; its questions go to {first!r}"
            problems.append(Problem(f"{QUESTIONS_FOLDER}/{stem}.yml", 1, message))
    questions, bad = load_bank(book.root, by_stem)
    return questions, problems + [Problem(file, line, message) for file, line, message in bad]


def question_file_stem(source: str) -> str:
    """The stem of the questions file of the chapter read from `source`: "03-sampling.md" -> "03-sampling";
    "filters/index.md" -> "filters" (a folder's index or README stands for the folder)."""
    path = PurePosixPath(source)
    return path.parent.name if path.name in LANDING_NAMES and path.parent.name else path.stem


def _make_chapter_slugs_unique(book: _Book, chapters: list[ChapterData], plans: list[_ChapterPlan]) -> None:
    for chapter, plan, slug in zip(chapters, plans, _unique([c.slug for c in chapters]), strict=True):
        if slug != chapter.slug:
            where = book.rel(plan.head or plan.files[0])
            book.problems.append(Problem(where, 1, f"duplicate chapter slug {chapter.slug!r}; renamed {slug!r}"))
            chapter.slug = slug


def _unique(slugs: list[str]) -> list[str]:
    """The same slugs, a later duplicate getting "-2", "-3"…"""
    taken: set[str] = set()
    unique = []
    for slug in slugs:
        candidate, number = slug, 1
        while candidate in taken:
            number += 1
            candidate = f"{slug}-{number}"
        taken.add(candidate)
        unique.append(candidate)
    return unique


def _description(book: _Book, layout: _Layout, configured: list[_Line], landing: _Parsed | None) -> str:
    """The config's description, else the landing page's front matter description, else its text."""
    description = normalise_body("\n".join(line.text for line in configured))
    if landing is None:
        return description
    text = landing.page.front.description or normalise_body("\n".join(line.text for line in landing.untitled))
    if description and text:
        landing.page.context.report(1, f"landing page text not imported: the description comes from {layout.config}")
    return description or text


# ---------------------------------------------------------------------------------------------------------------
# Small helpers


def _humanise(name: str) -> str:
    """A title from a file or folder name: "02-time_invariance.md" -> "Time invariance"."""
    stem = PurePosixPath(name).stem if PurePosixPath(name).suffix.lower() in SOURCE_SUFFIXES else name
    words = re.sub(r"[-_]+", " ", re.sub(r"^\d+[-_. ]+", "", stem)).strip() or stem
    return words[:1].upper() + words[1:] if words else "Untitled"


def _explicit_slug(text: str) -> str:
    """A slug someone wrote: kept when it is one, slugified when it is not."""
    return text if re.fullmatch(r"[A-Za-z0-9_-]+", text) else slugify(text)


def _text(value: Any) -> str:
    return "" if value is None or isinstance(value, dict | list) else str(value).strip()


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _plain_lines(text: str) -> list[_Line]:
    return [_Line(line, 1) for line in text.split("\n")]


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _dig(data: Any, *keys: str) -> Any:
    for key in keys:
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    return data
