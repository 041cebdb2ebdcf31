"""Rich rendering for the terminal: issue lists, the metrics listing, explanations and trends.

The scorecard has its own module (``scorecard.py``); every table here is built with ``grid`` so it
fits the terminal's width without cutting a number.
"""

from __future__ import annotations

from collections.abc import Iterable
from types import UnionType
from typing import TYPE_CHECKING, Any, Literal, Union, get_args, get_origin

from rich.console import Console, Group, RenderableType
from rich.text import Text

from csmkpi.errors import Issue
from csmkpi.metrics.base import Unit
from csmkpi.output import numbers
from csmkpi.output.grid import Column, pages, rich_table

if TYPE_CHECKING:
    from csmkpi.drilldown import Explanation
    from csmkpi.trends import Trend

STYLES = numbers.STYLES


def format_value(value: float | None, unit: Unit) -> str:
    """Human form of a value (kept for callers of the former API): see ``numbers.human``."""
    return numbers.human(value, unit)


PER_FILE = 20  # distinct problems listed per file before "and N more" (SPEC §6: messages stay bounded)


def print_issues(console: Console, issues: Iterable[Issue], per_file: int = PER_FILE) -> None:
    """Print issues to a (stderr) console, errors in red, warnings in yellow; at most ``per_file`` per file.

    Issues of no file are bounded the same way per check (``trend --limits`` warns once per series
    without limits: thousands at scale). On a terminal a long message wraps at its width; in a log or
    a pipe it stays on one line.
    """
    shown: dict[tuple[str | None, str | None], int] = {}
    left: dict[tuple[str | None, str | None], int] = {}
    for issue in issues:
        bucket = (issue.file, None if issue.file else issue.check)
        if shown.get(bucket, 0) >= per_file:
            left[bucket] = left.get(bucket, 0) + 1
            continue
        shown[bucket] = shown.get(bucket, 0) + 1
        style = "red" if issue.level == "error" else "yellow"
        console.print(Text(f"{issue.level}: ", style=style) + Text(issue.render()), soft_wrap=not console.is_terminal)
    for (file, check), count in left.items():
        where = f" in {file}" if file else " like these" if check else ""
        console.print(f"... and {count} more problem{'s' if count != 1 else ''}{where}", markup=False, soft_wrap=True)


def _type_text(annotation: Any) -> str:
    """A param's type as a config writer reads it: ``list[str] | 'all'``, ``'new' | 'churn' | None``."""
    args = get_args(annotation)
    if get_origin(annotation) is Literal:
        return " | ".join(repr(a) for a in args)
    if get_origin(annotation) in (Union, UnionType):
        return " | ".join(_type_text(a) for a in args)
    if annotation is type(None):
        return "None"
    if args:
        return f"{getattr(get_origin(annotation), '__name__', 'list')}[{', '.join(_type_text(a) for a in args)}]"
    return getattr(annotation, "__name__", str(annotation))


