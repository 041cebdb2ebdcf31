"""Churn reasons: a Pareto of why logos churned in a period, by count and by lost MRR (SPEC §8.3).

The churned units are the ``churn`` metric's own: its cohort accounts (MRR > 0 at the start
snapshot) with end MRR 0, attributed and grouped as every metric's units are, with the window of
the config's churn KPIs. A group's logos and lost MRR therefore equal its ``churn`` numerators
(basis logos and revenue), in every group of every dimension.

An account's reason is its ``churn_reason``; else the ``loss_reason`` of its latest lost renewal
closed in [P start - ``lookback_days``, P end] (ties: the greatest opportunity_id); else
``(unknown)``. Labels are normalised (trimmed, white space made one space, lower-cased), then
``reasons.map`` renames them; a multi-select value stays one label, so no logo counts twice.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import polars as pl

from csmkpi.config import LoadedConfig, ReasonsConfig
from csmkpi.dimensions import ALL, UNASSIGNED
from csmkpi.engine import Kpi, Run, ScoreRequest, configure, group_names, kpi_units, load_data, revenue_snapshot
from csmkpi.errors import InputMissingError, Issue, UsageError
from csmkpi.groups import resolve
from csmkpi.metrics.base import MetricError
from csmkpi.metrics.churn import METRIC as CHURN
from csmkpi.metrics.churn import ChurnParams
from csmkpi.metrics.retention import Window
from csmkpi.periods import Period
from csmkpi.rollup import GROUP, exact_total, members, to_float
from csmkpi.scoring import Target

RANK_BY = ("mrr", "logos")
COLUMNS = (
    "period",
    "period_start",
    "period_end",
    "group_by",
    "group",
    "reason",
    "rank",
    "logos",
    "logo_share",
    "cum_logo_share",
    "lost_mrr",
    "mrr_share",
    "cum_mrr_share",
)
OPPORTUNITY_COLUMNS = frozenset({"opportunity_id", "account_id", "type", "stage", "closed_at", "loss_reason"})


def churn_kpi(config: LoadedConfig) -> tuple[Kpi, list[Issue]]:
    """The churn metric's units by revenue (numerator = start MRR when churned), with the config's window.

    The window is the config's churn KPIs' (default ``period``), so a group's totals are their
    numerators. Churn KPIs with different windows: the first in config order is followed, and a
    warning names the others.
    """
    found = {k.id: config.params.get(k.id) for k in config.kpis if k.metric == "churn"}
    windows: dict[str, Window] = {kpi_id: p.window for kpi_id, p in found.items() if isinstance(p, ChurnParams)}
    no_churn_kpi: tuple[str, Window] = ("", "period")
    first, window = next(iter(windows.items()), no_churn_kpi)
    others = [f"{kpi_id!r} (window {each})" for kpi_id, each in windows.items() if each != window]
    warnings = []
    if others:
        message = (
            f"churn reasons follow KPI {first!r} (window {window}); the numerators of {', '.join(others)} "
            "are not these totals"
        )
        warnings.append(Issue("warning", message, check="reasons_window"))
    params = ChurnParams(basis="revenue", window=window)
    return Kpi("churn", "Churn", CHURN, params, Target("churn", None, "lower", 0.0, 0)), warnings


@dataclass(frozen=True)
class Reasons:
    """The Pareto rows of a period, and the churned accounts behind them."""

    period: Period
    as_of: date
    group_by: str
    rank_by: str
    rows: pl.DataFrame  # COLUMNS
    churned: pl.DataFrame  # account_id, owner, group, lost_mrr, reason, source (churn_reason | loss_reason | none)
    groups: tuple[str, ...]  # every member of the dimension
    warnings: tuple[Issue, ...] = ()
    notes: tuple[str, ...] = ()
    inputs: tuple[Path, ...] = ()
    known: bool = True  # False when the revenue data ends before the period's end snapshot: no rows, not no churn
    names: dict[str, str] = field(default_factory=dict)  # each group's display name (engine.group_names)

    def table(self) -> pl.DataFrame:
        """The rows of SPEC §8.3: groups by name, then (unassigned), then ALL; reasons by rank."""
        return self.rows.select(COLUMNS)

    def empty_message(self, group: str = ALL) -> str:
        """Why a group has no rows: nobody churned, or the data cannot tell yet."""
        span = f"{self.period.label} ({self.period.start} → {self.period.end})"
        if not self.known:
            return f"no churn reasons for {span}: the revenue data does not reach its end (see the warning)"
        return f"no churned accounts{'' if group == ALL else f' for {group}'} in {span}"

    def group_id(self, group: str) -> str:
        """The member ``group`` names, any case; a usage error with "did you mean" when none (SPEC 6)."""
        known = dict.fromkeys([*self.groups, *self.rows[GROUP].to_list(), UNASSIGNED, ALL], "")
        return resolve([group], known, self.group_by)[0]

    def of(self, group: str) -> pl.DataFrame:
        """One group's rows in rank order (a group without churn has none)."""
        return self.rows.filter(pl.col(GROUP) == self.group_id(group))


