"""manage.py demo: the demo student asks bank questions through the real path, and the command says what happened."""

from __future__ import annotations

import io

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from pytest_django.fixtures import Settings

from chapters.models import Book
from chapters.models import Question as BankQuestion
from tests.tutor.fakes import FakeGenerator
from tests.uq.test_scoring import synthetic_head
from tutor.models import Answer

pytestmark = pytest.mark.django_db(transaction=True)


def bank(book: Book) -> None:
    section = book.sections.get(slug="the-sampling-theorem")
    for n in range(3):
        BankQuestion.objects.create(book=book, key=f"in{n}", type="short", text=f"How fast, case {n}?", answer="2B")
    BankQuestion.objects.create(book=book, key="out", type="out_of_scope", text="Who won the 1998 World Cup?")
    for question in BankQuestion.objects.exclude(key="out"):
        question.sections.add(section)


def test_the_demo_asks_scores_and_queues(tutor: FakeGenerator, book: Book, student: User, settings: Settings) -> None:
    bank(book)
    synthetic_head(flag=1.0, abstain=0.0)  # every answer flagged: all of them reach the queue
    out = io.StringIO()
    call_command("demo", "--book", "signals", "--questions", "3", "--user", "alice", stdout=out)

    answers = Answer.objects.filter(question__conversation__user=student)
    assert answers.count() == 3 and all(a.status == "done" and a.decision == "flag" for a in answers)
    assert sum(1 for a in answers if a.question.text == "Who won the 1998 World Cup?") == 1  # a third out of scope
    text = out.getvalue()
    assert "(reading The sampling theorem)" in text and "flag, P(correct)" in text
    assert "alice now has 3 answer(s) waiting in the review queue" in text


def test_the_demo_says_what_is_missing(book: Book, student: User) -> None:
    with pytest.raises(CommandError, match="no book 'nope'"):
        call_command("demo", "--book", "nope")
    with pytest.raises(CommandError, match="no user 'zed'"):
        call_command("demo", "--book", "signals", "--user", "zed")
    with pytest.raises(CommandError, match="has no question bank"):
        call_command("demo", "--book", "signals", "--user", "alice")
