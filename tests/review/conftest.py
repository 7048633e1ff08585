"""The review queue's stage: alice's answers in Ines's book, judged by rita (reviewer).

Answers are stored as a worker would have stored them (features included), without running the tutor, so each
test sets up in milliseconds; test_verdicts.py::test_from_question_to_correction runs the flow through the tutor."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from django.contrib.auth.models import User

from chapters.models import Book
from tutor.models import Answer, Conversation, Question
from uq.features import STAT_NAMES, Features
from uq.reviews import do_queue_for_review

Queue = Callable[..., Answer]


def features_bytes(seed: int = 0) -> bytes:
    rng = np.random.default_rng(seed)
    stats = rng.normal(0, 1, len(STAT_NAMES)).astype(np.float32)
    return Features(hidden=rng.normal(0, 1, 16).astype(np.float32), stats=stats).to_bytes()


@pytest.fixture
def queue(book: Book, student: User) -> Queue:
    """queue(question, decision="flag", confidence=0.4, student=alice, reported=False) → a finished answer in the queue."""
    section = book.sections.get(slug="the-sampling-theorem")

    def make(
        text: str = "Why does a 7 kHz tone alias at 8 kHz?",
        *,
        decision: str = "flag",
        confidence: float | None = 0.4,
        asker: User | None = None,
        reported: bool = False,
        answer_text: str = "It folds to 1 kHz [1].",
        **fields: Any,
    ) -> Answer:
        conversation = Conversation.objects.create(user=asker or student, book=book, title=text[:100])
        question = Question.objects.create(conversation=conversation, text=text, section=section)
        answer = Answer.objects.create(
            question=question,
            status=fields.pop("status", Answer.Status.DONE),
            text=answer_text,
            decision=decision,
            confidence=confidence,
            reason="the book's passages barely match this question" if decision != "answer" else "",
            model_name="fake-generator",
            features=fields.pop("features", features_bytes(question.pk)),
            passages=[
                {
                    "number": 1,
                    "chunk_id": f"{section.pk}-0",
                    "section_id": section.pk,
                    "section_title": section.title,
                    "chapter_title": "Sampling",
                    "anchor": section.anchor,
                    "text": "A tone at $f_0$ appears at $|f_0 - k f_s|$.",
                    "score": 0.0312,
                },
            ],
            **fields,
        )
        if decision in ("flag", "abstain") or reported:
            do_queue_for_review(answer, flagged=decision == "flag", abstained=decision == "abstain", reported=reported)
        return answer

    return make


from tests.tutor.conftest import tutor  # noqa: E402, F401 (the tutor stage, for the end-to-end test)
