"""First contact resolution (one-touch resolution)."""

from __future__ import annotations

import polars as pl

from csmkpi.metrics.base import Context, Metric, NoParams, units_frame


def fcr_units(ctx: Context, params: NoParams) -> pl.LazyFrame:
    """One unit per ticket resolved in P with contacts known; 1 when one touch and not reopened.

    An empty ``reopened`` counts as not reopened.
    """
    one_touch = (pl.col("contacts") <= 1) & ~pl.col("reopened").fill_null(False)
    rows = (
        ctx.events("tickets", "resolved_at")
        .filter(pl.col("contacts").is_not_null())
        .with_columns(
            date=pl.col("resolved_at"),
            numerator=one_touch.cast(pl.Float64),
            denominator=pl.lit(1.0),
            sample=pl.lit(1),
        )
    )
    return units_frame(rows, "ticket_id", "contacts", "reopened")


METRIC = Metric(
    name="fcr",
    description="First contact resolution: tickets resolved in the period with at most one contact, not reopened.",
    formula="count(contacts <= 1 and not reopened) / count(tickets resolved in P with contacts known)",
    tables=frozenset({"tickets"}),
    columns={"tickets": frozenset({"ticket_id", "account_id", "resolved_at", "contacts", "reopened"})},
    params=NoParams,
    units=fcr_units,
    sample="tickets",
    details=("ticket_id", "contacts", "reopened"),
)
