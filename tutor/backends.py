"""Models and indexes, loaded once per worker process from settings (never in a web process).

In the embedded default the worker threads live in the web process, so that process loads them;
in production only Celery workers and management commands call these.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from billiard.pool import SIG_SOFT_TIMEOUT
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from tutor.retrieval import IndexCache, SentenceEmbedder, set_search_threads

if TYPE_CHECKING:
    from tutor.generation import Generator
    from tutor.standin import StandinGenerator


# The signal by which a Celery prefork child learns that its task passed its soft time limit; the handler
# billiard installs for it raises SoftTimeLimitExceeded wherever the task is.
SOFT_LIMIT_SIGNAL = SIG_SOFT_TIMEOUT


@contextmanager
def loading() -> Iterator[None]:
    """Hold a task's soft time limit off while models and their modules load; it fires when loading ends.

    Raised inside a first import, SoftTimeLimitExceeded leaves a module half imported (transformers imports its
    parts lazily), and every later answer of that worker process then fails with ModuleNotFoundError. Deferred,
    the answer that ran out of time still fails, a moment later, and the process keeps what it loaded. The hard
    time limit still ends a load that hangs. Only the main thread handles signals: elsewhere (the embedded
    default's task threads, which have no time limit) this does nothing.
    """
    previous = signal.getsignal(SOFT_LIMIT_SIGNAL)
    if threading.current_thread() is not threading.main_thread() or not callable(previous):
        yield
        return
    arrived: list[int] = []
    signal.signal(SOFT_LIMIT_SIGNAL, lambda signum, frame: arrived.append(signum))
    try:
        yield
    finally:
        signal.signal(SOFT_LIMIT_SIGNAL, previous)
    if arrived:
        previous(arrived[0], None)


@lru_cache(maxsize=1)
def embedder() -> SentenceEmbedder:
    return SentenceEmbedder(settings.EMBEDDER_MODEL)


@lru_cache(maxsize=1)
def indexes() -> IndexCache:
    set_search_threads(1)  # this process answers one query at a time
    return IndexCache(settings.INDEX_DIR)


@lru_cache(maxsize=1)
def generator() -> Generator | StandinGenerator:
    if settings.GENERATOR_STANDIN:
        return standin()
    from tutor.generation import Generator

    return Generator(
        settings.GENERATOR_MODEL,
        device=settings.GENERATOR_DEVICE,
        dtype=settings.GENERATOR_DTYPE,
        threads=settings.GENERATOR_THREADS or None,
    )


def standin() -> StandinGenerator:
    """The test-only stand-in of GENERATOR_STANDIN; refused where a student could be answered by it."""
    from tutor.standin import REFUSED, StandinGenerator, parse_spec

    if not (settings.DEBUG or settings.ALLOW_STANDIN_GENERATOR):
        raise ImproperlyConfigured(REFUSED)
    try:
        options = parse_spec(settings.GENERATOR_STANDIN)
    except ValueError as exc:
        raise ImproperlyConfigured(f"GENERATOR_STANDIN={settings.GENERATOR_STANDIN!r}: {exc}") from None
    return StandinGenerator(options)


def retriever(embedder: SentenceEmbedder, index: Any) -> Callable[[str, int | None], list[Any]]:
    """The tutor's retrieval over one book's index: embed the question, fused search, boosted toward the
    section being read. The worker, the ask command and the confidence model's labelling all use this one."""

    def retrieve(text: str, reading: int | None) -> list[Any]:
        vector = embedder.encode([text])[0]
        return list(index.search(vector, text, k=8, boost_sections=[reading] if reading else ()))

    return retrieve
