"""Reliability diagrams and risk–coverage curves as self-contained SVG strings. Pure.

Imports only the standard library, numpy and ``uq.metrics``; no matplotlib: the pages embed the string
as is. Axes and text use ``currentColor`` so a chart follows the page's text colour (light or dark theme);
series take a fixed colour-blind-safe palette (Okabe–Ito, black swapped for grey so it shows on a dark
page). Output is deterministic: the same input gives a byte-identical string, numbers carry at most
4 decimals and element ids come from a hash of the content.
"""

from __future__ import annotations

import hashlib
import html
import math
from typing import Any

import numpy as np
import numpy.typing as npt

from uq.metrics import Bin

__all__ = ["MAX_POINTS", "PALETTE", "num", "reliability_svg", "risk_coverage_svg", "svg_document"]

PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#999999", "#F0E442", "#6A3D9A", "#8C510A")
MAX_POINTS = 200  # per curve; a risk–coverage curve has one point per answer otherwise
TICKS = (0.0, 0.25, 0.5, 0.75, 1.0)  # fractions of each axis

WIDTH, HEIGHT = 760, 380  # room for legends as long as "semantic entropy (k=5, embedding clusters, negated)"
LEFT, TOP, SIZE = 64, 40, 280  # the square plot area
LEGEND_X = LEFT + SIZE + 24
LEGEND_ROW = 20

Curve = tuple[npt.NDArray[np.floating[Any]], npt.NDArray[np.floating[Any]]]


def num(value: float, digits: int = 2) -> str:
    """``value`` with at most ``digits`` decimals and no trailing zeros; pixel coordinates need only 2."""
    text = f"{value:.{digits}f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _keep(n: int) -> list[int]:
    """Indices of at most MAX_POINTS evenly spaced points out of ``n``, always keeping the first and the last."""
    if n <= MAX_POINTS:
        return list(range(n))
    return sorted({round(i) for i in np.linspace(0, n - 1, MAX_POINTS)})


def _px(x: float, y: float, y_max: float = 1.0) -> tuple[float, float]:
    """Data coordinates (x in [0, 1], y in [0, y_max]) to pixels; y grows upwards."""
    return LEFT + x * SIZE, TOP + SIZE - y / y_max * SIZE


def _points(points: list[tuple[float, float]], y_max: float = 1.0) -> str:
    return " ".join(f"{num(px)},{num(py)}" for px, py in (_px(x, y, y_max) for x, y in points))


def _axes(x_title: str, y_title: str, y_max: float) -> list[str]:
    bottom, right = TOP + SIZE, LEFT + SIZE
    parts = [
        '<g stroke="currentColor" stroke-width="1">',
        f'<line x1="{LEFT}" y1="{bottom}" x2="{right}" y2="{bottom}"/>',
        f'<line x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{bottom}"/>',
    ]
    for t in TICKS:
        x, y = _px(t, t)
        parts.append(f'<line x1="{num(x)}" y1="{bottom}" x2="{num(x)}" y2="{bottom + 5}"/>')
        parts.append(f'<line x1="{LEFT - 5}" y1="{num(y)}" x2="{LEFT}" y2="{num(y)}"/>')
    parts.append("</g>")
    parts.append('<g fill="currentColor">')
    for t in TICKS:
        x, y = _px(t, t)
        parts.append(f'<text x="{num(x)}" y="{bottom + 18}" text-anchor="middle">{num(t)}</text>')
        label = num(t * y_max, 4)
        parts.append(f'<text x="{LEFT - 8}" y="{num(y + 4)}" text-anchor="end">{label}</text>')
    parts.append(f'<text x="{LEFT + SIZE / 2:g}" y="{bottom + 38}" text-anchor="middle">{html.escape(x_title)}</text>')
    mid_y = TOP + SIZE / 2
    parts.append(
        f'<text x="{LEFT - 44}" y="{mid_y:g}" text-anchor="middle" transform="rotate(-90 {LEFT - 44} {mid_y:g})">'
        f"{html.escape(y_title)}</text>"
    )
    parts.append("</g>")
    return parts


def _legend(entries: list[tuple[str, str, bool]]) -> list[str]:
    """Rows of (label, colour, dashed): a short line swatch and the escaped label."""
    parts = ['<g class="legend">']
    for row, (label, colour, dashed) in enumerate(entries):
        y = TOP + 8 + row * LEGEND_ROW
        dash = ' stroke-dasharray="4 3"' if dashed else ""
        parts.append(
            f'<line x1="{LEGEND_X}" y1="{y}" x2="{LEGEND_X + 20}" y2="{y}" stroke="{colour}" stroke-width="2"{dash}/>'
        )
        parts.append(f'<text x="{LEGEND_X + 26}" y="{y + 4}" fill="currentColor">{html.escape(label)}</text>')
    parts.append("</g>")
    return parts


