"""The instructor's charts as self-contained SVG strings. Pure: the standard library and ``uq.plots``.

Same conventions as ``uq.plots``: text and axes in ``currentColor``, series in the Okabe–Ito palette, every label
escaped, deterministic output. Each chart also comes as a table on the page for screen readers and for CSV.
"""

from __future__ import annotations

import html
from collections.abc import Sequence

from uq.plots import PALETTE, num, svg_document

__all__ = ["DECISION_COLOURS", "heatmap_svg", "line_svg", "stacked_bars_svg"]

DECISION_COLOURS = {"answer": PALETTE[2], "flag": PALETTE[4], "abstain": PALETTE[1], "unscored": PALETTE[6]}
TOP = 40


def _label(text: str, limit: int) -> str:
    return html.escape(text if len(text) <= limit else text[: limit - 1] + "…")


def heatmap_svg(
    rows: Sequence[str], columns: Sequence[str], counts: Sequence[Sequence[int]], *, title: str, desc: str
) -> str:
    """A grid of ``counts`` [len(rows)][len(columns)], darker where more questions were asked; each cell carries
    its number as a tooltip."""
    if len(counts) != len(rows) or any(len(row) != len(columns) for row in counts):
        raise ValueError("counts must have one row per row label and one value per column label")
    label_width, cell, gap, band = 300, 22, 2, 56  # band: room for the slanted column labels under the title
    width = label_width + max(1, len(columns)) * (cell + gap) + 40
    height = TOP + band + max(1, len(rows)) * (cell + gap) + 20
    peak = max((value for row in counts for value in row), default=0) or 1
    body = ['<g font-size="11" fill="currentColor">']
    for j, column in enumerate(columns):
        x = label_width + j * (cell + gap) + cell / 2
        y = TOP + band - 6
        body.append(
            f'<text x="{num(x)}" y="{y}" text-anchor="start" transform="rotate(-50 {num(x)} {y})">'
            f"{_label(column, 10)}</text>"
        )
    for i, row in enumerate(rows):
        y = TOP + band + i * (cell + gap)
        body.append(f'<text x="{label_width - 8}" y="{y + cell * 0.7:g}" text-anchor="end">{_label(row, 48)}</text>')
    body.append("</g>")
    for i, row_counts in enumerate(counts):
        y = TOP + band + i * (cell + gap)
        for j, value in enumerate(row_counts):
            x = label_width + j * (cell + gap)
            opacity = 0.08 if value == 0 else 0.2 + 0.8 * value / peak
            tip = html.escape(f"{rows[i]}, {columns[j]}: {value} question{'s' if value != 1 else ''}")
            body.append(
                f'<rect x="{x}" y="{y}" width="{cell}" height="{cell}" rx="3" fill="{PALETTE[0]}" '
                f'fill-opacity="{num(opacity)}"><title>{tip}</title></rect>'
            )
            if value:
                body.append(
                    f'<text x="{x + cell / 2:g}" y="{y + cell * 0.7:g}" text-anchor="middle" font-size="10" '
                    f'fill="{"#fff" if opacity > 0.6 else "currentColor"}">{value}</text>'
                )
    return svg_document(title, desc, body, width=width, height=height, title_x=8)


