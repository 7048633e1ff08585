"""Faults and load on the real stack: Daphne, PostgreSQL, a Redis of the test's own, real `celery worker`s.

The generator is the test stand-in (GENERATOR_STANDIN): it streams at a fixed pace, so a test can kill a worker
while it streams and a hundred students can be answered in seconds; retrieval, storing, citations and the
channel layer are the real ones.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from django.contrib.auth.models import User
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

from bench.bench_load import ask_all, make_students, percentile, session_for
from chapters.models import Book
from tests.factories import UserFactory
from tests.services.conftest import (
    BIN,
    ROOT,
    RedisServer,
    Worker,
    production_env,
    start_daphne,
    start_worker,
    stop,
)
from tutor import indexing
from tutor.consumers import LOST
from tutor.models import Answer, Question

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]
QUESTION = "How fast must a band-limited signal be sampled?"
SECTION = "/books/signals/sampling/the-sampling-theorem/"


@dataclass
class Stack:
    """One deployment in miniature, on the test's own Redis: a web process and the workers a test starts."""

    redis: RedisServer
    env: dict[str, str]
    folder: Path
    web: subprocess.Popen[bytes] | None = None
    address: str = ""
    workers: list[Worker] = field(default_factory=list)
    others: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def worker(self, *, queues: str = "gpu,default", concurrency: int = 1, **env: str) -> Worker:
        log = self.folder / f"worker-{len(self.workers)}.log"
        worker = start_worker({**self.env, **env}, log, queues=queues, concurrency=concurrency)
        self.workers.append(worker)
        return worker

    def beat(self, **env: str) -> None:
        command = [str(BIN / "celery"), "-A", "textbook", "beat", "-s", str(self.folder / "celerybeat-schedule")]
        with (self.folder / "beat.log").open("ab") as out:
            process = subprocess.Popen(command, cwd=ROOT, env={**self.env, **env}, stdout=out, stderr=subprocess.STDOUT)
        self.others.append(process)

    def socket(self, session: str) -> ClientConnection:
        return connect(
            f"ws://{self.address}/ws/tutor/",
            origin=f"http://{self.address}",
            additional_headers={"Cookie": f"sessionid={session}"},
            open_timeout=10,
        )

    def get(self, path: str, session: str = "") -> httpx.Response:
        headers = {"X-Forwarded-Proto": "https", "Cookie": f"sessionid={session}"}
        return httpx.get(f"http://{self.address}{path}", headers=headers, timeout=10)

    def healthz(self) -> httpx.Response:
        return self.get("/healthz")

    def logs(self) -> str:
        return "\n".join(f"--- {p.name}\n{p.read_text()[-2500:]}" for p in sorted(self.folder.glob("*.log")))


