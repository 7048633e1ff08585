"""Every write of the confidence app goes through here: training and activating heads, labels from verdicts."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from django.conf import settings
from django.db import transaction

from uq.models import Example, Head

LOG = Callable[[str], Any]
SINGLE_SIGNALS = ("mean_logprob", "min_logprob", "mean_entropy", "self_certainty", "top1_score")
REASON_SIGNALS = ("top1_score", "answer_support", "mean_logprob", "self_certainty")


class TrainingError(Exception):
    """Why a training run cannot start, in words for the page."""


class RefitWaiting(Exception):
    """A refit that would train the head on less than it was trained on; it waits for more labels."""


@dataclass
class Dataset:
    """Examples of one generator with their features, by split."""

    examples: dict[str, list[Example]]
    features: dict[str, list[Any]]
    labels: dict[str, np.ndarray]

    @property
    def counts(self) -> dict[str, dict[str, int]]:
        return {split: {"answers": len(labels), "correct": int(labels.sum())} for split, labels in self.labels.items()}


def generator_name() -> str:
    """The name examples and heads are filed under: the generator folder's name, as Generator.name."""
    return Path(settings.GENERATOR_MODEL).expanduser().resolve().name


def load_dataset(generator: str) -> Dataset:
    from uq.features import Features

    examples: dict[str, list[Example]] = {split: [] for split in Example.Split.values}
    for example in Example.objects.filter(generator=generator).select_related("bank_question").order_by("pk"):
        examples[example.split].append(example)
    features = {s: [Features.from_bytes(bytes(e.features)) for e in rows] for s, rows in examples.items()}
    labels = {s: np.array([e.label for e in rows], dtype=bool) for s, rows in examples.items()}
    return Dataset(examples, features, labels)


def data_hash(dataset: Dataset) -> str:
    digest = hashlib.sha256()
    for split in sorted(dataset.examples):
        for example in dataset.examples[split]:
            # What the answer is, not its row id, so the same data installed elsewhere hashes the same.
            digest.update(f"{split}:{example.question_text}:{example.sample}:{int(example.label)}:".encode())
            digest.update(bytes(example.features))
    return digest.hexdigest()


def _validation_mask(examples: list[Example]) -> np.ndarray:
    """A fifth of the training questions (by key hash) held out to choose between the head kinds."""
    keys = [e.bank_question.key if e.bank_question else str(e.pk) for e in examples]
    return np.array([hashlib.sha256(f"uq-val:{k}".encode()).digest()[0] < 51 for k in keys], dtype=bool)


def _reference(features: list[Any], labels: np.ndarray, epistemic: np.ndarray) -> dict[str, list[float]]:
    """(low, typical) of each reason signal among correct training answers; (typical, high) for epistemic."""
    right = [f for f, ok in zip(features, labels, strict=True) if ok]
    reference: dict[str, list[float]] = {}
    if right:
        stats = {name: np.array([f.named_stats()[name] for f in right]) for name in REASON_SIGNALS}
        for name, values in stats.items():
            reference[name] = [float(np.percentile(values, 10)), float(np.median(values))]
    if len(epistemic):
        reference["epistemic"] = [float(np.median(epistemic)), float(np.percentile(epistemic, 90))]
    return reference


