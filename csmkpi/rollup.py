"""Pool unit rows into groups: Σ numerator / Σ denominator, never an average of ratios.

Every member of the dimension gets a row (even with no units), ``(unassigned)``
appears when units land there, and ``ALL`` pools every unit of the department.
"""

from __future__ import annotations

from collections.abc import Mapping

import polars as pl

from csmkpi.attribution import OWNER
from csmkpi.dimensions import ALL, UNASSIGNED
from csmkpi.metrics.base import Aggregation

GROUP = "group"


def with_group(units: pl.LazyFrame, by: str, tables: Mapping[str, pl.LazyFrame]) -> pl.LazyFrame:
    """Add the ``group`` column to attributed unit rows."""
    if by == "csm":
        group = pl.col(OWNER)
    elif by in ("team", "manager"):
        if "csms" not in tables:
            return units.with_columns(pl.lit(UNASSIGNED).alias(GROUP))
        lookup = tables["csms"].select(pl.col("csm_id").alias(OWNER), pl.col(by).alias(GROUP))
        return units.join(lookup, on=OWNER, how="left").with_columns(pl.col(GROUP).fill_null(UNASSIGNED))
    else:
        if "accounts" not in tables:
            return units.with_columns(pl.lit(UNASSIGNED).alias(GROUP))
        lookup = tables["accounts"].select("account_id", pl.col(by).alias(GROUP))
        return units.join(lookup, on="account_id", how="left").with_columns(pl.col(GROUP).fill_null(UNASSIGNED))
    return units.with_columns(group.fill_null(UNASSIGNED).alias(GROUP))


def members(by: str, tables: Mapping[str, pl.LazyFrame]) -> pl.LazyFrame:
    """Every member of the dimension: csm_ids, teams and managers of csms; segments and regions of accounts."""
    source, column = (
        ("csms", "csm_id") if by == "csm" else ("csms", by) if by in ("team", "manager") else ("accounts", by)
    )
    if source not in tables:
        return pl.LazyFrame(schema={GROUP: pl.String})
    return tables[source].select(pl.col(column).alias(GROUP)).drop_nulls().unique()


EXACT = pl.Decimal(38, 10)
_SCALE = 10**10  # EXACT's 10 decimals
_UNIT = "0.0000000001"  # 1 / _SCALE


def exact_total(value: pl.Expr) -> pl.Expr:
    """The sum of a float column as EXACT: each value to 10 decimal places, added exactly.

    Not ``cast(EXACT).sum()``: Polars scales by 10^10 in floating point, off by up to 1e-4 from 1e11
    on (987654321098.0 becomes 987654321097.9999088640). The whole part is scaled exactly and the
    fraction rounded to 10 places (within 1e-10), as integers, and added as integers; exact for values
    below 1.7e28 (inputs stop at 1e18).
    """
    return _fixed(_scaled(value).sum())


def to_float(value: pl.Expr) -> pl.Expr:
    """An EXACT decimal as the nearest float (through its digits: the direct cast can be a unit off)."""
    return value.cast(pl.String).cast(pl.Float64)


def _scaled(value: pl.Expr) -> pl.Expr:
    whole = value.floor()
    return whole.cast(pl.Int128) * _SCALE + ((value - whole) * _SCALE).round().cast(pl.Int128)


def _fixed(scaled: pl.Expr) -> pl.Expr:
    # A string, not a Decimal: Polars builds a Decimal literal through numpy, whose import (and
    # OpenBLAS's buffers) a run that never needs it should not pay, above all under a memory limit.
    return scaled.cast(pl.Decimal(38, 0)) * pl.lit(_UNIT).cast(EXACT)


def exact_sum(column: str, *, pooled: bool = False) -> pl.Expr:
    """Sum as 10-decimal fixed point, so the same input gives byte-identical output.

    A float sum depends on the (parallel, unordered) order of its terms; a decimal sum does not.
    ``pooled``: the column holds EXACT sums already (``pool``), which add on exactly.
    """
    return to_float(pl.col(column).sum() if pooled else exact_total(pl.col(column)))


def poolable(aggregation: Aggregation) -> bool:
    """Whether a rollup reads only per-owner sums of a group's units (every aggregation but the median)."""
    return aggregation is not Aggregation.MEDIAN


def pool(units: pl.LazyFrame, keys: tuple[str, ...] = ()) -> pl.LazyFrame:
    """Sum unit rows per ``keys``, group and owner, numerator and denominator as exact decimals.

    A rollup of pooled rows gives exactly the rollup of the units (decimal sums are exact, and
    each group keeps its owners), but reads a few rows per group instead of every unit.
    """
    return pool_by(units, (*keys, GROUP, OWNER))


def pool_by(units: pl.LazyFrame, keys: tuple[str, ...]) -> pl.LazyFrame:
    """Sum unit rows per ``keys`` as ``pool`` does (``pool`` adds group and owner to its keys)."""
    return units.group_by(*keys).agg(
        exact_total(pl.col("numerator")), exact_total(pl.col("denominator")), pl.col("sample").sum()
    )


