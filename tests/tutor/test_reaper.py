"""Answers no worker will finish end `failed`, the student watching is told, and the question is never lost."""

from __future__ import annotations

from datetime import timedelta

import pytest
import redis
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.contrib.auth.models import User
from django.utils import timezone
from kombu.exceptions import OperationalError
from pytest_django.fixtures import Settings

from chapters.models import Book
from tests.tutor.fakes import FakeGenerator
from textbook.asgi import application
from textbook.celery import app
from textbook.channel_layers import ThreadSafeInMemoryChannelLayer
from tutor import actions, tasks
from tutor.consumers import LOST
from tutor.models import Answer, Conversation, IndexBuild, Question

pytestmark = pytest.mark.django_db(transaction=True)


def answer_of(user: User, book: Book, status: str, *, age: timedelta) -> Answer:
    conversation = Conversation.objects.create(user=user, book=book, title="t")
    question = Question.objects.create(conversation=conversation, text="How fast must I sample?")
    then = timezone.now() - age
    answer = Answer.objects.create(question=question, status=status, started_at=then)
    Answer.objects.filter(pk=answer.pk).update(created_at=then)
    return answer


def test_an_answer_generating_past_its_hard_time_limit_is_failed(book: Book, student: User, settings: Settings) -> None:
    settings.TUTOR_ANSWER_TIMEOUT = 100  # hard limit 115 s, reaped after 130 s
    stuck = answer_of(student, book, Answer.Status.GENERATING, age=timedelta(seconds=131))
    assert actions.do_reap_stale_answers() == 1
    stuck.refresh_from_db()
    assert (stuck.status, stuck.error) == (Answer.Status.FAILED, "The tutor stopped before finishing.")
    assert Question.objects.filter(pk=stuck.question_id).exists()


def test_an_answer_a_live_worker_may_still_finish_is_left_alone(book: Book, student: User, settings: Settings) -> None:
    settings.TUTOR_ANSWER_TIMEOUT = 100
    answer_of(student, book, Answer.Status.GENERATING, age=timedelta(seconds=110))
    answer_of(student, book, Answer.Status.QUEUED, age=timedelta(seconds=110))
    assert actions.do_reap_stale_answers() == 0


def test_a_queued_answer_whose_message_was_lost_is_failed_after_the_queue_timeout(
    book: Book, student: User, settings: Settings
) -> None:
    settings.TUTOR_QUEUE_TIMEOUT = 300
    lost = answer_of(student, book, Answer.Status.QUEUED, age=timedelta(seconds=301))
    assert actions.do_reap_stale_answers() == 1
    lost.refresh_from_db()
    assert lost.status == Answer.Status.FAILED and "in time" in lost.error


def test_the_answer_task_gets_its_time_limits_from_the_setting(settings: Settings) -> None:
    answer_task = app.tasks["tutor.tasks.answer"]
    assert answer_task.soft_time_limit == settings.TUTOR_ANSWER_TIMEOUT
    assert answer_task.time_limit == actions.answer_hard_limit() == settings.TUTOR_ANSWER_TIMEOUT + 15


async def test_alice_watching_an_answer_sees_it_fail_when_it_is_reaped(
    book: Book, student: User, settings: Settings
) -> None:
    settings.TUTOR_ANSWER_TIMEOUT = 100
    running = await sync_to_async(answer_of)(student, book, Answer.Status.GENERATING, age=timedelta(seconds=10))
    communicator = WebsocketCommunicator(application, "/ws/tutor/", headers=[(b"origin", b"http://localhost")])
    communicator.scope["user"] = student
    assert (await communicator.connect())[0]
    assert "answer-generating" in await communicator.receive_from(timeout=5)  # replayed: she follows it
    started = timezone.now() - timedelta(seconds=200)  # its worker died long ago
    await sync_to_async(Answer.objects.filter(pk=running.pk).update)(started_at=started)

    assert await sync_to_async(tasks.reap_stale_answers)() == 1

    html = await communicator.receive_from(timeout=5)
    assert f'id="answer-{running.pk}"' in html and "The tutor could not answer this question." in html
    assert "Try again" in html
    await communicator.disconnect()


