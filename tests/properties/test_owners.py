"""``attribution.Owners`` against a plain-Python reading of SPEC §4's ownership rule.

``score`` and ``trend`` attribute a period's units with ``Owners`` (hash join, owner codes, the few
accounts with an assignment history looked up apart) and pool them; ``explain``, ``reasons`` and the
report name the same owners through ``attribute``. These tests hold both to the rule, computed here
row by row over generated data, hash collisions included.
"""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from csmkpi.attribution import _HASH, OWNER, Owners, attribute
from csmkpi.engine import _owned_units, owners_for
from csmkpi.metrics.base import UNIT_SCHEMA, Aggregation
from csmkpi.rollup import GROUP, pool, with_group

IDS = ["a0", "a1", "a2", "a3", "a4"]
CSMS = ["c1", "c2", "c3"]
DAY = date(2026, 1, 1)
day = st.integers(0, 40).map(lambda n: DAY + timedelta(days=n))

accounts_rows = st.lists(
    st.tuples(st.sampled_from(IDS), st.none() | st.sampled_from(CSMS), st.sampled_from(["smb", "ent"]) | st.none()),
    max_size=5,
    unique_by=lambda row: row[0],
)
assignment_rows = st.lists(
    st.tuples(st.sampled_from([*IDS, "a9"]), st.sampled_from([*CSMS, "c9"]), day, st.none() | day), max_size=6
)
unit_rows = st.lists(
    st.tuples(
        st.none() | st.sampled_from([*IDS, "a9", "zz"]),
        day,
        st.none() | st.sampled_from(["c1", "c8"]),
        st.floats(0, 10, allow_nan=False, width=32),
        st.none() | st.floats(0, 10, allow_nan=False, width=32),
    ),
    max_size=25,
)


def tables(accounts, assignments) -> dict[str, pl.LazyFrame]:
    return {
        "accounts": pl.LazyFrame(
            accounts, schema={"account_id": pl.String, "csm_id": pl.String, "segment": pl.String}, orient="row"
        ),
        "assignments": pl.LazyFrame(
            assignments,
            schema={"account_id": pl.String, "csm_id": pl.String, "start_date": pl.Date, "end_date": pl.Date},
            orient="row",
        ),
        "csms": pl.LazyFrame({"csm_id": ["c1", "c2", "c9"], "team": ["t1", "t1", "t2"]}),
    }


def frame(units) -> pl.DataFrame:
    rows = [(a, d, actor, n, den, 1) for a, d, actor, n, den in units]
    return pl.DataFrame(rows, schema=dict(UNIT_SCHEMA), orient="row")


def owner_of(account_id, on, actor, accounts, assignments):
    """SPEC §4 by hand: the actor; else the lowest csm_id of the assignments covering the date; else accounts'."""
    if actor is not None:
        return actor
    covering = [
        csm for a, csm, start, end in assignments if a == account_id and start <= on and (end is None or on <= end)
    ]
    if covering:
        return min(covering)
    return next((csm for a, csm, _ in accounts if a == account_id), None)


def reference(units, accounts, assignments) -> pl.DataFrame:
    """Each unit row with its owner, by ``owner_of``."""
    rows = [(*unit, owner_of(unit[0], unit[1], unit[2], accounts, assignments)) for unit in units]
    schema = {**{n: t for n, t in UNIT_SCHEMA.items() if n != "sample"}, OWNER: pl.String}
    return pl.DataFrame(rows, schema=schema, orient="row").with_columns(pl.lit(1, pl.Int64).alias("sample"))


def expected(units, accounts, assignments, by: str, given_tables) -> pl.DataFrame:
    owned = with_group(reference(units, accounts, assignments).lazy(), by, given_tables).with_columns(
        pl.lit(0, pl.UInt32).alias("__kpi")
    )
    return pool(owned, ("__kpi",)).drop("__kpi").collect()


def ordered(rows: pl.DataFrame) -> pl.DataFrame:
    return rows.select(GROUP, OWNER, "numerator", "denominator", "sample").sort(GROUP, OWNER, nulls_last=True)


@settings(max_examples=150, deadline=None)
@given(accounts_rows, assignment_rows, unit_rows, st.sampled_from(["csm", "team", "segment"]))
def test_owners_pool_as_the_rule_attributes(accounts, assignments, units, by) -> None:
    given_tables = tables(accounts, assignments)
    rows = frame(units)
    got = _owned_units({"k": rows.lazy()}, {"k": Aggregation.RATIO}, by, given_tables)["k"]
    assert ordered(got).equals(ordered(expected(units, accounts, assignments, by, given_tables)))


@settings(max_examples=150, deadline=None)
@given(accounts_rows, assignment_rows, unit_rows, st.booleans())
def test_attribute_names_each_unit_by_the_rule(accounts, assignments, units, lazy) -> None:
    rows = frame(units)
    got = attribute(rows.lazy() if lazy else rows, tables(accounts, assignments)).collect()
    assert got.columns == [*UNIT_SCHEMA, OWNER]
    want = reference(units, accounts, assignments).select(*UNIT_SCHEMA, OWNER)
    columns = list(want.columns)
    assert got.sort(columns, nulls_last=True).equals(want.sort(columns, nulls_last=True))


@settings(max_examples=60, deadline=None)
@given(accounts_rows, assignment_rows, unit_rows)
def test_a_hash_collision_falls_back_to_the_text(accounts, assignments, units) -> None:
    given_tables = tables(accounts, assignments)
    owners = owners_for(given_tables, "csm")
    # A decoy account whose id hashes as "zz" (a unit id no table holds): a unit "zz" matches it on the hash
    # and would take its owner unless the ids are compared.
    decoy = owners.accounts.head(0).vstack(
        pl.DataFrame(
            {"account_id": ["decoy"], "__account_owner": [0], "__history": [False], _HASH: pl.Series(["zz"]).hash()},
            schema=owners.accounts.schema,
        )
    )
    broken = dataclasses.replace(owners, accounts=owners.accounts.vstack(decoy), hashed=True)
    units = [*units, ("zz", DAY, None, 1.0, 1.0)]
    got = _owned_units({"k": frame(units).lazy()}, {"k": Aggregation.RATIO}, "csm", given_tables, broken)["k"]
    assert ordered(got).equals(ordered(expected(units, accounts, assignments, "csm", given_tables)))


def test_no_accounts_or_assignments_table_leaves_units_to_their_actor() -> None:
    units = [("a1", DAY, None, 1.0, 1.0), ("a2", DAY, "c1", 2.0, 1.0)]
    got = _owned_units({"k": frame(units).lazy()}, {"k": Aggregation.RATIO}, "csm", {})["k"]
    assert ordered(got).equals(ordered(expected(units, [], [], "csm", {})))
    assert attribute(frame(units), {}).collect()[OWNER].to_list() == [None, "c1"]
    assert isinstance(Owners.of({}), Owners)
