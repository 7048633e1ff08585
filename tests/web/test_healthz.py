from __future__ import annotations

import pytest
from django.test import Client
from pytest_django.fixtures import Settings

from textbook import views


@pytest.fixture(autouse=True)
def _fresh_worker_check() -> None:
    views.workers.forget()


@pytest.mark.django_db
def test_healthz_reports_each_check(client: Client) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "checks": {"web": "ok", "database": "ok", "redis": "not used", "gpu_worker": "in process"},
    }
    assert "no-cache" in response["Cache-Control"]


@pytest.mark.django_db
def test_healthz_fails_when_redis_is_unreachable(client: Client, settings: Settings) -> None:
    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    settings.TASKS_MODE = "celery"
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["checks"]["redis"] == "error: ConnectionError"
    assert response.json()["checks"]["gpu_worker"] == "error: no broker to ask"


@pytest.mark.django_db
def test_healthz_fails_without_a_live_gpu_worker(
    client: Client, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.TASKS_MODE = "celery"
    monkeypatch.setitem(views.CHECKS, "redis", lambda: "ok")
    monkeypatch.setattr(views.WorkerCheck, "_ask", staticmethod(lambda: 0))
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["checks"]["gpu_worker"] == "error: no live worker consumes the gpu queue"


@pytest.mark.django_db
def test_a_container_probe_can_leave_the_gpu_worker_out(client: Client, settings: Settings) -> None:
    settings.TASKS_MODE = "celery"
    settings.REDIS_URL = ""
    response = client.get("/healthz?skip=gpu_worker")
    assert response.status_code == 200
    assert response.json()["checks"]["gpu_worker"] == "skipped"


def test_workers_are_asked_at_most_once_per_cache_period(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    settings.HEALTHZ_CACHE_SECONDS = 60
    asked: list[int] = []
    monkeypatch.setattr(views.WorkerCheck, "_ask", staticmethod(lambda: asked.append(1) or 2))
    check = views.WorkerCheck()
    assert [check.live_gpu_workers() for _ in range(5)] == [2] * 5
    assert len(asked) == 1
    settings.HEALTHZ_CACHE_SECONDS = 0
    check.live_gpu_workers()
    assert len(asked) == 2
