"""chunk_section cuts a section's Markdown into retrieval chunks without breaking math, code, tables or headings.

Pure code: no database. The first half checks invariants over every section of the real book in `content/`; the
second half tells small stories with made-up sections.
"""

from __future__ import annotations

import itertools
import re
import statistics
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from chapters.chunking import Chunk, SectionSource, chunk_section, demo_summary
from chapters.importers import read_book

ROOT = Path(__file__).resolve().parents[2]
MAX_WORDS = 350
MIN_WORDS = 150

Chunked = list[tuple[SectionSource, list[Chunk]]]


@pytest.fixture(scope="module")
def book() -> Chunked:
    data = read_book(ROOT / "content")
    chunked: Chunked = []
    for chapter_number, chapter in enumerate(data.chapters, start=1):
        for section_number, section in enumerate(chapter.sections, start=1):
            source = SectionSource(
                book=data.slug,
                chapter=chapter.slug,
                chapter_title=chapter.title,
                section_id=chapter_number * 100 + section_number,
                section_slug=section.slug,
                section_title=section.title,
                anchor=section.slug,
                revision=3,
                body=section.body,
                objectives=tuple(section.objectives),
            )
            chunked.append((source, chunk_section(source)))
    assert len(chunked) > 50  # the whole book, not an accident of the fixture
    return chunked


def make_source(body: str, objectives: tuple[str, ...] = (), **changes: object) -> SectionSource:
    fields: dict[str, object] = {
        "book": "dsp",
        "chapter": "sampling",
        "chapter_title": "Sampling and aliasing",
        "section_id": 7,
        "section_slug": "sampling-theorem",
        "section_title": "The sampling theorem",
        "anchor": "sampling-theorem",
        "revision": 2,
        "body": body,
        "objectives": objectives,
    }
    fields.update(changes)
    return SectionSource(**fields)  # type: ignore[arg-type]


# --- independent readers of the source, so the tests do not trust the chunker's own parser ----------------------


def line_blocks(body: str, opens: re.Pattern[str], closes: re.Pattern[str]) -> Iterator[list[str]]:
    """Runs of lines from one that matches `opens` to the next that matches `closes`."""
    lines = body.split("\n")
    i = 0
    while i < len(lines):
        if opens.search(lines[i]):
            end = next(j for j in range(i + 1, len(lines)) if closes.search(lines[j]))
            yield lines[i : end + 1]
            i = end + 1
        else:
            i += 1


def display_math(body: str) -> list[list[str]]:
    odd = re.compile(r"^[^$]*(?:\$\$[^$]*\$\$[^$]*)*\$\$(?!.*\$\$)")  # an odd number of "$$" on the line
    return list(line_blocks(body, odd, odd))


FENCE = re.compile(r"^\s*(```|~~~)")
DEMO = re.compile(r"^```demo[^\n]*\n.*?^```[ \t]*$", re.MULTILINE | re.DOTALL)


def code_blocks(body: str) -> list[list[str]]:
    return [block for block in line_blocks(body, FENCE, FENCE) if "demo" not in block[0]]


def tables(body: str) -> list[list[str]]:
    found: list[list[str]] = []
    previous_was_row = False
    for line in body.split("\n"):
        is_row = line.strip().startswith("|")
        if is_row and previous_was_row:
            found[-1].append(line)
        elif is_row:
            found.append([line])
        previous_was_row = is_row
    return found


def stripped_lines(text: str) -> list[str]:
    return [line.strip() for line in text.split("\n")]


def contains_run(text: str, run: list[str]) -> bool:
    """Whether `text` holds the lines of `run` one after another (indentation ignored)."""
    haystack, needle = stripped_lines(text), [line.strip() for line in run]
    return any(haystack[i : i + len(needle)] == needle for i in range(len(haystack) - len(needle) + 1))


def single_dollars(text: str) -> int:
    return text.replace("\\$", "").replace("$$", "").count("$")


def is_subsequence(needle: list[str], haystack: list[str]) -> bool:
    remaining = iter(haystack)
    return all(token in remaining for token in needle)


def where(source: SectionSource, chunk: Chunk) -> str:
    return f"{source.chapter}/{source.section_slug} chunk {chunk.ordinal}:\n{chunk.text}"


# --- invariants over the real book ---------------------------------------------------------------------------------


