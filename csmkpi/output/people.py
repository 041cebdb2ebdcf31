"""How people see a result's columns (markdown, XLSX): which cells are ratios, money, dates, statuses.

Machine formats write a frame as it is. The formats for people need to know more than a frame
says: that ``nrr`` is a ratio (a percentage), ``csm_sourced_arr`` money, that a long row's
``value`` takes the unit of its KPI, which status colours a cell. A :class:`Presentation` says it,
for a scorecard, a trend or an explanation, and carries the ``Definitions`` of an XLSX workbook.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from typing import TYPE_CHECKING, Any

from csmkpi.metrics.base import Unit
from csmkpi.output import numbers

if TYPE_CHECKING:
    import polars as pl

    from csmkpi.drilldown import Explanation
    from csmkpi.engine import Kpi, Scorecard
    from csmkpi.insights.drivers import Drivers
    from csmkpi.insights.limits import LimitedTrend
    from csmkpi.insights.reasons import Reasons
    from csmkpi.periods import Period
    from csmkpi.trends import Trend

Row = Mapping[str, Any]


@dataclass(frozen=True)
class Style:
    """What a cell holds, and the KPI unit of a ``value`` or ``change``.

    Kinds: ``value``, ``change``, ``number``, ``percent``, ``score``, ``integer``, ``decimal`` (``digits``
    places), ``p`` (a p-value: ``<0.001`` below it), ``date``, ``status``, ``text``.
    """

    kind: str
    unit: Unit | None = None
    digits: int = 2  # a ``decimal``'s places


TEXT = Style("text")
NUMBER = Style("number")


@dataclass(frozen=True)
class Presentation:
    """How to show a frame to people: a style and a status per cell, and the workbook's extras."""

    style: Callable[[str, Row], Style] = lambda column, row: TEXT
    status: Callable[[str, Row], str | None] = lambda column, row: None
    sheet: str = "csmkpi"
    definitions: Sequence[Sequence[Any]] = ()  # rows of the Definitions sheet, header first
    about: Sequence[tuple[str, Any]] = ()  # resolved period, as-of date...: on top of Definitions
    extra: Sequence[tuple[str, pl.DataFrame, Presentation]] = field(default_factory=tuple)
    names: Mapping[str, str] = field(default_factory=dict)  # by csm: each group's CSM name, shown beside its id
    targets: Mapping[str, str] = field(default_factory=dict)  # a wide KPI column's target (``≥ 102.0%``)

    def shown(self, frame: pl.DataFrame) -> pl.DataFrame:
        """The frame with a ``name`` column after ``group`` when the groups have names (SPEC §6: C0042 and its name)."""
        if not self.names or "group" not in frame.columns or "name" in frame.columns:
            return frame
        import polars as pl

        names = frame["group"].replace_strict(dict(self.names), default=None, return_dtype=pl.String)
        return frame.insert_column(frame.columns.index("group") + 1, names.alias("name"))

    def mark(self, column: str, row: Row) -> str:
        """The status mark of a number cell (``✓`` ``~`` ``✗`` ``?``), so its status reads without colour."""
        return numbers.MARKS.get(self.status(column, row) or "", "")


