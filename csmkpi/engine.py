"""The library API: ``score(ScoreRequest) -> Scorecard``. It never prints.

config -> period -> metrics -> tables (read once, validated) -> per KPI:
units -> attribution -> group -> rollup, all KPIs collected in one
``collect_all`` -> scoring.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl

from csmkpi import dataset, periods, progress, reach
from csmkpi.attribution import GROUP_CODE, OWNER, OWNER_CODE, Owners, attribute
from csmkpi.config import LoadedConfig, load_config, peek_plugins, read_config
from csmkpi.dimensions import ALL, UNASSIGNED
from csmkpi.errors import ConfigError, Issue, UsageError
from csmkpi.freshness import Snapshot, end_snapshot
from csmkpi.metrics.base import UNIT_SCHEMA, Aggregation, Context, Metric, MetricError, Unit
from csmkpi.metrics.registry import discover
from csmkpi.rollup import GROUP, complete, group_costs, members, pool_by, poolable, rollup, with_group
from csmkpi.scoring import Target, composite, score_rows
from csmkpi.suggest import did_you_mean
from csmkpi.suggest import find as find_name

if TYPE_CHECKING:
    from csmkpi.cache import Cache

LONG_COLUMNS = (
    "period",
    "period_start",
    "period_end",
    "group_by",
    "group",
    "kpi",
    "label",
    "value",
    "numerator",
    "denominator",
    "sample_size",
    "target",
    "attainment",
    "status",
)


@dataclass(frozen=True)
class ScoreRequest:
    """Everything a scorecard run depends on; the CLI builds one from its flags."""

    config: Path = Path("configs/kpis.yaml")
    period: str | None = None
    start: date | None = None
    end: date | None = None
    as_of: date | None = None
    data: Path | None = None
    by: str = "csm"
    kpis: tuple[str, ...] = ()
    use_entry_points: bool = True
    compare: str | None = None  # "previous" or "year": also score that period, from the same load
    cache: Cache | None = None  # where validated tables are kept between runs (SPEC §9); None reads every file


@dataclass(frozen=True)
class Kpi:
    """A KPI of the config, resolved to its metric and validated params."""

    id: str
    label: str
    metric: Metric[Any]
    params: Any
    target: Target

    @property
    def aggregation(self) -> Aggregation:
        """How this KPI's units pool."""
        return self.metric.aggregation_for(self.params)

    @property
    def unit(self) -> Unit:
        """How this KPI's value is displayed."""
        return self.metric.unit_for(self.params)


