"""Events of one answer, sent to its channel group (`answer-<id>`) as they happen.

Sends leave from one event loop on a thread of its own (per process), in the order they were handed over.
The decode loop hands each batch of streamed text over and goes on generating: a send to Redis takes ~3 ms,
and a fresh event loop per send (``async_to_sync``) would also open a fresh connection pool each time.
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading
import time
from concurrent.futures import Future
from typing import Any, NamedTuple

from channels.layers import get_channel_layer

from tutor import actions
from tutor.models import Answer

BATCH_SECONDS = 0.05
SEND_TIMEOUT = 30.0

logger = logging.getLogger(__name__)


class EventNotSent(Exception):
    """The channel layer refused an event (Redis down, say); the message names the original error."""


Outbox = asyncio.Queue[tuple[str, dict[str, Any], Future[None]]]


class Running(NamedTuple):
    """A publisher's loop, the queue its sender reads and the sender: the loop runs as long as the sender."""

    loop: asyncio.AbstractEventLoop
    queue: Outbox
    sender: asyncio.Task[None]


class Publisher:
    """An event loop on a daemon thread that sends channel-layer messages one after the other."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pid = 0  # a forked worker inherits the loop object but not its thread: it starts its own
        self._running: Running | None = None  # a sender that ended (stopped, or died) means a new loop

    def _started(self) -> Running:
        with self._lock:
            if self._running is None or self._pid != os.getpid() or self._running.sender.done():
                loop, queue = asyncio.new_event_loop(), Outbox()  # a queue binds to its loop on first use
                sender = loop.create_task(self._send_in_order(queue))  # held: a loop keeps tasks only weakly
                threading.Thread(target=self._run, args=(loop, sender), name="channel-events", daemon=True).start()
                self._running, self._pid = Running(loop, queue, sender), os.getpid()
            return self._running

    def stop(self) -> None:
        """End the sender, its loop and its thread; events still queued are never sent. ``put`` starts anew."""
        with self._lock:
            if self._running is not None and self._pid == os.getpid():
                self._running.loop.call_soon_threadsafe(self._running.sender.cancel)

    @staticmethod
    def _run(loop: asyncio.AbstractEventLoop, sender: asyncio.Task[None]) -> None:
        asyncio.set_event_loop(loop)
        try:
            loop.run_until_complete(sender)
        except asyncio.CancelledError:
            pass  # stopped
        except Exception:
            logger.exception("the channel-events sender died; the next event starts a new one")
        finally:
            loop.close()

    @staticmethod
    async def _send_in_order(queue: Outbox) -> None:
        while True:
            group, message, sent = await queue.get()
            if not sent.set_running_or_notify_cancel():
                continue  # its stream gave up (an earlier send failed): no backlog of doomed sends
            try:
                await get_channel_layer().group_send(group, message)
            except Exception as exc:
                logger.warning("event %s to %s not sent: %r", message.get("type"), group, exc)
                # A fresh exception for whoever waits: the original's traceback holds this coroutine's frame,
                # and Celery clears every frame of a failed task's traceback — on Python 3.11 clearing a
                # suspended coroutine's frame closes it, and every later event would wait forever.
                sent.set_exception(EventNotSent(f"{type(exc).__name__}: {exc}"))
            else:
                sent.set_result(None)

    def put(self, group: str, message: dict[str, Any]) -> Future[None]:
        """Queue ``message`` for ``group``; the future is done once it has been sent (or failed)."""
        running = self._started()
        sent: Future[None] = Future()
        running.loop.call_soon_threadsafe(running.queue.put_nowait, (group, message, sent))
        return sent


_publisher = Publisher()


def send(answer: Answer, kind: str, **payload: Any) -> None:
    """kind: token | scored | done | failed (consumers turn them into HTML for the browser). Waits until sent."""
    put(answer, kind, **payload).result(timeout=SEND_TIMEOUT)


def put(answer: Answer, kind: str, **payload: Any) -> Future[None]:
    """``send`` without waiting: events still leave in the order they were put."""
    return _publisher.put(answer.group, {"type": f"answer.{kind}", "answer": answer.pk, **payload})


def user_group(user_id: int) -> str:
    """The channel group every open page of one user listens to (notifications, reviewed answers)."""
    return f"user-{user_id}"


def notify_user(user_id: int, kind: str, **payload: Any) -> None:
    """kind: review (consumers render the note under the answer and the notification)."""
    _publisher.put(user_group(user_id), {"type": f"user.{kind}", **payload}).result(timeout=SEND_TIMEOUT)


class TokenStream:
    """Collects streamed text; every ~50 ms sends one `token` event with all of it, then persists it.

    The send is handed to the publisher and not waited for, so decoding goes on; ``flush`` at the end waits for
    every event of the stream to have left, and raises if one could not be sent."""

    def __init__(self, answer: Answer) -> None:
        self.answer, self.text, self.sent_len, self.last = answer, "", 0, 0.0
        self.pending: list[Future[None]] = []

    def push(self, delta: str) -> None:
        self.text += delta
        now = time.monotonic()
        if now - self.last >= BATCH_SECONDS:
            self._publish(now)

    def _publish(self, now: float | None = None) -> None:
        if len(self.text) == self.sent_len:
            return
        self._raise_if_a_send_failed()
        # The browser first, the database right after: each event carries the whole text so far, so a
        # reconnect that replays the stored text and then takes the next event loses nothing.
        self.pending.append(put(self.answer, "token", text=self.text, delta=self.text[self.sent_len :]))
        actions.do_stream_text(self.answer, self.text, first=self.sent_len == 0)
        self.sent_len, self.last = len(self.text), now or time.monotonic()

    def _raise_if_a_send_failed(self) -> None:
        """A lost channel layer stops the stream at the next batch, and its queued events are dropped."""
        failed = next((f for f in self.pending if f.done() and not f.cancelled() and f.exception()), None)
        if failed is not None:
            self._drop_pending()
            raise failed.exception()  # type: ignore[misc]
        self.pending = [f for f in self.pending if not f.done()]

    def _drop_pending(self) -> None:
        for sent in self.pending:
            sent.cancel()
        self.pending = []

    def flush(self) -> None:
        """Send what is left, and wait until every event of the stream has left."""
        self._publish()
        try:
            for sent in self.pending:
                sent.result(timeout=SEND_TIMEOUT)
        finally:
            self._drop_pending()  # after a failure, what has not left yet never will
