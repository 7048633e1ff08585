"""Split one section's Markdown into retrieval chunks for the tutor. Pure: the standard library only.

`chunk_section(source)` reads the body as a sequence of *blocks* that are never cut:

* a display-math block, from the line that opens ``$$`` to the line that closes it;
* a fenced code block (```` ``` ```` or ``~~~``); a ```` ```demo name ```` block becomes one line,
  ``[Interactive demo: name (key = value, …)]``, so retrieval knows the demo is there;
* a table (consecutive lines starting with ``|``);
* an admonition (a ``!!!``/``???`` line and its indented lines);
* a list (its items and their continuation lines);
* a paragraph (lines up to a blank line or the start of another block).

A ``#``-heading is glued to the block after it, so no chunk ends on a heading. Two kinds of block are cut
when they exceed ``max_words``: a paragraph at sentence ends (never inside ``$…$``, ``$$…$$`` or a code span),
and an admonition at the blank lines inside it (never inside its own math, code or tables; each piece
repeats the ``!!!`` line so that it still renders as an admonition). Any other block longer than
``max_words`` is a chunk on its own.

Blocks are packed greedily to about ``target_words`` (never past ``max_words``); a ``###`` subsection
starts a new chunk once the current one holds ``min_words``. Each chunk after the first repeats the end of
the previous one (its last block when that is short, else its last sentences, up to ``overlap_words``),
except where it starts a subsection or holds an oversized block. The first chunk starts with the line
"Objectives: …". A short final chunk is merged into the one before when the result stays small enough.

Words are whitespace-separated tokens. The text of a chunk is the book's Markdown: concatenating the chunks
without their overlaps gives the body back, apart from demo summaries, repeated admonition lines and runs
of blank lines collapsed to one.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, replace
from itertools import groupby

__all__ = ["Chunk", "SectionSource", "chunk_section", "demo_summary"]


@dataclass(frozen=True)
class Chunk:
    """A piece of one section, small enough to embed and to quote."""

    book: str
    chapter: str
    section_id: int
    section_slug: str
    section_title: str
    anchor: str  # the section's anchor: citations link here, also for chunks under a ### subheading
    heading_path: tuple[str, ...]  # (chapter title, section title[, ### subheading]) where the chunk starts
    revision: int
    ordinal: int  # 0, 1, 2 … within the section
    text: str  # Markdown, as the tutor will quote it

    @property
    def id(self) -> str:
        """``"<section_id>-<ordinal>"``: stable for one revision of the section."""
        return f"{self.section_id}-{self.ordinal}"

    @property
    def words(self) -> int:
        return len(self.text.split())

    @property
    def content_hash(self) -> str:
        """SHA-256 (hex) of the text and the heading path: the embedding needs redoing only when it changes."""
        payload = json.dumps([list(self.heading_path), self.text], ensure_ascii=False)
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()

    def embedding_text(self) -> str:
        """What to embed: the heading path ("Chapter > Section > Subheading") on one line, then the text with
        light Markdown noise removed (admonition lines become their titles, heading marks, fence lines, table
        rule rows, ``**`` and indentation go; math and table pipes stay)."""
        return " > ".join(self.heading_path) + "\n" + _plain(self.text)


@dataclass(frozen=True)
class SectionSource:
    """One section as the chunker needs it (the Django side fills it from a section revision)."""

    book: str
    chapter: str
    chapter_title: str
    section_id: int
    section_slug: str
    section_title: str
    anchor: str
    revision: int
    body: str
    objectives: tuple[str, ...] = ()


def chunk_section(
    source: SectionSource,
    *,
    target_words: int = 220,
    max_words: int = 350,
    min_words: int = 150,
    overlap_words: int = 40,
) -> list[Chunk]:
    """Chunks of `source.body` in reading order, ordinals 0..n-1; see the module docstring for the rules.

    An empty body gives one chunk holding the objectives line, or no chunk when there are no objectives.
    Raises ValueError unless 0 < min_words <= target_words <= max_words and 0 <= overlap_words < max_words.
    """
    if not 0 < min_words <= target_words <= max_words or not 0 <= overlap_words < max_words:
        raise ValueError(
            f"need 0 < min_words <= target_words <= max_words and 0 <= overlap_words < max_words "
            f"(got {min_words}, {target_words}, {max_words}, {overlap_words})"
        )
    limits = _Limits(target_words, max_words, min_words, overlap_words)
    units = _units(_parse_blocks(source.body.split("\n")), limits)
    if source.objectives:
        units.insert(0, _Unit(group=-1, kind=_OBJECTIVES, text=_objectives_line(source.objectives)))
    drafts = _merge_short_tail(_pack(units, limits), limits)
    return [
        Chunk(
            book=source.book,
            chapter=source.chapter,
            section_id=source.section_id,
            section_slug=source.section_slug,
            section_title=source.section_title,
            anchor=source.anchor,
            heading_path=_heading_path(source, draft),
            revision=source.revision,
            ordinal=ordinal,
            text=_render(draft.all_units()),
        )
        for ordinal, draft in enumerate(drafts)
    ]


def demo_summary(info: str, source: str) -> str:
    """The line that stands for a demo fence: info "demo aliasing" and source "fs = 8000\\n# c\\nf0 = 3000"
    give "[Interactive demo: aliasing (fs = 8000, f0 = 3000)]". Comments and blank lines are left out."""
    words = info.split()
    name = words[1] if len(words) > 1 else ""
    settings = []
    for line in source.split("\n"):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        key, equals, value = stripped.partition("=")
        settings.append(f"{key.strip()} = {value.strip()}" if equals else stripped)
    label = f"Interactive demo: {name}" if name else "Interactive demo"
    return f"[{label} ({', '.join(settings)})]" if settings else f"[{label}]"


# ---------------------------------------------------------------------------------------------------------------
# Blocks: the body read as Markdown structure


@dataclass(frozen=True)
class _Block:
    kind: str  # one of the kinds below
    text: str  # as in the source, except that a demo fence is already its summary line
    sep: str  # what separated it from the block before it in the source: "\n\n" or "\n"


_PARAGRAPH, _MATH, _CODE, _TABLE, _ADMONITION, _LIST, _HEADING = (
    "paragraph",
    "math",
    "code",
    "table",
    "admonition",
    "list",
    "heading",
)
_OBJECTIVES = "objectives"
_SENTENCE = "sentence"  # one sentence of a paragraph longer than max_words
_PROSE = frozenset({_PARAGRAPH, _LIST, _SENTENCE})  # kinds whose last sentences may serve as overlap

_FENCE_OPEN = re.compile(r"^ {0,3}(?P<fence>`{3,}|~{3,})(?P<info>.*)$")
_ADMONITION_LINE = re.compile(r"^(?:!!!|\?\?\?\+?)(?:[ \t]|$)")
_ADMONITION_PARTS = re.compile(r"^\s*(?:!!!|\?\?\?\+?)[ \t]*(?P<kind>[^\s\"]*)[ \t]*(?:\"(?P<title>[^\"]*)\")?")
_HEADING_LINE = re.compile(r"^ {0,3}(?P<marks>#{1,6})(?:[ \t]+(?P<title>.*?))?[ \t]*$")
_BULLET_ITEM = re.compile(r"^ {0,3}[-*+](?:[ \t]+\S|[ \t]*$)")
_ORDERED_ITEM = re.compile(r"^ {0,3}(?P<number>\d{1,9})[.)](?:[ \t]+\S|[ \t]*$)")
_TABLE_ROW = re.compile(r"^ {0,3}\|")


def _parse_blocks(lines: list[str]) -> list[_Block]:
    """The blocks of a run of Markdown lines, in order; blank lines only separate them."""
    blocks: list[_Block] = []
    paragraph: list[str] = []
    blank_before = True

    def add(kind: str, text: str) -> None:
        nonlocal blank_before
        blocks.append(_Block(kind, text, "\n\n" if blank_before else "\n"))
        blank_before = False

    i = 0
    while i < len(lines):
        if not lines[i].strip():
            if paragraph:
                add(_PARAGRAPH, "\n".join(paragraph))
                paragraph = []
            blank_before = True
            i += 1
            continue
        found = _block_at(lines, i, in_paragraph=bool(paragraph))
        if found is None:
            paragraph.append(lines[i])
            i += 1
            continue
        kind, end = found
        if paragraph:
            add(_PARAGRAPH, "\n".join(paragraph))
            paragraph = []
        add(*_block_text(kind, lines[i:end]))
        i = end
    if paragraph:
        add(_PARAGRAPH, "\n".join(paragraph))
    return blocks


def _block_at(lines: list[str], i: int, *, in_paragraph: bool) -> tuple[str, int] | None:
    """The kind of the block that starts on line i and the index just past it; None for a paragraph line."""
    line = lines[i]
    fence = _FENCE_OPEN.match(line)
    if fence and not (fence["fence"][0] == "`" and "`" in fence["info"]):
        return _CODE, _fence_end(lines, i, fence["fence"])
    if line.count("$$") % 2 == 1:
        end = _math_end(lines, i)
        if end is not None:
            return _MATH, end
    if _TABLE_ROW.match(line):
        return _TABLE, _run_end(lines, i, _TABLE_ROW)
    if _ADMONITION_LINE.match(line):
        return _ADMONITION, _indented_end(lines, i)
    if _HEADING_LINE.match(line):
        return _HEADING, i + 1
    if _starts_list(line, in_paragraph=in_paragraph):
        return _LIST, _list_end(lines, i)
    return None


def _starts_list(line: str, *, in_paragraph: bool) -> bool:
    # As in CommonMark, only an ordered list that starts at 1 may interrupt a paragraph.
    if _BULLET_ITEM.match(line):
        return True
    ordered = _ORDERED_ITEM.match(line)
    return ordered is not None and (not in_paragraph or ordered["number"] == "1")


def _fence_end(lines: list[str], i: int, fence: str) -> int:
    closing = re.compile(rf"^ {{0,3}}{re.escape(fence[0])}{{{len(fence)},}}[ \t]*$")
    for j in range(i + 1, len(lines)):
        if closing.match(lines[j]):
            return j + 1
    return len(lines)  # an unclosed fence runs to the end, as in CommonMark


def _math_end(lines: list[str], i: int) -> int | None:
    for j in range(i + 1, len(lines)):
        if lines[j].count("$$") % 2 == 1:
            return j + 1
    return None  # an unclosed $$ is left as text


def _run_end(lines: list[str], i: int, pattern: re.Pattern[str]) -> int:
    j = i + 1
    while j < len(lines) and pattern.match(lines[j]):
        j += 1
    return j


def _indented_end(lines: list[str], i: int) -> int:
    """Past the indented (or blank) lines after line i, trailing blank lines excluded."""
    j = i + 1
    while j < len(lines) and (not lines[j].strip() or lines[j].startswith(("    ", "\t"))):
        j += 1
    while j > i + 1 and not lines[j - 1].strip():
        j -= 1
    return j


def _list_end(lines: list[str], i: int) -> int:
    j = i + 1
    while j < len(lines):
        line = lines[j]
        if not line.strip():
            following = next((k for k in range(j + 1, len(lines)) if lines[k].strip()), None)
            if following is None or not _continues_list(lines[following]):
                break
            j = following
        elif _continues_list(line) or _block_at(lines, j, in_paragraph=True) is None:
            j += 1  # an item, an indented line or a lazy continuation of the item's paragraph
        else:
            break
    return j


def _continues_list(line: str) -> bool:
    indent = len(line) - len(line.lstrip(" "))
    return indent >= 2 or line.startswith("\t") or _starts_list(line, in_paragraph=False)


def _block_text(kind: str, lines: list[str]) -> tuple[str, str]:
    if kind == _CODE:
        info = lines[0].strip().lstrip("`~").strip()
        if info.split()[:1] == ["demo"]:
            closing = _FENCE_OPEN.match(lines[-1]) if len(lines) > 1 else None
            closed = closing is not None and not closing["info"].strip()
            return _PARAGRAPH, demo_summary(info, "\n".join(lines[1 : -1 if closed else None]))
    return kind, "\n".join(lines)


# ---------------------------------------------------------------------------------------------------------------
# Units: what the packer moves around. A unit is a whole block, one sentence of a long paragraph, or one
# block inside a long admonition. Units of one admonition share `header` and are rendered inside it.


@dataclass(frozen=True)
class _Limits:
    target: int
    max: int
    min: int
    overlap: int


@dataclass(frozen=True)
class _Unit:
    group: int  # the top-level block it belongs to; consecutive units of one group render together
    kind: str
    text: str  # for units inside an admonition: without the admonition's indentation
    sep: str = "\n\n"  # what separates it from the unit before it in the same group
    group_sep: str = "\n\n"  # what separates its group from the group before it
    header: str = ""  # the admonition line, when the unit is (a piece of) an admonition
    lead: str = ""  # heading lines (and their separator) rendered before the header of an admonition
    subheading: str | None = None  # the ### heading in force
    opens_subsection: bool = False  # the unit starts with a heading
    paragraph: int = 0  # for a sentence: which paragraph of its group it belongs to


def _units(blocks: list[_Block], limits: _Limits) -> list[_Unit]:
    units: list[_Unit] = []
    lead, lead_sep = "", ""
    subheading: str | None = None
    groups = 0
    for block in blocks:
        if block.kind == _HEADING:
            level, title = _heading(block.text)
            if level == 3:
                subheading = title
            lead, lead_sep = (lead + block.sep + block.text, lead_sep) if lead else (block.text, block.sep)
            continue
        prefix = lead + block.sep if lead else ""
        base = _Unit(
            group=groups,
            kind=block.kind,
            text="",
            group_sep=lead_sep if lead else block.sep,
            subheading=subheading,
            opens_subsection=bool(lead),
        )
        units.extend(_block_units(base, block, prefix, limits))
        groups += 1
        lead, lead_sep = "", ""
    if lead:  # headings with nothing after them
        units.append(_Unit(groups, _HEADING, lead, group_sep=lead_sep, subheading=subheading, opens_subsection=True))
    return units


def _block_units(base: _Unit, block: _Block, prefix: str, limits: _Limits) -> list[_Unit]:
    too_long = _word_count(prefix + block.text) > limits.max
    if block.kind == _ADMONITION:
        header, _, inner = block.text.partition("\n")
        inner = _dedent(inner)
        if not too_long:
            return [replace(base, text=inner, header=header, lead=prefix)]
        pieces = _inner_units(base, inner, limits)
        pieces[0] = replace(pieces[0], lead=prefix)
        return [replace(piece, header=header) for piece in pieces]
    if block.kind == _PARAGRAPH and too_long:
        return _sentence_units(base, block.text, prefix)
    return [replace(base, text=prefix + block.text)]


def _inner_units(base: _Unit, text: str, limits: _Limits) -> list[_Unit]:
    """The units of an admonition's body; headings inside it simply stay with the block that follows."""
    units: list[_Unit] = []
    lead = ""
    for index, block in enumerate(_parse_blocks(text.split("\n"))):
        if block.kind == _HEADING:
            lead = lead + block.sep + block.text if lead else block.text
            continue
        prefix = lead + block.sep if lead else ""
        piece = replace(base, kind=block.kind, text=prefix + block.text, sep=block.sep if units else "")
        if block.kind == _PARAGRAPH and _word_count(piece.text) > limits.max:
            sentences = _sentence_units(replace(piece, paragraph=index), block.text, prefix)
            units.extend([replace(sentences[0], sep=piece.sep), *sentences[1:]])
        else:
            units.append(piece)
        lead = ""
    if lead:
        units.append(replace(base, kind=_HEADING, text=lead, sep="\n\n" if units else ""))
    return units or [replace(base, text="")]


