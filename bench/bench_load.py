"""Many students at once: N websocket clients, each a different student, each asking one question.

    .venv/bin/python bench/bench_load.py [--clients 25,50,100,200] [--concurrency 4] [--worker-threads 1]
                                         [--delay-ms 15] [--tokens 48] [--json bench/results/load.json]

The stack is the production one on loopback: Daphne (DEBUG off) → `do_ask` (PostgreSQL) → Redis → a real
`celery worker` (queue gpu, prefork) that retrieves with the real embedder and index, then streams the stand-in
generator's reply (GENERATOR_STANDIN: a fixed pace per token, as a GPU would give, without one) → the Redis
channel layer → Daphne → the clients. Each round connects every client first, then all ask at once.

Per answer: stored (the client's send → the question committed by the web process), queue wait (committed →
a worker starts it), worker (start → finish), from the database; time to first streamed text and end-to-end
time (send → the final fragment), at the client. Baseline, in the same run: one student alone.
A round "sustains" its clients when every answer completes, none is duplicated or lost, and p95 end-to-end
stays under --sustain-p95 seconds. Needs PostgreSQL on 127.0.0.1:5432 (the --database is dropped and made
anew) and `redis-server` (a private one is started on a free port). The services suite
(tests/services/test_reliability.py) uses the same students, sessions and clients.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import re
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
ANSWER_ID = re.compile(r'id="answer-(\d+)"')
FINAL = re.compile(r'class="answer answer-(done|failed)"')
FIRST_TEXT = re.compile(r'class="prose provisional" aria-busy="true">\s*(?!</div>)\S')


# --------------------------------------------------------------------------- students and their sessions


def make_students(count: int, prefix: str = "student") -> list[Any]:
    """``count`` student accounts (``prefix``1, ...), made in bulk (no password: they never log in by form)."""
    from django.contrib.auth.models import Group, User

    users = [User(username=f"{prefix}{i}") for i in range(1, count + 1)]
    for user in users:
        user.set_unusable_password()
    User.objects.bulk_create(users)
    users = list(User.objects.filter(username__in=[u.username for u in users]).order_by("pk"))
    students = Group.objects.get(name="student")
    students.user_set.through.objects.bulk_create(
        [students.user_set.through(user_id=user.pk, group_id=students.pk) for user in users]
    )
    return users


def session_for(user: Any) -> str:
    """A signed-in session for ``user``, as the login view would store it (a web process with the same
    SECRET_KEY accepts it): the session key for the ``sessionid`` cookie."""
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    store = SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.create()
    return str(store.session_key)


# --------------------------------------------------------------------------- the clients


@dataclass
class Client:
    """What one student's websocket saw."""

    question: str
    answer_ids: set[int] = field(default_factory=set)
    frames: int = 0
    outcome: str = "not sent"  # done | failed | timeout | error: ...
    first_frame: str = ""
    last_frame: str = ""
    first_text_s: float | None = None
    end_to_end_s: float | None = None
    sent_at: float = 0.0  # wall clock, to set against the database's timestamps
    reconnects: int = 0  # handshakes tried again


class Gate:
    """Opens once every client has connected (or failed to): then they all ask at once."""

    def __init__(self, clients: int) -> None:
        self.waiting, self.opened = clients, asyncio.Event()

    def arrive(self) -> None:
        self.waiting -= 1
        if self.waiting <= 0:
            self.opened.set()


CONNECT_TRIES = 3  # a browser's htmx ws extension reconnects after a failed handshake too
CONNECT_TIMEOUT = 30.0


async def open_socket(base: str, session: str, client: Client) -> Any:
    """The student's websocket; a handshake that fails (the web process too busy to finish it within its
    websocket_connect_timeout) is tried again after a pause, as the browser would, and counted."""
    from websockets.asyncio.client import connect
    from websockets.exceptions import InvalidHandshake, InvalidStatus

    for attempt in range(CONNECT_TRIES):
        try:
            return await connect(
                f"ws://{base}/ws/tutor/",
                origin=f"http://{base}",
                additional_headers={"Cookie": f"sessionid={session}"},
                open_timeout=CONNECT_TIMEOUT,
                proxy=None,
                max_queue=None,
            )
        except (OSError, TimeoutError, InvalidHandshake) as exc:
            if attempt == CONNECT_TRIES - 1 or isinstance(exc, ConnectionRefusedError | InvalidStatus):
                raise  # nothing listens, or the server said no (a refused session): trying again will not help
            client.reconnects += 1
            await asyncio.sleep(1.0 + attempt)
    raise AssertionError("unreachable")


