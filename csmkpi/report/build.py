"""Everything the HTML report shows, from one load of the data (SPEC §8.4).

The report reads the data once (the tables of every KPI, the grouping, the churn reasons and the
drivers' revenue), then works on that one loaded run:

- the scorecard of P by ``--by`` with the previous period beside it (``score --compare previous``);
- the 12 months ending with P's last month, department-wide (ALL), with XmR limits and signals
  (``trend --limits`` over those months);
- P's MRR movements as a waterfall: start MRR, new, reactivation, expansion, contraction, churn,
  end MRR (the ``mrr_movements`` KPIs of the scorecard);
- the churn-reason Pareto of P, department-wide, ranked by lost MRR and by logos (``reasons``);
- the drivers of churn (``drivers --outcome churn --horizon 6``) for the latest period of P's kind
  whose outcome window has ended by the as-of date, when the ``stats`` extra is installed.

Every number comes out of the frames the machine formats write for the same run; nothing here
computes a KPI another way.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl

from csmkpi import periods, progress
from csmkpi.attribution import attribute
from csmkpi.dimensions import ALL
from csmkpi.engine import (
    Kpi,
    Run,
    Scorecard,
    ScoreRequest,
    card_of,
    configure,
    load_data,
    metric_units,
    metric_warnings,
    needs,
    not_computable,
    score_run,
    snapshots,
    with_compare,
)
from csmkpi.errors import DataError, ExtraMissingError, InputMissingError, Issue, UsageError
from csmkpi.freshness import Snapshot
from csmkpi.insights import drivers as drivers_
from csmkpi.insights import reasons as reasons_
from csmkpi.insights.limits import LimitedTrend, with_limits
from csmkpi.metrics.base import UNIT_SCHEMA, Aggregation, MetricError
from csmkpi.metrics.mrr_movements import MOVEMENTS
from csmkpi.metrics.registry import discover
from csmkpi.rollup import GROUP, group_costs
from csmkpi.rollup import department as rollup_department
from csmkpi.scoring import Target
from csmkpi.trends import Trend

MONTHS = 12  # the trend section's length, ending with P's last month
DRIVERS_OUTCOME = "churn"
DRIVERS_HORIZON = 6
_SHIFTS = 48  # how many periods back the drivers section looks for one whose outcome window has ended
STATS_LINE = "The drivers table needs the stats extra (statsmodels): pip install 'csmkpi[stats]'"


@dataclass(frozen=True)
class Step:
    """One bar of the MRR waterfall.

    Attributes:
        name: ``start``, a movement (``new``...) or ``end``.
        label: What the bar is called on the page.
        amount: The bar's size: the MRR for start and end, a movement's amount (positive) otherwise.
        sign: +1 for start, end and the movements that add MRR, -1 for contraction and churn.
        kpi: The scorecard KPI id the amount is read from (``mrr_new``, ``nrr``), None for ``end``.
        field: The long layout's column it is read from (``value``, or ``denominator`` for start MRR).
    """

    name: str
    label: str
    amount: float
    sign: int
    kpi: str | None
    field: str


@dataclass(frozen=True)
class Waterfall:
    """P's MRR movements, department-wide; ``end`` is start plus the movements (the month sums telescope)."""

    period: periods.Period
    steps: tuple[Step, ...]


@dataclass(frozen=True)
class Report:
    """The sections of the report and the messages of the run."""

    card: Scorecard  # with ``compare``: the previous period
    trend: LimitedTrend  # the 12 months, ALL rows only
    waterfall: Waterfall | None
    waterfall_note: str
    reasons: reasons_.Reasons | None
    reasons_by_logos: pl.DataFrame | None  # the ALL Pareto ranked by logos (``reasons --rank-by logos``)
    reasons_note: str
    drivers: drivers_.Drivers | None
    drivers_note: str
    as_of_shown: bool  # the as-of date is printed only when it was given (no date of today in the bytes)
    warnings: tuple[Issue, ...]
    notes: tuple[str, ...]
    inputs: tuple[Path, ...]


def trend_range(period: periods.Period, as_of: date) -> periods.Period:
    """The 12 months ending with P's last month (from the earliest month the KPIs allow)."""
    try:
        first = periods.add_months(period.last_month, 1 - MONTHS)
    except ValueError:
        first = periods.EARLIEST
    first = max(first, periods.EARLIEST)
    return periods.resolve(None, start=first, end=period.end, as_of=as_of)