def check_rank_by(rank_by: str) -> str:
    """The ``--rank-by`` measure, or a usage error."""
    if rank_by not in RANK_BY:
        raise UsageError(f"--rank-by must be mrr or logos, not {rank_by!r}")
    return rank_by


# The columns reasons reads beyond its KPIs' (none): the churn cohort's, the reason and the renewals.
EXTRA_COLUMNS = {
    **CHURN.columns,
    "accounts": frozenset({"account_id", "churn_reason"}),
    "opportunities": OPPORTUNITY_COLUMNS,
}


def reasons(request: ScoreRequest, rank_by: str = "mrr") -> Reasons:
    """The churn-reason Pareto of the request's period, grouped ``request.by``, ranked ``rank_by``."""
    check_rank_by(rank_by)
    run = configure(request)
    run = load_data(Run(run.config, run.period, run.as_of, [], run.data, run.warnings), request, extra=EXTRA_COLUMNS)
    return reasons_of(run, request.by, rank_by)


def reasons_of(run: Run, by: str, rank_by: str = "mrr") -> Reasons:
    """The Pareto of a loaded run's period (its data has ``EXTRA_COLUMNS``), grouped ``by``, ranked ``rank_by``."""
    tables = run.data.lazy()
    if "mrr" not in tables and "subscriptions" not in tables:
        raise InputMissingError("reasons needs revenue data: mrr.csv or subscriptions.csv, neither is in the data")
    churn, followed = churn_kpi(run.config)
    warnings = [*run.warnings, *followed]
    snapshot = revenue_snapshot(run)
    try:
        units = kpi_units(run, churn, by, tables)
    except MetricError as exc:  # the end snapshot is after the data's last month: no data, never all churned
        warnings.append(Issue("warning", f"churn reasons of {run.period.label}: {exc}", check="missing_month"))
        units = None
    churned = _churned(run, units, tables)
    note = snapshot.note("revenue", run.period)
    return Reasons(
        period=run.period,
        as_of=run.as_of,
        group_by=by,
        rank_by=rank_by,
        rows=pareto(churned, run.period, by, rank_by),
        churned=churned,
        groups=tuple(str(g) for g in members(by, tables).collect()[GROUP].to_list()),
        warnings=tuple(warnings),
        notes=(note,) if note else (),
        inputs=(run.config.path, *run.data.files.values(), *run.data.folder_files),
        known=units is not None,
        names=group_names(run, by),
    )


_CHURNED_SCHEMA = {
    "account_id": pl.String,
    "owner": pl.String,
    GROUP: pl.String,
    "lost_mrr": pl.Float64,
    "reason": pl.String,
    "source": pl.String,
}