def stacked_bars_svg(
    columns: Sequence[str], series: dict[str, Sequence[int]], *, title: str, desc: str, colours: dict[str, str]
) -> str:
    """One bar per column, stacked by series (e.g. decisions per week), with a legend."""
    if any(len(values) != len(columns) for values in series.values()):
        raise ValueError("every series needs one value per column")
    left, bar, gap, plot_h = 48, 26, 10, 180
    width = left + max(1, len(columns)) * (bar + gap) + 160
    height = TOP + plot_h + 60
    totals = [sum(values[j] for values in series.values()) for j in range(len(columns))]
    peak = max(totals, default=0) or 1
    bottom = TOP + plot_h
    body = [
        '<g stroke="currentColor">',
        f'<line x1="{left}" y1="{bottom}" x2="{left + len(columns) * (bar + gap)}" y2="{bottom}"/>',
        f'<line x1="{left}" y1="{TOP}" x2="{left}" y2="{bottom}"/>',
        "</g>",
        f'<g fill="currentColor" font-size="11"><text x="{left - 6}" y="{TOP + 4}" text-anchor="end">{peak}</text>'
        f'<text x="{left - 6}" y="{bottom}" text-anchor="end">0</text></g>',
    ]
    for j, column in enumerate(columns):
        x, base = left + gap / 2 + j * (bar + gap), float(bottom)
        for name, values in series.items():
            h = values[j] / peak * plot_h
            if h > 0:
                tip = html.escape(f"{column}: {values[j]} {name}")
                body.append(
                    f'<rect x="{num(x)}" y="{num(base - h)}" width="{bar}" height="{num(h)}" fill="{colours[name]}">'
                    f"<title>{tip}</title></rect>"
                )
                base -= h
        cx = x + bar / 2
        body.append(
            f'<text x="{num(cx)}" y="{bottom + 14}" font-size="11" fill="currentColor" text-anchor="end" '
            f'transform="rotate(-45 {num(cx)} {bottom + 14})">{_label(column, 10)}</text>'
        )
    legend_x = left + len(columns) * (bar + gap) + 16
    for row, name in enumerate(series):
        y = TOP + 8 + row * 18
        body.append(f'<rect x="{legend_x}" y="{y - 9}" width="12" height="12" fill="{colours[name]}"/>')
        body.append(f'<text x="{legend_x + 18}" y="{y + 2}" fill="currentColor">{html.escape(name)}</text>')
    return svg_document(title, desc, body, width=width, height=height, title_x=8)


def line_svg(
    points: Sequence[tuple[float, float]],
    *,
    title: str,
    desc: str,
    x_title: str,
    y_title: str,
    y_max: float = 1.0,
    target: float | None = None,
    target_label: str = "",
) -> str:
    """A line through ``points`` (x ascending, y in [0, y_max]) with an optional dashed target level."""
    left, plot_w, plot_h = 56, 420, 200
    width, height = left + plot_w + 150, TOP + plot_h + 60
    bottom = TOP + plot_h
    xs = [x for x, _ in points]
    x_lo, x_hi = (min(xs), max(xs)) if xs else (0.0, 1.0)
    span = (x_hi - x_lo) or 1.0

    def px(x: float, y: float) -> tuple[float, float]:
        return left + (x - x_lo) / span * plot_w, bottom - min(y, y_max) / y_max * plot_h

    body = [
        '<g stroke="currentColor">',
        f'<line x1="{left}" y1="{bottom}" x2="{left + plot_w}" y2="{bottom}"/>',
        f'<line x1="{left}" y1="{TOP}" x2="{left}" y2="{bottom}"/>',
        "</g>",
        f'<g fill="currentColor" font-size="11"><text x="{left - 6}" y="{TOP + 4}" text-anchor="end">{num(y_max)}</text>'
        f'<text x="{left - 6}" y="{bottom}" text-anchor="end">0</text>'
        f'<text x="{left}" y="{bottom + 16}" text-anchor="middle">{num(x_lo)}</text>'
        f'<text x="{left + plot_w}" y="{bottom + 16}" text-anchor="middle">{num(x_hi)}</text>'
        f'<text x="{left + plot_w / 2:g}" y="{bottom + 36}" text-anchor="middle">{html.escape(x_title)}</text>'
        f'<text x="{left - 40}" y="{TOP + plot_h / 2:g}" text-anchor="middle" '
        f'transform="rotate(-90 {left - 40} {TOP + plot_h / 2:g})">{html.escape(y_title)}</text></g>',
    ]
    if target is not None:
        _, ty = px(x_lo, target)
        body.append(
            f'<line x1="{left}" y1="{num(ty)}" x2="{left + plot_w}" y2="{num(ty)}" stroke="{PALETTE[1]}" '
            f'stroke-dasharray="5 4"/><text x="{left + plot_w + 6}" y="{num(ty + 4)}" fill="currentColor" '
            f'font-size="11">{html.escape(target_label)}</text>'
        )
    if points:
        path = " ".join(f"{num(a)},{num(b)}" for a, b in (px(x, y) for x, y in points))
        body.append(f'<polyline points="{path}" fill="none" stroke="{PALETTE[0]}" stroke-width="2"/>')
        for x, y in points:
            cx, cy = px(x, y)
            body.append(
                f'<circle cx="{num(cx)}" cy="{num(cy)}" r="3" fill="{PALETTE[0]}"><title>'
                f"{html.escape(f'{num(x)}: {num(y, 3)}')}</title></circle>"
            )
    return svg_document(title, desc, body, width=width, height=height, title_x=8)
