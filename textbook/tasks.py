"""Plumbing tasks: the path browser → queue → worker → channel layer → browser, and housekeeping."""

from __future__ import annotations

import socket
from importlib import import_module

from asgiref.sync import async_to_sync
from celery import shared_task
from channels.layers import get_channel_layer
from django.conf import settings


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


@shared_task
def clear_expired_sessions() -> None:
    """Delete expired sessions (daily, from beat), as `manage.py clearsessions` does."""
    engine = import_module(settings.SESSION_ENGINE)
    engine.SessionStore.clear_expired()
