"""Instructors edit the question bank; every save is checked like the content files are."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client

from chapters.models import Book, Question

pytestmark = pytest.mark.django_db


def form(**overrides: object) -> dict[str, object]:
    data = {
        "key": "ch01-nyquist", "type": "numeric", "text": "What is the Nyquist rate of a 4 kHz band-limited signal?",
        "sections": ["sampling/the-sampling-theorem"], "difficulty": 1, "answer": "8000", "unit": "Hz",
        "tolerance": "1", "check": "2 * 4000", "choices": "", "accepted": "", "keywords": "",
        "explanation": "Twice the highest frequency.", "category": "",
    }  # fmt: skip
    return {**data, **overrides}


@pytest.fixture
def ines(client: Client, instructor: User) -> Client:
    client.force_login(instructor)
    return client


def test_ines_adds_a_question_and_it_reaches_the_quiz(ines: Client, book: Book) -> None:
    response = ines.post("/author/books/signals/questions/new/", form())
    assert response.status_code == 302
    question = Question.objects.get()
    assert [s.slug for s in question.sections.all()] == ["the-sampling-theorem"]
    assert "Nyquist rate of a 4 kHz" in ines.get("/books/signals/sampling/the-sampling-theorem/").content.decode()
    assert "ch01-nyquist" in ines.get("/author/books/signals/questions/").content.decode()


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"check": "2 * 5000"}, "check formula gives 10000"),
        ({"answer": "eight thousand"}, "is not a number"),
        ({"sections": []}, "section"),
        (
            {"type": "choice", "choices": "4 kHz\n8 kHz", "answer": "5", "unit": "", "tolerance": "", "check": ""},
            "choice answer",
        ),
        ({"key": "Bad Id"}, "Enter a valid"),
    ],
)
def test_a_broken_question_is_refused_with_the_reason(
    ines: Client, book: Book, overrides: dict[str, object], message: str
) -> None:
    response = ines.post("/author/books/signals/questions/new/", form(**overrides))
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Question.objects.exists()


def test_ines_edits_a_question(ines: Client, book: Book) -> None:
    ines.post("/author/books/signals/questions/new/", form())
    question = Question.objects.get()
    page = ines.get(f"/author/books/signals/questions/{question.pk}/").content.decode()
    assert "2 * 4000" in page
    ines.post(
        f"/author/books/signals/questions/{question.pk}/", form(text="What is the Nyquist rate for 4 kHz of bandwidth?")
    )
    question.refresh_from_db()
    assert question.text == "What is the Nyquist rate for 4 kHz of bandwidth?"


def test_ids_are_unique_in_a_book(ines: Client, book: Book) -> None:
    ines.post("/author/books/signals/questions/new/", form())
    response = ines.post("/author/books/signals/questions/new/", form())
    assert "already has the id" in response.content.decode()


def test_otto_cannot_touch_ines_questions(client: Client, book: Book, other_instructor: User) -> None:
    client.force_login(other_instructor)
    assert client.post("/author/books/signals/questions/new/", form()).status_code == 403
    assert client.get("/author/books/signals/questions/").status_code == 403
