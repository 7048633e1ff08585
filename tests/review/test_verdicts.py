"""Rita's verdicts: one per item, a label for the confidence model, a note for the student, all logged."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from pytest_django.fixtures import Settings

from accounts.actions import do_grant_role
from tests.factories import UserFactory
from tests.review.conftest import Queue
from tests.uq.test_scoring import synthetic_head
from uq import reviews
from uq.models import Example, Head, ReviewEvent, ReviewItem

pytestmark = pytest.mark.django_db
OnCommit = Callable[..., Any]


def test_a_verdict_closes_the_item_and_becomes_a_label(
    queue: Queue, reviewer: User, django_capture_on_commit_callbacks: OnCommit
) -> None:
    head = synthetic_head(flag=0.5, abstain=0.1)
    item = queue().review
    with django_capture_on_commit_callbacks(execute=True):
        reviews.do_review(item, reviewer, verdict="wrong")

    item.refresh_from_db()
    assert (item.status, item.verdict, item.reviewer) == ("reviewed", "wrong", reviewer)
    example = Example.objects.get(source="review")
    assert item.example == example and example.label is False and example.answer == item.answer
    head.refresh_from_db()
    assert head.online["review_labels"] == 1  # the learning task ran


def test_enough_verdicts_retrain_the_head(
    queue: Queue, reviewer: User, settings: Settings, django_capture_on_commit_callbacks: OnCommit
) -> None:
    settings.UQ_MIN_NEW_LABELS = 2
    head = synthetic_head(flag=0.5, abstain=0.1)
    for text, verdict in (("Why alias?", "wrong"), ("What is a DFT?", "correct")):
        with django_capture_on_commit_callbacks(execute=True):
            reviews.do_review(queue(text).review, reviewer, verdict=verdict)

    active = Head.objects.get(generator="fake-generator", active=True)
    assert active.pk != head.pk and active.provenance["refit_from"] == head.version
    assert active.metrics["counts"]["train"]["answers"] == 202  # its 200 training answers and the 2 verdicts


def test_an_unscored_answer_gives_no_label_but_still_reaches_the_student(queue: Queue, reviewer: User) -> None:
    item = queue(decision="flag", features=None).review
    reviews.do_review(item, reviewer, verdict="correct")
    assert not Example.objects.exists()
    assert item.answer.notifications.get().title == "A reviewer checked your answer: it is correct"


def test_a_correction_reaches_the_students_conversation(
    client: Client, queue: Queue, reviewer: User, student: User
) -> None:
    answer = queue()
    reviews.do_review(answer.review, reviewer, verdict="wrong", correction="It folds to $|7 - 8| = 1$ kHz.")
    client.force_login(student)
    page = client.get(f"/tutor/conversations/{answer.question.conversation_id}/").content.decode()

    assert "Reviewed by a course reviewer:" in page and "this answer is wrong. Here is a correction:" in page
    assert r"\(|7 - 8| = 1\)" in page  # math for KaTeX, from the reviewer's Markdown
    assert answer.notifications.get().title == "A reviewer corrected your answer"


def test_the_books_instructor_is_named_as_such(queue: Queue, instructor: User, student: User, client: Client) -> None:
    do_grant_role(instructor, "reviewer")
    instructor = User.objects.get(pk=instructor.pk)  # permissions are cached per user object
    answer = queue()
    reviews.do_review(answer.review, instructor, verdict="correct")
    client.force_login(student)
    page = client.get(f"/tutor/conversations/{answer.question.conversation_id}/").content.decode()
    assert "Reviewed by your instructor:" in page and "this answer is correct." in page


def test_a_withheld_answer_confirmed_correct_is_shown_to_the_student(
    queue: Queue, reviewer: User, student: User, client: Client
) -> None:
    answer = queue(decision="abstain", answer_text="A 7 kHz tone sampled at 8 kHz shows up at 1 kHz.")
    client.force_login(student)
    url = f"/tutor/conversations/{answer.question.conversation_id}/"
    assert "shows up at 1 kHz" not in client.get(url).content.decode()

    reviews.do_review(answer.review, reviewer, verdict="correct")
    page = client.get(url).content.decode()
    assert "The tutor held this answer back; a reviewer checked it" in page and "shows up at 1 kHz" in page


def test_a_correction_is_sanitised(queue: Queue, reviewer: User, student: User, client: Client) -> None:
    answer = queue()
    reviews.do_review(
        answer.review, reviewer, verdict="wrong", correction="<script>alert(1)</script>[x](javascript:alert(2)) ok"
    )
    client.force_login(student)
    page = client.get(f"/tutor/conversations/{answer.question.conversation_id}/").content.decode()
    assert "Here is a correction:" in page
    assert "alert(1)" not in page and 'href="javascript:' not in page  # the script is dropped, the link left as text


@pytest.mark.parametrize(
    ("verdict", "correction", "message"),
    [
        ("maybe", "", "Choose correct or wrong."),
        ("correct", "Actually…", "A correction goes with a wrong verdict"),
        ("wrong", "x" * 10_001, "at most 10000 characters (yours has 10001)"),
    ],
)
def test_bad_verdicts_are_refused_with_a_reason(
    queue: Queue, reviewer: User, verdict: str, correction: str, message: str
) -> None:
    item = queue().review
    with pytest.raises(reviews.ReviewError, match=message.replace("(", r"\(").replace(")", r"\)")):
        reviews.do_review(item, reviewer, verdict=verdict, correction=correction)
    item.refresh_from_db()
    assert item.status == "open"


def test_a_student_cannot_give_a_verdict(queue: Queue, student: User) -> None:
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        reviews.do_review(queue().review, student, verdict="correct")


def test_the_second_verdict_is_refused_and_says_who_won(queue: Queue, reviewer: User) -> None:
    item = queue().review
    other = UserFactory(username="rob", roles=["reviewer"])
    stale = ReviewItem.objects.get(pk=item.pk)  # rob opened it before rita judged it
    reviews.do_review(item, reviewer, verdict="wrong")

    with pytest.raises(reviews.ReviewConflict, match="rita already marked this answer wrong at"):
        reviews.do_review(stale, other, verdict="correct")
    stale.refresh_from_db()
    assert (stale.verdict, stale.reviewer) == ("wrong", reviewer)
    assert list(Example.objects.values_list("label", flat=True)) == [False]  # only rita's verdict became a label
    assert ReviewEvent.objects.filter(item=item, actor=other, action="refused").exists()


def test_the_verdict_form_moves_on_to_the_next_waiting_item(client: Client, queue: Queue, reviewer: User) -> None:
    first, second = queue("First?").review, queue("Second?").review
    client.force_login(reviewer)
    response = client.post(f"/review/{first.pk}/verdict/", {"verdict": "correct", "q": "reason=flagged"})
    assert response.status_code == 302
    assert response.url == f"/review/{second.pk}/?q=reason%3Dflagged"
    response = client.post(f"/review/{second.pk}/verdict/", {"verdict": "wrong", "q": "reason=flagged"})
    assert response.url == "/review/?reason=flagged"  # the queue is empty: back to it


def test_a_late_verdict_in_the_page_says_who_won(client: Client, queue: Queue, reviewer: User) -> None:
    item = queue().review
    reviews.do_review(item, UserFactory(username="rob", roles=["reviewer"]), verdict="wrong")
    client.force_login(reviewer)
    response = client.post(f"/review/{item.pk}/verdict/", {"verdict": "correct"})
    assert response.status_code == 409
    assert "rob already marked this answer wrong" in response.content.decode()


def test_a_quick_verdict_from_the_list_swaps_its_row(client: Client, queue: Queue, reviewer: User) -> None:
    item = queue().review
    client.force_login(reviewer)
    html = client.post(
        f"/review/{item.pk}/verdict/", {"verdict": "correct", "from": "list"}, headers={"HX-Request": "true"}
    ).content.decode()
    assert html.lstrip().startswith(f'<li class="queue-item status-reviewed" id="item-{item.pk}"')
    assert "Marked <strong>correct</strong>" in html


def test_the_correction_preview_renders_math_and_strips_scripts(client: Client, reviewer: User) -> None:
    client.force_login(reviewer)
    html = client.post("/review/preview/", {"correction": "Use $f_s > 2B$.<script>x()</script>"}).content.decode()
    assert r"\(f_s &gt; 2B\)" in html and "<script>" not in html


def test_every_verdict_is_logged_with_who_and_what(queue: Queue, reviewer: User) -> None:
    item = queue().review
    reviews.do_review(item, reviewer, verdict="wrong", correction="It is 1 kHz.")
    event = ReviewEvent.objects.get(action="verdict")
    assert (event.actor, event.detail["verdict"], event.detail["correction"]) == (reviewer, "wrong", "It is 1 kHz.")


@pytest.mark.django_db(transaction=True)
def test_from_question_to_correction(
    tutor: object, client: Client, book: object, student: User, reviewer: User, settings: Settings
) -> None:
    """The whole loop with the tutor's real pipeline (scripted generator): asked, flagged by the head, queued,
    corrected, learnt from, and read by the student."""
    from tutor import actions

    settings.UQ_MIN_NEW_LABELS = 1
    head = synthetic_head(flag=1.0, abstain=0.0)  # nothing is sure enough to show plainly: everything is flagged
    answer = actions.do_ask(student, book, "How fast must I sample?", section=book.sections.first())
    item = ReviewItem.objects.get(answer=answer)
    assert item.flagged and item.status == "open"

    client.force_login(reviewer)
    assert "How fast must I sample?" in client.get("/review/").content.decode()
    client.post(f"/review/{item.pk}/verdict/", {"verdict": "wrong", "correction": "Faster than $2B$."})

    active = Head.objects.get(generator="fake-generator", active=True)
    assert active.provenance["refit_from"] == head.version  # the label was learnt, and the head refitted
    client.force_login(student)
    page = client.get(f"/tutor/conversations/{answer.question.conversation_id}/").content.decode()
    assert "Here is a correction:" in page and r'Faster than <span class="math math-inline">\(2B\)</span>.' in page


def test_the_confidence_page_counts_the_labels_reviewers_gave(
    client: Client, queue: Queue, reviewer: User, django_capture_on_commit_callbacks: OnCommit, settings: Settings
) -> None:
    settings.GENERATOR_MODEL = "/models/fake-generator"  # the generator the stored answers came from
    synthetic_head(flag=0.5, abstain=0.1)
    with django_capture_on_commit_callbacks(execute=True):
        reviews.do_review(queue().review, reviewer, verdict="wrong")
    client.force_login(reviewer)
    page = client.get("/confidence/").content.decode()
    assert "<dd>200 from the question bank, 1 from reviewers' verdicts</dd>" in page  # its training answers
    assert "<dt>Reviewer verdicts learnt</dt><dd>1 (0 moved the flag threshold)" in page
