from __future__ import annotations

import random
import time
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.core.management.base import BaseCommand, CommandError, CommandParser

from chapters.models import Book
from chapters.models import Question as BankQuestion
from textbook.queue import drain
from tutor import actions
from tutor.models import Answer

WAIT_SECONDS = 600  # for one answer; a CPU takes 5–15 s, a queue of them longer


class Command(BaseCommand):
    help = (
        "Bring the site to life: the demo student asks the tutor some of the book's bank questions (in scope and "
        "out of scope) through the real path — stored, answered by a worker, scored — so the review queue and the "
        "analytics have something to show. Prints what the tutor did with each."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--book", default="signals-sampled", help="book slug")
        parser.add_argument("--questions", type=int, default=6, help="how many to ask (a CPU answers ~7 a minute)")
        parser.add_argument("--user", default="student", help="who asks (default: the demo student)")
        parser.add_argument("--seed", type=int, default=0)

    def handle(self, *args: Any, book: str, questions: int, user: str, seed: int, **options: Any) -> None:
        item = Book.objects.filter(slug=book).first()
        if item is None:
            raise CommandError(f"no book {book!r}; import one first (make run does)")
        asker = User.objects.filter(username=user).first()
        if asker is None:
            raise CommandError(f"no user {user!r}; create the demo accounts with manage.py demo_accounts")
        if questions < 1:
            raise CommandError("--questions must be at least 1")
        bank = list(BankQuestion.objects.filter(book=item).prefetch_related("sections").order_by("pk"))
        if not bank:
            raise CommandError(f"{book} has no question bank to ask from")
        rng = random.Random(seed)  # noqa: S311 - picks demo questions, nothing secret
        in_scope = [q for q in bank if not q.out_of_scope]
        out_of_scope = [q for q in bank if q.out_of_scope]
        picked = rng.sample(in_scope, min(len(in_scope), questions - questions // 3))
        picked += rng.sample(out_of_scope, min(len(out_of_scope), questions - len(picked)))
        for number, question in enumerate(picked, 1):
            section = question.sections.first()
            started = time.monotonic()
            answer = self._wait(self._ask(asker, item, question.text, section))
            where = f" (reading {section.title})" if section else ""
            self.stdout.write(f"{number}. {question.text}{where}")
            if answer.status != Answer.Status.DONE:
                self.stdout.write(self.style.ERROR(f"   {answer.status}: {answer.error or 'no answer in time'}"))
                continue
            confidence = "unscored" if answer.confidence is None else f"P(correct) {answer.confidence:.2f}"
            self.stdout.write(
                f"   {answer.decision}, {confidence}, {len(answer.citations)} citation(s), "
                f"{time.monotonic() - started:.1f} s"
            )
        queued = Answer.objects.filter(question__conversation__user=asker, review__status="open").count()
        self.stdout.write(
            self.style.SUCCESS(
                f"{asker.username} now has {queued} answer(s) waiting in the review queue (/review/, as a reviewer); "
                f"{item.title}'s analytics are at /analytics/{item.slug}/ (as its instructor)."
            )
        )

    def _ask(self, asker: User, book: Book, text: str, section: Any) -> Answer:
        """do_ask, waiting out the per-minute limit the demo student is held to like any other."""
        while True:
            try:
                return actions.do_ask(asker, book, text, section=section)
            except actions.RateLimited as exc:
                self.stdout.write(f"   (the per-minute limit: waiting {exc.retry_after} s)")
                time.sleep(exc.retry_after)

    def _wait(self, answer: Answer) -> Answer:
        """The answer once a worker has finished it (in-process threads or a Celery worker)."""
        if settings.TASKS_MODE == "thread":
            drain(timeout=WAIT_SECONDS)
        deadline = time.monotonic() + WAIT_SECONDS
        while True:
            answer.refresh_from_db()
            if answer.finished or time.monotonic() > deadline:
                return answer
            time.sleep(0.5)
