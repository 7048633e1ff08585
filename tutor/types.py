"""The typed contract between the web side and the model side of the tutor. Pure: the standard library only.

The worker fills these dataclasses (``tutor.pipeline``) and the Django side stores and renders them; neither
side needs the other's imports. ``Generation`` is named only for type checking, so importing this module never
imports torch: the web process can use ``AnswerResult`` without the model stack.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal, Protocol

if TYPE_CHECKING:
    from tutor.generation import Generation

__all__ = ["DECISIONS", "AnswerResult", "BatchGenerator", "Citation", "Passage", "Score", "TextGenerator", "Turn"]

# What the tutor does with an answer: show it, show it with a warning (and queue it for review), replace it
# by the abstention message, or show it as it is because no confidence model has scored it yet.
DECISIONS = ("answer", "flag", "abstain", "unscored")


@dataclass(frozen=True)
class Passage:
    """One retrieved chunk as shown to the model, numbered as the model cites it."""

    number: int  # 1-based, as shown to the model: [1] … [k]
    chunk_id: str  # Chunk.id, "<section_id>-<ordinal>"
    section_id: int
    section_title: str
    chapter_title: str
    anchor: str  # the section's anchor: the web side links citations here
    text: str  # the chunk's Markdown, as the book has it (neutralised only when put into a prompt)
    score: float  # the retrieval score of the hit (see tutor.retrieval.Hit.score)


@dataclass(frozen=True)
class Turn:
    """One earlier message of the conversation."""

    role: Literal["student", "tutor"]
    text: str


@dataclass(frozen=True)
class Citation:
    """A passage the answer cites, with what the web side needs to link to its section."""

    number: int
    section_id: int
    section_title: str
    anchor: str


@dataclass(frozen=True)
class Score:
    """The confidence model's judgement of one answer (``uq`` makes it; the tutor stores and shows it)."""

    confidence: float  # P(correct)
    decision: str  # answer | flag | abstain
    words: str = ""  # what the student reads: "likely correct", "unsure — check the cited sections", ...
    reason: str = ""  # one short sentence, lowercase: shown after "Why: "
    epistemic: float | None = None
    head: str = ""  # version of the head that scored it
    features: bytes = b""  # uq.features.Features.to_bytes(): kept so a reviewer's verdict becomes a label


@dataclass
class AnswerResult:
    """Everything one question produced, for the web side to store, show and review."""

    text: str  # the answer with only VERIFIED citation markers
    raw_text: str  # exactly what the model produced
    citations: list[Citation]  # distinct, in order of first appearance
    passages: list[Passage]
    generation: Generation
    decision: str  # one of DECISIONS
    confidence: float | None  # P(correct) from the confidence model; None when unscored
    retrieval_seconds: float
    removed_markers: list[str]  # markers that referred to no passage (for logging/review)
    score: Score | None = None  # the confidence model's, when one scored the answer
    scoring_seconds: float = 0.0  # the scorer's call, 0 when unscored

    def stage_timings(self) -> dict[str, float | int]:
        """Seconds spent in each stage of the worker's pass, as the web side stores and shows them:
        retrieval, prefill (call to first text, i.e. the generator's own time to first token), the whole
        generation, and scoring; plus the token count and decode speed."""
        generation = self.generation
        return {
            "retrieval_s": round(self.retrieval_seconds, 4),
            "prefill_s": round(generation.time_to_first_token, 4),
            "generation_s": round(generation.total_time, 4),
            "scoring_s": round(self.scoring_seconds, 4),
            "prompt_tokens": generation.prompt_tokens,
            "tokens": len(generation.token_ids),
            "tokens_per_second": round(generation.tokens_per_second, 2),
        }


class TextGenerator(Protocol):
    """What the pipeline needs of a generator: ``tutor.generation.Generator`` and test fakes both fit."""

    name: str
    hidden_size: int

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
        """Chat ``messages`` → the generated text with per-token log-probs, entropies and hidden states."""
        ...


class BatchGenerator(Protocol):
    """What ``pipeline.answer_batch`` needs: several prompts decoded together, no streaming."""

    name: str
    hidden_size: int

    def generate_batch(
        self,
        batch: Sequence[list[dict[str, str]]],
        *,
        max_new_tokens: int = 256,
        temperature: float = 0.0,
        top_p: float = 1.0,
        seed: int | None = None,
        samples: int = 0,
        sample_temperature: float = 1.0,
        sample_max_new_tokens: int | None = None,
    ) -> list[Generation]:
        """``1 + samples`` generations per conversation of ``batch``, in order."""
        ...
