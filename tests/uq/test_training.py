"""train_uq's fitting stage and eval_uq on stored examples (no generator needed once answers are collected)."""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.test import Client
from pytest_django.fixtures import Settings

from uq import actions
from uq import head as heads
from uq.features import STAT_NAMES, Features
from uq.models import Example, Head

pytestmark = pytest.mark.django_db
GENERATOR = "tiny-generator"


@pytest.fixture
def examples(settings: Settings, tmp_path: Path) -> None:
    """360 labelled answers of a generator called tiny-generator: correct ones have higher log-probs and
    support (noisy), out-of-scope ones decline; split 60/20/20 by question as collect does."""
    settings.GENERATOR_MODEL = str(tmp_path / GENERATOR)
    rng = np.random.default_rng(3)
    rows = []
    for i in range(360):
        correct = bool(rng.random() < 0.45)
        stats = rng.normal(0, 1, len(STAT_NAMES)).astype(np.float32)
        stats[0] += 1.2 if correct else -1.2  # mean_logprob
        stats[8] += 0.8 if correct else -0.8  # answer_support
        hidden = rng.normal(0, 1, 16).astype(np.float32)
        hidden[0] += 1.0 if correct else -1.0
        split = ("train", "train", "train", "calibration", "test")[i % 5]
        rows.append(
            Example(
                question_text=f"question {i}",
                answer_text="an answer",
                features=Features(hidden=hidden, stats=stats).to_bytes(),
                label=correct,
                out_of_scope=i % 10 == 0,
                split=split,
                generator=GENERATOR,
                embedder="test",
                extra={
                    "seconds": 6.0 if split != "test" else 9.0,
                    "semantic_entropy": float(rng.random() + (0 if correct else 0.5)),
                    "samples": 5,
                },
            )
        )
    Example.objects.bulk_create(rows)


def test_training_keeps_the_better_vbll_head_calibrates_it_and_records_where_it_came_from(examples: None) -> None:
    head = actions.do_train_head(activate=True, log=lambda line: None, components=4)
    assert head.active and head.kind in ("vbll-disc", "vbll-gen") and head.generator == GENERATOR
    assert set(head.metrics["validation_nll"]) == {"vbll-disc", "vbll-gen"}
    assert 0 <= head.thresholds["abstain"] <= head.thresholds["flag"]
    assert head.metrics["test"]["auroc"] > 0.8  # the planted signal is found on questions it never saw
    assert len(head.data_hash) == 64 and head.provenance["components"] == 4
    assert set(head.reference) >= {"top1_score", "mean_logprob", "epistemic"}


def test_the_same_data_gives_the_same_head(examples: None) -> None:
    first = actions.do_train_head(log=lambda line: None, components=4)
    second = actions.do_train_head(log=lambda line: None, components=4)
    assert first.data_hash == second.data_hash and bytes(first.blob) == bytes(second.blob)
    assert first.thresholds == second.thresholds


def test_too_few_answers_is_a_clear_error(settings: Settings, tmp_path: Path) -> None:
    settings.GENERATOR_MODEL = str(tmp_path / GENERATOR)
    with pytest.raises(ValueError, match="collect more with train_uq first"):
        actions.do_train_head(log=lambda line: None)


def test_eval_uq_compares_every_method_and_writes_the_plots(
    examples: None, tmp_path: Path, client: Client, reviewer: User
) -> None:
    head = actions.do_train_head(activate=True, log=lambda line: None, components=4)
    out = io.StringIO()
    call_command("eval_uq", "--out", str(tmp_path / "report"), stdout=out)
    table = out.getvalue()
    for method in ("VBLL head", "logistic head", "mean_logprob", "min_logprob", "mean_entropy", "self_certainty",
                   "top1_score", "semantic entropy (k=5"):  # fmt: skip
        assert method in table
    assert {p.name for p in (tmp_path / "report").iterdir()} == {
        "reliability.svg", "risk-coverage.svg", "eval_uq.md", "eval_uq.json",
    }  # fmt: skip
    head.refresh_from_db()
    methods = head.metrics["evaluation"]["methods"]
    assert methods["semantic entropy (k=5, embedding clusters, negated)"]["extra_seconds_per_answer"] == 3.0

    client.force_login(reviewer)
    page = client.get("/confidence/").content.decode()
    assert "Against the baselines" in page and "<svg" in page and "semantic entropy" in page


def test_an_exported_head_installs_once_and_activates(examples: None, tmp_path: Path) -> None:
    head = actions.do_train_head(log=lambda line: None, components=4)
    path = actions.export_head(head, tmp_path / "heads" / "tiny.npz")
    Head.objects.all().delete()
    out = io.StringIO()
    call_command("install_head", str(path), stdout=out)
    call_command("install_head", str(path), stdout=out)
    assert "installed: head" in out.getvalue() and "already installed" in out.getvalue()
    installed = Head.objects.get()
    assert installed.active and bytes(installed.blob) == bytes(head.blob)
    assert installed.provenance["installed_from"] == "tiny.npz"


def test_a_head_travels_with_the_answers_it_learnt_from(examples: None, tmp_path: Path) -> None:
    head = actions.do_train_head(log=lambda line: None, components=4)
    path = actions.export_head(head, tmp_path / "heads" / "tiny.npz")
    assert actions.examples_path(path).exists()
    before = Example.objects.count()
    Example.objects.all().delete()
    Head.objects.all().delete()

    call_command("install_head", str(path), stdout=io.StringIO())
    call_command("install_head", str(path), stdout=io.StringIO())  # twice: nothing added the second time
    assert Example.objects.count() == before
    # The same answers, labels and splits: the data hash recorded with the head comes out again.
    assert actions.data_hash(actions.load_dataset(head.generator)) == Head.objects.get().data_hash


def test_the_shipped_head_matches_the_default_generator_and_scores() -> None:
    folder = Path(__file__).resolve().parents[2] / "uq" / "heads"
    meta = json.loads((folder / "smollm2-135m-instruct.json").read_text())
    model = heads.load((folder / "smollm2-135m-instruct.npz").read_bytes())
    assert meta["generator"] == "smollm2-135m-instruct" and meta["provenance"]["command"].startswith(
        "manage.py train_uq"
    )
    hidden = 2 * 576  # SmolLM2-135M's hidden size, mean and last token
    p = model.predict([Features(hidden=np.zeros(hidden, np.float32), stats=np.zeros(len(STAT_NAMES), np.float32))])
    assert 0 < p.p_correct[0] < 1
    assert 0 <= meta["thresholds"]["abstain"] <= meta["thresholds"]["flag"]
