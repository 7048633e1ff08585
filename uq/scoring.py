"""Scoring a student's answer in the worker: the active head of this generator, its thresholds, the policy.

Loaded heads are cached by version, so a worker reads the weights once and picks up a newly activated head
(or thresholds moved by reviewer verdicts) at its next answer.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from tutor.types import AnswerResult, Score
from uq import head as heads
from uq import policy
from uq.calibration import Thresholds
from uq.collect import Scorable
from uq.models import Head


@lru_cache(maxsize=4)
def _loaded(version: str, blob: bytes) -> heads.Head:
    return heads.load(blob)


def active_head(generator: str) -> Head | None:
    return Head.objects.filter(generator=generator, active=True).first()


def thresholds_of(record: Head) -> Thresholds:
    """The calibrated thresholds with the flag threshold as reviewer verdicts have moved it."""
    base = Thresholds.from_dict(record.thresholds)
    flag = float(record.online.get("flag", base.flag)) if record.online else base.flag
    return Thresholds(
        flag=flag,
        abstain=min(base.abstain, flag),
        alpha=base.alpha,
        beta=base.beta,
        delta=base.delta,
        n_calibration=base.n_calibration,
    )


def score(record: Head, question: str, result: AnswerResult, scorable: Scorable) -> Score:
    features = scorable.features(question, result)
    model = _loaded(record.version, bytes(record.blob))
    prediction = model.predict([features])
    p, epistemic = float(prediction.p_correct[0]), float(prediction.epistemic[0])
    signals = {**features.named_stats(), "epistemic": epistemic}
    if signals["declines"]:
        del signals["cites"]  # an answer that says the book does not cover it has nothing to cite
    reference = {name: (float(pair[0]), float(pair[1])) for name, pair in record.reference.items()}
    verdict = policy.decide(p, thresholds_of(record), signals=signals, reference=reference)
    return Score(
        confidence=p,
        decision=verdict.outcome,
        words=verdict.words,
        reason=verdict.reason,
        epistemic=epistemic,
        head=record.version,
        features=features.to_bytes(),
    )


def scorer_for(question: str, generator: str, embedder: Any, index: Any) -> Any:
    """A ``pipeline.Scorer`` for one question, or None when this generator has no active head."""
    record = active_head(generator)
    if record is None:
        return None
    _loaded(record.version, bytes(record.blob))  # now, with the models, not halfway through the answer
    scorable = Scorable(embedder, index)
    return lambda result: score(record, question, result, scorable)
