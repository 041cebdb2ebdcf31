"""``csmkpi.reach``: the event tables keep only the columns and rows the run's KPIs read.

Narrowing must never change a number or a warning: each scorecard of a narrowed run equals the
one of a run that keeps every row and column (the default config, with every metric, on the
sample data, over one period, a ``--compare`` pair and twelve months). And it must actually
narrow: the filters found do not depend on the order in which Polars asks the stand-ins.
"""

from __future__ import annotations

import dataclasses
from datetime import date
from pathlib import Path

import polars as pl
import pytest
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