@dataclass(frozen=True)
class Scorecard:
    """A scored period: the long rows (SPEC §6), composite scores and display names."""

    period: periods.Period
    as_of: date
    group_by: str
    kpis: tuple[Kpi, ...]
    long: pl.DataFrame
    scores: pl.DataFrame
    names: dict[str, str]
    warnings: tuple[Issue, ...] = ()
    inputs: tuple[Path, ...] = ()  # files read, which an output must never overwrite
    notes: tuple[str, ...] = ()  # facts a reader must know, not problems (``revenue as of 2026-11``)
    compare: Scorecard | None = None  # the period ``--compare`` sets beside this one
    amber_at: float = 0.9  # scoring.amber_at, for legends

    def score_of(self, group: str) -> float | None:
        """A group's composite score, None when it has none (or is not in this scorecard)."""
        found = self.scores.filter(pl.col(GROUP) == group)["score"]
        return found[0] if found.len() else None

    def group_order(self) -> list[str]:
        """Groups by rank (unranked last, then by name), ALL last."""
        ordered = self.scores.filter(pl.col(GROUP) != ALL).sort(
            ["rank", GROUP], nulls_last=True, descending=[False, False]
        )
        return [*ordered[GROUP].to_list(), ALL]

    def long_table(self) -> pl.DataFrame:
        """One row per group and KPI, in rank order, columns as SPEC §6."""
        order = pl.DataFrame({GROUP: self.group_order()}).with_row_index("__g")
        kpis = pl.DataFrame({"kpi": [k.id for k in self.kpis]}).with_row_index("__k")
        long = self.long.join(order, on=GROUP).join(kpis, on="kpi").sort("__g", "__k").select(LONG_COLUMNS)
        if self.compare is None:
            return long
        before = self.compare.long.select(GROUP, "kpi", pl.col("value").alias("compare_value"))
        return long.join(before, on=[GROUP, "kpi"], how="left", maintain_order="left").with_columns(
            (pl.col("value") - pl.col("compare_value")).alias("change")
        )

    def wide_table(self) -> pl.DataFrame:
        """One row per group: the group columns, one value column per KPI, score, rank."""
        long = self.long_table()
        values = long.pivot(on="kpi", index=GROUP, values="value", aggregate_function=None)
        head = long.select("period", "period_start", "period_end", "group_by", GROUP).unique(GROUP, maintain_order=True)
        return (
            head.join(values, on=GROUP, how="left")
            .join(self.scores, on=GROUP, how="left")
            .select(
                "period", "period_start", "period_end", "group_by", GROUP, *[k.id for k in self.kpis], "score", "rank"
            )
            .pipe(self._with_changes, long)
        )

    def _with_changes(self, wide: pl.DataFrame, long: pl.DataFrame) -> pl.DataFrame:
        """With ``--compare``: one ``<kpi>_change`` column per KPI after ``rank``."""
        if self.compare is None:
            return wide
        changes = long.pivot(on="kpi", index=GROUP, values="change", aggregate_function=None)
        changes = changes.rename({k.id: f"{k.id}_change" for k in self.kpis})
        return wide.join(changes, on=GROUP, how="left", maintain_order="left")


@dataclass
class Run:
    """A prepared run: config, period, KPIs and loaded data."""

    config: LoadedConfig
    period: periods.Period
    as_of: date
    kpis: list[Kpi]
    data: dataset.Dataset
    warnings: list[Issue] = field(default_factory=list)

    @property
    def inputs(self) -> tuple[Path, ...]:
        """The files the run reads or could read, which an output must never overwrite."""
        return (self.config.path, *self.data.files.values(), *self.data.folder_files)


def load_metrics_and_config(
    path: Path, *, use_entry_points: bool = True
) -> tuple[LoadedConfig, dict[str, Any], list[Issue]]:
    """Load the config, then the metrics it may add through ``plugins``, then validate its KPI params."""
    raw = read_config(path)  # once: the config may be a pipe
    metrics, warnings = discover(peek_plugins(path, raw), use_entry_points=use_entry_points, search_path=path.parent)
    config = load_config(path, {name: metric.params for name, metric in metrics.items()}, raw=raw)
    _check_expanded_ids(config, metrics, path)
    return config, metrics, warnings


def _check_expanded_ids(config: LoadedConfig, metrics: dict[str, Metric[Any]], path: Path) -> None:
    """Refuse two KPIs whose columns would share a name: a variant (``mrr`` -> ``mrr_churn``) or a change column."""
    owner: dict[str, str] = {}
    for k in config.kpis:
        for kpi in _expand(k, metrics[k.metric], config.params[k.id], _NO_TARGET):
            for column in (kpi.id, f"{kpi.id}_change"):  # --compare adds <kpi>_change to the wide layout
                other = owner.setdefault(column.casefold(), k.id)
                if other != k.id:
                    raise ConfigError(
                        f"invalid config {path}: KPIs {other!r} and {k.id!r} would both write a column {column!r}"
                        " (a KPI of a multi-number metric writes one per variant, and --compare adds <id>_change);"
                        " rename one"
                    )


def _expand(k: Any, metric: Metric[Any], params: Any, target: Target) -> list[Kpi]:
    """One KPI per variant of a multi-number metric (each variant is shown, none is scored), else itself."""
    if metric.variants is None or not (variants := metric.variants(params)):
        return [Kpi(k.id, k.display_label, metric, params, target)]
    return [
        Kpi(
            f"{k.id}_{suffix}",
            f"{k.display_label}: {label}",
            metric,
            variant,
            Target(f"{k.id}_{suffix}", None, target.better, 0.0, target.min_sample),
        )
        for suffix, label, variant in variants
    ]


