"""Ines reads how her students use the tutor on her book; Otto, Alice and Rita see none of it."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone
from pytest_django.fixtures import Settings

from analytics.models import GapReport
from chapters.models import Book, QuizAttempt, Section
from chapters.models import Question as BankQuestion
from tests.review.conftest import Queue
from tutor import actions, indexing
from tutor.models import Answer
from uq import reviews

pytestmark = pytest.mark.django_db


def page(client: Client, url: str = "/analytics/signals/") -> str:
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    return response.content.decode()


@pytest.mark.parametrize(("who", "status"), [("student", 403), ("reviewer", 403), ("other_instructor", 403)])
def test_only_the_books_instructors_see_its_analytics(
    client: Client, book: Book, who: str, status: int, request: pytest.FixtureRequest
) -> None:
    client.force_login(request.getfixturevalue(who))
    assert client.get("/analytics/signals/").status_code == status
    assert client.get("/analytics/signals/sections.csv").status_code == status
    assert client.post("/analytics/signals/gaps/").status_code == status
    assert not GapReport.objects.exists()


def test_otto_lists_only_his_own_books(client: Client, book: Book, other_instructor: User, instructor: User) -> None:
    client.force_login(other_instructor)
    assert "Signals and Systems" not in page(client, "/analytics/")
    client.force_login(instructor)
    assert "Signals and Systems" in page(client, "/analytics/")


def test_an_empty_book_says_so(client: Client, book: Book, instructor: User) -> None:
    client.force_login(instructor)
    html = page(client)
    assert "No student has asked the tutor about this book yet." in html
    assert "Calibration appears once reviewers have judged scored answers (0 so far)." in html


def test_the_overview_counts_decisions_and_students(
    client: Client, queue: Queue, instructor: User, other_student: User, student: User
) -> None:
    queue("Why alias?", decision="flag")
    queue("What is a wavelet?", decision="abstain", confidence=0.05)
    shown = queue("Nyquist rate?", decision="answer", confidence=0.9, asker=other_student)
    actions.do_report(other_student, shown, "wrong")
    client.force_login(instructor)
    html = page(client)

    assert "3 from 2 students (3 in the last 7 days)" in html
    assert "<dt>Shown plainly</dt><dd>1 (33.3%)</dd>" in html
    assert "<dt>Withheld</dt><dd>1 (33.3%)</dd>" in html
    assert "<dt>Reported by students</dt><dd>1</dd>" in html


def test_where_students_ask_is_a_heatmap_and_a_table_by_section(
    client: Client, queue: Queue, instructor: User, book: Book, student: User
) -> None:
    for _ in range(3):
        queue("Why alias?", decision="flag")
    old = queue("Why sample?", decision="answer", confidence=0.9)
    Answer.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=2))
    bank = BankQuestion.objects.create(book=book, key="q1", type="short", text="What folds?", answer="tones")
    bank.sections.add(book.sections.get(slug="the-sampling-theorem"))
    QuizAttempt.objects.create(user=student, question=bank, answer="tones", correct=True)
    QuizAttempt.objects.create(user=student, question=bank, answer="nothing", correct=False)
    client.force_login(instructor)
    html = page(client)

    assert "Questions asked, by section" in html and "<svg" in html
    assert "Sampling › The sampling theorem, " in html and ": 3 questions</title>" in html  # today's cell
    assert "What the tutor did with each question" in html
    row = html[html.index('<a href="/books/signals/sampling/the-sampling-theorem/">') :]
    row = row[: row.index("</tr>")]
    assert "<td>4</td>" in row and "<td>3 (75.0%)</td>" in row and "<td>2</td>" in row and "<td>50.0%</td>" in row
    assert "1 other section had none" in html  # Aliasing: no questions, no attempts


def test_reviewed_accuracy_is_compared_with_the_target(
    client: Client, queue: Queue, instructor: User, reviewer: User, student: User, settings: Settings
) -> None:
    settings.UQ_TARGET_RISK = 0.1
    for n in range(4):
        answer = queue(f"Shown {n}?", decision="answer", confidence=0.9)
        actions.do_report(student, answer, "wrong")
        reviews.do_review(answer.review, reviewer, verdict="wrong" if n < 3 else "correct")
    client.force_login(instructor)
    html = page(client)
    row = html[html.index('<th scope="row">plainly</th>') :]
    row = row[: row.index("</tr>")]
    assert "<td>4</td><td>3</td><td>75.0% (19.4%–99.4%)</td>" in row and "missed" in row


def test_calibration_appears_as_verdicts_arrive(client: Client, queue: Queue, instructor: User, reviewer: User) -> None:
    for n in range(12):
        answer = queue(f"Q{n}?", decision="flag", confidence=0.1 + 0.06 * n)
        reviews.do_review(answer.review, reviewer, verdict="correct" if n % 3 else "wrong")
    client.force_login(instructor)
    html = page(client)
    assert "Confidence against reviewers&#x27; verdicts" in html or "Confidence against reviewers' verdicts" in html
    assert "Calibration error as verdicts arrive" in html


def test_the_csv_exports_name_no_student(
    client: Client, queue: Queue, instructor: User, reviewer: User, student: User
) -> None:
    answer = queue("Why alias?", decision="flag")
    reviews.do_review(answer.review, reviewer, verdict="wrong", correction="1 kHz.")
    client.force_login(instructor)
    for table in ("sections", "activity", "reviews", "gaps"):
        response = client.get(f"/analytics/signals/{table}.csv")
        assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
        text = response.content.decode()
        assert "alice" not in text
        rows = list(csv.reader(io.StringIO(text)))
        assert rows[0]  # a header
    reviews_rows = list(csv.reader(io.StringIO(client.get("/analytics/signals/reviews.csv").content.decode())))
    assert reviews_rows[1][1:] == ["flag", "0.4", "wrong", "1", "flagged"]
    assert client.get("/analytics/signals/students.csv").status_code == 404


@pytest.fixture
def indexed(book: Book, settings: Settings, tmp_path: object) -> Book:
    from tutor import backends

    settings.INDEX_DIR = tmp_path / "index"  # type: ignore[operator]
    backends.indexes.cache_clear()
    indexing.rebuild(book)
    return book


@pytest.mark.django_db(transaction=True)
def test_unanswered_questions_become_gaps_and_a_gap_a_draft_section(
    client: Client, queue: Queue, indexed: Book, instructor: User
) -> None:
    for text in ("What is a wavelet transform?", "How do wavelets differ from Fourier analysis?",
                 "Explain the Haar wavelet."):  # fmt: skip
        queue(text, decision="abstain", confidence=0.05)
    queue("What is a Kalman filter?", answer_text="The book does not cover this.", decision="flag")
    queue("How does the Kalman gain work?", answer_text="This is outside the scope of the book.", decision="flag")
    queue("Why does a 7 kHz tone alias at 8 kHz?", decision="answer", confidence=0.9)  # answered: not a gap
    client.force_login(instructor)

    client.post("/analytics/signals/gaps/")  # eager: the report is made at once
    report = GapReport.objects.get()
    assert report.status == "done" and report.questions == 5
    assert [sorted(c["questions"]) for c in report.clusters] == [
        ["Explain the Haar wavelet.", "How do wavelets differ from Fourier analysis?", "What is a wavelet transform?"],
        ["How does the Kalman gain work?", "What is a Kalman filter?"],
    ]
    html = page(client)
    assert "3 questions</strong> like" in html and "Draft a section" in html

    response = client.post(f"/analytics/signals/gaps/{report.pk}/0/section/")
    section = Section.objects.get(title__startswith="Draft: ")
    assert response.url == f"/author/sections/{section.pk}/"
    assert not section.is_published and section.chapter.title == "Sampling"
    assert "Explain the Haar wavelet." in section.latest_revision().body

    form = page(client, "/author/books/signals/questions/new/?type=out_of_scope&text=What+is+a+wavelet%3F")
    assert "What is a wavelet?</textarea>" in form and 'value="out_of_scope" selected' in form


def test_a_missing_gap_is_refused_with_a_message(client: Client, book: Book, instructor: User) -> None:
    report = GapReport.objects.create(book=book, status="done", clusters=[])
    client.force_login(instructor)
    response = client.post(f"/analytics/signals/gaps/{report.pk}/3/section/", follow=True)
    assert "That group of questions is no longer in the latest report." in response.content.decode()