def build(request: ScoreRequest, *, as_of_shown: bool = True) -> Report:
    """Gather every section of the report of ``request`` (its period and ``by``; compare is always previous)."""
    from csmkpi.report import charts

    planned = configure(request)
    warming = charts.warm_up()  # the chart engine starts while the data loads
    fitting = _start_stats()
    run = load_data(planned, request, extra=_extra_columns())
    card = with_compare(score_run(run, request.by), run, "previous", request.by)
    trend = _trend(run)
    waterfall, waterfall_note = _waterfall(card, run)
    reasons, by_logos, reasons_note = _reasons(run, request.by)
    drivers, drivers_note = _drivers(run, fitting)
    warming.join()
    warnings = [*card.warnings, *trend.warnings]
    if reasons is not None:
        warnings.extend(reasons.warnings)
    if drivers is not None:
        warnings.extend(drivers.warnings)
    notes = [*card.notes, *(n for c in trend.trend.cards for n in c.notes)]
    return Report(
        card=card,
        trend=trend,
        waterfall=waterfall,
        waterfall_note=waterfall_note,
        reasons=reasons,
        reasons_by_logos=by_logos,
        reasons_note=reasons_note,
        drivers=drivers,
        drivers_note=drivers_note,
        as_of_shown=as_of_shown,
        warnings=tuple(dict.fromkeys(warnings)),
        notes=tuple(dict.fromkeys(notes)),
        inputs=run.inputs,
    )


def _extra_columns() -> dict[str, set[str]]:
    from csmkpi.dataset import merge_columns

    return merge_columns(reasons_.EXTRA_COLUMNS, drivers_.REVENUE_COLUMNS)


def _trend(run: Run) -> LimitedTrend:
    """The ALL series of the 12 months with XmR limits and signals (the limits of a series are its own)."""
    span = trend_range(run.period, run.as_of)
    fiscal = run.config.calendar.fiscal_year_start_month
    pieces = periods.split(span, "month", as_of=run.as_of, fiscal_year_start_month=fiscal)
    cards = tuple(department(dataclasses.replace(run, period=piece)) for piece in pieces)
    return with_limits(Trend(span, "month", cards, run.config.limits, run.config.scoring.min_sample))


def department(run: Run) -> Scorecard:
    """The scorecard of the department alone: ``score_run``'s ALL rows, warnings and notes, for less.

    ALL pools every unit whatever its owner (``rollup.department``, the very row ``rollup`` adds),
    so only KPIs counted per CSM need to know the owners; the others skip attribution and pooling,
    which are most of a month's cost. The rows equal ``score_run``'s ALL rows under any ``by``.
    (Collecting several months' plans together measured no faster than month by month.)
    """
    progress.report(f"computing {len(run.kpis)} KPIs of ALL for {run.period.label}")
    plans, warnings, found = _department_plans(run)
    collected = dict(zip(plans, pl.collect_all(list(plans.values())), strict=True))
    return _department_card(run, collected, warnings, found)


def _department_plans(run: Run) -> tuple[dict[str, pl.LazyFrame], list[Issue], dict[str, Snapshot]]:
    """The ALL row's plan of each computable KPI, the warnings ``score_run`` gives, the snapshots."""
    tables = run.data.lazy()
    found = snapshots(run)
    warnings = list(run.warnings)
    for kind, snapshot in found.items():
        stale = [kpi.id for kpi in run.kpis if needs(kpi, kind) and snapshot.month is None]
        if (missing := snapshot.warning(run.period, stale)) is not None:
            warnings.append(missing)
    plans: dict[str, pl.LazyFrame] = {}
    for kpi in run.kpis:
        if any(needs(kpi, kind) and snapshot.month is None for kind, snapshot in found.items()):
            continue
        try:
            units = metric_units(run, kpi, tables, found).select(
                [pl.col(name).cast(dtype) for name, dtype in UNIT_SCHEMA.items()]
            )
        except MetricError as exc:
            warnings.append(Issue("warning", f"KPI {kpi.id!r} ({kpi.metric.name}) is not computable: {exc}"))
            continue
        warnings.extend(metric_warnings(run, kpi, tables, found))
        aggregation = kpi.aggregation
        if aggregation is Aggregation.PER_CSM:
            units = attribute(units, tables)
        costs = group_costs(units, "csm", tables) if aggregation is Aggregation.COST else None
        value = pl.col("value")
        plans[kpi.id] = rollup_department(units, aggregation, costs).with_columns(
            pl.when(value.is_finite()).then(value).alias("value")
        )
    return plans, warnings, found


def _department_card(
    run: Run, collected: dict[str, pl.DataFrame], warnings: list[Issue], found: dict[str, Snapshot]
) -> Scorecard:
    no_groups = pl.DataFrame(schema={GROUP: pl.String})  # the department only: ALL
    return card_of(run, ALL, collected, not_computable(no_groups), {ALL: "All"}, warnings, found)


def _kpi_of(card: Scorecard, metric: str, **params: Any) -> Kpi | None:
    """The first KPI of the scorecard whose metric is ``metric`` with these params."""
    for kpi in card.kpis:
        if kpi.metric.name == metric and all(getattr(kpi.params, k, None) == v for k, v in params.items()):
            return kpi
    return None


