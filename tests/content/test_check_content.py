"""The bundled book: consistent, big enough, and every question graded right by its own grader."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from chapters.management.commands.check_content import content_problems

CONTENT = Path(__file__).resolve().parents[2] / "content"


def test_the_bundled_book_has_no_problems() -> None:
    problems, counts = content_problems(CONTENT)
    assert problems == []
    assert counts["chapters"] >= 12 and counts["questions"] >= 400 and counts["out_of_scope"] >= 60


def test_check_content_reports_and_fails_on_a_broken_book(tmp_path: Path) -> None:
    (tmp_path / "01-one.md").write_text("---\ntitle: One\nslug: one\n---\n\n# One\n\n## Only {#only}\n\nText.\n")
    (tmp_path / "questions").mkdir()
    (tmp_path / "questions" / "01-one.yml").write_text(
        "- id: q1\n  section: nowhere\n  type: numeric\n  text: What is two plus two?\n  answer: 4\n  unit: ''\n"
        "  tolerance: 0.1\n  check: 2 + 3\n  explanation: Arithmetic.\n"
    )
    out = io.StringIO()
    with pytest.raises(CommandError, match="problems in"):
        call_command("check_content", str(tmp_path), stdout=out)
    report = out.getvalue()
    assert "the book has 1 chapters; it needs at least 12" in report
    assert "section only has no learning objectives" in report or "only has no learning objectives" in report
    assert "questions/01-one.yml" in report
