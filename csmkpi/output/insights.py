"""Rich views of the insights (SPEC §8): control limits, drivers and churn reasons on a terminal."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.console import RenderableType
from rich.table import Table
from rich.text import Text

from csmkpi.groups import resolve
from csmkpi.metrics.base import Unit
from csmkpi.output.render import format_value, sparkline

if TYPE_CHECKING:
    from csmkpi.insights.drivers import Drivers
    from csmkpi.insights.limits import LimitedTrend
    from csmkpi.insights.reasons import Reasons

SIGNAL_STYLE = "bold red"


def plain_number(value: float | None, unit: Unit) -> str:
    """A number as the signal lines write it: ratios as fractions with 3 decimals, others plainly."""
    if value is None:
        return ""
    if unit is Unit.RATIO:
        return f"{value:.3f}"
    text = f"{value:,.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _marked(values: list[float | None], signalled: list[bool]) -> Text:
    """The sparkline, signal points in colour, and a second line with ^ under them (no colour needed)."""
    line = sparkline(values) or " " * len(values)
    text = Text()
    for char, flagged in zip(line, signalled, strict=True):
        text.append(char, style=SIGNAL_STYLE if flagged else "")
    if any(signalled):
        text.append("\n" + "".join("^" if flagged else " " for flagged in signalled).rstrip())
    return text


def limits_view(result: LimitedTrend, group: str) -> list[RenderableType]:
    """Per KPI of one group: a sparkline with the signal points marked, centre and limits; then one line per signal."""
    trend = result.trend
    if not trend.cards:
        return []
    rows = result.long_table()
    card = trend.cards[0]
    # By id or name, any case, with "did you mean" (SPEC 6), as the trend view without limits.
    group = resolve([group], {g: card.names.get(g, "") for g in rows["group"].unique().to_list()}, card.group_by)[0]
    labels = [card.period.label for card in trend.cards]
    baseline = result.baseline or len(labels)
    limits = trend.limits
    table = Table(
        title=f"Control limits for {group} by {trend.grain}",
        caption=f"{trend.range.label}: {trend.range.start} → {trend.range.end}"
        f"{' · last period PARTIAL' if trend.cards[-1].period.partial else ''} · baseline: first {baseline} of "
        f"{len(labels)} · limits = centre ± 2.66 × mean moving range (XmR) · ^ marks a signal "
        f"(limit, range, run of {limits.run_length}, 3 of 4 near a limit)",
        caption_justify="left",
    )
    table.add_column("KPI", overflow="fold")
    # Neither the sparkline (one character per sub-period) nor a number is ever cut; the label wraps instead.
    # The limits read like the chart: upper limit, centre, lower limit, one above the other.
    table.add_column(f"{labels[0]} … {labels[-1]}", no_wrap=True, min_width=len(labels))
    table.add_column("upper\ncentre\nlower", justify="right", no_wrap=True)
    table.add_column("signals", justify="right", no_wrap=True)
    mine = rows.filter(rows["group"] == group)
    for kpi in trend.cards[0].kpis:
        series = {row["period"]: row for row in mine.filter(mine["kpi"] == kpi.id).iter_rows(named=True)}
        values = [series[label]["value"] if label in series else None for label in labels]
        signalled = [label in series and series[label]["signal"] is not None for label in labels]
        first = next(iter(series.values()), {})
        limited = first.get("centre") is not None
        bounds = [format_value(first[name], kpi.unit) for name in ("upper_limit", "centre", "lower_limit")]
        table.add_row(
            kpi.label,
            _marked(values, signalled),
            "\n".join(bounds) if limited else "no limits",
            str(sum(signalled)) if limited else "",
        )
    units = {kpi.id: kpi.unit for kpi in trend.cards[0].kpis}
    lines: list[RenderableType] = [table]
    signals = result.signals(group)
    for signal in signals:
        unit = units[signal.kpi]

        def number(value: float, unit: Unit = unit) -> str:
            return plain_number(value, unit)

        text = f"{signal.kpi} {signal.group} {signal.period} {number(signal.value)} {signal.describe(number)}"
        lines.append(Text(text))
    if not signals:
        lines.append(Text(f"no signals for {group}: every point is within its limits", style="dim"))
    return lines


BAR_WIDTH = 20


def _pareto_bar(share: float | None, cumulative: float | None) -> Text:
    """A bar of the reason's share and a ◆ where the cumulative share stands, on one scale."""
    filled = round((share or 0.0) * BAR_WIDTH)
    mark = min(BAR_WIDTH, round((cumulative or 0.0) * BAR_WIDTH))
    text = Text("█" * filled, style="cyan")
    text.append(" " * max(0, mark - filled))
    text.append("◆", style="bold")
    return text


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def reasons_view(result: Reasons, group: str) -> RenderableType:
    """One group's reasons by rank: a bar of each share, the cumulative share, logos and lost MRR."""
    group = result.group_id(group)
    rows = result.of(group)
    period = result.period
    if rows.is_empty():
        return Text(result.empty_message(group), style="dim")
    measure = "lost MRR" if result.rank_by == "mrr" else "logos"
    share, cumulative = ("mrr_share", "cum_mrr_share") if result.rank_by == "mrr" else ("logo_share", "cum_logo_share")
    logos = int(rows["logos"].sum()) if rows.height else 0
    lost = float(rows["lost_mrr"].sum()) if rows.height else 0.0
    table = Table(
        title=f"Churn reasons for {group} ({result.group_by}), ranked by {measure}",
        caption=f"{period.label}: {period.start} → {period.end}{' · PARTIAL' if period.partial else ''} · "
        f"as of {result.as_of} · {logos} churned account{'s' if logos != 1 else ''}, {lost:,.0f} lost MRR · "
        f"█ share of {measure} · ◆ cumulative share",
        caption_justify="left",
    )
    table.add_column("#", justify="right")
    table.add_column("reason", overflow="fold", min_width=12)
    table.add_column(f"share of {measure}", no_wrap=True, min_width=BAR_WIDTH + 1)
    for name in ("share", "cum.", "logos", "lost MRR"):
        table.add_column(name, justify="right", no_wrap=True)
    for row in rows.iter_rows(named=True):
        table.add_row(
            str(row["rank"]),
            row["reason"],
            _pareto_bar(row[share], row[cumulative]),
            _percent(row[share]),
            _percent(row[cumulative]),
            f"{row['logos']:,}",
            f"{row['lost_mrr']:,.0f}",
        )
    return table


