"""Small statistics behind the instructor's dashboard. Pure: the standard library, numpy, scipy and uq.metrics."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

import numpy as np

from uq import metrics

__all__ = ["clopper_pearson", "ece_trajectory", "periods"]


def clopper_pearson(k: int, n: int, level: float = 0.95) -> tuple[float, float]:
    """The exact (Clopper–Pearson) two-sided interval for a rate of ``k`` events in ``n`` trials; (0, 1) for n = 0."""
    if not 0 <= k <= n:
        raise ValueError(f"need 0 <= k <= n, got k={k}, n={n}")
    if n == 0:
        return 0.0, 1.0
    from scipy.stats import beta

    tail = (1 - level) / 2
    low = 0.0 if k == 0 else float(beta.ppf(tail, k, n - k + 1))
    high = 1.0 if k == n else float(beta.ppf(1 - tail, k + 1, n - k))
    return low, high


def ece_trajectory(
    confidence: Sequence[float], correct: Sequence[bool], *, min_count: int = 10, points: int = 12
) -> list[tuple[int, float]]:
    """(verdicts so far, ECE of the confidences among them) as verdicts arrive in the given order, at most
    ``points`` points from ``min_count`` verdicts on (ECE over fewer says nothing)."""
    n = len(confidence)
    if n != len(correct):
        raise ValueError("confidence and correct must have the same length")
    if n < min_count:
        return []
    stops = sorted({round(float(x)) for x in np.linspace(min_count, n, min(points, n - min_count + 1))})
    p, y = np.asarray(confidence, dtype=np.float64), np.asarray(correct, dtype=bool)
    return [(k, float(metrics.ece(p[:k], y[:k]))) for k in stops]


def periods(first: date, today: date, *, max_days: int = 21, weeks: int = 12) -> tuple[str, list[date]]:
    """("day" | "week", the start of each period up to ``today``): days while the data spans at most ``max_days``,
    else the last ``weeks`` ISO weeks (Mondays)."""
    if first > today:
        first = today
    if (today - first).days < max_days:
        return "day", [first + timedelta(days=i) for i in range((today - first).days + 1)]
    monday = today - timedelta(days=today.weekday())
    start = max(first - timedelta(days=first.weekday()), monday - timedelta(weeks=weeks - 1))
    return "week", [start + timedelta(weeks=i) for i in range((monday - start).days // 7 + 1)]