def params_text(model: type) -> list[str]:
    """One ``name: type = default`` line per param of a metric's params model (``(required)`` without one)."""
    fields = getattr(model, "model_fields", {})
    return [
        f"{name}: {_type_text(info.annotation)} "
        + ("(required)" if info.is_required() else f"= {info.get_default(call_default_factory=True)!r}")
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


def _paged(keys: list[Column], others: list[Column], width: int, sections: list[int]) -> list[RenderableType]:
    tables = pages(keys, others, width, shrink=True)
    parts: list[RenderableType] = []
    for number, columns in enumerate(tables, start=1):
        title = f"page {number} of {len(tables)}" if len(tables) > 1 else None
        parts.extend([Text(""), rich_table(columns, sections=sections, title=title)])
    return parts


def explanation_view(explanation: Explanation, width: int, *, limit: int | None = 50) -> RenderableType:
    """The units behind one group's value, biggest first: the first ``limit`` rows, then the TOTAL row.

    A footer states the total as on the scorecard and how many rows were left out (0: show all).
    """
    kpi, total, units = explanation.kpi, explanation.total, explanation.units
    shown = units.head(limit) if limit else units
    rows = list(shown.iter_rows(named=True))

    def column(name: str, cells: list[Text], last: Text | None = None, **options: Any) -> Column:
        return Column(name, [*cells, last or Text("")], **options)

    keys = [column("account_id", [Text(str(r["account_id"] or "")) for r in rows], Text("TOTAL"), justify="left")]
    others = [
        column(name, [Text(str(r[name] or "")) for r in rows], justify="left", text=name == "account_name")
        for name in ("account_name", "owner", "date")
    ]
    for name in ("numerator", "denominator"):
        *cells, last = numbers.plain_column([*(r[name] for r in rows), total[name]])
        others.append(column(name, [Text(c) for c in cells], Text(last)))
    others.append(column("share", [Text(numbers.percent(r["share"])) for r in rows]))
    others += [column(name, [Text(c) for c in _details([r[name] for r in rows])]) for name in kpi.metric.details]
    period = explanation.period
    heading = Text(f"{kpi.label} ({kpi.id}) for {explanation.group_by} {explanation.group}", style="bold")
    partial = " · PARTIAL" if period.partial else ""
    heading.append(f" · {period.label}: {period.start} → {period.end}{partial} · as of {explanation.as_of}")
    footer = Text(
        f"TOTAL {numbers.human(total['value'], kpi.unit)} = {numbers.plain(total['numerator']) or '—'} / "
        f"{numbers.plain(total['denominator']) or '—'} over {total['sample_size']:,} units (as on the scorecard)"
    )
    parts = [heading, *_paged(keys, others, width, [len(rows) - 1] if rows else []), Text(""), footer]
    if shown.height < units.height:
        left = units.height - shown.height
        parts.append(
            Text(
                f"showing the first {shown.height:,} of {units.height:,} rows, biggest first; {left:,} left out "
                "(--limit 0 shows all; a file gets every row)",
                style="dim",
            )
        )
    return Group(*parts)


def _details(values: list[Any]) -> list[str]:
    """A metric's detail column: numbers as people read them (aligned decimals), anything else as text."""
    if all(v is None or (isinstance(v, int | float) and not isinstance(v, bool)) for v in values):
        return numbers.plain_column(values)
    return ["" if v is None else str(v) for v in values]


SPARKS = "▁▂▃▄▅▆▇█"


def sparkline(values: list[float | None]) -> str:
    """A one-line chart of the values (a blank where there is none)."""
    known = [v for v in values if v is not None]
    if not known:
        return ""
    low, high = min(known), max(known)
    span = (high - low) or 1.0
    return "".join(" " if v is None else SPARKS[round((v - low) / span * (len(SPARKS) - 1))] for v in values)


def trend_table(trend: Trend, group: str, width: int = 200) -> RenderableType:
    """One row per KPI, one column per period, for one group, with a sparkline; periods in pages that fit."""
    from csmkpi.groups import resolve

    heading = Text(f"Trend for {group} by {trend.grain}", style="bold")
    heading.append(
        f" · {trend.range.label}: {trend.range.start} → {trend.range.end}"
        f"{' · last period PARTIAL' if trend.cards and trend.cards[-1].period.partial else ''}"
    )
    if not trend.cards:
        return heading
    first = trend.cards[0]
    group = resolve([group], {g: first.names.get(g, "") for g in first.scores["group"].to_list()}, first.group_by)[0]
    values = {
        (card.period.label, row["kpi"]): row["value"]
        for card in trend.cards
        for row in card.long.filter(card.long["group"] == group).iter_rows(named=True)
    }
    kpis = first.kpis
    series = {k.id: [values.get((card.period.label, k.id)) for card in trend.cards] for k in kpis}
    keys = [
        Column("KPI", [Text(k.label) for k in kpis], justify="left", text=True),
        Column("trend", [Text(sparkline(series[k.id])) for k in kpis], justify="left"),
    ]
    others = [
        Column(card.period.label, [Text(numbers.human(series[k.id][i], k.unit)) for k in kpis])
        for i, card in enumerate(trend.cards)
    ]
    return Group(heading, *_paged(keys, others, width, []))
