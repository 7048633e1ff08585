"""One question through the whole stack: Daphne, Redis, a real Celery worker and the real small model."""

from __future__ import annotations

import json
import time

import pytest
from websockets.sync.client import connect

from chapters.models import Book
from tests.factories import UserFactory
from tests.services.test_daphne import log_in
from tutor import indexing
from tutor.models import Answer

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


def test_a_question_streams_through_daphne_redis_and_a_worker(
    book: Book, daphne_server: str, celery_worker_process: str
) -> None:
    indexing.rebuild(book)  # the worker reads the same INDEX_DIR
    UserFactory(username="carol")
    session = log_in(daphne_server, "carol")
    frames: list[str] = []
    with connect(
        f"ws://{daphne_server}/ws/tutor/",
        origin=f"http://{daphne_server}",
        additional_headers={"Cookie": f"sessionid={session}"},
        open_timeout=10,
    ) as ws:
        ws.send(json.dumps({"question": "How fast must a band-limited signal be sampled?", "book": "signals"}))
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            frames.append(ws.recv(timeout=max(1, deadline - time.monotonic())))
            if "answer answer-done" in frames[-1] or "answer answer-failed" in frames[-1]:
                break
    answer = Answer.objects.get()
    assert answer.status == Answer.Status.DONE, answer.error
    assert "How fast must a band-limited signal be sampled?" in frames[0]  # the exchange, right away
    assert any('class="prose provisional"' in frame for frame in frames[1:-1])  # tokens streamed
    assert "answer answer-done" in frames[-1]
    assert answer.text and answer.model_name == "smollm2-135m-instruct"
    timings = answer.timings()
    assert timings["time_to_first_token_s"] is not None and timings["total_s"] >= timings["time_to_first_token_s"]
