"""XmR control limits and signals on KPI series (SPEC §8.1).

A series is one group and one KPI over the sub-periods of a ``trend``, in time order. Limits come
from the series' own point-to-point variation (Wheeler's individuals and moving-range chart), so
one method fits every KPI, ratios included:

- a point is usable when it has a value and its sample_size reaches the KPI's ``min_sample``;
- mR_t = |x_t - x_(t-1)| when sub-periods t and t-1 are both usable;
- centre = mean of the usable baseline points, mR̄ = mean of the moving ranges inside the baseline;
- limits = centre ± 2.66·mR̄, range limit = 3.268·mR̄; none with fewer than ``min_points`` baseline
  points or no baseline moving range;
- signals over the usable points (``successive`` skips unusable ones): ``limit``, ``range``, ``run``
  (``run_length`` successive points on one side of the centre; a point on it ends the stretch) and
  ``near`` (beyond centre ± 1.33·mR̄ with 3 of 4 successive points beyond the same line). Every
  comparison is strict.

Everything is computed with Polars window expressions over all series at once.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import polars as pl

from csmkpi.engine import Scorecard, ScoreRequest
from csmkpi.errors import Issue, UsageError
from csmkpi.trends import Trend, plan, score_pieces

NATURAL_LIMITS = 2.66  # 3 / d2, d2 = 1.128 for moving ranges of two points
RANGE_LIMIT = 3.268  # D4 for moving ranges of two points
NEAR = 1.33  # two sigma: 2 / d2 ... as 2.66 is three
NEAR_WINDOW = 4
NEAR_COUNT = 3
CODES = ("limit", "range", "run", "near")
COLUMNS = ("centre", "lower_limit", "upper_limit", "moving_range", "range_limit", "baseline", "signal")
KEYS = ("group", "kpi")
CHECK = "limits"

_T = "__t"


@dataclass(frozen=True)
class Limits:
    """Limits and signals of every series.

    ``rows``: one row per (period, group, kpi) of the input with the ``COLUMNS`` of SPEC §8.1, plus
    ``__run`` (the length of the stretch a ``run`` point is in) and ``__near`` (the line a ``near``
    point is beyond) for messages. ``missing``: the series without limits (group, kpi, points,
    moving_ranges: what their baseline had).
    """

    rows: pl.DataFrame
    missing: pl.DataFrame
    min_points: int

    def warnings(self) -> list[Issue]:
        """One warning per series without limits (SPEC §8.1)."""
        issues = []
        for row in self.missing.iter_rows(named=True):
            points = row["points"]
            if points < self.min_points:
                why = f"{points} usable baseline point{'s' if points != 1 else ''}, {self.min_points} needed"
            else:
                why = "no moving range in the baseline (no two successive usable sub-periods)"
            issues.append(Issue("warning", f"no control limits for {row['kpi']} {row['group']}: {why}", check=CHECK))
        return issues


def check_baseline(baseline: int | None, count: int | None = None) -> None:
    """Reject ``--baseline`` below 2 or above the number of sub-periods (``count``, when known): a usage error."""
    if baseline is None:
        return
    if baseline < 2:
        raise UsageError(f"--baseline must be at least 2 (a moving range needs two points), not {baseline}")
    if count is not None and baseline > count:
        raise UsageError(f"--baseline {baseline} is more than the {count} sub-periods of the trend")


def control_limits(
    long: pl.DataFrame,
    periods: Sequence[str],
    min_sample: Mapping[str, int],
    *,
    min_points: int = 6,
    run_length: int = 8,
    baseline: int | None = None,
) -> Limits:
    """Compute XmR limits and signals for every (group, kpi) series of a trend's long rows.

    Args:
        long: Rows with period (label), group, kpi, value and sample_size.
        periods: The period labels in time order (every sub-period of the trend).
        min_sample: Per KPI id, the sample a point needs to be usable; the order is the KPI order
            of the warnings.
        min_points: Usable baseline points a series needs for limits.
        run_length: Successive points on one side of the centre that make a ``run``.
        baseline: The first N sub-periods form the baseline (None: all).

    Returns:
        The appended columns per input row and the series left without limits.
    """
    check_baseline(baseline, len(periods))
    first_n = len(periods) if baseline is None else baseline
    order = pl.DataFrame(
        {"period": list(periods), _T: list(range(len(periods)))}, schema={"period": pl.String, _T: pl.Int64}
    )
    thresholds = pl.DataFrame(
        {"kpi": list(min_sample), "__min": list(min_sample.values()), "__k": list(range(len(min_sample)))},
        schema={"kpi": pl.String, "__min": pl.Int64, "__k": pl.Int64},
    )
    points = long.select("period", *KEYS, "value", "sample_size").join(order, on="period")
    grid = (
        points.select(*KEYS)
        .unique()
        .join(order, how="cross")
        .join(points.drop("period"), on=[*KEYS, _T], how="left")
        .join(thresholds, on="kpi", how="left")
        .sort(*KEYS, _T)
    )
    series = _series(grid, first_n, min_points)
    signals = _stretch_signals(series.filter(pl.col("__usable") & pl.col("__has")), run_length)
    rows = (
        series.join(signals, on=[*KEYS, _T], how="left")
        .with_columns(_signal_text().alias("signal"))
        .join(order, on=_T)
        .select("period", *KEYS, *COLUMNS, "__run", "__near")
    )
    missing = (
        series.filter(~pl.col("__has"))
        .group_by(*KEYS)
        .agg(
            pl.col("__points").first().alias("points"),
            pl.col("__ranges").first().alias("moving_ranges"),
            pl.col("__k").first(),
        )
        .sort("__k", "group")
        .drop("__k")
    )
    return Limits(
        long.select("period", *KEYS).join(rows, on=["period", *KEYS], how="left", maintain_order="left"),
        missing,
        min_points,
    )


def _series(grid: pl.DataFrame, first_n: int, min_points: int) -> pl.DataFrame:
    """Usable points, moving ranges, baseline, centre, limits and the limit and range signals."""
    over = list(KEYS)
    value = pl.col("value")
    usable = value.is_not_null() & value.is_finite() & (pl.col("sample_size") >= pl.col("__min").fill_null(0))
    x = pl.col("__x")
    in_baseline = pl.col(_T) < first_n
    base_point = pl.col("__usable") & in_baseline
    base_range = pl.col("moving_range").is_not_null() & in_baseline  # t < N, so t - 1 is in the baseline too
    mr_bar = pl.col("moving_range").filter(base_range).mean().over(over)
    has = (pl.col("__points") >= min_points) & (pl.col("__ranges") >= 1)
    centre, mr = pl.col("centre"), pl.col("__mr_bar")
    return (
        grid.with_columns(usable.alias("__usable"))
        .with_columns(pl.when(pl.col("__usable")).then(value).alias("__x"))
        .with_columns((x - x.shift(1).over(over)).abs().alias("moving_range"))
        .with_columns(
            base_point.alias("baseline"),
            base_point.sum().over(over).alias("__points"),
            base_range.sum().over(over).alias("__ranges"),
        )
        .with_columns(has.alias("__has"))
        .with_columns(
            pl.when(pl.col("__has")).then(x.filter(base_point).mean().over(over)).alias("centre"),
            pl.when(pl.col("__has")).then(mr_bar).alias("__mr_bar"),
        )
        .with_columns(
            (centre - NATURAL_LIMITS * mr).alias("lower_limit"),
            (centre + NATURAL_LIMITS * mr).alias("upper_limit"),
            (RANGE_LIMIT * mr).alias("range_limit"),
        )
        .with_columns(
            ((x > pl.col("upper_limit")) | (x < pl.col("lower_limit"))).fill_null(False).alias("__limit"),
            (pl.col("moving_range") > pl.col("range_limit")).fill_null(False).alias("__range"),
        )
    )


def _stretch_signals(usable: pl.DataFrame, run_length: int) -> pl.DataFrame:
    """``run`` and ``near`` over the usable points of series with limits, in time order."""
    over = list(KEYS)
    x, centre, mr = pl.col("__x"), pl.col("centre"), pl.col("__mr_bar")
    side = pl.when(x > centre).then(1).when(x < centre).then(-1).otherwise(0)
    above = (x > centre + NEAR * mr).cast(pl.Int32)
    below = (x < centre - NEAR * mr).cast(pl.Int32)

    def near(beyond: str) -> pl.Expr:
        # A window of 4 successive points ending at e sums positions e-3..e; a point is in the windows ending
        # at itself and the 3 after it.
        sums = pl.col(beyond).rolling_sum(NEAR_WINDOW).over(over)
        windows = [sums if k == 0 else sums.shift(-k).over(over) for k in range(NEAR_WINDOW)]
        return (pl.col(beyond) == 1) & (pl.max_horizontal(windows) >= NEAR_COUNT).fill_null(False)

    return (
        usable.with_columns(side.alias("__side"), above.alias("__above"), below.alias("__below"))
        .with_columns(pl.col("__side").rle_id().over(over).alias("__stretch"))
        .with_columns(pl.len().over([*over, "__stretch"]).alias("__length"))
        .with_columns(
            ((pl.col("__side") != 0) & (pl.col("__length") >= run_length)).alias("__run_signal"),
            near("__above").alias("__near_above"),
            near("__below").alias("__near_below"),
        )
        .select(
            *over,
            _T,
            pl.when(pl.col("__run_signal")).then(pl.col("__length") * pl.col("__side")).alias("__run"),
            pl.when(pl.col("__near_above"))
            .then(centre + NEAR * mr)
            .when(pl.col("__near_below"))
            .then(centre - NEAR * mr)
            .alias("__near"),
        )
    )


def _signal_text() -> pl.Expr:
    """The codes joined with ``;`` in the order limit;range;run;near; empty (null) when none."""
    flags = {
        "limit": pl.col("__limit"),
        "range": pl.col("__range"),
        "run": pl.col("__run").is_not_null(),
        "near": pl.col("__near").is_not_null(),
    }
    text = pl.concat_str(
        [pl.when(flag).then(pl.lit(code)) for code, flag in flags.items()], separator=";", ignore_nulls=True
    )
    return pl.when(text != "").then(text)


@dataclass(frozen=True)
class Signal:
    """One signal of one point, for people: ``fcr ALL 2026-03 0.393 below lower limit 0.541``."""

    kpi: str
    group: str
    period: str
    value: float
    code: str
    centre: float
    lower: float
    upper: float
    moving_range: float | None
    range_limit: float
    run: int | None  # signed length of the stretch (+ above, - below the centre)
    near: float | None  # the 1.33·mR̄ line the point is beyond

    def describe(self, number: Callable[[float], str]) -> str:
        """What the signal says, numbers written by ``number``."""
        if self.code == "limit":
            return (
                f"above upper limit {number(self.upper)}"
                if self.value > self.upper
                else f"below lower limit {number(self.lower)}"
            )
        if self.code == "range":
            return f"moving range {number(self.moving_range or 0.0)} above range limit {number(self.range_limit)}"
        if self.code == "run":
            length = self.run or 0
            side = "above" if length > 0 else "below"
            return f"in a run of {abs(length)} successive points {side} the centre {number(self.centre)}"
        line = self.near if self.near is not None else self.centre
        side = "above" if line > self.centre else "below"
        return (
            f"3 or more of 4 successive points {side} {number(line)} (centre {'+' if side == 'above' else '-'} 1.33 mR)"
        )


@dataclass(frozen=True)
class LimitedTrend:
    """A trend with control limits on every series."""

    trend: Trend
    limits: Limits
    baseline: int | None

    @property
    def warnings(self) -> list[Issue]:
        """The trend's warnings, then one per series without limits."""
        seen = list(dict.fromkeys(w for card in self.trend.cards for w in card.warnings))
        return [*seen, *self.limits.warnings()]

    def _with_limits(self, long: pl.DataFrame) -> pl.DataFrame:
        rows = self.limits.rows.select("period", *KEYS, *COLUMNS)
        return long.join(rows, on=["period", *KEYS], how="left", maintain_order="left")

    def long_table(self) -> pl.DataFrame:
        """Every sub-period's long rows with the limit columns appended (SPEC §8.1)."""
        return self._with_limits(self.trend.long_table())

    def card_table(self, card: Scorecard) -> pl.DataFrame:
        """One sub-period's long rows with the limits of the whole range."""
        return self._with_limits(card.long_table())

    def series(self, group: str) -> pl.DataFrame:
        """The rows of one group, with value, in KPI order then time order."""
        return self.long_table().filter(pl.col("group") == group)

    def signals(self, group: str | None = None) -> list[Signal]:
        """Every signal (of one group, when given), by KPI order, group, time, then code order."""
        rows = (
            self.trend.long_table()
            .select("period", *KEYS, "value")
            .join(self.limits.rows, on=["period", *KEYS], how="left", maintain_order="left")
        )
        rows = rows.filter(pl.col("signal").is_not_null())
        if group is not None:
            rows = rows.filter(pl.col("group") == group)
        order = {kpi.id: i for i, kpi in enumerate(self.trend.cards[0].kpis)} if self.trend.cards else {}
        periods = {card.period.label: i for i, card in enumerate(self.trend.cards)}
        found = [
            Signal(
                row["kpi"],
                row["group"],
                row["period"],
                row["value"],
                code,
                row["centre"],
                row["lower_limit"],
                row["upper_limit"],
                row["moving_range"],
                row["range_limit"],
                row["__run"],
                row["__near"],
            )
            for row in rows.iter_rows(named=True)
            for code in row["signal"].split(";")
        ]
        return sorted(
            found, key=lambda s: (order.get(s.kpi, 0), s.group, periods.get(s.period, 0), CODES.index(s.code))
        )


def with_limits(trend: Trend, baseline: int | None = None) -> LimitedTrend:
    """Control limits on every series of a trend, with the config's ``limits`` settings."""
    labels = [card.period.label for card in trend.cards]
    kpis = trend.cards[0].kpis if trend.cards else ()
    limits = control_limits(
        trend.long_table(),
        labels,
        {kpi.id: kpi.target.min_sample for kpi in kpis},
        min_points=trend.limits.min_points,
        run_length=trend.limits.run_length,
        baseline=baseline,
    )
    return LimitedTrend(trend, limits, baseline)


def limited_trend(request: ScoreRequest, grain: str = "month", baseline: int | None = None) -> LimitedTrend:
    """``trend --limits``: score each sub-period, then limits on every series (``--baseline`` checked first)."""
    run, pieces = plan(request, grain)
    check_baseline(baseline, len(pieces))
    return with_limits(score_pieces(run, pieces, request.by, grain), baseline)
