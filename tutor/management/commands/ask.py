from __future__ import annotations

import json
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from chapters.models import Book, Section
from tutor import backends, pipeline


class Command(BaseCommand):
    help = "Ask the tutor a question from the command line: the answer, its citations, confidence, decision, timings."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("question")
        parser.add_argument("--book", required=True, help="book slug")
        parser.add_argument("--section", type=int, help="id of the section being read (retrieval leans toward it)")
        parser.add_argument("--json", action="store_true", help="print one JSON object instead of text")
        parser.add_argument("--max-new-tokens", type=int, default=None)

    def handle(self, *args: Any, question: str, book: str, section: int | None, **options: Any) -> None:
        from django.conf import settings

        item = Book.objects.filter(slug=book).first()
        if item is None:
            raise CommandError(f"no book {book!r}")
        reading = Section.objects.filter(book=item, pk=section).first() if section else None
        if section and reading is None:
            raise CommandError(f"no section {section} in {book}")
        if not question.strip():
            raise CommandError("the question is empty")
        try:
            index = backends.indexes().get(item.slug)
        except FileNotFoundError:
            raise CommandError(f"{book} has no index yet; run manage.py build_index --book {book}") from None
        embedder = backends.embedder()
        generator = backends.generator()
        from uq import scoring

        stream = None if options["json"] else (lambda text: (sys.stdout.write(text), sys.stdout.flush()))
        result = pipeline.answer_question(
            question, retrieve=backends.retriever(embedder, index), generator=generator, section_id=section,
            scorer=scoring.scorer_for(question, generator.name, embedder, index),
            reading=reading.title if reading else None, on_text=stream,
            max_new_tokens=options["max_new_tokens"] or settings.GENERATOR_MAX_NEW_TOKENS,
        )  # fmt: skip
        report = {
            "question": question,
            "answer": result.text,
            "citations": [
                {"number": c.number, "section": c.section_title, "anchor": c.anchor} for c in result.citations
            ],
            "removed_markers": result.removed_markers,
            "confidence": result.confidence,
            "decision": result.decision,
            "reason": result.score.reason if result.score else None,
            "timings": result.stage_timings(),
            "model": result.generation.model,
            "index_version": index.version,
        }
        if options["json"]:
            self.stdout.write(json.dumps(report, indent=2))
            return
        self.stdout.write("\n")
        for c in report["citations"]:
            self.stdout.write(f"  [{c['number']}] {c['section']} (#{c['anchor']})")
        confidence = "none (no confidence model yet)" if result.confidence is None else f"{result.confidence:.2f}"
        why = f" — {result.score.reason}" if result.score and result.score.reason else ""
        self.stdout.write(f"decision: {result.decision}; confidence: {confidence}{why}")
        self.stdout.write(" · ".join(f"{k} {v}" for k, v in report["timings"].items()))
