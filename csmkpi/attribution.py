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
    """Add ``owner`` (csm_id or null) to unit rows."""
    if "accounts" in tables:
        owners = tables["accounts"].select("account_id", pl.col("csm_id").alias("__account_owner"))
        units = units.join(owners, on="account_id", how="left")
    else:
        units = units.with_columns(pl.lit(None, pl.String).alias("__account_owner"))
    if "assignments" in tables:
        # Keyed by (account, date), not by row position: a lazy plan may produce rows in any order.
        # The inner join first keeps only the few accounts with assignments; group_by then dedupes.
        covered = (
            units.select("account_id", "date")
            .join(tables["assignments"].select("account_id", "csm_id", "start_date", "end_date"), on="account_id")
            .filter(
                (pl.col("date") >= pl.col("start_date"))
                & ((pl.col("date") <= pl.col("end_date")) | pl.col("end_date").is_null())
            )
            .group_by("account_id", "date")
            .agg(pl.col("csm_id").min().alias("__assigned"))
        )
        units = units.join(covered, on=["account_id", "date"], how="left")
    else:
        units = units.with_columns(pl.lit(None, pl.String).alias("__assigned"))
    owner = pl.coalesce("actor", "__assigned", "__account_owner").alias(OWNER)
    return units.with_columns(owner).drop("__assigned", "__account_owner")
