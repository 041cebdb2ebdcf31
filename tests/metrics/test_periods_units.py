"""``Metric.periods_units``: many periods' unit rows in one plan equal each period's own (``trend``'s speed).

The hook is optional: ``trend`` asks a metric that has it for every sub-period at once and scores each
sub-period from its share; a metric without it (any third-party plugin written before it) is computed
per sub-period as before. Either way every sub-period's scorecard is the same.
"""

from __future__ import annotations

import dataclasses
from datetime import date
from pathlib import Path

import polars as pl
import pytest
from test_mrr_movements import ACCOUNTS, CSMS, MRR  # its movements: new, reactivation after a gap, zeros, gaps

from csmkpi import engine, periods, trends
from csmkpi.metrics.base import PERIOD

KPIS = """
version: 1
data: {dir: data}
scoring: {amber_at: 0.9, cap: 1.5, min_sample: 1}
kpis:
  - {id: m, metric: mrr_movements}
"""

SAMPLE_CONFIG = Path(__file__).resolve().parents[2] / "configs" / "kpis.yaml"

SUBSCRIPTIONS = """
account_id,start_date,end_date,mrr
A1,2026-05-10,2026-07-31,100
A1,2026-08-01,,120
A2,2026-07-01,2026-08-15,200
A2,2026-09-01,,80
A3,2025-01-01,2025-01-31,100
A3,2026-08-01,2026-08-31,60
A3,2026-09-01,,40
A4,2026-06-01,2026-06-30,100
"""


def _runs(cfg: Path, start: date, end: date, grain: str, as_of: date) -> list[engine.Run]:
    run, _ = trends.plan(engine.ScoreRequest(config=cfg, start=start, end=end, as_of=as_of))
    pieces = periods.split(run.period, grain, as_of=as_of)
    return [dataclasses.replace(run, period=piece) for piece in pieces]


def _sorted(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.sort(frame.columns, nulls_last=True)


@pytest.mark.parametrize("grain", ["month", "quarter"])
@pytest.mark.parametrize("revenue", ["mrr", "subscriptions"])
def test_movements_of_many_periods_equal_each_periods_own(build, grain, revenue):
    tables = {"mrr": MRR} if revenue == "mrr" else {"subscriptions": SUBSCRIPTIONS}
    cfg = build(kpis=KPIS, csms=CSMS, accounts=ACCOUNTS, **tables)
    # 2026-10 is partial at the as-of date; with mrr it ends at the last month present
    runs = _runs(cfg, date(2026, 4, 1), date(2026, 10, 31), grain, date(2026, 10, 15))
    data = runs[0].data.lazy()
    contexts = [engine.context(run, data) for run in runs]
    for kpi in runs[0].kpis:
        metric = kpi.metric
        assert metric.periods_units is not None
        together = metric.periods_units(contexts, kpi.params).collect()
        assert together.height > 0, kpi.id  # every movement happens in these months
        for i, ctx in enumerate(contexts):
            own = metric.units(ctx, kpi.params).collect()
            share = together.filter(pl.col(PERIOD) == i).drop(PERIOD)
            assert share.schema == own.schema, kpi.id
            assert _sorted(share).equals(_sorted(own)), (kpi.id, runs[i].period.label)


def _per_piece(run: engine.Run, pieces: list[periods.Period], by: str) -> list[engine.Scorecard]:
    return [engine.score_run(dataclasses.replace(run, period=piece), by) for piece in pieces]


@pytest.mark.parametrize("by", ["csm", "segment"])
def test_a_trend_scores_each_sub_period_as_its_own_run_would(by):
    # Months before, inside and after the sample's revenue data (no data there: warnings, not zeros).
    request = engine.ScoreRequest(
        config=SAMPLE_CONFIG, start=date(2025, 6, 1), end=date(2026, 11, 30), as_of=date(2026, 11, 15), by=by
    )
    run, pieces = trends.plan(request)
    result = trends.score_pieces(run, pieces, by)
    alone = _per_piece(run, pieces, by)
    assert len(result.cards) == len(alone)
    for card, own in zip(result.cards, alone, strict=True):
        assert card.long_table().equals(own.long_table()), card.period.label
        assert card.wide_table().equals(own.wide_table()), card.period.label
        assert card.warnings == own.warnings
        assert card.notes == own.notes


def test_only_metrics_with_the_hook_are_shared_the_others_are_computed_per_period():
    request = engine.ScoreRequest(
        config=SAMPLE_CONFIG, start=date(2026, 1, 1), end=date(2026, 6, 30), as_of=date(2026, 11, 15)
    )
    run, pieces = trends.plan(request)
    runs = [dataclasses.replace(run, period=piece) for piece in pieces]
    shared = trends.shared_units(runs)
    with_hook = {kpi.id for kpi in run.kpis if kpi.metric.periods_units is not None}
    assert with_hook == {f"mrr_{m}" for m in ("new", "reactivation", "expansion", "contraction", "churn")}
    assert all(set(units) == with_hook for units in shared)
    # A metric without the hook (a plugin from before it) is left to score_run: nothing shared for it.
    plain = [dataclasses.replace(k, metric=dataclasses.replace(k.metric, periods_units=None)) for k in run.kpis]
    assert trends.shared_units([dataclasses.replace(r, kpis=plain) for r in runs]) == [{} for _ in runs]
