"""uq.features on hand-built answers and seeded synthetic features. Pure: no database, no model."""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt
import pytest

from tutor.generation import Generation
from tutor.types import AnswerResult, Citation, Passage
from uq.features import STAT_NAMES, Features, Reducer, extract, pooled_hidden, stats_of

HIDDEN_SIZE = 4


def passage(number: int, score: float) -> Passage:
    return Passage(
        number=number,
        chunk_id=f"7-{number}",
        section_id=7,
        section_title="Sampling",
        chapter_title="Signals",
        anchor="sampling",
        text="A signal with no energy above B Hz is fixed by samples taken faster than 2B.",
        score=score,
    )


def generation(
    logprobs: list[float], entropies: list[float], certainties: list[float], hidden: npt.ArrayLike | None = None
) -> Generation:
    tokens = len(logprobs)
    return Generation(
        text="",
        token_ids=list(range(tokens)),
        logprobs=np.array(logprobs, dtype=np.float32),
        entropies=np.array(entropies, dtype=np.float32),
        certainties=np.array(certainties, dtype=np.float32),
        hidden=np.zeros((tokens, HIDDEN_SIZE), np.float32) if hidden is None else np.asarray(hidden, np.float32),
        prompt_tokens=100,
        time_to_first_token=0.01,
        total_time=0.1,
        tokens_per_second=10.0,
        model="fake",
        stopped="eos",
    )


def answer(
    text: str, passages: list[Passage], gen: Generation, citations: list[Citation] | None = None
) -> AnswerResult:
    return AnswerResult(
        text=text,
        raw_text=text,
        citations=citations or [],
        passages=passages,
        generation=gen,
        decision="unscored",
        confidence=None,
        retrieval_seconds=0.01,
        removed_markers=[],
    )


CITATION = Citation(number=1, section_id=7, section_title="Sampling", anchor="sampling")
QUESTION = np.array([1.0, 0.0, 0.0])
ANSWER = np.array([0.0, 0.0, 3.0])
# Cosines with the question: 1/√2, 0, 0; with the answer: 0, 0, 1.
PASSAGE_VECTORS = np.array([[1.0, 1.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 2.0]])


def cited_answer() -> AnswerResult:
    gen = generation(logprobs=[-0.5, -2.0, -0.5], entropies=[1.0, 2.0, 3.0], certainties=[4.0, 5.0, 6.0])
    return answer(
        "Sample faster than twice the bandwidth [1].",
        [passage(1, 0.9), passage(2, 0.6), passage(3, 0.5)],
        gen,
        citations=[CITATION],
    )


def synthetic_features(rng: np.random.Generator, n: int, hidden_width: int = 2 * HIDDEN_SIZE) -> list[Features]:
    stats = rng.normal(size=(n, len(STAT_NAMES))) * rng.uniform(0.1, 10.0, len(STAT_NAMES)) + rng.normal(
        size=len(STAT_NAMES)
    )
    hidden = rng.normal(size=(n, hidden_width))
    return [
        Features(hidden=h.astype(np.float32), stats=s.astype(np.float32)) for h, s in zip(hidden, stats, strict=True)
    ]


# --- stats_of -------------------------------------------------------------------------------------------------------


def test_token_statistics_are_the_means_minimum_and_log_length_of_the_generation() -> None:
    named = dict(zip(STAT_NAMES, stats_of(cited_answer(), QUESTION, ANSWER, PASSAGE_VECTORS), strict=True))

    assert named["mean_logprob"] == pytest.approx(-1.0)
    assert named["min_logprob"] == pytest.approx(-2.0)
    assert named["mean_entropy"] == pytest.approx(2.0)
    assert named["self_certainty"] == pytest.approx(5.0)
    assert named["log_length"] == pytest.approx(math.log1p(3))


def test_retrieval_statistics_are_the_top_score_its_margin_and_the_best_cosines() -> None:
    named = dict(zip(STAT_NAMES, stats_of(cited_answer(), QUESTION, ANSWER, PASSAGE_VECTORS), strict=True))

    assert named["top1_score"] == pytest.approx(0.9)
    assert named["top_margin"] == pytest.approx(0.3)
    assert named["question_match"] == pytest.approx(1 / math.sqrt(2))
    assert named["answer_support"] == pytest.approx(1.0)


def test_an_answer_that_keeps_a_citation_cites_and_does_not_decline() -> None:
    named = dict(zip(STAT_NAMES, stats_of(cited_answer(), QUESTION, ANSWER, PASSAGE_VECTORS), strict=True))

    assert (named["cites"], named["declines"]) == (1.0, 0.0)


def test_an_answer_saying_the_book_does_not_cover_it_declines_and_does_not_cite() -> None:
    declining = answer(
        "The book does not cover this.", [passage(1, 0.4)], generation([-0.1, -0.2], [0.5, 0.5], [1.0, 1.0])
    )

    named = dict(zip(STAT_NAMES, stats_of(declining, QUESTION, ANSWER, PASSAGE_VECTORS[:1]), strict=True))

    assert (named["cites"], named["declines"]) == (0.0, 1.0)


