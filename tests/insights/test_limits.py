"""XmR control limits and signals (SPEC §8.1), hand-computed, and against a plain reference.

Each case is one series (group ALL, KPI x) of monthly points; ``series(...)`` builds the long rows the
engine would give ``control_limits``.
"""

from __future__ import annotations

import math

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from xmr_reference import Point, reference

from csmkpi.errors import UsageError
from csmkpi.insights.limits import COLUMNS, check_baseline, control_limits


def labels(count: int) -> list[str]:
    return [f"{2024 + (m // 12)}-{m % 12 + 1:02d}" for m in range(count)]


def series(values: list[float | None], samples: list[int] | None = None, kpi: str = "x", group: str = "ALL"):
    samples = samples or [10] * len(values)
    periods = labels(len(values))
    return pl.DataFrame(
        {"period": periods, "group": group, "kpi": kpi, "value": values, "sample_size": samples},
        schema={
            "period": pl.String,
            "group": pl.String,
            "kpi": pl.String,
            "value": pl.Float64,
            "sample_size": pl.Int64,
        },
    )


def limits(values, samples=None, *, min_sample=5, min_points=6, run_length=8, baseline=None):
    long = series(values, samples)
    result = control_limits(
        long, labels(len(values)), ["x"], min_sample, min_points=min_points, run_length=run_length, baseline=baseline
    )
    return result, result.rows


def codes(rows: pl.DataFrame, code: str) -> list[int]:
    """The positions whose signal includes ``code``."""
    return [t for t, s in enumerate(rows["signal"].to_list()) if s and code in s.split(";")]


def test_limits_come_from_the_baseline_and_signals_cover_the_whole_range():
    """Baseline 6: CL = 69/6 = 11.5, mR̄ = (2+1+2+1+1)/5 = 1.4, limits 11.5 ± 3.724, range limit 4.5752.

    30 at t=6 is beyond the upper limit and its moving range 19 beyond the range limit; 12 at t=7 is
    inside the limits but its moving range 18 is not.
    """
    result, rows = limits([10, 12, 11, 13, 12, 11, 30, 12], baseline=6)
    assert rows["centre"].to_list() == [11.5] * 8
    assert rows["upper_limit"][0] == pytest.approx(11.5 + 2.66 * 1.4)
    assert rows["lower_limit"][0] == pytest.approx(11.5 - 2.66 * 1.4)
    assert rows["range_limit"][0] == pytest.approx(3.268 * 1.4)
    assert rows["moving_range"].to_list() == [None, 2, 1, 2, 1, 1, 18 + 1, 18]
    assert rows["baseline"].to_list() == [True] * 6 + [False] * 2
    assert rows["signal"].to_list() == [None] * 6 + ["limit;range", "range"]
    assert result.warnings() == []


def test_without_a_baseline_every_usable_point_makes_the_limits():
    _, rows = limits([10, 12, 11, 13, 12, 11, 30, 12])
    assert rows["centre"][0] == pytest.approx(111 / 8)
    assert rows["upper_limit"][0] == pytest.approx(111 / 8 + 2.66 * 44 / 7)
    assert rows["baseline"].to_list() == [True] * 8
    # The big point widened its own limits: 30 < 13.875 + 2.66 * 44/7 = 30.595, mR 19 and 18 < 3.268 * 44/7.
    assert rows["signal"].to_list() == [None] * 8


def test_gaps_and_small_samples_are_unusable_and_break_moving_ranges():
    """Usable: t0, t2, t4..t8 (t1 empty, t3 has n=2 < 5). mR only between successive sub-periods both usable.

    CL = (10+12+13+12+11+10+12)/7 = 80/7, mR̄ = (1+1+1+2)/4 = 1.25.
    """
    values = [10, None, 12, 11, 13, 12, 11, 10, 12]
    samples = [10, 0, 10, 2, 10, 10, 10, 10, 10]
    result, rows = limits(values, samples)
    assert rows["moving_range"].to_list() == [None, None, None, None, None, 1, 1, 1, 2]
    assert rows["baseline"].to_list() == [True, False, True, False, True, True, True, True, True]
    assert rows["centre"][0] == pytest.approx(80 / 7)
    assert rows["upper_limit"][0] == pytest.approx(80 / 7 + 2.66 * 1.25)
    assert rows["centre"][1] == rows["centre"][0]  # the limits repeat on every row, unusable ones too
    assert rows["signal"][3] is None  # 11 with n=2 is not judged
    assert result.warnings() == []


