"""What the confidence model reads of one answer, all from the pass that produced it. Pure: numpy and the grader.

Two blocks, kept apart because they are treated differently (``Reducer``):

- ``hidden`` float32 [2H]: the generator's last-layer hidden states over the answer tokens, mean-pooled, then
  the last token's. This is the Bayesian last layer's input once reduced by PCA.
- ``stats`` float32 [len(STAT_NAMES)]: token statistics (log-probs, entropy, self-certainty, length) and
  retrieval statistics (how well the passages match the question, how close the answer stays to them,
  whether it cites them, whether it declines).

The cosine similarities need embeddings of the question, the answer and the passages: the caller passes them
(the worker has the embedder loaded and the passages' vectors in the index), so nothing here runs a model.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from chapters.grading import says_not_covered
from tutor.types import AnswerResult

__all__ = ["STAT_NAMES", "Features", "Reducer", "extract", "stats_of"]

FloatArray = npt.NDArray[np.float32]

# Order matters: it is the layout of ``Features.stats`` and of every stored example.
STAT_NAMES = (
    "mean_logprob",  # mean log p(chosen token), nats
    "min_logprob",  # the least likely chosen token
    "mean_entropy",  # mean entropy of the next-token distribution, nats
    "self_certainty",  # mean KL(uniform ‖ p), nats: high when the distributions are peaked
    "log_length",  # log(1 + answer tokens)
    "top1_score",  # fused retrieval score of the best passage (after the reading boost)
    "top_margin",  # its lead over the second passage
    "question_match",  # max cosine between the question and the passages
    "answer_support",  # max cosine between the answer and the passages
    "cites",  # 1 if the answer keeps at least one verified citation
    "declines",  # 1 if the answer says the book does not cover the question
)


@dataclass(frozen=True)
class Features:
    hidden: FloatArray  # [2H]
    stats: FloatArray  # [len(STAT_NAMES)]

    def named_stats(self) -> dict[str, float]:
        return {name: float(value) for name, value in zip(STAT_NAMES, self.stats, strict=True)}

    def to_bytes(self) -> bytes:
        """stats then hidden, float32 little-endian: what ``uq.Example.features`` stores."""
        return np.concatenate([self.stats, self.hidden]).astype("<f4").tobytes()

    @classmethod
    def from_bytes(cls, data: bytes) -> Features:
        values = np.frombuffer(data, dtype="<f4").astype(np.float32)
        n = len(STAT_NAMES)
        if values.size < n or (values.size - n) % 2:
            raise ValueError(f"{values.size} stored values do not fit {n} stats and two pooled hidden states")
        return cls(hidden=values[n:].copy(), stats=values[:n].copy())


def _cosines(vector: FloatArray, rows: FloatArray) -> FloatArray:
    norms = np.linalg.norm(rows, axis=1) * (np.linalg.norm(vector) or 1.0)
    return np.asarray((rows @ vector) / np.where(norms > 0, norms, 1.0), dtype=np.float32)


def stats_of(
    result: AnswerResult, question_vector: npt.ArrayLike, answer_vector: npt.ArrayLike, passage_vectors: npt.ArrayLike
) -> FloatArray:
    """float32 [len(STAT_NAMES)] for one answer. The vectors are embeddings [d] of the question and of the
    answer text, and [k, d] of ``result.passages`` in order (k may be 0). An answer with no tokens gets zeros
    for its token statistics; one with no passages zeros for the retrieval ones."""
    generation = result.generation
    logprobs = np.asarray(generation.logprobs, dtype=np.float64)
    tokens = logprobs.size
    k = len(result.passages)
    # reshape(0, -1) cannot infer the width of an empty array: no passages → a [0, 0] block.
    passages = np.asarray(passage_vectors, dtype=np.float32).reshape(k, -1 if k else 0)
    scores = [passage.score for passage in result.passages]
    values = {
        "mean_logprob": logprobs.mean() if tokens else 0.0,
        "min_logprob": logprobs.min() if tokens else 0.0,
        "mean_entropy": float(np.mean(generation.entropies)) if tokens else 0.0,
        "self_certainty": float(np.mean(generation.certainties)) if tokens else 0.0,
        "log_length": math.log1p(tokens),
        "top1_score": scores[0] if scores else 0.0,
        "top_margin": scores[0] - scores[1] if len(scores) > 1 else (scores[0] if scores else 0.0),
        "question_match": 0.0,
        "answer_support": 0.0,
        "cites": 1.0 if result.citations else 0.0,
        "declines": 1.0 if says_not_covered(result.text) else 0.0,
    }
    if len(passages):
        values["question_match"] = float(_cosines(np.asarray(question_vector, np.float32).reshape(-1), passages).max())
        values["answer_support"] = float(_cosines(np.asarray(answer_vector, np.float32).reshape(-1), passages).max())
    return np.array([values[name] for name in STAT_NAMES], dtype=np.float32)


def pooled_hidden(hidden: npt.ArrayLike, hidden_size: int) -> FloatArray:
    """float32 [2H]: the mean over the answer tokens of the hidden states [T, H], then the last token's.
    Zeros for an answer with no tokens."""
    states = np.asarray(hidden, dtype=np.float32).reshape(-1, hidden_size)
    if not len(states):
        return np.zeros(2 * hidden_size, dtype=np.float32)
    return np.concatenate([states.mean(axis=0), states[-1]]).astype(np.float32)


def extract(
    result: AnswerResult, question_vector: npt.ArrayLike, answer_vector: npt.ArrayLike, passage_vectors: npt.ArrayLike
) -> Features:
    """The features of one answer (see the module docstring)."""
    hidden_size = int(np.asarray(result.generation.hidden).shape[-1])
    return Features(
        hidden=pooled_hidden(result.generation.hidden, hidden_size),
        stats=stats_of(result, question_vector, answer_vector, passage_vectors),
    )


@dataclass
class Reducer:
    """Features → the head's input: standardised stats next to the hidden block projected on its first
    ``components`` principal directions (fitted on training answers only) and standardised too.

    ``components = 0`` drops the hidden block (a head on the statistics alone)."""

    components: int = 16
    stats_mean: FloatArray | None = None
    stats_scale: FloatArray | None = None
    hidden_mean: FloatArray | None = None
    basis: FloatArray | None = None  # [components, 2H]
    projected_scale: FloatArray | None = None

    @property
    def fitted(self) -> bool:
        return self.stats_mean is not None

    @property
    def width(self) -> int:
        return len(STAT_NAMES) + (0 if self.basis is None else int(self.basis.shape[0]))

    def fit(self, features: list[Features]) -> Reducer:
        if len(features) < 2:
            raise ValueError("Fitting the feature reducer needs at least two answers")
        stats = np.stack([f.stats for f in features]).astype(np.float64)
        self.stats_mean = stats.mean(axis=0).astype(np.float32)
        self.stats_scale = _scale(stats.std(axis=0))
        if self.components > 0:
            hidden = np.stack([f.hidden for f in features]).astype(np.float64)
            self.hidden_mean = hidden.mean(axis=0).astype(np.float32)
            centred = hidden - self.hidden_mean
            # Right singular vectors = principal directions; the sign is fixed so a refit is reproducible.
            _, _, vt = np.linalg.svd(centred, full_matrices=False)
            basis = vt[: min(self.components, vt.shape[0])]
            signs = np.sign(basis[np.arange(len(basis)), np.abs(basis).argmax(axis=1)])
            self.basis = (basis * signs[:, None]).astype(np.float32)
            self.projected_scale = _scale((centred @ self.basis.T).std(axis=0))
        return self

    def transform(self, features: list[Features]) -> FloatArray:
        """float32 [N, width]."""
        if self.stats_mean is None or self.stats_scale is None:
            raise ValueError("The reducer is not fitted")
        stats = (np.stack([f.stats for f in features]) - self.stats_mean) / self.stats_scale
        blocks = [stats]
        if self.basis is not None and self.hidden_mean is not None and self.projected_scale is not None:
            hidden = np.stack([f.hidden for f in features]) - self.hidden_mean
            blocks.append((hidden @ self.basis.T) / self.projected_scale)
        return np.concatenate(blocks, axis=1).astype(np.float32)

    def state(self) -> dict[str, Any]:
        """Arrays and sizes to save next to a head (``numpy.savez``)."""
        arrays = {
            "stats_mean": self.stats_mean,
            "stats_scale": self.stats_scale,
            "hidden_mean": self.hidden_mean,
            "basis": self.basis,
            "projected_scale": self.projected_scale,
        }
        state: dict[str, Any] = {f"reducer.{k}": v for k, v in arrays.items() if v is not None}
        state["reducer.components"] = np.array(self.components)
        return state

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> Reducer:
        def get(name: str) -> FloatArray | None:
            value = state.get(f"reducer.{name}")
            return None if value is None else np.asarray(value, dtype=np.float32)

        return cls(
            components=int(state["reducer.components"]),
            stats_mean=get("stats_mean"),
            stats_scale=get("stats_scale"),
            hidden_mean=get("hidden_mean"),
            basis=get("basis"),
            projected_scale=get("projected_scale"),
        )


def _scale(std: npt.NDArray[np.float64]) -> FloatArray:
    # A constant column (e.g. "cites" when every training answer cites) must not divide by zero.
    return np.where(std > 1e-8, std, 1.0).astype(np.float32)
