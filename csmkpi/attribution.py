"""Who owns a unit: the account's owner on the unit's date (SPEC §4).

Ownership comes from assignments when a range covers the date (ranges
inclusive), else from accounts.csm_id. A unit's ``actor`` (a CSM who acted)
overrides the owner; only activity_count sets it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

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


# Columns of coded unit rows: the owner as a code of ``Owners.names``, the group as a code of ``Owners.groups``.
OWNER_CODE = "__owner"
GROUP_CODE = "__group"
_HASH = "__account_hash"


@dataclass(frozen=True)
class Owners:
    """Every account's owner as a number, for attributing many unit rows with one join (``attribute``'s rule).

    ``names``: every csm_id of accounts and assignments, sorted, so code order is name order (the
    lowest covering assignment's csm_id is its lowest code). ``accounts``: per account_id (of accounts
    or assignments) its csm_id's code, ``__history`` (an assignment names it) and, when the grouping
    is an account column (segment, region), that column's code in ``groups``. ``assignments``: the
    ranges with their csm_id's code, looked up only for the units of accounts with a history.
    """

    names: pl.Series
    accounts: pl.DataFrame
    assignments: pl.DataFrame
    groups: pl.Series | None = None
    hashed: bool = False  # accounts has _HASH, the ids' hashes, all distinct

    @classmethod
    def of(cls, tables: Mapping[str, pl.LazyFrame], group_column: str | None = None) -> Owners:
        """Number the accounts of ``tables``; ``group_column``: an accounts column units are grouped by."""
        account_columns = ["account_id", "csm_id"] + ([group_column] if group_column else [])
        accounts = (
            tables["accounts"].select(account_columns)
            if "accounts" in tables
            else pl.LazyFrame(schema={name: pl.String for name in account_columns})
        )
        assignments = (
            tables["assignments"].select("account_id", "csm_id", "start_date", "end_date")
            if "assignments" in tables
            else pl.LazyFrame(
                schema={"account_id": pl.String, "csm_id": pl.String, "start_date": pl.Date, "end_date": pl.Date}
            )
        )
        accounts_, assignments_ = pl.collect_all([accounts, assignments])
        names = pl.concat([accounts_["csm_id"], assignments_["csm_id"]]).drop_nulls().unique().sort()
        codes = pl.DataFrame({"csm_id": names}).with_row_index("__code")
        groups = accounts_[group_column].drop_nulls().unique().sort() if group_column else None
        history = assignments_.select(pl.col("account_id").unique(), pl.lit(True).alias("__history"))
        numbered = (
            accounts_.lazy()
            .join(codes.lazy(), on="csm_id", how="left")
            .rename({"__code": "__account_owner"})
            .join(history.lazy(), on="account_id", how="full", coalesce=True)
            .with_columns(pl.col("__history").fill_null(False))
        )
        if groups is not None:
            group_codes = pl.DataFrame({group_column: groups}).with_row_index(GROUP_CODE).lazy()
            numbered = numbered.join(group_codes, on=group_column, how="left")
        ranges = assignments_.lazy().join(codes.lazy(), on="csm_id").drop("csm_id")
        numbered_ = numbered.select(
            "account_id", "__account_owner", "__history", *([GROUP_CODE] if groups is not None else [])
        ).with_columns(pl.col("account_id").hash().alias(_HASH))
        accounts_numbered, ranges_ = pl.collect_all([numbered_, ranges])
        hashed = accounts_numbered[_HASH].n_unique() == accounts_numbered.height
        return cls(
            names=names,
            accounts=accounts_numbered if hashed else accounts_numbered.drop(_HASH),
            assignments=ranges_,
            groups=groups,
            hashed=hashed,
        )

    def attribute(self, units: pl.LazyFrame) -> pl.DataFrame:
        """Unit rows with ``__actor`` (``actor_codes``) plus OWNER_CODE (and GROUP_CODE with a group column)."""
        # One join to the accounts gives most units their owner; the units of accounts with an
        # assignment history (a few) get the covering assignment's code written in place by row number.
        joined = self._joined(units)
        owner = joined.select(pl.coalesce("__actor", "__account_owner").alias(OWNER_CODE)).to_series()
        if self.assignments.height:
            covered = (
                joined.lazy()
                .select("__actor", "account_id", "date", "__history")
                .with_row_index("__unit")
                .filter(pl.col("__history"))
                .join(self.assignments.lazy(), on="account_id")
                .filter(
                    (pl.col("date") >= pl.col("start_date"))
                    & ((pl.col("date") <= pl.col("end_date")) | pl.col("end_date").is_null())
                )
                .group_by("__unit")
                .agg(pl.coalesce(pl.col("__actor").first(), pl.col("__code").min()).alias(OWNER_CODE))
                .collect()
            )
            if covered.height:
                owner = owner.scatter(covered["__unit"], covered[OWNER_CODE])
        return joined.drop("__account_owner", "__history", "__actor").with_columns(owner)

    def _joined(self, units: pl.LazyFrame) -> pl.DataFrame:
        """Units left-joined to ``accounts`` on account_id."""
        if self.hashed:
            # A join on the ids' 64-bit hashes costs a third of one on the text. Two ids with one hash
            # would join wrongly: the accounts' hashes are distinct (``hashed``) and each joined unit's
            # id is compared with its account's, else the join is redone on the text.
            by_hash = self.accounts.rename({"account_id": "__account_id"})
            joined = (
                units.with_columns(pl.col("account_id").hash().alias(_HASH))
                .join(by_hash.lazy(), on=_HASH, how="left")
                .collect()
            )
            theirs = pl.col("__account_id")
            if joined.select((theirs.is_null() | theirs.eq_missing(pl.col("account_id"))).all()).item():
                return joined.drop(_HASH, "__account_id")
        return units.join(self.accounts.drop(_HASH, strict=False).lazy(), on="account_id", how="left").collect()

    def actor_codes(self, actors: pl.Series) -> pl.DataFrame:
        """(actor, __actor) for distinct ``actors``: a csm_id's code, others numbered after ``names``."""
        known = pl.DataFrame({"actor": self.names}).with_row_index("__actor")
        found = pl.DataFrame({"actor": actors.drop_nulls().unique().sort()}).join(known, on="actor", how="left")
        new = found.filter(pl.col("__actor").is_null()).with_row_index("__new")
        return pl.concat(
            [
                found.filter(pl.col("__actor").is_not_null()),
                new.select("actor", (pl.col("__new") + len(self.names)).cast(pl.UInt32).alias("__actor")),
            ]
        )
