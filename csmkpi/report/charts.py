"""The report's charts: Vega-Lite specs (plain data) and their SVG, drawn by vl-convert (extra ``report``).

A spec is a dict, testable without drawing it. ``svg`` turns one into inline SVG with ids made unique
on the page (``<prefix>-…``) and no script. Colours are the Okabe-Ito palette, which stays distinct for
the common colour-vision deficiencies, and never the only cue: signal points are diamonds, the
control limits dashed, a decrease in the waterfall is labelled with its minus sign.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Sequence
from typing import Any

from csmkpi.metrics.base import Unit

BLUE = "#0072B2"
VERMILLION = "#D55E00"
ORANGE = "#E69F00"
GREEN = "#009E73"
GREY = "#595959"
BLACK = "#000000"
FONT = "Liberation Sans"  # metric-compatible with Arial; fixed so that the bytes do not depend on a default
VEGA_LITE = "5.21"  # pinned: another Vega-Lite would draw other bytes
WIDTH, HEIGHT = 340, 150  # the chart's whole size in pixels (autosize fit): the same for every trend chart
AXIS_FORMATS = {
    Unit.RATIO: ".0%",
    Unit.CURRENCY: ",.0f",
    Unit.POINTS: "+.0f",
    Unit.DAYS: ",.0f",
    Unit.COUNT: ",.4~f",
}
_CONFIG: dict[str, Any] = {
    "font": FONT,
    "view": {"stroke": None},
    "background": "white",
    "axis": {"labelFontSize": 10, "titleFontSize": 10, "gridColor": "#e6e6e6"},
    "legend": {"labelFontSize": 10, "titleFontSize": 10},
    "aria": False,  # the page carries the text alternative, next to the chart
}
_SCHEMA = "https://vega.github.io/schema/vega-lite/v5.json"


def _base(data: list[dict[str, Any]], width: int = WIDTH, height: int = HEIGHT) -> dict[str, Any]:
    return {
        "$schema": _SCHEMA,
        "width": width,
        "height": height,
        "autosize": {"type": "fit", "contains": "padding"},
        "config": _CONFIG,
        "data": {"values": data},
    }


def trend_spec(points: Sequence[dict[str, Any]], unit: Unit) -> dict[str, Any]:
    """A KPI's months: the value line, centre (solid grey), limits (dashed), signal points as diamonds.

    Args:
        points: One dict per month, in time order: ``period``, ``value``, ``centre``, ``lower_limit``,
            ``upper_limit`` (None without limits) and ``signal`` (the codes, "" when none).
        unit: The KPI's unit, for the axis format.
    """
    data = [
        {**p, "kind": "signal" if p.get("signal") else "routine", "signal": p.get("signal") or "none"} for p in points
    ]
    x = {"field": "period", "type": "ordinal", "sort": None, "title": None, "axis": {"labelAngle": -45}}
    fmt = AXIS_FORMATS.get(unit, ",.4~f")

    def line(field: str, colour: str, dash: list[int] | None) -> dict[str, Any]:
        mark: dict[str, Any] = {"type": "line", "color": colour, "strokeWidth": 1}
        if dash:
            mark["strokeDash"] = dash
        return {"mark": mark, "encoding": {"x": x, "y": {"field": field, "type": "quantitative"}}}

    y = {"field": "value", "type": "quantitative", "title": None, "scale": {"zero": False}, "axis": {"format": fmt}}
    return _base(data) | {
        "layer": [
            line("upper_limit", VERMILLION, [4, 3]),
            line("lower_limit", VERMILLION, [4, 3]),
            line("centre", GREY, None),
            {"mark": {"type": "line", "color": BLUE, "strokeWidth": 2}, "encoding": {"x": x, "y": y}},
            {
                "mark": {"type": "point", "filled": True, "opacity": 1},
                "encoding": {
                    "x": x,
                    "y": {"field": "value", "type": "quantitative"},
                    "shape": {
                        "field": "kind",
                        "type": "nominal",
                        "scale": {"domain": ["routine", "signal"], "range": ["circle", "diamond"]},
                        "legend": None,
                    },
                    "color": {
                        "field": "kind",
                        "type": "nominal",
                        "scale": {"domain": ["routine", "signal"], "range": [BLUE, VERMILLION]},
                        "legend": None,
                    },
                    "size": {
                        "field": "kind",
                        "type": "nominal",
                        "scale": {"domain": ["routine", "signal"], "range": [30, 110]},
                        "legend": None,
                    },
                },
            },
        ],
    }


def waterfall_spec(steps: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Start MRR, the movements as floating bars, end MRR; each bar labelled with its signed amount.

    Args:
        steps: One dict per bar, in order: ``label``, ``low``, ``high`` (the bar's ends), ``kind``
            (``total``, ``increase``, ``decrease``) and ``text`` (its label, e.g. ``−13,707``).
    """
    x = {"field": "label", "type": "ordinal", "sort": None, "title": None, "axis": {"labelAngle": 0}}
    kinds = {"domain": ["total", "increase", "decrease"], "range": [GREY, BLUE, VERMILLION]}
    return _base(list(steps), width=620, height=260) | {
        "layer": [
            {
                "mark": {"type": "bar"},
                "encoding": {
                    "x": x,
                    "y": {"field": "low", "type": "quantitative", "title": "MRR", "axis": {"format": ",.0f"}},
                    "y2": {"field": "high"},
                    "color": {"field": "kind", "type": "nominal", "scale": kinds, "title": None},
                },
            },
            {
                "mark": {"type": "text", "dy": -6, "fontSize": 10, "color": BLACK},
                "encoding": {"x": x, "y": {"field": "high", "type": "quantitative"}, "text": {"field": "text"}},
            },
        ],
    }