def _sentence_units(base: _Unit, text: str, prefix: str) -> list[_Unit]:
    """One unit per sentence of a long paragraph, so that the packer can stop near its target inside it. The
    `prefix` (headings) goes with the first sentence."""
    return [
        replace(
            base,
            kind=_SENTENCE,
            text=prefix + sentence if n == 0 else sentence,
            sep=sep,
            opens_subsection=base.opens_subsection and n == 0,
        )
        for n, (sep, sentence) in enumerate(_sentences(text))
    ]


# ---------------------------------------------------------------------------------------------------------------
# Packing units into chunks


@dataclass
class _Draft:
    overlap: list[_Unit]
    units: list[_Unit]
    alone: bool = False  # holds a block longer than max_words: nothing else joins it
    words: int = 0

    def all_units(self) -> list[_Unit]:
        return self.overlap + self.units

    def body_units(self) -> list[_Unit]:
        return [unit for unit in self.units if unit.kind != _OBJECTIVES]


def _pack(units: list[_Unit], limits: _Limits) -> list[_Draft]:
    drafts: list[_Draft] = []
    draft: _Draft | None = None
    for unit in units:
        if draft is not None and _fits(draft, unit, limits):
            draft.units.append(unit)
            draft.alone = draft.alone or _word_count(_render([unit])) > limits.max
        else:
            if draft is not None:
                drafts.append(draft)
            draft = _start(unit, draft, limits)
        draft.words = _word_count(_render(draft.all_units()))
    if draft is not None:
        drafts.append(draft)
    return drafts


