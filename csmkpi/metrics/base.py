"""The metric plugin interface (SPEC §4).

A metric is a frozen value: metadata for ``csmkpi metrics`` plus one pure
function from the loaded tables and the period to *unit rows*. It never
aggregates; ``rollup`` pools every metric's units the same way.

Unit rows are a LazyFrame with the columns of ``UNIT_SCHEMA`` plus any detail
columns the metric wants ``explain`` to show.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Generic, TypeVar

import polars as pl
from pydantic import BaseModel, ConfigDict

from csmkpi.periods import Period

P = TypeVar("P", bound=BaseModel)

UNIT_SCHEMA: dict[str, pl.DataType] = {
    "account_id": pl.String(),
    "date": pl.Date(),  # the unit belongs to the account's owner on this date
    "actor": pl.String(),  # a CSM who acted, overriding the owner (activity_count only)
    "numerator": pl.Float64(),
    "denominator": pl.Float64(),
    "sample": pl.Int64(),
}


class Aggregation(StrEnum):
    """How a group's value is made from its units."""

    RATIO = "ratio"  # Σ numerator / Σ denominator
    SUM = "sum"  # Σ numerator
    MEDIAN = "median"  # median of the units' numerators
    PER_CSM = "per_csm"  # Σ numerator / distinct owners in the group
    COST = "cost"  # annual cost of the group's CSMs / Σ denominator


class Unit(StrEnum):
    """How a value is displayed: a ratio as a percentage, points, money, a count or days."""

    RATIO = "ratio"
    POINTS = "points"
    CURRENCY = "currency"
    COUNT = "count"
    DAYS = "days"


class Params(BaseModel):
    """Base of metric params: strict, unknown keys rejected."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class NoParams(Params):
    """For metrics that take no params."""


class MetricError(Exception):
    """A metric cannot be computed (for example, a table it needs is missing)."""


@dataclass(frozen=True)
class Context:
    """What a metric's function sees: the typed tables and the period."""

    period: Period
    tables: Mapping[str, pl.LazyFrame]
    attribution: str = "period_start"  # or "period_end", for the retention cohort metrics
    # The end snapshot month of snapshot data ("revenue", "usage") when a partial period uses an
    # earlier month than its own last month (SPEC §3, data freshness); absent: P's last month.
    snapshots: Mapping[str, date] = field(default_factory=dict)

    @property
    def end_month(self) -> date:
        """The month of the end MRR snapshot: P's last month, or the latest month present in a partial P."""
        return self.snapshot_month("revenue")

    def snapshot_month(self, kind: str) -> date:
        """The end snapshot month of ``kind`` (``revenue``, ``usage``): P's last month, or the latest present."""
        return self.snapshots.get(kind, self.period.last_month)

    def table(self, name: str) -> pl.LazyFrame:
        """Return a typed table; raise ``MetricError`` when it was not provided."""
        if name == "revenue":
            return self.revenue_months()
        try:
            return self.tables[name]
        except KeyError:
            raise MetricError(f"needs the {name} table ({name}.csv), which is not in the data") from None

    def revenue_months(self) -> pl.LazyFrame:
        """Return (account_id, month, mrr): the MRR in force at the end of each month."""
        if "mrr" in self.tables:
            return self.tables["mrr"].select("account_id", "month", "mrr")
        if "subscriptions" in self.tables:
            return subscription_months(self.tables["subscriptions"], self.end_month)
        raise MetricError("needs revenue data: mrr.csv or subscriptions.csv, neither is in the data")

    def mrr_at(self, month: date, name: str) -> pl.LazyFrame:
        """Return (account_id, <name>): each account's MRR snapshot at the end of ``month``."""
        return (
            self.revenue_months()
            .filter(pl.col("month") == month)
            .group_by("account_id")
            .agg(pl.col("mrr").sum().alias(name))
        )

    def events(self, table: str, column: str) -> pl.LazyFrame:
        """Return the rows of ``table`` whose ``column`` date lies in the period."""
        return self.table(table).filter(pl.col(column).is_between(self.period.start, self.period.end))

    @property
    def cohort_date(self) -> date:
        """The ownership date of retention cohort units (``attribution`` in the config)."""
        return self.period.end if self.attribution == "period_end" else self.period.start


