"""Rich rendering for the terminal: the scorecard with coloured status, and issue lists."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, Literal, get_args, get_origin

from rich.console import Console
from rich.table import Table
from rich.text import Text

from csmkpi.errors import Issue
from csmkpi.metrics.base import Unit

if TYPE_CHECKING:
    from csmkpi.drilldown import Explanation
    from csmkpi.engine import Kpi, Scorecard
    from csmkpi.trends import Trend

STYLES = {"green": "green", "amber": "yellow", "red": "red", "low-n": "dim", "no-data": "dim"}


def format_value(value: float | None, unit: Unit) -> str:
    """Human form of a value: ratios as percentages (only here), money with separators."""
    if value is None:
        return "—"
    if unit is Unit.RATIO:
        return f"{value * 100:.1f}%"
    if unit is Unit.POINTS:
        return f"{value:+.1f}"
    if unit is Unit.CURRENCY:
        return f"{value:,.0f}"
    if unit is Unit.DAYS:
        return f"{value:.1f} d"
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"


def period_caption(card: Scorecard) -> str:
    """The resolved period, partial flag and as-of date, for captions and stderr."""
    period = card.period
    partial = " · PARTIAL (not over yet)" if period.partial else ""
    notes = "".join(f"\n{note}" for note in card.notes)
    return f"{period.label}: {period.start} → {period.end}{partial} · as of {card.as_of} · by {card.group_by}{notes}"


def _target_text(kpi: Kpi) -> str:
    if kpi.target.target is None:
        return ""
    return f"{'≤' if kpi.target.better == 'lower' else '≥'} {format_value(kpi.target.target, kpi.unit)}"


def _cell(row: dict[str, Any], unit: Unit, *, compact: bool = False) -> Text:
    status = row["status"] or ""
    text = format_value(row["value"], unit)
    if status == "low-n" and not compact:
        text += f" (n={row['sample_size']})"
    return Text(text, style=STYLES.get(status, ""))


def scorecard_table(card: Scorecard, width: int = 200) -> Table:
    """The scorecard with a coloured cell per group and KPI, the score and the rank.

    One row per group when the KPIs fit the terminal's ``width``; otherwise one row per
    KPI and one column per group, so a long KPI list stays readable.
    """
    if 36 + 13 * len(card.kpis) > width:
        return _scorecard_by_kpi(card)
    table = Table(title=f"Scorecard {card.period.label}", caption=period_caption(card), caption_justify="left")
    table.add_column("#", justify="right")
    table.add_column(card.group_by)
    named = bool(card.names) and card.group_by == "csm"
    if named:
        table.add_column("name")
    for kpi in card.kpis:
        target = _target_text(kpi)
        table.add_column(f"{kpi.label}\n{target}" if target else kpi.label, justify="right")
    table.add_column("score", justify="right")
    cells = {(row["group"], row["kpi"]): row for row in card.long.iter_rows(named=True)}
    scores = {row["group"]: row for row in card.scores.iter_rows(named=True)}
    order = card.group_order()
    for group in order:
        rank, score = scores[group]["rank"], scores[group]["score"]
        row: list[str | Text] = ["" if rank is None else str(rank), group]
        if named:
            row.append(card.names.get(group, ""))
        row.extend(_cell(cells[(group, kpi.id)], kpi.unit) for kpi in card.kpis)
        row.append("—" if score is None else f"{score:.1f}")
        table.add_row(*row, end_section=len(order) > 1 and group == order[-2])
    return table


def _scorecard_by_kpi(card: Scorecard) -> Table:
    legend = "green: target met · amber: ≥ amber_at of target · red: below · dim: sample below min_sample or no data"
    caption = f"{period_caption(card)}\n{legend}"
    table = Table(title=f"Scorecard {card.period.label}", caption=caption, caption_justify="left")
    table.add_column("KPI", no_wrap=True, max_width=32, overflow="ellipsis")
    table.add_column("target", justify="right", no_wrap=True)
    order = card.group_order()
    for group in order:
        table.add_column(group, justify="right", no_wrap=True)
    cells = {(row["group"], row["kpi"]): row for row in card.long.iter_rows(named=True)}
    scores = {row["group"]: row for row in card.scores.iter_rows(named=True)}
    for kpi in card.kpis:
        row = (_cell(cells[(g, kpi.id)], kpi.unit, compact=True) for g in order)
        table.add_row(kpi.label, _target_text(kpi), *row)
    table.add_section()
    table.add_row("score", "", *("—" if scores[g]["score"] is None else f"{scores[g]['score']:.1f}" for g in order))
    table.add_row("rank", "", *("" if scores[g]["rank"] is None else str(scores[g]["rank"]) for g in order))
    return table


def long_table(card: Scorecard) -> Table:
    """One row per group and KPI with numerator, denominator and sample."""
    table = Table(title=f"Scorecard {card.period.label}", caption=period_caption(card), caption_justify="left")
    for name in ("group", "kpi", "value", "numerator", "denominator", "n", "target", "attainment", "status"):
        table.add_column(name, justify="left" if name in ("group", "kpi", "status") else "right")
    units = {kpi.id: kpi.unit for kpi in card.kpis}
    for row in card.long_table().iter_rows(named=True):
        unit = units[row["kpi"]]
        status = row["status"] or ""
        table.add_row(
            row["group"],
            row["label"],
            Text(format_value(row["value"], unit), style=STYLES.get(status, "")),
            "" if row["numerator"] is None else f"{row['numerator']:,.4g}",
            "" if row["denominator"] is None else f"{row['denominator']:,.4g}",
            str(row["sample_size"]),
            "" if row["target"] is None else format_value(row["target"], unit),
            "" if row["attainment"] is None else f"{row['attainment']:.2f}",
            Text(status, style=STYLES.get(status, "")),
        )
    return table


PER_FILE = 20  # distinct problems listed per file before "and N more" (SPEC §6: messages stay bounded)


def print_issues(console: Console, issues: Iterable[Issue], per_file: int = PER_FILE) -> None:
    """Print issues to a (stderr) console, errors in red, warnings in yellow; at most ``per_file`` per file."""
    shown: dict[str | None, int] = {}
    left: dict[str | None, int] = {}
    for issue in issues:
        if shown.get(issue.file, 0) >= per_file:
            left[issue.file] = left.get(issue.file, 0) + 1
            continue
        shown[issue.file] = shown.get(issue.file, 0) + 1
        style = "red" if issue.level == "error" else "yellow"
        console.print(Text(f"{issue.level}: ", style=style) + Text(issue.render()), soft_wrap=True)
    for file, count in left.items():
        where = f" in {file}" if file else ""
        console.print(f"... and {count} more problem{'s' if count != 1 else ''}{where}", markup=False, soft_wrap=True)


def _type_text(annotation: Any) -> str:
    args = get_args(annotation)
    if get_origin(annotation) is Literal:
        return " | ".join(repr(a) for a in args)
    if args:
        return f"{getattr(get_origin(annotation), '__name__', 'list')}[{', '.join(_type_text(a) for a in args)}]"
    return getattr(annotation, "__name__", str(annotation))


def params_text(model: type) -> list[str]:
    """One ``name: type = default`` line per param of a metric's params model."""
    fields = getattr(model, "model_fields", {})
    return [
        f"{name}: {_type_text(info.annotation)} = {info.get_default(call_default_factory=True)!r}"
        for name, info in fields.items()
    ]