def _fits(draft: _Draft, unit: _Unit, limits: _Limits) -> bool:
    if draft.alone:
        return False
    if not draft.body_units():
        return True  # the objectives line always rides with the first block
    if unit.opens_subsection and draft.words >= limits.min:
        return False
    total = _word_count(_render([*draft.all_units(), unit]))
    if total > limits.max:
        return False
    if draft.words < limits.min or total <= limits.target:
        return True
    return total - limits.target < limits.target - draft.words  # whichever lands nearer the target


def _start(unit: _Unit, previous: _Draft | None, limits: _Limits) -> _Draft:
    if _word_count(_render([unit])) > limits.max:
        return _Draft([], [unit], alone=True)
    if previous is None or unit.opens_subsection:
        return _Draft([], [unit])  # a subsection starts clean: its heading is a better start than an overlap
    overlap = _overlap(_last_block(previous.units), limits)
    if overlap and _word_count(_render([*overlap, unit])) > limits.max:
        overlap = []
    return _Draft(overlap, [unit])


def _last_block(units: list[_Unit]) -> _Unit:
    """The last unit; when it is a sentence, the sentences of its paragraph at the end of `units`, as one unit."""
    last = units[-1]
    if last.kind != _SENTENCE:
        return last
    start = len(units) - 1
    while start > 0 and units[start - 1].kind == _SENTENCE and units[start - 1].paragraph == last.paragraph:
        if units[start - 1].group != last.group:
            break
        start -= 1
    run = units[start:]
    return replace(run[0], text=run[0].text + "".join(unit.sep + unit.text for unit in run[1:]))


