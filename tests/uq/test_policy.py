"""Answer / flag / abstain for one answer, and the sentence that says why. No database: uq.policy is pure."""

from __future__ import annotations

import math

import pytest

from uq.calibration import Thresholds
from uq.policy import GENERIC_REASONS, OUTCOMES, REASONS, WORDS, Verdict, decide, describe

THRESHOLDS = Thresholds(flag=0.8, abstain=0.4, alpha=0.1, beta=0.05, delta=0.1, n_calibration=500)

# (low, typical) = (10th percentile, median) of correct training answers; epistemic: (typical, high).
REFERENCE = {
    "top1_score": (0.50, 0.70),
    "answer_support": (0.40, 0.60),
    "mean_logprob": (-1.20, -0.60),
    "self_certainty": (2.00, 4.00),
    "epistemic": (0.02, 0.06),
}

# Every signal at its typical value: nothing stands out.
TYPICAL = {
    "top1_score": 0.70,
    "answer_support": 0.60,
    "cites": 2.0,
    "mean_logprob": -0.60,
    "self_certainty": 4.0,
    "epistemic": 0.02,
}


def test_outcomes_at_the_boundaries() -> None:
    assert decide(0.8, THRESHOLDS).outcome == "answer"  # p == flag is shown plainly
    assert decide(math.nextafter(0.8, 0.0), THRESHOLDS).outcome == "flag"
    assert decide(0.4, THRESHOLDS).outcome == "flag"  # p == abstain is still shown
    assert decide(math.nextafter(0.4, 0.0), THRESHOLDS).outcome == "abstain"
    assert decide(0.0, THRESHOLDS).outcome == "abstain"
    assert decide(1.0, THRESHOLDS).outcome == "answer"
    assert OUTCOMES == ("answer", "flag", "abstain")


def test_words_per_outcome() -> None:
    assert decide(0.9, THRESHOLDS).words == "likely correct"
    assert decide(0.6, THRESHOLDS).words == "unsure — check the cited sections"
    assert decide(0.1, THRESHOLDS).words == "not answered"
    assert set(WORDS) == set(OUTCOMES)


def test_flag_everything_threshold_never_answers() -> None:
    everything_flagged = Thresholds(
        flag=math.nextafter(1.0, 2.0), abstain=0.0, alpha=0.1, beta=0.05, delta=0.1, n_calibration=30
    )
    assert decide(1.0, everything_flagged).outcome == "flag"


def test_answer_has_no_reason_even_with_bad_signals() -> None:
    verdict = decide(0.95, THRESHOLDS, signals={**TYPICAL, "top1_score": 0.0, "cites": 0.0}, reference=REFERENCE)
    assert verdict == Verdict(outcome="answer", confidence=0.95, words="likely correct", reason="")


def test_reason_picks_the_worst_signal() -> None:
    # top1_score is 3 ranges below typical (score 3); answer_support only just below its low (score 1.25).
    signals = {**TYPICAL, "top1_score": 0.10, "answer_support": 0.35}
    verdict = decide(0.6, THRESHOLDS, signals=signals, reference=REFERENCE)
    assert verdict.reason == "the book's passages barely match this question"
    # With top1_score typical again, answer_support is the worst that is out of range.
    verdict = decide(0.6, THRESHOLDS, signals={**signals, "top1_score": 0.7}, reference=REFERENCE)
    assert verdict.reason == "the answer strays from the book's passages"


def test_a_value_inside_the_reference_range_is_not_a_reason() -> None:
    # Below typical but above the 10th percentile (score 0.5): ordinary for a correct answer.
    verdict = decide(0.6, THRESHOLDS, signals={**TYPICAL, "top1_score": 0.6}, reference=REFERENCE)
    assert verdict.reason == GENERIC_REASONS["flag"]
    verdict = decide(0.1, THRESHOLDS, signals=TYPICAL, reference=REFERENCE)
    assert verdict.reason == "the confidence model rates this answer too likely to be wrong to show"


def test_no_citation_is_named_unless_something_is_worse() -> None:
    signals = {**TYPICAL, "cites": 0.0}
    assert (
        decide(0.6, THRESHOLDS, signals=signals, reference=REFERENCE).reason
        == "the answer cites no passage of the book"
    )
    # cites needs no reference entry.
    assert decide(0.6, THRESHOLDS, signals={"cites": 0.0}).reason == REASONS["cites"]
    # mean_logprob two ranges below typical (score 2) beats the missing citation (1.5).
    worse = {**signals, "mean_logprob": -1.80}
    assert decide(0.6, THRESHOLDS, signals=worse, reference=REFERENCE).reason == "the tutor hesitated over its wording"
    # One citation is fine.
    assert (
        decide(0.6, THRESHOLDS, signals={**TYPICAL, "cites": 1.0}, reference=REFERENCE).reason
        == GENERIC_REASONS["flag"]
    )


def test_epistemic_is_worse_when_higher() -> None:
    # Reference (typical, high) = (0.02, 0.06): 0.14 is 3 ranges above typical.
    high = decide(0.2, THRESHOLDS, signals={**TYPICAL, "epistemic": 0.14, "cites": 0.0}, reference=REFERENCE)
    assert high.outcome == "abstain"
    assert high.reason == "the confidence model has seen few questions like this"
    # A LOW epistemic value is good news, not a reason.
    low = decide(0.6, THRESHOLDS, signals={**TYPICAL, "epistemic": 0.0}, reference=REFERENCE)
    assert low.reason == GENERIC_REASONS["flag"]


def test_self_certainty_and_unknown_or_unusable_signals() -> None:
    signals = {**TYPICAL, "self_certainty": 0.5, "made_up": -100.0, "answer_support": math.nan}
    verdict = decide(0.6, THRESHOLDS, signals=signals, reference=REFERENCE)
    assert verdict.reason == "the tutor's word choices were unusually uncertain"
    # Without a reference, only the citation count can be judged.
    assert decide(0.6, THRESHOLDS, signals={"top1_score": 0.0}).reason == GENERIC_REASONS["flag"]


def test_reasons_start_lowercase() -> None:
    for sentence in [*REASONS.values(), *GENERIC_REASONS.values()]:
        assert sentence[0].islower() and not sentence.endswith(".")


@pytest.mark.parametrize("bad", [math.nan, -0.01, 1.01, math.inf])
def test_confidence_must_be_a_probability(bad: float) -> None:
    with pytest.raises(ValueError, match="confidence"):
        decide(bad, THRESHOLDS)


def test_describe() -> None:
    verdict = decide(0.62, THRESHOLDS, signals={**TYPICAL, "top1_score": 0.1}, reference=REFERENCE)
    assert (
        describe(verdict)
        == "flag (p=0.62): unsure — check the cited sections; the book's passages barely match this question"
    )
    assert describe(decide(0.9, THRESHOLDS)) == "answer (p=0.90): likely correct"