def test_when_the_broker_cannot_take_the_task_the_answer_fails_at_once_and_the_question_stays(
    tutor: FakeGenerator, book: Book, student: User, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.TASKS_MODE = "celery"

    def broker_down(*args: object, **kwargs: object) -> None:
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(app.tasks["tutor.tasks.answer"], "apply_async", broker_down)
    answer = actions.do_ask(student, book, "How fast must I sample?")
    answer.refresh_from_db()
    assert answer.status == Answer.Status.FAILED and "The task queue could not be reached" in answer.error
    assert answer.question.text == "How fast must I sample?"


def test_a_retried_answer_waits_afresh_in_the_queue(book: Book, student: User, settings: Settings) -> None:
    settings.TASKS_MODE = "celery"  # to the unit tests' in-memory broker: queued, and nothing takes it
    settings.TUTOR_QUEUE_TIMEOUT = 300
    failed = answer_of(student, book, Answer.Status.FAILED, age=timedelta(hours=1))
    actions.do_retry(failed)
    assert actions.do_reap_stale_answers() == 0  # an hour-old question, but queued just now
    failed.refresh_from_db()
    assert failed.status == Answer.Status.QUEUED


def test_an_index_build_the_broker_cannot_take_fails_instead_of_blocking_later_builds(
    book: Book, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.TASKS_MODE = "celery"

    def broker_down(*args: object, **kwargs: object) -> None:
        raise OperationalError("Connection refused.")

    monkeypatch.setattr(app.tasks["tutor.tasks.build_index"], "apply_async", broker_down)
    first = actions.do_request_index_build(book)
    first.refresh_from_db()
    assert first.status == IndexBuild.Status.FAILED
    assert actions.do_request_index_build(book).pk != first.pk


async def test_a_browser_back_after_a_lost_connection_learns_how_alices_answers_ended(
    book: Book, student: User, other_student: User
) -> None:
    mine = await sync_to_async(answer_of)(student, book, Answer.Status.FAILED, age=timedelta(seconds=5))
    bobs = await sync_to_async(answer_of)(other_student, book, Answer.Status.DONE, age=timedelta(seconds=5))
    communicator = WebsocketCommunicator(application, "/ws/tutor/", headers=[(b"origin", b"http://localhost")])
    communicator.scope["user"] = student
    assert (await communicator.connect())[0]
    await communicator.send_json_to({"action": "resume", "answers": [str(mine.pk), bobs.pk, "junk"]})
    html = await communicator.receive_from(timeout=5)
    assert f'id="answer-{mine.pk}"' in html and "Try again" in html
    cleared = await communicator.receive_from(timeout=5)  # the connection message is cleared
    assert cleared.strip() == '<div id="tutor-error" hx-swap-oob="true" class="tutor-error" role="alert"></div>'
    assert await communicator.receive_nothing(timeout=0.3)  # and nothing of Bob's
    await communicator.disconnect()


async def test_when_the_channel_layer_is_lost_alice_is_told_in_the_panel(
    student: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def redis_gone(self: object, channel: str) -> None:
        raise redis.exceptions.ConnectionError("Connection reset by peer")

    monkeypatch.setattr(ThreadSafeInMemoryChannelLayer, "receive", redis_gone)
    communicator = WebsocketCommunicator(application, "/ws/tutor/", headers=[(b"origin", b"http://localhost")])
    communicator.scope["user"] = student
    assert (await communicator.connect())[0]
    assert LOST in await communicator.receive_from(timeout=5)
    with pytest.raises(redis.exceptions.ConnectionError):  # the server then closes the socket with 1011
        await communicator.receive_output(timeout=5)