def test_every_display_math_block_is_whole_in_some_chunk(book: Chunked) -> None:
    for source, chunks in book:
        for chunk in chunks:
            assert chunk.text.count("$$") % 2 == 0, where(source, chunk)
        for block in display_math(source.body):
            assert any(contains_run(chunk.text, block) for chunk in chunks), (source.section_slug, block)


def test_no_fenced_code_block_is_split(book: Chunked) -> None:
    seen = 0
    for source, chunks in book:
        for chunk in chunks:
            assert sum(1 for line in chunk.text.split("\n") if FENCE.match(line)) % 2 == 0, where(source, chunk)
        for block in code_blocks(source.body):
            seen += 1
            assert any(contains_run(chunk.text, block) for chunk in chunks), (source.section_slug, block)
    assert seen > 0


def test_every_table_is_whole_in_some_chunk(book: Chunked) -> None:
    seen = 0
    for source, chunks in book:
        for table in tables(source.body):
            seen += 1
            assert any(contains_run(chunk.text, table) for chunk in chunks), (source.section_slug, table[0])
    assert seen > 10


def test_every_word_of_the_body_is_in_the_chunks_in_reading_order(book: Chunked) -> None:
    for source, chunks in book:
        body_words = DEMO.sub("", source.body).split()
        chunk_words = [word for chunk in chunks for word in chunk.text.split()]
        assert not Counter(body_words) - Counter(chunk_words), source.section_slug
        assert is_subsequence(body_words, chunk_words), source.section_slug


def test_demos_are_summarised_not_dropped(book: Chunked) -> None:
    seen = 0
    for source, chunks in book:
        for demo in DEMO.finditer(source.body):
            seen += 1
            info, _, rest = demo.group().partition("\n")
            summary = demo_summary(info.strip("`"), rest.rsplit("```", 1)[0])
            assert summary.startswith("[Interactive demo: ")
            assert any(summary in chunk.text.split("\n") for chunk in chunks), (source.section_slug, summary)
        assert not any("```demo" in chunk.text for chunk in chunks)
    assert seen > 5


def test_chunk_sizes_stay_within_bounds(book: Chunked) -> None:
    sizes = []
    for source, chunks in book:
        for chunk in chunks:
            sizes.append(chunk.words)
            # Only a merged short tail may pass max_words (the book has no single block over max_words).
            limit = MAX_WORDS + MIN_WORDS // 2 if chunk is chunks[-1] else MAX_WORDS
            assert chunk.words <= limit, where(source, chunk)
    median = statistics.median(sizes)
    print(f"\nchunks over the book: {len(sizes)}; words min {min(sizes)}, median {median}, max {max(sizes)}")
    assert 120 <= median <= 350


def test_inline_math_is_balanced_in_every_chunk(book: Chunked) -> None:
    for source, chunks in book:
        for chunk in chunks:
            assert single_dollars(chunk.text) % 2 == 0, where(source, chunk)


def test_no_chunk_ends_on_a_heading(book: Chunked) -> None:
    for source, chunks in book:
        for chunk in chunks:
            assert not chunk.text.rstrip().split("\n")[-1].startswith("#"), where(source, chunk)


def test_ordinals_count_up_and_ids_are_unique(book: Chunked) -> None:
    ids = []
    for source, chunks in book:
        assert [chunk.ordinal for chunk in chunks] == list(range(len(chunks)))
        assert all(chunk.anchor == source.anchor and chunk.revision == source.revision for chunk in chunks)
        ids += [chunk.id for chunk in chunks]
    assert len(ids) == len(set(ids))


def test_objectives_open_the_first_chunk_only(book: Chunked) -> None:
    for source, chunks in book:
        assert chunks[0].text.startswith("Objectives: " + source.objectives[0])
        assert not any("Objectives:" in chunk.text for chunk in chunks[1:])


def test_heading_paths_start_with_the_chapter_and_section(book: Chunked) -> None:
    for source, chunks in book:
        for chunk in chunks:
            assert chunk.heading_path[:2] == (source.chapter_title, source.section_title)
            assert len(chunk.heading_path) in (2, 3)
            if chunk.text.startswith("### "):
                assert chunk.heading_path[2] == chunk.text.split("\n")[0][4:].strip()


def test_chunking_is_deterministic(book: Chunked) -> None:
    for source, chunks in book:
        assert chunk_section(source) == chunks


