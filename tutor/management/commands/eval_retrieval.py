from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from chapters.models import Book, Question
from tutor import backends
from tutor.retrieval import mean_reciprocal_rank, recall_at_k, section_ranking

MODES = ("dense", "bm25", "fused")
KS = (1, 3, 5, 10)


def evaluate(book: Book, *, candidates: int = 60) -> dict[str, Any]:
    """Recall@k and MRR of each question's source section(s), for each retrieval mode."""
    index = backends.indexes().get(book.slug)
    questions = list(
        Question.objects.filter(book=book)
        .exclude(type=Question.Type.OUT_OF_SCOPE)
        .prefetch_related("sections")
        .order_by("position", "pk")
    )
    questions = [q for q in questions if q.sections.exists()]
    if not questions:
        raise CommandError(f"{book.slug} has no questions tied to sections")
    vectors = backends.embedder().encode([q.text for q in questions])
    truths = [{s.pk for s in q.sections.all()} for q in questions]
    rows: dict[str, dict[str, float]] = {}
    for mode in MODES:
        rankings = [
            section_ranking(index.search(vector, q.text, k=candidates, mode=mode, candidates=candidates))
            for q, vector in zip(questions, vectors, strict=True)
        ]
        rows[mode] = {f"recall@{k}": recall_at_k(rankings, truths, k) for k in KS}
        rows[mode]["mrr"] = mean_reciprocal_rank(rankings, truths)
    return {
        "book": book.slug,
        "index_version": index.version,
        "model": index.model,
        "questions": len(questions),
        "chunks": len(index.chunks),
        "results": rows,
    }


class Command(BaseCommand):
    help = "Ask every bank question of a book as a query; report Recall@1/3/5/10 and MRR of its source section."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--book", help="slug (default: every book with an index)")
        parser.add_argument("--json", type=Path, dest="json_path", help="also write the results to this file")

    def handle(self, *args: Any, book: str | None, json_path: Path | None, **options: Any) -> None:
        books = Book.objects.filter(slug=book) if book else Book.objects.filter(questions__isnull=False).distinct()
        if book and not books.exists():
            raise CommandError(f"no book {book!r}")
        reports = []
        for item in books.order_by("slug"):
            try:
                report = evaluate(item)
            except FileNotFoundError:
                raise CommandError(
                    f"{item.slug} has no index yet; run manage.py build_index --book {item.slug}"
                ) from None
            reports.append(report)
            self.print_table(report)
        if json_path:
            json_path.write_text(json.dumps(reports, indent=2) + "\n")
            self.stdout.write(f"wrote {json_path}")

    def print_table(self, report: dict[str, Any]) -> None:
        self.stdout.write(
            f"\n{report['book']}: {report['questions']} questions, {report['chunks']} chunks, "
            f"index {report['index_version']} ({report['model']})"
        )
        header = "mode    " + "".join(f"{'R@' + str(k):>8}" for k in KS) + f"{'MRR':>8}"
        self.stdout.write(header)
        for mode, row in report["results"].items():
            cells = "".join(f"{row[f'recall@{k}']:>8.3f}" for k in KS)
            self.stdout.write(f"{mode:<8}{cells}{row['mrr']:>8.3f}")