def _overlap(unit: _Unit, limits: _Limits, *, inside: bool = False) -> list[_Unit]:
    """The end of `unit` to repeat at the start of the next chunk: all of it when short, else its last whole
    sentences (prose only), else nothing. For an admonition, the same rule applies to its last block."""
    if limits.overlap == 0 or unit.kind == _OBJECTIVES:
        return []
    if _word_count(_render([unit])) <= limits.overlap * 1.5:
        return [unit]
    if unit.kind in _PROSE and not _has_fence(unit.text):
        tail = _last_sentences(unit.text, limits.overlap)
        return [replace(unit, text=tail, lead="", opens_subsection=False)] if tail else []
    if unit.kind == _ADMONITION and unit.header and not inside:
        last = _inner_units(unit, unit.text, _Limits(limits.target, 10**9, limits.min, limits.overlap))[-1]
        return _overlap(replace(last, lead="", opens_subsection=False), limits, inside=True)
    return []


def _last_sentences(text: str, limit: int) -> str:
    kept: list[tuple[str, str]] = []
    total = 0
    for sep, sentence in reversed(_sentences(text)):
        count = _word_count(sentence)
        if total + count > limit:
            if not kept and count <= limit * 1.5:
                kept.insert(0, (sep, sentence))
            break
        kept.insert(0, (sep, sentence))
        total += count
    if not kept:
        return ""
    return kept[0][1] + "".join(sep + sentence for sep, sentence in kept[1:])


