"""Labelled answers for the confidence model: the tutor answers the book's question bank, the bank grades it.

Runs in a worker or a command (it loads the generator). Answers are produced exactly as a student's are
(same retrieval, prompt, decoding and features) except that they are decoded in batches and asked with no
section and no history.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from chapters.actions import question_data
from chapters.grading import grade
from chapters.models import Book
from chapters.models import Question as BankQuestion
from tutor import backends, pipeline
from tutor.types import AnswerResult
from uq.features import Features, extract
from uq.models import Example
from uq.semantic import semantic_entropy

SPLITS = (("train", 0.6), ("calibration", 0.2), ("test", 0.2))


def split_of(key: str) -> str:
    """The split a bank question's answers go to: a fixed hash of its key, so a question never moves."""
    digest = hashlib.sha256(f"uq-split:{key}".encode()).digest()
    position = int.from_bytes(digest[:8], "big") / 2**64
    edge = 0.0
    for name, share in SPLITS:
        edge += share
        if position < edge:
            return name
    return SPLITS[-1][0]


@dataclass
class Scorable:
    """What the features need besides the answer: the embedder and the book's index."""

    embedder: Any
    index: Any

    def features(self, question: str, result: AnswerResult) -> Features:
        vectors = self.embedder.encode([question, result.text or " "])
        chunk_ids = [passage.chunk_id for passage in result.passages]
        passages = self.index.vectors_of(chunk_ids) if chunk_ids else np.zeros((0, vectors.shape[1]), np.float32)
        return extract(result, vectors[0], vectors[1], passages)


def batches(items: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def collect(
    book: Book,
    questions: Sequence[BankQuestion],
    *,
    batch_size: int = 4,
    se_samples: int = 5,
    se_temperature: float = 1.0,
    se_max_new_tokens: int = 48,
    max_new_tokens: int = 128,
    seed: int = 0,
    progress: Callable[[int, int], None] | None = None,
) -> list[Example]:
    """Answer each question greedily, grade the answer, store it with its features.

    Test-split questions also get ``se_samples`` answers of at most ``se_max_new_tokens`` tokens (their first
    sentences carry what they claim) sampled at ``se_temperature`` from the same prefill,
    for the semantic-entropy baseline (stored in ``Example.extra``: the entropy, and the seconds per question
    with and without the samples, so the evaluation can report its cost). Questions this generator already
    answered are skipped, so an interrupted run resumes where it stopped."""
    generator = backends.generator()
    embedder = backends.embedder()
    index = backends.indexes().get(book.slug)
    scorable = Scorable(embedder, index)
    retrieve = backends.retriever(embedder, index)
    done = set(
        Example.objects.filter(
            generator=generator.name, source=Example.Source.AUTO, bank_question__in=questions
        ).values_list("bank_question_id", flat=True)
    )
    todo = [q for q in questions if q.pk not in done]
    # Test questions are batched apart (they carry the samples), but in the order given, so a run stopped
    # early has answered a random subset of every split.
    pending: dict[bool, list[BankQuestion]] = {True: [], False: []}
    created: list[Example] = []
    finished = 0
    for position, question in enumerate(todo):
        is_test = split_of(question.key) == "test"
        pending[is_test].append(question)
        last = position == len(todo) - 1
        for kind in (False, True):
            chunk = pending[kind]
            if not chunk or (len(chunk) < batch_size and not last):
                continue
            started = time.perf_counter()
            answers = pipeline.answer_batch(
                [q.text for q in chunk],
                retrieve=retrieve,
                generator=generator,
                max_new_tokens=max_new_tokens,
                seed=seed + position,
                samples=se_samples if kind else 0,
                sample_temperature=se_temperature,
                sample_max_new_tokens=se_max_new_tokens,
            )
            seconds = (time.perf_counter() - started) / len(chunk)
            rows = [
                _example(q, results, scorable, generator.name, embedder, seconds)
                for q, results in zip(chunk, answers, strict=True)
            ]
            created += Example.objects.bulk_create(rows)
            finished += len(chunk)
            pending[kind] = []
            if progress is not None:
                progress(finished, len(todo))
    return created


def _example(
    question: BankQuestion,
    results: list[AnswerResult],
    scorable: Scorable,
    generator: str,
    embedder: Any,
    seconds: float,
) -> Example:
    result, sampled = results[0], results[1:]
    verdict = grade(question_data(question), result.text)
    extra: dict[str, Any] = {"seconds": round(seconds, 3), "tokens": len(result.generation.token_ids)}
    if sampled:
        vectors = embedder.encode([r.text or " " for r in sampled])
        extra["semantic_entropy"] = semantic_entropy(vectors)
        extra["samples"] = len(sampled)
    return Example(
        bank_question=question,
        question_text=question.text,
        answer_text=result.text,
        features=scorable.features(question.text, result).to_bytes(),
        label=verdict.correct,
        out_of_scope=question.out_of_scope,
        split=split_of(question.key),
        grade_reason=verdict.reason[:300],
        generator=generator,
        embedder=str(embedder.name),
        extra=extra,
    )
