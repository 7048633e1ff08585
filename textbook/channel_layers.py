"""The channel layer of the embedded default (no Redis).

Channels' InMemoryChannelLayer keeps asyncio queues that belong to the server's event loop.
In the embedded default, tasks run in worker threads with event loops of their own, and a
message they put straight onto those queues would not wake the consumer waiting on them.
This layer runs every operation on the loop its consumers receive on.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from channels.layers import InMemoryChannelLayer


class ThreadSafeInMemoryChannelLayer(InMemoryChannelLayer):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._home_loop: asyncio.AbstractEventLoop | None = None

    async def _on_home_loop(self, operation: Callable[..., Awaitable[Any]], *args: Any) -> Any:
        home = self._home_loop
        if home is None or not home.is_running() or home is asyncio.get_running_loop():
            return await operation(*args)
        return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(operation(*args), home))

    async def receive(self, channel: str) -> dict[str, Any]:
        self._home_loop = asyncio.get_running_loop()
        return await super().receive(channel)

    async def send(self, channel: str, message: dict[str, Any]) -> None:
        await self._on_home_loop(super().send, channel, message)

    async def group_add(self, group: str, channel: str) -> None:
        await self._on_home_loop(super().group_add, group, channel)

    async def group_discard(self, group: str, channel: str) -> None:
        await self._on_home_loop(super().group_discard, group, channel)

    async def group_send(self, group: str, message: dict[str, Any]) -> None:
        await self._on_home_loop(super().group_send, group, message)