def _num(value: float | None, digits: int = 3) -> str:
    return "" if value is None else f"{value:,.{digits}f}"


def _p_value(value: float | None) -> str:
    if value is None:
        return ""
    return "<0.001" if value < 0.001 else f"{value:.3f}"


def drivers_view(result: Drivers) -> RenderableType:
    """The drivers table, one row per indicator, with the caveat as its footer."""
    from csmkpi.insights.drivers import CAVEAT

    binary = result.outcome != "nrr"
    rows = result.table()
    first = rows.row(0, named=True) if rows.height else None
    counts = f"{first['n']:,} accounts modelled of {result.cohort:,}" if first else f"{result.cohort:,} accounts"
    if first and binary and first["events"] is not None:
        counts += f", {first['events']:,} with {result.outcome}"
    effect = "change in log-odds" if binary else "change in NRR"
    window = result.outcome_window
    table = Table(
        title=f"Drivers of {result.outcome}: {result.period.label} → {window.start:%Y-%m} … {window.end:%Y-%m}",
        caption=f"{result.period.label}: {result.period.start} → {result.period.end} · outcome read at "
        f"{window.end} · as of {result.as_of} · {counts} · coef: {effect} per one standard deviation\n{CAVEAT}",
        caption_justify="left",
    )
    names = ["indicator", "mean", "sd", "coef", "95% CI", "p", *(["odds ratio"] if binary else []), "VIF", "flags"]
    for name in names:
        table.add_column(name, justify="left" if name in ("indicator", "flags") else "right")
    for row in rows.iter_rows(named=True):
        interval = "" if row["ci_low"] is None else f"{_num(row['ci_low'])} … {_num(row['ci_high'])}"
        strong = row["p_value"] is not None and row["p_value"] < 0.05
        cells: list[str | Text] = [
            row["label"],
            _num(row["mean"]),
            _num(row["sd"]),
            Text(_num(row["coef"]), style="bold" if strong else ""),
            interval,
            _p_value(row["p_value"]),
        ]
        if binary:
            cells.append(_num(row["odds_ratio"], 2))
        cells.extend([_num(row["vif"], 2), Text(row["flags"] or "", style="yellow")])
        table.add_row(*cells)
    return table
