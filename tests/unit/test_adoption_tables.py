"""The reading contract of usage.csv and milestones.csv (SPEC §2).

usage: account_id, month (YYYY-MM or a date in that month; a table's ``date_format`` too),
active_users (a whole number >= 0), licensed_seats (a whole number >= 0, may be empty);
(account_id, month) unique, reported with file and line. milestones: account_id, milestone
(free text, matched trimmed and case-insensitively), achieved_at (a date); several rows per
account and milestone allowed. An account either table names that accounts.csv lacks is a
warning. Headers are mapped through ``data.tables.<table>.columns``.
"""

from __future__ import annotations

import re
from datetime import date

import pytest
from pytest import approx

from csmkpi import engine
from csmkpi.cli.app import app

KPIS = """
version: 1
data: {dir: data}
scoring: {amber_at: 0.9, cap: 1.5, min_sample: 1}
kpis:
  - {id: seats, metric: seat_utilisation}
  - {id: growth, metric: adoption_growth}
  - {id: sso, metric: milestone_on_time, params: {milestone: Deployed_SSO, days: 30}}
"""
CSMS = "csm_id\nalice\n"
ACCOUNTS = "account_id,csm_id,contract_start\nA1,alice,2026-07-01\nA2,alice,2026-07-15\n"
MRR = "account_id,month,mrr\nA1,2026-09,10\nA2,2026-09,10\n"
USAGE = """
account_id,month,active_users,licensed_seats
A1,2026-06,4,10
A1,2026-09,6,10
A2,2026-06,2,
A2,2026-09,3,5
"""
MILESTONES = "account_id,milestone,achieved_at\nA1,deployed_sso,2026-07-20\nA2,first_report,2026-07-20\n"


def validate(runner, cfg):  # type: ignore[no-untyped-def]
    return runner.invoke(app, ["validate", "-c", str(cfg)])


def errors_of(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith("error: ") and "problem" not in line]


@pytest.mark.parametrize(
    ("table", "text", "line", "column", "value", "expected"),
    [
        ("usage", "A1,2026-10,1.5,10", 6, "active_users", "1.5", "a whole number >= 0"),
        ("usage", "A1,2026-10,-2,10", 6, "active_users", "-2", ">= 0"),
        ("usage", "A1,2026-10,many,10", 6, "active_users", "many", "a whole number"),
        ("usage", "A1,2026-10,1e3,10", 6, "active_users", "1e3", "a whole number"),
        ("usage", "A1,2026-10,,10", 6, "active_users", "", "a value"),
        ("usage", "A1,2026-10,3,-1", 6, "licensed_seats", "-1", ">= 0"),
        ("usage", "A1,2026-10,3,10.0", 6, "licensed_seats", "10.0", "a whole number"),
        ("usage", "A1,2026-10,3,99999999999999999999", 6, "licensed_seats", "99999999999999999999", "whole number"),
        ("usage", "A1,2026-13,3,10", 6, "month", "2026-13", "a month (YYYY-MM) or a date"),
        ("usage", "Total,,15,25", 6, "month", "", "a value"),
        ("milestones", "A1,deployed_sso,", 4, "achieved_at", "", "a value"),
        ("milestones", "A1,deployed_sso,2026-02-30", 4, "achieved_at", "2026-02-30", "a date"),
        ("milestones", "A1,,2026-07-01", 4, "milestone", "", "a value"),
    ],
)
def test_bad_values_are_errors_with_file_line_column_value(build, runner, table, text, line, column, value, expected):
    tables = {"usage": USAGE, "milestones": MILESTONES}
    tables[table] = tables[table].rstrip("\n") + "\n" + text + "\n"
    cfg = build(kpis=KPIS, csms=CSMS, accounts=ACCOUNTS, mrr=MRR, **tables)
    result = validate(runner, cfg)
    assert result.exit_code == 65, result.output
    (error,) = errors_of(result.stderr)
    assert f"{table}.csv:{line}:" in error and repr(column) in error and repr(value) in error, error
    assert expected in error, error
    # score stops too, with the same message
    result = runner.invoke(app, ["score", "-c", str(cfg), "-p", "2026-Q3", "--as-of", "2026-10-15"])
    assert result.exit_code == 65 and f"{table}.csv:{line}:" in result.stderr


def test_duplicate_account_and_month_is_an_error_with_its_line(build, runner):
    # line 4 repeats A1's 2026-09 as a date in that month; line 6 repeats A2's June
    usage = """
    account_id,month,active_users,licensed_seats
    A1,2026-06,4,10
    A1,2026-09,6,10
    A1,2026-09-30,6,10
    A2,2026-06,2,
    A2,2026-06,2,
    A2,2026-09,3,5
    """
    cfg = build(kpis=KPIS, csms=CSMS, accounts=ACCOUNTS, mrr=MRR, usage=usage, milestones=MILESTONES)
    result = validate(runner, cfg)
    assert result.exit_code == 65
    (error,) = errors_of(result.stderr)
    assert "usage.csv:4:" in error and "duplicate account_id + month" in error, error
    assert re.search(r"1 more row", result.stderr), result.stderr


