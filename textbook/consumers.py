"""A websocket that round-trips a message through a worker: the architecture's smoke test."""

from __future__ import annotations

from typing import Any

from asgiref.sync import sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from textbook.queue import enqueue
from textbook.tasks import echo

MAX_ECHO_CHARS = 200


class EchoConsumer(AsyncJsonWebsocketConsumer):
    async def connect(self) -> None:
        await self.accept()
        if not self.scope["user"].is_authenticated:
            # Accept first so the browser sees the reason (4401) instead of a bare 403.
            await self.close(code=4401)

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None, **kwargs: Any) -> None:
        try:
            content = await self.decode_json(text_data)
        except (TypeError, ValueError):
            await self.send_json({"type": "error", "message": "messages must be JSON text"})
            return
        await self.receive_json(content)

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        text = content.get("text") if isinstance(content, dict) else None
        if not isinstance(text, str) or not text.strip():
            await self.send_json({"type": "error", "message": 'send {"text": "…"} with some text'})
            return
        if len(text) > MAX_ECHO_CHARS:
            await self.send_json({"type": "error", "message": f"text is longer than {MAX_ECHO_CHARS} characters"})
            return
        await sync_to_async(enqueue)(echo, self.channel_name, text)

    async def echo_reply(self, event: dict[str, Any]) -> None:
        await self.send_json({"type": "echo", "text": event["text"], "worker": event["worker"]})
