"""Data freshness (SPEC §3): a month after the revenue data's last month is missing, not zero.

Once, a run made before the month's revenue export arrived printed NRR 0% and churn 100% for
everyone and exited 0. Now a KPI that needs a missing end snapshot has no data, with one
warning naming the file, its last month and the month needed; ``--strict`` makes it exit 65,
with the message even under ``--quiet``, and writes nothing. A partial period uses the latest
month present within it and says so.

mrr below ends at 2026-10: A1 (alice) 100 in 2026-06, 110 in 2026-09, 120 in 2026-10;
A2 (bob) 50 in 2026-06 and 2026-09, 0 in 2026-10 (churned in October).
"""

from __future__ import annotations

from datetime import date

from pytest import approx

from csmkpi import engine
from csmkpi.cli.app import app

KPIS = """
version: 1
data: {dir: data}
scoring: {amber_at: 0.9, cap: 1.5, min_sample: 1}
kpis:
  - {id: nrr, metric: nrr, target: 1.0}
  - {id: logo_churn, metric: churn, target: 0.05, better: lower}
  - {id: arr, metric: arr_managed}
  - {id: moves, metric: mrr_movements}
  - {id: csat, metric: csat, target: 0.9}
"""
CSMS = "csm_id,csm_name\nalice,Alice\nbob,Bob\n"
ACCOUNTS = "account_id,csm_id\nA1,alice\nA2,bob\n"
MRR = """
account_id,month,mrr
A1,2026-06,100
A1,2026-09,110
A1,2026-10,120
A2,2026-06,50
A2,2026-09,50
A2,2026-10,0
"""
SURVEYS = """
response_id,account_id,survey,responded_at,score
R1,A1,csat,2026-10-05T10:00:00,5
R2,A2,csat,2026-12-20T10:00:00,2
"""
REVENUE_KPIS = ("nrr", "logo_churn", "arr", "moves_new", "moves_churn")


def company(build):  # type: ignore[no-untyped-def]
    return build(kpis=KPIS, csms=CSMS, accounts=ACCOUNTS, mrr=MRR, surveys=SURVEYS)


def card(cfg, period: str, as_of: date) -> engine.Scorecard:  # type: ignore[no-untyped-def]
    return engine.score(engine.ScoreRequest(config=cfg, period=period, as_of=as_of))


def rows(scorecard: engine.Scorecard) -> dict:  # type: ignore[type-arg]
    return {(r["group"], r["kpi"]): r for r in scorecard.long_table().iter_rows(named=True)}


def test_a_period_after_the_last_month_has_no_data_never_zeros(build):
    # 2026-Q4 is over on 2027-01-15, but mrr ends at 2026-10: the end snapshot 2026-12 is missing.
    scorecard = card(company(build), "2026-Q4", date(2027, 1, 15))
    got = rows(scorecard)
    for group in ("alice", "bob", "ALL"):
        for kpi in REVENUE_KPIS:
            row = got[(group, kpi)]
            assert (row["value"], row["numerator"], row["sample_size"], row["status"]) == (None, None, 0, "no-data")
    # Other KPIs still run: Q4 has R1 (score 5) and R2 (score 2), so csat = 1/2.
    assert got[("ALL", "csat")]["value"] == approx(0.5)
    (warning,) = [w for w in scorecard.warnings if w.check == "missing_month"]
    assert "mrr.csv ends at 2026-10; 2026-Q4 needs 2026-12" in warning.message
    assert all(kpi in warning.message for kpi in ("nrr", "logo_churn", "arr", "moves_new"))
    assert scorecard.notes == ()


def test_a_complete_period_is_untouched(build):
    scorecard = card(company(build), "2026-10", date(2026, 11, 15))
    got = rows(scorecard)
    # October: s = Sep (110 + 50), e = Oct (120 + 0): nrr 120/160, churn 1 of 2
    assert got[("ALL", "nrr")]["value"] == approx(120 / 160)
    assert got[("ALL", "logo_churn")]["value"] == approx(0.5)
    assert not [w for w in scorecard.warnings if w.check == "missing_month"] and scorecard.notes == ()


def test_a_partial_period_uses_the_latest_month_present_and_says_so(build):
    # 2026-Q4 on 2026-11-20 is partial; mrr's latest month within it is 2026-10.
    scorecard = card(company(build), "2026-Q4", date(2026, 11, 20))
    got = rows(scorecard)
    assert (scorecard.period.start, scorecard.period.end, scorecard.period.partial) == (
        date(2026, 10, 1),
        date(2026, 12, 31),
        True,
    )  # the period's end stays its end
    # s = 2026-09 (110 + 50), e = 2026-10 (120 + 0)
    assert (got[("ALL", "nrr")]["value"], got[("ALL", "nrr")]["numerator"]) == (approx(120 / 160), approx(120))
    assert got[("bob", "logo_churn")]["value"] == approx(1.0)
    assert got[("ALL", "arr")]["value"] == approx(12 * 120)
    # Movements over the months present only: A2's churn of 50 in October
    assert got[("ALL", "moves_churn")]["value"] == approx(50)
    assert got[("ALL", "moves_expansion")]["value"] == approx(10)
    assert not [w for w in scorecard.warnings if w.check == "missing_month"]
    (note,) = scorecard.notes
    assert note.startswith("revenue as of 2026-10")