def _merge_short_tail(drafts: list[_Draft], limits: _Limits) -> list[_Draft]:
    if len(drafts) < 2 or drafts[-1].words >= limits.min or drafts[-2].alone or drafts[-1].alone:
        return drafts
    merged = _Draft(drafts[-2].overlap, drafts[-2].units + drafts[-1].units)
    merged.words = _word_count(_render(merged.all_units()))
    if merged.words > limits.max + limits.min / 2:
        return drafts
    return [*drafts[:-2], merged]


def _heading_path(source: SectionSource, draft: _Draft) -> tuple[str, ...]:
    first = next((unit for unit in draft.all_units() if unit.kind != _OBJECTIVES), None)
    path = (source.chapter_title, source.section_title)
    return (*path, first.subheading) if first is not None and first.subheading else path


# ---------------------------------------------------------------------------------------------------------------
# Rendering units back to Markdown


def _render(units: list[_Unit]) -> str:
    parts: list[str] = []
    for _, grouped in groupby(units, key=lambda unit: unit.group):
        group = list(grouped)
        body = group[0].text + "".join(unit.sep + unit.text for unit in group[1:])
        if group[0].header:
            body = group[0].header + ("\n" + _indent(body) if body.strip() else "")
        text = group[0].lead + body
        parts.append(group[0].group_sep + text if parts else text)
    return "".join(parts)


def _indent(text: str) -> str:
    return "\n".join("    " + line if line.strip() else "" for line in text.split("\n"))


def _dedent(text: str) -> str:
    return "\n".join(
        line[4:] if line.startswith("    ") else line[1:] if line.startswith("\t") else line.strip()
        for line in text.split("\n")
    )


