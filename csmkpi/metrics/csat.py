"""Customer satisfaction: the share of satisfied CSAT responses."""

from __future__ import annotations

import polars as pl
from pydantic import Field

from csmkpi.metrics.base import Context, Metric, Params, units_frame
from csmkpi.metrics.surveys import COLUMNS, responses


class CsatParams(Params):
    """A response is satisfied when its score (1-5) is at least ``threshold``."""

    threshold: int = Field(default=4, ge=1, le=5)


def csat_units(ctx: Context, params: CsatParams) -> pl.LazyFrame:
    """One unit per CSAT response: numerator 1 when score >= threshold."""
    rows = responses(ctx, "csat").with_columns(
        numerator=(pl.col("score") >= params.threshold).cast(pl.Float64), denominator=pl.lit(1.0), sample=pl.lit(1)
    )
    return units_frame(rows, "response_id", "score")


METRIC = Metric(
    name="csat",
    description="CSAT: share of CSAT responses in the period scoring at least the threshold.",
    formula="count(score >= threshold) / count(csat responses)",
    tables=frozenset({"surveys"}),
    columns=COLUMNS,
    params=CsatParams,
    units=csat_units,
    sample="responses",
    details=("response_id", "score"),
)
