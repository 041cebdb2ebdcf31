"""Product adoption from usage.csv: seat utilisation at P's end and growth of active users over P.

Usage is snapshot data like MRR: the row for month M is the state of that month, its last month
bounds what a period may read (SPEC §3, data freshness), and a partial period reads the latest
month present within it (``ctx.snapshot_month("usage")``).
"""

from __future__ import annotations

from datetime import date

import polars as pl

from csmkpi.metrics.base import Context, Metric, NoParams, units_frame
from csmkpi.metrics.book import COLUMNS as BOOK_COLUMNS
from csmkpi.metrics.book import active_at_end

USAGE_COLUMNS = {"usage": frozenset({"account_id", "month", "active_users", "licensed_seats"})}


def usage_at(ctx: Context, month: date, *columns: str) -> pl.LazyFrame:
    """The usage rows of one month: account_id and ``columns``; at most one row per account (a table key)."""
    return ctx.table("usage").filter(pl.col("month") == month).select("account_id", *columns)


def seat_units(ctx: Context, params: NoParams) -> pl.LazyFrame:
    """One unit per account active at P's end with licensed_seats > 0 in the usage month: users over seats.

    An account without a usage row that month, or with empty or 0 seats, is outside the metric
    (nothing to divide by); more active users than seats counts as it is (the value can exceed 1).
    """
    month = ctx.snapshot_month("usage")
    seats = usage_at(ctx, month, "active_users", "licensed_seats").filter(pl.col("licensed_seats") > 0)
    rows = (
        active_at_end(ctx)
        .join(seats, on="account_id", how="inner")
        .with_columns(
            month=pl.lit(month),
            numerator=pl.col("active_users").cast(pl.Float64),
            denominator=pl.col("licensed_seats").cast(pl.Float64),
            sample=pl.lit(1),
        )
    )
    return units_frame(rows, "month", "active_users", "licensed_seats", "end_mrr")


def growth_units(ctx: Context, params: NoParams) -> pl.LazyFrame:
    """One unit per account with active users in the month before P: users at P's end over users then.

    A missing row in the end month is 0 active users (the file has that month: freshness is checked
    before any metric runs).
    """
    start = usage_at(ctx, ctx.period.start_snapshot_month, "active_users").filter(pl.col("active_users") > 0)
    end = usage_at(ctx, ctx.snapshot_month("usage"), "active_users").select(
        "account_id", pl.col("active_users").alias("end_users")
    )
    rows = (
        start.select("account_id", pl.col("active_users").alias("start_users"))
        .join(end, on="account_id", how="left")
        .with_columns(
            pl.col("end_users").fill_null(0),
            date=pl.lit(ctx.period.start),
            numerator=pl.col("end_users").fill_null(0).cast(pl.Float64),
            denominator=pl.col("start_users").cast(pl.Float64),
            sample=pl.lit(1),
        )
    )
    return units_frame(rows, "start_users", "end_users")


SEAT_UTILISATION = Metric(
    name="seat_utilisation",
    description="Seat utilisation: active users over licensed seats of the accounts active at the period's end.",
    formula="accounts active at P's end with licensed_seats > 0 in P's last month: Σ active_users / Σ licensed_seats",
    tables=frozenset({"revenue", "usage"}),
    columns={**BOOK_COLUMNS, **USAGE_COLUMNS},
    params=NoParams,
    units=seat_units,
    sample="accounts active at P's end with licensed seats",
    details=("month", "active_users", "licensed_seats", "end_mrr"),
)

ADOPTION_GROWTH = Metric(
    name="adoption_growth",
    description="Adoption growth: active users at the period's end over those of the accounts active before it.",
    formula="accounts with active_users > 0 in the month before P: Σ active_users in P's last month / Σ active_users "
    "in the month before P (missing = 0)",
    tables=frozenset({"usage"}),
    columns={"usage": frozenset({"account_id", "month", "active_users"})},
    params=NoParams,
    units=growth_units,
    sample="accounts with active users in the month before P",
    details=("start_users", "end_users"),
)

METRICS = [SEAT_UTILISATION, ADOPTION_GROWTH]
