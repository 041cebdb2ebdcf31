"""Net Promoter Score."""

from __future__ import annotations

import polars as pl

from csmkpi.metrics.base import Context, Metric, NoParams, Unit, units_frame
from csmkpi.metrics.surveys import COLUMNS, responses


def nps_units(ctx: Context, params: NoParams) -> pl.LazyFrame:
    """One unit per NPS response: numerator +100 promoter, -100 detractor, 0 passive."""
    score = pl.col("score")
    rows = responses(ctx, "nps").with_columns(
        numerator=pl.when(score >= 9).then(100.0).when(score <= 6).then(-100.0).otherwise(0.0),
        denominator=pl.lit(1.0),
        sample=pl.lit(1),
    )
    return units_frame(rows, "response_id", "score")


METRIC = Metric(
    name="nps",
    description="NPS: promoters (9-10) minus detractors (0-6), in points, over NPS responses in the period.",
    formula="100 × (count(score >= 9) − count(score <= 6)) / count(nps responses)",
    tables=frozenset({"surveys"}),
    columns=COLUMNS,
    params=NoParams,
    units=nps_units,
    unit=Unit.POINTS,
    sample="responses",
    details=("response_id", "score"),
)
