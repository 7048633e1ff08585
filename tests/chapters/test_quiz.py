"""The section quiz: students answer in the reader and see right or wrong with the explanation."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client

from chapters import actions
from chapters.bank import QuestionData
from chapters.models import Book, Question, QuizAttempt

pytestmark = pytest.mark.django_db
THEOREM = "/books/signals/sampling/the-sampling-theorem/"


@pytest.fixture
def questions(book: Book) -> dict[str, Question]:
    common = {"chapter": "sampling", "sections": ["the-sampling-theorem"], "explanation": "Twice the bandwidth."}
    bank = [
        QuestionData(id="nyquist-rate", type="numeric", text="A signal has no energy above 4 kHz. What is its Nyquist rate?",
                     answer="8000", unit="Hz", tolerance=1, check="2 * 4000", **common),
        QuestionData(id="which-rate", type="choice", text="Which sampling rate avoids aliasing for a 3 kHz band-limited signal?",
                     choices=["4 kHz", "5 kHz", "8 kHz"], answer="2", **common),
        QuestionData(id="name-it", type="short", text="What is the minimum sampling rate for a band-limited signal called?",
                     answer="Nyquist rate", accepted=["the Nyquist rate"], **common),
    ]  # fmt: skip
    return {data.id: actions.do_save_question(book, None, data) for data in bank}


def answer(client: Client, question: Question, text: str, htmx: bool = True) -> str:
    headers = {"HTTP_HX_REQUEST": "true"} if htmx else {}
    return client.post(f"/quiz/{question.pk}/", {"answer": text}, **headers).content.decode()


def test_the_quiz_appears_under_the_section(client: Client, questions: dict[str, Question]) -> None:
    html = client.get(THEOREM).content.decode()
    assert "Check your understanding" in html
    assert "What is its Nyquist rate?" in html
    assert 'type="radio" name="answer" value="2"' in html


@pytest.mark.parametrize("text", ["8 kHz", "8000 Hz", "8e3", "8000"])
def test_a_right_numeric_answer_in_any_spelling(client: Client, questions: dict[str, Question], text: str) -> None:
    html = answer(client, questions["nyquist-rate"], text)
    assert "Right." in html
    assert "Twice the bandwidth." in html
    assert 'href="/books/signals/sampling/the-sampling-theorem/"' in html


def test_a_wrong_answer_says_so_with_the_explanation(client: Client, questions: dict[str, Question]) -> None:
    html = answer(client, questions["nyquist-rate"], "4 kHz")
    assert "Not quite." in html and "Twice the bandwidth." in html


def test_choice_and_short_answers(client: Client, questions: dict[str, Question]) -> None:
    assert "Right." in answer(client, questions["which-rate"], "2")
    assert "Not quite." in answer(client, questions["which-rate"], "0")
    assert "Right." in answer(client, questions["name-it"], "It is the Nyquist rate")
    assert "Not quite." in answer(client, questions["name-it"], "the bandwidth")


def test_an_empty_answer_is_a_prompt_not_a_failure(client: Client, questions: dict[str, Question]) -> None:
    assert "Type an answer first." in answer(client, questions["nyquist-rate"], "   ")


def test_alice_attempts_are_kept_and_visitors_are_not(
    client: Client, questions: dict[str, Question], student: User
) -> None:
    answer(client, questions["nyquist-rate"], "8 kHz")
    assert not QuizAttempt.objects.exists()
    client.force_login(student)
    answer(client, questions["nyquist-rate"], "4 kHz")
    attempt = QuizAttempt.objects.get()
    assert (attempt.user, attempt.answer, attempt.correct) == (student, "4 kHz", False)


def test_the_quiz_works_without_javascript(client: Client, questions: dict[str, Question]) -> None:
    html = answer(client, questions["nyquist-rate"], "8 kHz", htmx=False)
    assert "<html" in html and "Right." in html and "Back to the section" in html


def test_questions_of_unpublished_sections_are_not_answerable(client: Client, book: Book) -> None:
    data = QuestionData(id="draft-q", type="short", text="Is this section ready for students?", chapter="sampling",
                        sections=["reconstruction"], answer="no", explanation="It is a draft.")  # fmt: skip
    question = actions.do_save_question(book, None, data)
    assert client.post(f"/quiz/{question.pk}/", {"answer": "no"}).status_code == 404


def test_the_quiz_only_takes_posts(client: Client, questions: dict[str, Question]) -> None:
    assert client.get(f"/quiz/{questions['nyquist-rate'].pk}/").status_code == 405
