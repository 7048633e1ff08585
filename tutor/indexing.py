"""A book's published text → chunks → a new index version (Django side of tutor.retrieval)."""

from __future__ import annotations

import fcntl
import time
from collections.abc import Callable

from django.conf import settings

from chapters.chunking import Chunk, SectionSource, chunk_section
from chapters.models import Book, Section
from tutor import backends
from tutor.retrieval import BookIndex, build_index, content_hash, current_version, load_index, save_index


def book_chunks(book: Book) -> list[Chunk]:
    """Chunks of every published section of `book`, in reading order."""
    sections = (
        Section.objects.filter(book=book, published__isnull=False)
        .select_related("chapter", "published")
        .order_by("chapter__position", "chapter__pk", "position", "pk")
    )
    chunks: list[Chunk] = []
    for section in sections:
        revision = section.published
        if revision is None:  # filtered above; a concurrent unpublish can still race us
            continue
        source = SectionSource(
            book=book.slug,
            chapter=section.chapter.slug,
            chapter_title=section.chapter.title,
            section_id=section.pk,
            section_slug=section.slug,
            section_title=revision.title,
            anchor=section.anchor,
            revision=revision.number,
            body=revision.body,
            objectives=tuple(revision.objectives),
        )
        chunks += chunk_section(source)
    return chunks


def current_index(book: Book) -> BookIndex | None:
    root = settings.INDEX_DIR / book.slug
    return load_index(root) if current_version(root) else None


def rebuild(book: Book, progress: Callable[[int, int], None] | None = None) -> tuple[BookIndex | None, int, int]:
    """Build and swap in a new index if the published text changed.

    Returns (the new index or None when nothing changed, chunks in total, chunks embedded).
    """
    root = settings.INDEX_DIR / book.slug
    root.mkdir(parents=True, exist_ok=True)
    # One build of a book at a time (on this machine): a slower writer must not point CURRENT back.
    with (root / ".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        chunks = book_chunks(book)
        previous = current_index(book)
        embedder = backends.embedder()
        if previous is not None and previous.content_hash == content_hash(chunks) and previous.model == embedder.name:
            return None, len(chunks), 0
        index, embedded = build_index(chunks, embedder, reuse=previous, progress=progress)
        save_index(index, root)
        return index, len(chunks), embedded


class Throttle:
    """Calls `action` at most every `seconds` (and always for the last step)."""

    def __init__(self, action: Callable[[int, int], None], seconds: float = 0.5) -> None:
        self.action, self.seconds, self.last = action, seconds, 0.0

    def __call__(self, done: int, total: int) -> None:
        now = time.monotonic()
        if done >= total or now - self.last >= self.seconds:
            self.last = now
            self.action(done, total)