def _known_kpis(config: LoadedConfig, metrics: dict[str, Metric[Any]], wanted: tuple[str, ...]) -> tuple[str, ...]:
    """``--kpi`` ids as the config spells them (any case); an unknown one is a usage error with suggestions."""
    ids = [k.id for k in config.kpis]
    for k in config.kpis:  # the variants of a multi-number metric (mrr_new...) may be picked too
        ids.extend(kpi.id for kpi in _expand(k, metrics[k.metric], config.params[k.id], _NO_TARGET) if kpi.id != k.id)
    known: list[str] = []
    for word in wanted:
        found = find_name(word, ids)
        if found is None:
            defined = ", ".join(k.id for k in config.kpis)
            raise UsageError(f"unknown KPI {word!r}{did_you_mean(word, ids)} The config defines: {defined}")
        known.append(found)
    return tuple(known)


_NO_TARGET = Target("", None, "higher", 0.0, 0)


def _select_kpis(config: LoadedConfig, metrics: dict[str, Metric[Any]], wanted: tuple[str, ...]) -> list[Kpi]:
    wanted = _known_kpis(config, metrics, wanted)
    kpis: list[Kpi] = []
    for k in config.kpis:
        target = Target(
            kpi=k.id,
            target=k.target,
            better=k.better,
            weight=k.weight,
            min_sample=k.min_sample if k.min_sample is not None else config.scoring.min_sample,
        )
        expanded = _expand(k, metrics[k.metric], config.params[k.id], target)
        kpis.extend(kpi for kpi in expanded if not wanted or k.id in wanted or kpi.id in wanted)
    return kpis


def configure(request: ScoreRequest) -> Run:
    """Load the config and resolve the period and KPIs; no data is read yet (``Run.data`` is empty)."""
    config, metrics, warnings = load_metrics_and_config(request.config, use_entry_points=request.use_entry_points)
    as_of = request.as_of or date.today()
    period = periods.resolve(
        request.period,
        start=request.start,
        end=request.end,
        as_of=as_of,
        fiscal_year_start_month=config.calendar.fiscal_year_start_month,
    )
    periods.require_history(period)
    kpis = _select_kpis(config, metrics, request.kpis)
    return Run(config, period, as_of, kpis, dataset.Dataset(), warnings)


def load_data(
    run: Run,
    request: ScoreRequest,
    *,
    by: str | None = None,
    extra: Mapping[str, Iterable[str]] | None = None,
    scored: Sequence[periods.Period] | None = None,
) -> Run:
    """Read the tables the run's KPIs, the grouping and ``extra`` columns need (``--data`` wins over data.dir).

    ``scored``: the periods the run will score; the event tables then keep only the rows the KPIs
    read over them (``csmkpi.reach``), every row still checked. Without it every row is kept.
    """
    needs: list[Mapping[str, Iterable[str]]] = [dataset.dimension_columns(by or request.by)]
    needs.extend(kpi.metric.columns for kpi in run.kpis)
    if extra is not None:
        needs.append(extra)
    data_dir = request.data if request.data is not None else run.config.data_dir
    narrowed = None if scored is None else tuple(scored)
    data = dataset.load(
        data_dir,
        dataset.merge_columns(*needs),
        run.config.data.tables,
        run.config.checks,
        cache=request.cache,
        reach=None if narrowed is None else partial(reach.reach, run.kpis, narrowed, run.config.attribution),
    )
    data.narrowed = narrowed
    return Run(run.config, run.period, run.as_of, run.kpis, data, [*run.warnings, *data.warnings])


def prepare(
    request: ScoreRequest, *, by: str | None = None, scored: Callable[[Run], Sequence[periods.Period]] | None = None
) -> Run:
    """Load the config, resolve the period and read the tables the KPIs need.

    ``scored`` names the periods the run will score (given the run before its data is read): the
    event tables then keep only the rows the KPIs read over them (``csmkpi.reach``), every row
    still checked. Without it every row is kept, for any period.
    """
    run = configure(request)
    return load_data(run, request, by=by, scored=None if scored is None else scored(run))


