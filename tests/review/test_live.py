"""A verdict reaches Alice's open pages at once, over the websockets; Bob's pages hear nothing of it."""

from __future__ import annotations

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.contrib.auth.models import User

from tests.review.conftest import Queue
from textbook.asgi import application
from uq import reviews

pytestmark = pytest.mark.django_db(transaction=True)
ORIGIN = [(b"origin", b"http://localhost")]


async def connected(path: str, user: User) -> WebsocketCommunicator:
    communicator = WebsocketCommunicator(application, path, headers=ORIGIN)
    communicator.scope["user"] = user
    ok, _ = await communicator.connect()
    assert ok
    return communicator


async def test_the_notification_socket_shows_a_notice_and_the_count(
    queue: Queue, student: User, other_student: User, reviewer: User
) -> None:
    answer = await sync_to_async(queue)()
    alice = await connected("/ws/notifications/", student)
    bob = await connected("/ws/notifications/", other_student)

    await sync_to_async(reviews.do_review)(answer.review, reviewer, verdict="wrong", correction="1 kHz.")

    html = await alice.receive_from(timeout=5)
    assert 'id="notification-count" hx-swap-oob="true"' in html and ">1<" in html
    assert "A reviewer corrected your answer" in html and f"#exchange-{answer.pk}" in html
    assert await bob.receive_nothing(timeout=0.3)
    await alice.disconnect()
    await bob.disconnect()


async def test_the_tutor_panel_updates_an_answer_it_shows(queue: Queue, student: User, reviewer: User) -> None:
    shown, other = await sync_to_async(queue)("Why alias?"), await sync_to_async(queue)("What is a DFT?")
    panel = await connected(f"/ws/tutor/?answers={shown.pk},junk,999999", student)

    await sync_to_async(reviews.do_review)(other.review, reviewer, verdict="correct")
    assert await panel.receive_nothing(timeout=0.3)  # not on this page

    await sync_to_async(reviews.do_review)(shown.review, reviewer, verdict="wrong", correction="It is $1$ kHz.")
    html = await panel.receive_from(timeout=5)
    assert f'<div id="answer-{shown.pk}" hx-swap-oob="true"' in html
    assert "this answer is wrong. Here is a correction:" in html and r"\(1\)" in html
    await panel.disconnect()


async def test_a_page_cannot_listen_to_someone_elses_answers(
    queue: Queue, student: User, other_student: User, reviewer: User
) -> None:
    answer = await sync_to_async(queue)()
    snoop = await connected(f"/ws/tutor/?answers={answer.pk}", other_student)
    await sync_to_async(reviews.do_review)(answer.review, reviewer, verdict="correct")
    assert await snoop.receive_nothing(timeout=0.3)
    await snoop.disconnect()