def do_train_head(*, seed: int = 0, activate: bool = False, log: LOG = print, components: int = 16) -> Head:
    """Fit both vbll heads on the training split (minus a validation fifth), keep the kind with the lower
    validation NLL, refit it on the whole training split, calibrate the thresholds on the calibration split,
    measure it on the test split, and save it as a new ``Head``."""
    from uq import calibration, head, metrics

    generator = generator_name()
    data = load_dataset(generator)
    train, train_y = data.features["train"], data.labels["train"]
    if len(train) < 20 or len(set(train_y.tolist())) < 2:
        raise ValueError(f"{len(train)} training answers for {generator}; collect more with train_uq first")
    if len(data.labels["calibration"]) < calibration.MIN_CALIBRATION:
        raise ValueError(f"only {len(data.labels['calibration'])} calibration answers; collect more first")
    log(f"training on {data.counts}")
    held = _validation_mask(data.examples["train"])
    fit_rows = [f for f, h in zip(train, held, strict=True) if not h]
    val_rows = [f for f, h in zip(train, held, strict=True) if h]
    validation: dict[str, float] = {}
    for kind in ("vbll-disc", "vbll-gen"):
        candidate = head.fit(kind, fit_rows, train_y[~held], components=components, seed=seed)
        validation[kind] = metrics.nll(candidate.predict(val_rows).p_correct, train_y[held])
        log(f"  {kind}: validation NLL {validation[kind]:.4f} on {int(held.sum())} answers")
    kind = min(validation, key=lambda k: validation[k])
    model = head.fit(kind, train, train_y, components=components, seed=seed)
    cal = model.predict(data.features["calibration"])
    thresholds = calibration.calibrate(
        cal.p_correct,
        data.labels["calibration"],
        alpha=settings.UQ_TARGET_RISK,
        beta=settings.UQ_BETA,
        delta=settings.UQ_DELTA,
    )
    log(f"  kept {kind}; thresholds: flag {thresholds.flag:.3f}, abstain {thresholds.abstain:.3f}")
    report: dict[str, Any] = {"validation_nll": validation, "counts": data.counts}
    if len(data.labels["test"]) and len(set(data.labels["test"].tolist())) == 2:
        test = model.predict(data.features["test"])
        report["test"] = metrics.summary(
            test.p_correct, data.labels["test"], probabilities=True, target_risk=settings.UQ_TARGET_RISK
        )
        wrong_rate, coverage = calibration.shown_error_rate(test.p_correct, data.labels["test"], thresholds.flag)
        report["test"]["shown_wrong_rate"], report["test"]["shown_coverage"] = wrong_rate, coverage
    train_epistemic = model.predict(train).epistemic
    version = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    record = Head.objects.create(
        version=version,
        kind=kind,
        generator=generator,
        embedder=str(settings.EMBEDDER_MODEL),
        blob=model.to_bytes(),
        thresholds=thresholds.to_dict(),
        online={"flag": thresholds.flag, "base_flag": thresholds.flag, "steps": 0},
        reference=_reference(train, train_y, train_epistemic),
        metrics=_jsonable(report),
        provenance={
            "command": f"manage.py train_uq --seed {seed}",
            "max_new_tokens": settings.GENERATOR_MAX_NEW_TOKENS,
            "dtype": settings.GENERATOR_DTYPE,
            "components": components,
            "seed": seed,
            "alpha": settings.UQ_TARGET_RISK,
            "beta": settings.UQ_BETA,
            "delta": settings.UQ_DELTA,
        },
        data_hash=data_hash(data),
    )
    if activate:
        do_activate_head(record)
    return record


@transaction.atomic
def do_activate_head(record: Head) -> Head:
    """Make ``record`` the head its generator's answers are scored with (the previous one is kept)."""
    Head.objects.filter(generator=record.generator, active=True).exclude(pk=record.pk).update(active=False)
    Head.objects.filter(pk=record.pk).update(active=True)
    record.refresh_from_db()
    return record


