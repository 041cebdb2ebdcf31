"""The report's chart sections as the template needs them: figures (SVG, title, text alternative) and tables."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import polars as pl

from csmkpi.dimensions import ALL
from csmkpi.metrics.base import Unit
from csmkpi.output import numbers
from csmkpi.report import charts
from csmkpi.report.html import (
    CHARTS_PER_SHEET,
    DRIVERS_ROWS,
    REASONS_CHARTED,
    REASONS_FIRST,
    REASONS_ROWS,
    SIGNAL_WORDS,
    Num,
    chunks,
    plain,
    share,
    value,
)
from csmkpi.rollup import GROUP

if TYPE_CHECKING:
    from csmkpi.report.build import Report


def trend(report: Report) -> dict[str, Any]:
    """One figure per KPI of the scorecard: ALL over the 12 months, limits and signals; in sheets of charts."""
    limited = report.trend
    span = limited.trend.range
    table = limited.long_table().filter(pl.col(GROUP) == ALL)
    by_kpi = table.partition_by("kpi", as_dict=True, maintain_order=True)
    figures = []
    for n, kpi in enumerate(report.card.kpis):
        rows = by_kpi.get((kpi.id,))
        points = rows.iter_rows(named=True) if rows is not None else iter(())
        figures.append(_trend_figure(n, kpi.id, kpi.label, kpi.unit, list(points)))
    return {
        "range": span,
        "months": len(limited.trend.cards),
        "sheets": chunks(figures, CHARTS_PER_SHEET),
    }


def _trend_figure(n: int, kpi: str, label: str, unit: Unit, rows: list[dict[str, Any]]) -> dict[str, Any]:
    def num(row: dict[str, Any], column: str) -> Num:
        return value(row[column], unit, src="trend", kpi=kpi, group=ALL, period=row["period"], field=column)

    points = [
        {
            "period": row["period"],
            "value": num(row, "value"),
            "signals": [SIGNAL_WORDS[c] for c in (row["signal"] or "").split(";") if c],
        }
        for row in rows
    ]
    first = rows[0] if rows else None
    limits = None
    if first is not None and first["centre"] is not None:
        limits = {c: num(first, c) for c in ("centre", "lower_limit", "upper_limit")}
    drawn = None
    if any(row["value"] is not None for row in rows):
        spec = charts.trend_spec(
            [
                {
                    "period": row["period"],
                    "value": row["value"],
                    "centre": row["centre"],
                    "lower_limit": row["lower_limit"],
                    "upper_limit": row["upper_limit"],
                    "signal": row["signal"] or "",
                }
                for row in rows
            ],
            unit,
        )
        drawn = charts.svg(spec, f"t{n}")
    return {"id": f"trend-{n}", "kpi": kpi, "label": label, "points": points, "limits": limits, "svg": drawn}


def waterfall(report: Report) -> dict[str, Any] | None:
    """The waterfall figure and its table, or None (the note says why)."""
    found = report.waterfall
    if found is None:
        return None
    steps, bars, level = [], [], 0.0
    for step in found.steps:
        attrs = {"src": "score" if step.kpi else "derived", "group": ALL, "field": step.field}
        if step.kpi:
            attrs["kpi"] = step.kpi
        else:
            attrs["derived"] = "start + new + reactivation + expansion - contraction - churn"
        shown = Num(numbers.human(step.amount, Unit.CURRENCY), step.amount, attrs)
        signed = shown.text if step.name in ("start", "end") else f"{'+' if step.sign > 0 else '−'}{shown.text}"
        steps.append({"name": step.name, "label": step.label, "amount": shown, "sign": signed})
        if step.name in ("start", "end"):
            low, high, kind = 0.0, step.amount, "total"
        else:
            low, high = (level, level + step.amount) if step.sign > 0 else (level - step.amount, level)
            kind = "increase" if step.sign > 0 else "decrease"
        level = high if step.sign > 0 or step.name == "start" else low
        bars.append({"label": step.label, "low": low, "high": high, "kind": kind, "text": signed})
    return {"period": found.period, "steps": steps, "svg": charts.svg(charts.waterfall_spec(bars), "w")}


def reasons(report: Report) -> dict[str, Any] | None:
    """The Pareto by lost MRR and by logos of ALL, with the table of the reasons, or None."""
    found, by_logos = report.reasons, report.reasons_by_logos
    if found is None or by_logos is None or by_logos.height == 0:
        return None
    by_mrr = found.rows.filter(pl.col(GROUP) == ALL)
    figures = []
    for name, rows, measure, amount, cumulative in (
        ("mrr", by_mrr, "lost MRR", "lost_mrr", "cum_mrr_share"),
        ("logos", by_logos, "logos", "logos", "cum_logo_share"),
    ):
        top = rows.head(REASONS_CHARTED)  # a readable chart; the table below has every reason
        data = [
            {"reason": r["reason"], "amount": r[amount], "cumulative": r[cumulative]} for r in top.iter_rows(named=True)
        ]
        spec = charts.pareto_spec(data, measure)
        figures.append(
            {
                "name": name,
                "measure": measure,
                "rows": _reason_rows(top, name),
                "more": rows.height - top.height,
                "svg": charts.svg(spec, f"r{name}"),
            }
        )
    every = _reason_rows(by_mrr, "mrr")
    parts: list[Sequence[dict[str, Any]]] = [every[:REASONS_FIRST]]
    if len(every) > REASONS_FIRST:
        parts.extend(chunks(every[REASONS_FIRST:], REASONS_ROWS))
    return {"period": found.period, "figures": figures, "parts": parts}


def _reason_rows(rows: pl.DataFrame, rank_by: str) -> list[dict[str, Any]]:
    src = f"reasons-{rank_by}"
    out = []
    for r in rows.iter_rows(named=True):
        attrs = {"src": src, "group": ALL, "reason": r["reason"]}
        out.append(
            {
                "rank": plain(r["rank"], None, **attrs, field="rank"),
                "reason": r["reason"],
                "logos": plain(r["logos"], None, **attrs, field="logos"),
                "logo_share": share(r["logo_share"], **attrs, field="logo_share"),
                "cum_logo_share": share(r["cum_logo_share"], **attrs, field="cum_logo_share"),
                "lost_mrr": value(r["lost_mrr"], Unit.CURRENCY, **attrs, field="lost_mrr"),
                "mrr_share": share(r["mrr_share"], **attrs, field="mrr_share"),
                "cum_mrr_share": share(r["cum_mrr_share"], **attrs, field="cum_mrr_share"),
            }
        )
    return out


def drivers(report: Report) -> dict[str, Any] | None:
    """The drivers table (one row per indicator), or None (the note says why)."""
    found = report.drivers
    if found is None:
        return None
    rows = []
    for r in found.table().iter_rows(named=True):
        attrs = {"src": "drivers", "indicator": r["indicator"]}
        rows.append(
            {
                "label": r["label"],
                "indicator": r["indicator"],
                "n": plain(r["n"], None, **attrs, field="n"),
                "events": plain(r["events"], None, **attrs, field="events"),
                "coef": plain(r["coef"], 3, **attrs, field="coef"),
                "ci_low": plain(r["ci_low"], 3, **attrs, field="ci_low"),
                "ci_high": plain(r["ci_high"], 3, **attrs, field="ci_high"),
                "p_value": plain(r["p_value"], 3, **attrs, field="p_value"),
                "odds_ratio": plain(r["odds_ratio"], 2, **attrs, field="odds_ratio"),
                "flags": r["flags"] or "",
            }
        )
    from csmkpi.insights.drivers import CAVEAT

    return {
        "period": found.period,
        "window": found.outcome_window,
        "outcome": found.outcome,
        "parts": chunks(rows, DRIVERS_ROWS),
        "caveat": CAVEAT,
    }
