"""``explain``: the unit rows behind one group's number, biggest contributors first.

The total row comes from the same rollup as the scorecard, so it always equals
the scorecard's numbers for that group and KPI.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl

from csmkpi.attribution import OWNER
from csmkpi.dimensions import ALL, UNASSIGNED
from csmkpi.engine import Kpi, Run, ScoreRequest, group_costs, kpi_units, prepare
from csmkpi.errors import Issue, UsageError
from csmkpi.metrics.base import Aggregation, MetricError
from csmkpi.periods import Period
from csmkpi.rollup import GROUP, empty_row, members, rollup
from csmkpi.suggest import did_you_mean, find

TOTAL = "TOTAL"
COLUMNS = ("kpi", "group", "account_id", "account_name", "owner", "date", "numerator", "denominator", "sample", "share")


@dataclass(frozen=True)
class Explanation:
    """The units of one KPI for one group, and the group's total."""

    period: Period
    as_of: date
    group_by: str
    group: str
    kpi: Kpi
    units: pl.DataFrame  # COLUMNS + the metric's detail columns, biggest contributors first
    total: Mapping[str, Any]  # numerator, denominator, sample_size, value of the group (as the scorecard)
    warnings: tuple[Issue, ...] = ()  # the load's, as a scorecard has them
    inputs: tuple[Path, ...] = ()  # files read, which an output must never overwrite

    def table(self) -> pl.DataFrame:
        """The units followed by a ``TOTAL`` row carrying the group's value."""
        total = pl.DataFrame(
            {
                "kpi": [self.kpi.id],
                "group": [self.group],
                "account_id": [TOTAL],
                "numerator": [self.total["numerator"]],
                "denominator": [self.total["denominator"]],
                "sample": [self.total["sample_size"]],
                "share": [1.0 if self.units.height else None],
                "value": [self.total["value"]],
            },
            schema_overrides={"numerator": pl.Float64, "denominator": pl.Float64, "sample": pl.Int64},
        )
        units = self.units.with_columns(pl.lit(None, pl.Float64).alias("value"))
        return pl.concat([units, total], how="diagonal_relaxed").select(*units.columns)


def _resolve_group(run: Run, by: str, group: str) -> str:
    """Accept a group id or, by csm, a CSM's name (case-insensitive); suggest close names otherwise."""
    from csmkpi.groups import resolve

    tables = run.data.tables
    found: dict[str, str] = {ALL: "All", UNASSIGNED: UNASSIGNED}
    found |= {str(g): "" for g in members(by, run.data.lazy()).collect()[GROUP].to_list()}
    if by == "csm" and "csms" in tables and "csm_name" in tables["csms"].columns:
        found |= {str(i): str(n) for i, n in tables["csms"].select("csm_id", "csm_name").iter_rows() if n}
    return resolve([group], found, by)[0]


def explain(request: ScoreRequest, kpi_id: str, group: str) -> Explanation:
    """Return the unit rows behind ``kpi_id`` for ``group`` (a member of ``request.by``, or ALL)."""
    # Only this KPI's tables and columns are read; an unknown id is reported before the data is.
    run = prepare(dataclasses.replace(request, kpis=(kpi_id,)))
    ids = [k.id for k in run.kpis]
    found = find(kpi_id, ids)
    if found is None:
        raise UsageError(f"unknown KPI {kpi_id!r}{did_you_mean(kpi_id, ids)} The config defines: {', '.join(ids)}")
    kpi, by = next(k for k in run.kpis if k.id == found), request.by
    chosen = _resolve_group(run, by, group)
    tables = run.data.lazy()
    try:
        units = kpi_units(run, kpi, by, tables)
    except MetricError as exc:
        raise UsageError(f"KPI {kpi_id!r} is not computable: {exc}") from exc
    costs = group_costs(units, by, tables) if kpi.aggregation is Aggregation.COST else None
    totals = rollup(units, kpi.aggregation, members(by, tables), costs=costs).filter(pl.col(GROUP) == chosen)
    mine = units if chosen == ALL else units.filter(pl.col(GROUP) == chosen)
    names = (
        tables["accounts"].select("account_id", "account_name")
        if "accounts" in tables and "account_name" in run.data.tables["accounts"].columns
        else pl.LazyFrame(schema={"account_id": pl.String, "account_name": pl.String})
    )
    numerator_total, denominator_total = pl.col("numerator").sum(), pl.col("denominator").sum()
    # Share of the numerator; where the numerator is all zeros (cost_to_serve), of the denominator.
    share = (
        pl.when(numerator_total != 0)
        .then(pl.col("numerator") / numerator_total)
        .when(denominator_total != 0)
        .then(pl.col("denominator") / denominator_total)
    )
    tiebreak = [c for c in dict.fromkeys([*COLUMNS, *kpi.metric.details]) if c not in ("account_id", "date", "share")]
    rows, total = pl.collect_all(
        [
            mine.join(names, on="account_id", how="left")
            .with_columns(pl.lit(kpi.id).alias("kpi"), pl.col(OWNER).alias("owner"))
            # Every column breaks ties: rows come in whatever order the plan makes them (and a table read
            # from the cache is in event-date order), and the same data must print the same bytes. The
            # shares are taken after the sort, so their totals add up in that one order.
            .sort(
                [pl.col("numerator").abs(), pl.col("denominator").abs(), "account_id", "date", *tiebreak],
                descending=[True, True, False, False, *(False for _ in tiebreak)],
                nulls_last=True,
            )
            .with_columns(share.alias("share"))
            .select(*COLUMNS, *kpi.metric.details),
            totals,
        ]
    )
    return Explanation(
        run.period,
        run.as_of,
        by,
        chosen,
        kpi,
        rows,
        total.row(0, named=True) if total.height else empty_row(kpi.aggregation),
        warnings=tuple(run.warnings),
        inputs=run.inputs,
    )
