"""A page on another site cannot open our websockets with the visitor's cookies: Channels'
AllowedHostsOriginValidator turns away any Origin that is not one of ALLOWED_HOSTS (and a missing one)."""

from __future__ import annotations

import pytest
from channels.testing import WebsocketCommunicator
from django.contrib.auth.models import User

from textbook.asgi import application

ROUTES = ["/ws/echo/", "/ws/tutor/"]
FOREIGN = [
    b"https://evil.example",
    b"http://localhost.evil.example",
    b"http://127.0.0.1.nip.example",
    b"null",  # a sandboxed iframe or a file:// page
]


async def handshake(path: str, user: User, origin: bytes | None) -> bool:
    headers = [] if origin is None else [(b"origin", origin)]
    communicator = WebsocketCommunicator(application, path, headers=headers)
    communicator.scope["user"] = user
    connected, _ = await communicator.connect()
    await communicator.disconnect()
    return connected


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("path", ROUTES)
@pytest.mark.parametrize("origin", FOREIGN)
async def test_a_foreign_origin_is_refused(path: str, origin: bytes, student: User) -> None:
    assert not await handshake(path, student, origin)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("path", ROUTES)
async def test_a_handshake_without_an_origin_is_refused(path: str, student: User) -> None:
    assert not await handshake(path, student, None)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("path", ROUTES)
@pytest.mark.parametrize("origin", [b"http://localhost", b"http://127.0.0.1:8000", b"https://localhost"])
async def test_the_sites_own_origin_is_let_in(path: str, origin: bytes, student: User) -> None:
    assert await handshake(path, student, origin)
