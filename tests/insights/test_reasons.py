"""Churn reasons (SPEC §8.3), hand-computed on a small company, and through the CLI.

Period 2026-Q3: s = 2026-06 snapshot, e = 2026-09; churned = s > 0 and e = 0. lookback_days 92: lost
renewals closed from 2026-03-31 (2026-07-01 - 92 days) to 2026-09-30 explain a churn.

| account | owner | s | reason source | label |
|---|---|---:|---|---|
| A1 | alice | 100 | churn_reason "Too  Expensive " | mapped to "budget / price" |
| A2 | alice | 200 | latest of two lost renewals (05-01 "Bad support", 08-15 "Competitor  X") | "competitor x" |
| A3 | bob | 300 | lost renewal closed 2026-03-31 (first day of the lookback) | "missing feature" |
| A4 | bob | 400 | renewal lost 2026-03-30 (a day too early), lost expansion, won renewal, one lost after P | (unknown) |
| A5 | (none) | 50 | churn_reason "Price;Support" (multi-select: one label) | "price;support" |
| A6 | alice | 50 | two lost renewals on 2026-09-01: O7 "Timing", O10 "Budget": greatest id "O7" | "timing" |
| A7 | alice | 70 | not churned (pays at 2026-09), has a churn_reason | - |
| A8 | bob | 0 | not in the cohort | - |
| A9 | alice | 90 | churn_reason blank, its lost renewal has no loss_reason | (unknown) |
"""

from __future__ import annotations

import json
from datetime import date

import polars as pl
import pytest

from csmkpi import engine
from csmkpi.cli.app import app
from csmkpi.insights.reasons import COLUMNS, reasons

KPIS = """
version: 1
data: {dir: data}
scoring: {amber_at: 0.9, cap: 1.5, min_sample: 1}
reasons:
  lookback_days: 92
  map: {"too expensive": "Budget / price"}
kpis:
  - {id: logo_churn, metric: churn, params: {basis: logos}, target: 0.1, better: lower}
  - {id: revenue_churn, metric: churn, params: {basis: revenue}, target: 0.1, better: lower}
"""
CSMS = """
csm_id,csm_name,team,manager
alice,Alice,East,Maria
bob,Bob,West,Maria
"""
ACCOUNTS = """
account_id,account_name,csm_id,segment,region,churn_reason
A1,One,alice,SMB,NA,Too  Expensive 
A2,Two,alice,SMB,NA,
A3,Three,bob,Enterprise,EMEA,
A4,Four,bob,Enterprise,EMEA,
A5,Five,,SMB,NA,Price;Support
A6,Six,alice,SMB,NA,
A7,Seven,alice,SMB,NA,Happy now
A8,Eight,bob,SMB,NA,
A9,Nine,alice,SMB,NA,   
"""
MRR = """
account_id,month,mrr
A1,2026-06,100
A2,2026-06,200
A3,2026-06,300
A4,2026-06,400
A5,2026-06,50
A6,2026-06,50
A7,2026-06,70
A9,2026-06,90
A7,2026-09,70
A8,2026-09,80
"""
OPPORTUNITIES = """
opportunity_id,account_id,type,source,stage,created_at,closed_at,amount,loss_reason
O1,A2,renewal,csm,lost,2026-01-01,2026-05-01,100,Bad support
O2,A2,Renewal,csm,Lost,2026-01-01,2026-08-15,100,Competitor  X
O3,A3,renewal,csm,lost,2026-01-01,2026-03-31,100,Missing feature
O4,A4,renewal,csm,lost,2026-01-01,2026-03-30,100,Too early
O5,A4,expansion,csm,lost,2026-01-01,2026-08-01,100,Not renewal
O6,A4,renewal,csm,won,2026-01-01,2026-08-01,100,Won anyway
O7,A6,renewal,csm,lost,2026-01-01,2026-09-01,100,Timing
O8,A4,renewal,csm,lost,2026-01-01,2026-10-01,100,After the period
O9,A9,renewal,csm,lost,2026-01-01,2026-09-10,100,
O10,A6,renewal,csm,lost,2026-01-01,2026-09-01,100,Budget
"""
AS_OF = date(2026, 10, 15)


@pytest.fixture
def company(build):
    return build(kpis=KPIS, csms=CSMS, accounts=ACCOUNTS, mrr=MRR, opportunities=OPPORTUNITIES)


def pareto(config, by="csm", rank_by="mrr", period="2026-Q3"):
    result = reasons(engine.ScoreRequest(config=config, period=period, as_of=AS_OF, by=by), rank_by)
    return result, [
        (r["group"], r["reason"], r["rank"], r["logos"], r["lost_mrr"]) for r in result.table().iter_rows(named=True)
    ]


