"""Referenceable rate: the share of active accounts willing to be a reference."""

from __future__ import annotations

import polars as pl

from csmkpi.metrics.base import Context, Metric, NoParams, units_frame
from csmkpi.metrics.book import COLUMNS, active_at_end


def referenceable_units(ctx: Context, params: NoParams) -> pl.LazyFrame:
    """One unit per account active at P's end: numerator 1 when referenceable (empty counts as false)."""
    flags = ctx.table("accounts").select("account_id", "referenceable")
    rows = (
        active_at_end(ctx)
        .join(flags, on="account_id", how="left")
        .with_columns(
            numerator=pl.col("referenceable").fill_null(False).cast(pl.Float64),
            denominator=pl.lit(1.0),
            sample=pl.lit(1),
        )
    )
    return units_frame(rows, "referenceable")


METRIC = Metric(
    name="referenceable_rate",
    description="Referenceable rate: share of accounts active at the period's end marked referenceable.",
    formula="count(active accounts with referenceable = true) / count(active accounts)",
    tables=frozenset({"revenue", "accounts"}),
    columns={**COLUMNS, "accounts": frozenset({"account_id", "referenceable"})},
    params=NoParams,
    units=referenceable_units,
    sample="accounts active at P's end",
    details=("referenceable",),
)
