"""Server-side render time of the section reader against cheap pages measured in the same run.

    DEBUG=1 .venv/bin/python bench/bench_render.py [--requests 200] [--json bench/results/render.json]

Uses the site's database (var/, prepared by `make prepare` or `make run`): the bundled book, published.
Every request goes through Django's full stack in this process (middleware, sessions, auth, the view, the
templates) with the test client, so the time is the server's alone: no network, no browser. The reader page is
the sampling theorem (formulas, a table, a live demo, a six-question quiz, the tutor panel), warm: its rendered
Markdown is in the cache, as for every reader after the first. Rows are interleaved request by request
(reader, baseline, reader, …) so that a busy machine slows all of them alike. Baselines: `/healthz` (one
database query, no template) and the library page (one query, the base template). Also shown: the reader for a
signed-in student (the tutor panel reads her conversation), and the reader with a cold cache (the Markdown and
the demo widget rendered again on every request).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
READER = "/books/signals-sampled/sampling-and-aliasing/sampling-theorem/"


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=200, help="timed requests per warm row")
    parser.add_argument("--cold", type=int, default=40, help="timed requests of the cold-cache row")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    load = os.getloadavg()  # the machine is shared: say how busy it was
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "textbook.settings")
    import django

    django.setup()
    from django.contrib.auth.models import User
    from django.core.cache import cache
    from django.test import Client
    from django.test.utils import setup_test_environment

    setup_test_environment()  # the test client's hooks; the database stays the site's own
    anonymous, student = Client(), Client()
    reader_of = User.objects.filter(groups__name="student").order_by("pk").first()
    if reader_of is None:
        raise SystemExit("no student account: run `make prepare` (it creates the demo accounts)")
    student.force_login(reader_of)

    def fetch(client: Client, path: str, *, clear: bool = False) -> Callable[[], float]:
        def once() -> float:
            if clear:
                cache.clear()
            started = time.perf_counter()
            response = client.get(path)
            spent = time.perf_counter() - started
            assert response.status_code == 200, f"{path}: {response.status_code}"
            return spent

        return once

    rows: dict[str, Callable[[], float]] = {
        "baseline: /healthz": fetch(anonymous, "/healthz"),
        "baseline: library page": fetch(anonymous, "/"),
        "section reader, anonymous, warm": fetch(anonymous, READER),
        "section reader, signed-in student, warm": fetch(student, READER),
    }
    for once in rows.values():  # warm: templates compiled, the section's HTML cached, connections open
        for _ in range(5):
            once()
    times: dict[str, list[float]] = {name: [] for name in rows}
    for _ in range(args.requests):
        for name, once in rows.items():
            times[name].append(once())
    cold = fetch(anonymous, READER, clear=True)
    times["section reader, anonymous, cold cache"] = [cold() for _ in range(args.cold)]

    health = statistics.median(times["baseline: /healthz"])
    library = statistics.median(times["baseline: library page"])
    table = []
    for name, values in times.items():
        p50 = statistics.median(values)
        table.append(
            {
                "page": name,
                "requests": len(values),
                "p50_ms": round(1000 * p50, 2),
                "p95_ms": round(1000 * percentile(values, 0.95), 2),
                "x_healthz": round(p50 / health, 1),
                "x_library": round(p50 / library, 2),
            }
        )
        print(f"{name:<42} p50 {1000 * p50:7.2f} ms  p95 {1000 * percentile(values, 0.95):7.2f} ms")
    report = {
        "machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, {platform.system()}",
        "load_average_at_start": [round(x, 2) for x in load],
        "python": platform.python_version(),
        "django": django.get_version(),
        "reader": READER,
        "rows": table,
    }
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report, indent=1) + "\n")
        print(f"wrote {args.json}")


if __name__ == "__main__":
    main()
