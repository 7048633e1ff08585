"""Headers that back up the sanitiser: a Content-Security-Policy that allows no inline or foreign script,
no framing, no plugins; stricter ones where the site serves uploaded or generated images."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from chapters.actions import do_upload_figure
from chapters.models import Book
from tests.images import png_bytes


def policy(response: object) -> dict[str, str]:
    header = response["Content-Security-Policy"]  # type: ignore[index]
    return {part.split()[0]: part.partition(" ")[2] for part in header.split("; ")}


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/", "/books/signals/sampling/the-sampling-theorem/", "/accounts/login/", "/nope/"])
def test_every_page_forbids_inline_and_foreign_script(client: Client, book: Book, url: str) -> None:
    found = policy(client.get(url))
    assert found["script-src"] == "'self'"
    assert found["object-src"] == "'none'" and found["frame-ancestors"] == "'none'"
    assert found["base-uri"] == "'self'" and found["form-action"] == "'self'"
    assert "'unsafe-eval'" not in str(found) and "*" not in str(found)


@pytest.mark.django_db
def test_the_json_api_carries_it_too(client: Client) -> None:
    assert policy(client.get("/api/v1/books"))["script-src"] == "'self'"


@pytest.mark.django_db
def test_a_figure_keeps_its_own_stricter_policy(client: Client, book: Book) -> None:
    figure = do_upload_figure(book, None, SimpleUploadedFile("plot.png", png_bytes()))
    assert client.get(figure.get_absolute_url())["Content-Security-Policy"] == "default-src 'none'"


def test_no_template_has_an_inline_script_or_handler() -> None:
    """What the policy would block must not be what the site relies on."""
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    for path in root.glob("**/templates/**/*.html"):
        if ".venv" in path.parts:
            continue
        text = path.read_text()
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text), f"inline <script> in {path}"
        assert not re.search(r"\son[a-z]+\s*=", text), f"an inline event handler in {path}"
        assert "hx-on" not in text and "javascript:" not in text, path