def subscription_months(subscriptions: pl.LazyFrame, horizon: date) -> pl.LazyFrame:
    """MRR at the end of each month from subscription ranges, up to ``horizon``'s month (SPEC §3).

    A subscription counts in month M when start_date <= last day of M <= end_date (or end_date empty).
    """
    start, end = pl.col("start_date"), pl.col("end_date")
    last = pl.coalesce(end, pl.lit(horizon)).dt.month_start()
    return (
        subscriptions.select("account_id", "start_date", "end_date", "mrr")
        .with_columns(month=pl.date_ranges(start.dt.month_start(), pl.min_horizontal(last, pl.lit(horizon)), "1mo"))
        .explode("month")
        .filter(
            pl.col("month").is_not_null()
            & (pl.col("month").dt.month_end() >= start)
            & (end.is_null() | (pl.col("month").dt.month_end() <= end))
        )
        .group_by("account_id", "month")
        .agg(pl.col("mrr").sum())
    )


def units_frame(frame: pl.LazyFrame, *details: str) -> pl.LazyFrame:
    """Select the unit columns (typed, missing ones null) followed by detail columns.

    A detail column the rows lack is empty: a run that shows no details (``score``) does not load
    the columns only details show (``csmkpi.reach``).
    """
    names = frame.collect_schema().names()
    columns = [
        (pl.col(name) if name in names else pl.lit(None)).cast(dtype).alias(name) for name, dtype in UNIT_SCHEMA.items()
    ]
    return frame.select(*columns, *(pl.col(d) if d in names else pl.lit(None).alias(d) for d in details))


UnitsFn = Callable[[Context, P], pl.LazyFrame]

# The column of ``Metric.periods_units`` rows naming the period a unit belongs to: the index of its context.
PERIOD = "__period"


@dataclass(frozen=True)
class Metric(Generic[P]):
    """A pluggable metric: metadata plus the function yielding its unit rows."""

    name: str
    description: str
    formula: str
    tables: frozenset[str]
    columns: Mapping[str, frozenset[str]]
    params: type[P]
    units: UnitsFn[P]
    aggregation: Aggregation | Callable[[P], Aggregation] = Aggregation.RATIO
    unit: Unit | Callable[[P], Unit] = Unit.RATIO
    sample: str = "units"  # what sample_size counts, for docs
    details: tuple[str, ...] = field(default_factory=tuple)  # extra unit columns explain shows
    # A metric reporting several numbers (mrr_movements) splits one KPI into variants:
    # (id suffix, label suffix, params) each.
    variants: Callable[[P], list[tuple[str, str, P]]] | None = None
    # Doubts about the data the metric still computes through (a milestone no row names): one message each,
    # reported as warnings of the KPI.
    warnings: Callable[[Context, P], list[str]] | None = None
    # Optional, for speed: the unit rows of several periods (``trend``'s months) in one plan, each row
    # with PERIOD (the index of its context; the contexts differ only in period and snapshots). Rows
    # of period i must equal ``units(contexts[i], params)`` in every unit and detail column, in any
    # order; build both from one function (no second formula). Without it, each period calls ``units``.
    periods_units: Callable[[Sequence[Context], P], pl.LazyFrame] | None = None

    def aggregation_for(self, params: P) -> Aggregation:
        """The aggregation, which may depend on the params (``share: true`` makes a sum a ratio)."""
        return self.aggregation if isinstance(self.aggregation, Aggregation) else self.aggregation(params)

    def unit_for(self, params: P) -> Unit:
        """The display unit, which may depend on the params."""
        return self.unit if isinstance(self.unit, Unit) else self.unit(params)

    @property
    def aggregation_name(self) -> str:
        """The aggregation for docs: its value, or ``depends on params``."""
        return self.aggregation.value if isinstance(self.aggregation, Aggregation) else "depends on params"
