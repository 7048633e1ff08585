"""The confidence head against its baselines, on the held-out test split, in one run (``manage.py eval_uq``).

Every method scores the same test answers. Probabilistic methods (the vbll heads and the plain logistic head)
are trained on the training split and calibrated on the calibration split exactly as ``train_uq`` does; the
single signals are used as they are (higher = more confident), and semantic entropy uses the k sampled answers
``train_uq`` stored for each test question.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np
from django.conf import settings

from uq import calibration, metrics, plots
from uq.actions import SINGLE_SIGNALS, data_hash, load_dataset
from uq.features import STAT_NAMES
from uq.models import Head

SIGNAL_SIGN = {"mean_entropy": -1.0}  # entropy: higher means less certain


def _signal(features: list[Any], name: str) -> np.ndarray:
    column = STAT_NAMES.index(name)
    return SIGNAL_SIGN.get(name, 1.0) * np.array([f.stats[column] for f in features], dtype=np.float64)


def evaluate(record: Head, *, seed: int = 0, log: Any = print) -> dict[str, Any]:
    """Metrics, costs and plots for ``record`` (a trained head) and every baseline on the test split."""
    from uq import head  # torch: only where heads run (a command or a worker), never in a web process

    data = load_dataset(record.generator)
    test, y = data.features["test"], data.labels["test"]
    if len(test) < 10 or len(set(y.tolist())) < 2:
        raise ValueError(f"the test split has {len(test)} answers ({int(y.sum())} correct); collect more first")
    target = float(record.thresholds.get("alpha", settings.UQ_TARGET_RISK))
    oos = np.array([e.out_of_scope for e in data.examples["test"]], dtype=bool)
    rows: dict[str, dict[str, Any]] = {}
    probabilities: dict[str, np.ndarray] = {}
    components = int(record.provenance.get("components", 16))

    def probabilistic(name: str, model: Any, passes: str) -> None:
        started = time.perf_counter()
        p = model.predict(test).p_correct.astype(np.float64)
        seconds = (time.perf_counter() - started) / len(test)
        thresholds = calibration.calibrate(
            model.predict(data.features["calibration"]).p_correct,
            data.labels["calibration"],
            alpha=target,
            beta=settings.UQ_BETA,
            delta=settings.UQ_DELTA,
        )
        row: dict[str, Any] = metrics.summary(p, y, probabilities=True, target_risk=target)
        row["shown_wrong_rate"], row["shown_coverage"] = calibration.shown_error_rate(p, y, thresholds.flag)
        row["oos_abstain_rate"] = float((p[oos] < thresholds.abstain).mean()) if oos.any() else None
        row["oos_flag_or_abstain_rate"] = float((p[oos] < thresholds.flag).mean()) if oos.any() else None
        row["extra_forward_passes"], row["scoring_ms"] = passes, round(1000 * seconds, 3)
        rows[name], probabilities[name] = row, p

    probabilistic(f"VBLL head ({record.kind}, active)", head.load(bytes(record.blob)), "0")
    other = "vbll-gen" if record.kind == "vbll-disc" else "vbll-disc"
    train, train_y = data.features["train"], data.labels["train"]
    probabilistic(f"VBLL head ({other})", head.fit(other, train, train_y, components=components, seed=seed), "0")
    logistic = head.fit("logistic", train, train_y, components=components, seed=seed)
    probabilistic("logistic head (same features)", logistic, "0")
    for name in SINGLE_SIGNALS:
        row = metrics.summary(_signal(test, name), y, probabilities=False, target_risk=target)
        rows[f"{name}{' (negated)' if name in SIGNAL_SIGN else ''}"] = {**row, "extra_forward_passes": "0"}
    # An answer the model was never asked for (retrieval found nothing) has no samples: all "agree", entropy 0.
    se = [e.extra.get("semantic_entropy", 0.0) for e in data.examples["test"]]
    if any("semantic_entropy" in e.extra for e in data.examples["test"]):
        samples = int(data.examples["test"][0].extra.get("samples", 5))
        row = metrics.summary(-np.array(se, dtype=np.float64), y, probabilities=False, target_risk=target)
        plain = [e.extra["seconds"] for s in ("train", "calibration") for e in data.examples[s] if "seconds" in e.extra]
        sampled = [e.extra["seconds"] for e in data.examples["test"] if "seconds" in e.extra]
        row["extra_forward_passes"] = f"{samples} sampled decodes (prefill shared)"
        if plain and sampled:
            row["extra_seconds_per_answer"] = round(float(np.mean(sampled) - np.mean(plain)), 3)
            row["answer_seconds"] = round(float(np.mean(plain)), 3)
        rows[f"semantic entropy (k={samples}, embedding clusters, negated)"] = row
    else:
        log("semantic entropy: some test answers have no samples; skipped")
    for name in rows:
        confidence = _confidence(name, rows, probabilities, test, se)
        rows[name]["auroc_interval"] = metrics.bootstrap_interval(
            lambda c, ok: metrics.wrong_detection(c, ok)[0], confidence, y, seed=seed
        )
    curves = {name: metrics.risk_coverage(_confidence(name, rows, probabilities, test, se), y) for name in rows}
    reliability = {name: metrics.reliability(p, y) for name, p in probabilities.items()}
    return {
        "head": record.version,
        "data_hash": data_hash(data),
        "counts": data.counts,
        "test_out_of_scope": int(oos.sum()),
        "target_risk": target,
        "methods": rows,
        "svg": {
            "reliability": plots.reliability_svg(reliability, title="Reliability on the test split"),
            "risk_coverage": plots.risk_coverage_svg(
                {k: (c[0], c[1]) for k, c in curves.items()}, title="Risk–coverage on the test split", target=target
            ),
        },
    }


def _confidence(
    name: str, rows: dict[str, Any], probabilities: dict[str, np.ndarray], test: list[Any], se: list[Any]
) -> np.ndarray:
    if name in probabilities:
        return probabilities[name]
    if name.startswith("semantic entropy"):
        return -np.array(se, dtype=np.float64)
    return _signal(test, name.split(" ")[0])


COLUMNS = (
    ("auroc", "AUROC ↑ (95% CI)"),
    ("auprc", "AUPRC ↑"),
    ("ece", "ECE ↓"),
    ("brier", "Brier ↓"),
    ("nll", "NLL ↓"),
    ("aurc", "AURC ↓"),
    ("coverage_at_risk", "coverage@risk ↑"),
    ("oos_abstain_rate", "OOS abstain"),
    ("extra_forward_passes", "extra passes"),
)


def cell(value: Any) -> str:
    return "–" if value is None else f"{value:.3f}" if isinstance(value, float) else str(value)


def cells(row: dict[str, Any]) -> list[str]:
    """The table's cells of one method; AUROC with its 95% bootstrap interval."""
    out = [cell(row.get(key)) for key, _ in COLUMNS]
    interval = row.get("auroc_interval")
    if interval and None not in interval:
        out[0] += f" ({interval[0]:.2f}–{interval[1]:.2f})"
    return out


def markdown(report: dict[str, Any]) -> str:
    """The report's table as GitHub Markdown (wrong-answer detection: "wrong" is the positive class)."""
    lines = [
        "| method | " + " | ".join(title for _, title in COLUMNS) + " |",
        "|---|" + "---:|" * len(COLUMNS),
    ]
    for name, row in report["methods"].items():
        lines.append(f"| {name} | " + " | ".join(cells(row)) + " |")
    return "\n".join(lines)


def write(report: dict[str, Any], folder: str | Path) -> list[Path]:
    """The SVGs, the Markdown table and the JSON (without the SVGs) into ``folder``."""
    import json

    target = Path(folder)
    target.mkdir(parents=True, exist_ok=True)
    written = []
    for name, svg in report["svg"].items():
        path = target / f"{name.replace('_', '-')}.svg"
        path.write_text(svg)
        written.append(path)
    (target / "eval_uq.md").write_text(markdown(report) + "\n")
    plain = {k: v for k, v in report.items() if k != "svg"}
    (target / "eval_uq.json").write_text(json.dumps(plain, indent=2, default=str) + "\n")
    return [*written, target / "eval_uq.md", target / "eval_uq.json"]
