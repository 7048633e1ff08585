from __future__ import annotations

import random
import sys
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from chapters.models import Book
from chapters.models import Question as BankQuestion
from uq import actions, collect


class Command(BaseCommand):
    help = (
        "Train the confidence head: answer the question bank with the tutor, grade the answers, then fit, "
        "calibrate and save a versioned head (uq.Head). Resumable: answers already collected are reused."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--book", help="slug (default: the only book, or the first with questions)")
        parser.add_argument("--limit", type=int, default=0, help="answer at most this many new questions")
        parser.add_argument("--batch-size", type=int, default=4)
        parser.add_argument("--se-samples", type=int, default=5, help="sampled answers per test question")
        parser.add_argument("--seed", type=int, default=0)
        parser.add_argument("--collect-only", action="store_true", help="stop after collecting answers")
        parser.add_argument("--skip-collect", action="store_true", help="fit on the answers already collected")
        parser.add_argument("--activate", action="store_true", help="make the new head the active one")
        parser.add_argument("--export", help="also write the head to this file (e.g. uq/heads/default.npz)")

    def handle(self, *args: Any, **options: Any) -> None:
        book = self._book(options["book"])
        if not options["skip_collect"]:
            questions = list(BankQuestion.objects.filter(book=book).order_by("pk"))
            random.Random(options["seed"]).shuffle(questions)  # noqa: S311 - a partial run is a random subset
            if options["limit"]:
                questions = questions[: options["limit"]]
            self.stdout.write(f"collecting answers to {len(questions)} questions of {book.slug}…")
            created = collect.collect(
                book,
                questions,
                batch_size=options["batch_size"],
                se_samples=options["se_samples"],
                max_new_tokens=settings.GENERATOR_MAX_NEW_TOKENS,
                seed=options["seed"],
                progress=self._progress,
            )
            self.stdout.write(f"\n{len(created)} new labelled answers")
        if options["collect_only"]:
            return
        head = actions.do_train_head(seed=options["seed"], activate=options["activate"], log=self.stdout.write)
        if options["export"]:
            actions.export_head(head, options["export"])
            self.stdout.write(f"wrote {options['export']}")

    def _book(self, slug: str | None) -> Book:
        books = Book.objects.filter(questions__isnull=False).distinct().order_by("pk")
        if slug:
            books = books.filter(slug=slug)
        book = books.first()
        if book is None:
            raise CommandError(f"no book {slug!r} with questions" if slug else "no book has questions; import one")
        return book

    def _progress(self, done: int, total: int) -> None:
        width = 30
        filled = int(width * done / total) if total else width
        sys.stdout.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total}")
        sys.stdout.flush()
