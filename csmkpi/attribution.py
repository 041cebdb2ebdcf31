"""Who owns a unit: the account's owner on the unit's date (SPEC §4).

Ownership comes from assignments when a range covers the date (ranges
inclusive), else from accounts.csm_id. A unit's ``actor`` (a CSM who acted)
overrides the owner; only activity_count sets it.
"""

from __future__ import annotations

from collections.abc import Mapping

import polars as pl

OWNER = "owner"


def attribute(units: pl.LazyFrame, tables: Mapping[str, pl.LazyFrame]) -> pl.LazyFrame:
    """Add ``owner`` (csm_id or null) to unit rows.

    Units join the accounts once, which also says whether an account has an ownership history;
    only the units of those accounts (a few percent) look up the range covering their date.
    """
    owner = pl.coalesce("actor", "__assigned", "__account_owner").alias(OWNER)
    if "accounts" in tables:
        owners = tables["accounts"].select("account_id", pl.col("csm_id").alias("__account_owner"))
    else:
        owners = pl.LazyFrame(schema={"account_id": pl.String, "__account_owner": pl.String})
    if "assignments" not in tables:
        units = (
            units.join(owners, on="account_id", how="left")
            if "accounts" in tables
            else units.with_columns(pl.lit(None, pl.String).alias("__account_owner"))
        )
        return (
            units.with_columns(pl.lit(None, pl.String).alias("__assigned"))
            .with_columns(owner)
            .drop("__assigned", "__account_owner")
        )
    assignments = tables["assignments"].select("account_id", "csm_id", "start_date", "end_date")
    history = assignments.select("account_id").unique().with_columns(pl.lit(True).alias("__history"))
    units = units.join(owners.join(history, on="account_id", how="full", coalesce=True), on="account_id", how="left")
    others = units.filter(pl.col("__history").is_null()).with_columns(pl.lit(None, pl.String).alias("__assigned"))
    moved = units.filter(pl.col("__history"))
    # Keyed by (account, date), not by row position: a lazy plan may produce rows in any order.
    covered = (
        moved.select("account_id", "date")
        .unique()
        .join(assignments, on="account_id")
        .filter(
            (pl.col("date") >= pl.col("start_date"))
            & ((pl.col("date") <= pl.col("end_date")) | pl.col("end_date").is_null())
        )
        .group_by("account_id", "date")
        .agg(pl.col("csm_id").min().alias("__assigned"))
    )
    moved = moved.join(covered, on=["account_id", "date"], how="left")
    return (
        pl.concat([others, moved], how="vertical_relaxed")
        .with_columns(owner)
        .drop("__assigned", "__account_owner", "__history")
    )
