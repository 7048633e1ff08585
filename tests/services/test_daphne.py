"""A real Daphne process: HTTP pages, a login, and a websocket round trip through a worker."""

from __future__ import annotations

import json
import re

import httpx
import pytest
from websockets.sync.client import connect

from tests.factories import PASSWORD, UserFactory

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]
HTTPS = {"X-Forwarded-Proto": "https"}  # as the TLS-terminating proxy sets it


def log_in(base: str, username: str) -> str:
    """Log in through the real login form; returns the session cookie."""
    with httpx.Client(base_url=f"http://{base}", headers=HTTPS) as http:
        page = http.get("/accounts/login/")
        csrf_cookie = page.cookies["csrftoken"]
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
        assert token
        response = http.post(
            "/accounts/login/",
            data={"username": username, "password": PASSWORD, "csrfmiddlewaretoken": token.group(1)},
            headers={"Referer": f"https://{base}/accounts/login/", "Cookie": f"csrftoken={csrf_cookie}"},
        )
    assert response.status_code == 302, response.text[:500]
    return str(response.cookies["sessionid"])


def test_pages_and_hashed_static_files_are_served(daphne_server: str) -> None:
    with httpx.Client(base_url=f"http://{daphne_server}", headers=HTTPS) as http:
        home = http.get("/")
        assert home.status_code == 200
        css = re.search(r'href="(/static/css/site\.[0-9a-f]{12}\.css)"', home.text)
        assert css, "manifest storage should hash the stylesheet name"
        assert http.get(css.group(1)).status_code == 200
        assert http.get("/accounts/login/").status_code == 200


def test_healthz_sees_the_database_redis_and_a_live_gpu_worker(daphne_server: str, celery_worker_process: str) -> None:
    health = httpx.get(f"http://{daphne_server}/healthz", headers=HTTPS)
    assert health.status_code == 200, health.text
    assert health.json() == {
        "status": "ok",
        "checks": {"web": "ok", "database": "ok", "redis": "ok", "gpu_worker": "ok"},
    }


def test_alice_logs_in_over_http_and_sees_her_account(daphne_server: str) -> None:
    UserFactory(username="alice")
    session = log_in(daphne_server, "alice")
    account = httpx.get(f"http://{daphne_server}/accounts/", headers={**HTTPS, "Cookie": f"sessionid={session}"})
    assert account.status_code == 200
    assert "alice" in account.text


def test_a_websocket_message_goes_through_a_worker_and_back(daphne_server: str, celery_worker_process: str) -> None:
    UserFactory(username="alice")
    session = log_in(daphne_server, "alice")
    with connect(
        f"ws://{daphne_server}/ws/echo/",
        origin=f"http://{daphne_server}",
        additional_headers={"Cookie": f"sessionid={session}"},
        open_timeout=10,
    ) as ws:
        ws.send(json.dumps({"text": "ping through redis"}))
        reply = json.loads(ws.recv(timeout=30))
    assert reply["type"] == "echo"
    assert reply["text"] == "ping through redis"


def test_an_anonymous_websocket_is_closed_with_4401(daphne_server: str) -> None:
    from websockets.exceptions import ConnectionClosed

    url, origin = f"ws://{daphne_server}/ws/echo/", f"http://{daphne_server}"
    with connect(url, origin=origin, open_timeout=10) as ws, pytest.raises(ConnectionClosed) as closed:
        ws.recv(timeout=10)
    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == 4401
