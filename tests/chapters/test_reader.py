"""What a student sees: library, contents, the section reader, without JavaScript."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client

from chapters import actions
from chapters.models import Book

pytestmark = pytest.mark.django_db
THEOREM = "/books/signals/sampling/the-sampling-theorem/"


def test_the_library_lists_books_with_something_published(client: Client, book: Book, instructor: User) -> None:
    actions.do_create_book(instructor, "Unfinished book")
    html = client.get("/").content.decode()
    assert "Signals and Systems" in html
    assert "2 sections published" in html
    assert "Unfinished book" not in html


def test_contents_show_published_sections_only(client: Client, book: Book) -> None:
    html = client.get("/books/signals/").content.decode()
    assert "The sampling theorem" in html and "Aliasing" in html
    assert "Reconstruction" not in html


def test_the_reader_shows_the_section_with_math_for_katex(client: Client, book: Book) -> None:
    response = client.get(THEOREM)
    html = response.content.decode()
    assert response.status_code == 200
    assert '<span class="math math-inline">\\(f_s &gt; 2B\\)</span>' in html or "f_s &gt; 2B" in html
    assert "\\sum_{n} x[n]" in html
    assert "State the theorem" in html  # learning objectives


def test_the_reader_has_outline_breadcrumbs_pager_and_a_tutor_panel(client: Client, book: Book) -> None:
    html = client.get(THEOREM).content.decode()
    assert 'aria-current="page">The sampling theorem</a>' in html
    assert '<nav class="breadcrumbs"' in html
    assert 'rel="next" href="/books/signals/sampling/aliasing/"' in html
    assert 'rel="prev"' not in html
    assert 'class="tutor-panel"' in html


def test_the_readers_skip_link_jumps_past_the_outline_to_the_text(client: Client, book: Book) -> None:
    html = client.get(THEOREM).content.decode()
    assert '<a class="skip-link" href="#reader-text">' in html
    assert '<article class="section-text" id="reader-text" tabindex="-1"' in html


def test_the_readers_queries_do_not_grow_with_the_books_sections(client: Client, book: Book, instructor: User) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(THEOREM).status_code == 200
        return len(captured)

    queries()  # the first visit fills the caches (rendered sections), whose misses are queries too
    before = queries()
    chapter = book.chapters.get()
    for n in range(5):
        actions.do_publish_section(actions.do_create_section(chapter, instructor, f"More {n}", "Text."))
    queries()
    assert queries() == before


def test_the_reader_embeds_the_demo_with_a_plot_that_loads_without_javascript(client: Client, book: Book) -> None:
    html = client.get(THEOREM).content.decode()
    assert '<figure class="demo"' in html
    assert 'src="/demos/aliasing.svg?f0=7000&amp;fs=8000' in html
    assert 'action="/demos/aliasing/"' in html  # the form works as a plain GET


def test_an_unpublished_section_is_not_found_for_students(client: Client, book: Book, student: User) -> None:
    client.force_login(student)
    assert client.get("/books/signals/sampling/reconstruction/").status_code == 404


def test_ines_previews_her_draft_as_students_will_see_it(client: Client, book: Book, instructor: User) -> None:
    client.force_login(instructor)
    draft = book.sections.get(slug="reconstruction")
    html = client.get(f"/author/sections/{draft.pk}/draft/").content.decode()
    assert "Draft preview of revision 1" in html
    assert "Not ready for students." in html


def test_a_book_with_nothing_published_is_hidden_from_students(client: Client, instructor: User) -> None:
    actions.do_create_book(instructor, "Secret plans", slug="secret")
    assert client.get("/books/secret/").status_code == 404
    client.force_login(instructor)
    assert client.get("/books/secret/").status_code == 200


def test_rendered_html_is_cached_per_revision(book: Book, django_assert_num_queries: object) -> None:
    from chapters.rendering import revision_html

    revision = book.sections.get(slug="aliasing").published
    first = revision_html(revision)
    with django_assert_num_queries(0):  # type: ignore[operator]
        assert revision_html(revision) == first


def test_objectives_and_quiz_text_render_their_math(client: Client, book: Book, instructor: User) -> None:
    section = book.sections.get(slug="aliasing")
    actions.do_save_section(section, instructor, "Aliasing", "Text.", ["Compute $f_a$ from $f_0$ and $f_s$"])
    actions.do_publish_section(section)
    html = client.get("/books/signals/sampling/aliasing/").content.decode()
    assert '<li>Compute <span class="math math-inline">\\(f_a\\)</span>' in html