def text(value: Any, style: Style) -> str:
    """A cell as people read it (markdown): ``97.4%``, ``71,823``, ``▲ 2.1 pp``, ``2026-07-01``."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"  # as in the CSV
    if style.kind in ("text", "status"):
        return str(value)
    if isinstance(value, date):
        return value.isoformat()
    if not isinstance(value, int | float):
        return str(value)
    if style.kind == "value" and style.unit is not None:
        return numbers.human(value, style.unit)
    if style.kind == "change" and style.unit is not None:
        return numbers.change(value, style.unit)
    if style.kind == "percent":
        return numbers.percent(value)
    if style.kind == "score":
        return numbers.score(value)
    if style.kind == "decimal":
        return f"{value:,.{style.digits}f}"
    if style.kind == "p":
        return "<0.001" if value < 0.001 else f"{value:.3f}"
    return numbers.plain(value)


def _plain(column: str, row: Row) -> Style:
    value = row.get(column)
    if isinstance(value, date):
        return Style("date")
    if isinstance(value, int) and not isinstance(value, bool):
        return Style("integer")
    if isinstance(value, float):
        return NUMBER
    return TEXT


def _kpi_styles(kpis: Sequence[Kpi]) -> Callable[[str, Row], Style]:
    units = {k.id: k.unit for k in kpis}

    def style(column: str, row: Row) -> Style:
        if column in units:  # a wide KPI column
            return Style("value", units[column])
        if column.endswith("_change") and column[: -len("_change")] in units:
            return Style("change", units[column[: -len("_change")]])
        unit = units.get(row.get("kpi") or "")
        if column in ("value", "target", "compare_value") and unit is not None:
            return Style("value", unit)
        if column == "change" and unit is not None:
            return Style("change", unit)
        if column in ("attainment", "share"):
            return Style("percent")
        if column == "score":
            return Style("score")
        if column in ("rank", "sample_size", "sample"):
            return Style("integer")
        if column == "status":
            return Style("status")
        return _plain(column, row)

    return style


def _statuses(cards: Sequence[Scorecard]) -> Callable[[str, Row], str | None]:
    """The status of a long row's cells, or of a wide row's KPI column.

    The (period, group, kpi) lookup is built on the first wide KPI cell asked for: only markdown
    and xlsx ask, and a long trend of M accounts has millions of rows to read into it.
    """
    table: dict[tuple[Any, Any, Any], str | None] = {}
    ids = {k.id for card in cards for k in card.kpis}

    def status(column: str, row: Row) -> str | None:
        if column in ("value", "status") and "kpi" in row:
            return row.get("status")
        if column in ids:
            if not table:
                table.update(
                    ((card.period.label, row["group"], row["kpi"]), row["status"])
                    for card in cards
                    for row in card.long.select("group", "kpi", "status").iter_rows(named=True)
                )
            return table.get((row.get("period"), row.get("group"), column))
        return None

    return status


def definitions(kpis: Sequence[Kpi]) -> list[list[Any]]:
    """One row per KPI: id, label, metric, formula, params, target, better, weight, min_sample, unit."""
    rows: list[list[Any]] = [
        ["kpi", "label", "metric", "formula", "params", "target", "better", "weight", "min_sample", "shown as"]
    ]
    for kpi in kpis:
        params = kpi.params.model_dump(mode="json") if hasattr(kpi.params, "model_dump") else {}
        rows.append(
            [
                kpi.id,
                kpi.label,
                kpi.metric.name,
                kpi.metric.formula,
                ", ".join(f"{k}: {v}" for k, v in params.items()),
                kpi.target.target,
                kpi.target.better,
                kpi.target.weight,
                kpi.target.min_sample,
                str(kpi.unit),
            ]
        )
    return rows


def definition_style(column: str, row: Row) -> Style:
    """A cell of the Definitions sheet: a target in its KPI's unit, ``amber_at`` as a percentage."""
    if column == "target" and row.get("shown as") in {u.value for u in Unit}:
        return Style("value", Unit(row["shown as"]))
    if column == "amber_at":
        return Style("percent")
    if column in ("weight", "min_sample"):
        return NUMBER
    return _plain(column, row)


def _dates(period: Period) -> list[tuple[str, Any]]:
    """The Definitions rows of a period: its label and first and last days."""
    return [("period", period.label), ("period_start", period.start), ("period_end", period.end)]


def _about(card: Scorecard) -> list[tuple[str, Any]]:
    period = card.period
    about: list[tuple[str, Any]] = [
        *_dates(period),
        ("partial", "yes (not over at the as-of date)" if period.partial else "no"),
        ("as_of", card.as_of),
        ("group_by", card.group_by),
        ("amber_at", card.amber_at),
    ]
    if card.compare is not None:
        other = card.compare.period
        about += [("compared with", other.label), ("compare_start", other.start), ("compare_end", other.end)]
    about += [("note", note) for note in card.notes]
    return about


def _names(cards: Sequence[Scorecard]) -> dict[str, str]:
    """By csm, every group's CSM name (``All`` for ALL); other groupings are names already."""
    return {g: n for card in cards if card.group_by == "csm" for g, n in card.names.items()}


def _targets(kpis: Sequence[Kpi]) -> dict[str, str]:
    return {k.id: numbers.target(k.target.target, k.target.better, k.unit) for k in kpis if k.target.target is not None}


