from __future__ import annotations

import threading
import time
from collections.abc import Callable

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

GPU_QUEUE = "gpu"


def _check_database() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return "ok"


def _check_redis() -> str:
    if not settings.REDIS_URL:
        return "not used"
    import redis

    client = redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=2, socket_timeout=2)
    try:
        client.ping()
    finally:
        client.close()
    return "ok"


class WorkerCheck:
    """How many live Celery workers consume the `gpu` queue, asked at most every HEALTHZ_CACHE_SECONDS.

    Workers answer `inspect active_queues` from their main process, so a worker busy generating still
    counts. A broadcast waits its whole timeout for replies, so one web process asks at most that often
    and health probes (every few seconds from a load balancer, from each replica) never hammer the broker.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._at = -float("inf")
        self._count = 0

    def live_gpu_workers(self) -> int:
        with self._lock:
            if time.monotonic() - self._at >= settings.HEALTHZ_CACHE_SECONDS:
                self._count = self._ask()
                self._at = time.monotonic()
            return self._count

    def forget(self) -> None:
        with self._lock:
            self._at = -float("inf")

    @staticmethod
    def _ask() -> int:
        from textbook.celery import app

        replies = app.control.inspect(timeout=settings.HEALTHZ_WORKER_TIMEOUT).active_queues() or {}
        return sum(1 for queues in replies.values() if any(queue.get("name") == GPU_QUEUE for queue in queues))


workers = WorkerCheck()


def _check_gpu_worker() -> str:
    if settings.TASKS_MODE != "celery":
        return "in process"  # the embedded default: this process's own worker thread runs the `gpu` queue
    count = workers.live_gpu_workers()
    if not count:
        raise LookupError("no live worker consumes the gpu queue")
    return "ok"


CHECKS: dict[str, Callable[[], str]] = {
    "web": lambda: "ok",  # this process answered
    "database": _check_database,
    "redis": _check_redis,
    "gpu_worker": _check_gpu_worker,
}


@require_GET
@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """200 when this web process, its database, Redis (if configured) and at least one `gpu` worker answer;
    else 503. `?skip=gpu_worker` leaves named checks out (a container's own probe: a lost GPU worker is no
    reason to take web replicas out of service). Shape: {"status": "ok" | "error", "checks": {name: "ok" |
    "not used" | "in process" | "skipped" | "error: <reason>"}}."""
    skip = set(request.GET.get("skip", "").split(","))
    checks: dict[str, str] = {}
    for name, check in CHECKS.items():
        if name in skip:
            checks[name] = "skipped"
            continue
        if name == "gpu_worker" and checks.get("redis", "").startswith("error"):
            checks[name] = "error: no broker to ask"  # and asking a broker that is down could hang
            continue
        try:
            checks[name] = check()
        except Exception as exc:  # any failure is a failed check, reported by name
            checks[name] = f"error: {exc}" if isinstance(exc, LookupError) else f"error: {type(exc).__name__}"
    healthy = all(not value.startswith("error") for value in checks.values())
    return JsonResponse({"status": "ok" if healthy else "error", "checks": checks}, status=200 if healthy else 503)