def test_the_invariants_hold_with_small_limits_that_split_admonitions_and_paragraphs(book: Chunked) -> None:
    split_admonitions = 0
    for source, _ in book:
        chunks = chunk_section(source, target_words=80, max_words=120, min_words=50, overlap_words=20)
        body_words = DEMO.sub("", source.body).split()
        assert is_subsequence(body_words, [word for chunk in chunks for word in chunk.text.split()])
        for chunk in chunks:
            lines = chunk.text.rstrip().split("\n")
            assert chunk.text.count("$$") % 2 == 0, where(source, chunk)
            assert single_dollars(chunk.text) % 2 == 0, where(source, chunk)
            assert sum(1 for line in lines if FENCE.match(line)) % 2 == 0, where(source, chunk)
            assert not lines[-1].lstrip().startswith("#"), where(source, chunk)
        for before, after in itertools.pairwise(chunks):
            header = after.text.split("\n")[0]
            split_admonitions += header.startswith("!!!") and header in before.text.split("\n")
    assert split_admonitions > 10


# --- stories with made-up sections ----------------------------------------------------------------------------------


def sentences(count: int, words: int = 12, *, start: int = 0) -> str:
    """`count` distinct sentences of `words` words each, every one with a bit of inline math."""
    return " ".join(
        f"Sentence {n} says that $x_{{{n}}} = {n}$ " + " ".join(f"w{n}x{k}" for k in range(words - 6)) + "."
        for n in range(start, start + count)
    )


def paragraph(label: str, words: int) -> str:
    return " ".join(f"{label}{k}" for k in range(words - 1)) + " end."


def test_a_long_paragraph_is_split_at_sentence_ends() -> None:
    chunks = chunk_section(make_source(sentences(60)))  # 720 words in one paragraph

    assert len(chunks) >= 3
    for chunk in chunks:
        assert chunk.words <= MAX_WORDS
        assert chunk.text.startswith("Sentence ")
        assert chunk.text.endswith(".")
        assert single_dollars(chunk.text) % 2 == 0


def test_a_sentence_end_inside_inline_math_is_not_a_split_point() -> None:
    # Every sentence holds "$a. B$", which looks like a sentence end but sits inside math.
    body = " ".join(f"Claim {n} holds since $a. B_{{{n}}} = {n}$ is true for w{n} now." for n in range(90))

    chunks = chunk_section(make_source(body), target_words=60, max_words=90, min_words=40, overlap_words=15)

    assert len(chunks) > 5
    for chunk in chunks:
        assert chunk.text.startswith("Claim ")
        assert single_dollars(chunk.text) % 2 == 0


def test_each_chunk_after_the_first_repeats_the_end_of_the_one_before() -> None:
    chunks = chunk_section(make_source(sentences(60)))

    assert len(chunks) >= 3
    for before, after in itertools.pairwise(chunks):
        last_sentence = re.findall(r"Sentence \d+ [^.]*\.", before.text)[-1]
        overlap = after.text[: after.text.index(last_sentence) + len(last_sentence)]
        assert before.text.endswith(overlap)
        assert overlap.startswith("Sentence ")  # whole sentences: never from inside $x_{n} = n$
        assert 12 <= len(overlap.split()) <= 40


def test_a_short_last_block_is_repeated_whole() -> None:
    body = "\n\n".join([paragraph("a", 120), paragraph("b", 30), paragraph("c", 200)])

    chunks = chunk_section(make_source(body))

    assert len(chunks) == 2
    assert chunks[0].text.endswith(paragraph("b", 30))
    assert chunks[1].text.startswith(paragraph("b", 30) + "\n\n" + paragraph("c", 200))


def test_a_long_math_block_at_the_end_of_a_chunk_is_not_repeated_in_part() -> None:
    math = "$$\n" + " + ".join(f"a_{{{k}}}" for k in range(40)) + "\n$$"  # 81 words
    body = "\n\n".join([paragraph("a", 120), math, paragraph("c", 200)])

    chunks = chunk_section(make_source(body))

    assert len(chunks) == 2
    assert chunks[0].text.endswith(math)
    assert chunks[1].text == paragraph("c", 200)


def test_a_subsection_starts_a_fresh_chunk_without_overlap() -> None:
    body = "\n\n".join([sentences(15), "### Aliasing in practice", sentences(15, start=15)])

    chunks = chunk_section(make_source(body))

    assert [chunk.text for chunk in chunks] == [sentences(15), "### Aliasing in practice\n\n" + sentences(15, start=15)]
    assert chunks[0].heading_path == ("Sampling and aliasing", "The sampling theorem")
    assert chunks[1].heading_path == ("Sampling and aliasing", "The sampling theorem", "Aliasing in practice")


