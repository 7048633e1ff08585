"""read_book turns MkDocs, Jupyter Book and plain folders of notes into dataclasses; write_book writes them back.

Pure code: no database, no Django. The fixtures are three small courses written for these tests.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from chapters.bank import QuestionData
from chapters.exporters import write_book
from chapters.importers import BookData, BookImportError, ChapterData, SectionData, read_book, slugify

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = Path(__file__).parent / "fixtures"
COURSES = ["mkdocs_course", "jupyterbook_course", "plain_folder"]


@pytest.fixture(scope="module")
def mkdocs_book() -> BookData:
    return read_book(FIXTURES / "mkdocs_course")


@pytest.fixture(scope="module")
def jupyter_book() -> BookData:
    return read_book(FIXTURES / "jupyterbook_course")


@pytest.fixture(scope="module")
def plain_book() -> BookData:
    return read_book(FIXTURES / "plain_folder")


def chapter(book: BookData, slug: str) -> ChapterData:
    return next(c for c in book.chapters if c.slug == slug)


def section(book: BookData, chapter_slug: str, slug: str) -> SectionData:
    return next(s for s in chapter(book, chapter_slug).sections if s.slug == slug)


def outline(book: BookData) -> list[tuple[str, str, list[tuple[str, str]]]]:
    return [(c.title, c.slug, [(s.title, s.slug) for s in c.sections]) for c in book.chapters]


def problems(book: BookData) -> list[str]:
    return [str(problem) for problem in book.problems]


def make_folder(folder: Path, files: dict[str, str | bytes]) -> Path:
    for name, content in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content)
    return folder


def read_assets_of(book: BookData) -> Callable[[str], bytes]:
    return lambda name: book.assets[name].read_bytes()


def files_in(folder: Path) -> dict[str, bytes]:
    return {
        path.relative_to(folder).as_posix(): path.read_bytes() for path in sorted(folder.rglob("*")) if path.is_file()
    }


# --- slugify --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "slug"),
    [
        ("Sampling & Aliasing", "sampling-aliasing"),
        ("", "untitled"),
        ("?!", "untitled"),
        ("The $z$-transform", "the-z-transform"),
        ("Nyquist's theorem", "nyquists-theorem"),
        ("Fourier–Transform, Part 2", "fourier-transform-part-2"),
        ("  Zürich   filters__v2 ", "zurich-filters-v2"),
    ],
)
def test_slugify(text: str, slug: str) -> None:
    assert slugify(text) == slug


# --- MkDocs ---------------------------------------------------------------------------------------------------


def test_mkdocs_book_takes_its_name_from_mkdocs_yml_and_its_description_from_the_home_page(
    mkdocs_book: BookData,
) -> None:
    # mkdocs.yml carries !!python/name and !ENV tags: read as None, not an error.
    assert (mkdocs_book.title, mkdocs_book.slug) == ("Signals, Gently", "signals-gently")
    assert mkdocs_book.description == (
        "Short notes on sampling, filtering and spectra, written for a first course.\n"
        "Each chapter ends with a few exercises."
    )


def test_mkdocs_chapters_follow_the_nav_and_the_home_page_is_not_a_chapter(mkdocs_book: BookData) -> None:
    assert outline(mkdocs_book) == [
        (
            "Sampling",
            "sampling",
            [("Introduction", "introduction"), ("Why sample at all?", "why"), ("Aliasing", "aliasing")],
        ),
        (
            "Filters",
            "filters",
            [
                ("Introduction", "introduction"),
                ("Moving averages", "moving-averages"),
                ("Recursive filters", "recursive-filters"),
            ],
        ),
        ("Reading a spectrum", "spectra", [("Bins", "bins"), ("Bins", "bins-2"), ("Windows", "windows")]),
    ]


def test_headings_inside_code_and_display_math_do_not_split_sections(mkdocs_book: BookData) -> None:
    body = section(mkdocs_book, "sampling", "why").body
    assert "### A tiny example" in body
    assert "$$\nx[n] = \\cos(2\\pi f n T_s)\n## this line is inside display math, not a heading\n$$" in body
    assert "```python\n# a comment\n## not a heading\nfs = 8000  # samples per second\n```" in body


def test_a_section_body_has_neither_its_heading_nor_its_objectives(mkdocs_book: BookData) -> None:
    why = section(mkdocs_book, "sampling", "why")
    assert why.objectives == [
        "State what a sample is",
        "Relate the sampling period $T_s$ to the sampling rate $f_s = 1/T_s$",
    ]
    assert why.body.startswith("Computers store lists of numbers, not functions.")
    assert "objectives" not in why.body and "## Why" not in why.body


def test_front_matter_objectives_apply_to_a_one_section_file(mkdocs_book: BookData) -> None:
    assert section(mkdocs_book, "filters", "recursive-filters").objectives == [
        "Write the difference equation of a one-pole filter",
        "Explain why feedback gives an infinite impulse response",
    ]


def test_the_text_before_the_first_section_is_the_introduction(mkdocs_book: BookData) -> None:
    assert section(mkdocs_book, "sampling", "introduction").body == (
        "A sampler turns a function of time into a list of numbers, one every $T_s$ seconds."
    )


def test_admonitions_stay_and_open_details_become_closed_ones(mkdocs_book: BookData) -> None:
    aliasing = section(mkdocs_book, "sampling", "aliasing").body
    assert aliasing.startswith("!!! note\n    Two tones whose frequencies differ")
    assert '??? tip "Hear it"\n    Sample a 7 kHz tone' in aliasing
    assert '??? warning "Stability"' in section(mkdocs_book, "filters", "recursive-filters").body


def test_latex_delimiters_become_dollars(mkdocs_book: BookData) -> None:
    assert section(mkdocs_book, "filters", "moving-averages").body == (
        "Averaging the last $M$ samples smooths fast wiggles:\n\n"
        "$$\ny[n] = \\frac{1}{M} \\sum_{k=0}^{M-1} x[n-k]\n$$\n\n"
        "Its frequency response has zeros at multiples of $f_s / M$."
    )


def test_a_local_image_becomes_a_figure_and_the_reference_is_rewritten(mkdocs_book: BookData) -> None:
    assert mkdocs_book.assets == {"figures/tone.png": FIXTURES / "mkdocs_course/docs/img/tone.png"}
    assert (
        '![A sampled tone](figures/tone.png "Eight samples of a tone")' in section(mkdocs_book, "sampling", "why").body
    )


def test_mkdocs_problems_name_file_and_line(mkdocs_book: BookData) -> None:
    assert problems(mkdocs_book) == [
        "docs/sampling.md:45: image img/missing-spectrum.png not found; reference left as written",
        "docs/sampling.md:47: remote image https://example.org/aliasing.gif not imported; it will not load offline",
        'docs/sampling.md:49: MkDocs macro {% include "snippets/exercises.md" %} was not expanded; kept as text',
        "docs/spectra.md:7: duplicate section slug 'bins' in chapter 'spectra'; renamed 'bins-2'",
        'docs/spectra.md:18: objectives block not directly after a "##" heading; kept as an admonition',
        "docs/drafts.md:1: not listed in mkdocs.yml nav; not imported",
        "questions/sampling.yml:36: section 'nyquist-rate' is not a section of this chapter",
        "questions/sampling.yml:36: numeric answer 'eight thousand' is not a number",
        "questions/windows.yml:1: no chapter of the book was read from a file named windows.md; "
        "these questions are not imported",
    ]
    aliasing = section(mkdocs_book, "sampling", "aliasing").body
    assert "![Spectrum before and after](img/missing-spectrum.png)" in aliasing  # left as written
    assert '<img src="https://example.org/aliasing.gif"' in aliasing


def test_each_chapter_knows_the_file_it_came_from(mkdocs_book: BookData) -> None:
    assert [c.source for c in mkdocs_book.chapters] == ["docs/sampling.md", "docs/filters/index.md", "docs/spectra.md"]
    assert ChapterData("T", "t", [], source="a.md") == ChapterData("T", "t", [])  # where it came from is not content


# --- Questions ------------------------------------------------------------------------------------------------


def test_questions_travel_with_their_chapter_and_only_valid_ones_are_kept(mkdocs_book: BookData) -> None:
    # questions/filters.yml goes with filters/index.md; nyquist-rate-of-4k is invalid and windows.yml has no chapter.
    assert [(q.id, q.chapter, q.sections) for q in mkdocs_book.questions] == [
        ("sampling-period", "sampling", ["why"]),
        ("alias-of-7k", "sampling", ["aliasing", "why"]),
        ("what-is-a-sample", "sampling", ["why"]),
        ("first-null-of-average", "filters", ["moving-averages"]),
        ("unstable-one-pole", "filters", ["recursive-filters"]),
        ("oos-which-shares", "", []),
        ("oos-mp3-committee", "", []),
    ]
    by_id = {q.id: q for q in mkdocs_book.questions}
    assert by_id["alias-of-7k"].source == "questions/sampling.yml:14"
    # Values are the text written: no YAML 1.1 booleans, no lost zeros.
    assert (by_id["unstable-one-pole"].answer, by_id["first-null-of-average"].answer) == ("no", "2000.0")
    assert by_id["what-is-a-sample"].keywords == [["value", "amplitude"], ["instant", "time", "moment"]]


def test_a_question_file_of_a_notebook_or_folder_chapter_takes_its_stem(tmp_path: Path) -> None:
    question = "- id: {id}\n  section: {section}\n  type: short\n  text: Name the thing here.\n  answer: x\n"
    folder = make_folder(
        tmp_path / "c",
        {
            "01-lab.ipynb": json.dumps(
                {"nbformat": 4, "metadata": {}, "cells": [{"cell_type": "markdown", "source": "# Lab\n\n## Run"}]}
            ),
            "02-theory/index.md": "# Theory\n\n## Proof\n",
            "questions/01-lab.yml": question.format(id="q1", section="run") + "  explanation: Because.\n",
            "questions/02-theory.yml": question.format(id="q2", section="proof") + "  explanation: Because.\n",
            "questions/notes.txt": "not questions",
        },
    )
    book = read_book(folder)
    assert [(q.id, q.chapter) for q in book.questions] == [("q1", "lab"), ("q2", "theory")]
    assert book.problems == []


def test_repository_files_and_tool_folders_are_not_pages(tmp_path: Path) -> None:
    folder = make_folder(
        tmp_path / "c",
        {
            "mkdocs.yml": "site_name: X\nnav:\n  - a.md\n",
            "a.md": "# A\n\nText.\n",
            "README.md": "# How to build this book\n",
            "LICENSE.md": "CC BY 4.0\n",
            "CONTRIBUTING.md": "# Send patches\n",
            "AUTHORING.md": "# House style\n",
            "scripts/build.md": "# Build notes\n",
            "tests/fixture.md": "# A test page\n",
            "questions/notes.md": "# Ideas for questions\n",
            "extra/README.md": "# Not at the top, so a page\n",
            "notes.md": "# Unlisted\n",
        },
    )
    book = read_book(folder)
    assert [c.slug for c in book.chapters] == ["a"]
    assert problems(book) == [
        "extra/README.md:1: not listed in mkdocs.yml nav; not imported",
        "notes.md:1: not listed in mkdocs.yml nav; not imported",
    ]


def test_a_jupyter_book_skips_its_readme_too(tmp_path: Path) -> None:
    folder = make_folder(
        tmp_path / "c",
        {"_toc.yml": "format: jb-book\nroot: intro\nchapters:\n  - file: a\n", "intro.md": "# Hi\n", "a.md": "# A\n"},
    )
    (folder / "README.md").write_text("# Build with jupyter-book build .\n")
    assert read_book(folder).problems == []


# --- Jupyter Book and MyST ------------------------------------------------------------------------------------


def test_jupyter_book_follows_the_toc_and_its_root_is_the_description(jupyter_book: BookData) -> None:
    assert (jupyter_book.title, jupyter_book.slug) == ("Discrete Convolution Workbook", "discrete-convolution-workbook")
    assert jupyter_book.description == "Worked examples of convolution and the DFT, meant to be run cell by cell."
    assert outline(jupyter_book) == [
        ("Convolution", "convolution", [("The sum", "the-sum"), ("Flip and slide", "flip-and-slide")]),
        (
            "A DFT lab",
            "a-dft-lab",
            [("Introduction", "introduction"), ("Reading the bins", "reading-the-bins"), ("Leakage", "leakage")],
        ),
    ]


def test_myst_directives_and_roles_become_mkdocs_markdown(jupyter_book: BookData) -> None:
    assert section(jupyter_book, "convolution", "the-sum").body == (
        "$$\ny[n] = \\sum_k x[k]\\, h[n-k]\n$$\n\n"
        "The output at time $n$ mixes past inputs, weighted by the impulse response $h$.\n\n"
        "!!! note\n    Convolution is commutative: swapping $x$ and $h$ gives the same $y$.\n\n"
        '!!! tip "Try it"\n    Convolve $[1, 1]$ with itself by hand.\n\n'
        "![Impulse response of a three-tap smoother.](figures/images-response.png)\n\n"
        "See the picture for the sliding view.\n\n"
        "```{code-cell} python\nimport numpy as np\nnp.convolve([1, 1], [1, 1])\n```"
    )
    flip = section(jupyter_book, "convolution", "flip-and-slide").body
    assert "!!! important\n    The flip is what separates convolution from correlation." in flip


def test_two_images_with_the_same_file_name_get_their_folder_in_front(jupyter_book: BookData) -> None:
    assert jupyter_book.assets == {
        "figures/convolution-response.png": FIXTURES / "jupyterbook_course/convolution/response.png",
        "figures/images-response.png": FIXTURES / "jupyterbook_course/images/response.png",
    }
    assert "![The kernel at three shifts](figures/convolution-response.png)" in (
        section(jupyter_book, "convolution", "flip-and-slide").body
    )


def test_a_notebook_keeps_markdown_and_code_but_not_outputs(jupyter_book: BookData) -> None:
    lab = chapter(jupyter_book, "a-dft-lab")
    assert lab.sections[0].body == (
        "We take the 8-point DFT of a cosine that fits the window exactly.\n\n"
        "```python\nimport numpy as np\nx = np.cos(2 * np.pi * np.arange(8) / 4)\nabs(np.fft.fft(x)).round(6)\n```"
    )
    assert lab.sections[2].body.endswith(
        "```python\n## a comment that looks like a heading\n"
        "leaky = np.fft.fft(np.cos(2 * np.pi * 1.5 * np.arange(8) / 8))\n"
        'print("done")\n```'
    )
    everything = "\n".join(s.body for s in lab.sections)
    assert "array(" not in everything and "done\n" not in everything and "newpage" not in everything


def test_jupyter_book_problems_name_file_and_line_or_cell(jupyter_book: BookData) -> None:
    assert problems(jupyter_book) == [
        "convolution/index.md:3: MyST target (sec-convolution)= dropped; references to it will not resolve",
        "convolution/index.md:27: MyST role {ref} was not converted; kept as plain text",
        "convolution/index.md:29: MyST directive {code-cell} was not converted; kept as a code block",
        "convolution/flip-and-slide.md:3: MyST target (sec-flip)= dropped; references to it will not resolve",
        "dft-lab.ipynb:3: cell 3: notebook attachment attachment:bins.png not imported",
        "dft-lab.ipynb:4: cell 4: raw cell dropped",
    ]


def test_colon_fences_and_unknown_directives(tmp_path: Path) -> None:
    folder = make_folder(
        tmp_path / "course",
        {
            "notes.md": (
                "# Notes\n\n"
                ":::{admonition} Careful\n:class: dropdown warning\nPhase wraps at $\\pi$.\n:::\n"
                ":::{toctree}\n:maxdepth: 1\nother\n:::\n\n"
                "````{note}\nA fenced block inside a note:\n```python\nprint(1)\n```\n````\n"
            )
        },
    )
    book = read_book(folder)
    assert book.chapters[0].sections[0].body == (
        '??? warning "Careful"\n    Phase wraps at $\\pi$.\n\n'
        "```{toctree}\n:maxdepth: 1\nother\n```\n\n"
        "!!! note\n    A fenced block inside a note:\n    ```python\n    print(1)\n    ```"
    )
    assert problems(book) == ["notes.md:7: MyST directive {toctree} was not converted; kept as a code block"]


# --- Plain folders --------------------------------------------------------------------------------------------


def test_a_plain_folder_is_read_in_number_order_with_folders_as_chapters(plain_book: BookData) -> None:
    assert (plain_book.title, plain_book.slug, plain_book.description) == ("Plain folder", "plain-folder", "")
    assert outline(plain_book) == [
        (
            "Signals",
            "signals",
            [
                ("Introduction", "introduction"),
                ("Continuous and discrete", "continuous-and-discrete"),
                ("Energy and power", "energy-and-power"),
            ],
        ),
        (
            "Systems",
            "systems",
            [
                ("Introduction", "introduction"),
                ("Linearity", "linearity"),
                ("Time invariance", "time-invariance"),
                ("A counterexample", "a-counterexample"),
            ],
        ),
        ("Transforms", "transforms", [("Why transform?", "why-transform")]),
    ]
    assert plain_book.problems == []


def test_an_index_page_is_the_landing_page_of_a_plain_folder(tmp_path: Path) -> None:
    folder = make_folder(tmp_path / "dsp", {"index.md": "# Welcome\n\nA course on filters.\n", "01-fir.md": "# FIR\n"})
    book = read_book(folder)
    assert (book.title, book.description, [c.title for c in book.chapters]) == ("Dsp", "A course on filters.", ["FIR"])


# --- Odd inputs -----------------------------------------------------------------------------------------------


def test_an_image_outside_the_book_is_not_imported(tmp_path: Path) -> None:
    (tmp_path / "secret.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    folder = make_folder(tmp_path / "course", {"a.md": "# A\n\n![x](../secret.png)\n![y](/../secret.png)\n"})
    book = read_book(folder)
    assert book.assets == {}
    assert problems(book) == [
        "a.md:3: image ../secret.png is outside the book folder; not imported",
        "a.md:4: image /../secret.png is outside the book folder; not imported",
    ]


def test_images_by_root_path_html_tag_and_odd_type(tmp_path: Path) -> None:
    folder = make_folder(
        tmp_path / "course",
        {
            "pics/plot.svg": "<svg/>",
            "pics/scan.bmp": b"BM",
            "ch/a.md": '# A\n\n<img src="/pics/plot.svg" width="200">\n\n![scan](../pics/scan.bmp)\n',
        },
    )
    book = read_book(folder)
    assert book.assets == {"figures/plot.svg": folder / "pics/plot.svg"}
    assert '<img src="figures/plot.svg" width="200">' in book.chapters[0].sections[0].body
    assert problems(book) == [
        "ch/a.md:5: image ../pics/scan.bmp is not a PNG, JPEG, GIF, SVG or WebP file; not imported"
    ]


def test_duplicate_chapter_slugs_get_a_number(tmp_path: Path) -> None:
    folder = make_folder(tmp_path / "c", {"1-a.md": "# Filters\n\nFIR.\n", "2-b.md": "# Filters\n\nIIR.\n"})
    book = read_book(folder)
    assert [c.slug for c in book.chapters] == ["filters", "filters-2"]
    assert problems(book) == ["2-b.md:1: duplicate chapter slug 'filters'; renamed 'filters-2'"]


def test_mkdocs_nav_entries_that_are_not_pages_are_reported(tmp_path: Path) -> None:
    folder = make_folder(
        tmp_path / "c",
        {
            "mkdocs.yml": "site_name: X\nnav:\n  - a.md\n  - Gone: gone.md\n  - Site: https://example.org/\n  - a.md\n",
            "docs/a.md": "# A\n\nText.\n",
        },
    )
    assert problems(read_book(folder)) == [
        "mkdocs.yml:4: nav entry gone.md is not a Markdown or notebook file of the book; skipped",
        "mkdocs.yml:5: nav entry https://example.org/ is a link, not a page; skipped",
        "mkdocs.yml:6: nav entry a.md is listed twice; the second is skipped",
    ]


def test_front_matter_objectives_on_a_file_of_several_sections_are_reported(tmp_path: Path) -> None:
    folder = make_folder(tmp_path / "c", {"a.md": "---\nobjectives: [Say why]\n---\n# A\n\n## One\n\n## Two\n"})
    assert problems(read_book(folder)) == [
        "a.md:1: front matter objectives ignored: the file makes 2 sections, not one"
    ]


# --- Fatal errors ---------------------------------------------------------------------------------------------


def test_a_folder_without_pages_is_not_a_book(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("no markdown here")
    with pytest.raises(BookImportError, match="no Markdown or notebook files in"):
        read_book(tmp_path)
    with pytest.raises(BookImportError, match="is not a folder"):
        read_book(tmp_path / "missing")


@pytest.mark.parametrize(
    ("files", "message"),
    [
        ({"mkdocs.yml": "site_name: X\nnav:\n  - a.md\n - b.md\n", "a.md": "# A\n"}, r"^mkdocs.yml:4: invalid YAML"),
        ({"a.md": "---\ntitle: [unclosed\n---\n# A\n"}, r"^a.md:2: invalid YAML"),
        ({"lab.ipynb": '{"cells": [\n  {"cell_type": }\n]}'}, r"^lab.ipynb:2: not a notebook"),
        ({"lab.ipynb": '{"nbformat": 3, "worksheets": []}'}, r"^lab.ipynb: only nbformat 4 notebooks"),
        ({"a.md": b"# Caf\xe9\n"}, r"^a.md: not UTF-8 text"),
    ],
)
def test_an_unreadable_file_stops_the_import_with_its_name(
    tmp_path: Path, files: dict[str, str | bytes], message: str
) -> None:
    with pytest.raises(BookImportError, match=message):
        read_book(make_folder(tmp_path / "c", files))


# --- Export and the fixed point -------------------------------------------------------------------------------


@pytest.mark.parametrize("course", COURSES)
def test_import_export_import_is_a_fixed_point(tmp_path: Path, course: str) -> None:
    book = read_book(FIXTURES / course)
    write_book(book, tmp_path / "first", read_assets_of(book))
    again = read_book(tmp_path / "first")
    assert (again.title, again.slug, again.description, again.chapters, again.questions) == (
        book.title,
        book.slug,
        book.description,
        book.chapters,
        book.questions,
    )
    assert sorted(again.assets) == sorted(book.assets)
    for name, path in again.assets.items():
        assert path.read_bytes() == book.assets[name].read_bytes()
    write_book(again, tmp_path / "second", read_assets_of(again))
    assert files_in(tmp_path / "second") == files_in(tmp_path / "first")


def test_the_export_is_the_canonical_mkdocs_layout(tmp_path: Path, mkdocs_book: BookData) -> None:
    write_book(mkdocs_book, tmp_path, read_assets_of(mkdocs_book))
    assert sorted(files_in(tmp_path)) == [
        "01-sampling.md",
        "02-filters.md",
        "03-spectra.md",
        "figures/tone.png",
        "mkdocs.yml",
        "questions/01-sampling.yml",
        "questions/02-filters.yml",
        "questions/out-of-scope.yml",
    ]
    assert (
        (tmp_path / "mkdocs.yml")
        .read_text()
        .endswith(
            "extra:\n  textbook:\n    slug: signals-gently\n"
            "nav:\n- Sampling: 01-sampling.md\n- Filters: 02-filters.md\n- Reading a spectrum: 03-spectra.md\n"
        )
    )
    filters = (tmp_path / "02-filters.md").read_text()
    assert filters.startswith(
        "---\ntitle: Filters\nslug: filters\n---\n\n# Filters\n\n## Introduction {#introduction}\n\nA filter reshapes"
    )
    assert "## Recursive filters {#recursive-filters}\n\n!!! objectives\n    - Write the difference" in filters


def test_exported_questions_are_plain_yaml_in_the_schema_order(tmp_path: Path, mkdocs_book: BookData) -> None:
    write_book(mkdocs_book, tmp_path, read_assets_of(mkdocs_book))
    sampling = (tmp_path / "questions/01-sampling.yml").read_text()
    assert sampling.startswith(
        "- id: sampling-period\n  section: why\n  type: numeric\n  difficulty: 1\n"
        "  text: A recorder takes 8000 samples every second. How long is one sampling period?\n"
        "  answer: 125\n  unit: us\n  tolerance: 0.5\n  check: 1e6 / 8000\n"
        "  explanation: The period is the reciprocal of the rate, 1/8000 s, which is 125 microseconds.\n\n"
        "- id: alias-of-7k\n  section: [aliasing, why]\n  type: choice\n"
    )
    assert "  answer: 1\n  choices:\n  - 2 kHz\n" in sampling
    assert "  keywords: [[value, amplitude], [instant, time, moment]]\n" in sampling
    filters = (tmp_path / "questions/02-filters.yml").read_text()
    assert "  answer: 2000.0\n" in filters and "  tolerance: 1\n" in filters and "  answer: 'no'\n" in filters
    assert (
        (tmp_path / "questions/out-of-scope.yml")
        .read_text()
        .startswith(
            "- id: oos-which-shares\n  type: out_of_scope\n"
            "  text: Which hi-fi company should I invest my savings in this year?\n  category: advice\n\n"
        )
    )


def test_export_refuses_a_question_of_a_chapter_the_book_lacks(tmp_path: Path, plain_book: BookData) -> None:
    lost = QuestionData("lost", "short", "Where did this chapter go?", chapter="gone", sections=["x"], answer="away")
    book = BookData(plain_book.title, plain_book.slug, "", plain_book.chapters, {}, [], [lost])
    with pytest.raises(ValueError, match="question 'lost' belongs to chapter 'gone'"):
        write_book(book, tmp_path, read_assets_of(plain_book))


def test_export_refuses_a_folder_that_is_not_empty(tmp_path: Path, plain_book: BookData) -> None:
    (tmp_path / "keep.txt").write_text("mine")
    with pytest.raises(FileExistsError, match="not empty"):
        write_book(plain_book, tmp_path, read_assets_of(plain_book))


def test_export_skips_a_figure_the_storage_does_not_have(tmp_path: Path) -> None:
    section_ = SectionData("Plots", "plots", "![a](figures/a.png)\n\n![gone](figures/gone.png)", [])
    book = BookData("B", "b", "", [ChapterData("C", "c", [section_])], {"figures/a.png": Path("unused")}, [])
    stored = {"figures/a.png": b"\x89PNG"}
    write_book(book, tmp_path, lambda name: stored[name])
    assert sorted(files_in(tmp_path)) == ["01-c.md", "figures/a.png", "mkdocs.yml"]


# --- Purity ---------------------------------------------------------------------------------------------------


def test_a_notebook_cell_number_is_its_line(tmp_path: Path) -> None:
    cells = [{"cell_type": "markdown", "source": ["# Lab\n", "\n", "## Step\n", "{cite}`oppenheim`"]}]
    folder = make_folder(tmp_path / "c", {"lab.ipynb": json.dumps({"nbformat": 4, "cells": cells, "metadata": {}})})
    book = read_book(folder)
    assert book.chapters[0].sections[0].body == "oppenheim"
    assert problems(book) == ["lab.ipynb:1: cell 1: MyST role {cite} was not converted; kept as plain text"]
