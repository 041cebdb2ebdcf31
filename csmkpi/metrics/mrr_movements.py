"""MRR movements: new, reactivation, expansion, contraction and churn, month over month."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Literal

import polars as pl

from csmkpi.metrics.base import PERIOD, Aggregation, Context, Metric, Params, Unit, units_frame
from csmkpi.metrics.retention import COLUMNS
from csmkpi.periods import add_months, month_end

Movement = Literal["new", "reactivation", "expansion", "contraction", "churn"]
MOVEMENTS: tuple[Movement, ...] = ("new", "reactivation", "expansion", "contraction", "churn")


class MovementParams(Params):
    """One ``movement``; without it the KPI reports all five, as ``<id>_new``, ``<id>_expansion``..."""

    movement: Movement | None = None


def _variants(params: MovementParams) -> list[tuple[str, str, MovementParams]]:
    if params.movement is not None:
        return []
    return [(m, m, MovementParams(movement=m)) for m in MOVEMENTS]


def _kind(prev: pl.Expr, cur: pl.Expr, paid_before: pl.Expr) -> pl.Expr:
    return (
        pl.when((prev == 0) & (cur > 0) & ~paid_before)
        .then(pl.lit("new"))
        .when((prev == 0) & (cur > 0))
        .then(pl.lit("reactivation"))
        .when((prev > 0) & (cur > prev))
        .then(pl.lit("expansion"))
        .when((prev > 0) & (cur > 0) & (cur < prev))
        .then(pl.lit("contraction"))
        .when((prev > 0) & (cur == 0))
        .then(pl.lit("churn"))
    )


def movement_units(ctx: Context, params: MovementParams) -> pl.LazyFrame:
    """One unit per account and month of P with a movement of the chosen kind; numerator = its amount (> 0).

    Each month compares the snapshot with the month before; a missing row is 0. New
    means from 0 having never paid before; reactivation from 0 having paid before.
    Contraction and churn amounts are reported as positive decreases. A unit is dated
    at its month's end (or P's end, whichever is first).
    """
    return units_frame(_movements(ctx, [ctx], params), "month", "movement", "prev", "cur")


def periods_movement_units(contexts: Sequence[Context], params: MovementParams) -> pl.LazyFrame:
    """``movement_units`` of several periods in one plan, each row with ``PERIOD`` (its context's index)."""
    # Revenue months do not depend on the horizon up to it (subscriptions): the latest context's serve all.
    latest = max(contexts, key=lambda ctx: ctx.end_month)
    return units_frame(_movements(latest, contexts, params), "month", "movement", "prev", "cur", PERIOD)


def _movements(ctx: Context, periods: Sequence[Context], params: MovementParams) -> pl.LazyFrame:
    """The movement rows of the months of each of ``periods``, from ``ctx``'s revenue; PERIOD: which."""
    months: list[date] = []
    ends: list[date] = []
    keys: list[int] = []
    for i, each in enumerate(periods):
        present = [m for m in each.period.months() if m <= each.end_month]  # a partial P: the months present
        months.extend(present)
        ends.extend(min(month_end(m), each.period.end) for m in present)
        keys.extend([i] * len(present))
    revenue = ctx.revenue_months()
    current = revenue.filter(pl.col("month").is_in(months)).select("account_id", "month", pl.col("mrr").alias("cur"))
    previous = revenue.filter(pl.col("month").is_in([add_months(m, -1) for m in months])).select(
        "account_id", pl.col("month").dt.offset_by("1mo").alias("month"), pl.col("mrr").alias("prev")
    )
    first_paid = revenue.filter(pl.col("mrr") > 0).group_by("account_id").agg(pl.col("month").min().alias("first"))
    prev, cur = pl.col("prev"), pl.col("cur")
    amount = pl.when(cur > prev).then(cur - prev).otherwise(prev - cur)
    ends_frame = pl.DataFrame(
        {"month": months, "month_end": ends, PERIOD: keys},
        schema={"month": pl.Date, "month_end": pl.Date, PERIOD: pl.Int64},
    ).lazy()
    return (
        current.join(previous, on=["account_id", "month"], how="full", coalesce=True)
        .with_columns(cur.fill_null(0.0), prev.fill_null(0.0))
        .join(first_paid, on="account_id", how="left")
        .with_columns(_kind(prev, cur, pl.col("first") < pl.col("month")).alias("movement"))
        .filter(pl.col("movement") == params.movement)
        .join(ends_frame, on="month")
        .with_columns(date=pl.col("month_end"), numerator=amount, sample=pl.lit(1))
    )


METRIC = Metric(
    name="mrr_movements",
    description="MRR movements summed over P's months: new, reactivation, expansion, contraction, churn.",
    formula="Σ over months m of P: new/reactivation = e_m (from 0), expansion = e_m − e_(m−1), "
    "contraction = e_(m−1) − e_m (to > 0), churn = e_(m−1) (to 0)",
    tables=frozenset({"revenue"}),
    columns=COLUMNS,
    params=MovementParams,
    units=movement_units,
    aggregation=Aggregation.SUM,
    unit=Unit.CURRENCY,
    sample="movements (account-months)",
    details=("month", "movement", "prev", "cur"),
    variants=_variants,
    periods_units=periods_movement_units,
)
