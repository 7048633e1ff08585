"""The book on PostgreSQL: full-text search through the GIN index, and a whole import."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.db import connection

from chapters import actions, search
from chapters.models import Book

pytestmark = [pytest.mark.services, pytest.mark.django_db]
FIXTURES = Path(__file__).resolve().parents[1] / "chapters" / "fixtures"


def test_search_uses_postgres_full_text_with_marked_snippets(book: Book) -> None:
    assert connection.vendor == "postgresql"
    hits = search.search("sampling theorem")
    assert [hit.section.slug for hit in hits][0] == "the-sampling-theorem"
    assert "<mark>" in hits[0].snippet


def test_postgres_search_matches_prefixes_stems_and_skips_drafts(book: Book, instructor: User) -> None:
    assert [hit.section.slug for hit in search.search("alia")] == ["aliasing"]
    assert [hit.section.slug for hit in search.search("sampled")][0] == "the-sampling-theorem"  # stemming
    assert search.search("ready for students") == []
    actions.do_unpublish_section(book.sections.get(slug="aliasing"))
    assert search.search("alia") == []


@pytest.mark.parametrize("query", ['"', "a & b | !c", "x:*", "'; DROP TABLE x; --", "(((("])
def test_odd_queries_never_break_postgres_search(book: Book, query: str) -> None:
    assert isinstance(search.search(query), list)


def test_the_gin_index_exists() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = 'chapters_searchentry_fts'")
        (definition,) = cursor.fetchone()
    assert "gin" in definition.lower()


def test_a_course_imports_and_publishes_on_postgres(instructor: User) -> None:
    out = io.StringIO()
    call_command("import_book", str(FIXTURES / "mkdocs_course"), "--owner", "ines", "--publish", stdout=out)
    book = Book.objects.get()
    assert book.sections.filter(published__isnull=False).count() == book.sections.count() > 0
    assert search.search(book.sections.first().title.split()[0])
