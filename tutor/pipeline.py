"""One question, start to finish: retrieve → number passages → prompt → generate (streaming) → verify → score.

Pure: the standard library and numpy; the caller (``tutor.tasks.answer``) hands in the retriever, the
generator and, once one is trained, the confidence scorer, and stores the ``AnswerResult`` it gets back.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

import numpy as np

from tutor.generation import Generation
from tutor.prompting import NOT_COVERED, build_messages, passages_from_hits, verify_citations
from tutor.retrieval import Hit
from tutor.types import DECISIONS, AnswerResult, TextGenerator, Turn

__all__ = ["NO_PASSAGES", "Retrieve", "Scorer", "answer_question"]

Retrieve = Callable[[str, int | None], list[Hit]]  # (question, section id being read or None) -> hits, best first
Scorer = Callable[[AnswerResult], tuple[float, str] | None]  # (confidence, decision), or None: no model yet

NO_PASSAGES = "no_passages"  # Generation.stopped when retrieval found nothing and the model was not run


def answer_question(
    question: str,
    *,
    retrieve: Retrieve,
    generator: TextGenerator,
    history: Sequence[Turn] = (),
    section_id: int | None = None,
    reading: str | None = None,
    on_text: Callable[[str], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
    scorer: Scorer | None = None,
    k: int = 4,
    max_new_tokens: int = 256,
    temperature: float = 0.0,
    seed: int | None = None,
) -> AnswerResult:
    """Answer ``question`` from the book.

    ``retrieve(question, section_id)`` is timed (``retrieval_seconds``); its best ``k`` distinct hits become
    the numbered passages. The model's text streams through ``on_text`` as it is generated, and
    ``should_stop`` is polled by the generator to cancel. The answer keeps only the citation markers that name
    a passage. ``scorer`` then gives (confidence, decision); without one (or when it returns None) the
    decision is "unscored" and the confidence None. The answer text is never replaced here: for "abstain"
    the web side shows ``prompting.abstention_text(result.passages)``.

    When retrieval finds nothing the model is not called: the text is ``NOT_COVERED``, the decision
    "abstain", the confidence None, ``raw_text`` empty and ``on_text`` never called; the generation is empty
    (no tokens; arrays of shape [0] and [0, hidden_size]; zero times; ``stopped == NO_PASSAGES``).

    Raises ValueError when the question is empty once cleaned (``build_messages``) or the scorer returns a
    decision outside ``types.DECISIONS``.
    """
    started = time.perf_counter()
    hits = retrieve(question, section_id)
    retrieval_seconds = time.perf_counter() - started
    passages = passages_from_hits(hits, k=k)
    if not passages:
        return AnswerResult(
            text=NOT_COVERED,
            raw_text="",
            citations=[],
            passages=[],
            generation=_no_generation(generator),
            decision="abstain",
            confidence=None,
            retrieval_seconds=retrieval_seconds,
            removed_markers=[],
        )
    messages = build_messages(question, passages, history, reading=reading)
    generation = generator.generate(
        messages,
        max_new_tokens=max_new_tokens,
        temperature=temperature,
        seed=seed,
        on_text=on_text,
        should_stop=should_stop,
    )
    text, citations, removed = verify_citations(generation.text, passages)
    result = AnswerResult(
        text=text,
        raw_text=generation.text,
        citations=citations,
        passages=passages,
        generation=generation,
        decision="unscored",
        confidence=None,
        retrieval_seconds=retrieval_seconds,
        removed_markers=removed,
    )
    scored = scorer(result) if scorer is not None else None
    if scored is not None:
        confidence, decision = scored
        if decision not in DECISIONS or decision == "unscored":
            raise ValueError(f"The scorer decided {decision!r}; expected answer, flag or abstain")
        result.confidence = float(confidence)
        result.decision = decision
    return result


def _no_generation(generator: TextGenerator) -> Generation:
    return Generation(
        text="",
        token_ids=[],
        logprobs=np.zeros(0, dtype=np.float32),
        entropies=np.zeros(0, dtype=np.float32),
        hidden=np.zeros((0, generator.hidden_size), dtype=np.float32),
        prompt_tokens=0,
        time_to_first_token=0.0,
        total_time=0.0,
        tokens_per_second=0.0,
        model=generator.name,
        stopped=NO_PASSAGES,
    )
