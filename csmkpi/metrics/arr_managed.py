"""ARR managed, ARR per CSM and accounts per CSM: the size of the book at the period's end."""

from __future__ import annotations

import polars as pl

from csmkpi.metrics.base import Aggregation, Context, Metric, NoParams, Unit, units_frame
from csmkpi.metrics.book import COLUMNS, active_at_end


def arr_units(ctx: Context, params: NoParams) -> pl.LazyFrame:
    """One unit per account active at P's end: numerator 12 × end MRR."""
    rows = active_at_end(ctx).with_columns(numerator=12 * pl.col("end_mrr"), sample=pl.lit(1))
    return units_frame(rows, "end_mrr")


def account_units(ctx: Context, params: NoParams) -> pl.LazyFrame:
    """One unit per account active at P's end: numerator 1."""
    rows = active_at_end(ctx).with_columns(numerator=pl.lit(1.0), sample=pl.lit(1))
    return units_frame(rows, "end_mrr")


ARR_MANAGED = Metric(
    name="arr_managed",
    description="ARR managed: 12 × MRR of the accounts active at the period's end.",
    formula="Σ 12 × e over accounts with e > 0",
    tables=frozenset({"revenue"}),
    columns=COLUMNS,
    params=NoParams,
    units=arr_units,
    aggregation=Aggregation.SUM,
    unit=Unit.CURRENCY,
    sample="accounts active at P's end",
    details=("end_mrr",),
)

ARR_PER_CSM = Metric(
    name="arr_per_csm",
    description="ARR per CSM: ARR managed divided by the distinct CSMs owning the group's active accounts.",
    formula="Σ 12 × e / count(distinct owners of active accounts)",
    tables=frozenset({"revenue"}),
    columns=COLUMNS,
    params=NoParams,
    units=arr_units,
    aggregation=Aggregation.PER_CSM,
    unit=Unit.CURRENCY,
    sample="accounts active at P's end",
    details=("end_mrr",),
)

ACCOUNTS_PER_CSM = Metric(
    name="accounts_per_csm",
    description="Accounts per CSM: active accounts divided by the distinct CSMs owning them.",
    formula="count(accounts with e > 0) / count(distinct owners of active accounts)",
    tables=frozenset({"revenue"}),
    columns=COLUMNS,
    params=NoParams,
    units=account_units,
    aggregation=Aggregation.PER_CSM,
    unit=Unit.COUNT,
    sample="accounts active at P's end",
    details=("end_mrr",),
)

METRICS = [ARR_MANAGED, ARR_PER_CSM, ACCOUNTS_PER_CSM]