def test_a_point_on_the_centre_ends_a_run():
    """CL = 120/12 = 10 exactly. Above: t0..t2, then 10 = CL at t3, then t4..t6: two stretches of 3.

    Below: t7..t11, 5 successive points: a run of run_length 4. Were t3 above, t0..t6 would be a run of 7.
    """
    values = [11, 11, 11, 10, 11, 11, 11, 9, 9, 9, 9, 8]
    _, rows = limits(values, run_length=4)
    assert rows["centre"][0] == 10.0
    assert codes(rows, "run") == [7, 8, 9, 10, 11]
    _, rows = limits([11, 11, 11, 11, 11, 11, 11, 9, 9, 9, 9, 7], run_length=4)
    assert codes(rows, "run") == list(range(12))


def test_a_run_skips_unusable_points_and_needs_exactly_run_length():
    """Baseline t0..t5 (2, 0 alternating): CL = 1, mR̄ = 2. Then 1.5 at t6, t8, t9 with t7 unusable.

    With run_length 3 the stretch t6, t8, t9 (t7 skipped) is a run; with run_length 4 it is not.
    """
    values = [2, 0, 2, 0, 2, 0, 1.5, 1.5, 1.5, 1.5, 0]
    samples = [10] * 7 + [1] + [10] * 3
    _, rows = limits(values, samples, baseline=6, run_length=3)
    assert codes(rows, "run") == [6, 8, 9]
    _, rows = limits(values, samples, baseline=6, run_length=4)
    assert codes(rows, "run") == []


def test_three_of_four_beyond_the_near_line_on_each_side():
    """Baseline 0,1,0,1,0,1: CL = 0.5, mR̄ = 1, near lines 1.83 and -0.83, limits 3.16 and -2.16.

    Upper: 2 at t6, t8, t9 (t7 = 0.5): 3 of t6..t9 beyond: near at t6, t8, t9.
    Lower: -1 at t11, t12, t14 (t13 = 0.5): near at t11, t12, t14.
    Upper again: 2 at t16 and t19 only: 2 of any 4, no signal.
    """
    base = [0, 1, 0, 1, 0, 1]
    tail = [2, 0.5, 2, 2, 0.5, -1, -1, 0.5, -1, 0.5, 2, 0.5, 0.5, 2, 0.5]
    _, rows = limits(base + tail, baseline=6)
    assert codes(rows, "near") == [6, 8, 9, 11, 12, 14]
    assert codes(rows, "limit") == []


def test_every_comparison_is_strict():
    """A point exactly on a line is not beyond it: upper limit, range limit and the 1.33 line."""
    base = [0, 1, 0, 1, 0, 1]
    upper, near = 0.5 + 2.66 * 1.0, 0.5 + 1.33 * 1.0
    _, rows = limits([*base, upper, 0.5], baseline=6)
    assert codes(rows, "limit") == []
    _, rows = limits([*base, upper + 0.001, 0.5], baseline=6)
    assert codes(rows, "limit") == [6]
    _, rows = limits([*base, 0, 3.268 * 1.0], baseline=6)  # mR = 3.268 = the range limit
    assert codes(rows, "range") == []
    assert codes(rows, "limit") == [7]  # 3.268 > 3.16
    _, rows = limits([*base, near, near, near, near], baseline=6)
    assert codes(rows, "near") == []


def test_signal_codes_are_joined_in_spec_order():
    base = [0, 1, 0, 1, 0, 1]
    _, rows = limits([*base, 0.5, 5, 5, 5, 5], baseline=6, run_length=4)
    assert rows["signal"][7] == "limit;range;run;near"
    assert rows["signal"][8] == "limit;run;near"


def test_fewer_than_min_points_gives_no_limits_and_one_warning():
    result, rows = limits([10, 11, 12, 11, 10])
    assert rows["centre"].to_list() == [None] * 5
    assert rows["signal"].to_list() == [None] * 5
    assert rows["moving_range"].to_list() == [None, 1, 1, 1, 1]  # a fact of the data, kept
    assert [w.message for w in result.warnings()] == ["no control limits for x ALL: 5 usable baseline points, 6 needed"]
    assert limits([10, 11, 12, 11, 10], min_points=5)[1]["centre"][0] == pytest.approx(54 / 5)


