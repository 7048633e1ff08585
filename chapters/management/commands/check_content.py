from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from chapters import bank, grading
from chapters.importers import BookImportError, read_book

MIN_CHAPTERS, MIN_SECTIONS, MIN_QUESTIONS, MIN_OUT_OF_SCOPE = 12, 4, 400, 60


def content_problems(folder: Path) -> tuple[list[str], dict[str, int]]:
    """Every problem of a book folder and its bank, and the counts that were checked."""
    book = read_book(folder)
    problems = [str(problem) for problem in book.problems]
    in_scope = [q for q in book.questions if not q.out_of_scope]
    counts = {
        "chapters": len(book.chapters),
        "sections": sum(len(c.sections) for c in book.chapters),
        "questions": len(in_scope),
        "out_of_scope": len(book.questions) - len(in_scope),
    }
    if counts["chapters"] < MIN_CHAPTERS:
        problems.append(f"the book has {counts['chapters']} chapters; it needs at least {MIN_CHAPTERS}")
    for chapter in book.chapters:
        if len(chapter.sections) < MIN_SECTIONS:
            problems.append(f"chapter {chapter.slug} has {len(chapter.sections)} sections; it needs {MIN_SECTIONS}")
        for section in chapter.sections:
            if not section.objectives:
                problems.append(f"section {chapter.slug}/{section.slug} has no learning objectives")
    if counts["questions"] < MIN_QUESTIONS:
        problems.append(f"the bank has {counts['questions']} questions; it needs at least {MIN_QUESTIONS}")
    if counts["out_of_scope"] < MIN_OUT_OF_SCOPE:
        problems.append(f"{counts['out_of_scope']} out-of-scope questions; at least {MIN_OUT_OF_SCOPE} are needed")
    for question in book.questions:
        problems += [f"{question.source}: {message}" for message in grader_problems(question)]
    return problems, counts


def grader_problems(question: bank.QuestionData) -> list[str]:
    """The graders must accept the reference answer and reject a wrong one."""
    right, wrong = grading.reference_answer(question), grading.wrong_answer(question)
    problems = []
    if not grading.grade(question, right).correct:
        problems.append(f"the grader rejects the reference answer {right!r}")
    if grading.grade(question, wrong).correct:
        problems.append(f"the grader accepts the wrong answer {wrong!r}")
    return problems


class Command(BaseCommand):
    help = "Check the bundled book and its question bank: counts, sections, formulas and graders."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("folder", nargs="?", type=Path, default=Path(settings.BASE_DIR) / "content")

    def handle(self, *args: Any, folder: Path, **options: Any) -> None:
        try:
            problems, counts = content_problems(folder)
        except BookImportError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(
            f"{counts['chapters']} chapters, {counts['sections']} sections, {counts['questions']} questions, "
            f"{counts['out_of_scope']} out-of-scope questions"
        )
        for problem in problems:
            self.stdout.write(self.style.ERROR(f"  {problem}"))
        if problems:
            raise CommandError(f"{len(problems)} problems in {folder}")
        self.stdout.write(self.style.SUCCESS("Content is consistent."))
