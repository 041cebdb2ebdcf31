"""Activity metrics: touch cadence, coverage and counts (the leading, controllable KPIs)."""

from __future__ import annotations

from typing import Literal

import polars as pl
from pydantic import Field

from csmkpi.metrics.base import Aggregation, Context, Metric, Params, Unit, units_frame
from csmkpi.metrics.book import COLUMNS as BOOK_COLUMNS
from csmkpi.metrics.book import active_at_end, activity_types

ACTIVITY_COLUMNS = {"activities": frozenset({"activity_id", "account_id", "type", "occurred_at", "csm_id"})}
Types = list[str] | Literal["all"]


def _types(types: Types) -> list[str] | None:
    return None if types == "all" else types


class CadenceParams(Params):
    """``max_gap_days`` between touches; ``types`` of activity that count (``all`` or a list)."""

    max_gap_days: int = Field(default=14, ge=0)
    types: Types = "all"


class CoverageParams(Params):
    """At least ``min_count`` activities of ``types`` in the period."""

    types: Types = Field(default_factory=lambda: ["qbr", "ebr"])
    min_count: int = Field(default=1, ge=1)


class CountParams(Params):
    """Which activity ``types`` to count (``all`` or a list)."""

    types: Types = "all"


def _activities(ctx: Context, types: Types) -> pl.LazyFrame:
    return ctx.events("activities", "occurred_at").filter(activity_types(_types(types)))


def cadence_units(ctx: Context, params: CadenceParams) -> pl.LazyFrame:
    """One unit per account active at P's end: 1 when its largest gap between touches is <= max_gap_days.

    The points are P's start date, the dates of its activities in P and P's end date,
    so an account never touched in a 92-day quarter has a gap of 91 days.
    """
    active = active_at_end(ctx)
    period = ctx.period
    # Each point as one integer, account index * span + day in the period: one sort of integers orders them by
    # account then date (several times faster, and lighter, than sorting account_id strings with the dates).
    # The index comes from the accounts in id order, so it is the same wherever the plan evaluates it.
    ids = active.select("account_id").sort("account_id").with_row_index("account")
    span = (period.end - period.start).days + 1
    day = (pl.col("point") - pl.lit(period.start)).dt.total_days()
    touches = _activities(ctx, params.types).select("account_id", pl.col("occurred_at").alias("point"))
    points = pl.concat(
        [
            ids.select("account", pl.lit(0, pl.Int64).alias("day")),
            ids.select("account", pl.lit(span - 1, pl.Int64).alias("day")),
            touches.join(ids, on="account_id", how="inner").select("account", day.alias("day")),
        ]
    ).select((pl.col("account").cast(pl.Int64) * span + pl.col("day")).alias("point"))
    point = pl.col("point")
    account = point // span
    gap = pl.when(account == account.shift(1)).then(point - point.shift(1))
    gaps = (
        points.sort("point")
        .select(account.alias("account"), gap.alias("gap"))
        .group_by("account")
        .agg(pl.col("gap").max().alias("max_gap_days"), (pl.len() - 2).alias("touches"))
        .join(ids, on="account")
        .drop("account")
    )
    rows = active.join(gaps, on="account_id", how="left").with_columns(
        numerator=(pl.col("max_gap_days") <= params.max_gap_days).cast(pl.Float64),
        denominator=pl.lit(1.0),
        sample=pl.lit(1),
    )
    return units_frame(rows, "max_gap_days", "touches")


def coverage_units(ctx: Context, params: CoverageParams) -> pl.LazyFrame:
    """One unit per account active at P's end: 1 when it had >= min_count activities of ``types`` in P."""
    counts = _activities(ctx, params.types).group_by("account_id").agg(pl.len().alias("activities"))
    rows = (
        active_at_end(ctx)
        .join(counts, on="account_id", how="left")
        .with_columns(pl.col("activities").fill_null(0))
        .with_columns(
            numerator=(pl.col("activities") >= params.min_count).cast(pl.Float64),
            denominator=pl.lit(1.0),
            sample=pl.lit(1),
        )
    )
    return units_frame(rows, "activities")


def count_units(ctx: Context, params: CountParams) -> pl.LazyFrame:
    """One unit per activity of ``types`` in P, credited to its own csm_id when set, else the owner."""
    rows = _activities(ctx, params.types).with_columns(
        date=pl.col("occurred_at"), actor=pl.col("csm_id"), numerator=pl.lit(1.0), sample=pl.lit(1)
    )
    return units_frame(rows, "activity_id", "type")


TOUCH_CADENCE = Metric(
    name="touch_cadence",
    description="Touch cadence: share of active accounts never left more than max_gap_days without a touch.",
    formula="active accounts whose largest gap between [P start, activity dates, P end] <= max_gap_days / active",
    tables=frozenset({"revenue", "activities"}),
    columns={**BOOK_COLUMNS, **ACTIVITY_COLUMNS},
    params=CadenceParams,
    units=cadence_units,
    sample="accounts active at P's end",
    details=("max_gap_days", "touches"),
)

ACTIVITY_COVERAGE = Metric(
    name="activity_coverage",
    description="Activity coverage: share of active accounts with at least min_count activities of the types.",
    formula="count(active accounts with >= min_count activities of types in P) / count(active accounts)",
    tables=frozenset({"revenue", "activities"}),
    columns={**BOOK_COLUMNS, **ACTIVITY_COLUMNS},
    params=CoverageParams,
    units=coverage_units,
    sample="accounts active at P's end",
    details=("activities",),
)

ACTIVITY_COUNT = Metric(
    name="activity_count",
    description="Activity count: activities of the types in P, credited to the CSM who did them.",
    formula="count(activities of types in P)",
    tables=frozenset({"activities"}),
    columns=ACTIVITY_COLUMNS,
    params=CountParams,
    units=count_units,
    aggregation=Aggregation.SUM,
    unit=Unit.COUNT,
    sample="activities",
    details=("activity_id", "type"),
)

METRICS = [TOUCH_CADENCE, ACTIVITY_COVERAGE, ACTIVITY_COUNT]