def test_no_baseline_moving_range_gives_no_limits():
    values = [10, None, 11, None, 12, None, 11, None, 10, None, 12, None]
    result, rows = limits(values, min_points=6)
    assert rows["centre"].to_list() == [None] * 12
    assert [w.message for w in result.warnings()] == [
        "no control limits for x ALL: no moving range in the baseline (no two successive usable sub-periods)"
    ]


def test_a_baseline_point_outside_the_baseline_range_does_not_count():
    """Baseline 3: the mR between t2 and t3 is outside it; 3 points < min_points 6 -> no limits."""
    result, _ = limits([1, 2, 3, 4, 5, 6, 7], baseline=3)
    assert "3 usable baseline points, 6 needed" in result.warnings()[0].message
    _, rows = limits([1, 2, 1, 2, 1, 2, 7, 8], baseline=6, min_points=6)
    assert rows["centre"][0] == 1.5 and rows["range_limit"][0] == pytest.approx(3.268)  # mR t6 = 5 not in mR̄


def test_baseline_bounds_are_usage_errors():
    check_baseline(2, 24)
    check_baseline(24, 24)
    with pytest.raises(UsageError, match="at least 2"):
        check_baseline(1, 24)
    with pytest.raises(UsageError, match="more than the 24 sub-periods"):
        check_baseline(25, 24)
    with pytest.raises(UsageError):
        limits([1.0] * 8, baseline=9)


def test_a_group_missing_from_a_sub_period_is_a_gap():
    long = pl.concat([series([1, 2, 1, 2, 1, 2, 1, 2]), series([1, 2, 1, 2, 1, 2, 1, 2], group="bob")])
    long = long.filter(~((pl.col("group") == "bob") & (pl.col("period") == labels(8)[3])))
    result = control_limits(long, labels(8), ["x"], 1, min_points=6)
    bob = result.rows.filter(pl.col("group") == "bob")
    assert bob.height == 7  # one row per input row
    assert bob["moving_range"].to_list() == [None, 1, 1, None, 1, 1, 1]  # t3 is missing: no mR at t4


def test_every_input_row_gets_the_columns_in_input_order():
    long = pl.concat([series([1, 2, 1, 2, 1, 2, 1, 2], kpi=k) for k in ("a", "b")]).sample(fraction=1.0, seed=3)
    result = control_limits(long, labels(8), ["a", "b"], 1, min_points=6)
    assert result.rows.select("period", "group", "kpi").equals(long.select("period", "group", "kpi"))
    assert set(COLUMNS) <= set(result.rows.columns)


# --- against the plain reference ---------------------------------------------------------------

grid = st.sampled_from([0.0, 0.25, 0.5, 1.0, 1.5, 2.0, 2.75, 3.0, 4.0, 8.0, -1.0, None])


@st.composite
def cases(draw: st.DrawFn):
    count = draw(st.integers(min_value=2, max_value=30))
    points = [Point(draw(grid), draw(st.sampled_from([0, 3, 5, 10]))) for _ in range(count)]
    baseline = draw(st.one_of(st.none(), st.integers(min_value=2, max_value=count)))
    return points, draw(st.integers(2, 8)), draw(st.integers(2, 9)), baseline


def same(a, b) -> bool:
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, bool | str) or isinstance(b, bool | str):
        return a == b
    return math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-12)


@settings(max_examples=200, deadline=None)
@given(case=cases())
def test_polars_limits_equal_the_plain_reference(case):
    points, min_points, run_length, baseline = case
    values = [p.value for p in points]
    result, rows = limits(
        values, [p.sample for p in points], min_points=min_points, run_length=run_length, baseline=baseline
    )
    want = reference(points, 5, min_points=min_points, run_length=run_length, baseline=baseline)
    for column in COLUMNS:
        got = rows[column].to_list()
        assert all(same(g, w) for g, w in zip(got, want[column], strict=True)), (column, got, want[column])
    assert (len(result.warnings()) == 0) == want["has_limits"]
