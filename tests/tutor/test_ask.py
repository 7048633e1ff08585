"""Alice asks the tutor: persisted first, answered by a worker, streamed, cited, never lost."""

from __future__ import annotations

from datetime import timedelta

import pytest
from channels.testing import WebsocketCommunicator
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone
from pytest_django.fixtures import Settings

from chapters.models import Book
from tests.tutor.fakes import FakeGenerator
from textbook.asgi import application
from tutor import actions
from tutor.models import Answer, Question

pytestmark = pytest.mark.django_db(transaction=True)


def test_asking_stores_the_question_and_answers_it_with_citations(
    tutor: FakeGenerator, book: Book, student: User
) -> None:
    section = book.sections.get(slug="the-sampling-theorem")
    answer = actions.do_ask(student, book, "  How fast must I sample?  ", section=section)
    answer.refresh_from_db()
    assert answer.question.text == "How fast must I sample?"
    assert answer.status == Answer.Status.DONE
    assert answer.text == "Sample faster than twice the bandwidth [1]."
    assert answer.citations[0]["number"] == 1
    assert answer.decision == "unscored"
    timings = answer.timings()
    assert timings["total_s"] is not None
    assert {"retrieval_s", "prefill_s", "generation_s", "scoring_s"} <= set(timings)  # the worker's own stages
    assert answer.stages["tokens"] == answer.tokens > 0
    prompt = tutor.calls[0][-1]["content"]
    assert "The sampling theorem" in prompt  # the retrieved passage, boosted toward what she reads


@pytest.mark.parametrize(
    ("text", "message"),
    [("   ", "Type a question first."), ("x" * 2001, "at most 2000 characters (yours has 2001)")],
)
def test_bad_questions_are_refused_with_a_reason_and_nothing_stored(
    tutor: FakeGenerator, book: Book, student: User, text: str, message: str
) -> None:
    with pytest.raises(actions.AskError, match=message.replace("(", r"\(").replace(")", r"\)")):
        actions.do_ask(student, book, text)
    assert not Question.objects.exists()


def test_the_rate_limit_says_when_to_try_again(
    tutor: FakeGenerator, book: Book, student: User, settings: Settings
) -> None:
    settings.TUTOR_QUESTIONS_PER_MINUTE = 2
    actions.do_ask(student, book, "one?")
    actions.do_ask(student, book, "two?")
    with pytest.raises(actions.AskError, match=r"You have asked 2 questions in the last minute. Try again in \d+ s."):
        actions.do_ask(student, book, "three?")


def test_a_failing_worker_leaves_the_answer_failed_and_retry_works(
    tutor: FakeGenerator, book: Book, student: User
) -> None:
    tutor.fail = True
    with pytest.raises(RuntimeError):  # eager mode re-raises what the worker would log
        actions.do_ask(student, book, "How fast must I sample?")
    answer = Answer.objects.get()
    assert answer.status == Answer.Status.FAILED
    assert "the GPU caught fire" in answer.error
    assert Question.objects.count() == 1  # the question is never lost
    tutor.fail = False
    actions.do_retry(answer)
    answer.refresh_from_db()
    assert answer.status == Answer.Status.DONE


def test_the_reaper_fails_answers_stuck_generating(book: Book, student: User, settings: Settings) -> None:
    settings.TASKS_MODE = "thread"  # queued but, for this test, never run
    from tutor.models import Conversation

    conversation = Conversation.objects.create(user=student, book=book, title="t")
    stuck = Answer.objects.create(
        question=Question.objects.create(conversation=conversation, text="q"),
        status=Answer.Status.GENERATING,
        started_at=timezone.now() - timedelta(minutes=30),
    )
    assert actions.do_reap_stale_answers() == 1
    stuck.refresh_from_db()
    assert stuck.status == Answer.Status.FAILED


async def connect(user: User | None) -> WebsocketCommunicator:
    communicator = WebsocketCommunicator(application, "/ws/tutor/", headers=[(b"origin", b"http://localhost")])
    if user is not None:
        communicator.scope["user"] = user
    connected, _ = await communicator.connect()
    assert connected
    return communicator


async def test_a_visitor_cannot_open_the_tutor_socket() -> None:
    communicator = await connect(None)
    assert await communicator.receive_output(timeout=2) == {"type": "websocket.close", "code": 4401}


async def test_alice_asks_over_the_socket_and_gets_html_fragments(
    tutor: FakeGenerator, book: Book, student: User
) -> None:
    communicator = await connect(student)
    await communicator.send_json_to(
        {"question": "How fast must I sample?", "book": "signals", "section": "", "conversation": ""}
    )
    html = await communicator.receive_from(timeout=20)
    assert 'hx-swap-oob="beforeend:#tutor-log"' in html
    assert "How fast must I sample?" in html
    assert 'href="/books/signals/sampling/the-sampling-theorem/#the-sampling-theorem"' in html or "[1]" in html
    await communicator.disconnect()


async def test_bad_input_on_the_socket_gets_a_clear_error(tutor: FakeGenerator, book: Book, student: User) -> None:
    communicator = await connect(student)
    await communicator.send_to(text_data="not json")
    assert "Messages must be JSON." in await communicator.receive_from(timeout=5)
    await communicator.send_json_to({"question": "", "book": "signals"})
    assert "Type a question first." in await communicator.receive_from(timeout=5)
    await communicator.send_json_to({"question": "hi?", "book": "nope"})
    assert "Open a book before asking the tutor." in await communicator.receive_from(timeout=5)
    await communicator.disconnect()


def test_without_javascript_the_form_posts_and_the_conversation_shows_the_answer(
    tutor: FakeGenerator, client: Client, book: Book, student: User
) -> None:
    client.force_login(student)
    response = client.post("/tutor/ask/", {"book": "signals", "question": "How fast must I sample?"})
    assert response.status_code == 302
    page = client.get(response.url).content.decode()
    assert "Sample faster than twice the bandwidth" in page
    assert "/books/signals/sampling/" in page  # the citation links to the section


def test_bob_cannot_read_alices_conversation(
    tutor: FakeGenerator, client: Client, book: Book, student: User, other_student: User
) -> None:
    answer = actions.do_ask(student, book, "How fast must I sample?")
    client.force_login(other_student)
    assert client.get(f"/tutor/conversations/{answer.question.conversation_id}/").status_code == 404


def test_the_reader_shows_the_tutor_panel_to_students_only(client: Client, book: Book, student: User) -> None:
    url = "/books/signals/sampling/the-sampling-theorem/"
    assert "Log in</a> to ask the tutor" in client.get(url).content.decode()
    client.force_login(student)
    assert 'ws-connect="/ws/tutor/?answers=' in client.get(url).content.decode()


async def test_reconnecting_reaps_answers_whose_worker_died(book: Book, student: User) -> None:
    from asgiref.sync import sync_to_async

    from tutor.models import Conversation

    def stuck_answer() -> Answer:
        conversation = Conversation.objects.create(user=student, book=book, title="t")
        question = Question.objects.create(conversation=conversation, text="q")
        started = timezone.now() - timedelta(minutes=30)
        return Answer.objects.create(question=question, status=Answer.Status.GENERATING, started_at=started)

    stuck = await sync_to_async(stuck_answer)()
    communicator = await connect(student)
    assert await communicator.receive_nothing(timeout=0.5)  # nothing unfinished left to replay
    await sync_to_async(stuck.refresh_from_db)()
    assert stuck.status == Answer.Status.FAILED
    await communicator.disconnect()
