"""Alice rates and reports her answers, and reads what reviewers said; Bob can touch none of it."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client

from tests.review.conftest import Queue
from tutor.models import Feedback, Notification
from uq import reviews
from uq.models import ReviewItem

pytestmark = pytest.mark.django_db
HTMX = {"HX-Request": "true"}


def test_thumbs_up_then_down_then_back(client: Client, queue: Queue, student: User) -> None:
    answer = queue(decision="answer", confidence=0.9)
    client.force_login(student)
    url = f"/tutor/answers/{answer.pk}/feedback/"

    html = client.post(url, {"rating": "up"}, headers=HTMX).content.decode()
    assert 'class="small secondary rate-up"\n              aria-pressed="true"' in html
    assert Feedback.objects.get().rating == "up"

    html = client.post(url, {"rating": "down"}, headers=HTMX).content.decode()
    assert Feedback.objects.get().rating == "down"
    assert '<details class="report" open>' in html and "What is wrong with it?" in html  # asks why, right there

    client.post(url, {"rating": ""}, headers=HTMX)
    assert Feedback.objects.get().rating == ""
    assert not ReviewItem.objects.exists()  # a thumbs down alone is not a report


def test_a_report_with_a_reason_goes_to_the_reviewers(client: Client, queue: Queue, student: User) -> None:
    answer = queue(decision="answer", confidence=0.9)
    client.force_login(student)
    html = client.post(
        f"/tutor/answers/{answer.pk}/feedback/",
        {"report": "1", "reason": "sources", "comment": "Section 3.2 says otherwise."},
        headers=HTMX,
    ).content.decode()

    assert "You reported this answer: the cited sections do not say this." in html
    item = ReviewItem.objects.get(answer=answer)
    assert item.reported and item.status == "open"
    feedback = Feedback.objects.get()
    assert (feedback.rating, feedback.reason, feedback.comment) == ("down", "sources", "Section 3.2 says otherwise.")


def test_a_report_without_a_reason_is_refused_and_nothing_is_queued(
    client: Client, queue: Queue, student: User
) -> None:
    answer = queue(decision="answer", confidence=0.9)
    client.force_login(student)
    html = client.post(f"/tutor/answers/{answer.pk}/feedback/", {"report": "1"}, headers=HTMX).content.decode()
    assert "Say what looks wrong with the answer." in html
    assert not ReviewItem.objects.exists()


def test_without_javascript_feedback_posts_and_comes_back(client: Client, queue: Queue, student: User) -> None:
    answer = queue(decision="answer", confidence=0.9)
    client.force_login(student)
    response = client.post(f"/tutor/answers/{answer.pk}/feedback/", {"report": "1", "reason": "wrong"})
    assert response.status_code == 302
    assert response.url == f"/tutor/conversations/{answer.question.conversation_id}/#exchange-{answer.pk}"
    assert "Thanks: a reviewer will look at this answer." in client.get(response.url).content.decode()


def test_bob_cannot_rate_or_report_alices_answer(client: Client, queue: Queue, other_student: User) -> None:
    answer = queue(decision="answer", confidence=0.9)
    client.force_login(other_student)
    assert client.post(f"/tutor/answers/{answer.pk}/feedback/", {"rating": "down"}).status_code == 404
    assert client.post(f"/tutor/answers/{answer.pk}/feedback/", {"report": "1", "reason": "wrong"}).status_code == 404
    assert not Feedback.objects.exists() and not ReviewItem.objects.exists()


def test_an_unfinished_answer_cannot_be_rated(client: Client, queue: Queue, student: User) -> None:
    answer = queue(decision="", status="generating")
    client.force_login(student)
    html = client.post(f"/tutor/answers/{answer.pk}/feedback/", {"rating": "up"}, headers=HTMX).content.decode()
    assert "Wait for the answer to finish before rating it." in html
    assert not Feedback.objects.exists()


def test_every_finished_answer_offers_feedback(client: Client, queue: Queue, student: User) -> None:
    answer = queue(decision="answer", confidence=0.9)
    client.force_login(student)
    page = client.get(f"/tutor/conversations/{answer.question.conversation_id}/").content.decode()
    assert f'id="feedback-{answer.pk}"' in page and "Was this helpful?" in page and "Report a problem" in page


def test_notifications_list_and_mark_read(
    client: Client, queue: Queue, student: User, other_student: User, reviewer: User
) -> None:
    answer = queue()
    reviews.do_review(answer.review, reviewer, verdict="wrong", correction="It is 1 kHz.")
    client.force_login(student)

    page = client.get("/notifications/").content.decode()
    assert "A reviewer corrected your answer" in page and "<strong>new</strong>" in page
    assert '<span id="notification-count" class="notification-count">1<' in page  # in the navigation

    client.post("/notifications/")
    assert not Notification.objects.filter(read_at__isnull=True).exists()

    client.force_login(other_student)
    assert "A reviewer corrected your answer" not in client.get("/notifications/").content.decode()


def test_opening_the_conversation_reads_its_notifications(
    client: Client, queue: Queue, student: User, reviewer: User
) -> None:
    answer, elsewhere = queue("Why alias?"), queue("What is a DFT?")
    reviews.do_review(answer.review, reviewer, verdict="correct")
    reviews.do_review(elsewhere.review, reviewer, verdict="correct")
    client.force_login(student)
    client.get(f"/tutor/conversations/{answer.question.conversation_id}/")
    assert list(Notification.objects.filter(read_at__isnull=True).values_list("answer", flat=True)) == [elsewhere.pk]


def test_the_api_carries_the_reviewers_verdict_and_correction(
    client: Client, queue: Queue, student: User, reviewer: User
) -> None:
    from accounts.actions import do_issue_api_token

    answer = queue(decision="abstain", answer_text="It shows up at 1 kHz.")
    token = {"HTTP_AUTHORIZATION": f"Bearer {do_issue_api_token(student)}"}
    before = client.get(f"/api/v1/answers/{answer.pk}", **token).json()
    assert before["review"] is None and before["withheld"] and "1 kHz" not in before["answer"]

    reviews.do_review(answer.review, reviewer, verdict="correct")
    after = client.get(f"/api/v1/answers/{answer.pk}", **token).json()
    assert after["review"]["verdict"] == "correct" and after["review"]["correction"] is None
    assert after["withheld"] is False and after["answer"] == "It shows up at 1 kHz."


def test_her_questions_say_which_were_reviewed(client: Client, queue: Queue, student: User, reviewer: User) -> None:
    answer = queue("Why alias?")
    queue("What is a DFT?")
    reviews.do_review(answer.review, reviewer, verdict="correct")
    client.force_login(student)
    page = client.get("/tutor/conversations/").content.decode()
    assert page.count("1 question · 1 reviewed") == 1 and "1 new note from a reviewer" in page
