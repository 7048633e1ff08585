"""The review loop on the real stack: PostgreSQL settles racing verdicts, and a verdict posted to Daphne reaches
the student's open page through Redis while a real worker teaches the confidence model."""

from __future__ import annotations

import re
import threading
import time

import httpx
import pytest
from django.contrib.auth.models import User
from django.db import close_old_connections
from websockets.sync.client import connect

from chapters.models import Book
from tests.factories import UserFactory
from tests.review.conftest import Queue
from tests.services.test_daphne import HTTPS, log_in
from tests.uq.test_scoring import synthetic_head
from uq import reviews
from uq.models import Example, Head, ReviewEvent, ReviewItem

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


def test_racing_verdicts_on_postgresql_leave_exactly_one(queue: Queue) -> None:
    item = queue().review
    judges = [UserFactory(username=f"reviewer{n}", roles=["reviewer"]) for n in range(6)]
    barrier = threading.Barrier(len(judges))
    outcomes: list[str] = []

    def judge(user: User, verdict: str) -> None:
        try:
            barrier.wait(timeout=10)
            reviews.do_review(ReviewItem.objects.get(pk=item.pk), user, verdict=verdict)
            outcomes.append("won")
        except reviews.ReviewConflict:
            outcomes.append("told")
        finally:
            close_old_connections()

    threads = [threading.Thread(target=judge, args=(u, "wrong" if n % 2 else "correct")) for n, u in enumerate(judges)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sorted(outcomes) == ["told"] * 5 + ["won"]
    item.refresh_from_db()
    assert item.status == "reviewed"
    assert ReviewEvent.objects.filter(item=item, action="verdict").count() == 1
    assert ReviewEvent.objects.filter(item=item, action="refused").count() == 5
    assert Example.objects.filter(answer=item.answer).count() == 1
    assert item.answer.notifications.count() == 1


def post_form(base: str, session: str, page: str, action: str, data: dict[str, str]) -> httpx.Response:
    """Submit a form the way a browser does: read the CSRF token off ``page``, post to ``action``."""
    cookies = {"Cookie": f"sessionid={session}"}
    with httpx.Client(base_url=f"http://{base}", headers=HTTPS) as http:
        form = http.get(page, headers=cookies)
        assert form.status_code == 200, form.text[:300]
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.text)
        assert token
        cookie = f"sessionid={session}; csrftoken={form.cookies.get('csrftoken') or http.cookies.get('csrftoken')}"
        return http.post(
            action,
            data={**data, "csrfmiddlewaretoken": token.group(1)},
            headers={"Cookie": cookie, "Referer": f"https://{base}{page}"},
        )


def test_a_correction_reaches_the_students_open_page_and_the_worker_learns_from_it(
    queue: Queue, book: Book, student: User, reviewer: User, daphne_server: str, celery_worker_process: str
) -> None:
    head = synthetic_head(flag=0.5, abstain=0.1)
    answer = queue("Why does a 7 kHz tone alias at 8 kHz?")
    item = answer.review
    alice, rita = log_in(daphne_server, "alice"), log_in(daphne_server, "rita")
    socket = {"origin": f"http://{daphne_server}", "additional_headers": {"Cookie": f"sessionid={alice}"}}
    with (
        connect(f"ws://{daphne_server}/ws/notifications/", open_timeout=10, **socket) as notices,
        connect(f"ws://{daphne_server}/ws/tutor/?answers={answer.pk}", open_timeout=10, **socket) as panel,
    ):
        time.sleep(0.3)  # both sockets have joined alice's group
        response = post_form(
            daphne_server, rita, f"/review/{item.pk}/", f"/review/{item.pk}/verdict/",
            {"verdict": "wrong", "correction": "It folds to $|7 - 8| = 1$ kHz."},
        )  # fmt: skip
        assert response.status_code == 302, response.text[:500]
        notice, note = notices.recv(timeout=10), panel.recv(timeout=10)

    assert "A reviewer corrected your answer" in notice and ">1<" in notice
    assert f'id="answer-{answer.pk}"' in note and "Here is a correction:" in note and r"\(|7 - 8| = 1\)" in note
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:  # the worker took uq.tasks.learn_from_verdict off Redis
        head.refresh_from_db()
        if head.online.get("review_labels"):
            break
        time.sleep(0.2)
    assert head.online["review_labels"] == 1
    assert Head.objects.get(pk=head.pk).active
    assert Example.objects.get(source="review").label is False