def revenue_snapshot(run: Run) -> Snapshot:
    """The end snapshot month the revenue data can give the run's period (SPEC §3, data freshness)."""
    data = run.data
    if "mrr" in data.tables:
        return end_snapshot(run.period, data.last_month("mrr"), str(data.files["mrr"]))
    if "subscriptions" in data.tables:  # complete up to the as-of date by construction
        return end_snapshot(run.period, run.as_of.replace(day=1), str(data.files["subscriptions"]))
    return Snapshot(run.period.last_month, run.period.last_month)  # no revenue: its metrics say so


def usage_snapshot(run: Run) -> Snapshot:
    """The end snapshot month the usage data can give the run's period (the same rule as revenue)."""
    data = run.data
    if "usage" in data.tables:
        return end_snapshot(run.period, data.last_month("usage"), str(data.files["usage"]))
    return Snapshot(run.period.last_month, run.period.last_month)  # no usage: its metrics say so


# Kinds of snapshot data, by the name a metric gives in its ``tables``: each has an end month per period.
SNAPSHOT_KINDS: dict[str, Callable[[Run], Snapshot]] = {"revenue": revenue_snapshot, "usage": usage_snapshot}


def snapshots(run: Run) -> dict[str, Snapshot]:
    """The end snapshot of every kind of snapshot data for the run's period."""
    return {kind: find(run) for kind, find in SNAPSHOT_KINDS.items()}


def needs(kpi: Kpi, kind: str) -> bool:
    """Whether the KPI reads snapshot data of ``kind`` (``revenue``: mrr or subscriptions; ``usage``)."""
    return kind in kpi.metric.tables


def needs_revenue(kpi: Kpi) -> bool:
    """Whether the KPI reads revenue snapshots (mrr or subscriptions)."""
    return needs(kpi, "revenue")


def _missing(kpi: Kpi, found: Mapping[str, Snapshot]) -> list[str]:
    """The kinds of snapshot data the KPI needs whose end month the data cannot give."""
    return [kind for kind, snapshot in found.items() if needs(kpi, kind) and snapshot.month is None]


def _months(found: Mapping[str, Snapshot]) -> dict[str, date]:
    return {kind: snapshot.month for kind, snapshot in found.items() if snapshot.month is not None}


def kpi_units(run: Run, kpi: Kpi, by: str, tables: dict[str, pl.LazyFrame]) -> pl.LazyFrame:
    """The KPI's unit rows with ``owner`` and ``group``; raises ``MetricError`` when not computable."""
    found = snapshots(run)
    for kind in _missing(kpi, found):
        raise MetricError(found[kind].warning(run.period, [kpi.id]).message)  # type: ignore[union-attr]
    return with_group(attribute(metric_units(run, kpi, tables, found), tables), by, tables)


def context(run: Run, tables: dict[str, pl.LazyFrame], found: Mapping[str, Snapshot] | None = None) -> Context:
    """What a metric's function sees for the run's period."""
    months = _months(found if found is not None else snapshots(run))
    return Context(run.period, tables, run.config.attribution, months)


def metric_units(
    run: Run, kpi: Kpi, tables: dict[str, pl.LazyFrame], found: Mapping[str, Snapshot] | None = None
) -> pl.LazyFrame:
    """The KPI's unit rows as its metric yields them; raises ``MetricError`` when not computable."""
    return kpi.metric.units(context(run, tables, found), kpi.params)


def metric_warnings(run: Run, kpi: Kpi, tables: dict[str, pl.LazyFrame], found: Mapping[str, Snapshot]) -> list[Issue]:
    """The metric's doubts about the data of a computable KPI, as warnings."""
    if kpi.metric.warnings is None:
        return []
    messages = kpi.metric.warnings(context(run, tables, found), kpi.params)
    return [Issue("warning", f"KPI {kpi.id!r} ({kpi.metric.name}): {message}") for message in messages]


def owners_for(tables: Mapping[str, pl.LazyFrame], by: str) -> Owners:
    """The accounts' owners numbered for ``_owned_units`` grouped ``by`` (once per load, for many periods)."""
    return Owners.of(tables, None if by in ("csm", "team", "manager") else by)