def metrics_listing(metrics: Iterable[Any]) -> Text:
    """Every metric: name, description, formula, sample, tables and params, as plain text blocks."""
    out = Text()
    for metric in sorted(metrics, key=lambda m: m.name):
        out.append(metric.name, style="bold")
        out.append(f"  ({metric.aggregation_name})\n  {metric.description}\n")
        out.append(f"  formula: {metric.formula}\n  sample:  {metric.sample}\n")
        tables = sorted("mrr or subscriptions" if t == "revenue" else t for t in metric.tables)
        out.append(f"  tables:  {', '.join(tables)}\n")
        params = params_text(metric.params)
        out.append("  params:  " + ("\n           ".join(params) if params else "(none)") + "\n\n")
    return out


def _number(value: object) -> str:
    if isinstance(value, float):
        return f"{value:,.0f}" if value.is_integer() else f"{value:,.2f}"
    return "" if value is None else str(value)


def explanation_table(explanation: Explanation) -> Table:
    """The units behind one group's value, then the total as on the scorecard."""
    kpi, total = explanation.kpi, explanation.total
    title = f"{kpi.label} ({kpi.id}) for {explanation.group_by} {explanation.group}"
    caption = (
        f"{explanation.period.label}: {explanation.period.start} → {explanation.period.end}"
        f"{' · PARTIAL' if explanation.period.partial else ''} · as of {explanation.as_of} · "
        f"value {format_value(total['value'], kpi.unit)} = {_number(total['numerator'])} / "
        f"{_number(total['denominator'])} over {total['sample_size']} units"
    )
    table = Table(title=title, caption=caption, caption_justify="left")
    details = list(kpi.metric.details)
    for name in ("account_id", "account_name", "owner", "date", "numerator", "denominator", "share", *details):
        table.add_column(name, justify="right" if name in ("numerator", "denominator", "share") else "left")
    for row in explanation.units.iter_rows(named=True):
        share = row["share"]
        table.add_row(
            *(str(row[c] or "") for c in ("account_id", "account_name", "owner", "date")),
            _number(row["numerator"]),
            _number(row["denominator"]),
            "" if share is None else f"{share * 100:.1f}%",
            *(_number(row[c]) for c in details),
            end_section=False,
        )
    table.add_section()
    table.add_row(
        "TOTAL", "", "", "", _number(total["numerator"]), _number(total["denominator"]), "", *([""] * len(details))
    )
    return table


SPARKS = "▁▂▃▄▅▆▇█"


def sparkline(values: list[float | None]) -> str:
    """A one-line chart of the values (a blank where there is none)."""
    known = [v for v in values if v is not None]
    if not known:
        return ""
    low, high = min(known), max(known)
    span = (high - low) or 1.0
    return "".join(" " if v is None else SPARKS[round((v - low) / span * (len(SPARKS) - 1))] for v in values)


def trend_table(trend: Trend, group: str) -> Table:
    """One row per KPI, one column per period, for one group, with a sparkline."""
    table = Table(
        title=f"Trend for {group} by {trend.grain}",
        caption=f"{trend.range.label}: {trend.range.start} → {trend.range.end}"
        f"{' · last period PARTIAL' if trend.cards and trend.cards[-1].period.partial else ''}",
        caption_justify="left",
    )
    table.add_column("KPI")
    for card in trend.cards:
        table.add_column(card.period.label, justify="right")
    table.add_column("trend")
    if not trend.cards:
        return table
    groups = set(trend.cards[0].long["group"].to_list())
    if group not in groups:
        from csmkpi.errors import UsageError

        raise UsageError(f"no group {group!r} in the trend; choose one of: {', '.join(sorted(groups))}")
    values = {
        (card.period.label, row["kpi"]): row["value"]
        for card in trend.cards
        for row in card.long.filter(card.long["group"] == group).iter_rows(named=True)
    }
    for kpi in trend.cards[0].kpis:
        series = [values.get((card.period.label, kpi.id)) for card in trend.cards]
        table.add_row(kpi.label, *(format_value(v, kpi.unit) for v in series), sparkline(series))
    return table