def test_a_single_passage_leads_by_its_whole_score() -> None:
    single = answer("Twice the bandwidth.", [passage(1, 0.4)], generation([-0.1], [0.5], [1.0]))

    named = dict(zip(STAT_NAMES, stats_of(single, QUESTION, ANSWER, PASSAGE_VECTORS[:1]), strict=True))

    assert named["top_margin"] == pytest.approx(0.4)


def test_stats_are_float32_in_the_order_of_stat_names() -> None:
    stats = stats_of(cited_answer(), QUESTION, ANSWER, PASSAGE_VECTORS)

    assert stats.dtype == np.float32 and stats.shape == (len(STAT_NAMES),)
    assert stats[STAT_NAMES.index("top1_score")] == pytest.approx(0.9)


def test_an_answer_with_no_tokens_and_no_passages_gets_zeros() -> None:
    empty = answer("", [], generation([], [], []))

    stats = stats_of(empty, QUESTION, ANSWER, np.zeros((0, 3), np.float32))

    np.testing.assert_array_equal(stats, np.zeros(len(STAT_NAMES), np.float32))


def test_an_empty_list_of_passage_vectors_also_means_no_passages() -> None:
    empty = answer("", [], generation([], [], []))

    stats = stats_of(empty, QUESTION, ANSWER, [])

    assert np.all(np.isfinite(stats)) and not stats.any()


def test_extract_of_an_empty_answer_with_no_passages_is_all_zeros() -> None:
    empty = answer("", [], generation([], [], []))

    features = extract(empty, QUESTION, ANSWER, np.zeros((0, 3), np.float32))

    np.testing.assert_array_equal(features.hidden, np.zeros(2 * HIDDEN_SIZE, np.float32))
    np.testing.assert_array_equal(features.stats, np.zeros(len(STAT_NAMES), np.float32))


def test_zero_vectors_give_zero_cosines_not_nan() -> None:
    result = answer("Twice the bandwidth.", [passage(1, 0.4)], generation([-0.1], [0.5], [1.0]))

    named = dict(zip(STAT_NAMES, stats_of(result, np.zeros(3), np.zeros(3), np.zeros((1, 3))), strict=True))

    assert (named["question_match"], named["answer_support"]) == (0.0, 0.0)


# --- pooled_hidden and extract --------------------------------------------------------------------------------------


def test_pooled_hidden_is_the_mean_then_the_last_token_state() -> None:
    hidden = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 9.0]], np.float32)

    np.testing.assert_array_equal(pooled_hidden(hidden, 2), np.array([3.0, 5.0, 5.0, 9.0], np.float32))


def test_pooled_hidden_of_no_tokens_is_zeros_of_twice_the_hidden_size() -> None:
    pooled = pooled_hidden(np.zeros((0, 5), np.float32), 5)

    assert pooled.dtype == np.float32
    np.testing.assert_array_equal(pooled, np.zeros(10, np.float32))


def test_extract_pools_the_generation_hidden_states_next_to_the_stats() -> None:
    rng = np.random.default_rng(0)
    hidden = rng.normal(size=(3, HIDDEN_SIZE)).astype(np.float32)
    result = cited_answer()
    result.generation.hidden = hidden

    features = extract(result, QUESTION, ANSWER, PASSAGE_VECTORS)

    np.testing.assert_array_equal(features.hidden, pooled_hidden(hidden, HIDDEN_SIZE))
    np.testing.assert_array_equal(features.stats, stats_of(result, QUESTION, ANSWER, PASSAGE_VECTORS))
    assert features.named_stats()["top1_score"] == pytest.approx(0.9)


# --- bytes ----------------------------------------------------------------------------------------------------------


def test_features_survive_bytes_exactly() -> None:
    rng = np.random.default_rng(1)
    original = synthetic_features(rng, 1, hidden_width=2 * 576)[0]

    restored = Features.from_bytes(original.to_bytes())

    assert restored.hidden.dtype == np.float32 and restored.stats.dtype == np.float32
    np.testing.assert_array_equal(restored.hidden, original.hidden)
    np.testing.assert_array_equal(restored.stats, original.stats)


def test_bytes_are_stats_then_hidden_as_little_endian_float32() -> None:
    features = Features(hidden=np.array([7.0, 8.0], np.float32), stats=np.arange(len(STAT_NAMES), dtype=np.float32))

    values = np.frombuffer(features.to_bytes(), dtype="<f4")

    np.testing.assert_array_equal(values, [*range(len(STAT_NAMES)), 7.0, 8.0])


@pytest.mark.parametrize(
    "values",
    [len(STAT_NAMES) - 1, len(STAT_NAMES) + 1, len(STAT_NAMES) + 3],
    ids=["fewer than the stats", "one hidden value", "odd hidden values"],
)
def test_from_bytes_rejects_a_length_that_does_not_fit(values: int) -> None:
    with pytest.raises(ValueError, match="do not fit"):
        Features.from_bytes(np.zeros(values, "<f4").tobytes())