async def ask(base: str, session: str, question: str, book: str, gate: Gate, timeout: float) -> Client:
    """Connect, wait at ``gate``, ask ``question``, read fragments until this answer is done or failed."""
    client = Client(question)
    arrived = False
    try:
        async with await open_socket(base, session, client) as ws:
            gate.arrive()
            arrived = True
            await gate.opened.wait()
            sent, client.sent_at = time.perf_counter(), time.time()
            await ws.send(json.dumps({"question": question, "book": book}))
            client.outcome = "timeout"
            async with asyncio.timeout(timeout):
                while True:
                    frame = str(await ws.recv())
                    client.frames += 1
                    client.first_frame = client.first_frame or frame
                    client.last_frame = frame
                    client.answer_ids.update(int(i) for i in ANSWER_ID.findall(frame))
                    if client.first_text_s is None and FIRST_TEXT.search(frame):
                        client.first_text_s = time.perf_counter() - sent
                    final = FINAL.search(frame)
                    if final:
                        client.outcome, client.end_to_end_s = final.group(1), time.perf_counter() - sent
                        return client
    except TimeoutError:
        return client
    except Exception as exc:  # a refused or dropped socket is a result to report, not a crash of the run
        client.outcome = f"error: {type(exc).__name__}: {exc}"
        return client
    finally:
        if not arrived:
            gate.arrive()


async def _ask_all(base: str, sessions: Sequence[str], questions: Sequence[str], book: str, timeout: float) -> Any:
    gate = Gate(len(sessions))
    pairs = zip(sessions, questions, strict=True)
    return await asyncio.gather(*(ask(base, session, question, book, gate, timeout) for session, question in pairs))


def ask_all(base: str, sessions: Sequence[str], questions: Sequence[str], book: str, timeout: float) -> list[Client]:
    """Every session asks its question over its own websocket, all at once; each bounded by ``timeout``."""
    return list(asyncio.run(_ask_all(base, sessions, questions, book, timeout)))


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q``-th percentile (0–100) by linear interpolation, as numpy's default."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    position = (len(ordered) - 1) * q / 100
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


# --------------------------------------------------------------------------- the benchmark


def summary(clients: Sequence[Client], answers: Sequence[Any]) -> dict[str, Any]:
    """Completion, duplication and the percentiles of one round (``answers``: its Answer rows)."""
    sent = {c.question: c.sent_at for c in clients}
    stored = [a.created_at.timestamp() - sent[a.question.text] for a in answers if a.question.text in sent]
    waits = [a.timings()["queue_wait_s"] for a in answers if a.started_at]
    worker = [(a.finished_at - a.started_at).total_seconds() for a in answers if a.started_at and a.finished_at]
    ends = [c.end_to_end_s for c in clients if c.end_to_end_s is not None]
    firsts = [c.first_text_s for c in clients if c.first_text_s is not None]
    span = max(a.finished_at for a in answers) - min(a.created_at for a in answers) if answers else None
    seen = [i for c in clients for i in c.answer_ids]
    stats: dict[str, Any] = {
        "clients": len(clients),
        "done": sum(c.outcome == "done" for c in clients),
        "outcomes": sorted({c.outcome for c in clients}),
        "answers_stored": len(answers),
        "answers_done_once": sum(a.status == "done" and a.attempts == 1 for a in answers),
        "clients_seeing_one_answer": sum(len(c.answer_ids) == 1 for c in clients),
        # A socket whose ask was handled after its answer had finished gets the finished answer at once.
        "clients_seeing_it_stream": len(firsts),
        "handshakes_retried": sum(c.reconnects for c in clients),
        "distinct_answers_seen": len(set(seen)),
        "answers_per_s": len(answers) / span.total_seconds() if span else None,
    }
    for name, values in (
        ("stored_s", stored),
        ("queue_wait_s", waits),
        ("worker_s", worker),
        ("first_text_s", firsts),
        ("end_to_end_s", ends),
    ):
        stats[name] = {"p50": round(percentile(values, 50), 3), "p95": round(percentile(values, 95), 3)}
    stats["complete"] = stats["done"] == stats["answers_done_once"] == stats["distinct_answers_seen"] == len(clients)
    return stats


def start(command: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    out = log.open("wb")
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)