def pareto_spec(rows: Sequence[dict[str, Any]], measure: str) -> dict[str, Any]:
    """A Pareto: one bar per reason in rank order, and the cumulative share as a line of squares.

    Args:
        rows: One dict per reason in rank order: ``reason``, ``amount``, ``cumulative`` (0-1).
        measure: The bars' axis title (``logos`` or ``lost MRR``); the page's figure carries the title.
    """
    x = {
        "field": "reason",
        "type": "ordinal",
        "sort": None,
        "title": None,
        "axis": {"labelAngle": -30, "labelLimit": 140},
    }
    return _base(list(rows), width=420, height=240) | {
        "layer": [
            {
                "mark": {"type": "bar", "color": BLUE},
                "encoding": {
                    "x": x,
                    "y": {
                        "field": "amount",
                        "type": "quantitative",
                        "title": measure,
                        "axis": {"format": ",.0f", "tickMinStep": 1},
                    },
                },
            },
            {
                "mark": {"type": "line", "color": BLACK, "point": {"shape": "square", "color": BLACK}},
                "encoding": {
                    "x": x,
                    "y": {
                        "field": "cumulative",
                        "type": "quantitative",
                        "title": "cumulative share",
                        "scale": {"domain": [0, 1]},
                        "axis": {"format": ".0%"},
                    },
                },
            },
        ],
        "resolve": {"scale": {"y": "independent"}},
    }


_ID = re.compile(r'\bid="([^"]+)"')
_SCRIPT = re.compile(r"<\s*/?\s*script", re.IGNORECASE)


def svg(spec: dict[str, Any], prefix: str) -> str:
    """The spec drawn as SVG, its ids prefixed (``<prefix>-clip1``) so that charts on one page never clash."""
    from csmkpi.extras import require

    vlc = require("vl_convert", "report", purpose="csmkpi report")
    # Compiled to Vega, then drawn: the same bytes as vegalite_to_svg, measured 20-30% faster.
    drawn: str = vlc.vega_to_svg(vlc.vegalite_to_vega(spec, vl_version=VEGA_LITE))
    for name in sorted(set(_ID.findall(drawn)), key=len, reverse=True):
        new = f"{prefix}-{name}"
        drawn = drawn.replace(f'id="{name}"', f'id="{new}"').replace(f"url(#{name})", f"url(#{new})")
        drawn = drawn.replace(f'href="#{name}"', f'href="#{new}"')
    if _SCRIPT.search(drawn):  # text is escaped by Vega; a script element must never reach the page
        raise ValueError("a chart's SVG holds a script element")
    # Decorative for assistive technology: the figure's caption and list say what it shows.
    return drawn.replace("<svg ", '<svg aria-hidden="true" focusable="false" ', 1)


_PROBE = (
    "import vl_convert as v; v.vega_to_svg(v.vegalite_to_vega("
    f"{{'data': {{'values': [{{'a': 1}}]}}, 'mark': 'point'}}, vl_version={VEGA_LITE!r}))"
)


def check_address_space() -> None:
    """Under an address-space limit (``ulimit -v``), make sure the chart engine can start, before any data is read.

    V8, vl-convert's JavaScript engine, reserves tens of GiB of address space as it starts (reserved, not
    used: 64 GiB was too little for vl-convert 1.9), and dies (SIGTRAP) when it cannot: no Python code
    runs to say why. It is tried in a separate process, only under such a limit (about a second).

    Raises:
        ResourceError: The engine cannot start under this limit.
    """
    import resource
    import subprocess
    import sys

    from csmkpi.errors import ResourceError

    soft, _ = resource.getrlimit(resource.RLIMIT_AS)
    if soft == resource.RLIM_INFINITY:
        return
    try:
        probe = subprocess.run([sys.executable, "-c", _PROBE], capture_output=True, timeout=120, check=False)
        started = probe.returncode == 0
    except (OSError, subprocess.SubprocessError):  # no process could start either: no room at all
        started = False
    if not started:
        raise ResourceError(
            f"csmkpi report draws its charts with vl-convert, whose JavaScript engine (V8) reserves tens of GiB "
            f"of address space as it starts (reserved, not used), and it cannot start under this limit of "
            f"{soft / 2**30:.1f} GiB (ulimit -v); lift it (ulimit -v unlimited) and cap memory with ulimit -d "
            f"or a cgroup (systemd-run --scope -p MemoryMax=2G ...), which count memory used, not reserved"
        )


class WarmUp:
    """Start vl-convert's JavaScript engine in a thread (about a second), while the data loads."""

    def __init__(self) -> None:
        self._thread = threading.Thread(target=self._run, name="csmkpi-charts-warm-up", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            import vl_convert

            tiny = _base([{"a": 1}]) | {"mark": "point"}
            vl_convert.vega_to_svg(vl_convert.vegalite_to_vega(tiny, vl_version=VEGA_LITE))
        except Exception:  # noqa: BLE001, S110 - only a head start; drawing for real reports any problem
            pass

    def join(self) -> None:
        """Wait for the warm-up to end."""
        self._thread.join()


def warm_up() -> WarmUp:
    """Start warming the chart engine up."""
    return WarmUp()
