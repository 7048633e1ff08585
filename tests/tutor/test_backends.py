"""backends.loading: a task's soft time limit waits until the models have loaded, then fires.

Real signals, sent to this process, handled as a Celery prefork child handles its soft limit."""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Iterator

import pytest
from celery.exceptions import SoftTimeLimitExceeded

from tutor.backends import SOFT_LIMIT_SIGNAL, loading


def soft_limit(signum: int, frame: object) -> None:
    raise SoftTimeLimitExceeded()  # what billiard's handler does


@pytest.fixture
def in_a_pool_child() -> Iterator[None]:
    previous = signal.signal(SOFT_LIMIT_SIGNAL, soft_limit)
    yield
    signal.signal(SOFT_LIMIT_SIGNAL, previous)


def time_runs_out() -> None:
    os.kill(os.getpid(), SOFT_LIMIT_SIGNAL)
    for _ in range(1000):  # Python runs the handler between bytecodes, as soon as the signal has arrived
        pass


def load_past_the_limit(loaded: list[str]) -> None:
    time_runs_out()
    loaded.append("model")


def test_without_it_the_limit_cuts_a_load_off(in_a_pool_child: None) -> None:
    loaded: list[str] = []
    with pytest.raises(SoftTimeLimitExceeded):
        load_past_the_limit(loaded)
    assert loaded == []


def test_the_limit_fires_once_loading_ends_and_what_loaded_is_kept(in_a_pool_child: None) -> None:
    loaded: list[str] = []
    with pytest.raises(SoftTimeLimitExceeded), loading():
        load_past_the_limit(loaded)
    assert loaded == ["model"]
    assert signal.getsignal(SOFT_LIMIT_SIGNAL) is soft_limit


def test_a_load_in_time_goes_on_and_the_limit_still_stands(in_a_pool_child: None) -> None:
    with loading():
        loaded = "model"
    assert loaded == "model" and signal.getsignal(SOFT_LIMIT_SIGNAL) is soft_limit
    with pytest.raises(SoftTimeLimitExceeded):
        time_runs_out()


def fail_to_load_past_the_limit() -> None:
    time_runs_out()
    raise OSError("no weights")


def test_a_load_that_fails_fails_with_its_own_error(in_a_pool_child: None) -> None:
    with pytest.raises(OSError, match="no weights"), loading():
        fail_to_load_past_the_limit()
    assert signal.getsignal(SOFT_LIMIT_SIGNAL) is soft_limit


def test_off_the_main_thread_it_changes_nothing(in_a_pool_child: None) -> None:
    seen: list[object] = []

    def load() -> None:
        with loading():
            seen.append(signal.getsignal(SOFT_LIMIT_SIGNAL))

    thread = threading.Thread(target=load)
    thread.start()
    thread.join()
    assert seen == [soft_limit]
