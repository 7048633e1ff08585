"""What scoring costs: the confidence head's time per answer against the time of the answer itself, one run.

    DEBUG=1 .venv/bin/python bench/bench_uq.py [--questions 12] [--json bench/results/uq-scoring.json]

Uses the site's database (var/): the imported book, its index, the converted generator and the active head
(make run, or manage.py train_uq --activate / install_head). For each of N bank questions (a seeded sample),
in one process: the tutor's pipeline answers once without a scorer and once with the active head's scorer;
the scorer call itself is timed inside the second run (embedding the question and the answer, reading the
passages' stored vectors, the head's prediction, the policy). Reported: mean answer time, mean scoring time,
scoring as a fraction of the answer (target ≤ 5%), and the measured difference of the two runs.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--questions", type=int, default=12)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "textbook.settings")
    import django

    django.setup()
    from django.conf import settings

    from chapters.models import Question
    from tutor import backends, pipeline
    from uq import scoring

    generator, embedder = backends.generator(), backends.embedder()
    questions = list(Question.objects.order_by("pk"))
    random.Random(7).shuffle(questions)  # noqa: S311 - a reproducible sample
    questions = questions[: args.questions]
    book = questions[0].book
    index = backends.indexes().get(book.slug)
    retrieve = backends.retriever(embedder, index)
    if scoring.active_head(generator.name) is None:
        raise SystemExit(f"no active head for {generator.name}: run manage.py install_head or train_uq --activate")
    rows = []
    for question in questions:
        started = time.perf_counter()
        pipeline.answer_question(
            question.text, retrieve=retrieve, generator=generator, max_new_tokens=settings.GENERATOR_MAX_NEW_TOKENS
        )
        plain = time.perf_counter() - started
        scorer = scoring.scorer_for(question.text, generator.name, embedder, index)
        spent: list[float] = []

        def timed(result, scorer=scorer, spent=spent):  # type: ignore[no-untyped-def]
            t0 = time.perf_counter()
            score = scorer(result)
            spent.append(time.perf_counter() - t0)
            return score

        started = time.perf_counter()
        result = pipeline.answer_question(
            question.text,
            retrieve=retrieve,
            generator=generator,
            scorer=timed,
            max_new_tokens=settings.GENERATOR_MAX_NEW_TOKENS,
        )
        scored = time.perf_counter() - started
        rows.append(
            {
                "plain_s": plain,
                "scored_s": scored,
                "scoring_s": spent[0] if spent else 0.0,
                "decision": result.decision,
                "tokens": len(result.generation.token_ids),
            }
        )
        print(
            f"{question.key}: answer {plain:.2f} s, with scoring {scored:.2f} s, scoring {rows[-1]['scoring_s'] * 1000:.1f} ms ({result.decision})"
        )
    answer = statistics.mean(r["plain_s"] for r in rows)
    scoring_s = statistics.mean(r["scoring_s"] for r in rows)
    report = {
        "questions": len(rows),
        "mean_answer_s": round(answer, 3),
        "mean_scoring_ms": round(1000 * scoring_s, 2),
        "scoring_fraction": round(scoring_s / answer, 4),
        "measured_difference_fraction": round(statistics.mean(r["scored_s"] for r in rows) / answer - 1, 4),
        "mean_tokens": statistics.mean(r["tokens"] for r in rows),
        "machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores",
        "generator": generator.name,
        "dtype": str(generator.dtype),
    }
    print(json.dumps(report, indent=2))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({**report, "rows": rows}, indent=2) + "\n")


if __name__ == "__main__":
    main()
