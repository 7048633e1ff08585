"""The tutor's full stack against plain `model.generate`, same model, prompts and machine, one run.

    .venv/bin/python bench/bench_tutor.py [--questions 5] [--max-new-tokens 64] [--json bench/results/tutor.json]

Full stack: a websocket client sends the question to Daphne → `tutor.actions.do_ask` persists it and
enqueues through Redis → a real `celery worker` (queue gpu) retrieves, generates and streams → events
through the Redis channel layer → Daphne → the client. Time to first token is measured at the client
(send → first streamed fragment); tokens per second as tokens / (last streamed fragment − first), as the
baseline measures it (first text to last token); the time to the done fragment, which adds verification,
scoring and storing the answer, is reported beside it.
Baseline: for the exact prompt the worker built (its passages are stored with the answer),
greedy `model.generate` with a TextIteratorStreamer in this process (tutor.generation.raw_generate_baseline),
same dtype and threads as the worker.

Two measures of what the stack adds to the time to first token:
- paired: the stack's client-side TTFT minus the baseline's, per question (two separate prefills of the same
  prompt, so their run-to-run noise is in it);
- same pass: the stack's client-side TTFT minus the worker's own prefill in that very answer (the generator's
  call-to-first-text, stored in `Answer.stages["prefill_s"]`): everything but the model — the websocket, the
  database, the broker, retrieval, the first event's trip back — with no prefill noise.
Needs Redis on 127.0.0.1:6379 (database 13 is flushed) and the converted model (manage.py prepare_models).
"""

from __future__ import annotations

import argparse
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
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
MODEL = (
    Path(os.environ.get("TEXTBOOK_MODEL_CACHE", Path.home() / ".cache" / "smart-textbook")) / "smollm2-135m-instruct"
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def manage(env: dict[str, str], *args: str) -> None:
    subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)


def log_in(base: str, password: str) -> str:
    import httpx

    with httpx.Client(base_url=f"http://{base}") as http:
        page = http.get("/accounts/login/")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
        response = http.post(
            "/accounts/login/", data={"username": "student", "password": password, "csrfmiddlewaretoken": token}
        )
        return str(response.cookies["sessionid"])


# A streamed fragment that carries text (a fragment for an answer that is generating but has no text yet does not count).
FIRST_TEXT = re.compile(r'class="prose provisional" aria-busy="true">\s*(?!</div>)\S')