def _aggregations(aggregation: Aggregation, pooled: bool) -> list[pl.Expr]:
    numerator = exact_sum("numerator", pooled=pooled)
    denominator = exact_sum("denominator", pooled=pooled)
    sample = pl.col("sample").sum().alias("sample_size")
    if aggregation is Aggregation.SUM:
        return [numerator, pl.lit(None, pl.Float64).alias("denominator"), sample, numerator.alias("value")]
    if aggregation is Aggregation.MEDIAN:
        empty = pl.lit(None, pl.Float64)
        return [
            empty.alias("numerator"),
            empty.alias("denominator"),
            sample,
            pl.col("numerator").median().alias("value"),
        ]
    if aggregation is Aggregation.PER_CSM:
        denominator = pl.col(OWNER).drop_nulls().n_unique().cast(pl.Float64).alias("denominator")
    return [numerator, denominator, sample, (numerator / denominator).alias("value")]


def _with_costs(rows: pl.LazyFrame, costs: pl.LazyFrame) -> pl.LazyFrame:
    """Put the group's CSM cost in the numerator (Aggregation.COST)."""
    return (
        rows.drop("numerator", "value")
        .join(costs, on=GROUP, how="left")
        .with_columns((pl.col("numerator") / pl.col("denominator")).alias("value"))
        .select(GROUP, "numerator", "denominator", "sample_size", "value")
    )


def group_costs(units: pl.LazyFrame, by: str, tables: Mapping[str, pl.LazyFrame]) -> pl.LazyFrame:
    """Annual cost of each group's CSMs, plus ``ALL``: group, numerator.

    By csm, team or manager the group's CSMs are its members in csms.csv; by segment
    or region they are the distinct owners of the group's units. ``ALL`` is the
    department's cost, every CSM of csms.csv, whatever ``by`` is (SPEC §4: every ALL
    row is the same under every grouping). An empty cost is 0.
    """
    cost = pl.col("annual_cost").fill_null(0.0)
    if by in ("csm", "team", "manager"):
        members = tables["csms"].select(
            (pl.col("csm_id") if by == "csm" else pl.col(by)).fill_null(UNASSIGNED).alias(GROUP), cost
        )
    else:
        owned = units.select(GROUP, OWNER).drop_nulls(OWNER).unique()
        csms = tables["csms"].select(pl.col("csm_id").alias(OWNER), cost)
        members = owned.join(csms, on=OWNER).select(GROUP, "annual_cost")
    per_group = members.group_by(GROUP).agg(exact_sum("annual_cost").alias("numerator"))
    total = tables["csms"].select(pl.lit(ALL).alias(GROUP), exact_sum("annual_cost").alias("numerator"))
    return pl.concat([per_group, total])


def rollup(
    units: pl.LazyFrame,
    aggregation: Aggregation,
    group_members: pl.LazyFrame,
    costs: pl.LazyFrame | None = None,
) -> pl.LazyFrame:
    """Return one row per group plus ``ALL``: group, numerator, denominator, sample_size, value.

    ``costs`` (group, numerator) supplies the numerators of ``Aggregation.COST``.
    """
    aggs = _aggregations(aggregation, _pooled(units))
    groups = units.group_by(GROUP).agg(aggs)
    everyone = department(units, aggregation, costs)
    empty_value = 0.0 if aggregation is Aggregation.SUM else None
    filled = (
        group_members.join(groups, on=GROUP, how="full", coalesce=True)
        .with_columns(
            pl.col("sample_size").fill_null(0),
            pl.col("numerator").fill_null(empty_value) if aggregation is Aggregation.SUM else pl.col("numerator"),
            pl.col("value").fill_null(empty_value) if aggregation is Aggregation.SUM else pl.col("value"),
        )
        .sort(GROUP)
    )
    if costs is not None:  # after filling, so a CSM without units still shows the cost
        filled = _with_costs(filled, costs.filter(pl.col(GROUP) != ALL))
    result = pl.concat([filled, everyone], how="vertical_relaxed")
    # A ratio over a zero denominator has no value (never NaN or inf).
    return result.with_columns(pl.when(pl.col("value").is_finite()).then(pl.col("value")).alias("value"))


def department(units: pl.LazyFrame, aggregation: Aggregation, costs: pl.LazyFrame | None = None) -> pl.LazyFrame:
    """The ``ALL`` row of ``rollup``: every unit pooled, whatever its group (``costs`` as there)."""
    everyone = units.select(pl.lit(ALL).alias(GROUP), *_aggregations(aggregation, _pooled(units)))
    if costs is not None:
        everyone = _with_costs(everyone, costs.filter(pl.col(GROUP) == ALL))
    return everyone


def _pooled(units: pl.LazyFrame) -> bool:
    """Whether the rows are ``pool``'s (EXACT sums), not units (floats)."""
    return units.collect_schema()["numerator"] == EXACT


def empty_row(aggregation: Aggregation) -> dict[str, float | int | None]:
    """The numbers of a group with no units: sample 0, value 0 for sums, empty otherwise (SPEC §4)."""
    zero = 0.0 if aggregation is Aggregation.SUM else None
    return {"numerator": zero, "denominator": None, "sample_size": 0, "value": zero}


def complete(rows: pl.DataFrame, groups: list[str], aggregation: Aggregation) -> pl.DataFrame:
    """Add the groups another KPI produced (``(unassigned)``, owners outside csms) with no units."""
    present = set(rows[GROUP].to_list())
    missing = [g for g in groups if g not in present]
    if not missing:
        return rows
    empty = empty_row(aggregation)
    filler = pl.DataFrame(
        {GROUP: missing, **{name: [value] * len(missing) for name, value in empty.items()}}, schema=rows.schema
    )
    return pl.concat([rows.filter(pl.col(GROUP) != ALL), filler, rows.filter(pl.col(GROUP) == ALL)])
