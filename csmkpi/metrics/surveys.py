"""Survey responses in the period, shared by csat and nps."""

from __future__ import annotations

import polars as pl

from csmkpi.metrics.base import Context

COLUMNS = {"surveys": frozenset({"response_id", "account_id", "survey", "responded_at", "score"})}


def responses(ctx: Context, survey: str) -> pl.LazyFrame:
    """Responses to ``survey`` given in the period, dated by responded_at."""
    return (
        ctx.events("surveys", "responded_at")
        .filter(pl.col("survey") == survey)
        .with_columns(pl.col("responded_at").alias("date"))
    )
