"""Semantic search for students: the tutor's retriever, run where tasks run (never in a web process)."""

from __future__ import annotations

from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass

from celery.exceptions import TimeoutError as CeleryTimeout

from chapters.models import Book, Section
from textbook.queue import call
from tutor.tasks import semantic_search


class SemanticSearchUnavailable(Exception):
    """Shown to the student as it is: why meaning search could not answer now."""


@dataclass(frozen=True)
class Passage:
    section: Section
    heading: str
    text: str
    score: float


def search_by_meaning(query: str, books: list[Book], k: int = 8) -> list[Passage]:
    rows: list[tuple[float, dict[str, object]]] = []
    for book in books:
        try:
            found = call(semantic_search, book.pk, query, k)
        except FileNotFoundError:
            continue  # this book has no index yet
        except (CeleryTimeout, FutureTimeout):
            raise SemanticSearchUnavailable("The search workers are busy; try again in a moment.") from None
        rows += [(float(row["score"]), row) for row in found]  # type: ignore[arg-type]
    if not rows and books:
        raise SemanticSearchUnavailable("Search by meaning is not ready yet: the book's index is still being built.")
    rows.sort(key=lambda item: -item[0])
    sections = Section.objects.filter(published__isnull=False).select_related("book", "chapter", "published")
    by_id = sections.in_bulk([int(row["section_id"]) for _, row in rows])  # type: ignore[call-overload]
    return [
        Passage(by_id[int(row["section_id"])], str(row["heading"]), str(row["text"]), score)  # type: ignore[call-overload]
        for score, row in rows[:k]
        if int(row["section_id"]) in by_id  # type: ignore[call-overload]
    ]
