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
from tutor.types import DECISIONS, AnswerResult, BatchGenerator, Passage, Score, TextGenerator, Turn

__all__ = ["NO_PASSAGES", "Retrieve", "Scorer", "answer_batch", "answer_question"]

Retrieve = Callable[[str, int | None], list[Hit]]  # (question, section id being read or None) -> hits, best first
Scorer = Callable[[AnswerResult], Score | None]  # None: no confidence model for this generator yet

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

    ``retrieve(question, section_id)`` is timed (``retrieval_seconds``, and the scorer ``scoring_seconds``); its best ``k`` distinct hits become
    the numbered passages. The model's text streams through ``on_text`` as it is generated, and
    ``should_stop`` is polled by the generator to cancel. The answer keeps only the citation markers that name
    a passage. ``scorer`` then gives a ``Score`` (confidence, decision, reason...); without one (or when it returns
    None) the decision is "unscored" and the confidence None. The answer text is never replaced here: for "abstain"
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
        return _not_covered(generator, retrieval_seconds)
    messages = build_messages(question, passages, history, reading=reading)
    generation = generator.generate(
        messages,
        max_new_tokens=max_new_tokens,
        temperature=temperature,
        seed=seed,
        on_text=on_text,
        should_stop=should_stop,
    )
    result = _result(generation, passages, retrieval_seconds)
    started = time.perf_counter()
    score = scorer(result) if scorer is not None else None
    result.scoring_seconds = time.perf_counter() - started if score is not None else 0.0
    if score is not None:
        if score.decision not in DECISIONS or score.decision == "unscored":
            raise ValueError(f"The scorer decided {score.decision!r}; expected answer, flag or abstain")
        result.confidence = float(score.confidence)
        result.decision = score.decision
        result.score = score
    return result


def answer_batch(
    questions: Sequence[str],
    *,
    retrieve: Retrieve,
    generator: BatchGenerator,
    k: int = 4,
    max_new_tokens: int = 256,
    temperature: float = 0.0,
    seed: int | None = None,
    samples: int = 0,
    sample_temperature: float = 1.0,
    sample_max_new_tokens: int | None = None,
) -> list[list[AnswerResult]]:
    """``answer_question`` for many questions at once, unscored and unstreamed, asked with no section and no
    history: the confidence model's training data. Retrieval and prompts are the same as one question's;
    the generator decodes the batch together (``Generator.generate_batch``).

    Each question gets a list: the answer decoded with ``temperature``, then ``samples`` answers sampled at
    ``sample_temperature`` from the same prompt. Questions retrieval finds nothing for get the "not covered"
    result of ``answer_question`` (once, without calling the model)."""
    prepared = []
    for question in questions:
        started = time.perf_counter()
        passages = passages_from_hits(retrieve(question, None), k=k)
        prepared.append((passages, time.perf_counter() - started))
    asked = [(i, build_messages(q, prepared[i][0], ())) for i, q in enumerate(questions) if prepared[i][0]]
    generations = generator.generate_batch(
        [messages for _, messages in asked],
        max_new_tokens=max_new_tokens,
        temperature=temperature,
        seed=seed,
        samples=samples,
        sample_temperature=sample_temperature,
        sample_max_new_tokens=sample_max_new_tokens,
    )
    copies = 1 + samples
    by_index = {i: generations[n * copies : (n + 1) * copies] for n, (i, _) in enumerate(asked)}
    results = []
    for i, (passages, seconds) in enumerate(prepared):
        if i not in by_index:
            results.append([_not_covered(generator, seconds)])
        else:
            results.append([_result(generation, passages, seconds) for generation in by_index[i]])
    return results


def _result(generation: Generation, passages: list[Passage], retrieval_seconds: float) -> AnswerResult:
    text, citations, removed = verify_citations(generation.text, passages)
    return AnswerResult(
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


def _not_covered(generator: TextGenerator | BatchGenerator, retrieval_seconds: float) -> AnswerResult:
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


def _no_generation(generator: TextGenerator | BatchGenerator) -> Generation:
    return Generation(
        text="",
        token_ids=[],
        logprobs=np.zeros(0, dtype=np.float32),
        entropies=np.zeros(0, dtype=np.float32),
        certainties=np.zeros(0, dtype=np.float32),
        hidden=np.zeros((0, generator.hidden_size), dtype=np.float32),
        prompt_tokens=0,
        time_to_first_token=0.0,
        total_time=0.0,
        tokens_per_second=0.0,
        model=generator.name,
        stopped=NO_PASSAGES,
    )
