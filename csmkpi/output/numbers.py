"""Numbers for people (the terminal, markdown, XLSX captions): the one place a value becomes text.

Machine formats (CSV, TSV, JSON, Parquet) carry raw values and never come here. Every text this
module makes is the machine value rounded for reading, never in scientific notation: ratios as
percentages with one decimal, money and counts with thousands separators, NPS points signed.
"""

from __future__ import annotations

import math

from csmkpi.metrics.base import Unit

NONE = "—"
UP, DOWN = "▲", "▼"
# Status marks, so a status reads without colour (NO_COLOR, colour blindness, a printout).
MARKS = {"green": "✓", "amber": "~", "red": "✗", "low-n": "?", "no-data": ""}
WORDS = {
    "green": "target met",
    "amber": "close: at least amber_at of the target",
    "red": "below",
    "low-n": "sample below min_sample (not scored)",
}
STYLES = {"green": "green", "amber": "yellow", "red": "red", "low-n": "dim", "no-data": "dim"}


def _clean(value: float) -> float:
    return 0.0 if value == 0 else value  # no "-0.0%"


def plain(value: float | int | None) -> str:
    """A raw number with thousands separators: whole (``12``, ``71,823``) or with two decimals (``71,819.04``)."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return ""
    if float(value).is_integer():
        return f"{_clean(float(value)):,.0f}"
    return f"{_clean(round(float(value), 2)):,.2f}"


def plain_column(values: list[float | int | None]) -> list[str]:
    """Raw numbers of one column, all with two decimals when any has a fraction (they line up)."""
    fractions = any(v is not None and math.isfinite(v) and not float(v).is_integer() for v in values)
    if not fractions:
        return [plain(v) for v in values]
    return ["" if v is None or not math.isfinite(v) else f"{_clean(round(float(v), 2)):,.2f}" for v in values]


def human(value: float | None, unit: Unit) -> str:
    """A KPI value as people read it: ``97.4%``, ``+48.3``, ``71,823``, ``7.6``, ``31.5 d``."""
    if value is None or not math.isfinite(value):
        return NONE
    if unit is Unit.RATIO:
        return f"{_clean(round(value * 100, 1)):,.1f}%"
    if unit is Unit.POINTS:
        return f"{_clean(round(value, 1)):+,.1f}" if round(value, 1) != 0 else "0.0"
    if unit is Unit.CURRENCY:
        return f"{_clean(round(value)):,.0f}"
    if unit is Unit.DAYS:
        return f"{_clean(round(value, 1)):,.1f} d"
    return f"{_clean(value):,.0f}" if float(value).is_integer() else f"{_clean(round(value, 1)):,.1f}"


def change(delta: float | None, unit: Unit) -> str:
    """A change between two periods: ``▲ 2.1 pp`` for ratios (percentage points), ``▼ 1,234`` for money."""
    if delta is None or not math.isfinite(delta):
        return ""
    size = abs(delta)
    if unit is Unit.RATIO:
        text, shown = f"{round(size * 100, 1):,.1f} pp", round(size * 100, 1)
    elif unit is Unit.CURRENCY:
        text, shown = f"{round(size):,.0f}", round(size)
    elif unit is Unit.DAYS:
        text, shown = f"{round(size, 1):,.1f} d", round(size, 1)
    elif unit is Unit.COUNT and float(delta).is_integer():
        text, shown = f"{size:,.0f}", size
    else:
        text, shown = f"{round(size, 1):,.1f}", round(size, 1)
    if shown == 0:
        return f"= {text}"
    return f"{UP if delta > 0 else DOWN} {text}"


def target(value: float | None, better: str, unit: Unit) -> str:
    """``≥ 102.0%`` (higher is better) or ``≤ 3.0%`` (lower is better); empty without a target."""
    if value is None:
        return ""
    return f"{'≤' if better == 'lower' else '≥'} {human(value, unit)}"


def score(value: float | None) -> str:
    """A composite score (0-150) with one decimal."""
    return NONE if value is None else f"{_clean(round(value, 1)):.1f}"


def percent(value: float | None) -> str:
    """An attainment or a share as a percentage (``95.0%``)."""
    return "" if value is None else f"{_clean(round(value * 100, 1)):,.1f}%"