def test_a_partial_period_without_any_month_present_has_no_data(build):
    scorecard = card(company(build), "2026-12", date(2026, 12, 20))
    got = rows(scorecard)
    assert got[("ALL", "nrr")]["status"] == "no-data" and got[("ALL", "arr")]["value"] is None
    (warning,) = [w for w in scorecard.warnings if w.check == "missing_month"]
    assert "ends at 2026-10; 2026-12 needs 2026-12" in warning.message
    assert got[("ALL", "csat")]["value"] == approx(0.0)  # R2, score 2


def test_a_header_only_mrr_file_has_no_months(build):
    cfg = build(kpis=KPIS, csms=CSMS, accounts=ACCOUNTS, mrr="account_id,month,mrr\n")
    scorecard = card(cfg, "2026-Q3", date(2026, 10, 15))
    assert rows(scorecard)[("ALL", "nrr")]["status"] == "no-data"
    (warning,) = [w for w in scorecard.warnings if w.check == "missing_month"]
    assert "mrr.csv has no rows; 2026-Q3 needs 2026-09" in warning.message


def test_subscriptions_are_complete_up_to_the_as_of_month(build):
    subscriptions = """
    subscription_id,account_id,start_date,end_date,mrr
    S1,A1,2026-01-01,,100
    S2,A2,2026-01-01,2026-11-30,50
    """
    cfg = build(kpis=KPIS, csms=CSMS, accounts=ACCOUNTS, subscriptions=subscriptions)
    # 2026-Q4 on 2026-11-20: revenue as of 2026-11 (A2 still paying at the end of November)
    scorecard = card(cfg, "2026-Q4", date(2026, 11, 20))
    got = rows(scorecard)
    assert got[("ALL", "nrr")]["value"] == approx(1.0)
    assert got[("ALL", "logo_churn")]["value"] == approx(0.0)
    assert scorecard.notes and scorecard.notes[0].startswith("revenue as of 2026-11")
    # Over on 2027-01-15: the December snapshot is known; A2 ended in November
    got = rows(card(cfg, "2026-Q4", date(2027, 1, 15)))
    assert got[("ALL", "logo_churn")]["value"] == approx(0.5)


def test_explain_says_why_there_is_no_data(build, runner):
    cfg = company(build)
    result = runner.invoke(app, ["explain", "nrr", "-g", "ALL", "-c", str(cfg), "-p", "2026-Q4", "--as-of", "2027-01-15"])
    assert result.exit_code != 0 and "ends at 2026-10" in result.stderr and "Traceback" not in result.output


def test_strict_fails_with_the_message_even_when_quiet_and_writes_nothing(build, runner, tmp_path):
    cfg = company(build)
    out = tmp_path / "q4.csv"
    args = ["score", "-c", str(cfg), "-p", "2026-Q4", "--as-of", "2027-01-15", "-o", str(out)]
    result = runner.invoke(app, [*args, "--strict", "--quiet"])
    assert result.exit_code == 65
    assert "mrr.csv ends at 2026-10; 2026-Q4 needs 2026-12" in result.stderr
    assert "--strict" in result.stderr and not out.exists() and result.stdout == ""
    result = runner.invoke(app, [*args, "--quiet"])  # without --strict: written, exit 0, silent
    assert result.exit_code == 0 and out.exists() and result.stderr == ""
    result = runner.invoke(app, args)
    assert result.exit_code == 0 and "ends at 2026-10" in result.stderr


def test_trend_reports_each_sub_period_that_has_no_data(build, runner):
    cfg = company(build)
    args = ["trend", "-c", str(cfg), "--from", "2026-10-01", "--to", "2026-12-31", "--as-of", "2027-01-15"]
    result = runner.invoke(app, [*args, "--format", "csv", "--kpi", "nrr"])
    assert result.exit_code == 0
    values = {line.split(",")[0].strip('"'): line.split(",")[7] for line in result.stdout.splitlines()[1:]}
    assert values["2026-10"] != "" and values["2026-11"] == values["2026-12"] == ""
    assert "2026-11 needs 2026-11" in result.stderr and "2026-12 needs 2026-12" in result.stderr