def _owned_units(
    plans: dict[str, pl.LazyFrame],
    aggregations: dict[str, Aggregation],
    by: str,
    tables: dict[str, pl.LazyFrame],
    owners: Owners | None = None,
) -> dict[str, pl.DataFrame]:
    """Every KPI's unit rows with ``owner`` and ``group``, pooled per owner where its rollup allows, by KPI id.

    The units of all KPIs are computed together (KPIs of one metric share their work), then
    stacked, so ownership is resolved in one join of all units to the numbered accounts
    (``Owners``); pooling (``rollup.pool_by``) on owner and group codes then leaves a few rows per
    group for the rollups to read, which alone get names.
    """
    if not plans:
        return {}
    owners = owners if owners is not None else owners_for(tables, by)
    unit_columns = [pl.col(name).cast(dtype) for name, dtype in UNIT_SCHEMA.items()]
    frames = pl.collect_all([plan.select(unit_columns) for plan in plans.values()])
    actors = owners.actor_codes(pl.concat([frame["actor"] for frame in frames]))
    coded: list[pl.LazyFrame] = []
    for i, frame in enumerate(frames):
        rows = frame.lazy().with_columns(pl.lit(i, pl.UInt32).alias("__kpi"))
        if frame["actor"].null_count() == frame.height:  # the usual case: no actor to look up
            rows = rows.with_columns(pl.lit(None, pl.UInt32).alias("__actor"))
        else:
            rows = rows.join(actors.lazy(), on="actor", how="left")
        coded.append(rows.select("__kpi", "account_id", "date", "__actor", "numerator", "denominator", "sample"))
    del frames
    keys = ("__kpi", *([GROUP_CODE] if owners.groups is not None else []), OWNER_CODE)
    ids = list(plans)
    whole = [i for i, kpi_id in enumerate(ids) if not poolable(aggregations[kpi_id])]
    owned = owners.attribute(_stack([rows for i, rows in enumerate(coded) if i not in whole]))
    pooled = pool_by(owned.lazy(), keys).collect()
    del owned
    kept = owners.attribute(_stack([coded[i] for i in whole])).select(*keys, "numerator", "denominator", "sample")
    del coded
    names = owners.owner_names(actors)
    pooled, kept = (_named(frame, names, owners, by, tables) for frame in (pooled, kept))
    parts = {
        **pooled.partition_by("__kpi", as_dict=True, include_key=False),
        **kept.partition_by("__kpi", as_dict=True, include_key=False),
    }
    empty = {True: pooled.drop("__kpi").clear(), False: kept.drop("__kpi").clear()}
    return {kpi_id: parts.get((i,), empty[poolable(aggregations[kpi_id])]) for i, kpi_id in enumerate(ids)}


def _stack(frames: list[pl.LazyFrame]) -> pl.LazyFrame:
    """The coded unit rows of several KPIs, one after the other (none: no rows)."""
    if frames:
        return pl.concat(frames)
    schema = {"__kpi": pl.UInt32, "account_id": pl.String, "date": pl.Date, "__actor": pl.UInt32}
    return pl.LazyFrame(schema={**schema, "numerator": pl.Float64, "denominator": pl.Float64, "sample": pl.Int64})


def _named(
    rows: pl.DataFrame, names: pl.DataFrame, owners: Owners, by: str, tables: dict[str, pl.LazyFrame]
) -> pl.DataFrame:
    """Coded rows with OWNER and GROUP names instead of their codes: the columns rollups read."""
    named = rows.lazy().join(names.lazy(), on=OWNER_CODE, how="left")
    if owners.groups is not None:
        groups = pl.DataFrame({GROUP: owners.groups}).with_row_index(GROUP_CODE)
        named = named.join(groups.lazy(), on=GROUP_CODE, how="left").with_columns(pl.col(GROUP).fill_null(UNASSIGNED))
    else:
        named = with_group(named, by, tables)
    return named.select("__kpi", GROUP, OWNER, "numerator", "denominator", "sample").collect()


