"""The tutor's limits hold on every way in: the page form, the websocket and the API share one count per
student; a question can only point at a section students can read."""

from __future__ import annotations

from typing import Any

import pytest
from channels.testing import WebsocketCommunicator
from django.contrib.auth.models import User
from django.test import Client
from pytest_django.fixtures import Settings

from accounts.actions import do_issue_api_token
from chapters.models import Book
from textbook.asgi import application
from tutor import actions
from tutor.models import Question


@pytest.fixture(autouse=True)
def queued(monkeypatch: pytest.MonkeyPatch, settings: Settings) -> list[Any]:
    """Answers are queued, not run: these tests are about what is let in."""
    settings.TUTOR_QUESTIONS_PER_MINUTE = 1
    calls: list[Any] = []
    monkeypatch.setattr(actions, "enqueue", lambda task, *args: calls.append((task.name, args)))
    return calls


ASK = {"book": "signals", "question": "How fast must I sample?"}


async def socket_for(user: User) -> WebsocketCommunicator:
    communicator = WebsocketCommunicator(application, "/ws/tutor/", headers=[(b"origin", b"http://localhost")])
    communicator.scope["user"] = user
    assert (await communicator.connect())[0]
    return communicator


@pytest.mark.django_db(transaction=True)
async def test_the_socket_refuses_a_question_over_the_limit_and_says_when(book: Book, student: User) -> None:
    socket = await socket_for(student)
    await socket.send_json_to(ASK)
    assert "How fast must I sample?" in await socket.receive_from(timeout=5)
    await socket.send_json_to({**ASK, "question": "And again?"})
    error = await socket.receive_from(timeout=5)
    assert "You have asked 1 questions in the last minute. Try again in" in error
    assert await Question.objects.acount() == 1
    await socket.disconnect()


@pytest.mark.django_db(transaction=True)
async def test_an_over_long_question_on_the_socket_is_refused(book: Book, student: User, settings: Settings) -> None:
    settings.TUTOR_MAX_QUESTION_CHARS = 10
    socket = await socket_for(student)
    await socket.send_json_to({**ASK, "question": "x" * 11})
    assert "at most 10 characters (yours has 11)" in await socket.receive_from(timeout=5)
    assert not await Question.objects.aexists()
    await socket.disconnect()


@pytest.mark.django_db(transaction=True)
async def test_the_count_is_shared_by_the_api_and_the_socket(book: Book, student: User) -> None:
    from asgiref.sync import sync_to_async

    token = await sync_to_async(do_issue_api_token)(student)
    response = await sync_to_async(Client().post)(
        "/api/v1/ask", ASK, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {token}"
    )
    assert response.status_code == 202
    socket = await socket_for(student)
    assert "Waiting for the tutor" in await socket.receive_from(timeout=5)  # the replay of the API's answer
    await socket.send_json_to({**ASK, "question": "Now over the socket?"})
    assert "Try again in" in await socket.receive_from(timeout=5)
    again = await sync_to_async(Client().post)(
        "/api/v1/ask", ASK, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {token}"
    )
    assert again.status_code == 429 and int(again["Retry-After"]) >= 1
    assert await Question.objects.acount() == 1
    await socket.disconnect()


@pytest.mark.django_db
def test_the_page_form_refuses_over_the_limit_with_the_message(client: Client, book: Book, student: User) -> None:
    client.force_login(student)
    assert client.post("/tutor/ask/", ASK).status_code == 302
    page = client.post("/tutor/ask/", {**ASK, "question": "Again?"}, follow=True).content.decode()
    assert "Try again in" in page
    assert Question.objects.count() == 1


@pytest.mark.django_db
def test_bob_is_not_slowed_by_alices_questions(client: Client, book: Book, student: User, other_student: User) -> None:
    actions.do_ask(student, book, "Alice's question?")
    client.force_login(other_student)
    client.post("/tutor/ask/", ASK)
    assert Question.objects.filter(conversation__user=other_student).count() == 1


@pytest.mark.django_db
def test_a_draft_section_cannot_be_named_as_the_one_being_read(client: Client, book: Book, student: User) -> None:
    draft = book.sections.get(slug="reconstruction")
    published = book.sections.get(slug="aliasing")
    client.force_login(student)
    client.post("/tutor/ask/", {**ASK, "section": draft.pk})
    assert Question.objects.get().section is None
    Question.objects.all().delete()
    client.post("/tutor/ask/", {**ASK, "section": published.pk})
    assert Question.objects.get().section == published
