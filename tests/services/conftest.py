"""The services suite: real PostgreSQL, Redis, Celery worker and Daphne processes.

Run by `make test-services`, which points DATABASE_URL and REDIS_URL at this machine's
services. On CI (CI=true) a missing service fails the run; elsewhere the suite skips.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
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


def start_worker(env: dict[str, str], log: Path, *, queues: str = "gpu,default", concurrency: int = 1) -> Worker:
    """A real `celery worker` process, once it answers a ping through the broker of ``env``."""
    from celery import Celery

    node = f"test-{secrets.token_hex(3)}@{socket.gethostname()}"
    command = [str(BIN / "celery"), "-A", "textbook", "worker", "-Q", queues, "-n", node]
    command += ["--concurrency", str(concurrency), "--loglevel", "INFO", "--without-gossip", "--without-mingle"]
    with log.open("ab") as out:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    # This test process may point at another Redis; not the current app, or shared tasks would bind to it.
    broker = Celery(broker=env["REDIS_URL"], set_as_current=False)
    try:
        deadline = time.monotonic() + 60
        while not broker.control.ping([node], timeout=1.0):
            if process.poll() is not None or time.monotonic() > deadline:
                stop(process)
                pytest.fail(f"celery worker did not start:\n{log.read_text()[-3000:]}")
    finally:
        broker.close()
    return Worker(process, node, log)


@dataclass
class Worker:
    process: subprocess.Popen[bytes]
    node: str
    log: Path

    def pool_children(self) -> list[int]:
        """Process ids of the prefork pool's children (the processes that run tasks)."""
        path = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        return [int(pid) for pid in path.read_text().split()] if path.exists() else []

    def kill_whole(self) -> None:
        """SIGKILL the main process and its pool at once, as losing the machine would."""
        children = self.pool_children()
        self.process.kill()
        for pid in children:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        self.process.wait()


def wait_for_port(port: int, process: subprocess.Popen[bytes], log: Path, what: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"{what} did not start:\n{log.read_text()[-3000:]}")
            time.sleep(0.1)


def start_daphne(env: dict[str, str], log: Path) -> tuple[subprocess.Popen[bytes], str]:
    """A real Daphne process with the settings of ``env``; returns it and its address."""
    port = free_port()
    command = [str(BIN / "daphne"), "-b", "127.0.0.1", "-p", str(port), "textbook.asgi:application"]
    with log.open("ab") as out:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    wait_for_port(port, process, log, "daphne")
    return process, f"127.0.0.1:{port}"


def production_env(static_root: Path, **extra: str) -> dict[str, str]:
    """What a deployed web process sees: DEBUG off, hashed static files, a plain-HTTP proxy in front."""
    return service_env(
        DEBUG="0",
        SECRET_KEY=str(settings.SECRET_KEY),  # the same key: tests can make sessions Daphne accepts
        ALLOWED_HOSTS="127.0.0.1",
        SECURE_SSL_REDIRECT="0",
        STATIC_ROOT=str(static_root),
        **extra,
    )


@pytest.fixture(scope="session")
def static_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Static files collected once, as a production build does."""
    root = tmp_path_factory.mktemp("static")
    env = production_env(root)
    subprocess.run([sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"], cwd=ROOT, env=env, check=True)
    return root


@pytest.fixture(scope="session")
def celery_worker_process(
    django_db_setup: None, redis_clean: None, generator_model: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """A real `celery worker` consuming both queues; yields its node name."""
    log = tmp_path_factory.mktemp("worker") / "worker.log"
    env = service_env(GENERATOR_MODEL=str(generator_model), GENERATOR_MAX_NEW_TOKENS="24")
    worker = start_worker(env, log)
    try:
        yield worker.node
    finally:
        stop(worker.process)


@pytest.fixture(scope="session")
def daphne_server(
    django_db_setup: None, redis_clean: None, static_root: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """A real Daphne process with production settings (DEBUG off, hashed static files)."""
    process, address = start_daphne(production_env(static_root), tmp_path_factory.mktemp("daphne") / "daphne.log")
    try:
        yield address
    finally:
        stop(process)


class RedisServer:
    """A redis-server of this test's own on a free port, which it may stop and start again (the machine's
    shared Redis is never restarted). Like the compose stack's, it keeps nothing on disk."""

    def __init__(self, folder: Path) -> None:
        self.folder, self.port = folder, free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        command = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
        log = self.folder / "redis.log"
        with log.open("ab") as out:
            self.process = subprocess.Popen(command, cwd=self.folder, stdout=out, stderr=subprocess.STDOUT)
        wait_for_port(self.port, self.process, log, "redis-server", timeout=10)

    def stop(self) -> None:
        if self.process is not None:
            self.process.kill()  # as a crash or an OOM kill would: no clean shutdown
            self.process.wait()
            self.process = None


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path)
    server.start()
    try:
        yield server
    finally:
        server.stop()


from tests.review.conftest import queue  # noqa: E402, F401 (answers in the review queue, for test_review_stack)