def _costs(kpi: Kpi, units: pl.LazyFrame, by: str, tables: dict[str, pl.LazyFrame]) -> pl.LazyFrame | None:
    return group_costs(units, by, tables) if kpi.aggregation is Aggregation.COST else None


def not_computable(group_members: pl.DataFrame) -> pl.DataFrame:
    """The rows of a KPI that cannot be computed: every group and ALL, no value, sample 0."""
    groups = [*sorted(group_members[GROUP].to_list()), ALL]
    return pl.DataFrame(
        {
            GROUP: groups,
            "numerator": [None] * len(groups),
            "denominator": [None] * len(groups),
            "sample_size": [0] * len(groups),
            "value": [None] * len(groups),
        },
        schema={
            GROUP: pl.String,
            "numerator": pl.Float64,
            "denominator": pl.Float64,
            "sample_size": pl.Int64,
            "value": pl.Float64,
        },
    )


def group_names(run: Run, by: str) -> dict[str, str]:
    """By csm, each group's display name: ``ALL`` All, ``(unassigned)`` itself, a csm_id its csm_name."""
    return {UNASSIGNED: UNASSIGNED, ALL: "All"} | _names(run, by)


def _names(run: Run, by: str) -> dict[str, str]:
    csms = run.data.tables.get("csms")
    if by != "csm" or csms is None or "csm_name" not in csms.columns:
        return {}
    return {row[0]: row[1] for row in csms.select("csm_id", "csm_name").iter_rows() if row[1]}


def score(request: ScoreRequest) -> Scorecard:
    """Compute the scorecard of a request."""
    run = prepare(request, scored=lambda run: [run.period, *_compared(run, request.compare)])
    card = score_run(run, request.by)
    if request.compare is None:
        return card
    return with_compare(card, run, request.compare, request.by)


def _compared(run: Run, compare: str | None) -> list[periods.Period]:
    """The period ``--compare`` sets beside the run's, if any."""
    if compare is None:
        return []
    fiscal = run.config.calendar.fiscal_year_start_month
    return [periods.shift(run.period, compare, as_of=run.as_of, fiscal_year_start_month=fiscal)]


def with_compare(card: Scorecard, run: Run, compare: str, by: str) -> Scorecard:
    """``card`` with the scorecard of the period ``--compare`` sets beside it, from the same loaded data.

    The compare period's warnings and notes join the card's (a missing revenue month there is as
    much a reason to doubt the change as here).
    """
    (other,) = _compared(run, compare)
    before = score_run(dataclasses.replace(run, period=other), by)
    warnings = tuple(dict.fromkeys([*card.warnings, *before.warnings]))
    notes = (*card.notes, *(f"{other.label}: {note}" for note in before.notes))
    return dataclasses.replace(card, compare=before, warnings=warnings, notes=notes)


