"""The book of business at the period's end, shared by the state-at-end metrics (SPEC §4)."""

from __future__ import annotations

import polars as pl

from csmkpi.metrics.base import Context
from csmkpi.metrics.retention import COLUMNS as REVENUE_COLUMNS

COLUMNS = REVENUE_COLUMNS


def active_at_end(ctx: Context) -> pl.LazyFrame:
    """Accounts active at P's end (MRR of the end snapshot > 0): account_id, date (= P's end), end_mrr."""
    return (
        ctx.mrr_at(ctx.end_month, "end_mrr")
        .filter(pl.col("end_mrr") > 0)
        .with_columns(pl.lit(ctx.period.end).alias("date"))
    )


def activity_types(types: list[str] | None) -> pl.Expr:
    """Filter on activity types (matched trimmed, case-insensitively); ``None`` means all."""
    if types is None:
        return pl.lit(True)
    return pl.col("type").is_in([t.strip().lower() for t in types])
