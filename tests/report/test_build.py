"""The report's data (csmkpi.report.build) and its cells (csmkpi.report.html), checked by hand on the sample."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import pytest
from report_support import ROOT

from csmkpi import periods
from csmkpi.engine import ScoreRequest
from csmkpi.metrics.base import Unit
from csmkpi.report import build, html

REQUEST = ScoreRequest(
    config=ROOT / "configs" / "kpis.yaml", period="2026-Q3", as_of=date(2026, 10, 15), use_entry_points=False
)


def _mrr_total(month: str) -> float:
    with (ROOT / "sample_data" / "mrr.csv").open(encoding="utf-8") as handle:
        return sum(float(r["mrr"]) for r in csv.DictReader(handle) if r["month"] == month)


@pytest.fixture(scope="module")
def report() -> build.Report:
    return build.build(REQUEST)


def test_the_waterfall_starts_and_ends_at_the_month_totals_of_mrr_csv(report: build.Report) -> None:
    assert report.waterfall is not None
    steps = {s.name: s for s in report.waterfall.steps}
    assert [s.name for s in report.waterfall.steps] == [
        "start",
        "new",
        "reactivation",
        "expansion",
        "contraction",
        "churn",
        "end",
    ]
    assert steps["start"].amount == pytest.approx(_mrr_total("2026-06"), abs=1e-6)  # the month before Q3
    assert steps["end"].amount == pytest.approx(_mrr_total("2026-09"), abs=1e-6)  # Q3's last month
    assert steps["contraction"].sign == steps["churn"].sign == -1
    assert steps["new"].kpi == "mrr_new" and steps["start"].kpi == "nrr" and steps["start"].field == "denominator"


def test_the_waterfall_without_movement_kpis_in_the_config(tmp_path: Path, report: build.Report) -> None:
    config = tmp_path / "kpis.yaml"
    config.write_text(
        f"version: 1\ndata: {{dir: {ROOT / 'sample_data'}}}\nkpis:\n  - {{id: csat, metric: csat, target: 0.9}}\n",
        encoding="utf-8",
    )
    own = build.build(ScoreRequest(config=config, period="2026-Q3", as_of=date(2026, 10, 15), use_entry_points=False))
    assert own.waterfall is not None and report.waterfall is not None
    assert [s.amount for s in own.waterfall.steps] == pytest.approx([s.amount for s in report.waterfall.steps])
    assert all(s.kpi is None for s in own.waterfall.steps)  # made here: no scorecard row to point at
    assert own.drivers is not None or "indicator" in own.drivers_note or own.drivers_note


def test_the_trend_is_the_12_months_to_the_period_end_department_only(report: build.Report) -> None:
    cards = report.trend.trend.cards
    assert [c.period.label for c in cards] == [f"2025-{m}" for m in ("10", "11", "12")] + [
        f"2026-{m:02d}" for m in range(1, 10)
    ]
    assert set(report.trend.long_table()["group"].to_list()) == {"ALL"}


def test_trend_range_and_drivers_period() -> None:
    as_of = date(2026, 10, 15)
    q3 = periods.resolve("2026-Q3", as_of=as_of)
    span = build.trend_range(q3, as_of)
    assert (span.start, span.end) == (date(2025, 10, 1), date(2026, 9, 30))
    month = periods.resolve("2026-02", as_of=as_of)
    assert build.trend_range(month, as_of).start == date(2025, 3, 1)
    early = periods.resolve("0002-03", as_of=as_of)
    assert build.trend_range(early, as_of).start == periods.EARLIEST  # never before the earliest period
    assert build.drivers_period(q3, as_of, 1).label == "2026-Q1"  # Q1's 6 months end 2026-09-30
    assert build.drivers_period(q3, date(2027, 3, 31), 1).label == "2026-Q3"
    assert build.drivers_period(periods.resolve("2026-09", as_of=as_of), as_of, 1).label == "2026-03"
    assert build.drivers_period(periods.resolve("0001-Q2", as_of=date(1, 6, 1)), date(1, 6, 1), 1) is None


def test_reasons_and_drivers_come_from_the_loaded_run(report: build.Report) -> None:
    assert report.reasons is not None and report.reasons_by_logos is not None
    assert report.reasons.period.label == "2026-Q3"
    assert report.drivers is not None and report.drivers.period.label == "2026-Q1"
    assert report.drivers.outcome == "churn" and report.drivers_note == ""


def test_sheet_count() -> None:
    assert html.sheet_count(30, 9, indicators=17) == 1 + 3 * 2 + 5 + 3
    assert html.sheet_count(30, 9, report=False) == 7
    assert html.sheet_count(1, 0) == 1 + 0 + 1 + 3
    assert html.sheet_count(24, 4, indicators=18) == 1 + 1 + 4 + 3
    assert html.sheet_count(40, 9) == 2 + 3 * 2 + 7 + 3  # the department's table runs onto a second page
    assert html.sheet_count(30, 9, indicators=19) == 1 + 3 * 2 + 5 + 2 + 2  # so does the drivers table
    assert html.sheet_count(30, 9, indicators=17, reasons=13) == 1 + 3 * 2 + 5 + 3 + 1  # and the reasons' table
    assert html.sheet_count(30, 9, indicators=17, reasons=53) == 1 + 3 * 2 + 5 + 3 + 2


def test_cells() -> None:
    assert html.value(0.97449, Unit.RATIO).text == "97.4%"
    assert html.value(None, Unit.RATIO).text == "—" and html.value(None, Unit.RATIO).raw_text == ""
    assert html.change(-0.0031, Unit.RATIO).text == "▼ 0.3 pp"
    assert html.plain(-0.0004, 3).text == "0.000"  # never "-0.000"
    assert html.plain(12345.678).text == "12,345.68"
    assert html.share(0.5).text == "50.0%" and html.share(0.5).scale == 100
    assert html.Num("x", 0.1, {}).raw_text == "0.1"


@pytest.mark.parametrize("by", ["csm", "segment"])
def test_the_department_card_is_score_runs_all_rows(by: str) -> None:
    import dataclasses

    from csmkpi.engine import prepare, score_run

    run = prepare(dataclasses.replace(REQUEST, by=by))
    span = build.trend_range(run.period, run.as_of)
    for piece in periods.split(span, "month", as_of=run.as_of):
        month = dataclasses.replace(run, period=piece)
        full, alone = score_run(month, by), build.department(month)
        columns = ["kpi", "value", "numerator", "denominator", "sample_size", "target", "attainment", "status"]
        assert alone.long.select(columns).equals(full.long.filter(full.long["group"] == "ALL").select(columns)), (
            piece.label
        )
        assert alone.warnings == full.warnings and alone.notes == full.notes


def test_a_company_without_revenue_data_gets_a_report_that_says_so(build) -> None:
    config = build(
        kpis="""
        version: 1
        data: {dir: data}
        scoring: {amber_at: 0.9, cap: 1.5, min_sample: 1}
        kpis:
          - {id: csat, metric: csat, target: 0.9, weight: 1}
        """,
        accounts="account_id,csm_id\nA1,alice\nA2,bob\n",
        csms="csm_id,csm_name\nalice,Alice\nbob,<b>Bob</b>\n",
        surveys="response_id,account_id,survey,responded_at,score\nR1,A1,csat,2026-08-02T10:00:00,5\nR2,A2,csat,2026-05-02T10:00:00,2\n",
    )
    made = build_report(config)
    assert made.waterfall is None and "revenue" in made.waterfall_note
    assert made.reasons is None and "mrr.csv or subscriptions.csv" in made.reasons_note
    assert made.drivers is None and made.drivers_note
    page = html.render_report(made).decode("utf-8")
    assert made.waterfall_note in page and "&lt;b&gt;Bob&lt;/b&gt;" in page
    assert page.count('class="chart"') == 1  # csat's months; no waterfall, no Pareto


def build_report(config: Path) -> build.Report:
    return build.build(ScoreRequest(config=config, period="2026-Q3", as_of=date(2026, 10, 15), use_entry_points=False))
