"""The gap finder, the charts and the small statistics: pure code on seeded synthetic data, no database."""

from __future__ import annotations

import re
from datetime import date
from xml.etree import ElementTree

import numpy as np
import pytest

from analytics import charts, gaps, summaries


def blobs(centres: int, per: int, dim: int = 32, spread: float = 0.05, seed: int = 0) -> tuple[np.ndarray, list[int]]:
    """``per`` unit vectors around each of ``centres`` random directions, and which centre each came from."""
    rng = np.random.default_rng(seed)
    axes = rng.normal(size=(centres, dim))
    rows, truth = [], []
    for c in range(centres):
        for _ in range(per):
            rows.append(axes[c] / np.linalg.norm(axes[c]) + rng.normal(0, spread, dim))
            truth.append(c)
    return np.array(rows, dtype=np.float32), truth


def test_separate_topics_become_separate_groups() -> None:
    vectors, truth = blobs(3, 5)
    groups = gaps.cluster_rows(vectors)
    assert sorted(sorted(truth[i] for i in g) for g in groups) == [[0] * 5, [1] * 5, [2] * 5]


def test_grouping_is_deterministic_and_ordered_by_size() -> None:
    big, _ = blobs(1, 6, seed=1)
    small, _ = blobs(1, 2, seed=2)
    vectors = np.vstack([small, big])
    assert gaps.cluster_rows(vectors) == gaps.cluster_rows(vectors) == [[2, 3, 4, 5, 6, 7], [0, 1]]


def test_no_rows_and_one_row() -> None:
    assert gaps.cluster_rows(np.zeros((0, 4))) == []
    assert gaps.cluster_rows(np.ones((1, 4))) == [[0]]
    with pytest.raises(ValueError, match="2-d"):
        gaps.cluster_rows(np.ones(4))


def test_each_gap_names_its_nearest_section_and_whether_the_book_covers_it() -> None:
    vectors, _ = blobs(2, 4, seed=3)
    near = vectors[:4].mean(axis=0)  # a passage right on topic 0
    far = -vectors[4:].mean(axis=0)  # a passage opposite topic 1
    found = gaps.find_gaps(vectors, np.vstack([near, far]), [101, 202])

    assert [g.size for g in found] == [4, 4]
    on_topic, elsewhere = sorted(found, key=lambda g: min(g.members))
    assert set(on_topic.members) == {0, 1, 2, 3}
    assert on_topic.section_id == 101 and on_topic.covered and on_topic.similarity > 0.9
    assert not elsewhere.covered and elsewhere.similarity < 0.5  # its nearest passage is still far off
    assert all(g.cohesion > 0.9 for g in found)


def test_singletons_are_not_gaps_and_no_passages_means_no_section() -> None:
    vectors, _ = blobs(3, 1, seed=4)
    assert gaps.find_gaps(vectors, np.zeros((0, 32)), []) == []
    pair, _ = blobs(1, 2, seed=5)
    (only,) = gaps.find_gaps(pair, np.zeros((0, 32)), [])
    assert only.section_id is None and not only.covered


def test_the_most_central_question_comes_first() -> None:
    centre = np.zeros(8, np.float32)
    centre[0] = 1
    off = centre.copy()
    off[1] = 0.6
    vectors = np.vstack([off, centre, centre * 0.9 + off * 0.1])
    (group,) = gaps.find_gaps(vectors, centre[None, :], [1])
    assert group.members[0] != 0  # the outlier is not the representative


def parse(svg: str) -> ElementTree.Element:
    return ElementTree.fromstring(svg)  # noqa: S314 - our own output


def test_the_heatmap_has_one_cell_per_count_and_escapes_labels() -> None:
    svg = charts.heatmap_svg(
        ["Sampling › <script>alert(1)</script>", "Aliasing"], ["wk 1", "wk 2", "wk 3"], [[0, 2, 5], [1, 0, 0]],
        title="Questions", desc="per section",
    )  # fmt: skip
    root = parse(svg)
    cells = root.findall(".//{http://www.w3.org/2000/svg}rect")
    assert len(cells) == 6
    assert "<script>" not in svg and "&lt;script&gt;" in svg
    tips = [c.find("{http://www.w3.org/2000/svg}title").text for c in cells]
    assert "Aliasing, wk 1: 1 question" in tips and any(t.endswith(": 5 questions") for t in tips)
    with pytest.raises(ValueError, match="one row per row label"):
        charts.heatmap_svg(["a"], ["x", "y"], [[1]], title="t", desc="d")


def test_stacked_bars_stack_to_each_total() -> None:
    svg = charts.stacked_bars_svg(
        ["d1", "d2"], {"shown": [3, 0], "flagged": [1, 2]}, title="t", desc="d",
        colours={"shown": "#000", "flagged": "#111"},
    )  # fmt: skip
    heights = [float(r.get("height")) for r in parse(svg).iter("{http://www.w3.org/2000/svg}rect") if r.get("height")]
    bars = heights[:3]  # then the legend swatches
    assert sum(bars[:2]) == pytest.approx(180.0)  # the tallest column fills the plot
    assert bars[2] == pytest.approx(90.0)


def test_the_line_chart_draws_every_point_and_the_target() -> None:
    svg = charts.line_svg([(10, 0.2), (20, 0.1), (30, 0.05)], title="ECE", desc="d", x_title="n", y_title="ECE",
                          target=0.1, target_label="target")  # fmt: skip
    assert len(parse(svg).findall(".//{http://www.w3.org/2000/svg}circle")) == 3
    assert 'stroke-dasharray="5 4"' in svg and ">target<" in svg


@pytest.mark.parametrize(
    ("k", "n", "low", "high"),
    [(0, 10, 0.0, 0.3085), (10, 10, 0.6915, 1.0), (5, 10, 0.1871, 0.8129), (0, 0, 0.0, 1.0)],
)
def test_clopper_pearson_matches_the_exact_interval(k: int, n: int, low: float, high: float) -> None:
    assert summaries.clopper_pearson(k, n) == pytest.approx((low, high), abs=1e-4)


def test_clopper_pearson_refuses_impossible_counts() -> None:
    with pytest.raises(ValueError, match="0 <= k <= n"):
        summaries.clopper_pearson(3, 2)


def test_the_ece_trajectory_follows_the_verdicts_as_they_arrive() -> None:
    rng = np.random.default_rng(0)
    p = rng.uniform(0, 1, 200)
    calibrated = rng.uniform(0, 1, 200) < p
    overconfident = np.zeros(200, dtype=bool)
    good, bad = summaries.ece_trajectory(p, calibrated), summaries.ece_trajectory(p, overconfident)
    assert [k for k, _ in good] == [k for k, _ in bad] and good[0][0] == 10 and good[-1][0] == 200
    assert len(good) <= 12
    assert good[-1][1] < 0.1 < bad[-1][1]
    assert summaries.ece_trajectory(p[:5], calibrated[:5]) == []


def test_periods_are_days_for_a_new_course_and_weeks_later() -> None:
    kind, days = summaries.periods(date(2026, 3, 1), date(2026, 3, 5))
    assert kind == "day" and days[0] == date(2026, 3, 1) and len(days) == 5
    kind, weeks = summaries.periods(date(2025, 1, 1), date(2026, 3, 5))
    assert kind == "week" and len(weeks) == 12 and all(w.weekday() == 0 for w in weeks)
    assert weeks[-1] == date(2026, 3, 2)
    assert re.fullmatch(r"\d{4}-\d\d-\d\d", weeks[0].isoformat())
