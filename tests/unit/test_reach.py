"""``csmkpi.reach``: the event tables keep only the columns and rows the run's KPIs read.

Narrowing must never change a number or a warning: each scorecard of a narrowed run equals the
one of a run that keeps every row and column (the default config, with every metric, on the
sample data, over one period, a ``--compare`` pair and twelve months). And it must actually
narrow: the filters found do not depend on the order in which Polars asks the stand-ins.
"""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta
from pathlib import Path

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from csmkpi import engine, periods, reach

ROOT = Path(__file__).parents[2]
CONFIG = ROOT / "configs" / "kpis.yaml"
PRESENT = ("accounts", "csms", "assignments", "mrr", "tickets", "surveys", "opportunities", "activities")


def request(**changes: object) -> engine.ScoreRequest:
    base = engine.ScoreRequest(config=CONFIG, period="2026-Q3", as_of=date(2026, 10, 15), data=ROOT / "sample_data")
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


def assert_same_card(narrowed: engine.Scorecard, whole: engine.Scorecard) -> None:
    # Scorecard rows come in any order (the outputs sort them): compared sorted.
    assert_frame_equal(narrowed.long.sort("kpi", "group"), whole.long.sort("kpi", "group"))
    assert_frame_equal(narrowed.scores.sort("group"), whole.scores.sort("group"))
    assert (narrowed.warnings, narrowed.notes) == (whole.warnings, whole.notes)


def months(run: engine.Run) -> list[periods.Period]:
    return periods.split(run.period, "month", as_of=run.as_of, fiscal_year_start_month=1)


@pytest.mark.parametrize("by", ["csm", "team", "segment"])
def test_a_narrowed_run_scores_as_a_whole_one(by: str) -> None:
    whole = engine.prepare(request(by=by))
    narrowed = engine.prepare(request(by=by), scored=lambda run: [run.period])
    assert narrowed.data.narrowed is not None and whole.data.narrowed is None
    assert_same_card(engine.score_run(narrowed, by), engine.score_run(whole, by))


def test_a_narrowed_compare_pair_scores_as_a_whole_one() -> None:
    card = engine.score(request(compare="previous"))
    whole = engine.prepare(request())
    assert card.compare is not None
    assert_same_card(card, engine.score_run(whole, "csm"))
    assert_same_card(card.compare, engine.score_run(dataclasses.replace(whole, period=card.compare.period), "csm"))


def test_twelve_narrowed_months_score_as_whole_ones() -> None:
    twelve = request(period=None, start=date(2025, 10, 1), end=date(2026, 9, 30))
    whole = engine.prepare(twelve)
    narrowed = engine.prepare(twelve, scored=months)
    for month in months(whole):
        assert_same_card(
            engine.score_run(dataclasses.replace(narrowed, period=month), "csm"),
            engine.score_run(dataclasses.replace(whole, period=month), "csm"),
        )


def test_the_rows_kept_are_fewer_and_the_columns_only_those_read() -> None:
    whole = engine.prepare(request())
    narrowed = engine.prepare(request(), scored=lambda run: [run.period])
    tickets, all_tickets = narrowed.data.tables["tickets"], whole.data.tables["tickets"]
    assert 0 < tickets.height < all_tickets.height
    assert set(tickets.columns) < set(all_tickets.columns)


def test_a_period_the_run_was_not_loaded_for_is_refused() -> None:
    run = engine.prepare(request(), scored=lambda run: [run.period])
    earlier = periods.resolve("2026-Q1", as_of=date(2026, 10, 15))
    with pytest.raises(RuntimeError, match="loaded for other periods"):
        engine.score_run(dataclasses.replace(run, period=earlier), "csm")


def test_the_filters_do_not_depend_on_the_order_the_scans_are_asked_in() -> None:
    run = engine.configure(request(period=None, start=date(2025, 10, 1), end=date(2026, 9, 30)))
    for _ in range(5):  # Polars asks the stand-ins from several threads, in any order
        found = reach.reach(run.kpis, months(run), run.config.attribution, PRESENT)
        assert {t for t, r in found.items() if r.rows is not None} >= {"tickets", "activities"}
        assert all(isinstance(r.rows, pl.Expr) for t, r in found.items() if t in ("tickets", "activities"))


def test_twelve_months_of_one_filter_become_one_date_range() -> None:
    run = engine.configure(request(period=None, start=date(2025, 10, 1), end=date(2026, 9, 30)))
    found = reach.reach(run.kpis, months(run), run.config.attribution, PRESENT)
    text = str(found["tickets"].rows)
    assert text.count("is_between") == 1, text  # fcr's 12 months: resolved_at within 2025-10-01..2026-09-30
    assert "2025-10-01, 2026-09-30" in text


_DAY0 = date(2026, 1, 1)
# Every day of the filters' span and a missing one, with every kind of value of the other columns.
_EVERY_ROW = (
    pl.DataFrame({"d": [None, *(_DAY0 + timedelta(day) for day in range(70))]}, schema={"d": pl.Date})
    .join(pl.DataFrame({"n": [None, 0, 2]}, schema={"n": pl.Int64}), how="cross")
    .join(pl.DataFrame({"s": ["a", "b", None]}), how="cross")
)


@st.composite
def _filter(draw: st.DrawFn) -> pl.Expr:
    """A filter as the KPIs ask them: a date range and other conditions, or another shape."""
    # Ranges on a grid of 5 days, 3 to 10 days long: they often touch, overlap or leave a 1-day gap.
    low = 5 * draw(st.integers(0, 11))
    span = pl.col("d").is_between(_DAY0 + timedelta(low), _DAY0 + timedelta(low + draw(st.sampled_from([3, 4, 9]))))
    others = draw(st.lists(st.sampled_from([pl.col("n").is_not_null(), pl.col("s") == "a", pl.col("n") > 1]), max_size=1))
    shape = draw(st.sampled_from(["and", "and", "and", "not", "or", "two ranges", "open"]))
    if shape == "not":
        span = ~span
    elif shape == "or":
        return span | (pl.col("s") == "b")
    elif shape == "two ranges":
        span = span & pl.col("d").is_between(_DAY0, _DAY0 + timedelta(30))
    elif shape == "open":
        span = pl.col("d").is_between(_DAY0 + timedelta(low), _DAY0 + timedelta(low + 9), closed="left")
    for other in others:
        span = other & span if draw(st.booleans()) else span & other
    return span


@settings(max_examples=300, deadline=None)
@given(filters=st.lists(_filter(), min_size=1, max_size=8))
def test_merged_date_ranges_keep_exactly_the_rows_of_the_filters(filters: list[pl.Expr]) -> None:
    assert_frame_equal(_EVERY_ROW.filter(reach.union(filters)), _EVERY_ROW.filter(pl.any_horizontal(filters)))


def test_a_condition_that_cannot_be_read_back_leaves_the_filters_as_they_were(monkeypatch: pytest.MonkeyPatch) -> None:
    filters = [(pl.col("n") > 1) & pl.col("d").is_between(_DAY0, _DAY0 + timedelta(day)) for day in (3, 9)]

    def unreadable(*_: object, **__: object) -> pl.Expr:
        raise pl.exceptions.ComputeError("could not deserialize input into an expression")

    monkeypatch.setattr(pl.Expr, "deserialize", unreadable)
    assert str(reach.union(filters)) == str(pl.any_horizontal(filters))
