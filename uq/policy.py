"""What the tutor does with one answer, given its confidence p = P(answer is correct): show it ("answer"), show it
with a low-confidence notice and queue it for review ("flag"), or withhold it ("abstain"). Pure: the standard
library only (plus ``uq.calibration``).

Besides the outcome, a verdict carries the words the student sees and one plain sentence saying why, picked from
the answer's signals (the confidence model's inputs) by how far each lies outside the range of correct training
answers.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from uq.calibration import Thresholds

__all__ = ["OUTCOMES", "REASONS", "SIGNAL_LABELS", "WORDS", "Reading", "Verdict", "decide", "describe", "readings"]

OUTCOMES = ("answer", "flag", "abstain")

# What the student sees next to the answer (or instead of it).
WORDS = {
    "answer": "likely correct",
    "flag": "unsure — check the cited sections",
    "abstain": "not answered",
}

# One sentence per known signal, shown after "Why: " (so they start lowercase). In this order ties are broken.
REASONS = {
    "top1_score": "the book's passages barely match this question",
    "answer_support": "the answer strays from the book's passages",
    "cites": "the answer cites no passage of the book",
    "mean_logprob": "the tutor hesitated over its wording",
    "self_certainty": "the tutor's word choices were unusually uncertain",
    "epistemic": "the confidence model has seen few questions like this",
}

GENERIC_REASONS = {
    "flag": "the confidence model rates this answer below its bar for showing it plainly",
    "abstain": "the confidence model rates this answer too likely to be wrong to show",
}

# Lower is better only for the confidence model's own uncertainty; every other signal is better when higher.
_HIGHER_IS_WORSE = frozenset({"epistemic"})

# An answer without a single citation is unusual enough to name, but anything clearly further off wins.
_NO_CITATION_SCORE = 1.5


@dataclass(frozen=True)
class Verdict:
    outcome: str  # one of OUTCOMES
    confidence: float
    words: str  # what the student sees, WORDS[outcome]
    reason: str  # one lowercase sentence, "" for "answer"


def _badness(name: str, value: float, reference: Mapping[str, tuple[float, float]]) -> float | None:
    """How far ``value`` lies on the bad side of the reference range, in units of that range; > 1 means unusual.

    Higher-is-better signals have reference (low, typical) = (10th percentile, median) of correct training answers
    and score (typical − value)/(typical − low), which passes 1 when value < low. "epistemic" has reference
    (typical, high) = (median, 90th percentile) and score (value − typical)/(high − typical). None when the signal
    cannot be judged (no reference, NaN, or a reference with no spread, which says nothing about how far off a
    value is).
    """
    if name == "cites":
        return _NO_CITATION_SCORE if value == 0 else None
    if name not in reference or math.isnan(value):
        return None
    first, second = reference[name]
    spread = second - first
    if not spread > 0:
        return None
    if name in _HIGHER_IS_WORSE:
        return (value - first) / spread  # (value − typical)/(high − typical)
    return (second - value) / spread  # (typical − value)/(typical − low)


def _reason(outcome: str, signals: Mapping[str, float] | None, reference: Mapping[str, tuple[float, float]]) -> str:
    worst_name, worst_score = "", 1.0
    for name in REASONS:  # the fixed order breaks ties
        if signals is None or name not in signals:
            continue
        score = _badness(name, float(signals[name]), reference)
        if score is not None and score > worst_score:
            worst_name, worst_score = name, score
    return REASONS[worst_name] if worst_name else GENERIC_REASONS[outcome]


def decide(
    confidence: float,
    thresholds: Thresholds,
    *,
    signals: Mapping[str, float] | None = None,
    reference: Mapping[str, tuple[float, float]] | None = None,
) -> Verdict:
    """Answer when p ≥ thresholds.flag, abstain when p < thresholds.abstain, flag in between.

    For "flag" and "abstain" the reason names the signal furthest outside its reference range (see ``_badness``),
    if any is beyond it, and otherwise says only that the confidence is low. Signals with unknown names are ignored.
    """
    p = float(confidence)
    if not 0.0 <= p <= 1.0:  # also rejects NaN
        raise ValueError(f"confidence must be a probability in [0, 1], got {confidence}")
    if p >= thresholds.flag:
        outcome = "answer"
    elif p < thresholds.abstain:
        outcome = "abstain"
    else:
        outcome = "flag"
    reason = "" if outcome == "answer" else _reason(outcome, signals, reference or {})
    return Verdict(outcome=outcome, confidence=p, words=WORDS[outcome], reason=reason)


def describe(verdict: Verdict) -> str:
    """One line for logs and the CLI, e.g.
    "flag (p=0.62): unsure — check the cited sections; the book's passages barely match this question"."""
    text = f"{verdict.outcome} (p={verdict.confidence:.2f}): {verdict.words}"
    return f"{text}; {verdict.reason}" if verdict.reason else text


# What each signal is, in the words of the review page.
SIGNAL_LABELS = {
    "top1_score": "retrieval score of the best passage",
    "question_match": "similarity of the question to the passages",
    "answer_support": "similarity of the answer to the passages",
    "cites": "cites a passage",
    "declines": "says the book does not cover it",
    "mean_logprob": "mean log-probability of its tokens",
    "min_logprob": "least likely token (log-probability)",
    "mean_entropy": "mean entropy of the next-token distribution",
    "self_certainty": "self-certainty of its tokens",
    "epistemic": "the confidence model's own uncertainty",
}


@dataclass(frozen=True)
class Reading:
    """One signal of an answer beside what correct training answers typically show."""

    name: str
    label: str
    value: float
    typical: float | None  # its median among correct training answers
    badness: float | None  # as in ``decide``'s reason: > 1 is outside the usual range of correct answers

    @property
    def unusual(self) -> bool:
        return self.badness is not None and self.badness > 1


def readings(signals: Mapping[str, float], reference: Mapping[str, tuple[float, float]]) -> list[Reading]:
    """The answer's known signals (``SIGNAL_LABELS``) for a reviewer: the ones furthest on the bad side of their
    reference range first, then the rest in the fixed order."""
    found = []
    for name, label in SIGNAL_LABELS.items():
        if name not in signals:
            continue
        value = float(signals[name])
        pair = reference.get(name)
        typical = None if pair is None else float(pair[0] if name in _HIGHER_IS_WORSE else pair[1])
        found.append(Reading(name, label, value, typical, _badness(name, value, reference)))
    order = {name: i for i, name in enumerate(SIGNAL_LABELS)}
    return sorted(found, key=lambda r: (-(r.badness if r.badness is not None else -math.inf), order[r.name]))
