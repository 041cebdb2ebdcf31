"""Who owns a unit: the account's owner on the unit's date (SPEC §4).

Ownership comes from assignments when a range covers the date (ranges
inclusive), else from accounts.csm_id. A unit's ``actor`` (a CSM who acted)
overrides the owner; only activity_count sets it.
"""

from __future__ import annotations

from collections.abc import Mapping

import polars as pl

OWNER = "owner"


def attribute(units: pl.LazyFrame | pl.DataFrame, tables: Mapping[str, pl.LazyFrame]) -> pl.LazyFrame:
    """Add ``owner`` (csm_id or null) to unit rows."""
    # Rows in memory keep their positions: the few units an assignment covers then join back by row
    # number. A lazy plan may produce rows in any order, so its units join back by (account, date).
    keys = ["__unit"] if isinstance(units, pl.DataFrame) else ["account_id", "date"]
    indexed = units.lazy().with_row_index("__unit") if isinstance(units, pl.DataFrame) else units.lazy()
    if "accounts" in tables:
        owners = tables["accounts"].select("account_id", pl.col("csm_id").alias("__account_owner"))
        joined = indexed.join(owners, on="account_id", how="left")
    else:
        joined = indexed.with_columns(pl.lit(None, pl.String).alias("__account_owner"))
    if "assignments" in tables:
        joined = joined.join(_covered(indexed, tables["assignments"], keys), on=keys, how="left")
    else:
        joined = joined.with_columns(pl.lit(None, pl.String).alias("__assigned"))
    owner = pl.coalesce("actor", "__assigned", "__account_owner").alias(OWNER)
    return joined.with_columns(owner).drop("__assigned", "__account_owner", *(["__unit"] if keys == ["__unit"] else []))


def _covered(units: pl.LazyFrame, assignments: pl.LazyFrame, keys: list[str]) -> pl.LazyFrame:
    """The csm_id of the assignment covering each unit's date, per ``keys``, for the units one covers."""
    # The inner join first keeps only the few accounts with assignments; group_by then dedupes.
    return (
        units.select(*dict.fromkeys([*keys, "account_id", "date"]))
        .join(assignments.select("account_id", "csm_id", "start_date", "end_date"), on="account_id")
        .filter(
            (pl.col("date") >= pl.col("start_date"))
            & ((pl.col("date") <= pl.col("end_date")) | pl.col("end_date").is_null())
        )
        .group_by(keys)
        .agg(pl.col("csm_id").min().alias("__assigned"))
    )
