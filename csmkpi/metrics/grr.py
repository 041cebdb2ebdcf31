"""Gross revenue retention."""

from __future__ import annotations

import polars as pl

from csmkpi.metrics.base import Context, Metric, units_frame
from csmkpi.metrics.retention import COLUMNS, WindowParams, cohort


def grr_units(ctx: Context, params: WindowParams) -> pl.LazyFrame:
    """One unit per cohort account: numerator min(e, s), denominator s."""
    rows = cohort(ctx, params.window).with_columns(
        numerator=pl.min_horizontal("end_mrr", "start_mrr"), denominator=pl.col("start_mrr"), sample=pl.lit(1)
    )
    return units_frame(rows, "start_mrr", "end_mrr")


METRIC = Metric(
    name="grr",
    description="Gross revenue retention: retention without expansion, never above 100%.",
    formula="cohort = accounts with start MRR s > 0; Σ min(e, s) / Σ s",
    tables=frozenset({"revenue"}),
    columns=COLUMNS,
    params=WindowParams,
    units=grr_units,
    sample="cohort accounts",
    details=("start_mrr", "end_mrr"),
)
