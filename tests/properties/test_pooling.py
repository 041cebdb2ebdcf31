"""``rollup.pool``: a rollup of pooled unit rows equals the rollup of the units, to the last bit.

``score`` pools every KPI's units per (group, owner) before its rollup, except medians; these
tests hold that shortcut to the plain rollup, by hand and over generated units.
"""

from __future__ import annotations

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from csmkpi.attribution import OWNER
from csmkpi.metrics.base import Aggregation
from csmkpi.rollup import GROUP, group_costs, pool, poolable, rollup

SCHEMA = {GROUP: pl.String, OWNER: pl.String, "numerator": pl.Float64, "denominator": pl.Float64, "sample": pl.Int64}
POOLABLE = [a for a in Aggregation if poolable(a)]
MEMBERS = pl.LazyFrame({GROUP: ["alice", "bob", "carol"]})
CSMS = pl.LazyFrame({"csm_id": ["alice", "bob", "carol"], "annual_cost": [100_000.0, None, 90_000.5]})


def units(rows: list[tuple[str, str | None, float | None, float | None, int]]) -> pl.LazyFrame:
    return pl.LazyFrame(rows, schema=SCHEMA, orient="row")


def rolled(frame: pl.LazyFrame, aggregation: Aggregation) -> pl.DataFrame:
    costs = group_costs(frame, "csm", {"csms": CSMS}) if aggregation is Aggregation.COST else None
    return rollup(frame, aggregation, MEMBERS, costs=costs).collect().sort(GROUP)  # the cost join may reorder


def test_only_the_median_needs_every_unit() -> None:
    assert [a for a in Aggregation if not poolable(a)] == [Aggregation.MEDIAN]


def test_pool_sums_per_group_and_owner_by_hand() -> None:
    rows = units(
        [
            ("alice", "alice", 0.1, 1.0, 1),
            ("alice", "alice", 0.2, 1.0, 1),
            ("alice", "dave", None, 2.0, 1),  # an actor who is not alice's group's owner stays apart
            ("bob", "bob", None, None, 1),
            ("(unassigned)", None, 5.0, 10.0, 2),
        ]
    )
    pooled = pool(rows).collect().sort(GROUP, OWNER, nulls_last=True)
    assert pooled.select(GROUP, OWNER, "sample").rows() == [
        ("(unassigned)", None, 2),
        ("alice", "alice", 2),
        ("alice", "dave", 1),
        ("bob", "bob", 1),
    ]
    # Exact decimals: 0.1 + 0.2 is 0.3 here, not 0.30000000000000004.
    assert [str(v) for v in pooled["numerator"]] == ["5.0000000000", "0.3000000000", "0E-10", "0E-10"]
    for aggregation in POOLABLE:
        assert rolled(pool(rows), aggregation).equals(rolled(rows, aggregation)), aggregation


def test_pooling_an_empty_frame_rolls_up_like_no_units() -> None:
    for aggregation in POOLABLE:
        assert rolled(pool(units([])), aggregation).equals(rolled(units([]), aggregation)), aggregation


AMOUNTS = st.one_of(
    st.none(),
    st.floats(min_value=-1e9, max_value=1e9, allow_nan=False).map(lambda x: round(x, 4)),
    st.sampled_from([0.1, 0.2, 0.3, 1 / 3, 2 / 3, 1e-10, 123456.789]),
)
UNIT = st.tuples(
    st.sampled_from(["alice", "bob", "carol", "(unassigned)"]),
    st.sampled_from(["alice", "bob", "carol", "dave", None]),
    AMOUNTS,
    AMOUNTS,
    st.integers(min_value=0, max_value=3),
)


@settings(max_examples=150, deadline=None)
@given(rows=st.lists(UNIT, max_size=40), aggregation=st.sampled_from(POOLABLE))
def test_rollup_of_pooled_units_is_the_rollup_of_the_units(rows, aggregation) -> None:
    assert rolled(pool(units(rows)), aggregation).equals(rolled(units(rows), aggregation))


@pytest.mark.parametrize("aggregation", POOLABLE)
def test_pool_keeps_keys_apart(aggregation: Aggregation) -> None:
    rows = units([("alice", "alice", 1.0, 2.0, 1), ("alice", "alice", 3.0, 4.0, 1)]).with_columns(
        pl.Series("__kpi", [0, 1], pl.UInt32)
    )
    pooled = pool(rows, ("__kpi",)).collect().sort("__kpi")
    assert pooled["numerator"].cast(pl.Float64).to_list() == [1.0, 3.0]
    assert pooled["sample"].to_list() == [1, 1]
