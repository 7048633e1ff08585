from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from chapters.models import Book
from tutor import actions, indexing
from tutor.models import IndexBuild


class Command(BaseCommand):
    help = "Build (or update) the retrieval index of one book or of every book, re-embedding only changed chunks."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--book", help="slug of the book (default: every book with published sections)")

    def handle(self, *args: Any, book: str | None, **options: Any) -> None:
        books = Book.objects.filter(sections__published__isnull=False).distinct().order_by("slug")
        if book:
            books = books.filter(slug=book)
            if not books.exists():
                raise CommandError(f"no book {book!r} with published sections")
        for item in books:
            self.build(item)

    def build(self, book: Book) -> None:
        build = IndexBuild.objects.create(book=book, trigger="command")
        actions.do_start_build(build)
        started = time.perf_counter()
        with tqdm(desc=f"embedding {book.slug}", unit="chunk", disable=None, file=self.stderr) as bar:

            def progress(done: int, total: int) -> None:
                bar.total = total
                bar.n = done
                bar.refresh()
                actions.do_record_progress(build, done, total)

            try:
                index, total, embedded = indexing.rebuild(book, progress=progress)
            except Exception as exc:
                actions.do_fail_build(build, f"{type(exc).__name__}: {exc}")
                raise CommandError(f"{book.slug}: {exc}") from exc
        seconds = time.perf_counter() - started
        actions.do_finish_build(build, version=index.version if index else "", total=total, embedded=embedded)
        if index is None:
            self.stdout.write(f"{book.slug}: index is up to date ({total} chunks)")
        else:
            self.stdout.write(
                self.style.SUCCESS(
                    f"{book.slug}: version {index.version}, {total} chunks ({embedded} embedded, "
                    f"{total - embedded} reused), {index.kind} index, {seconds:.1f} s"
                )
            )
