"""Expansion ARR that the chosen sources (CSMs by default) brought in."""

from __future__ import annotations

import polars as pl
from pydantic import Field

from csmkpi.metrics.base import Aggregation, Context, Metric, Params, Unit, units_frame


class SourcedParams(Params):
    """``sources`` to credit (matched case-insensitively); ``share: true`` divides by all won expansion ARR."""

    sources: list[str] = Field(default_factory=lambda: ["csm"], min_length=1)
    share: bool = False


def sourced_units(ctx: Context, params: SourcedParams) -> pl.LazyFrame:
    """One unit per won expansion closed in P (only those from ``sources`` unless ``share``); empty amount = 0."""
    sources = [source.strip().lower() for source in params.sources]
    sourced = pl.col("source").is_in(sources)
    amount = pl.col("amount").fill_null(0.0)
    rows = ctx.events("opportunities", "closed_at").filter((pl.col("type") == "expansion") & (pl.col("stage") == "won"))
    if not params.share:
        rows = rows.filter(sourced)
    rows = rows.with_columns(
        date=pl.col("closed_at"),
        numerator=pl.when(sourced).then(amount).otherwise(0.0),
        denominator=amount if params.share else pl.lit(None, pl.Float64),
        sample=pl.lit(1),
    )
    return units_frame(rows, "opportunity_id", "source", "amount")


METRIC = Metric(
    name="sourced_expansion_arr",
    description="Sourced expansion ARR: won expansion ARR from the sources closed in P (share: of all won expansion).",
    formula="Σ amount of won expansions from sources closed in P; share: / Σ amount of all won expansions in P",
    tables=frozenset({"opportunities"}),
    columns={
        "opportunities": frozenset({"opportunity_id", "account_id", "type", "source", "stage", "closed_at", "amount"})
    },
    params=SourcedParams,
    units=sourced_units,
    aggregation=lambda p: Aggregation.RATIO if p.share else Aggregation.SUM,
    unit=lambda p: Unit.RATIO if p.share else Unit.CURRENCY,
    sample="won expansion opportunities",
    details=("opportunity_id", "source", "amount"),
)