@pytest.fixture
def stack(
    own_redis: RedisServer, static_root: Path, book: Book, tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[Stack]:
    """Parametrize it indirectly with settings every process shares, e.g. {"TUTOR_ANSWER_TIMEOUT": "5"}: the
    web process sends its own time limits with each task (Celery takes the message's over the worker's)."""
    indexing.rebuild(book)  # the workers read the same INDEX_DIR
    env = production_env(
        static_root,
        REDIS_URL=own_redis.url,
        GENERATOR_STANDIN="delay_ms=15,tokens=48",
        ALLOW_STANDIN_GENERATOR="1",  # DEBUG is off, as deployed: the stand-in must be allowed explicitly
        HEALTHZ_CACHE_SECONDS="0",
        LOG_LEVEL="info",
        **getattr(request, "param", {}),
    )
    stack = Stack(own_redis, env, tmp_path)
    stack.web, stack.address = start_daphne(env, tmp_path / "daphne.log")
    try:
        yield stack
    finally:
        for process in [*stack.others, *(worker.process for worker in stack.workers), stack.web]:
            stop(process)


def read_until(ws: ClientConnection, *needles: str, timeout: float) -> list[str]:
    """Frames until one holds any of ``needles`` (that one last); fails after ``timeout`` seconds."""
    frames: list[str] = []
    deadline = time.monotonic() + timeout
    while not frames or not any(needle in frames[-1] for needle in needles):
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            pytest.fail(f"no frame with {needles} in {timeout} s; got {frames[-3:]}")
        frames.append(str(ws.recv(timeout=remaining)))
    return frames


def ask_and_wait(stack: Stack, session: str, question: str = QUESTION) -> list[str]:
    with stack.socket(session) as ws:
        ws.send(json.dumps({"question": question, "book": "signals"}))
        return read_until(ws, "answer answer-done", "answer answer-failed", timeout=60)


def alice_session() -> str:
    return session_for(UserFactory(username="alice"))


# ----------------------------------------------------------------------------------------------- workers


def test_a_worker_process_killed_while_streaming_is_replaced_and_the_answer_completes(stack: Stack) -> None:
    """The pool process that runs the task dies (an OOM kill): Celery requeues the message at once
    (acks_late + reject_on_worker_lost), the restarted pool answers it, and Alice's socket shows it."""
    worker = stack.worker(GENERATOR_STANDIN="delay_ms=100,tokens=60")
    with stack.socket(alice_session()) as ws:
        ws.send(json.dumps({"question": QUESTION, "book": "signals"}))
        read_until(ws, 'class="prose provisional" aria-busy="true">', timeout=60)  # it is streaming
        answer = Answer.objects.get()
        assert answer.status == Answer.Status.GENERATING
        [child] = worker.pool_children()
        os.kill(child, signal.SIGKILL)
        killed = time.monotonic()
        frames = read_until(ws, "answer answer-done", "answer answer-failed", timeout=60)
        ended = time.monotonic() - killed
    answer.refresh_from_db()
    assert "answer answer-done" in frames[-1], stack.logs()
    assert (answer.status, answer.attempts, answer.tokens) == (Answer.Status.DONE, 2, 60)
    assert Question.objects.count() == Answer.objects.count() == 1
    assert worker.process.poll() is None  # the worker itself lived on
    print(f"pool process killed mid-answer: redelivered and done {ended:.1f} s later")


@pytest.mark.parametrize("stack", [{"TUTOR_ANSWER_TIMEOUT": "10", "REAPER_INTERVAL": "2"}], indirect=True)
def test_a_worker_lost_whole_is_reaped_alice_is_told_and_her_retry_is_answered_by_another(stack: Stack) -> None:
    """The whole worker dies (its machine is lost): its message waits out the broker's visibility timeout
    (an hour), so the reaper, sent by beat, fails the answer once no live worker can still hold it; Alice's
    panel shows the failure and her retry goes to the worker that is left."""
    # Reaped 10 + 15 + 15 s after it started; 10 s leave the second worker time to load its models.
    first = stack.worker(GENERATOR_STANDIN="delay_ms=200,tokens=200")
    session = alice_session()
    ask_and_wait(stack, session, "What is aliasing?")  # the worker has loaded its models: it streams at once
    with stack.socket(session) as ws:
        ws.send(json.dumps({"question": QUESTION, "book": "signals"}))
        read_until(ws, 'class="prose provisional" aria-busy="true">', timeout=60)
        first.kill_whole()
        killed = time.monotonic()
        stack.worker()
        stack.beat()
        frames = read_until(ws, "answer answer-done", "answer answer-failed", timeout=90)
        failed_after = time.monotonic() - killed
        answer = Answer.objects.get(question__text=QUESTION)
        assert "answer answer-failed" in frames[-1] and "Try again" in frames[-1], stack.logs()
        assert (answer.status, answer.error) == (Answer.Status.FAILED, "The tutor stopped before finishing.")
        ws.send(json.dumps({"action": "retry", "answer": answer.pk}))
        frames = read_until(ws, "answer answer-done", "answer answer-failed", timeout=60)
    answer.refresh_from_db()
    assert "answer answer-done" in frames[-1], stack.logs()
    assert answer.status == Answer.Status.DONE and Question.objects.count() == 2
    print(f"whole worker killed mid-answer: failed by the reaper {failed_after:.1f} s later, then retried")


@pytest.mark.parametrize("stack", [{"TUTOR_ANSWER_TIMEOUT": "5"}], indirect=True)
def test_an_answer_past_its_time_limit_fails_and_alice_is_told(stack: Stack) -> None:
    """The limit the reaper counts on: a worker gives an answer up after TUTOR_ANSWER_TIMEOUT seconds.

    The first answer's models take longer than the limit to load: the limit waits for them, then fails that
    answer, and the worker keeps them (cut off halfway through an import, a worker failed every answer after)."""
    stack.worker(GENERATOR_STANDIN="delay_ms=200,tokens=100,load_ms=5500")  # 5.5 s to load, 20 s of streaming
    session = alice_session()
    asked = time.monotonic()
    frames = ask_and_wait(stack, session, "What is aliasing?")
    loaded_after = time.monotonic() - asked
    first = Answer.objects.get(question__text="What is aliasing?")
    assert "answer answer-failed" in frames[-1] and "SoftTimeLimitExceeded" in first.error, stack.logs()
    assert first.text == ""  # the limit fell due while the models loaded: nothing was generated
    with stack.socket(session) as ws:
        ws.send(json.dumps({"question": QUESTION, "book": "signals"}))
        asked = time.monotonic()
        frames = read_until(ws, "answer answer-done", "answer answer-failed", timeout=60)
        ended = time.monotonic() - asked
    answer = Answer.objects.get(question__text=QUESTION)
    assert "answer answer-failed" in frames[-1] and "Try again" in frames[-1], stack.logs()
    assert answer.status == Answer.Status.FAILED and "SoftTimeLimitExceeded" in answer.error
    assert answer.text.startswith("The section"), answer.text  # it streamed: the models were loaded already
    assert ended < 20
    print(f"the limit fell due while the models loaded: that answer failed {loaded_after:.1f} s after it was asked")
    print(f"an answer over its 5 s time limit failed {ended:.1f} s after it was asked")


# ----------------------------------------------------------------------------------------------- Redis


def test_redis_restarted_while_idle_the_next_question_is_answered_without_restarting_anything(stack: Stack) -> None:
    worker = stack.worker()
    session = alice_session()
    assert "answer answer-done" in ask_and_wait(stack, session)[-1]
    assert stack.get(SECTION, session).status_code == 200  # rendered into the Redis cache
    stack.redis.stop()
    down = stack.healthz()
    assert down.status_code == 503 and down.json()["checks"]["redis"].startswith("error")
    stack.redis.start()  # empty: it keeps nothing on disk
    restarted = time.monotonic()
    assert stack.get(SECTION, session).status_code == 200  # the cache's pooled connections were dead
    frames = ask_and_wait(stack, session, "What is aliasing?")
    answered = time.monotonic() - restarted
    assert "answer answer-done" in frames[-1], stack.logs()
    deadline = time.monotonic() + 30
    while stack.healthz().status_code != 200 and time.monotonic() < deadline:
        time.sleep(0.5)
    assert stack.healthz().json()["checks"] == {"web": "ok", "database": "ok", "redis": "ok", "gpu_worker": "ok"}
    assert stack.web is not None and stack.web.poll() is None and worker.process.poll() is None
    print(f"Redis restarted while idle: the next question was answered {answered:.1f} s after it came back")


def test_redis_restarted_while_alice_is_connected_she_is_told_and_carries_on(stack: Stack) -> None:
    stack.worker(GENERATOR_STANDIN="delay_ms=100,tokens=100")
    session = alice_session()
    with stack.socket(session) as ws:
        ws.send(json.dumps({"question": QUESTION, "book": "signals"}))
        read_until(ws, 'class="prose provisional" aria-busy="true">', timeout=60)  # mid-answer
        stack.redis.stop()
        lost = time.monotonic()
        frames = read_until(ws, LOST, timeout=15)  # in the panel, not a silent hang
        told = time.monotonic() - lost
        with pytest.raises(ConnectionClosed) as closed:
            ws.recv(timeout=10)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 1011  # on which the browser reconnects
    assert 'id="tutor-error"' in frames[-1]

    answer = Answer.objects.get()
    deadline = time.monotonic() + 30
    while not Answer.objects.get(pk=answer.pk).finished and time.monotonic() < deadline:
        time.sleep(0.2)  # the worker could not stream to the channel layer, so it gave up the answer
    answer.refresh_from_db()
    assert answer.status == Answer.Status.FAILED, stack.logs()

    with stack.socket(session) as ws:  # the browser retrying while Redis is still down: told again
        assert LOST in read_until(ws, LOST, timeout=15)[-1]
    stack.redis.start()
    with stack.socket(session) as ws:  # back: the page asks how its unfinished answer ended, then retries
        ws.send(json.dumps({"action": "resume", "answers": [answer.pk]}))
        frames = read_until(ws, "Try again", timeout=15)
        ws.send(json.dumps({"action": "retry", "answer": answer.pk}))
        frames = read_until(ws, "answer answer-done", "answer answer-failed", timeout=60)
    assert "answer answer-done" in frames[-1], stack.logs()
    assert Question.objects.count() == 1
    print(f"Redis lost mid-answer: Alice was told after {told:.2f} s; her retry was answered once it was back")


# ----------------------------------------------------------------------------------------------- load


def test_a_hundred_students_ask_at_once_and_each_gets_exactly_their_answer(stack: Stack) -> None:
    stack.worker(concurrency=4, GENERATOR_STANDIN="delay_ms=10,tokens=16", OMP_NUM_THREADS="1")
    students: list[User] = make_students(100)
    sessions = [session_for(student) for student in students]
    questions = [f"Student {i}: how fast must a band-limited signal be sampled?" for i in range(1, 101)]
    clients = ask_all(stack.address, sessions, questions, "signals", timeout=180)

    assert [c.outcome for c in clients] == ["done"] * 100, stack.logs()
    answers = {a.pk: a for a in Answer.objects.select_related("question__conversation")}
    assert len(answers) == Question.objects.count() == 100  # none lost, none asked twice
    for client, student in zip(clients, students, strict=True):
        [answer_id] = client.answer_ids  # each socket saw one answer: its own
        answer = answers[answer_id]
        assert answer.question.conversation.user_id == student.pk and answer.question.text == client.question
        assert client.question in client.first_frame
        assert (answer.status, answer.attempts, answer.tokens) == (Answer.Status.DONE, 1, 16)
    waits = [a.timings()["queue_wait_s"] or 0.0 for a in answers.values()]
    ends = [c.end_to_end_s or 0.0 for c in clients]
    print(
        f"100 students at once: queue wait p50 {percentile(waits, 50):.2f} s, p95 {percentile(waits, 95):.2f} s; "
        f"end to end p50 {percentile(ends, 50):.2f} s, p95 {percentile(ends, 95):.2f} s"
    )
