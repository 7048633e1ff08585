"""Celery tasks of the tutor: thin adapters that load, call pure code, record, and return."""

from __future__ import annotations

from typing import Any

from celery import shared_task
from django.conf import settings

from chapters.models import Book
from tutor import actions, backends, indexing
from tutor.models import IndexBuild


@shared_task
def build_index(build_id: int) -> str:
    """Rebuild one book's index (queue `default`); returns the new version, or "" if unchanged."""
    build = IndexBuild.objects.select_related("book").get(pk=build_id)
    actions.do_start_build(build)
    try:
        index, total, embedded = indexing.rebuild(
            build.book, progress=indexing.Throttle(lambda done, n: actions.do_record_progress(build, done, n))
        )
    except Exception as exc:
        actions.do_fail_build(build, f"{type(exc).__name__}: {exc}")
        raise
    version = index.version if index is not None else ""
    actions.do_finish_build(build, version=version, total=total, embedded=embedded)
    return version


@shared_task
def semantic_search(book_id: int, query: str, k: int = 8) -> list[dict[str, Any]]:
    """The book's passages nearest in meaning to `query` (queue `default`), as plain dicts."""
    book = Book.objects.get(pk=book_id)
    index = backends.indexes().get(book.slug)
    vector = backends.embedder().encode([query])[0]
    return [
        {
            "section_id": hit.chunk.section_id,
            "anchor": hit.chunk.anchor,
            "heading": " › ".join(hit.chunk.heading_path[1:]),
            "text": hit.chunk.text,
            "score": round(hit.score, 4),
            "rank": hit.rank,
        }
        for hit in index.search(vector, query, k=k, mode="fused")
    ]


@shared_task(acks_late=True, reject_on_worker_lost=True)
def answer(answer_id: int) -> str:
    """Answer one student question (queue `gpu`): retrieve, generate while streaming, verify, record."""
    from tutor import events, pipeline
    from tutor.models import Answer

    record = Answer.objects.select_related("question__conversation__book", "question__section").get(pk=answer_id)
    if record.finished:
        return record.status  # delivered twice (acks_late after a crash): the first delivery won
    if record.attempts >= 2:
        actions.do_fail_answer(record, "The tutor failed twice on this question.")
        events.send(record, "failed", error="The tutor could not answer this question.")
        return "failed"
    actions.do_start_answer(record)
    question = record.question
    book = question.conversation.book
    stream = events.TokenStream(record)
    try:
        with backends.loading():  # once per process; a soft time limit that falls due meanwhile fires after
            from uq import scoring  # torch

            index = backends.indexes().get(book.slug)
            embedder = backends.embedder()
            generator = backends.generator()
            scorer = scoring.scorer_for(question.text, generator.name, embedder, index)
        result = pipeline.answer_question(
            question.text,
            retrieve=backends.retriever(embedder, index),
            generator=generator,
            scorer=scorer,
            history=history_of(question),
            section_id=question.section_id,
            reading=question.section.title if question.section else None,
            on_text=stream.push,
            max_new_tokens=settings.GENERATOR_MAX_NEW_TOKENS,
        )
        stream.flush()
    except Exception as exc:
        actions.do_fail_answer(record, f"{type(exc).__name__}: {exc}")
        events.send(record, "failed", error="The tutor could not answer this question.")
        raise
    record = actions.do_finish_answer(record, result, index_version=index.version)
    if result.score is not None:
        events.send(record, "scored", decision=record.decision, confidence=record.confidence)
    events.send(record, "done")
    actions.do_reap_stale_answers()  # answers whose worker died; after this one, off its path to the first token
    return record.status


@shared_task
def reap_stale_answers() -> int:
    """Fail answers no worker will finish (queue `default`, every REAPER_INTERVAL s from beat)."""
    return actions.do_reap_stale_answers()


def history_of(question: Any) -> list[Any]:
    """The conversation's earlier turns with finished answers, oldest first."""
    from tutor.types import Turn

    turns: list[Turn] = []
    earlier = question.conversation.questions.filter(created_at__lt=question.created_at).select_related("answer")
    for item in earlier:
        turns.append(Turn("student", item.text))
        if getattr(item, "answer", None) is not None and item.answer.status == "done":
            # A withheld answer stays withheld: the model is reminded only that it did not answer.
            text = "I was not sure and did not answer." if item.answer.withheld else item.answer.text
            turns.append(Turn("tutor", text))
    return turns
