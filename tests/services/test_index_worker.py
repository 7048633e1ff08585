"""The retrieval index built and searched by a real Celery worker through Redis."""

from __future__ import annotations

import shutil
import time

import pytest
from django.conf import settings

from chapters.models import Book
from textbook.queue import call
from tutor.actions import do_request_index_build
from tutor.models import IndexBuild
from tutor.retrieval import current_version
from tutor.tasks import semantic_search

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


def test_a_requested_build_runs_on_the_worker_and_search_uses_it(book: Book, celery_worker_process: str) -> None:
    shutil.rmtree(settings.INDEX_DIR / book.slug, ignore_errors=True)
    build = do_request_index_build(book, trigger="manual")  # persisted, then enqueued on commit
    deadline = time.monotonic() + 120
    while IndexBuild.objects.get(pk=build.pk).active and time.monotonic() < deadline:
        time.sleep(0.5)
    build.refresh_from_db()
    assert build.status == IndexBuild.Status.DONE, build.error
    assert current_version(settings.INDEX_DIR / book.slug) == build.version
    passages = call(semantic_search, book.pk, "how fast must a band-limited signal be sampled", timeout=60)
    assert passages[0]["section_id"] == book.sections.get(slug="the-sampling-theorem").pk