def test_each_account_gets_its_reason(company):
    result, _ = pareto(company)
    got = {r["account_id"]: (r["reason"], r["source"]) for r in result.churned.iter_rows(named=True)}
    assert got == {
        "A1": ("budget / price", "churn_reason"),
        "A2": ("competitor x", "loss_reason"),
        "A3": ("missing feature", "loss_reason"),
        "A4": ("(unknown)", "none"),
        "A5": ("price;support", "churn_reason"),
        "A6": ("timing", "loss_reason"),
        "A9": ("(unknown)", "none"),
    }


def test_pareto_by_csm_ranked_by_lost_mrr(company):
    _, rows = pareto(company)
    assert rows == [
        ("alice", "competitor x", 1, 1, 200.0),
        ("alice", "budget / price", 2, 1, 100.0),
        ("alice", "(unknown)", 3, 1, 90.0),
        ("alice", "timing", 4, 1, 50.0),
        ("bob", "(unknown)", 1, 1, 400.0),
        ("bob", "missing feature", 2, 1, 300.0),
        ("(unassigned)", "price;support", 1, 1, 50.0),
        ("ALL", "(unknown)", 1, 2, 490.0),
        ("ALL", "missing feature", 2, 1, 300.0),
        ("ALL", "competitor x", 3, 1, 200.0),
        ("ALL", "budget / price", 4, 1, 100.0),
        ("ALL", "price;support", 5, 1, 50.0),  # ties with timing on both measures: by reason
        ("ALL", "timing", 6, 1, 50.0),
    ]


def test_shares_and_cumulative_shares_are_of_the_groups_totals(company):
    result, _ = pareto(company)
    alice = result.of("alice").select("logo_share", "cum_logo_share", "mrr_share", "cum_mrr_share").rows()
    want = [(0.25, 0.25, 200 / 440, 200 / 440), (0.25, 0.5, 100 / 440, 300 / 440),
            (0.25, 0.75, 90 / 440, 390 / 440), (0.25, 1.0, 50 / 440, 1.0)]  # fmt: skip
    assert [list(row) for row in alice] == [pytest.approx(list(row)) for row in want]
    everyone = result.of("ALL")
    assert everyone["cum_logo_share"][-1] == 1.0 and everyone["cum_mrr_share"][-1] == 1.0
    assert everyone["logo_share"][0] == pytest.approx(2 / 7)


def test_rank_by_logos_then_lost_mrr_then_reason(company):
    _, rows = pareto(company, rank_by="logos")
    assert [r[1] for r in rows if r[0] == "ALL"] == [
        "(unknown)", "missing feature", "competitor x", "budget / price", "price;support", "timing"
    ]  # fmt: skip
    _, rows = pareto(company, by="team", rank_by="logos")
    assert [(g, reason) for g, reason, *_ in rows if g != "ALL"] == [
        ("East", "competitor x"), ("East", "budget / price"), ("East", "(unknown)"), ("East", "timing"),
        ("West", "(unknown)"), ("West", "missing feature"), ("(unassigned)", "price;support"),
    ]  # fmt: skip


@pytest.mark.parametrize("by", ["csm", "team", "manager", "segment", "region"])
def test_group_totals_equal_the_churn_numerators(company, by, score_long):
    result, _ = pareto(company, by=by)
    card = score_long(company, by=by)
    totals = result.table().group_by("group").agg(pl.col("logos").sum(), pl.col("lost_mrr").sum())
    for row in totals.iter_rows(named=True):
        assert row["logos"] == card[(row["group"], "logo_churn")]["numerator"]
        assert row["lost_mrr"] == card[(row["group"], "revenue_churn")]["numerator"]
    churned = {g for (g, k), r in card.items() if k == "logo_churn" and r["numerator"]}
    assert churned == set(totals["group"].to_list())


# Twelve months before 2026-09: A1, A3, A6 and A8 pay; A8 still pays in 2026-09, the others do not.
TRAILING_MRR = MRR + "A1,2025-09,100\nA3,2025-09,300\nA6,2025-09,40\nA8,2025-09,80\n"


