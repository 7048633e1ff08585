"""The publisher of answer events: a failed send is reported, and never stops the events that follow."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import pytest
from celery.app.trace import traceback_clear
from channels.layers import get_channel_layer

from tutor import events

pytestmark = pytest.mark.django_db


class FlakyLayer:
    """Wraps the real (in-memory) channel layer; ``down`` makes every group_send fail as a lost Redis does."""

    def __init__(self, layer: Any) -> None:
        self.layer, self.down, self.sent = layer, threading.Event(), 0

    async def group_send(self, group: str, message: dict[str, Any]) -> None:
        if self.down.is_set():
            raise ConnectionError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")
        await self.layer.group_send(group, message)
        self.sent += 1


@pytest.fixture
def flaky(monkeypatch: pytest.MonkeyPatch) -> Iterator[FlakyLayer]:
    layer = FlakyLayer(get_channel_layer())
    monkeypatch.setattr(events, "get_channel_layer", lambda: layer)
    publisher = events.Publisher()  # of the test's own
    monkeypatch.setattr(events, "_publisher", publisher)
    yield layer
    publisher.stop()


def test_a_failed_send_is_reported_and_the_next_one_still_leaves(flaky: FlakyLayer) -> None:
    flaky.down.set()
    with pytest.raises(events.EventNotSent, match="ConnectionError: Error 111") as failed:
        events._publisher.put("answer-1", {"type": "answer.token"}).result(timeout=5)
    # What a Celery worker does with a failed task's exception: clear every frame of its traceback. Had the
    # exception carried the publisher's own frame, this would close its coroutine and hang every later event.
    traceback_clear(failed.value)
    flaky.down.clear()
    events._publisher.put("answer-1", {"type": "answer.done"}).result(timeout=5)
    assert flaky.sent == 1


def test_the_publisher_starts_again_if_its_sender_ever_dies(flaky: FlakyLayer) -> None:
    publisher = events._publisher
    publisher.put("answer-1", {"type": "answer.token"}).result(timeout=5)
    loop, _, sender = publisher._started()
    loop.call_soon_threadsafe(sender.cancel)  # as if it had died
    for _ in range(500):
        if sender.done():
            break
        time.sleep(0.01)
    publisher.put("answer-1", {"type": "answer.done"}).result(timeout=5)
    assert flaky.sent == 2 and publisher._started().loop is not loop


def test_a_stream_stops_at_the_next_batch_once_a_send_failed_and_drops_what_was_queued(
    flaky: FlakyLayer, monkeypatch: pytest.MonkeyPatch
) -> None:
    stored: list[str] = []
    monkeypatch.setattr(events.actions, "do_stream_text", lambda answer, text, first: stored.append(text))
    monkeypatch.setattr(events, "BATCH_SECONDS", 0.0)  # every push is a batch
    answer = SimpleNamespace(pk=7, group="answer-7")
    stream = events.TokenStream(answer)  # type: ignore[arg-type]
    stream.push("The Nyquist ")
    stream.flush()
    flaky.down.set()
    stream.push("rate is ")
    stream.pending[-1].exception(timeout=5)  # that send has failed
    with pytest.raises(events.EventNotSent):
        stream.push("twice the bandwidth.")  # the decode loop is told at once, not after the whole answer
    assert stream.pending == [] and flaky.sent == 1
    assert stored == ["The Nyquist ", "The Nyquist rate is "]  # what was generated is kept for a reconnect