def _churned(run: Run, units: pl.LazyFrame | None, tables: dict[str, pl.LazyFrame]) -> pl.DataFrame:
    """The churned accounts with their group, lost MRR (start MRR) and reason label."""
    if units is None:
        return pl.DataFrame(schema=_CHURNED_SCHEMA)
    churned = units.filter(pl.col("end_mrr") == 0).select(
        "account_id", "owner", GROUP, pl.col("numerator").alias("lost_mrr")
    )
    if "accounts" in tables:
        own = tables["accounts"].select("account_id", pl.col("churn_reason"))
        churned = churned.join(own, on="account_id", how="left")
    else:
        churned = churned.with_columns(pl.lit(None, pl.String).alias("churn_reason"))
    renewal = _lost_renewal_reasons(run, tables)
    frame = (
        churned.join(renewal, on="account_id", how="left")
        .with_columns(
            pl.when(pl.col("churn_reason").is_not_null())
            .then(pl.lit("churn_reason"))
            .when(pl.col("loss_reason").is_not_null())
            .then(pl.lit("loss_reason"))
            .otherwise(pl.lit("none"))
            .alias("source"),
            pl.coalesce("churn_reason", "loss_reason").alias("raw"),
        )
        .collect()
    )
    return frame.with_columns(_labels(frame["raw"], run.config.reasons).alias("reason")).select(*_CHURNED_SCHEMA)


def _lost_renewal_reasons(run: Run, tables: dict[str, pl.LazyFrame]) -> pl.LazyFrame:
    """Per account, the loss_reason of its latest lost renewal closed in [P start - lookback_days, P end]."""
    if "opportunities" not in tables:
        return pl.LazyFrame(schema={"account_id": pl.String, "loss_reason": pl.String})
    period = run.period
    since = _days_before(period.start, run.config.reasons.lookback_days)
    return (
        tables["opportunities"]
        .filter(
            (pl.col("type") == "renewal")
            & (pl.col("stage") == "lost")
            & pl.col("closed_at").is_between(since, period.end)
            & pl.col("loss_reason").is_not_null()
        )
        .group_by("account_id")
        .agg(pl.col("loss_reason").sort_by(["closed_at", "opportunity_id"], descending=True).first())
    )


def _days_before(day: date, days: int) -> date:
    """``day`` minus ``days``, or the first representable date."""
    try:
        return day - timedelta(days=days)
    except OverflowError:
        return date.min


def _labels(raw: pl.Series, settings: ReasonsConfig) -> pl.Series:
    """The reported label of each raw reason (each distinct value is folded once)."""
    distinct = [value for value in raw.unique().to_list() if value is not None]
    labels = {value: settings.label(value) for value in distinct}
    return raw.replace_strict(labels, default=settings.label(None), return_dtype=pl.String)


def pareto(churned: pl.DataFrame, period: Period, by: str, rank_by: str) -> pl.DataFrame:
    """Per group (and ALL) and reason: logos, lost MRR, shares of the group's totals and cumulative shares."""
    primary, secondary = ("lost", "logos") if rank_by == "mrr" else ("logos", "lost")
    everyone = churned.with_columns(pl.lit(ALL).alias(GROUP))
    rows = (
        pl.concat([churned, everyone])
        .group_by(GROUP, "reason")
        .agg(pl.len().cast(pl.Int64).alias("logos"), exact_total(pl.col("lost_mrr")).alias("lost"))
        .with_columns(
            pl.when(pl.col(GROUP) == ALL).then(2).when(pl.col(GROUP) == UNASSIGNED).then(1).otherwise(0).alias("__g")
        )
        .sort(["__g", GROUP, primary, secondary, "reason"], descending=[False, False, True, True, False])
    )
    over = [GROUP]
    total_logos, total_lost = pl.col("logos").sum().over(over), pl.col("lost").sum().over(over)
    lost = to_float(pl.col("lost"))
    return rows.select(
        pl.lit(period.label).alias("period"),
        pl.lit(period.start).alias("period_start"),
        pl.lit(period.end).alias("period_end"),
        pl.lit(by).alias("group_by"),
        GROUP,
        "reason",
        pl.int_range(1, pl.len() + 1, dtype=pl.Int64).over(over).alias("rank"),
        "logos",
        (pl.col("logos") / total_logos).alias("logo_share"),
        (pl.col("logos").cum_sum().over(over) / total_logos).alias("cum_logo_share"),
        lost.alias("lost_mrr"),
        _share(lost, to_float(total_lost)).alias("mrr_share"),
        _share(to_float(pl.col("lost").cum_sum().over(over)), to_float(total_lost)).alias("cum_mrr_share"),
    )


def _share(part: pl.Expr, whole: pl.Expr) -> pl.Expr:
    """The share part / whole, empty when whole is 0 (never NaN or inf)."""
    return pl.when(whole != 0).then(part / whole)