def svg_document(
    title: str, desc: str, body: list[str], *, width: int = WIDTH, height: int = HEIGHT, title_x: int = LEFT
) -> str:
    """Wrap ``body`` in an accessible <svg> with a visible title; ids hash the content to stay unique on a page."""
    content = "\n".join(body)
    uid = "uq-" + hashlib.sha256(f"{title}\n{desc}\n{content}".encode()).hexdigest()[:10]
    return "\n".join(
        [
            f'<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-labelledby="{uid}-title {uid}-desc" '
            f'width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
            'font-family="system-ui, sans-serif" font-size="12">',
            f'<title id="{uid}-title">{html.escape(title)}</title>',
            f'<desc id="{uid}-desc">{html.escape(desc)}</desc>',
            f'<text x="{title_x}" y="{TOP - 16}" font-size="14" font-weight="600" fill="currentColor">'
            f"{html.escape(title)}</text>",
            content,
            "</svg>",
        ]
    )


def reliability_svg(bins_by_method: dict[str, list[Bin]], *, title: str) -> str:
    """Reliability diagram: per method, accuracy against mean confidence of its non-empty bins, markers sized by count."""
    largest = max((b.count for bins in bins_by_method.values() for b in bins), default=0)
    body = _axes("mean confidence", "accuracy", 1.0)
    body.append(
        f'<line x1="{LEFT}" y1="{TOP + SIZE}" x2="{LEFT + SIZE}" y2="{TOP}" '
        'stroke="currentColor" stroke-width="1" stroke-dasharray="4 3" opacity="0.6"/>'
    )
    legend: list[tuple[str, str, bool]] = [("perfect calibration", "currentColor", True)]
    for i, (method, bins) in enumerate(bins_by_method.items()):
        colour = PALETTE[i % len(PALETTE)]
        shown = [b for b in bins if b.count > 0 and math.isfinite(b.mean_confidence) and math.isfinite(b.accuracy)]
        shown = [shown[k] for k in _keep(len(shown))]
        points = [(b.mean_confidence, b.accuracy) for b in shown]
        name = html.escape(method)
        body.append(f'<g class="series" stroke="{colour}" fill="{colour}">')
        body.append(f'<polyline points="{_points(points)}" fill="none" stroke-width="2"/>')
        for x, y, count in ((b.mean_confidence, b.accuracy, b.count) for b in shown):
            # Area ∝ count, so a bin holding four times the answers looks four times as heavy; 2 px at least.
            radius = 2 + 5 * math.sqrt(count / largest)
            px, py = _px(x, y)
            body.append(
                f'<circle cx="{num(px)}" cy="{num(py)}" r="{num(radius)}">'
                f"<title>{name}: confidence {num(x, 4)}, accuracy {num(y, 4)}, n = {count}</title></circle>"
            )
        body.append("</g>")
        legend.append((method, colour, False))
    body.extend(_legend(legend))
    methods = ", ".join(bins_by_method) or "none"
    desc = (
        "Reliability diagram: accuracy (y) against mean confidence (x) per confidence bin, "
        f"marker size by number of answers; the dashed diagonal is perfect calibration. Methods: {methods}."
    )
    return svg_document(title, desc, body)


def risk_coverage_svg(curves: dict[str, Curve], *, title: str, target: float | None = None) -> str:
    """Risk–coverage curves: selective risk (y) against coverage (x) per method, dashed line at ``target`` if given."""
    if target is not None and not math.isfinite(target):
        raise ValueError(f"target must be finite, got {target}")
    series = {}
    for method, (coverage, risk) in curves.items():
        xs, ys = np.asarray(coverage, dtype=np.float64), np.asarray(risk, dtype=np.float64)
        if xs.ndim != 1 or xs.shape != ys.shape:
            raise ValueError(f"coverage and risk of {method!r} must be 1-D of the same length")
        if not (np.all(np.isfinite(xs)) and np.all(np.isfinite(ys))):
            raise ValueError(f"coverage and risk of {method!r} must be finite")
        series[method] = [(float(xs[k]), float(ys[k])) for k in _keep(xs.size)]
    # Zoom in on small risks (a good method's whole curve may sit under 0.1), but never past 1.
    highest = max([y for points in series.values() for _, y in points] + [target or 0.0])
    y_max = min(1.0, max(0.1, math.ceil(round(highest * 10, 9)) / 10))
    body = _axes("coverage", "selective risk", y_max)
    legend: list[tuple[str, str, bool]] = []
    for i, (method, points) in enumerate(series.items()):
        colour = PALETTE[i % len(PALETTE)]
        body.append(
            f'<polyline class="series" points="{_points(points, y_max)}" fill="none" stroke="{colour}" stroke-width="2"/>'
        )
        legend.append((method, colour, False))
    if target is not None:
        _, y = _px(0.0, min(max(target, 0.0), y_max), y_max)
        body.append(
            f'<line x1="{LEFT}" y1="{num(y)}" x2="{LEFT + SIZE}" y2="{num(y)}" '
            'stroke="currentColor" stroke-width="1" stroke-dasharray="4 3"/>'
        )
        body.append(
            f'<text x="{LEFT + SIZE - 4}" y="{num(y - 4)}" text-anchor="end" fill="currentColor">target risk</text>'
        )
        legend.append((f"target risk {num(target, 4)}", "currentColor", True))
    body.extend(_legend(legend))
    methods = ", ".join(curves) or "none"
    target_text = f"; the dashed line marks the target risk {num(target, 4)}" if target is not None else ""
    desc = (
        "Risk–coverage curves: selective risk (y, wrong rate among the answers kept) against coverage (x, share of "
        f"answers kept, most confident first){target_text}. Methods: {methods}."
    )
    return svg_document(title, desc, body)
