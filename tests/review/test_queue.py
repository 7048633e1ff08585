"""Rita works the review queue: what enters it, how she finds things in it, and what she may see."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from accounts.actions import do_grant_role
from chapters.models import Book
from tests.review.conftest import Queue
from tutor import actions
from tutor.models import Answer
from uq.models import ReviewEvent, ReviewItem
from uq.reviews import pseudonym

pytestmark = pytest.mark.django_db


def listed(client: Client, query: str = "") -> list[str]:
    """The question texts the queue page lists, in order."""
    page = client.get(f"/review/?{query}").content.decode()
    return re.findall(r'class="queue-open" href="[^"]+">([^<]+)</a>', page)


def test_flagged_and_withheld_answers_enter_the_queue_and_plain_ones_do_not(queue: Queue) -> None:
    flagged = queue("Why alias?", decision="flag")
    withheld = queue("What is a wavelet?", decision="abstain")
    queue("What is the Nyquist rate?", decision="answer", confidence=0.95)

    assert {item.answer for item in ReviewItem.objects.all()} == {flagged, withheld}
    assert flagged.review.reasons == ["flagged"] and withheld.review.reasons == ["withheld"]


def test_the_worker_queues_an_answer_it_finishes_as_withheld(queue: Queue, student: User) -> None:
    from tests.tutor.fakes import FakeGenerator
    from tutor.pipeline import answer_question
    from tutor.types import Score

    answer = queue("Why alias?", decision="", confidence=None, status=Answer.Status.GENERATING)
    result = answer_question(
        "Why alias?",
        retrieve=lambda q, s: [],
        generator=FakeGenerator(),
        scorer=lambda r: Score(0.3, "flag"),
    )  # nothing retrieved: abstains without the model
    actions.do_finish_answer(answer, result, index_version="v1")

    assert ReviewItem.objects.get(answer=answer).abstained


def test_a_report_puts_a_plainly_shown_answer_in_the_queue(queue: Queue, student: User) -> None:
    answer = queue("What is the Nyquist rate?", decision="answer", confidence=0.95)
    actions.do_report(student, answer, "wrong", "The book says twice the bandwidth.")

    item = ReviewItem.objects.get(answer=answer)
    assert item.reasons == ["reported"] and item.status == "open"
    assert answer.feedback.comment == "The book says twice the bandwidth."


def test_a_reported_flagged_answer_is_one_item_with_both_reasons(queue: Queue, student: User) -> None:
    answer = queue("Why alias?", decision="flag")
    actions.do_report(student, answer, "sources")

    assert ReviewItem.objects.get().reasons == ["flagged", "reported"]
    assert list(ReviewEvent.objects.filter(action="queued").values_list("detail__reasons", flat=True)) == [
        ["reported"],
        ["flagged"],
    ]


def test_only_reviewers_open_the_queue(client: Client, queue: Queue, student: User, instructor: User) -> None:
    queue()
    for user in (student, instructor):
        client.force_login(user)
        assert client.get("/review/").status_code == 403


def test_the_queue_lists_waiting_items_oldest_first(client: Client, queue: Queue, reviewer: User) -> None:
    first, second = queue("First?"), queue("Second?")
    ReviewItem.objects.filter(answer=first).update(created_at=timezone.now() - timedelta(hours=2))
    client.force_login(reviewer)
    page = client.get("/review/").content.decode()

    assert listed(client) == ["First?", "Second?"]
    assert "2 items shown · 2 waiting in all" in page
    assert second.text in page  # the answer's excerpt, to judge at a glance


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("reason=withheld", ["Withheld?"]),
        ("reason=reported", ["Reported?"]),
        ("decision=flag", ["Flagged low?", "Flagged high?"]),
        ("min_confidence=0.5", ["Flagged high?", "Reported?"]),
        ("max_confidence=0.3&min_confidence=0.1", ["Flagged low?", "Withheld?"]),
        ("sort=least-confident", ["Withheld?", "Flagged low?", "Flagged high?", "Reported?"]),
        ("sort=most-confident", ["Reported?", "Flagged high?", "Flagged low?", "Withheld?"]),
        ("sort=newest", ["Reported?", "Withheld?", "Flagged high?", "Flagged low?"]),
        ("status=reviewed", []),
        ("book=signals", ["Flagged low?", "Flagged high?", "Withheld?", "Reported?"]),
    ],
)
def test_the_filters_and_sorts(
    client: Client, queue: Queue, reviewer: User, student: User, query: str, expected: list[str]
) -> None:
    queue("Flagged low?", confidence=0.3)
    queue("Flagged high?", confidence=0.6)
    queue("Withheld?", decision="abstain", confidence=0.1)
    actions.do_report(student, queue("Reported?", decision="answer", confidence=0.9), "wrong")
    client.force_login(reviewer)

    assert listed(client, query) == expected


def test_the_date_and_chapter_filters(client: Client, queue: Queue, reviewer: User, book: Book) -> None:
    old = queue("Last week?")
    ReviewItem.objects.filter(answer=old).update(created_at=timezone.now() - timedelta(days=7))
    queue("Today?")
    client.force_login(reviewer)
    today = timezone.localdate().isoformat()

    assert listed(client, f"since={today}") == ["Today?"]
    assert listed(client, f"until={(timezone.localdate() - timedelta(days=3)).isoformat()}") == ["Last week?"]
    assert listed(client, f"chapter={book.chapters.get().pk}") == ["Last week?", "Today?"]


def test_an_empty_range_is_explained_not_silently_empty(client: Client, queue: Queue, reviewer: User) -> None:
    queue()
    client.force_login(reviewer)
    page = client.get("/review/?min_confidence=0.8&max_confidence=0.2").content.decode()
    assert "The confidence range is empty" in page
    page = client.get("/review/?min_confidence=lots").content.decode()
    assert "Enter a number." in page


def test_htmx_gets_only_the_results(client: Client, queue: Queue, reviewer: User) -> None:
    queue()
    client.force_login(reviewer)
    html = client.get("/review/?reason=flagged", headers={"HX-Request": "true"}).content.decode()
    assert html.lstrip().startswith('<div id="queue-results"') and "<html" not in html


def test_the_queue_pages_by_25(client: Client, queue: Queue, reviewer: User) -> None:
    for n in range(27):
        queue(f"Question {n:02}?")
    client.force_login(reviewer)
    assert len(listed(client)) == 25
    assert listed(client, "page=2") == ["Question 25?", "Question 26?"]
    assert "Page 1 of 2" in client.get("/review/").content.decode()


def test_reviewers_see_a_pseudonym_and_the_books_instructor_the_name(
    client: Client, queue: Queue, reviewer: User, instructor: User, student: User
) -> None:
    item = queue().review
    client.force_login(reviewer)
    page = client.get(f"/review/{item.pk}/").content.decode()
    assert pseudonym(student.pk) in page and "alice" not in page

    do_grant_role(instructor, "reviewer")  # Ines wrote the book and reviews its questions
    client.force_login(instructor)
    page = client.get(f"/review/{item.pk}/").content.decode()
    assert "Asked by alice" in page


def test_pseudonyms_are_stable_and_tell_students_apart(student: User, other_student: User) -> None:
    assert pseudonym(student.pk) == pseudonym(student.pk) != pseudonym(other_student.pk)
    assert re.fullmatch(r"Student [0-9A-F]{6}", pseudonym(student.pk))


def test_the_item_shows_what_is_needed_to_judge_it(client: Client, queue: Queue, reviewer: User) -> None:
    answer = queue("Why does a 7 kHz tone alias at 8 kHz?", decision="abstain", confidence=0.12)
    client.force_login(reviewer)
    page = client.get(f"/review/{answer.review.pk}/").content.decode()

    assert "Why does a 7 kHz tone alias at 8 kHz?" in page
    assert "while reading" in page and "Sampling › The sampling theorem" in page  # the section she was reading
    assert "Withheld from the student." in page and "It folds to 1 kHz" in page  # what the student would have seen
    assert "score 0.031" in page and "appears at" in page  # the retrieved passage and its score
    assert "0.120" in page and "the book&#x27;s passages barely match this question" in page
    assert "retrieval score of the best passage" in page  # the signals behind the confidence


def test_opening_an_item_is_logged(client: Client, queue: Queue, reviewer: User) -> None:
    item = queue().review
    client.force_login(reviewer)
    client.get(f"/review/{item.pk}/")
    assert ReviewEvent.objects.filter(item=item, actor=reviewer, action="opened").exists()


def test_staff_read_the_review_log_in_the_admin(client: Client, queue: Queue, staff: User, reviewer: User) -> None:
    item = queue().review
    ReviewEvent.objects.create(item=item, actor=reviewer, action="opened")
    client.force_login(staff)
    page = client.get("/admin/uq/reviewevent/").content.decode()
    assert "rita" in page and "opened" in page
    assert client.get(f"/admin/uq/reviewevent/{ReviewEvent.objects.first().pk}/delete/").status_code == 403
