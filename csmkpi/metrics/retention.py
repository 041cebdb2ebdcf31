"""The revenue cohort shared by nrr, grr and churn (SPEC §3-4)."""

from __future__ import annotations

from typing import Literal

import polars as pl

from csmkpi.metrics.base import Context, Params
from csmkpi.periods import add_months

Window = Literal["period", "trailing_12m"]


class WindowParams(Params):
    """``window: period`` compares P's start and end; ``trailing_12m`` the 12 months to P's end."""

    window: Window = "period"


def cohort(ctx: Context, window: Window) -> pl.LazyFrame:
    """Accounts paying at the window's start: (account_id, date, start_mrr, end_mrr).

    Start MRR is the snapshot of the month before the period (or 12 months before
    its end snapshot); end MRR is the end snapshot (P's last month, or the latest
    month present in a partial P), 0 when the account has no row.
    """
    period = ctx.period
    start_month = period.start_snapshot_month if window == "period" else add_months(ctx.end_month, -12)
    start = ctx.mrr_at(start_month, "start_mrr").filter(pl.col("start_mrr") > 0)
    end = ctx.mrr_at(ctx.end_month, "end_mrr")
    return start.join(end, on="account_id", how="left").select(
        "account_id",
        pl.lit(ctx.cohort_date).alias("date"),
        "start_mrr",
        pl.col("end_mrr").fill_null(0.0),
    )


COLUMNS = {
    "mrr": frozenset({"account_id", "month", "mrr"}),
    "subscriptions": frozenset({"account_id", "start_date", "end_date", "mrr"}),
}
