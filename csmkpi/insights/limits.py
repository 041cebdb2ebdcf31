"""XmR control limits and signals on KPI series (SPEC §8.1).

A series is one group and one KPI over the sub-periods of a ``trend``, in time order. Limits come
from the series' own point-to-point variation (Wheeler's individuals and moving-range chart), so
one method fits every KPI, ratios included:

- a point is usable when it has a value and its sample_size reaches ``scoring.min_sample``;
- mR_t = |x_t - x_(t-1)| when sub-periods t and t-1 are both usable;
- centre = mean of the usable baseline points, mR̄ = mean of the moving ranges inside the baseline;
- limits = centre ± 2.66·mR̄, range limit = 3.268·mR̄; none with fewer than ``min_points`` baseline
  points or no baseline moving range;
- signals over the usable points (``successive`` skips unusable ones): ``limit``, ``range``, ``run``
  (``run_length`` successive points on one side of the centre; a point on it ends the stretch) and
  ``near`` (beyond centre ± 1.33·mR̄ with 3 of 4 successive points beyond the same line). Every
  comparison is strict.

Every series is computed at once, on a dense grid of (series, sub-period) cells in time order.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
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
_S = "__s"
_G = "__g"
_ROW = "__row"


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
    kpis: Sequence[str],
    min_sample: int,
    *,
    min_points: int = 6,
    run_length: int = 8,
    baseline: int | None = None,
) -> Limits:
    """Compute XmR limits and signals for every (group, kpi) series of a trend's long rows.

    Args:
        long: Rows with period (label), group, kpi, value and sample_size.
        periods: The period labels in time order (every sub-period of the trend).
        kpis: The KPI ids, in the order of the warnings.
        min_sample: The sample a point needs to be usable (``scoring.min_sample``, every KPI alike).
        min_points: Usable baseline points a series needs for limits.
        run_length: Successive points on one side of the centre that make a ``run``.
        baseline: The first N sub-periods form the baseline (None: all).

    Returns:
        The appended columns per input row and the series left without limits.
    """
    check_baseline(baseline, len(periods))
    count = len(periods)
    first_n = count if baseline is None else baseline
    order = pl.DataFrame({"kpi": list(kpis), "__k": list(range(len(kpis)))}, schema={"kpi": pl.String, "__k": pl.Int64})
    # Every series gets an integer id (__s) and every (series, sub-period) a cell (__g = __s * count + __t)
    # of a dense grid in time order: t - 1 is the cell above, and no window needs the (group, kpi) text.
    index = {label: t for t, label in enumerate(periods)}
    rows = long.select(*KEYS).with_row_index(_ROW).group_by(*KEYS).agg(_ROW).sort(*KEYS).with_row_index(_S)
    ids = rows.drop(_ROW).join(order, on="kpi", how="left")
    by_row = rows.select(_S, _ROW).explode(_ROW)
    series_of = _scatter(long.height, by_row[_ROW], by_row[_S].cast(pl.Int64))
    cells = (series_of * count + long["period"].replace_strict(index, return_dtype=pl.Int64)).alias(_G)
    size = ids.height * count
    grid = pl.DataFrame({_G: pl.int_range(0, size, eager=True)}).with_columns(
        (pl.col(_G) // count).alias(_S),
        (pl.col(_G) % count).alias(_T),
        _scatter(size, cells, long["value"].cast(pl.Float64)).alias("value"),
        _scatter(size, cells, long["sample_size"].cast(pl.Int64)).alias("sample_size"),
    )
    series = _series(grid, first_n, min_points, min_sample)
    usable = series.filter(pl.col("__usable") & pl.col("__has"))
    stretches = _stretch_signals(usable, run_length)
    series = series.with_columns(
        _scatter(size, usable[_G], stretches["__run"]).alias("__run"),
        _scatter(size, usable[_G], stretches["__near"]).alias("__near"),
    ).with_columns(_signal_text().alias("signal"))
    appended = series.select(*COLUMNS, "__run", "__near").select(pl.all().gather(cells))
    aligned = pl.concat([long.select("period", *KEYS), appended], how="horizontal")
    missing = (
        series.filter(~pl.col("__has") & (pl.col(_T) == 0))
        .select(_S, pl.col("__points").alias("points"), pl.col("__ranges").alias("moving_ranges"))
        .join(ids.select(_S, *KEYS, "__k"), on=_S)
        .sort("__k", "group")
        .select(*KEYS, "points", "moving_ranges")
    )
    return Limits(aligned, missing, min_points)


def _scatter(size: int, cells: pl.Series, values: pl.Series) -> pl.Series:
    """A column of the dense grid: ``values`` at ``cells``, empty elsewhere."""
    return pl.repeat(None, size, dtype=values.dtype, eager=True).alias(values.name).scatter(cells, values)


def _series(grid: pl.DataFrame, first_n: int, min_points: int, min_sample: int) -> pl.DataFrame:
    """Usable points, moving ranges, baseline, centre, limits and the limit and range signals."""
    over = _S
    value = pl.col("value")
    usable = value.is_not_null() & value.is_finite() & (pl.col("sample_size") >= min_sample)
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
        # The grid holds every sub-period of every series in time order: t - 1 is the row above.
        .with_columns(pl.when(pl.col(_T) > 0).then((x - x.shift(1)).abs()).alias("moving_range"))
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
    """``run`` and ``near`` over the usable points of series with limits (in grid order): __run, __near.

    Successive points are successive rows of a series here; a series starts where __s changes.
    """
    x, centre, mr, series = pl.col("__x"), pl.col("centre"), pl.col("__mr_bar"), pl.col(_S)
    first = (series != series.shift(1)).fill_null(True)
    row = pl.int_range(pl.len())
    position = row - pl.when(first).then(row).forward_fill()  # 0 for a series' first usable point
    side = pl.when(x > centre).then(1).when(x < centre).then(-1).otherwise(0).cast(pl.Int64)

    def near(beyond: pl.Expr) -> pl.Expr:
        # A window of 4 successive points ending at e sums e-3..e (inside one series when position >= 3);
        # a point is in the windows ending at itself and at the 3 points after it in its series.
        sums = pl.when(position >= NEAR_WINDOW - 1).then(beyond.cast(pl.Int32).rolling_sum(NEAR_WINDOW))
        windows = [pl.when(series.shift(-k) == series).then(sums.shift(-k)) for k in range(NEAR_WINDOW)]
        return beyond & (pl.max_horizontal(windows) >= NEAR_COUNT).fill_null(False)

    upper, lower = centre + NEAR * mr, centre - NEAR * mr
    stretch = (first | (side != side.shift(1))).cum_sum()  # a run of one side; a point on the centre ends it
    length = pl.len().over(stretch).cast(pl.Int64)
    return usable.select(
        pl.when((side != 0) & (length >= run_length)).then(length * side).alias("__run"),
        pl.when(near(x > upper)).then(upper).when(near(x < lower)).then(lower).alias("__near"),
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
    """A trend with control limits on every series: its long rows and, row for row, the limit columns."""

    trend: Trend
    limits: Limits  # rows aligned with ``long``
    baseline: int | None
    long: pl.DataFrame  # the trend's long rows, sub-period after sub-period

    @property
    def warnings(self) -> list[Issue]:
        """The trend's warnings, then one per series without limits."""
        seen = list(dict.fromkeys(w for card in self.trend.cards for w in card.warnings))
        return [*seen, *self.limits.warnings()]

    def long_table(self) -> pl.DataFrame:
        """Every sub-period's long rows with the limit columns appended (SPEC §8.1)."""
        return pl.concat([self.long, self.limits.rows.select(COLUMNS)], how="horizontal")

    def card_table(self, card: Scorecard) -> pl.DataFrame:
        """One sub-period's long rows with the limits of the whole range."""
        return self.long_table().filter(pl.col("period") == card.period.label)

    def signals(self, group: str | None = None) -> list[Signal]:
        """Every signal (of one group, when given), by KPI order, group, time, then code order."""
        rows = pl.concat(
            [self.long.select("value"), self.limits.rows.select("period", *KEYS, *COLUMNS, "__run", "__near")],
            how="horizontal",
        ).filter(pl.col("signal").is_not_null())
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
    long = trend.long_table()
    limits = control_limits(
        long,
        labels,
        [kpi.id for kpi in kpis],
        trend.min_sample,  # scoring.min_sample, not a KPI's own (SPEC 8.1)
        min_points=trend.limits.min_points,
        run_length=trend.limits.run_length,
        baseline=baseline,
    )
    return LimitedTrend(trend, limits, baseline, long)


def limited_trend(request: ScoreRequest, grain: str = "month", baseline: int | None = None) -> LimitedTrend:
    """``trend --limits``: score each sub-period, then limits on every series (``--baseline`` checked first)."""
    run, pieces = plan(request, grain)
    check_baseline(baseline, len(pieces))
    return with_limits(score_pieces(run, pieces, request.by, grain), baseline)