@pytest.mark.parametrize("by", ["csm", "segment"])
def test_the_churn_kpis_window_is_followed(build, by, score_long):
    kpis = KPIS.replace("params: {basis: logos}", "params: {basis: logos, window: trailing_12m}")
    kpis = kpis.replace("params: {basis: revenue}", "params: {basis: revenue, window: trailing_12m}")
    config = build(kpis=kpis, csms=CSMS, accounts=ACCOUNTS, mrr=TRAILING_MRR, opportunities=OPPORTUNITIES)
    result, _ = pareto(config, by=by)
    assert sorted(result.churned["account_id"].to_list()) == ["A1", "A3", "A6"]  # the trailing cohort's
    assert result.churned["lost_mrr"].sum() == 440  # s: their MRR of 2025-09
    card = score_long(config, by=by)
    totals = result.table().group_by("group").agg(pl.col("logos").sum(), pl.col("lost_mrr").sum())
    for row in totals.iter_rows(named=True):
        assert row["logos"] == card[(row["group"], "logo_churn")]["numerator"]
        assert row["lost_mrr"] == card[(row["group"], "revenue_churn")]["numerator"]
    assert result.warnings == ()


def test_churn_kpis_of_different_windows_follow_the_first_and_warn(build):
    kpis = KPIS.replace("params: {basis: revenue}", "params: {basis: revenue, window: trailing_12m}")
    config = build(kpis=kpis, csms=CSMS, accounts=ACCOUNTS, mrr=TRAILING_MRR, opportunities=OPPORTUNITIES)
    result, _ = pareto(config)
    assert "A2" in result.churned["account_id"].to_list()  # logo_churn's window: period (A2 paid in 2026-06)
    assert [w.message for w in result.warnings] == [
        "churn reasons follow KPI 'logo_churn' (window period); the numerators of 'revenue_churn' "
        "(window trailing_12m) are not these totals"
    ]


def test_lookback_days_and_map_come_from_the_config(company):
    text = company.read_text().replace("lookback_days: 92", "lookback_days: 93").replace("too expensive", "other")
    company.write_text(text)
    result, _ = pareto(company)
    got = {r["account_id"]: r["reason"] for r in result.churned.iter_rows(named=True)}
    assert got["A4"] == "too early"  # 2026-03-30 is now inside the lookback
    assert got["A1"] == "too expensive"  # normalised, no longer mapped


def test_the_replacement_is_normalised_and_an_empty_one_is_unknown(company):
    text = company.read_text().replace('"Budget / price"', '"  "').replace("lookback_days: 92", "lookback_days: 0")
    company.write_text(text)
    result, _ = pareto(company)
    got = {r["account_id"]: r["reason"] for r in result.churned.iter_rows(named=True)}
    assert got["A1"] == "(unknown)"
    assert got["A3"] == "(unknown)"  # lookback 0: only renewals lost from 2026-07-01 count


def test_a_map_key_unknown_renames_accounts_without_a_reason(company):
    """SPEC 8.3: no reason is (unknown), then the label and the map apply: key "(Unknown)" renames it."""
    text = company.read_text().replace('"too expensive": "Budget / price"', '"(Unknown)": "Not recorded", "": "x"')
    company.write_text(text)
    result, _ = pareto(company)
    got = {r["account_id"]: r["reason"] for r in result.churned.iter_rows(named=True)}
    unknown = {a for a, reason in got.items() if reason == "not recorded"}
    assert unknown and "(unknown)" not in got.values() and "x" not in got.values()


def test_without_churn_the_output_is_the_header_and_a_message(company, runner):
    result = runner.invoke(app, ["reasons", "-c", str(company), "-p", "2026-Q2", "--as-of", "2026-10-15"])
    assert result.exit_code == 0, result.output
    assert result.stdout == ",".join(f'"{c}"' for c in COLUMNS) + "\n"
    assert "no churned accounts in 2026-Q2" in result.stderr


def test_cli_csv_is_the_library_table(company, runner):
    result = runner.invoke(
        app, ["reasons", "-c", str(company), "-p", "2026-Q3", "--as-of", "2026-10-15", "--by", "team"]
    )
    assert result.exit_code == 0, result.output
    frame = pl.read_csv(result.stdout_bytes, try_parse_dates=True)
    want, _ = pareto(company, by="team")
    assert frame.columns == list(COLUMNS)
    assert frame["reason"].to_list() == want.table()["reason"].to_list()
    assert frame["lost_mrr"].to_list() == want.table()["lost_mrr"].to_list()


