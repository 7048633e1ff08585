"""Full-text search of published sections: SQLite FTS5 or PostgreSQL, whichever is in use.

`SearchEntry` rows hold each published section's plain text. On SQLite an FTS5 table mirrors
them through triggers (migration 0002); on PostgreSQL a GIN index over the same tsvector
expression serves the query. Snippets come back with the matches in <mark>.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.db import connection
from django.utils.html import escape

from chapters.models import Book, Revision, SearchEntry, Section

START, STOP = "\x02", "\x03"  # match markers that cannot occur in indexed text
MAX_QUERY_CHARS = 200
_WORD = re.compile(r"\w+", re.UNICODE)
# The PostgreSQL document; migration 0002 builds the GIN index over exactly this expression.
VECTOR = "(setweight(to_tsvector('english', title), 'A') || setweight(to_tsvector('english', text), 'B'))"


@dataclass(frozen=True)
class SearchHit:
    section: Section
    snippet: str  # safe HTML: escaped text with <mark> around the matches


def index_section(section: Section, revision: Revision) -> None:
    from chapters.rendering import plain_text

    text = plain_text(revision.body, objectives=list(revision.objectives))
    SearchEntry.objects.update_or_create(
        section=section, defaults={"book": section.book, "title": revision.title, "text": text}
    )


def unindex_section(section: Section) -> None:
    SearchEntry.objects.filter(section=section).delete()


def query_words(query: str) -> list[str]:
    return _WORD.findall(query[:MAX_QUERY_CHARS].lower())[:12]


def search(query: str, *, book: Book | None = None, limit: int = 20) -> list[SearchHit]:
    words = query_words(query)
    if not words:
        return []
    rows = _postgres(words, book, limit) if connection.vendor == "postgresql" else _sqlite(words, book, limit)
    sections = Section.objects.select_related("book", "chapter", "published").in_bulk([row[0] for row in rows])
    return [SearchHit(sections[pk], _marked(snippet)) for pk, snippet in rows if pk in sections]


def _marked(snippet: str) -> str:
    return escape(snippet).replace(START, "<mark>").replace(STOP, "</mark>")


def _sqlite(words: list[str], book: Book | None, limit: int) -> list[tuple[int, str]]:
    # Every word must match; the last also as a prefix, for live results while typing.
    match = " ".join(f'"{word}"' for word in words[:-1]) + f' "{words[-1]}"*'
    sql = (
        "SELECT e.section_id, snippet(chapters_searchentry_fts, 1, %s, %s, '…', 24) "
        "FROM chapters_searchentry_fts f JOIN chapters_searchentry e ON e.id = f.rowid "
        "WHERE chapters_searchentry_fts MATCH %s {book} "
        "ORDER BY bm25(chapters_searchentry_fts, 4.0, 1.0) LIMIT %s"
    )
    return _rows(sql, [START, STOP, match], book, limit)


def _postgres(words: list[str], book: Book | None, limit: int) -> list[tuple[int, str]]:
    tsquery = " & ".join([*words[:-1], f"{words[-1]}:*"])
    # Only constants are spliced in (VECTOR, the book clause); every value goes as a parameter.
    sql = (
        "SELECT section_id, ts_headline('english', text, q, %s) FROM ("  # noqa: S608
        "  SELECT e.section_id, e.text, q, ts_rank(" + VECTOR + ", q) AS rank"
        "  FROM chapters_searchentry e, to_tsquery('english', %s) q"
        "  WHERE " + VECTOR + " @@ q {book} ORDER BY rank DESC LIMIT %s) hits ORDER BY rank DESC"
    )
    options = f'StartSel={START}, StopSel={STOP}, MaxFragments=2, MaxWords=30, MinWords=12, FragmentDelimiter=" … "'
    return _rows(sql, [options, tsquery], book, limit)


def _rows(sql: str, params: list[object], book: Book | None, limit: int) -> list[tuple[int, str]]:
    """Run a search query whose `{book}` slot filters on the entry alias `e`; rows are (section id, snippet)."""
    clause = "AND e.book_id = %s" if book is not None else ""
    values = [*params, *([book.pk] if book is not None else []), limit]
    with connection.cursor() as cursor:
        cursor.execute(sql.format(book=clause), values)
        return [(int(pk), str(snippet)) for pk, snippet in cursor.fetchall()]
