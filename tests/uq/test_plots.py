"""uq.plots: the SVG strings parse, say what they show, escape names, stay small and never change for the same input."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import numpy as np

from uq import plots
from uq.metrics import reliability, risk_coverage
from uq.plots import MAX_POINTS, reliability_svg, risk_coverage_svg

NS = {"svg": "http://www.w3.org/2000/svg"}


def sample(seed: int, n: int = 1000) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    confidence = rng.random(n)
    return confidence, rng.random(n) < confidence


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)  # noqa: S314 - our own output, not untrusted input; parsing it is the check


def legend_texts(root: ET.Element) -> list[str]:
    legend = root.find("svg:g[@class='legend']", NS)
    assert legend is not None
    return [text.text or "" for text in legend.findall("svg:text", NS)]


def polyline_points(element: ET.Element) -> list[str]:
    return element.attrib["points"].split()


def test_reliability_svg_is_accessible_xml_with_a_legend() -> None:
    bins = {"verbaliser": reliability(*sample(0)), "mean log-prob": reliability(*sample(1), bins=10)}
    svg = reliability_svg(bins, title="Calibration on the held-out set")
    root = parse(svg)
    assert root.attrib["role"] == "img"
    assert root.attrib["viewBox"] == f"0 0 {plots.WIDTH} {plots.HEIGHT}" and root.attrib["width"] == str(plots.WIDTH)
    title, desc = root.find("svg:title", NS), root.find("svg:desc", NS)
    assert title is not None and title.text == "Calibration on the held-out set"
    assert desc is not None and "verbaliser" in (desc.text or "")
    assert root.attrib["aria-labelledby"] == f"{title.attrib['id']} {desc.attrib['id']}"
    assert legend_texts(root) == ["perfect calibration", "verbaliser", "mean log-prob"]
    assert "currentColor" in svg and 'stroke-dasharray="4 3"' in svg
    for tick in ("0", "0.25", "0.5", "0.75", "1"):
        assert f">{tick}</text>" in svg


def test_reliability_svg_skips_empty_bins() -> None:
    table = reliability(np.array([0.05, 0.08, 0.95]), np.array([0, 1, 1]), bins=10)  # 2 of 10 bins hold answers
    root = parse(reliability_svg({"m": table}, title="t"))
    series = root.find("svg:g[@class='series']", NS)
    assert series is not None
    assert len(series.findall("svg:circle", NS)) == 2
    polyline = series.find("svg:polyline", NS)
    assert polyline is not None and len(polyline_points(polyline)) == 2


def test_names_and_titles_are_escaped() -> None:
    name = "<b>&"
    svgs = [
        reliability_svg({name: reliability(*sample(2))}, title="a <i>title</i> & more"),
        risk_coverage_svg({name: risk_coverage(*sample(2))}, title="a <i>title</i> & more", target=0.1),
    ]
    for svg in svgs:
        assert "&lt;b&gt;&amp;" in svg and "<b>" not in svg and "<i>" not in svg
        root = parse(svg)
        assert name in legend_texts(root)
        title = root.find("svg:title", NS)
        assert title is not None and title.text == "a <i>title</i> & more"


def test_output_is_deterministic() -> None:
    curves = {"a": risk_coverage(*sample(3)), "b": risk_coverage(*sample(4))}
    assert risk_coverage_svg(curves, title="t", target=0.2) == risk_coverage_svg(curves, title="t", target=0.2)
    bins = {"a": reliability(*sample(3))}
    assert reliability_svg(bins, title="t") == reliability_svg(bins, title="t")


def test_long_curves_are_downsampled_keeping_both_ends() -> None:
    coverage, risk = risk_coverage(*sample(5, n=10_000))
    svg = risk_coverage_svg({"long": (coverage, risk)}, title="t")
    assert len(svg) < 20_000
    polyline = parse(svg).find("svg:polyline[@class='series']", NS)
    assert polyline is not None
    points = polyline_points(polyline)
    assert 2 <= len(points) <= MAX_POINTS
    # Pixel x of coverage 1/N (the first point) and of coverage 1 (the last): left edge 64, width 280.
    assert points[0].split(",")[0] == "64.03"
    assert points[-1].split(",")[0] == "344"


def test_risk_coverage_svg_target_line_and_y_range() -> None:
    # Risks stay under 0.3, so the y axis runs to 0.3 and its ticks are 0.075 apart.
    coverage = np.linspace(0.01, 1, 100)
    risk = 0.25 * coverage
    svg = risk_coverage_svg({"m": (coverage, risk)}, title="t", target=0.05)
    root = parse(svg)
    assert ">target risk</text>" in svg
    assert "target risk 0.05" in legend_texts(root)
    for tick in ("0.075", "0.15", "0.225", "0.3"):
        assert f">{tick}</text>" in svg
    # A target above every risk still shows: the axis grows to include it.
    assert ">0.6</text>" in risk_coverage_svg({"m": (coverage, risk)}, title="t", target=0.6)
    # Tiny risks zoom in no further than 0.1.
    assert ">0.1</text>" in risk_coverage_svg({"m": (coverage, 0.001 * coverage)}, title="t")
    assert "target risk" not in risk_coverage_svg({"m": (coverage, risk)}, title="t")