@pytest.mark.parametrize("fmt", ["csv", "tsv", "json", "parquet", "xlsx", "markdown"])
def test_every_format_writes_every_row(company, runner, tmp_path, fmt):
    ext = {"markdown": "md"}.get(fmt, fmt)
    out = tmp_path / f"{{period}}.{ext}"
    result = runner.invoke(
        app, ["reasons", "-c", str(company), "-p", "2026-Q3", "--as-of", "2026-10-15", "-o", str(out), "-q"]
    )
    assert result.exit_code == 0, result.output
    written = tmp_path / f"2026-Q3.{ext}"
    assert written.exists()
    if fmt == "json":
        assert len(json.loads(written.read_text())) == 13
    elif fmt == "parquet":
        assert pl.read_parquet(written).columns == list(COLUMNS)


def test_the_terminal_view_shows_one_groups_bars(company, runner):
    args = ["reasons", "-c", str(company), "-p", "2026-Q3", "--as-of", "2026-10-15", "-f", "table", "-g", "alice"]
    result = runner.invoke(app, args, env={"COLUMNS": "120"})
    assert result.exit_code == 0, result.output
    assert "Churn reasons for alice" in result.stdout and "competitor x" in result.stdout and "◆" in result.stdout
    assert "bob" not in result.stdout.split("Churn reasons")[1].split("\n", 1)[1]
    bad = runner.invoke(app, [*args[:-1], "nobody"])
    assert bad.exit_code == 2 and "no csm 'nobody'" in bad.output


def test_a_formula_like_reason_is_neutralised_in_csv(company, runner):
    company.parent.joinpath("data", "accounts.csv").write_text(
        ACCOUNTS.lstrip("\n").replace("Too  Expensive ", "=HYPERLINK(1)"), encoding="utf-8"
    )
    result = runner.invoke(app, ["reasons", "-c", str(company), "-p", "2026-Q3", "--as-of", "2026-10-15"])
    assert '"\'=hyperlink(1)"' in result.stdout
    raw = runner.invoke(app, ["reasons", "-c", str(company), "-p", "2026-Q3", "--as-of", "2026-10-15", "-f", "json"])
    assert '"=hyperlink(1)"' in raw.stdout


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["--rank-by", "count"], 2, "--rank-by must be mrr or logos"),
        (["--by", "country"], 2, "--by must be one of"),
        (["-p", "2026-Q4", "--strict"], 65, "--strict"),
    ],
)
def test_exit_codes(company, runner, args, code, message):
    result = runner.invoke(app, ["reasons", "-c", str(company), "-p", "2026-Q3", "--as-of", "2026-12-15", *args])
    assert result.exit_code == code, result.output
    assert message in result.output


def test_a_period_the_data_cannot_answer_warns_and_writes_the_header(company, runner):
    result = runner.invoke(app, ["reasons", "-c", str(company), "-p", "2027-Q1", "--as-of", "2027-04-15"])
    assert result.exit_code == 0, result.output
    assert "mrr.csv ends at 2026-09" in result.stderr
    assert result.stdout.count("\n") == 1
    assert "no churned accounts" not in result.stderr  # not "nobody churned": the data cannot tell yet
    assert "no churn reasons for 2027-Q1" in result.stderr and "does not reach its end" in result.stderr
    args = ["reasons", "-c", str(company), "-p", "2027-Q1", "--as-of", "2027-04-15", "-f", "table"]
    shown = runner.invoke(app, args, env={"COLUMNS": "200"})
    assert "no churned accounts" not in shown.stdout and "does not reach its end" in shown.stdout


def test_no_revenue_data_is_66(build, runner):
    config = build(kpis=KPIS, accounts=ACCOUNTS)
    result = runner.invoke(app, ["reasons", "-c", str(config), "-p", "2026-Q3", "--as-of", "2026-10-15"])
    assert result.exit_code == 66, result.output
    assert "mrr.csv or subscriptions.csv" in result.output


def test_the_same_inputs_give_the_same_bytes(company, runner):
    args = ["reasons", "-c", str(company), "-p", "2026-Q3", "--as-of", "2026-10-15", "-f", "csv"]
    assert runner.invoke(app, args).stdout_bytes == runner.invoke(app, args).stdout_bytes


def test_the_terminal_group_is_found_in_any_case_and_a_typo_gets_did_you_mean(company, runner):
    args = ["reasons", "-c", str(company), "-p", "2026-Q3", "--as-of", "2026-10-15", "-f", "table", "--by", "team"]
    shown = runner.invoke(app, [*args, "--group", "east"], env={"COLUMNS": "120"})
    assert shown.exit_code == 0, shown.output
    assert "Churn reasons for East (team)" in shown.stdout
    typo = runner.invoke(app, [*args, "--group", "Eats"])
    assert typo.exit_code == 2 and "did you mean East" in typo.stderr, typo.output
