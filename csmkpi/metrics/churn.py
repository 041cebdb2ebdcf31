"""Logo or revenue churn of the start cohort."""

from __future__ import annotations

from typing import Literal

import polars as pl

from csmkpi.metrics.base import Context, Metric, units_frame
from csmkpi.metrics.retention import COLUMNS, WindowParams, cohort


class ChurnParams(WindowParams):
    """``basis: logos`` counts accounts; ``basis: revenue`` weighs them by start MRR."""

    basis: Literal["logos", "revenue"] = "logos"


def churn_units(ctx: Context, params: ChurnParams) -> pl.LazyFrame:
    """One unit per cohort account; churned when its end MRR is 0."""
    churned = pl.col("end_mrr") == 0
    weight = pl.lit(1.0) if params.basis == "logos" else pl.col("start_mrr")
    rows = cohort(ctx, params.window).with_columns(
        numerator=pl.when(churned).then(weight).otherwise(0.0), denominator=weight, sample=pl.lit(1)
    )
    return units_frame(rows, "start_mrr", "end_mrr")


METRIC = Metric(
    name="churn",
    description="Churn: the share of the start cohort (accounts, or their MRR) that pays nothing at the end.",
    formula="logos: cohort accounts with e = 0 / cohort size; revenue: Σ s over accounts with e = 0 / Σ s",
    tables=frozenset({"revenue"}),
    columns=COLUMNS,
    params=ChurnParams,
    units=churn_units,
    sample="cohort accounts",
    details=("start_mrr", "end_mrr"),
)