def test_from_bytes_rejects_a_partial_float() -> None:
    with pytest.raises(ValueError, match="multiple of element size"):
        Features.from_bytes(np.zeros(len(STAT_NAMES) + 2, "<f4").tobytes() + b"\x00")


# --- Reducer --------------------------------------------------------------------------------------------------------


def test_transform_is_the_stats_then_the_components() -> None:
    features = synthetic_features(np.random.default_rng(2), 50)

    x = Reducer(components=3).fit(features).transform(features)

    assert x.shape == (50, len(STAT_NAMES) + 3) and x.dtype == np.float32
    assert Reducer(components=3).fit(features).width == len(STAT_NAMES) + 3


def test_training_stats_are_standardised() -> None:
    features = synthetic_features(np.random.default_rng(3), 200)

    stats = Reducer(components=2).fit(features).transform(features)[:, : len(STAT_NAMES)]

    np.testing.assert_allclose(stats.mean(axis=0), 0.0, atol=1e-5)
    np.testing.assert_allclose(stats.std(axis=0), 1.0, rtol=1e-4)


def test_a_constant_stat_stays_finite_and_centred() -> None:
    features = synthetic_features(np.random.default_rng(4), 100)
    cites = STAT_NAMES.index("cites")
    for f in features:
        f.stats[cites] = 1.0
    reducer = Reducer(components=2).fit(features)

    x = reducer.transform(features)

    assert np.all(np.isfinite(x))
    np.testing.assert_array_equal(x[:, cites], 0.0)
    assert reducer.stats_scale is not None and reducer.stats_scale[cites] == 1.0


def test_the_projected_hidden_block_is_standardised_too() -> None:
    features = synthetic_features(np.random.default_rng(5), 300)

    projected = Reducer(components=4).fit(features).transform(features)[:, len(STAT_NAMES) :]

    np.testing.assert_allclose(projected.mean(axis=0), 0.0, atol=1e-5)
    np.testing.assert_allclose(projected.std(axis=0), 1.0, rtol=1e-4)


def test_fitting_twice_gives_the_same_basis() -> None:
    features = synthetic_features(np.random.default_rng(6), 100)

    first, second = Reducer(components=5).fit(features), Reducer(components=5).fit(features)

    assert first.basis is not None and second.basis is not None
    np.testing.assert_array_equal(first.basis, second.basis)
    np.testing.assert_array_equal(first.transform(features), second.transform(features))


def test_the_first_component_is_a_planted_high_variance_direction() -> None:
    rng = np.random.default_rng(7)
    width = 2 * 16
    direction = rng.normal(size=width)
    direction /= np.linalg.norm(direction)
    hidden = rng.normal(size=(500, width)) * 0.1 + rng.normal(size=(500, 1)) * 5.0 * direction
    stats = rng.normal(size=(500, len(STAT_NAMES)))
    features = [
        Features(hidden=h.astype(np.float32), stats=s.astype(np.float32)) for h, s in zip(hidden, stats, strict=True)
    ]

    reducer = Reducer(components=3).fit(features)

    assert reducer.basis is not None
    assert abs(float(reducer.basis[0] @ direction)) > 0.99


def test_basis_rows_are_orthonormal() -> None:
    reducer = Reducer(components=4).fit(synthetic_features(np.random.default_rng(8), 100))

    assert reducer.basis is not None
    np.testing.assert_allclose(reducer.basis @ reducer.basis.T, np.eye(4), atol=1e-5)


def test_a_reducer_restored_from_its_state_transforms_identically() -> None:
    features = synthetic_features(np.random.default_rng(9), 80)
    reducer = Reducer(components=4).fit(features)

    restored = Reducer.from_state(reducer.state())

    assert restored.components == 4 and restored.width == reducer.width
    np.testing.assert_array_equal(restored.transform(features), reducer.transform(features))


def test_a_stats_only_reducer_restored_from_its_state_transforms_identically() -> None:
    features = synthetic_features(np.random.default_rng(10), 80)
    reducer = Reducer(components=0).fit(features)

    restored = Reducer.from_state(reducer.state())

    assert restored.basis is None
    np.testing.assert_array_equal(restored.transform(features), reducer.transform(features))


def test_zero_components_drop_the_hidden_block() -> None:
    features = synthetic_features(np.random.default_rng(11), 30)
    reducer = Reducer(components=0).fit(features)

    x = reducer.transform(features)

    assert reducer.width == len(STAT_NAMES) and x.shape == (30, len(STAT_NAMES))
    assert reducer.basis is None and reducer.hidden_mean is None


def test_fitting_on_fewer_than_two_answers_fails() -> None:
    features = synthetic_features(np.random.default_rng(12), 1)

    with pytest.raises(ValueError, match="at least two"):
        Reducer().fit(features)


def test_transforming_before_fitting_fails() -> None:
    reducer = Reducer()

    assert not reducer.fitted
    with pytest.raises(ValueError, match="not fitted"):
        reducer.transform(synthetic_features(np.random.default_rng(13), 2))
