"""Win rate of expansion opportunities from the chosen sources."""

from __future__ import annotations

from typing import Literal

import polars as pl
from pydantic import Field

from csmkpi.metrics.base import Context, Metric, Params, units_frame


class CloseRateParams(Params):
    """``sources`` to include (matched case-insensitively); ``weight`` by count or by amount."""

    sources: list[str] = Field(default_factory=lambda: ["csm"], min_length=1)
    weight: Literal["count", "amount"] = "count"


def close_rate_units(ctx: Context, params: CloseRateParams) -> pl.LazyFrame:
    """One unit per expansion won or lost in P from ``sources``; an empty amount counts as 0."""
    sources = [source.strip().lower() for source in params.sources]
    won = pl.col("stage") == "won"
    weight = pl.lit(1.0) if params.weight == "count" else pl.col("amount").fill_null(0.0)
    rows = (
        ctx.events("opportunities", "closed_at")
        .filter(
            (pl.col("type") == "expansion") & pl.col("source").is_in(sources) & pl.col("stage").is_in(["won", "lost"])
        )
        .with_columns(
            date=pl.col("closed_at"),
            numerator=pl.when(won).then(weight).otherwise(0.0),
            denominator=weight,
            sample=pl.lit(1),
        )
    )
    return units_frame(rows, "opportunity_id", "stage", "amount")


METRIC = Metric(
    name="expansion_close_rate",
    description="Expansion close rate: won / (won + lost) expansion opportunities from the sources, closed in P.",
    formula="count: won / (won + lost); amount: Σ amount won / Σ amount won or lost",
    tables=frozenset({"opportunities"}),
    columns={
        "opportunities": frozenset({"opportunity_id", "account_id", "type", "source", "stage", "closed_at", "amount"})
    },
    params=CloseRateParams,
    units=close_rate_units,
    sample="opportunities won or lost",
    details=("opportunity_id", "stage", "amount"),
)