def wait_for_port(port: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"nothing listens on port {port} after {timeout} s")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", default="25,50,100,200", help="comma-separated round sizes")
    parser.add_argument("--concurrency", type=int, default=4, help="worker pool processes on the gpu queue")
    parser.add_argument("--delay-ms", type=float, default=15.0, help="the stand-in's pace per token")
    parser.add_argument("--tokens", type=int, default=48, help="tokens per answer")
    parser.add_argument("--worker-threads", type=int, default=1, help="OMP_NUM_THREADS of the worker's processes")
    parser.add_argument("--timeout", type=float, default=600.0, help="seconds each client may wait")
    parser.add_argument("--sustain-p95", type=float, default=10.0, help="end-to-end p95 a sustained round keeps")
    parser.add_argument("--database", default="bench_load", help="PostgreSQL database on 127.0.0.1 (recreated)")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    sizes = [int(n) for n in args.clients.split(",")]
    tmp = Path(tempfile.mkdtemp(prefix="bench-load-"))
    redis_port, web_port = free_port(), free_port()
    env = {
        **os.environ,
        "DEBUG": "0", "SECRET_KEY": secrets.token_urlsafe(50), "ALLOWED_HOSTS": "127.0.0.1", "SECURE_SSL_REDIRECT": "0",
        "VAR_DIR": str(tmp), "STATIC_ROOT": str(tmp / "static"), "INDEX_ON_PUBLISH": "0", "LOG_LEVEL": "warning",
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{args.database}",
        "REDIS_URL": f"redis://127.0.0.1:{redis_port}/0", "TASKS_MODE": "celery", "PYTHONUNBUFFERED": "1",
        "GENERATOR_STANDIN": f"delay_ms={args.delay_ms},tokens={args.tokens}", "ALLOW_STANDIN_GENERATOR": "1",
        "GENERATOR_MAX_NEW_TOKENS": str(args.tokens), "DJANGO_SETTINGS_MODULE": "textbook.settings",
    }  # fmt: skip
    subprocess.run(["dropdb", "-h", "127.0.0.1", "-U", "postgres", "--if-exists", args.database], check=True)
    subprocess.run(["createdb", "-h", "127.0.0.1", "-U", "postgres", args.database], check=True)
    processes = [
        start(["redis-server", "--port", str(redis_port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
              env, tmp / "redis.log"),
    ]  # fmt: skip
    try:
        wait_for_port(redis_port)
        for command in (["migrate", "--noinput"], ["collectstatic", "--noinput"], ["demo_accounts", "--force"],
                        ["import_book", "content", "--owner", "instructor", "--publish"], ["build_index"]):  # fmt: skip
            subprocess.run(
                [sys.executable, "manage.py", *command], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL
            )
        worker = [str(BIN / "celery"), "-A", "textbook", "worker", "-Q", "gpu,default", "--concurrency", str(args.concurrency),
                  "--loglevel", "WARNING", "--without-gossip", "--without-mingle"]  # fmt: skip
        processes.append(start(worker, {**env, "OMP_NUM_THREADS": str(args.worker_threads)}, tmp / "worker.log"))
        daphne = [str(BIN / "daphne"), "-b", "127.0.0.1", "-p", str(web_port), "textbook.asgi:application"]
        processes.append(start(daphne, env, tmp / "daphne.log"))
        wait_for_port(web_port)
        os.environ.update(env)
        sys.path.insert(0, str(ROOT))
        import django

        django.setup()
        from tutor.models import Answer

        base, book = f"127.0.0.1:{web_port}", "signals-sampled"
        question = "How fast must a band-limited signal be sampled?"

        def round_of(size: int, name: str) -> dict[str, Any]:
            users = make_students(size, prefix=f"{name}-")
            sessions = [session_for(user) for user in users]
            questions = [f"({name} {i}) {question}" for i in range(1, size + 1)]
            clients = ask_all(base, sessions, questions, book, args.timeout)
            answers = list(Answer.objects.filter(question__conversation__user__in=users).select_related("question"))
            return summary(clients, answers)

        round_of(args.concurrency * 2, "warmup")  # every pool process loads the embedder and the index
        alone = [round_of(1, f"alone{i}") for i in range(5)]
        baseline = statistics.median(r["end_to_end_s"]["p50"] for r in alone)
        print(f"one student alone: end to end {baseline:.3f} s (median of 5)")
        rounds = []
        for size in sizes:
            stats = round_of(size, f"r{size}")
            stats["end_to_end_p50_vs_alone"] = round(stats["end_to_end_s"]["p50"] / baseline, 2)
            stats["sustained"] = stats["complete"] and stats["end_to_end_s"]["p95"] <= args.sustain_p95
            rounds.append(stats)
            print(json.dumps(stats))
        sustained = max((r["clients"] for r in rounds if r["sustained"]), default=0)
        result = {
            "machine": f"{platform.machine()}, {os.cpu_count()} cores, {platform.system()}",
            "worker_concurrency": args.concurrency, "worker_threads": args.worker_threads,
            "standin_delay_ms": args.delay_ms, "tokens": args.tokens,
            "alone_end_to_end_s": baseline, "sustain_p95_s": args.sustain_p95,
            "sustained_clients": sustained, "rounds": rounds,
        }  # fmt: skip
        print(f"sustained: {sustained} students at once (every answer complete, end-to-end p95 ≤ {args.sustain_p95} s)")
        if args.json:
            args.json.parent.mkdir(parents=True, exist_ok=True)
            args.json.write_text(json.dumps(result, indent=2) + "\n")
    finally:
        for process in reversed(processes):
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)


if __name__ == "__main__":
    main()
