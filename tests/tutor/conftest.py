"""The tutor's test stage: the book indexed with the real embedder, a scripted generator on the 'GPU'."""

from __future__ import annotations

from pathlib import Path

import pytest
from pytest_django.fixtures import Settings

from chapters.models import Book
from tests.tutor.fakes import FakeGenerator
from tutor import backends, indexing


@pytest.fixture
def tutor(settings: Settings, tmp_path: Path, book: Book, monkeypatch: pytest.MonkeyPatch) -> FakeGenerator:
    """The book indexed with the real embedder, and a scripted generator on the 'GPU'."""
    settings.INDEX_DIR = tmp_path / "index"
    settings.TASKS_MODE = "eager"
    backends.indexes.cache_clear()
    indexing.rebuild(book)
    fake = FakeGenerator()
    monkeypatch.setattr(backends, "generator", lambda: fake)
    return fake