def test_without_a_subsection_the_same_text_gets_an_overlap() -> None:
    body = "\n\n".join([sentences(15), sentences(15, start=15)])

    chunks = chunk_section(make_source(body))

    assert chunks[1].text.startswith("Sentence 12 ")
    assert chunks[1].text.endswith(sentences(15, start=15))


def test_a_display_math_block_with_a_blank_line_inside_is_never_split() -> None:
    first = " + ".join(f"a_{{{k}}}" for k in range(60))
    second = " + ".join(f"b_{{{k}}}" for k in range(60))
    math = f"$$\n\\begin{{aligned}}\n{first} \\\\\n\n{second}\n\\end{{aligned}}\n$$"
    body = "\n\n".join([paragraph("a", 150), math, paragraph("c", 150)])

    chunks = chunk_section(make_source(body))

    assert sum(math in chunk.text for chunk in chunks) == 1
    assert all(chunk.text.count("$$") % 2 == 0 for chunk in chunks)


def test_a_heading_never_ends_a_chunk() -> None:
    # The heading arrives when the chunk is still short, and the block after it does not fit.
    body = "\n\n".join([paragraph("a", 100), "### Why the inequality is strict", paragraph("b", 300)])

    chunks = chunk_section(make_source(body))

    assert [chunk.text for chunk in chunks] == [
        paragraph("a", 100),
        "### Why the inequality is strict\n\n" + paragraph("b", 300),
    ]


def test_a_fenced_code_block_with_blank_lines_is_never_split() -> None:
    code = (
        "```python\n"
        + "\n\n".join(f"y{k} = np.convolve(x, h)  # " + paragraph(f"c{k}x", 40) for k in range(4))
        + "\n```"
    )
    body = "\n\n".join([paragraph("a", 150), code, paragraph("c", 150)])

    chunks = chunk_section(make_source(body))

    assert sum(code in chunk.text for chunk in chunks) == 1


def test_a_heading_that_ends_like_a_sentence_stays_with_the_text_after_it() -> None:
    # The heading looks like a sentence, and the first sentence after it does not fit in the first chunk.
    long_paragraph = paragraph("B", 220) + " " + sentences(20)
    body = "\n\n".join([paragraph("a", 140), "### Why is the inequality strict?", long_paragraph])

    chunks = chunk_section(make_source(body))

    assert chunks[0].text == paragraph("a", 140)
    assert chunks[1].text.startswith("### Why is the inequality strict?\n\n" + paragraph("B", 220))
    assert all(not chunk.text.rstrip().endswith("strict?") for chunk in chunks)


def test_a_demo_block_becomes_one_summary_line() -> None:
    body = "Try it:\n\n```demo aliasing\nf0 = 3000\n# a comment\nfs = 8000\n\n```\n\nThen lower `fs`."

    chunks = chunk_section(make_source(body))

    assert chunks[0].text == "Try it:\n\n[Interactive demo: aliasing (f0 = 3000, fs = 8000)]\n\nThen lower `fs`."


def test_objectives_go_on_the_first_chunk_only() -> None:
    objectives = ("State the sampling theorem", "Find the Nyquist rate.")
    body = "\n\n".join(paragraph(label, 150) for label in "abcd")

    chunks = chunk_section(make_source(body, objectives))

    assert chunks[0].text.split("\n")[0] == "Objectives: State the sampling theorem; Find the Nyquist rate."
    assert len(chunks) > 1
    assert not any("Objectives" in chunk.text for chunk in chunks[1:])


def test_an_empty_body_gives_the_objectives_alone_or_nothing() -> None:
    only = chunk_section(make_source("", ("State the theorem",)))

    assert [chunk.text for chunk in only] == ["Objectives: State the theorem."]
    assert only[0].heading_path == ("Sampling and aliasing", "The sampling theorem")
    assert chunk_section(make_source("  \n\n")) == []


def test_a_tiny_tail_is_merged_into_the_chunk_before() -> None:
    body = "\n\n".join([paragraph("a", 200), paragraph("b", 160), paragraph("c", 40)])

    chunks = chunk_section(make_source(body))

    assert len(chunks) == 2
    assert chunks[-1].text.endswith(paragraph("c", 40))
    assert chunks[-1].words == 200


