from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client

from chapters import actions, search
from chapters.models import Book

pytestmark = pytest.mark.django_db


def test_search_finds_published_text_and_marks_the_match(book: Book) -> None:
    hits = search.search("sampling theorem")
    assert [hit.section.slug for hit in hits] == ["the-sampling-theorem"]
    assert "<mark>" in hits[0].snippet


def test_search_never_shows_drafts(book: Book) -> None:
    assert search.search("ready for students") == []


def test_search_matches_word_prefixes_for_live_results(book: Book) -> None:
    assert [hit.section.slug for hit in search.search("alia")] == ["aliasing"]


def test_search_follows_republishing_and_unpublishing(book: Book, instructor: User) -> None:
    section = book.sections.get(slug="aliasing")
    actions.do_save_section(section, instructor, "Aliasing", "Spectral folding explained.", [])
    assert search.search("folding") == []
    actions.do_publish_section(section)
    assert [h.section.slug for h in search.search("folding")] == ["aliasing"]
    actions.do_unpublish_section(section)
    assert search.search("folding") == []


def test_search_escapes_what_it_quotes(book: Book, instructor: User) -> None:
    section = book.sections.get(slug="aliasing")
    actions.do_save_section(section, instructor, "Aliasing", "Compare `<script>alert(1)</script>` with aliasing.", [])
    actions.do_publish_section(section)
    snippet = search.search("compare")[0].snippet
    assert "<script>" not in snippet and "&lt;script&gt;" in snippet


@pytest.mark.parametrize("query", ['"', "AND OR NOT", "*", "a) OR (b", "NEAR(", "'; DROP TABLE x; --", "x" * 500])
def test_odd_queries_never_break_the_search(book: Book, query: str) -> None:
    assert isinstance(search.search(query), list)


def test_the_search_page_answers_htmx_with_just_the_results(client: Client, book: Book) -> None:
    full = client.get("/search/", {"q": "sampling"}).content.decode()
    partial = client.get("/search/", {"q": "sampling"}, HTTP_HX_REQUEST="true").content.decode()
    assert "<html" in full and "<html" not in partial
    assert "The sampling theorem" in partial


def test_search_can_be_limited_to_one_book(client: Client, book: Book, instructor: User) -> None:
    other = actions.do_create_book(instructor, "Other", slug="other")
    section = actions.do_create_section(
        actions.do_create_chapter(other, "One"), instructor, "Sampling elsewhere", "sampling"
    )
    actions.do_publish_section(section)
    assert {h.section.book.slug for h in search.search("sampling")} == {"signals", "other"}
    assert {h.section.book.slug for h in search.search("sampling", book=book)} == {"signals"}


def test_the_postgres_index_migration_matches_the_query() -> None:
    import importlib

    migration = importlib.import_module("chapters.migrations.0002_full_text_search")
    assert migration.POSTGRES_VECTOR == search.VECTOR