# ---------------------------------------------------------------------------------------------------------------
# Sentences, inline math and other small helpers

_SENTENCE_BREAK = re.compile(r"[.!?][\"'”’)\]]*(?P<space>\s+)(?=[A-Z$*(\"“‘\[])")
_ABBREVIATIONS = frozenset({"e.g", "i.e", "cf", "vs", "fig", "figs", "eq", "eqs", "approx", "al", "no", "sec", "ch"})


def _sentences(text: str) -> list[tuple[str, str]]:
    """`text` as (separator, sentence) pairs whose concatenation is `text`; the first separator is ""."""
    protected = _protected_spans(text)
    pieces: list[tuple[str, str]] = []
    sep, start = "", 0
    for match in _SENTENCE_BREAK.finditer(text):
        space_start, space_end = match.span("space")
        if _inside(space_start, protected) or _after_abbreviation(text, match.start()):
            continue
        pieces.append((sep, text[start:space_start]))
        sep, start = text[space_start:space_end], space_end
    pieces.append((sep, text[start:]))
    return pieces


def _after_abbreviation(text: str, period: int) -> bool:
    before = text[:period].split()
    word = before[-1].lstrip("(\"'*_").lower() if before else ""
    return word in _ABBREVIATIONS or (len(word) == 1 and word.isalpha())


def _protected_spans(text: str) -> list[tuple[int, int]]:
    """Half-open spans of inline math (``$…$``, ``$$…$$``) and code spans, where no sentence may end.
    An unclosed ``$`` protects the rest of the text."""
    spans: list[tuple[int, int]] = []
    i = 0
    while i < len(text):
        char = text[i]
        if char == "\\":
            i += 2
            continue
        if char == "`":
            run = len(text[i:]) - len(text[i:].lstrip("`"))
            close = text.find("`" * run, i + run)
            if close == -1:
                i += run
                continue
            spans.append((i, close + run))
            i = close + run
            continue
        if char == "$":
            delimiter = "$$" if text.startswith("$$", i) else "$"
            close = _find_unescaped(text, delimiter, i + len(delimiter))
            end = len(text) if close == -1 else close + len(delimiter)
            spans.append((i, end))
            i = end
            continue
        i += 1
    return spans


def _find_unescaped(text: str, token: str, start: int) -> int:
    position = text.find(token, start)
    while position != -1:
        backslashes = len(text[:position]) - len(text[:position].rstrip("\\"))
        if backslashes % 2 == 0:
            return position
        position = text.find(token, position + 1)
    return -1


def _inside(position: int, spans: list[tuple[int, int]]) -> bool:
    return any(start <= position < end for start, end in spans)


def _has_fence(text: str) -> bool:
    return any(_FENCE_OPEN.match(line) for line in text.split("\n"))


def _heading(line: str) -> tuple[int, str]:
    match = _HEADING_LINE.match(line)
    if match is None:
        return 0, line.strip()
    title = re.sub(r"\s*\{[^}]*\}\s*$", "", match["title"] or "")
    return len(match["marks"]), re.sub(r"\s+#+\s*$", "", title).strip()


def _objectives_line(objectives: tuple[str, ...]) -> str:
    text = "; ".join(objective.strip().rstrip(".;") for objective in objectives if objective.strip())
    return f"Objectives: {text}." if text else "Objectives:"


def _word_count(text: str) -> int:
    return len(text.split())


_TABLE_RULE = re.compile(r"^\|?[\s:|-]*-{3,}[\s:|-]*$")


def _plain(text: str) -> str:
    """Text for the embedding model: the Markdown with its markup-only lines and marks taken out."""
    lines: list[str] = []
    in_code = False
    for raw in text.split("\n"):
        line = raw.strip()
        admonition = _ADMONITION_PARTS.match(line) if _ADMONITION_LINE.match(line) and not in_code else None
        if _FENCE_OPEN.match(line):
            in_code = not in_code
            continue
        if in_code:
            pass  # code stays as written ("# comment" is no heading)
        elif admonition is not None:
            title = admonition["title"]
            line = admonition["kind"].capitalize() if title is None else title
        elif _TABLE_RULE.match(line):
            continue
        else:
            line = (_heading(line)[1] if _HEADING_LINE.match(line) else line).replace("**", "")
        if line or (lines and lines[-1]):
            lines.append(line)
    return "\n".join(lines).strip()
