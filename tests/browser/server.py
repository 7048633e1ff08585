"""The site under test: one real Daphne process serving the embedded default with production settings.

Why the embedded default (SQLite in a temporary VAR_DIR, the in-memory channel layer, tasks in worker
threads of the web process) and not PostgreSQL + Redis + a Celery worker: it is what `make run` serves and
what a student trying the project meets first; it needs nothing on the machine but Chromium, so the suite
runs on any developer's machine; and it is one process, which matters on two cores. Everything the browser
touches is the production code path — Daphne, the views, the Channels consumer, the actions, the `answer`
task streaming through the channel layer — only the transport between web and worker differs, and
`make test-services` drives that (Redis, a real `celery worker`, PostgreSQL) on its own.

DEBUG is off (hashed static files from `collectstatic`, the 404/500 pages, secure cookies), so the browser
meets what a deployment serves; SECURE_SSL_REDIRECT is off because there is no TLS proxy in front.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
PASSWORD = "correct-horse-battery-staple"  # the same as tests.factories.PASSWORD
BOOK = "signals-sampled"  # the bundled book, from content/
MAX_NEW_TOKENS = 32  # short answers: the stream is still many fragments, the suite stays quick

# Settings of the test run (pytest-env) that must not leak into the server.
_NOT_INHERITED = ("DATABASE_URL", "REDIS_URL", "TASKS_MODE", "VAR_DIR", "INDEX_DIR", "STATIC_ROOT", "DJANGO_")

# Runs once, in one process, inside the server's environment: the database, the personas the suite logs in
# as (alice signs up herself), the bundled book imported and published, its index, the shipped confidence
# head and the hashed static files.
BUILD = f"""
from django.conf import settings
from django.core.management import call_command
from accounts.actions import do_create_user

call_command("migrate", "--noinput", verbosity=0)
do_create_user("ines", {PASSWORD!r}, role="instructor")
do_create_user("bob", {PASSWORD!r}, role="student")
settings.INDEX_ON_PUBLISH = False  # build_index below builds it once, in this process
call_command("import_book", "content", "--owner", "ines", "--publish", verbosity=0)
call_command("build_index", verbosity=0)
call_command("install_head", verbosity=0)
call_command("collectstatic", "--noinput", verbosity=0)
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Site:
    """A built site in `var_dir` and, once started, the Daphne process serving it at `base_url`."""

    var_dir: Path
    generator_model: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def log(self) -> Path:
        return self.var_dir / "daphne.log"

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST", *_NOT_INHERITED))}
        env.update(
            DJANGO_SETTINGS_MODULE="textbook.settings",
            PYTHONUNBUFFERED="1",
            DEBUG="0",
            SECRET_KEY=self._secret_key(),
            ALLOWED_HOSTS="127.0.0.1",
            SECURE_SSL_REDIRECT="0",
            VAR_DIR=str(self.var_dir),
            TASKS_MODE="thread",
            INDEX_ON_PUBLISH="1",  # the instructor's published section reaches the tutor's index
            GENERATOR_MODEL=str(self.generator_model),
            GENERATOR_MAX_NEW_TOKENS=str(MAX_NEW_TOKENS),
            GENERATOR_THREADS="1",  # on two shared cores one torch thread stalls less than two
            TUTOR_QUESTIONS_PER_MINUTE="30",  # bob asks in several tests within a minute
            LOG_LEVEL="warning",
        )
        return env

    def _secret_key(self) -> str:
        path = self.var_dir / "secret-key"
        if not path.exists():
            self.var_dir.mkdir(parents=True, exist_ok=True)
            path.write_text(secrets.token_urlsafe(50))
        return path.read_text()

    def python(self, code: str, *, timeout: float = 600) -> str:
        """Run Python with Django set up, in the server's environment (its database); returns stdout."""
        program = f"import django\ndjango.setup()\n{code}"
        done = subprocess.run(
            [sys.executable, "-c", program], cwd=ROOT, env=self.env(), capture_output=True, text=True, timeout=timeout
        )
        if done.returncode != 0:
            raise RuntimeError(f"site python failed ({done.returncode}):\n{done.stdout[-2000:]}\n{done.stderr[-4000:]}")
        return done.stdout

    def build(self) -> None:
        self.python(BUILD)

    def start(self) -> None:
        command = [str(BIN / "daphne"), "-b", "127.0.0.1", "-p", str(self.port), "textbook.asgi:application"]
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(command, cwd=ROOT, env=self.env(), stdout=out, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                return
            except OSError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"daphne did not start:\n{self.log.read_text()[-3000:]}") from None
                time.sleep(0.2)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


# A finished answer written straight into the site's database, as the worker would leave it: for what the
# real tiny model will not reliably produce on demand (it almost never cites in 32 tokens) and for hostile
# text (the XSS checks). Citations are (number, chapter slug, section slug) of the bundled book.
FINISHED_ANSWER = """
import json
from django.contrib.auth.models import User
from django.utils import timezone
from chapters.models import Book, Section
from tutor.models import Answer, Conversation, Question

data = json.loads(DATA)
user = User.objects.get(username=data["username"])
book = Book.objects.get(slug=data["book"])
conversation, _ = Conversation.objects.get_or_create(user=user, book=book, defaults={"title": data["question"][:120]})
reading = Section.objects.get(book=book, chapter__slug=data["reading"][0], slug=data["reading"][1])
question = Question.objects.create(conversation=conversation, text=data["question"], section=reading)
citations = []
for number, chapter, slug in data["citations"]:
    cited = Section.objects.get(book=book, chapter__slug=chapter, slug=slug)
    citations.append({"number": number, "section_id": cited.pk, "section_title": cited.title, "anchor": cited.anchor})
now = timezone.now()
Answer.objects.create(
    question=question, status="done", text=data["text"], raw_text=data["text"], citations=citations,
    decision=data["decision"], confidence=data["confidence"], started_at=now, first_token_at=now, finished_at=now,
)
Conversation.objects.filter(pk=conversation.pk).update(updated_at=now)
print(conversation.pk)
"""


def finished_answer(
    site: Site,
    username: str,
    question: str,
    text: str,
    *,
    reading: tuple[str, str],
    citations: Sequence[tuple[int, str, str]] = (),
    decision: str = "answer",
    confidence: float = 0.9,
) -> int:
    """Stores a finished answer to `question` in the user's conversation about the bundled book; returns
    the conversation's id."""
    data = {
        "username": username,
        "book": BOOK,
        "question": question,
        "text": text,
        "reading": list(reading),
        "citations": [list(c) for c in citations],
        "decision": decision,
        "confidence": confidence,
    }
    return int(site.python(f"DATA = {json.dumps(data)!r}\n{FINISHED_ANSWER}").strip().splitlines()[-1])
