"""Which columns and rows of the event tables a run's KPIs read, found before any file is read.

The KPIs' unit plans are built on empty stand-ins of the tables and collected; Polars' optimizer
hands each stand-in the columns its scans need (projection pushdown) and the filter their rows
must pass (predicate pushdown), exactly as it would hand them to a file reader. The loader then
checks every row of a table but keeps only those columns and the rows some KPI of the run can
read: memory for what the run needs, not for the whole export.

Only tables the engine reads through the metrics alone are narrowed (tickets, surveys,
opportunities, activities, milestones): accounts, csms and assignments also feed attribution and
the groups, and mrr, usage and subscriptions the data-freshness rule. A filter that would change
with the data's snapshot months is not used (the plans are built twice, with the periods' last
and first months as end months, and a table's filters must agree), and anything unexpected
leaves every table whole. A table's filters are joined in one (``union``), the date ranges of
filters alike in all else merged: a trend's months then cost one pass over the rows, not one each.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Collection, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import polars as pl

from csmkpi.fastpath import DTYPES
from csmkpi.metrics.base import UNIT_SCHEMA, Context, MetricError
from csmkpi.periods import Period
from csmkpi.schemas import table_spec

NARROWED = ("tickets", "surveys", "opportunities", "activities", "milestones")


@dataclass(frozen=True)
class Reach:
    """What a run reads of one table: its columns (None: all) and the filter of its rows (None: all)."""

    columns: frozenset[str] | None
    rows: pl.Expr | None


def schema(table: str) -> dict[str, pl.DataType]:
    """The typed schema of a table, every column of the contract."""
    return {name: DTYPES[spec.kind] for name, spec in table_spec(table).items()}


def reach(
    kpis: Sequence[Any], periods: Sequence[Period], attribution: str, present: Collection[str]
) -> dict[str, Reach]:
    """Per narrowed table present, what the KPIs read over ``periods``; {} when it cannot be told."""
    # A one-month period's first and last months are the same: its plans are recorded once, for both.
    single = [p for p in periods if p.first_month == p.last_month]
    longer = [p for p in periods if p.first_month != p.last_month]
    try:
        both = _record(kpis, single, attribution, present, earliest=False)
        first = _joined(both, _record(kpis, longer, attribution, present, earliest=False))
        second = _joined(both, _record(kpis, longer, attribution, present, earliest=True))
    except Exception:  # a metric the stand-ins do not suit: every table stays whole
        return {}
    found: dict[str, Reach] = {}
    for table in NARROWED:
        if table not in present or table not in first:
            continue
        columns = _columns(first[table])
        filters = list({str(p): p for _, p in first[table]}.values())  # many KPIs and months ask the same rows
        # The scans are asked in any order (collected in parallel): compared as sets of filters.
        same = sorted(str(p) for _, p in first[table]) == sorted(str(p) for _, p in second.get(table, []))
        asked = [p for p in filters if p is not None]  # a scan without a filter reads every row
        rows = union(asked) if same and len(asked) == len(filters) else None
        found[table] = Reach(columns, rows)
    return found


def union(filters: list[pl.Expr]) -> pl.Expr:
    """The rows any of ``filters`` keeps, with the date ranges of filters alike in all else merged.

    A trend asks each of its months for the same rows of another date range (``x & d.is_between(a, b)``):
    24 such filters cost 24 passes over every row, one merged range ``x & d.is_between(A, B)`` one.
    Filters are read in Polars' JSON form; any other shape is kept as it is.
    """
    ranges: dict[tuple[str, tuple[str, ...]], list[tuple[int, int]]] = {}
    others: list[pl.Expr] = []
    for each in filters:
        found = _date_range(each)
        if found is None:
            others.append(each)
        else:
            column, low, high, rest = found
            ranges.setdefault((column, rest), []).append((low, high))
    try:
        merged = [_rebuilt(column, rest, spans) for (column, rest), spans in ranges.items()]
    except Exception:  # a condition Polars cannot read back from its JSON: the filters as they were
        return _any(filters)
    return _any([*merged, *others])


def _any(filters: list[pl.Expr]) -> pl.Expr:
    """The rows any of ``filters`` (at least one) keeps."""
    return filters[0] if len(filters) == 1 else pl.any_horizontal(filters)


def _date_range(expr: pl.Expr) -> tuple[str, int, int, tuple[str, ...]] | None:
    """(column, first day, last day, the other conditions as JSON) of ``a & b & col.is_between(d1, d2) & ...``.

    Days count from 1970-01-01, as Polars stores dates; None when the filter has another shape (an
    ``or``, a ``not`` around the range, no date range or two of them, an open bound...).
    """
    try:
        tree = json.loads(expr.meta.serialize(format="json"))
    except Exception:  # a filter Polars cannot write as JSON: kept as it is
        return None
    terms: list[Any] = []
    _conjuncts(tree, terms)
    spans = [term for term in terms if _is_date_range(term)]
    if len(spans) != 1:
        return None
    (span,) = spans
    column, low, high = span["Function"]["input"]
    rest = tuple(sorted(json.dumps(term, sort_keys=True) for term in terms if term is not span))
    return column["Column"], low["Literal"]["Scalar"]["Date"], high["Literal"]["Scalar"]["Date"], rest


def _conjuncts(tree: Any, terms: list[Any]) -> None:
    """The terms of a chain of ``&``, in order."""
    binary = tree.get("BinaryExpr") if isinstance(tree, dict) else None
    if isinstance(binary, dict) and binary.get("op") == "And":
        _conjuncts(binary["left"], terms)
        _conjuncts(binary["right"], terms)
    else:
        terms.append(tree)


def _is_date_range(term: Any) -> bool:
    """Whether a term is ``col.is_between(date, date)`` with both ends included."""
    function = term.get("Function") if isinstance(term, dict) else None
    if not isinstance(function, dict) or function.get("function") != {"Boolean": {"IsBetween": {"closed": "Both"}}}:
        return False
    inputs = function.get("input")
    if not isinstance(inputs, list) or len(inputs) != 3 or not isinstance(inputs[0], dict):
        return False
    ends = [end.get("Literal", {}).get("Scalar", {}) if isinstance(end, dict) else {} for end in inputs[1:]]
    return isinstance(inputs[0].get("Column"), str) and all(
        isinstance(end, dict) and set(end) == {"Date"} and isinstance(end["Date"], int) for end in ends
    )


def _rebuilt(column: str, rest: tuple[str, ...], spans: list[tuple[int, int]]) -> pl.Expr:
    """The other conditions ``&`` the column in any of ``spans``, touching or overlapping spans merged."""
    merged: list[list[int]] = []
    for low, high in sorted(spans):
        if merged and low <= merged[-1][1] + 1:  # whole days: [1, 31] and [32, 60] are [1, 60]
            merged[-1][1] = max(merged[-1][1], high)
        else:
            merged.append([low, high])
    epoch = date(1970, 1, 1)
    inside = [pl.col(column).is_between(epoch + timedelta(low), epoch + timedelta(high)) for low, high in merged]
    condition = _any(inside)
    for term in rest:  # each term as JSON text
        condition = pl.Expr.deserialize(io.StringIO(term), format="json") & condition
    return condition


def _joined(one: Scans, other: Scans) -> Scans:
    """The scans of two recordings together."""
    return {table: [*one.get(table, []), *other.get(table, [])] for table in {*one, *other}}


def _columns(scans: list[tuple[list[str] | None, pl.Expr | None]]) -> frozenset[str] | None:
    names: set[str] = set()
    for projected, predicate in scans:
        if projected is None:
            return None
        names.update(projected)
        if predicate is not None:
            names.update(predicate.meta.root_names())
    return frozenset(names)


Scans = dict[str, list[tuple[list[str] | None, pl.Expr | None]]]


def _record(
    kpis: Sequence[Any], periods: Sequence[Period], attribution: str, present: Collection[str], earliest: bool
) -> Scans:
    """Build and collect every KPI's units and warnings on empty stand-ins; what each stand-in was asked.

    The snapshot months are the periods' last months, or (``earliest``) their first months: the
    two ends of what the data can make them (SPEC §3, data freshness), so a filter that moves with
    them differs between the two recordings.
    """
    from polars.io.plugins import register_io_source

    asked: Scans = {}

    def stand_in(table: str) -> pl.LazyFrame:
        typed = schema(table)

        def source(with_columns: list[str] | None, predicate: pl.Expr | None, *_: Any) -> Iterator[pl.DataFrame]:
            asked.setdefault(table, []).append((with_columns, predicate))
            frame = pl.DataFrame(schema=typed)
            yield frame.select(with_columns) if with_columns is not None else frame

        return register_io_source(source, schema=typed)

    tables = {table: stand_in(table) for table in present}
    unit_columns = [pl.col(name).cast(dtype) for name, dtype in UNIT_SCHEMA.items()]
    plans = []
    for period in periods:
        month = period.first_month if earliest else period.last_month
        ctx = Context(period, tables, attribution, {"revenue": month, "usage": month})
        for kpi in kpis:
            try:
                plans.append(kpi.metric.units(ctx, kpi.params).select(unit_columns))
                if kpi.metric.warnings is not None:
                    kpi.metric.warnings(ctx, kpi.params)
            except MetricError:
                continue  # not computable in the run either: it reads nothing
    # One by one: ``collect_all`` of many plans costs more than linearly in their number (468 plans of 18
    # months: 11 s against 1 s one by one), and the optimizer hands each plan's stand-ins the same requests.
    # In memory: the streaming engine's set-up costs twice as much on these empty frames (1,248 plans of a
    # 24-month trend: 3.7 against 1.8 s).
    for plan_ in plans:
        plan_.collect(engine="in-memory")
    return asked


def filtered(frame: pl.DataFrame | pl.LazyFrame, rows: pl.Expr | None) -> pl.DataFrame | pl.LazyFrame:
    """The rows of a table a run reads."""
    return frame if rows is None else frame.filter(rows)


def covers(periods: Sequence[Period], period: Period) -> bool:
    """Whether a table narrowed for ``periods`` holds every event row of ``period``."""
    return any(p.start <= period.start and period.end <= p.end for p in periods)


Planner = Callable[[Collection[str]], dict[str, Reach]]  # tables present -> what a run reads of them
