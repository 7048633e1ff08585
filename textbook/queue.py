"""Where tasks run: the one place that decides between Celery, a worker thread, or inline.

Actions call `enqueue(task, ...)` from `transaction.on_commit`, so a task only ever sees
committed rows. With REDIS_URL set the task goes to its Celery queue (`gpu` or `default`).
Without it (the embedded default) it runs in this process on a worker thread per queue, so
the web event loop is never blocked and the `gpu` queue still runs one task at a time.
"""

from __future__ import annotations

import fnmatch
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import redis
from celery import Task
from django.conf import settings
from django.db import close_old_connections, connections
from kombu.exceptions import OperationalError

_executors: dict[str, ThreadPoolExecutor] = {}
_lock = threading.Lock()


def queue_of(task: Task) -> str:
    """The queue settings.CELERY_TASK_ROUTES sends `task` to (names or globs, as Celery reads them)."""
    for pattern, route in settings.CELERY_TASK_ROUTES.items():
        if fnmatch.fnmatchcase(task.name, pattern):
            return str(route["queue"])
    return str(settings.CELERY_TASK_DEFAULT_QUEUE)


class QueueUnavailable(RuntimeError):
    """The broker could not take a task: Redis is down or unreachable (after Celery's publish retries)."""


# What a publish raises when the broker is gone: kombu wraps connection errors in OperationalError once its
# retry policy gives up; the others can surface from the connection pool itself.
BROKER_ERRORS = (OperationalError, redis.exceptions.ConnectionError, redis.exceptions.TimeoutError, OSError)


def enqueue(task: Task, *args: Any, **kwargs: Any) -> Any:
    """Run `task(*args, **kwargs)` per settings.TASKS_MODE.

    Returns the Celery AsyncResult, a Future (thread mode), or the EagerResult (eager mode). Raises
    QueueUnavailable when the broker cannot take the task.
    """
    if settings.TASKS_MODE == "celery":
        try:
            return task.apply_async(args, kwargs)
        except BROKER_ERRORS as exc:
            raise QueueUnavailable(f"The task queue could not be reached ({type(exc).__name__}: {exc})") from exc
    if settings.TASKS_MODE == "eager":
        return task.apply(args, kwargs, throw=True)
    return _executor(queue_of(task)).submit(_run_in_thread, task, args, kwargs)


def call(task: Task, *args: Any, timeout: float | None = None, **kwargs: Any) -> Any:
    """Run `task` where tasks run and wait for its return value (e.g. a search a page shows)."""
    timeout = timeout or settings.TASK_WAIT_SECONDS
    handle = enqueue(task, *args, **kwargs)
    if settings.TASKS_MODE == "thread":
        return handle.result(timeout=timeout)
    return handle.get(timeout=timeout)


def _executor(queue: str) -> ThreadPoolExecutor:
    with _lock:
        if queue not in _executors:
            _executors[queue] = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"tasks-{queue}")
        return _executors[queue]


def _run_in_thread(task: Task, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    close_old_connections()
    try:
        # apply() logs a failure with its traceback (celery.app.trace), as a worker would; the
        # Future re-raises it for a caller that waits (textbook.queue.call).
        result = task.apply(args, kwargs)
        if result.failed():
            raise result.result
        return result.result
    finally:
        connections.close_all()


def drain(timeout: float = 30.0) -> None:
    """Wait until every in-process task submitted so far has finished (tests, shutdown)."""
    with _lock:
        executors = list(_executors.values())
    for executor in executors:
        executor.submit(lambda: None).result(timeout=timeout)