def test_several_rows_per_account_and_milestone_are_fine(build, runner, score_long):
    milestones = MILESTONES + "A1,DEPLOYED_SSO,2026-07-10\nA1, deployed_sso ,2026-07-25\n"
    cfg = build(kpis=KPIS, csms=CSMS, accounts=ACCOUNTS, mrr=MRR, usage=USAGE, milestones=milestones)
    assert validate(runner, cfg).exit_code == 0
    # A1: deadline 2026-07-31, earliest 2026-07-10; A2: deadline 2026-08-14, only first_report
    rows = score_long(cfg)
    assert (rows[("ALL", "sso")]["numerator"], rows[("ALL", "sso")]["denominator"]) == (1, 2)


def test_unknown_accounts_are_a_warning_and_roll_up_unassigned(build, runner, score_long):
    cfg = build(
        kpis=KPIS,
        csms=CSMS,
        accounts=ACCOUNTS,
        mrr=MRR + "Z9,2026-09,10\n",
        usage=USAGE + "Z9,2026-06,1,2\nZ9,2026-09,2,2\n",
        milestones=MILESTONES + "Z8,deployed_sso,2026-07-01\n",
    )
    result = validate(runner, cfg)
    assert result.exit_code == 0, result.output
    warnings = [line for line in result.stderr.splitlines() if "account_id is not in accounts" in line]
    assert any("usage.csv:6:" in w and "'Z9'" in w for w in warnings), result.stderr
    assert any("milestones.csv:4:" in w and "'Z8'" in w for w in warnings), result.stderr
    rows = score_long(cfg)
    assert (rows[("(unassigned)", "seats")]["numerator"], rows[("(unassigned)", "seats")]["denominator"]) == (2, 2)
    assert rows[("(unassigned)", "growth")]["value"] == approx(2.0)
    assert runner.invoke(app, ["validate", "-c", str(cfg), "--strict"]).exit_code == 65


MAPPED_KPIS = """
version: 1
data:
  dir: data
  tables:
    usage:
      file: product_usage.csv
      date_format: "%d/%m/%Y"
      columns: {account_id: Account, month: Period, active_users: MAU, licensed_seats: Seats}
    milestones: {date_format: "%m/%d/%Y", columns: {milestone: Event, achieved_at: Date}}
scoring: {amber_at: 0.9, cap: 1.5, min_sample: 1}
kpis:
  - {id: seats, metric: seat_utilisation}
  - {id: growth, metric: adoption_growth}
  - {id: sso, metric: milestone_on_time, params: {milestone: Deployed_SSO, days: 30}}
"""


def test_column_mapping_and_date_format(build, score_long):
    cfg = build(
        kpis=MAPPED_KPIS,
        csms=CSMS,
        accounts=ACCOUNTS,
        mrr=MRR,
        # a date in the month in the table's format, or YYYY-MM as is; Plan is not a usage column
        product_usage="""
        Account,Period,MAU,Seats,Plan
        A1,30/06/2026,4,10,pro
        A1,2026-09,6,10,pro
        A2,01/06/2026,2,,basic
        A2,15/09/2026,3,5,basic
        """,
        milestones="account_id,Event,Date\nA1,Deployed_SSO,07/20/2026\n",
    )
    rows = score_long(cfg)
    assert (rows[("ALL", "seats")]["numerator"], rows[("ALL", "seats")]["denominator"]) == (9, 15)
    assert (rows[("ALL", "growth")]["numerator"], rows[("ALL", "growth")]["denominator"]) == (9, 6)
    # A1: deadline 2026-07-31, reached 2026-07-20; A2: deadline 2026-08-14, never
    assert (rows[("ALL", "sso")]["numerator"], rows[("ALL", "sso")]["denominator"]) == (1, 2)


def test_a_usage_file_without_licensed_seats_reads_them_as_empty(build, score_long):
    cfg = build(
        kpis=KPIS,
        csms=CSMS,
        accounts=ACCOUNTS,
        mrr=MRR,
        usage="account_id,month,active_users\nA1,2026-06,4\nA1,2026-09,6\n",
        milestones=MILESTONES,
    )
    rows = score_long(cfg)
    assert rows[("ALL", "seats")]["sample_size"] == 0 and rows[("ALL", "seats")]["value"] is None
    assert rows[("ALL", "growth")]["value"] == approx(1.5)


def test_the_config_accepts_both_tables(build):
    kpis = KPIS.replace("data: {dir: data}", "data: {dir: data, tables: {usage: {delimiter: ';'}, milestones: {}}}")
    cfg = build(
        kpis=kpis,
        csms=CSMS,
        accounts=ACCOUNTS,
        mrr=MRR,
        usage=USAGE.replace(",", ";"),
        milestones=MILESTONES,
    )
    card = engine.score(engine.ScoreRequest(config=cfg, period="2026-Q3", as_of=date(2026, 10, 15)))
    assert not card.warnings
