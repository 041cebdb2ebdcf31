"""Net revenue retention."""

from __future__ import annotations

import polars as pl

from csmkpi.metrics.base import Context, Metric, units_frame
from csmkpi.metrics.retention import COLUMNS, WindowParams, cohort


def nrr_units(ctx: Context, params: WindowParams) -> pl.LazyFrame:
    """One unit per cohort account: numerator end MRR, denominator start MRR."""
    rows = cohort(ctx, params.window).with_columns(
        numerator=pl.col("end_mrr"), denominator=pl.col("start_mrr"), sample=pl.lit(1)
    )
    return units_frame(rows, "start_mrr", "end_mrr")


METRIC = Metric(
    name="nrr",
    description="Net revenue retention: what the accounts paying at the start pay at the end, expansion included.",
    formula="cohort = accounts with start MRR s > 0; Σ end MRR e / Σ s",
    tables=frozenset({"revenue"}),
    columns=COLUMNS,
    params=WindowParams,
    units=nrr_units,
    sample="cohort accounts",
    details=("start_mrr", "end_mrr"),
)