def test_a_tail_is_kept_apart_when_merging_would_make_a_chunk_too_big() -> None:
    body = "\n\n".join([paragraph("a", 330), paragraph("b", 120)])

    chunks = chunk_section(make_source(body))

    assert [chunk.words for chunk in chunks] == [330, 120]


def test_an_oversized_table_is_a_chunk_of_its_own() -> None:
    table = "| n | x[n] |\n|---|---|\n" + "\n".join(f"| {n} | $0.5^{{{n}}}$ row{n} x y |" for n in range(60))
    body = "\n\n".join([paragraph("a", 100), table, paragraph("b", 100)])

    chunks = chunk_section(make_source(body))

    assert [chunk.text for chunk in chunks] == [paragraph("a", 100), table, paragraph("b", 100)]


def test_a_long_admonition_is_split_at_its_blank_lines_and_each_piece_stays_an_admonition() -> None:
    header = '!!! example "Worked example: a long design"'
    math = "    $$\n    H(z) = \\frac{1 + z^{-1}}{1 - 0.5 z^{-1}}\n    $$"
    steps = [f"    **Step {n}.** " + paragraph(f"s{n}x", 90) for n in range(5)]
    body = header + "\n" + "\n\n".join([steps[0], steps[1], math, steps[2], steps[3], steps[4]])

    chunks = chunk_section(make_source(body))

    assert len(chunks) >= 2
    for chunk in chunks:
        assert chunk.text.startswith(header + "\n    ")
        assert chunk.words <= MAX_WORDS
        assert all(line.startswith("    ") or not line for line in chunk.text.split("\n")[1:])
    assert any(math in chunk.text for chunk in chunks)
    assert Counter(body.split()) - Counter(word for chunk in chunks for word in chunk.text.split()) == Counter()


def test_a_list_is_never_split() -> None:
    items = "\n".join(f"{n}. " + paragraph(f"i{n}x", 40) for n in range(1, 7))
    body = "\n\n".join([paragraph("a", 150), items, paragraph("b", 150)])

    chunks = chunk_section(make_source(body))

    assert sum(items in chunk.text for chunk in chunks) == 1


def test_the_content_hash_follows_text_and_heading_path_only() -> None:
    chunk = chunk_section(make_source(paragraph("a", 50)))[0]
    same_words_elsewhere = chunk_section(make_source(paragraph("a", 50), section_id=9, revision=5, anchor="x"))[0]
    renamed_section = chunk_section(make_source(paragraph("a", 50), section_title="Nyquist"))[0]
    edited = chunk_section(make_source(paragraph("a", 51)))[0]

    assert len(chunk.content_hash) == 64
    assert same_words_elsewhere.content_hash == chunk.content_hash
    assert renamed_section.content_hash != chunk.content_hash
    assert edited.content_hash != chunk.content_hash


def test_ids_and_words() -> None:
    chunks = chunk_section(make_source("\n\n".join(paragraph(label, 200) for label in "ab")))

    assert [chunk.id for chunk in chunks] == ["7-0", "7-1"]
    assert [chunk.words for chunk in chunks] == [200, 200]


def test_the_embedding_text_names_the_place_and_drops_markup() -> None:
    body = (
        "### The impulse-train model\n\n"
        "A **sampler** reads $x(t)$.\n\n"
        '!!! example "Worked example: a single tone"\n    A tone at $1.5$ kHz.\n\n'
        "| f | ω |\n|---|---|\n| $f_s$ | $2\\pi$ |\n\n"
        "```python\n# keep this comment\nimport numpy as np\n```"
    )

    chunk = chunk_section(make_source(body))[0]

    assert chunk.embedding_text() == (
        "Sampling and aliasing > The sampling theorem > The impulse-train model\n"
        "The impulse-train model\n\n"
        "A sampler reads $x(t)$.\n\n"
        "Worked example: a single tone\n"
        "A tone at $1.5$ kHz.\n\n"
        "| f | ω |\n| $f_s$ | $2\\pi$ |\n\n"
        "# keep this comment\nimport numpy as np"
    )


def test_limits_that_make_no_sense_are_refused() -> None:
    with pytest.raises(ValueError, match="min_words"):
        chunk_section(make_source("text"), min_words=300, target_words=200)
