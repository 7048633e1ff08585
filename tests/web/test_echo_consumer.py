"""The websocket round trip: browser → consumer → task → channel layer → browser."""

from __future__ import annotations

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.contrib.auth.models import User
from pytest_django.fixtures import Settings

from textbook.asgi import application

pytestmark = pytest.mark.django_db(transaction=True)


async def login_cookie(user: User) -> bytes:
    from django.test import Client

    client = Client()
    await sync_to_async(client.force_login)(user)
    return f"sessionid={client.cookies['sessionid'].value}".encode()


async def test_a_visitor_is_turned_away_with_4401() -> None:
    communicator = WebsocketCommunicator(application, "/ws/echo/", headers=[(b"origin", b"http://localhost")])
    connected, _ = await communicator.connect()
    assert connected
    assert await communicator.receive_output(timeout=2) == {"type": "websocket.close", "code": 4401}


async def test_a_foreign_origin_is_refused(student: User) -> None:
    communicator = WebsocketCommunicator(application, "/ws/echo/", headers=[(b"origin", b"https://evil.example")])
    connected, _ = await communicator.connect()
    assert not connected


@pytest.mark.parametrize("mode", ["eager", "thread"])
async def test_alice_gets_her_text_back_from_a_worker(student: User, settings: Settings, mode: str) -> None:
    settings.TASKS_MODE = mode
    cookie = await login_cookie(student)
    communicator = WebsocketCommunicator(
        application, "/ws/echo/", headers=[(b"origin", b"http://localhost"), (b"cookie", cookie)]
    )
    connected, _ = await communicator.connect()
    assert connected
    await communicator.send_json_to({"text": "x[n] = δ[n]"})
    reply = await communicator.receive_json_from(timeout=5)
    assert reply["type"] == "echo" and reply["text"] == "x[n] = δ[n]"
    await communicator.disconnect()


@pytest.mark.parametrize(
    ("frame", "message"),
    [
        ("not json", "messages must be JSON text"),
        ('{"text": ""}', 'send {"text": "…"} with some text'),
        ('{"text": 42}', 'send {"text": "…"} with some text'),
        ('["text"]', 'send {"text": "…"} with some text'),
        ('{"text": "' + "a" * 201 + '"}', "text is longer than 200 characters"),
    ],
)
async def test_bad_input_gets_a_clear_error_and_the_socket_stays_open(student: User, frame: str, message: str) -> None:
    cookie = await login_cookie(student)
    communicator = WebsocketCommunicator(
        application, "/ws/echo/", headers=[(b"origin", b"http://localhost"), (b"cookie", cookie)]
    )
    await communicator.connect()
    await communicator.send_to(text_data=frame)
    assert await communicator.receive_json_from(timeout=2) == {"type": "error", "message": message}
    await communicator.send_json_to({"text": "still here"})
    assert (await communicator.receive_json_from(timeout=5))["text"] == "still here"
    await communicator.disconnect()