def scorecard(card: Scorecard, layout: str, *, details: pl.DataFrame | None = None) -> Presentation:
    """A scorecard's presentation; a wide XLSX also gets the long rows (``details``) with their statuses."""
    style, status, names = _kpi_styles(card.kpis), _statuses([card]), _names([card])
    extra: tuple[tuple[str, pl.DataFrame, Presentation], ...] = ()
    if layout == "wide" and details is not None:
        extra = (("Details", details, Presentation(style, status, sheet="Details", names=names)),)
    return Presentation(
        style,
        status,
        sheet="Scorecard",
        definitions=definitions(card.kpis),
        about=_about(card),
        extra=extra,
        names=names,
        targets=_targets(card.kpis),
    )


def trend(result: Trend) -> Presentation:
    """A trend's presentation: every sub-period's rows, KPI units and statuses."""
    cards = result.cards
    kpis = cards[0].kpis if cards else ()
    about: list[tuple[str, Any]] = [
        ("range", result.range.label),
        ("range_start", result.range.start),
        ("range_end", result.range.end),
        ("every", result.grain),
    ]
    if cards:
        about += [("as_of", cards[0].as_of), ("group_by", cards[0].group_by)]
    return Presentation(
        _kpi_styles(kpis),
        _statuses(cards),
        sheet="Trend",
        definitions=definitions(kpis),
        about=about,
        names=_names(cards),
        targets=_targets(kpis),
    )


# The limit columns of ``trend --limits`` (SPEC 8.1), in their KPI's unit: a ratio's centre and limits as
# percentages, its moving range in percentage points shown the same way.
LIMIT_COLUMNS = ("centre", "lower_limit", "upper_limit", "moving_range", "range_limit")


def with_limits(people: Presentation, kpis: Sequence[Kpi]) -> Presentation:
    """``people`` for long rows with the limit columns appended (``trend --limits``)."""
    units = {k.id: k.unit for k in kpis}
    style = people.style

    def limited(column: str, row: Row) -> Style:
        unit = units.get(row.get("kpi") or "")
        if column in LIMIT_COLUMNS and unit is not None:
            return Style("value", unit)
        return style(column, row)

    return replace(people, style=limited)


def limited_trend(result: LimitedTrend) -> Presentation:
    """A trend with control limits: the trend's presentation plus the limit columns in their KPI's unit."""
    cards = result.trend.cards
    return with_limits(trend(result.trend), cards[0].kpis if cards else ())


def explanation(result: Explanation) -> Presentation:
    """An explanation's presentation: shares as percentages, the TOTAL row's value in the KPI's unit."""
    unit = result.kpi.unit

    def style(column: str, row: Row) -> Style:
        if column == "value":
            return Style("value", unit)
        if column == "share":
            return Style("percent")
        if column == "sample":
            return Style("integer")
        return _plain(column, row)

    about: list[tuple[str, Any]] = [
        *_dates(result.period),
        ("as_of", result.as_of),
        ("group_by", result.group_by),
        ("group", result.group),
    ]
    return Presentation(style, sheet="Explain", definitions=definitions([result.kpi]), about=about)


def reasons(result: Reasons) -> Presentation:
    """The churn-reason Pareto (SPEC 8.3): shares as percentages, lost MRR as money."""

    def style(column: str, row: Row) -> Style:
        if column.endswith("_share"):
            return Style("percent")
        if column == "lost_mrr":
            return Style("value", Unit.CURRENCY)
        if column in ("rank", "logos"):
            return Style("integer")
        return _plain(column, row)

    about: list[tuple[str, Any]] = [
        *_dates(result.period),
        ("as_of", result.as_of),
        ("group_by", result.group_by),
        ("rank_by", result.rank_by),
    ]
    names = result.names if result.group_by == "csm" else {}
    return Presentation(style, sheet="Reasons", about=about, names=names)


def drivers(result: Drivers) -> Presentation:
    """The drivers table (SPEC 8.2): estimates to 3 places as on the terminal, p-values below 0.001 as such."""

    def style(column: str, row: Row) -> Style:
        if column in ("mean", "sd", "coef", "std_err", "ci_low", "ci_high"):
            return Style("decimal", digits=3)
        if column in ("odds_ratio", "vif"):
            return Style("decimal", digits=2)
        if column == "p_value":
            return Style("p")
        if column in ("n", "events"):
            return Style("integer")
        return _plain(column, row)

    about: list[tuple[str, Any]] = [
        ("period", result.period.label),
        ("outcome", result.outcome),
        ("outcome_start", result.outcome_window.start),
        ("outcome_end", result.outcome_window.end),
        ("as_of", result.as_of),
        ("accounts", result.cohort),
    ]
    return Presentation(style, sheet="Drivers", about=about)