def export_head(record: Head, path: str | Path) -> Path:
    """Write a head to one .npz file (weights) plus a .json beside it (everything else)."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(bytes(record.blob))
    meta = {
        field: getattr(record, field)
        for field in ("version", "kind", "generator", "embedder", "thresholds", "online", "reference", "metrics")
    }
    meta.update(provenance=record.provenance, data_hash=record.data_hash)
    target.with_suffix(".json").write_text(json.dumps(meta, indent=2, sort_keys=True) + "\n")
    export_examples(record.generator, examples_path(target))
    return target


EXAMPLE_TEXT_FIELDS = ("question_text", "answer_text", "split", "source", "grade_reason", "embedder")


def examples_path(head_path: str | Path) -> Path:
    """Where the labelled answers a head was trained on travel with it: ``<head>.examples.npz``."""
    return Path(head_path).with_suffix(".examples.npz")


def export_examples(generator: str, path: str | Path) -> int:
    """Write every labelled answer of ``generator`` (features, label, split, texts, bank question) to one
    compressed .npz, so a head's data travels with it: a fresh install can refit the head on what it was
    trained on, and ``data_hash`` proves it is the same data. Returns how many were written."""
    rows = list(Example.objects.filter(generator=generator).select_related("bank_question__book").order_by("pk"))
    arrays: dict[str, Any] = {
        "features": np.stack([np.frombuffer(bytes(e.features), dtype="<f4") for e in rows])
        if rows
        else np.zeros((0, 0), "<f4"),
        "label": np.array([e.label for e in rows], dtype=bool),
        "out_of_scope": np.array([e.out_of_scope for e in rows], dtype=bool),
        "sample": np.array([e.sample for e in rows], dtype=np.int16),
        "bank_question": np.array(
            [f"{e.bank_question.book.slug}/{e.bank_question.key}" if e.bank_question else "" for e in rows], dtype=str
        ),
        "extra": np.array([json.dumps(e.extra, sort_keys=True) for e in rows], dtype=str),
    }
    for name in EXAMPLE_TEXT_FIELDS:
        arrays[name] = np.array([getattr(e, name) for e in rows], dtype=str)
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    with target.open("wb") as out:
        np.savez_compressed(out, generator=np.array(generator), **arrays)
    return len(rows)


@transaction.atomic
def do_install_examples(path: str | Path) -> int:
    """Load the labelled answers written by ``export_examples`` for their generator, once: an answer to a
    question the database already has an example of (same generator, question text and sample) is skipped.
    Returns how many were added."""
    from chapters.models import Question as BankQuestion

    with np.load(Path(path), allow_pickle=False) as stored:
        data = {name: stored[name] for name in stored.files}
    generator = str(data["generator"])
    keys = [str(k) for k in data["bank_question"]]
    bank = {
        f"{q.book.slug}/{q.key}": q
        for q in BankQuestion.objects.select_related("book").filter(key__in=[k.split("/")[-1] for k in keys])
    }
    have = set(Example.objects.filter(generator=generator).values_list("question_text", "sample"))
    added = []
    for i, key in enumerate(keys):
        question = bank.get(key)
        if (str(data["question_text"][i]), int(data["sample"][i])) in have:
            continue
        added.append(
            Example(
                bank_question=question,
                features=data["features"][i].astype("<f4").tobytes(),
                label=bool(data["label"][i]),
                out_of_scope=bool(data["out_of_scope"][i]),
                sample=int(data["sample"][i]),
                extra=json.loads(str(data["extra"][i])),
                generator=generator,
                **{name: str(data[name][i]) for name in EXAMPLE_TEXT_FIELDS},
            )
        )
    Example.objects.bulk_create(added)
    return len(added)


def do_install_head(path: str | Path, *, activate: bool = True) -> tuple[Head, bool]:
    """Load a head exported by ``export_head`` (e.g. the default shipped in uq/heads/); (head, created).
    The labelled answers exported beside it, if any, are installed too. Installing twice changes nothing."""
    source = Path(path)
    if examples_path(source).exists():
        do_install_examples(examples_path(source))
    meta = json.loads(source.with_suffix(".json").read_text())
    record, created = Head.objects.get_or_create(
        version=meta["version"],
        defaults={
            "kind": meta["kind"],
            "generator": meta["generator"],
            "embedder": meta["embedder"],
            "blob": source.read_bytes(),
            "thresholds": meta["thresholds"],
            "online": meta["online"],
            "reference": meta["reference"],
            "metrics": meta["metrics"],
            "provenance": {**meta["provenance"], "installed_from": source.name},
            "data_hash": meta["data_hash"],
        },
    )
    if activate and not Head.objects.filter(generator=record.generator, active=True).exists():
        record = do_activate_head(record)
    return record, created


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not np.isfinite(value):
        return None
    return value


def do_save_evaluation(record: Head, report: dict[str, Any]) -> None:
    """Keep the latest evaluation on the head, for the evaluation page."""
    metrics = dict(record.metrics)
    metrics["evaluation"] = _jsonable(report)
    Head.objects.filter(pk=record.pk).update(metrics=metrics)
    record.metrics = metrics


def do_record_verdict(answer: Any, *, correct: bool) -> Example | None:
    """A reviewer's verdict on a student's answer becomes a label for the confidence model.

    The answer's stored features become an ``Example`` (source "review", in the training split), stored at once;
    what the head learns from it (``do_learn_from_verdict``) runs as a task once that is committed. Answers
    without features (unscored) give no label."""
    if not answer.features:
        return None
    with transaction.atomic():
        example = Example.objects.create(
            answer=answer,
            question_text=answer.question.text,
            answer_text=answer.text,
            features=bytes(answer.features),
            label=correct,
            source=Example.Source.REVIEW,
            split=Example.Split.TRAIN,
            generator=answer.model_name or generator_name(),
            embedder=str(settings.EMBEDDER_MODEL),
        )
        from textbook.queue import enqueue
        from uq.tasks import learn_from_verdict

        transaction.on_commit(lambda: enqueue(learn_from_verdict, example.pk))
    return example


def do_learn_from_verdict(example: Example) -> Head | None:
    """What the active head of the example's generator learns from one reviewer label.

    When the answer had been shown without a flag, the flag threshold takes one adaptive-conformal step (a wrong
    answer raises it, a right one lowers it a little). After ``UQ_MIN_NEW_LABELS`` new labels the head is refitted
    (``uq.tasks.refit_head``, on commit). Returns the head, or None when the generator has none active."""
    from uq import calibration

    with transaction.atomic():
        record = Head.objects.select_for_update().filter(generator=example.generator, active=True).first()
        if record is None:
            return None
        online = dict(record.online or {})
        if example.answer is not None and example.answer.decision == "answer":
            base = float(online.get("base_flag", record.thresholds.get("flag", 1.0)))
            state = calibration.OnlineState(
                flag=float(online.get("flag", base)), base_flag=base, steps=int(online.get("steps", 0))
            )
            state = calibration.adapt(
                state,
                shown_unflagged_was_wrong=not example.label,
                alpha=float(record.thresholds.get("alpha", settings.UQ_TARGET_RISK)),
                gamma=settings.UQ_ONLINE_STEP,
            )
            online.update(flag=state.flag, base_flag=state.base_flag, steps=state.steps)
        online["new_labels"] = int(online.get("new_labels", 0)) + 1
        online["review_labels"] = int(online.get("review_labels", 0)) + 1
        if online["new_labels"] >= settings.UQ_MIN_NEW_LABELS:
            online["new_labels"] = 0
            from textbook.queue import enqueue
            from uq.tasks import refit_head

            transaction.on_commit(lambda: enqueue(refit_head, record.pk))
        Head.objects.filter(pk=record.pk).update(online=online)
        record.online = online
    return record


def do_refit_head(record: Head, *, seed: int = 0) -> Head:
    """A new head version warm-started from ``record`` on every training label (bank and reviewer verdicts),
    with the same reducer and thresholds; it replaces ``record`` as the active head if that was active."""
    from uq import head

    data = load_dataset(record.generator)
    current = head.load(bytes(record.blob))
    if len(data.labels["train"]) < current.trained_on:
        # The answers this head was trained on are not in this database (a head installed without them): a
        # refit on the reviewers' labels alone would throw away what it learnt. Wait until they are installed
        # (manage.py install_head) or until reviewers have given as many labels.
        raise RefitWaiting(
            f"{len(data.labels['train'])} training answers here, the head was trained on {current.trained_on}"
        )
    model = head.refit(current, data.features["train"], data.labels["train"], seed=seed)
    version = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")[:40]
    new = Head.objects.create(
        version=version,
        kind=record.kind,
        generator=record.generator,
        embedder=record.embedder,
        blob=model.to_bytes(),
        thresholds=record.thresholds,
        online={**{k: v for k, v in record.online.items() if k != "refit_waiting"}, "new_labels": 0},
        reference=record.reference,
        metrics={"refit_from": record.version, "counts": data.counts},
        provenance={**record.provenance, "refit_from": record.version},
        data_hash=data_hash(data),
    )
    if record.active:
        new = do_activate_head(new)
    return new


def do_start_training(*, activate: bool = False) -> Any:
    """Queue ``uq.tasks.train`` for the book with the question bank (one run at a time)."""
    from chapters.models import Book
    from textbook.queue import enqueue
    from uq.models import TrainingRun
    from uq.tasks import train

    busy = TrainingRun.Status.QUEUED, TrainingRun.Status.RUNNING
    if TrainingRun.objects.filter(status__in=busy).exists():
        raise TrainingError("A training run is already queued or running.")
    book = Book.objects.filter(questions__isnull=False).distinct().order_by("pk").first()
    if book is None:
        raise TrainingError("No book has a question bank to train on.")
    with transaction.atomic():
        run = TrainingRun.objects.create(options={"book": book.pk, "activate": activate})
        transaction.on_commit(lambda: enqueue(train, run.pk))
    return run
