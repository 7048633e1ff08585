"""Events of one answer, sent to its channel group (`answer-<id>`) as they happen."""

from __future__ import annotations

import time
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

from tutor import actions
from tutor.models import Answer

BATCH_SECONDS = 0.05


def send(answer: Answer, kind: str, **payload: Any) -> None:
    """kind: token | scored | done | failed (consumers turn them into HTML for the browser)."""
    async_to_sync(get_channel_layer().group_send)(
        answer.group, {"type": f"answer.{kind}", "answer": answer.pk, **payload}
    )


def user_group(user_id: int) -> str:
    """The channel group every open page of one user listens to (notifications, reviewed answers)."""
    return f"user-{user_id}"


def notify_user(user_id: int, kind: str, **payload: Any) -> None:
    """kind: review (consumers render the note under the answer and the notification)."""
    async_to_sync(get_channel_layer().group_send)(user_group(user_id), {"type": f"user.{kind}", **payload})


class TokenStream:
    """Collects streamed text; every ~50 ms persists it and sends one `token` event with all of it."""

    def __init__(self, answer: Answer) -> None:
        self.answer, self.text, self.sent_len, self.last = answer, "", 0, 0.0

    def push(self, delta: str) -> None:
        self.text += delta
        now = time.monotonic()
        if now - self.last >= BATCH_SECONDS:
            self.flush(now)

    def flush(self, now: float | None = None) -> None:
        if len(self.text) == self.sent_len:
            return
        # The browser first, the database right after: each event carries the whole text so far, so a
        # reconnect that replays the stored text and then takes the next event loses nothing.
        send(self.answer, "token", text=self.text, delta=self.text[self.sent_len :])
        actions.do_stream_text(self.answer, self.text, first=self.sent_len == 0)
        self.sent_len, self.last = len(self.text), now or time.monotonic()