def score_run(
    run: Run, by: str, ready: Mapping[str, pl.LazyFrame] | None = None, owners: Owners | None = None
) -> Scorecard:
    """Score a prepared run grouped ``by`` a dimension.

    ``ready``: unit rows already computed for some KPIs (by id), as their metric yields them
    for the run's period; the others are computed here. ``owners``: ``owners_for`` the run's
    tables and ``by``, when the caller scores several periods of one load.
    """
    if not run.data.holds(run.period):  # a caller that scores a period it did not name to prepare
        raise RuntimeError(f"the data was loaded for other periods than {run.period.label}: name it in prepare()")
    progress.report(f"computing {len(run.kpis)} KPIs for {run.period.label} by {by}")
    tables = run.data.lazy()
    group_members = members(by, tables).collect()
    warnings = list(run.warnings)
    found = snapshots(run)
    for kind, snapshot in found.items():  # one warning per file, naming every KPI it leaves without data
        stale = [kpi.id for kpi in run.kpis if kind in _missing(kpi, found)]
        if (missing := snapshot.warning(run.period, stale)) is not None:
            warnings.append(missing)
    computable: dict[str, pl.LazyFrame] = {}
    for kpi in run.kpis:
        if _missing(kpi, found):
            continue  # no data, never zeros
        try:
            given = ready.get(kpi.id) if ready is not None else None
            computable[kpi.id] = given if given is not None else metric_units(run, kpi, tables, found)
        except MetricError as exc:
            warnings.append(Issue("warning", f"KPI {kpi.id!r} ({kpi.metric.name}) is not computable: {exc}"))
            continue
        warnings.extend(metric_warnings(run, kpi, tables, found))
    owned = _owned_units(computable, {k.id: k.aggregation for k in run.kpis}, by, tables, owners)
    plans: dict[str, pl.LazyFrame] = {}
    for kpi in run.kpis:
        if kpi.id in owned:
            units = owned[kpi.id].lazy()
            plans[kpi.id] = rollup(units, kpi.aggregation, group_members.lazy(), costs=_costs(kpi, units, by, tables))
    collected = dict(zip(plans, pl.collect_all(list(plans.values())), strict=True))
    every_group = sorted({g for rows in collected.values() for g in rows[GROUP].to_list()} - {ALL})
    collected = {
        kpi.id: complete(collected[kpi.id], every_group, kpi.aggregation) for kpi in run.kpis if kpi.id in collected
    }
    names = group_names(run, by)
    # A KPI without data has a row for every group the others show ((unassigned), owners outside csms).
    shown = pl.DataFrame({GROUP: sorted({*group_members[GROUP].to_list(), *every_group})}, schema={GROUP: pl.String})
    return card_of(run, by, collected, not_computable(shown), names, warnings, found)


def card_of(
    run: Run,
    by: str,
    collected: Mapping[str, pl.DataFrame],
    missing: pl.DataFrame,
    names: dict[str, str],
    warnings: Sequence[Issue],
    found: Mapping[str, Snapshot],
) -> Scorecard:
    """The scorecard of a run from each KPI's rolled-up rows (``missing``: the rows of a KPI not computed)."""
    scoring = run.config.scoring
    parts = []
    for kpi in run.kpis:
        rows = collected.get(kpi.id, missing)
        rows = score_rows(rows, kpi.target, cap=scoring.cap, amber_at=scoring.amber_at)
        parts.append(rows.with_columns(pl.lit(kpi.id).alias("kpi"), pl.lit(kpi.label).alias("label")))
    long = pl.concat(parts, how="vertical_relaxed").with_columns(
        pl.lit(run.period.label).alias("period"),
        pl.lit(run.period.start).alias("period_start"),
        pl.lit(run.period.end).alias("period_end"),
        pl.lit(by).alias("group_by"),
        pl.col("sample_size").cast(pl.Int64),
    )
    return Scorecard(
        period=run.period,
        as_of=run.as_of,
        group_by=by,
        kpis=tuple(run.kpis),
        long=long,
        scores=composite(long, [k.target for k in run.kpis]),
        amber_at=scoring.amber_at,
        names=names,
        warnings=tuple(warnings),
        inputs=run.inputs,
        notes=tuple(
            note
            for kind, snapshot in found.items()
            if any(needs(kpi, kind) for kpi in run.kpis) and (note := snapshot.note(kind, run.period))
        ),
    )


@dataclass(frozen=True)
class ValidationReport:
    """What ``validate`` found: rows per table read and the warnings."""

    config: Path
    rows: dict[str, int]
    files: dict[str, Path]
    warnings: tuple[Issue, ...]


def validate(
    config_path: Path, data: Path | None = None, *, use_entry_points: bool = True, cache: Cache | None = None
) -> ValidationReport:
    """Check the config and every column of every table present; raise on the first failing layer."""
    config, _, warnings = load_metrics_and_config(config_path, use_entry_points=use_entry_points)
    loaded = dataset.load(
        data if data is not None else config.data_dir,
        {},
        config.data.tables,
        config.checks,
        all_columns=True,
        cache=cache,
    )
    return ValidationReport(
        config=config_path,
        rows={name: loaded.tables.height(name) for name in loaded.tables},
        files=loaded.files,
        warnings=(*warnings, *loaded.warnings),
    )