def ask_over_socket(base: str, session: str, question: str) -> tuple[float, float, float]:
    """(seconds to the first streamed fragment, to the last one, to the done fragment), measured here."""
    from websockets.sync.client import connect

    with connect(
        f"ws://{base}/ws/tutor/", origin=f"http://{base}", additional_headers={"Cookie": f"sessionid={session}"}
    ) as ws:
        started = time.perf_counter()
        ws.send(json.dumps({"question": question, "book": "signals-sampled"}))
        first = last = None
        while True:
            frame = ws.recv(timeout=300)
            if FIRST_TEXT.search(frame):
                last = time.perf_counter() - started
                first = first if first is not None else last
            if "answer answer-done" in frame or "answer answer-failed" in frame:
                done = time.perf_counter() - started
                return first or float("nan"), last or float("nan"), done


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--questions", type=int, default=5)
    parser.add_argument("--max-new-tokens", type=int, default=64)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-tutor-"))
    password = secrets.token_urlsafe(12)
    env = {
        **os.environ,
        "DEBUG": "1", "SECRET_KEY": secrets.token_urlsafe(50), "VAR_DIR": str(tmp),
        "DATABASE_URL": f"sqlite:///{tmp / 'db.sqlite3'}", "REDIS_URL": "redis://127.0.0.1:6379/13",
        "TASKS_MODE": "celery", "GENERATOR_MODEL": str(MODEL), "GENERATOR_MAX_NEW_TOKENS": str(args.max_new_tokens),
        "INDEX_ON_PUBLISH": "0", "DEMO_PASSWORD": password, "TUTOR_QUESTIONS_PER_MINUTE": "1000",
        "PYTHONUNBUFFERED": "1", "LOG_LEVEL": "warning",
    }  # fmt: skip
    import redis

    redis.Redis.from_url(env["REDIS_URL"]).flushdb()
    manage(env, "migrate", "--noinput")
    manage(env, "demo_accounts")
    manage(env, "import_book", "content", "--owner", "instructor", "--publish")
    manage(env, "build_index")
    manage(env, "prepare_models")
    port = free_port()
    base = f"127.0.0.1:{port}"
    worker = subprocess.Popen(
        [str(BIN / "celery"), "-A", "textbook", "worker", "-Q", "gpu,default", "--concurrency", "1", "--loglevel", "WARNING"],
        cwd=ROOT, env=env, stdout=(tmp / "worker.log").open("wb"), stderr=subprocess.STDOUT,
    )  # fmt: skip
    daphne = subprocess.Popen(
        [str(BIN / "daphne"), "-b", "127.0.0.1", "-p", str(port), "textbook.asgi:application"],
        cwd=ROOT, env=env, stdout=(tmp / "daphne.log").open("wb"), stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                time.sleep(0.2)
        session = log_in(base, password)
        os.environ.update(env)
        os.environ["DJANGO_SETTINGS_MODULE"] = "textbook.settings"
        sys.path.insert(0, str(ROOT))
        import django

        django.setup()
        from chapters.models import Question as BankQuestion
        from tutor.generation import Generator, raw_generate_baseline
        from tutor.models import Answer
        from tutor.prompting import build_messages
        from tutor.types import Passage

        questions = [
            q.text for q in BankQuestion.objects.exclude(type="out_of_scope").order_by("position")[: args.questions]
        ]
        ask_over_socket(base, session, questions[0])  # warm-up: the worker loads its models
        generator = Generator(MODEL, dtype=env.get("GENERATOR_DTYPE", "auto"))  # as tutor.backends makes it
        rows = []
        for text in questions:
            ttft_stack, last_stack, total_stack = ask_over_socket(base, session, text)
            answer = Answer.objects.filter(question__text=text).order_by("-pk").first()
            assert answer is not None and answer.status == "done", answer and answer.error
            passages = [Passage(**p) for p in answer.passages]
            messages = build_messages(text, passages)
            raw_tps, raw_ttft = raw_generate_baseline(generator, messages, args.max_new_tokens)
            # Decode speed as the baseline measures it: tokens over the time from the first text to the last.
            stack_tps = answer.tokens / (last_stack - ttft_stack) if answer.tokens > 1 else float("nan")
            to_done_tps = answer.tokens / (total_stack - ttft_stack) if answer.tokens > 1 else float("nan")
            prefill = answer.stages["prefill_s"]
            rows.append({"question": text, "tokens": answer.tokens, "prompt_tokens": answer.stages["prompt_tokens"],
                         "stack_ttft_s": ttft_stack, "stack_last_text_s": last_stack, "stack_total_s": total_stack,
                         "stack_tokens_per_s": stack_tps, "stack_tokens_per_s_to_done": to_done_tps,
                         "worker_tokens_per_s": answer.stages["tokens_per_second"],
                         "worker_prefill_s": prefill, "worker_retrieval_s": answer.stages["retrieval_s"],
                         "raw_ttft_s": raw_ttft, "raw_tokens_per_s": raw_tps,
                         "paired_extra_ttft_ms": 1000 * (ttft_stack - raw_ttft),
                         "same_pass_overhead_ms": 1000 * (ttft_stack - prefill)})  # fmt: skip
            print(json.dumps(rows[-1]))
        summary = {
            "machine": f"{platform.machine()}, {os.cpu_count()} cores, {platform.system()}",
            "model": generator.name, "dtype": str(generator.dtype), "max_new_tokens": args.max_new_tokens,
            "questions": len(rows),
            "median_raw_tokens_per_s": statistics.median(r["raw_tokens_per_s"] for r in rows),
            "median_stack_tokens_per_s": statistics.median(r["stack_tokens_per_s"] for r in rows),
            "median_stack_tokens_per_s_to_done": statistics.median(r["stack_tokens_per_s_to_done"] for r in rows),
            "median_worker_tokens_per_s": statistics.median(r["worker_tokens_per_s"] for r in rows),
            "median_raw_ttft_s": statistics.median(r["raw_ttft_s"] for r in rows),
            "median_stack_ttft_s": statistics.median(r["stack_ttft_s"] for r in rows),
            "rows": rows,
        }  # fmt: skip
        summary["throughput_ratio"] = summary["median_stack_tokens_per_s"] / summary["median_raw_tokens_per_s"]
        # Each question's stack speed over its own baseline, then the median: the prompts differ in length, and
        # a shared machine drifts, so paired ratios are steadier than a ratio of medians.
        long_enough = [r for r in rows if r["tokens"] >= 16]
        summary["median_paired_throughput_ratio"] = statistics.median(
            r["stack_tokens_per_s"] / r["raw_tokens_per_s"] for r in long_enough or rows
        )
        summary["extra_ttft_ms_difference_of_medians"] = 1000 * (
            summary["median_stack_ttft_s"] - summary["median_raw_ttft_s"]
        )
        for key in ("paired_extra_ttft_ms", "same_pass_overhead_ms"):
            values = sorted(r[key] for r in rows)
            summary[f"median_{key}"] = statistics.median(values)
            summary[f"max_{key}"] = values[-1]
        print(json.dumps({k: v for k, v in summary.items() if k != "rows"}, indent=2))
        if args.json:
            args.json.parent.mkdir(parents=True, exist_ok=True)
            args.json.write_text(json.dumps(summary, indent=2) + "\n")
    finally:
        for process in (daphne, worker):
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=30)


if __name__ == "__main__":
    main()
