"""uq.head on seeded synthetic features: ranking, determinism, saving, calibration, epistemic scores and refits.
Pure: no database, no model.

Training is full-batch on the CPU, so the sizes and epochs are the smallest that show each behaviour clearly.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import numpy.typing as npt
import pytest
import torch

from uq.features import STAT_NAMES, Features
from uq.head import KINDS, Head, fit, load, refit
from uq.metrics import auroc, ece

HIDDEN_WIDTH = 8  # 2H: four hidden units, mean-pooled and last
EPOCHS = 300


@pytest.fixture(scope="module", autouse=True)
def _one_torch_thread() -> Iterator[None]:
    # These problems are tiny: a second torch thread only adds overhead, and collapses when another process
    # keeps a core busy (tutor.generation notes the same for decoding).
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def as_features(stats: npt.ArrayLike, hidden: npt.ArrayLike) -> list[Features]:
    stats, hidden = np.asarray(stats, np.float32), np.asarray(hidden, np.float32)
    return [Features(hidden=h.copy(), stats=s.copy()) for h, s in zip(hidden, stats, strict=True)]


def separable(rng: np.random.Generator, n: int, shift: float = 4.0) -> tuple[list[Features], npt.NDArray[np.bool_]]:
    """Correct answers sit ``shift`` standard deviations higher in two stats and two hidden dimensions."""
    correct = rng.random(n) < 0.5
    stats = rng.normal(size=(n, len(STAT_NAMES)))
    hidden = rng.normal(size=(n, HIDDEN_WIDTH))
    stats[:, :2] += shift * correct[:, None]
    hidden[:, :2] += shift * correct[:, None]
    return as_features(stats, hidden), correct


def logistic_in_z(
    rng: np.random.Generator, n: int, slope: float
) -> tuple[list[Features], npt.NDArray[np.bool_], npt.NDArray[np.float64]]:
    """stats[0] = z ~ N(0, 1.5²) and P(correct) = sigmoid(slope · z); every other feature is noise."""
    z = rng.normal(size=n) * 1.5
    correct = rng.random(n) < 1 / (1 + np.exp(-slope * z))
    stats = rng.normal(size=(n, len(STAT_NAMES)))
    stats[:, 0] = z
    return as_features(stats, rng.normal(size=(n, HIDDEN_WIDTH))), correct, z


@pytest.fixture(scope="module")
def separable_data() -> tuple[list[Features], npt.NDArray[np.bool_], list[Features], npt.NDArray[np.bool_]]:
    rng = np.random.default_rng(0)
    train, train_correct = separable(rng, 400)
    test, test_correct = separable(rng, 400)
    return train, train_correct, test, test_correct


@pytest.fixture(scope="module")
def heads(
    separable_data: tuple[list[Features], npt.NDArray[np.bool_], list[Features], npt.NDArray[np.bool_]],
) -> dict[str, Head]:
    train, train_correct, _, _ = separable_data
    return {kind: fit(kind, train, train_correct, epochs=EPOCHS) for kind in KINDS}


@pytest.fixture(scope="module")
def calibration_data() -> tuple[Head, list[Features], npt.NDArray[np.bool_], npt.NDArray[np.float64]]:
    """A vbll-disc head trained on 1500 answers of ``logistic_in_z(slope=1)`` and 4000 more to test it on."""
    rng = np.random.default_rng(1)
    train, train_correct, _ = logistic_in_z(rng, 1500, slope=1.0)
    test, test_correct, z = logistic_in_z(rng, 4000, slope=1.0)
    head = fit("vbll-disc", train, train_correct, components=2, epochs=EPOCHS)
    return head, test, test_correct, z


# --- ranking and range ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_every_kind_ranks_separable_answers_almost_perfectly(
    kind: str,
    heads: dict[str, Head],
    separable_data: tuple[list[Features], npt.NDArray[np.bool_], list[Features], npt.NDArray[np.bool_]],
) -> None:
    _, _, test, test_correct = separable_data

    assert auroc(heads[kind].predict(test).p_correct, test_correct) >= 0.99


@pytest.mark.parametrize("kind", KINDS)
def test_p_correct_is_strictly_between_zero_and_one_even_far_out(
    kind: str,
    heads: dict[str, Head],
    separable_data: tuple[list[Features], npt.NDArray[np.bool_], list[Features], npt.NDArray[np.bool_]],
) -> None:
    _, _, test, _ = separable_data
    extreme = [Features(hidden=f.hidden * sign, stats=f.stats * sign) for f in test[:50] for sign in (1e4, -1e4)]

    prediction = heads[kind].predict(test + extreme)

    assert prediction.p_correct.dtype == np.float32 and prediction.p_correct.shape == (len(test) + len(extreme),)
    assert np.all(np.isfinite(prediction.p_correct)) and np.all(np.isfinite(prediction.epistemic))
    assert np.all((prediction.p_correct > 0) & (prediction.p_correct < 1))


def test_predicting_nothing_gives_empty_arrays(heads: dict[str, Head]) -> None:
    prediction = heads["vbll-disc"].predict([])

    assert prediction.p_correct.shape == (0,) and prediction.epistemic.shape == (0,)


# --- determinism and saving -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_predicting_twice_gives_identical_arrays(
    kind: str,
    heads: dict[str, Head],
    separable_data: tuple[list[Features], npt.NDArray[np.bool_], list[Features], npt.NDArray[np.bool_]],
) -> None:
    _, _, test, _ = separable_data

    first, second = heads[kind].predict(test), heads[kind].predict(test)

    np.testing.assert_array_equal(first.p_correct, second.p_correct)
    np.testing.assert_array_equal(first.epistemic, second.epistemic)


@pytest.mark.parametrize("kind", KINDS)
def test_fitting_twice_with_the_same_seed_gives_identical_predictions(
    kind: str,
    separable_data: tuple[list[Features], npt.NDArray[np.bool_], list[Features], npt.NDArray[np.bool_]],
) -> None:
    train, train_correct, test, _ = separable_data

    first = fit(kind, train[:200], train_correct[:200], seed=3, epochs=50).predict(test)
    second = fit(kind, train[:200], train_correct[:200], seed=3, epochs=50).predict(test)

    np.testing.assert_array_equal(first.p_correct, second.p_correct)
    np.testing.assert_array_equal(first.epistemic, second.epistemic)


@pytest.mark.parametrize("kind", KINDS)
def test_a_loaded_head_predicts_identically(
    kind: str,
    heads: dict[str, Head],
    separable_data: tuple[list[Features], npt.NDArray[np.bool_], list[Features], npt.NDArray[np.bool_]],
) -> None:
    _, _, test, _ = separable_data
    head = heads[kind]

    loaded = load(head.to_bytes())

    assert (loaded.kind, loaded.trained_on, loaded.settings) == (head.kind, head.trained_on, head.settings)
    np.testing.assert_array_equal(loaded.predict(test).p_correct, head.predict(test).p_correct)
    np.testing.assert_array_equal(loaded.predict(test).epistemic, head.predict(test).epistemic)


# --- calibration and epistemic scores -------------------------------------------------------------------------------


def test_the_head_calibrates_an_overconfident_score(
    calibration_data: tuple[Head, list[Features], npt.NDArray[np.bool_], npt.NDArray[np.float64]],
) -> None:
    head, test, test_correct, z = calibration_data
    raw = 1 / (1 + np.exp(-4 * z))  # the true chance is sigmoid(z): raw is far too sure either way

    raw_ece, head_ece = ece(raw, test_correct), ece(head.predict(test).p_correct, test_correct)

    assert raw_ece > 0.1
    assert head_ece < 0.05 and head_ece < raw_ece - 0.1


def test_the_discriminative_head_is_less_familiar_with_answers_far_from_training(
    calibration_data: tuple[Head, list[Features], npt.NDArray[np.bool_], npt.NDArray[np.float64]],
) -> None:
    head, test, _, _ = calibration_data
    assert head.reducer.stats_scale is not None
    far = [Features(hidden=f.hidden, stats=f.stats + 10 * head.reducer.stats_scale) for f in test[:500]]

    near_score = np.median(head.predict(test[:500]).epistemic)
    far_score = np.median(head.predict(far).epistemic)

    assert near_score >= 0 and far_score > 5 * near_score


def test_the_logistic_head_has_no_epistemic_score(
    heads: dict[str, Head],
    separable_data: tuple[list[Features], npt.NDArray[np.bool_], list[Features], npt.NDArray[np.bool_]],
) -> None:
    _, _, test, _ = separable_data

    np.testing.assert_array_equal(heads["logistic"].predict(test).epistemic, 0.0)


# --- refit ----------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_refitting_on_a_reversed_relationship_lowers_confidence_where_it_flipped(kind: str) -> None:
    rng = np.random.default_rng(4)
    old, old_correct, _ = logistic_in_z(rng, 300, slope=2.0)
    new, new_correct, _ = logistic_in_z(rng, 300, slope=-2.0)
    probe, _, z = logistic_in_z(rng, 400, slope=0.0)
    high_z = [f for f, value in zip(probe, z, strict=True) if value > 1.0]
    head = fit(kind, old, old_correct, epochs=EPOCHS)

    refitted = refit(head, new, new_correct, epochs=400)

    before, after = head.predict(high_z).p_correct.mean(), refitted.predict(high_z).p_correct.mean()
    assert before > 0.8 and after < 0.3


def test_refit_keeps_the_reducer_and_counts_the_new_answers(
    calibration_data: tuple[Head, list[Features], npt.NDArray[np.bool_], npt.NDArray[np.float64]],
) -> None:
    head, test, test_correct, _ = calibration_data
    new, new_correct = test[:200], test_correct[:200]

    refitted = refit(head, new, new_correct, epochs=5)

    assert refitted.reducer is head.reducer
    np.testing.assert_array_equal(refitted.reducer.transform(new), head.reducer.transform(new))
    assert (refitted.kind, refitted.trained_on, head.trained_on) == ("vbll-disc", 200, 1500)
    assert refitted.settings["refit_epochs"] == 5
    assert refitted.module.regularization_weight == pytest.approx(1 / 200)


def test_refit_leaves_the_original_head_alone(
    calibration_data: tuple[Head, list[Features], npt.NDArray[np.bool_], npt.NDArray[np.float64]],
) -> None:
    head, test, test_correct, _ = calibration_data
    before = head.predict(test[:100]).p_correct

    refit(head, test[:200], ~test_correct[:200], epochs=20)

    np.testing.assert_array_equal(head.predict(test[:100]).p_correct, before)


# --- errors ---------------------------------------------------------------------------------------------------------


def test_fitting_on_one_class_fails(
    separable_data: tuple[list[Features], npt.NDArray[np.bool_], list[Features], npt.NDArray[np.bool_]],
) -> None:
    train, _, _, _ = separable_data

    with pytest.raises(ValueError, match="both correct and wrong"):
        fit("logistic", train[:20], np.ones(20, dtype=bool))


def test_fitting_with_a_label_count_that_does_not_match_fails(
    separable_data: tuple[list[Features], npt.NDArray[np.bool_], list[Features], npt.NDArray[np.bool_]],
) -> None:
    train, train_correct, _, _ = separable_data

    with pytest.raises(ValueError, match="20 answers but 19 labels"):
        fit("logistic", train[:20], train_correct[:19])


def test_refitting_with_a_label_count_that_does_not_match_fails(
    heads: dict[str, Head],
    separable_data: tuple[list[Features], npt.NDArray[np.bool_], list[Features], npt.NDArray[np.bool_]],
) -> None:
    train, train_correct, _, _ = separable_data

    with pytest.raises(ValueError, match="20 answers but 21 labels"):
        refit(heads["logistic"], train[:20], train_correct[:21])


def test_an_unknown_kind_fails_naming_the_kinds(
    separable_data: tuple[list[Features], npt.NDArray[np.bool_], list[Features], npt.NDArray[np.bool_]],
) -> None:
    train, train_correct, _, _ = separable_data

    with pytest.raises(ValueError, match="'bayes'") as error:
        fit("bayes", train[:20], train_correct[:20])
    assert all(kind in str(error.value) for kind in KINDS)
