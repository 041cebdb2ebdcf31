"""Cost to serve: what the CSMs cost per unit of ARR they manage."""

from __future__ import annotations

import polars as pl

from csmkpi.metrics.base import Aggregation, Context, Metric, NoParams, Unit, units_frame
from csmkpi.metrics.book import COLUMNS, active_at_end


def cost_units(ctx: Context, params: NoParams) -> pl.LazyFrame:
    """One unit per account active at P's end: denominator 12 × end MRR (the cost is added by the rollup)."""
    ctx.table("csms")  # not computable without the CSMs' costs
    rows = active_at_end(ctx).with_columns(numerator=pl.lit(0.0), denominator=12 * pl.col("end_mrr"), sample=pl.lit(1))
    return units_frame(rows, "end_mrr")


METRIC = Metric(
    name="cost_to_serve",
    description="Cost to serve: annual cost of the group's CSMs per dollar of ARR managed.",
    formula="Σ annual_cost of the group's CSMs / Σ 12 × e over active accounts",
    tables=frozenset({"revenue", "csms"}),
    columns={**COLUMNS, "csms": frozenset({"csm_id", "annual_cost"})},
    params=NoParams,
    units=cost_units,
    aggregation=Aggregation.COST,
    unit=Unit.RATIO,
    sample="accounts active at P's end",
    details=("end_mrr",),
)
