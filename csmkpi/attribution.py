"""Who owns a unit: the account's owner on the unit's date (SPEC §4).

Ownership comes from assignments when a range covers the date (ranges
inclusive; several: the lowest csm_id), else from accounts.csm_id. A unit's
``actor`` (a CSM who acted) overrides the owner; only activity_count sets it.
``Owners`` holds the one implementation: ``score`` and ``trend`` pool its owner
codes, ``attribute`` (explain, reasons, the report) names them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import polars as pl

OWNER = "owner"


def attribute(units: pl.LazyFrame | pl.DataFrame, tables: Mapping[str, pl.LazyFrame]) -> pl.LazyFrame:
    """Add ``owner`` (csm_id or null) to unit rows: ``Owners``' rule, with the owners' names."""
    return Owners.of(tables).named(units)


# Columns of coded unit rows: the owner as a code of ``Owners.names``, the group as a code of ``Owners.groups``.
OWNER_CODE = "__owner"
GROUP_CODE = "__group"
_HASH = "__account_hash"


@dataclass(frozen=True)
class Owners:
    """Every account's owner as a number, for attributing many unit rows with one join (the module's rule).

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

    def named(self, units: pl.LazyFrame | pl.DataFrame) -> pl.LazyFrame:
        """Unit rows (``UNIT_SCHEMA``'s columns and any others) with OWNER, the owner's csm_id (or null)."""
        rows = units.collect() if isinstance(units, pl.LazyFrame) else units
        actors = self.actor_codes(rows["actor"])
        # The rows keep their order (the joins need not): sums over them, as explain's shares, then
        # add up in the same order every run.
        coded = rows.lazy().with_row_index("__order").join(actors.lazy(), on="actor", how="left")
        owned = self.attribute(coded).lazy().join(self.owner_names(actors).lazy(), on=OWNER_CODE, how="left")
        return owned.sort("__order").drop("__order", OWNER_CODE)

    def owner_names(self, actors: pl.DataFrame) -> pl.DataFrame:
        """(OWNER_CODE, OWNER): the csm_id of every code, ``names``' and ``actors``' (``actor_codes``)."""
        return pl.concat(
            [
                pl.DataFrame({OWNER: self.names}).with_row_index(OWNER_CODE),
                actors.select(pl.col("__actor").alias(OWNER_CODE), pl.col("actor").alias(OWNER)),
            ]
        ).unique(OWNER_CODE)

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
