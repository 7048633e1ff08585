"""One question through the pure pipeline, with a scripted generator and a fake retriever. No database, no model."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from chapters.chunking import Chunk
from tutor.generation import Generation
from tutor.pipeline import NO_PASSAGES, answer_question
from tutor.prompting import NOT_COVERED, build_messages, passages_from_hits
from tutor.retrieval import Hit
from tutor.types import AnswerResult, Citation, Score, Turn

ANSWER = "Sample above twice the highest frequency [1]; a 7 kHz tone at 8 kHz folds to 1 kHz [2][9]."


class FakeGenerator:
    """Answers with a scripted text, streamed five characters at a time; remembers what it was asked."""

    name = "fake-lm"
    hidden_size = 8

    def __init__(self, answer: str = ANSWER) -> None:
        self.answer = answer
        self.calls: list[dict[str, Any]] = []

    def generate(
        self,
        messages: list[dict[str, str]],
        *,
        max_new_tokens: int = 256,
        temperature: float = 0.0,
        top_p: float = 1.0,
        seed: int | None = None,
        on_text: Callable[[str], None] | None = None,
        should_stop: Callable[[], bool] | None = None,
        repetition_penalty: float = 1.0,
    ) -> Generation:
        self.calls.append(
            {
                "messages": messages,
                "max_new_tokens": max_new_tokens,
                "temperature": temperature,
                "seed": seed,
                "should_stop": should_stop,
            }
        )
        text, stopped = "", "eos"
        for start in range(0, len(self.answer), 5):
            if should_stop is not None and should_stop():
                stopped = "cancelled"
                break
            piece = self.answer[start : start + 5]
            text += piece
            if on_text is not None:
                on_text(piece)
        tokens = len(text.split())
        return Generation(
            text=text,
            token_ids=list(range(tokens)),
            logprobs=np.full(tokens, -0.1, dtype=np.float32),
            entropies=np.full(tokens, 0.5, dtype=np.float32),
            certainties=np.full(tokens, 2.0, dtype=np.float32),
            hidden=np.zeros((tokens, self.hidden_size), dtype=np.float32),
            prompt_tokens=100,
            time_to_first_token=0.01,
            total_time=0.1,
            tokens_per_second=tokens / 0.1,
            model=self.name,
            stopped=stopped,
        )


def make_hit(section_id: int, title: str, text: str, rank: int) -> Hit:
    chunk = Chunk(
        book="dsp",
        chapter="sampling",
        section_id=section_id,
        section_slug=title.lower().replace(" ", "-"),
        section_title=title,
        anchor=f"sec-{section_id}",
        heading_path=("Sampling and aliasing", title),
        revision=1,
        ordinal=0,
        text=text,
    )
    return Hit(chunk=chunk, score=1.0 / rank, rank=rank, dense_rank=rank, bm25_rank=rank)


HITS = [
    make_hit(10, "The sampling theorem", "Sample at $f_s > 2B$.", 1),
    make_hit(11, "Aliasing", "A 7 kHz tone sampled at 8 kHz appears at 1 kHz.", 2),
    make_hit(12, "Quantisation", "Each bit adds about 6 dB.", 3),
]


class FakeRetriever:
    def __init__(self, hits: list[Hit], delay: float = 0.0) -> None:
        self.hits = hits
        self.delay = delay
        self.calls: list[tuple[str, int | None]] = []

    def __call__(self, question: str, section_id: int | None) -> list[Hit]:
        self.calls.append((question, section_id))
        time.sleep(self.delay)
        return list(self.hits)


def test_a_question_goes_through_retrieval_prompt_and_generation() -> None:
    retrieve, generator = FakeRetriever(HITS), FakeGenerator()
    history = [Turn("student", "What is sampling?"), Turn("tutor", "Taking values at regular times [1].")]
    pieces: list[str] = []

    result = answer_question(
        "Why does a 7 kHz tone alias?",
        retrieve=retrieve,
        generator=generator,
        history=history,
        section_id=11,
        reading="Aliasing",
        on_text=pieces.append,
    )

    assert retrieve.calls == [("Why does a 7 kHz tone alias?", 11)]
    assert [(p.number, p.section_id) for p in result.passages] == [(1, 10), (2, 11), (3, 12)]
    assert result.passages == passages_from_hits(HITS)
    [call] = generator.calls
    assert call["messages"] == build_messages(
        "Why does a 7 kHz tone alias?", result.passages, history, reading="Aliasing"
    )
    assert len(pieces) > 1 and "".join(pieces) == result.raw_text == ANSWER
    assert result.generation.model == "fake-lm"


def test_only_citations_of_real_passages_survive_and_name_their_sections() -> None:
    result = answer_question("Why alias?", retrieve=FakeRetriever(HITS), generator=FakeGenerator())

    assert result.text == "Sample above twice the highest frequency [1]; a 7 kHz tone at 8 kHz folds to 1 kHz [2]."
    assert result.citations == [
        Citation(number=1, section_id=10, section_title="The sampling theorem", anchor="sec-10"),
        Citation(number=2, section_id=11, section_title="Aliasing", anchor="sec-11"),
    ]
    assert result.removed_markers == ["[9]"]


def test_without_a_scorer_the_answer_is_unscored() -> None:
    result = answer_question("Why alias?", retrieve=FakeRetriever(HITS), generator=FakeGenerator())

    assert (result.decision, result.confidence) == ("unscored", None)


def test_a_scorer_that_has_no_model_yet_leaves_it_unscored() -> None:
    result = answer_question(
        "Why alias?", retrieve=FakeRetriever(HITS), generator=FakeGenerator(), scorer=lambda result: None
    )

    assert (result.decision, result.confidence) == ("unscored", None)


def test_the_scorers_confidence_and_decision_are_used() -> None:
    seen: list[AnswerResult] = []

    def scorer(result: AnswerResult) -> Score:
        seen.append(result)
        assert result.citations and result.generation.token_ids  # it scores the finished, verified answer
        return Score(0.42, "flag", reason="the answer strays from the book's passages")

    result = answer_question("Why alias?", retrieve=FakeRetriever(HITS), generator=FakeGenerator(), scorer=scorer)

    assert seen == [result]
    assert (result.decision, result.confidence) == ("flag", 0.42)
    assert result.score is not None and result.score.reason.startswith("the answer strays")
    assert result.text.endswith("[2].")  # a flagged answer is still shown, so its text stays


def test_each_stage_of_the_pass_is_timed() -> None:
    def slow_scorer(result: AnswerResult) -> Score:
        time.sleep(0.02)
        return Score(0.9, "answer")

    result = answer_question("Why alias?", retrieve=FakeRetriever(HITS), generator=FakeGenerator(), scorer=slow_scorer)
    stages = result.stage_timings()

    assert stages["scoring_s"] >= 0.02
    assert stages["prefill_s"] == round(result.generation.time_to_first_token, 4)
    assert stages["generation_s"] == round(result.generation.total_time, 4)
    assert stages["tokens"] == len(result.generation.token_ids) > 0
    unscored = answer_question("Why alias?", retrieve=FakeRetriever(HITS), generator=FakeGenerator())
    assert unscored.stage_timings()["scoring_s"] == 0.0


def test_a_scorer_with_an_unknown_decision_is_an_error() -> None:
    with pytest.raises(ValueError, match="maybe"):
        answer_question(
            "Why alias?",
            retrieve=FakeRetriever(HITS),
            generator=FakeGenerator(),
            scorer=lambda result: Score(0.5, "maybe"),
        )


def test_nothing_retrieved_abstains_without_calling_the_model() -> None:
    generator, pieces = FakeGenerator(), list[str]()

    result = answer_question(
        "What is a quaternion?", retrieve=FakeRetriever([]), generator=generator, on_text=pieces.append
    )

    assert generator.calls == [] and pieces == []
    assert (result.text, result.raw_text, result.decision, result.confidence) == (NOT_COVERED, "", "abstain", None)
    assert result.passages == [] and result.citations == [] and result.removed_markers == []
    generation = result.generation
    assert (generation.text, generation.token_ids, generation.prompt_tokens) == ("", [], 0)
    assert (generation.model, generation.stopped) == ("fake-lm", NO_PASSAGES)
    assert generation.logprobs.shape == (0,) and generation.entropies.shape == (0,)
    assert generation.hidden.shape == (0, 8)


def test_should_stop_reaches_the_generator() -> None:
    polls: list[int] = []

    def should_stop() -> bool:
        polls.append(1)
        return len(polls) > 3

    generator = FakeGenerator()
    result = answer_question("Why alias?", retrieve=FakeRetriever(HITS), generator=generator, should_stop=should_stop)

    assert generator.calls[0]["should_stop"] is should_stop
    assert result.raw_text == ANSWER[:15] and result.generation.stopped == "cancelled"


def test_generation_settings_and_k_are_passed_on() -> None:
    generator = FakeGenerator()

    result = answer_question(
        "Why alias?",
        retrieve=FakeRetriever(HITS),
        generator=generator,
        k=2,
        max_new_tokens=64,
        temperature=0.7,
        seed=3,
    )

    assert [p.number for p in result.passages] == [1, 2]
    call = generator.calls[0]
    assert (call["max_new_tokens"], call["temperature"], call["seed"]) == (64, 0.7, 3)


def test_retrieval_is_timed() -> None:
    result = answer_question("Why alias?", retrieve=FakeRetriever(HITS, delay=0.05), generator=FakeGenerator())

    assert 0.05 <= result.retrieval_seconds < 5
