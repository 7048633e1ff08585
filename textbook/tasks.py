"""Plumbing tasks that prove the path browser → queue → worker → channel layer → browser."""

from __future__ import annotations

import socket

from asgiref.sync import async_to_sync
from celery import shared_task
from channels.layers import get_channel_layer


@shared_task
def echo(channel_name: str, text: str) -> str:
    """Send `text` back to one websocket consumer, from whichever worker ran this."""
    async_to_sync(get_channel_layer().send)(
        channel_name, {"type": "echo.reply", "text": text, "worker": socket.gethostname()}
    )
    return text


@shared_task
def ping_gpu() -> str:
    """Answers from a worker that consumes the `gpu` queue."""
    return socket.gethostname()
