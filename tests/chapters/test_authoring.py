"""Ines writes her book in the browser; Otto, who teaches another course, cannot touch it."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from chapters.models import Book, Section
from tests.images import image_bytes, png_bytes

pytestmark = pytest.mark.django_db


@pytest.fixture
def ines(client: Client, instructor: User) -> Client:
    client.force_login(instructor)
    return client


def theorem(book: Book) -> Section:
    return book.sections.get(slug="the-sampling-theorem")


def test_ines_creates_a_book_a_chapter_and_a_section(ines: Client, instructor: User) -> None:
    response = ines.post("/author/books/new/", {"title": "Digital Filters", "slug": "", "description": ""})
    assert response.url == "/author/books/digital-filters/"
    ines.post("/author/books/digital-filters/chapters/new/", {"title": "FIR design"})
    book = Book.objects.get(slug="digital-filters")
    chapter = book.chapters.get()
    response = ines.post(f"/author/chapters/{chapter.pk}/sections/new/", {"title": "Windows"})
    section = chapter.sections.get()
    assert response.url == f"/author/sections/{section.pk}/"
    assert book.owner == instructor


def test_saving_the_editor_makes_a_revision_and_publish_shows_it(ines: Client, book: Book) -> None:
    section = theorem(book)
    data = {
        "title": "The sampling theorem",
        "objectives": "State it\nUse it",
        "body": "Shannon says: $f_s/2$.",
        "message": "Shorter",
    }
    ines.post(f"/author/sections/{section.pk}/", data)
    assert section.latest_revision().objectives == ["State it", "Use it"]
    assert "Shannon says" not in ines.get(section.get_absolute_url()).content.decode()
    ines.post(f"/author/sections/{section.pk}/", {**data, "publish": "1"})
    assert "Shannon says" in ines.get(section.get_absolute_url()).content.decode()


def test_the_live_preview_renders_exactly_as_the_reader(ines: Client, book: Book) -> None:
    from chapters.rendering import render_body

    body = "Some $x_1$ and a table\n\n| a | b |\n|---|---|\n| 1 | 2 |\n"
    response = ines.post(f"/author/sections/{theorem(book).pk}/preview/", {"body": body}, HTTP_HX_REQUEST="true")
    assert str(render_body(book, body)) in response.content.decode()
    assert "<table>" in response.content.decode()


def test_history_shows_a_readable_diff_and_restores(ines: Client, book: Book) -> None:
    section = book.sections.get(slug="aliasing")
    ines.post(
        f"/author/sections/{section.pk}/",
        {"title": "Aliasing", "objectives": "", "body": "Folding frequency.", "message": ""},
    )
    history = ines.get(f"/author/sections/{section.pk}/history/").content.decode()
    assert "r2" in history and "r1" in history
    diff = ines.get(f"/author/sections/{section.pk}/revisions/2/").content.decode()
    assert '<span class="diff-add">+Folding frequency.</span>' in diff
    assert '<span class="diff-del">-A tone at $f_0$ appears at $|f_0 - k f_s|$.</span>' in diff
    ines.post(f"/author/sections/{section.pk}/revisions/1/restore/")
    latest = section.latest_revision()
    assert (latest.number, latest.body) == (3, "A tone at $f_0$ appears at $|f_0 - k f_s|$.")


def test_reordering_from_the_book_page(ines: Client, book: Book) -> None:
    aliasing = book.sections.get(slug="aliasing")
    ines.post(f"/author/sections/{aliasing.pk}/action/", {"action": "up"})
    assert book.chapters.get().sections.first().slug == "aliasing"


def test_otto_gets_403_on_every_change_to_ines_book(client: Client, book: Book, other_instructor: User) -> None:
    client.force_login(other_instructor)
    section, chapter = theorem(book), book.chapters.get()
    before = section.revisions.count()
    posts = [
        (f"/author/sections/{section.pk}/", {"title": "Hacked", "body": "x", "objectives": "", "message": ""}),
        (f"/author/sections/{section.pk}/action/", {"action": "publish"}),
        (f"/author/sections/{section.pk}/revisions/1/restore/", {}),
        (f"/author/sections/{section.pk}/preview/", {"body": "x"}),
        (f"/author/chapters/{chapter.pk}/", {"title": "Renamed"}),
        (f"/author/chapters/{chapter.pk}/sections/new/", {"title": "Intruder"}),
        ("/author/books/signals/", {"title": "Hacked", "description": ""}),
        ("/author/books/signals/authors/", {"username": "otto"}),
        ("/author/books/signals/chapters/new/", {"title": "Intruder"}),
        ("/author/books/signals/figures/", {"image": SimpleUploadedFile("x.png", png_bytes())}),
    ]
    for url, data in posts:
        assert client.post(url, data).status_code == 403, url
    book.refresh_from_db()
    assert (book.title, section.revisions.count(), book.chapters.count()) == ("Signals and Systems", before, 1)
    assert not book.editors.exists() and not book.figures.exists()


def test_an_added_author_can_edit_but_not_choose_authors(client: Client, book: Book, other_instructor: User) -> None:
    book.editors.add(other_instructor)
    client.force_login(other_instructor)
    assert client.get(f"/author/sections/{theorem(book).pk}/").status_code == 200
    assert client.post("/author/books/signals/authors/", {"username": "otto"}).status_code == 403


def test_a_figure_uploads_and_is_referenced_from_markdown(ines: Client, book: Book) -> None:
    response = ines.post(
        "/author/books/signals/figures/", {"image": SimpleUploadedFile("Spectrum Plot.PNG", png_bytes()), "name": ""}
    )
    assert response.status_code == 302
    figure = book.figures.get()
    assert figure.name == "spectrum-plot.png"
    image = ines.get(figure.get_absolute_url())
    assert image["Content-Type"] == "image/png"
    assert b"".join(image.streaming_content) == png_bytes()
    preview = ines.post(
        f"/author/sections/{theorem(book).pk}/preview/", {"body": "![A spectrum](figures/spectrum-plot.png)"}
    )
    assert 'src="/books/signals/figures/spectrum-plot.png"' in preview.content.decode()


@pytest.mark.parametrize(
    ("filename", "content", "message"),
    [
        ("plot.png", b"<svg onload=alert(1)>", "is not a PNG, JPEG, GIF or WebP image"),
        ("plot.png", b"GIF89a-but-not-really", "is not a PNG, JPEG, GIF or WebP image"),
        ("plot.bmp", image_bytes("BMP"), "is a BMP image; use PNG, JPEG, GIF or WebP"),
        ("huge.png", png_bytes((3000, 3000), "white") + b"\0" * (6 * 1024 * 1024), "figures may be at most"),
    ],
)
def test_a_bad_figure_is_refused_with_a_reason(
    ines: Client, book: Book, filename: str, content: bytes, message: str
) -> None:
    response = ines.post("/author/books/signals/figures/", {"image": SimpleUploadedFile(filename, content), "name": ""})
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not book.figures.exists()


def test_a_missing_figure_shows_a_visible_placeholder(ines: Client, book: Book) -> None:
    preview = ines.post(f"/author/sections/{theorem(book).pk}/preview/", {"body": "![x](figures/nothing.png)"})
    assert "Missing figure" in preview.content.decode()


def test_ines_sees_her_books_and_otto_only_his(client: Client, book: Book, other_instructor: User) -> None:
    client.force_login(other_instructor)
    assert "Signals and Systems" not in client.get("/author/").content.decode()