def _waterfall_kpis(card: Scorecard) -> tuple[list[Kpi], bool]:
    """The start-MRR KPI (nrr or grr over P) and one KPI per movement: the card's, else made here."""
    start = _kpi_of(card, "nrr", window="period") or _kpi_of(card, "grr", window="period")
    moves = [_kpi_of(card, "mrr_movements", movement=m) for m in MOVEMENTS]
    if start is not None and all(m is not None for m in moves):
        return [start, *(m for m in moves if m is not None)], True
    metrics, _ = discover((), use_entry_points=False)
    nrr, movements = metrics["nrr"], metrics["mrr_movements"]
    made = [_made("mrr_start", nrr, nrr.params(window="period"))]
    made += [_made(f"mrr_{m}", movements, movements.params(movement=m)) for m in MOVEMENTS]
    return made, False


def _made(kpi_id: str, metric: Any, params: Any) -> Kpi:
    return Kpi(kpi_id, kpi_id, metric, params, Target(kpi_id, None, "higher", 0.0, 0))


def _waterfall(card: Scorecard, run: Run) -> tuple[Waterfall | None, str]:
    """P's movements of ALL; from the card's own KPIs when the config has them (the CSV's numbers)."""
    kpis, own = _waterfall_kpis(card)
    source = card if own else department(dataclasses.replace(run, kpis=kpis))
    rows = {r["kpi"]: r for r in source.long.filter(pl.col(GROUP) == ALL).iter_rows(named=True)}
    start_kpi, *moves = kpis
    start = rows[start_kpi.id]["denominator"]
    amounts = [rows[k.id]["value"] for k in moves]
    if start is None or any(a is None for a in amounts):
        return None, f"No MRR waterfall for {run.period.label}: the revenue data does not cover the period."
    steps = [Step("start", "Start MRR", start, 1, start_kpi.id if own else None, "denominator")]
    for kpi, movement, amount in zip(moves, MOVEMENTS, amounts, strict=True):
        sign = -1 if movement in ("contraction", "churn") else 1
        steps.append(Step(movement, movement.capitalize(), amount, sign, kpi.id if own else None, "value"))
    end = start + sum(s.sign * s.amount for s in steps[1:])
    steps.append(Step("end", "End MRR", end, 1, None, "derived"))
    return Waterfall(run.period, tuple(steps)), ""


def _reasons(run: Run, by: str) -> tuple[reasons_.Reasons | None, pl.DataFrame | None, str]:
    progress.report(f"churn reasons of {run.period.label}")
    try:
        found = reasons_.reasons_of(run, by, "mrr")
    except (InputMissingError, DataError) as exc:
        return None, None, f"No churn reasons: {exc.message}"
    by_logos = reasons_.pareto(found.churned, found.period, by, "logos").filter(pl.col(GROUP) == ALL)
    return found, by_logos, "" if by_logos.height else f"No account churned in {run.period.label}."


def drivers_period(period: periods.Period, as_of: date, fiscal: int) -> periods.Period | None:
    """The latest period of P's kind (P, then the previous ones) whose outcome window ends by the as-of date."""
    candidate = period
    for _ in range(_SHIFTS):
        if drivers_.outcome_window(candidate, DRIVERS_HORIZON).end <= as_of:
            return candidate
        try:
            candidate = periods.shift(candidate, "previous", as_of=as_of, fiscal_year_start_month=fiscal)
        except UsageError:
            return None
    return None


def _start_stats() -> drivers_.Importer | None:
    """statsmodels, imported in a thread while the data loads; None when the stats extra is missing."""
    from csmkpi.extras import check

    try:
        check("statsmodels", "stats", purpose="the drivers table")
    except ExtraMissingError:
        return None
    return drivers_.Importer()


def _drivers(run: Run, fitting: drivers_.Importer | None) -> tuple[drivers_.Drivers | None, str]:
    if fitting is None:
        return None, STATS_LINE
    fiscal = run.config.calendar.fiscal_year_start_month
    period = drivers_period(run.period, run.as_of, fiscal)
    if period is None:
        return (
            None,
            f"No drivers table: no period before the as-of date {run.as_of} has {DRIVERS_HORIZON} months after it.",
        )
    progress.report(f"drivers of churn after {period.label}")
    try:
        chosen = drivers_.choose_indicators(run.kpis, ())
        window = drivers_.outcome_window(period, DRIVERS_HORIZON)
        found = drivers_.fit_drivers(dataclasses.replace(run, period=period, kpis=chosen), window, "churn", fitting)
    except ExtraMissingError:
        return None, STATS_LINE
    except (UsageError, DataError, InputMissingError) as exc:
        return None, f"No drivers table: {exc.message}"
    return found, ""
