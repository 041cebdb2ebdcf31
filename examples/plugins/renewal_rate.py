"""An example csmkpi metric plugin: the renewal win rate.

Use it from a config next to this file (``plugins: [renewal_rate]``) or register
it from a package's pyproject.toml:

    [project.entry-points."csmkpi.metrics"]
    renewal_rate = "renewal_rate:METRIC"
"""

from __future__ import annotations

import polars as pl

from csmkpi.metrics.base import Context, Metric, NoParams, units_frame


def renewal_units(ctx: Context, params: NoParams) -> pl.LazyFrame:
    """One unit per renewal won or lost in P: 1 when won."""
    rows = (
        ctx.events("opportunities", "closed_at")
        .filter((pl.col("type") == "renewal") & pl.col("stage").is_in(["won", "lost"]))
        .with_columns(
            date=pl.col("closed_at"),
            numerator=(pl.col("stage") == "won").cast(pl.Float64),
            denominator=pl.lit(1.0),
            sample=pl.lit(1),
        )
    )
    return units_frame(rows, "opportunity_id", "stage")


METRIC = Metric(
    name="renewal_rate",
    description="Renewal win rate: renewals won / (won + lost), closed in P.",
    formula="count(renewals won) / count(renewals won or lost)",
    tables=frozenset({"opportunities"}),
    columns={"opportunities": frozenset({"opportunity_id", "account_id", "type", "stage", "closed_at"})},
    params=NoParams,
    units=renewal_units,
    sample="renewals won or lost",
    details=("opportunity_id", "stage"),
)
