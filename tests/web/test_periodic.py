"""Periodic jobs: Celery beat's table, and the timer thread that runs it in the embedded default."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.utils import timezone
from pytest_django.fixtures import Settings

from chapters.models import Book
from textbook import periodic
from tutor.models import Answer, Conversation, Question


def test_every_job_in_the_beat_schedule_names_a_task() -> None:
    from django.conf import settings

    assert {"reap-stale-answers", "clear-expired-sessions"} <= set(settings.CELERY_BEAT_SCHEDULE)
    for entry in settings.CELERY_BEAT_SCHEDULE.values():
        assert periodic.task_named(entry["task"]).name == entry["task"]


def test_a_job_is_due_at_first_and_then_once_per_interval() -> None:
    schedule = {"reap": 30.0, "sessions": 86400.0}
    assert periodic.due(schedule, {}, now=100.0) == ["reap", "sessions"]
    assert periodic.due(schedule, {"reap": 100.0, "sessions": 100.0}, now=129.0) == []
    assert periodic.due(schedule, {"reap": 100.0, "sessions": 100.0}, now=130.0) == ["reap"]


def test_the_timer_runs_each_job_at_start_and_again_when_due_and_survives_a_failing_one() -> None:
    runs: list[str] = []
    ran_twice = threading.Event()

    def run(name: str) -> None:
        runs.append(name)
        if runs.count("often") >= 2:
            ran_twice.set()
        if name == "broken":
            raise RuntimeError("one bad job")

    timer = periodic.Periodic({"often": 0.05, "broken": 0.05, "rarely": 3600.0}, run, tick=0.01).start()
    try:
        assert ran_twice.wait(5)
    finally:
        timer.stop()
    assert runs.count("rarely") == 1 and runs.count("broken") >= 2


def test_nothing_is_started_where_beat_or_inline_tasks_do_the_work(settings: Settings) -> None:
    settings.TASKS_MODE = "eager"
    assert periodic.start_embedded() is None
    settings.TASKS_MODE = "celery"
    assert periodic.start_embedded() is None


@pytest.mark.django_db(transaction=True)
def test_in_the_embedded_default_the_timer_reaps_an_answer_left_generating(
    book: Book, student: User, settings: Settings
) -> None:
    settings.TASKS_MODE = "thread"
    conversation = Conversation.objects.create(user=student, book=book, title="t")
    question = Question.objects.create(conversation=conversation, text="q")
    stuck = Answer.objects.create(
        question=question, status=Answer.Status.GENERATING, started_at=timezone.now() - timedelta(hours=1)
    )  # the web process was killed while its worker thread answered
    timer = periodic.Periodic({"reap-stale-answers": 3600.0}, periodic.enqueue_job, tick=0.05).start()
    try:
        deadline = time.monotonic() + 10
        while Answer.objects.get(pk=stuck.pk).status != Answer.Status.FAILED and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        timer.stop()
    assert Answer.objects.get(pk=stuck.pk).status == Answer.Status.FAILED


@pytest.mark.django_db
def test_the_session_job_deletes_expired_sessions_only() -> None:
    for expiry in (-60, 3600):
        session = SessionStore()
        session.set_expiry(expiry)
        session.save()
    assert Session.objects.count() == 2
    periodic.enqueue_job("clear-expired-sessions")  # eager in unit tests
    assert list(Session.objects.values_list("expire_date", flat=True))[0] > timezone.now()
    assert Session.objects.count() == 1
