"""textbook.queue: where a task runs in each mode."""

from __future__ import annotations

import threading
import time

import pytest
from celery import shared_task
from django.contrib.auth.models import User
from django.db import transaction
from pytest_django.fixtures import Settings

from textbook import queue

seen: list[tuple[str, str, bool]] = []


@shared_task
def record(label: str) -> str:
    seen.append((label, threading.current_thread().name, User.objects.filter(username=label).exists()))
    return label


@shared_task
def slow(seconds: float) -> None:
    time.sleep(seconds)


@shared_task
def explode() -> None:
    raise RuntimeError("boom")


@pytest.fixture(autouse=True)
def _routes(settings: Settings) -> None:
    seen.clear()
    settings.CELERY_TASK_ROUTES = {**settings.CELERY_TASK_ROUTES, "tests.web.test_queue.rec*": {"queue": "gpu"}}


def test_routes_decide_the_queue_and_the_rest_go_to_default() -> None:
    assert queue.queue_of(record) == "gpu"
    assert queue.queue_of(slow) == "default"
    from textbook.tasks import echo, ping_gpu

    assert (queue.queue_of(ping_gpu), queue.queue_of(echo)) == ("gpu", "default")


def test_celery_routes_the_same_way() -> None:
    from textbook.celery import app
    from textbook.tasks import echo, ping_gpu

    assert app.amqp.router.route({}, ping_gpu.name)["queue"].name == "gpu"
    assert app.amqp.router.route({}, echo.name)["queue"].name == "default"


@pytest.mark.django_db(transaction=True)
def test_thread_mode_runs_off_the_calling_thread_after_commit(settings: Settings) -> None:
    settings.TASKS_MODE = "thread"
    with transaction.atomic():
        User.objects.create(username="carol")
        transaction.on_commit(lambda: queue.enqueue(record, "carol"))
    queue.drain()
    assert seen == [("carol", "tasks-gpu_0", True)]


@pytest.mark.django_db(transaction=True)
def test_thread_mode_does_not_block_the_caller(settings: Settings) -> None:
    settings.TASKS_MODE = "thread"
    started = time.monotonic()
    future = queue.enqueue(slow, 0.5)
    assert time.monotonic() - started < 0.2
    future.result(timeout=5)


@pytest.mark.django_db(transaction=True)
def test_a_gpu_task_is_not_held_up_by_a_long_default_task(settings: Settings) -> None:
    settings.TASKS_MODE = "thread"
    long_one = queue.enqueue(slow, 1.0)
    queue.enqueue(record, "x").result(timeout=5)
    assert not long_one.done()
    long_one.result(timeout=5)


@pytest.mark.django_db(transaction=True)
def test_a_failing_task_is_logged_and_the_runner_keeps_going(
    settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    settings.TASKS_MODE = "thread"
    queue.enqueue(explode)
    queue.enqueue(slow, 0).result(timeout=5)  # the same (default) thread runs on after the failure
    queue.enqueue(record, "after")
    queue.drain()
    assert "Task tests.web.test_queue.explode" in caplog.text
    assert "raised unexpected: RuntimeError('boom')" in caplog.text
    assert [label for label, *_ in seen] == ["after"]


@pytest.mark.django_db
def test_eager_mode_runs_inline_and_raises(settings: Settings) -> None:
    settings.TASKS_MODE = "eager"
    assert queue.enqueue(record, "inline").get() == "inline"
    assert seen[0][1] == threading.current_thread().name
    with pytest.raises(RuntimeError, match="boom"):
        queue.enqueue(explode)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("mode", ["thread", "eager"])
def test_call_waits_for_the_answer_and_reraises_failures(settings: Settings, mode: str) -> None:
    settings.TASKS_MODE = mode
    settings.CELERY_TASK_ROUTES = {**settings.CELERY_TASK_ROUTES, "tests.web.test_queue.rec*": {"queue": "gpu"}}
    assert queue.call(record, "answer") == "answer"
    with pytest.raises(RuntimeError, match="boom"):
        queue.call(explode)
