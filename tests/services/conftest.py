"""The services suite: real PostgreSQL, Redis, Celery worker and Daphne processes.

Run by `make test-services`, which points DATABASE_URL and REDIS_URL at this machine's
services. On CI (CI=true) a missing service fails the run; elsewhere the suite skips.
"""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def _missing_services() -> list[str]:
    missing = []
    if not settings.DATABASES["default"]["ENGINE"].endswith("postgresql"):
        missing.append("PostgreSQL (DATABASE_URL is not a postgres:// URL)")
    if not settings.REDIS_URL:
        missing.append("Redis (REDIS_URL is not set)")
    else:
        import redis

        try:
            redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=2).ping()
        except redis.RedisError as exc:
            missing.append(f"Redis at {settings.REDIS_URL} ({exc})")
    return missing


@pytest.hookimpl(trylast=True)  # after `-m` has deselected: `make test` never selects these
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    services = [item for item in items if item.get_closest_marker("services")]
    if not services:
        return
    missing = _missing_services()
    if not missing:
        return
    reason = "services suite needs " + "; ".join(missing) + " — run it with `make test-services`"
    if os.environ.get("CI", "").lower() == "true":
        raise pytest.UsageError("CI=true and " + reason)
    for item in services:
        item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture(autouse=True)
def _fast_password_hashing() -> None:
    """Overrides the unit suite's: Daphne and workers check passwords with the real hashers."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def service_env(**extra: str) -> dict[str, str]:
    """The environment of a child process that must share this test's database and Redis."""
    db = settings.DATABASES["default"]
    url = f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"  # NAME is the test database
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    env.update(DATABASE_URL=url, REDIS_URL=str(settings.REDIS_URL), TASKS_MODE="celery", PYTHONUNBUFFERED="1")
    env.update(INDEX_DIR=str(settings.INDEX_DIR.resolve()))
    env.update(extra)
    return env


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="session")
def redis_clean() -> None:
    import redis

    redis.Redis.from_url(str(settings.REDIS_URL)).flushdb()


MODEL_CACHE = Path(os.environ.get("TEXTBOOK_MODEL_CACHE", Path.home() / ".cache" / "smart-textbook"))


@pytest.fixture(scope="session")
def generator_model() -> Path:
    """The small generator converted once per machine (about half a minute the first time)."""
    from tutor.generation import convert_gguf, find_gguf, is_converted

    target = MODEL_CACHE / "smollm2-135m-instruct"
    if not is_converted(target):
        convert_gguf(find_gguf(), target)
    return target


@pytest.fixture(scope="session")
def celery_worker_process(
    django_db_setup: None, redis_clean: None, generator_model: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """A real `celery worker` consuming both queues; yields its node name."""
    from textbook.celery import app

    node = f"test-{secrets.token_hex(3)}@{socket.gethostname()}"
    log = tmp_path_factory.mktemp("worker") / "worker.log"
    command = [str(BIN / "celery"), "-A", "textbook", "worker", "-Q", "gpu,default", "-n", node]
    command += ["--concurrency", "1", "--loglevel", "INFO", "--without-gossip", "--without-mingle"]
    with log.open("wb") as out:
        env = service_env(GENERATOR_MODEL=str(generator_model), GENERATOR_MAX_NEW_TOKENS="24")
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while not app.control.ping([node], timeout=1.0):
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"celery worker did not start:\n{log.read_text()[-3000:]}")
        yield node
    finally:
        stop(process)


@pytest.fixture(scope="session")
def daphne_server(django_db_setup: None, redis_clean: None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real Daphne process with production settings (DEBUG off, hashed static files)."""
    static_root = tmp_path_factory.mktemp("static")
    port = free_port()
    env = service_env(
        DEBUG="0",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="127.0.0.1",
        SECURE_SSL_REDIRECT="0",
        STATIC_ROOT=str(static_root),
    )
    subprocess.run([sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"], cwd=ROOT, env=env, check=True)
    log = tmp_path_factory.mktemp("daphne") / "daphne.log"
    command = [str(BIN / "daphne"), "-b", "127.0.0.1", "-p", str(port), "textbook.asgi:application"]
    with log.open("wb") as out:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"daphne did not start:\n{log.read_text()[-3000:]}")
                time.sleep(0.2)
        yield f"127.0.0.1:{port}"
    finally:
        stop(process)


from tests.review.conftest import queue  # noqa: E402, F401 (answers in the review queue, for test_review_stack)
