"""Periodic jobs without Celery beat: the embedded default runs settings.CELERY_BEAT_SCHEDULE on a timer thread.

With Redis, `celery -A textbook beat` sends the jobs and workers run them. In the embedded default (TASKS_MODE
thread) there is no beat, so the web process starts one daemon thread (``start_embedded``, from asgi.py) that
enqueues each job through textbook.queue when it falls due — the same tasks on the same in-process worker
threads as everything else. Every job runs once at start, so what a previous run left behind (an answer stuck
`generating` when the process was killed) is dealt with at once.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

from django.conf import settings

from textbook.queue import enqueue

logger = logging.getLogger(__name__)

_embedded: Periodic | None = None
_lock = threading.Lock()


def due(schedule: Mapping[str, float], last: Mapping[str, float], now: float) -> list[str]:
    """Names of the jobs whose interval (seconds) has passed since they last ran (never run: due)."""
    return [name for name, every in schedule.items() if name not in last or now - last[name] >= every]


class Periodic:
    """Runs ``run(name)`` for each job of ``schedule`` (name → seconds) when due, on one daemon thread."""

    def __init__(self, schedule: Mapping[str, float], run: Callable[[str], Any], *, tick: float = 1.0) -> None:
        self.schedule, self.run, self.tick = dict(schedule), run, tick
        self.last: dict[str, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="periodic-jobs", daemon=True)

    def start(self) -> Periodic:
        self._thread.start()
        return self

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        self._thread.join(timeout)

    def _loop(self) -> None:
        while not self._stop.is_set():
            now = time.monotonic()
            for name in due(self.schedule, self.last, now):
                self.last[name] = now
                try:
                    self.run(name)
                except Exception:  # one failing job must not stop the others, or the next run of this one
                    logger.exception("Periodic job %s failed", name)
            self._stop.wait(self.tick)


def beat_schedule() -> dict[str, float]:
    """settings.CELERY_BEAT_SCHEDULE as job name → seconds (every entry there is a plain interval)."""
    return {name: float(entry["schedule"]) for name, entry in settings.CELERY_BEAT_SCHEDULE.items()}


def enqueue_job(name: str) -> Any:
    """Enqueue the task of beat job ``name`` where tasks run (textbook.queue)."""
    return enqueue(task_named(settings.CELERY_BEAT_SCHEDULE[name]["task"]))


def task_named(name: str) -> Any:
    """The registered task ``name``; outside a worker the apps' tasks modules are imported on demand."""
    from textbook.celery import app

    app.loader.import_default_modules()  # runs autodiscover_tasks once; a worker has done it at start
    return app.tasks[name]


def start_embedded() -> Periodic | None:
    """In thread mode, start the timer thread once per process; with beat (celery) or inline tasks (eager,
    unit tests) there is nothing to start."""
    global _embedded
    if settings.TASKS_MODE != "thread":
        return None
    with _lock:
        if _embedded is None:
            _embedded = Periodic(beat_schedule(), enqueue_job).start()
        return _embedded
