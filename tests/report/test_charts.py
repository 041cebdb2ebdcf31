"""Chart specs are plain data; their SVG is deterministic, script-free, escaped, with ids unique on the page."""

from __future__ import annotations

import re

from csmkpi.metrics.base import Unit
from csmkpi.report import charts

POINTS = [
    {"period": f"2026-{m:02d}", "value": v, "centre": 0.5, "lower_limit": 0.2, "upper_limit": 0.8, "signal": s}
    for m, v, s in [(1, 0.5, ""), (2, 0.9, "limit"), (3, None, ""), (4, 0.4, "")]
]


def test_trend_spec_marks_signals_by_shape_and_colour() -> None:
    spec = charts.trend_spec(POINTS, Unit.RATIO)
    kinds = [p["kind"] for p in spec["data"]["values"]]
    assert kinds == ["routine", "signal", "routine", "routine"]
    points = spec["layer"][-1]["encoding"]
    assert points["shape"]["scale"]["range"] == ["circle", "diamond"]
    assert points["color"]["scale"]["range"] == [charts.BLUE, charts.VERMILLION]
    assert spec["layer"][0]["mark"]["strokeDash"]  # limits dashed, not told by colour alone
    assert spec["config"]["font"] == charts.FONT


def test_svg_is_deterministic_and_has_no_script() -> None:
    spec = charts.trend_spec(POINTS, Unit.RATIO)
    first, second = charts.svg(spec, "a"), charts.svg(spec, "a")
    assert first == second
    assert first.startswith('<svg aria-hidden="true"') and "<script" not in first.lower()


def test_ids_are_prefixed_per_chart() -> None:
    spec = charts.pareto_spec([{"reason": "price", "amount": 3, "cumulative": 1.0}], "logos")
    spec["layer"][0]["mark"]["clip"] = True  # a clip path: Vega gives it an id
    one, two = charts.svg(spec, "p1"), charts.svg(spec, "p2")
    ids_one, ids_two = set(re.findall(r'id="([^"]+)"', one)), set(re.findall(r'id="([^"]+)"', two))
    assert ids_one and all(i.startswith("p1-") for i in ids_one)
    assert not ids_one & ids_two
    for ref in re.findall(r"url\(#([^)]+)\)", one):
        assert ref in ids_one


def test_labels_are_escaped_in_the_svg() -> None:
    rows = [
        {"reason": "<script>alert(1)</script>", "amount": 2, "cumulative": 0.5},
        {"reason": "a & b", "amount": 1, "cumulative": 1.0},
    ]
    drawn = charts.svg(charts.pareto_spec(rows, "logos"), "x")
    assert "<script>" not in drawn and "&lt;script&gt;alert(1)&lt;/script&gt;" in drawn
    assert "a &amp; b" in drawn


def test_waterfall_bars() -> None:
    steps = [
        {"label": "Start MRR", "low": 0, "high": 100, "kind": "total", "text": "100"},
        {"label": "Churn", "low": 90, "high": 100, "kind": "decrease", "text": "−10"},
        {"label": "End MRR", "low": 0, "high": 90, "kind": "total", "text": "90"},
    ]
    spec = charts.waterfall_spec(steps)
    assert spec["layer"][0]["encoding"]["color"]["scale"]["range"] == [charts.GREY, charts.BLUE, charts.VERMILLION]
    assert "−10" in charts.svg(spec, "w")
