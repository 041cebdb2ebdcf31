"""Hand-computed tests for ``milestone_on_time`` (SPEC §2, §4).

Accounts whose deadline (contract_start + ``days``, default 180) falls in P: count(earliest
achieved_at of ``milestone`` <= deadline) / count. Never achieved is late; reached before the
contract start is on time; an empty contract_start is outside the metric. Several rows per account
and milestone may exist: the earliest counts. Milestone names (in the file and in the params) are
matched trimmed and case-insensitively. A unit belongs to the owner on the deadline.

Period 2026-Q3 = 2026-07-01..2026-09-30.
"""

from __future__ import annotations

from datetime import date

from pytest import approx

from csmkpi import engine
from csmkpi.cli.app import app

CSMS = """
csm_id,csm_name
alice,Alice
bob,Bob
carol,Carol
"""


def kpis(params: str = "{milestone: deployed_sso}") -> str:
    return f"""
    version: 1
    data: {{dir: data}}
    scoring: {{amber_at: 0.9, cap: 1.5, min_sample: 1}}
    kpis:
      - {{id: sso, metric: milestone_on_time, params: {params}, target: 0.8, weight: 1}}
    """


def numbers(row):  # type: ignore[no-untyped-def]
    return row["value"], row["numerator"], row["denominator"], row["sample_size"]


# deadline = contract_start + 180 days:
# M1  alice 2026-01-02 -> 2026-07-01 (P's first day); reached on the deadline     -> on time
# M2  alice 2026-04-03 -> 2026-09-30 (P's last day); never reached               -> late
# M3  alice 2026-01-01 -> 2026-06-30 (out); reached 2026-06-30
# M4  bob   2026-04-04 -> 2026-10-01 (out); reached 2026-09-01
# M5  bob   2026-02-01 -> 2026-07-31; reached 2025-12-15, before the contract start -> on time
# M6  bob   2026-02-01 -> 2026-07-31; rows 2026-08-01 and 2026-07-31: the earliest -> on time
# M7  bob   2026-02-01 -> 2026-07-31; reached 2026-08-01, a day late              -> late
# M8  bob   no contract_start; reached                                            -> outside
# M9  bob   2026-02-01 -> 2026-07-31; only another milestone reached              -> late
# M10 bob   2026-03-01 -> 2026-08-28; reached 2026-05-01 (written " DEPLOYED_SSO ") -> on time
# X1  not in accounts.csv: its rows are ignored (a warning)
ACCOUNTS = """
account_id,csm_id,segment,contract_start
M1,alice,ent,2026-01-02
M2,alice,smb,2026-04-03
M3,alice,smb,2026-01-01
M4,bob,ent,2026-04-04
M5,bob,ent,2026-02-01
M6,bob,smb,2026-02-01
M7,bob,smb,2026-02-01
M8,bob,smb,
M9,bob,ent,2026-02-01
M10,bob,,2026-03-01
"""
MILESTONES = """
account_id,milestone,achieved_at
M1,deployed_sso,2026-07-01
M3,deployed_sso,2026-06-30
M4,deployed_sso,2026-09-01
M5,deployed_sso,2025-12-15
M6,deployed_sso,2026-08-01
M6,Deployed_SSO,2026-07-31
M7,deployed_sso,2026-08-01
M8,deployed_sso,2026-07-05
M9,first_report,2026-03-01
M10, DEPLOYED_SSO ,2026-05-01
X1,deployed_sso,2026-07-01
"""


def test_per_csm_and_pooled_all(build, score_long):
    cfg = build(kpis=kpis(), csms=CSMS, accounts=ACCOUNTS, milestones=MILESTONES)
    rows = score_long(cfg)
    # alice: M1 on time, M2 late
    assert numbers(rows[("alice", "sso")]) == (approx(0.5), 1, 2, 2)
    # bob: M5, M6, M10 on time; M7, M9 late
    assert numbers(rows[("bob", "sso")]) == (approx(0.6), 3, 5, 5)
    # ALL pooled: 4 / 7, not the mean (0.5 + 0.6) / 2
    everyone = rows[("ALL", "sso")]
    assert numbers(everyone) == (approx(4 / 7), 4, 7, 7)
    assert everyone["value"] != approx(0.55)
    carol = rows[("carol", "sso")]
    assert (carol["value"], carol["sample_size"], carol["status"]) == (None, 0, "no-data")


def test_names_are_matched_trimmed_and_case_insensitively(build, score_long):
    for written in ("Deployed_SSO", "' DEPLOYED_sso '", "deployed_sso"):
        cfg = build(kpis=kpis(f"{{milestone: {written}}}"), csms=CSMS, accounts=ACCOUNTS, milestones=MILESTONES)
        assert numbers(score_long(cfg)[("ALL", "sso")]) == (approx(4 / 7), 4, 7, 7), written
        card = engine.score(engine.ScoreRequest(config=cfg, period="2026-Q3", as_of=date(2026, 10, 15)))
        assert not [w for w in card.warnings if "names milestone" in w.message], written
    # "deployed-sso" is another milestone: nobody reached it, so all 7 are late, and a warning says so
    cfg = build(kpis=kpis("{milestone: deployed-sso}"), csms=CSMS, accounts=ACCOUNTS, milestones=MILESTONES)
    assert numbers(score_long(cfg)[("ALL", "sso")]) == (approx(0.0), 0, 7, 7)
    card = engine.score(engine.ScoreRequest(config=cfg, period="2026-Q3", as_of=date(2026, 10, 15)))
    (warning,) = [w.message for w in card.warnings if "names milestone" in w.message]
    assert warning == (
        "KPI 'sso' (milestone_on_time): no row of milestones.csv names milestone 'deployed-sso', so every account "
        "is late; did you mean 'deployed_sso'?"
    )
    # another milestone of the same file: M9 reached first_report (deadline 2026-07-31)
    cfg = build(kpis=kpis("{milestone: First_Report}"), csms=CSMS, accounts=ACCOUNTS, milestones=MILESTONES)
    assert numbers(score_long(cfg)[("bob", "sso")]) == (approx(0.2), 1, 5, 5)


def test_deadlines_on_period_boundaries(build, score_long):
    cfg = build(kpis=kpis(), csms=CSMS, accounts=ACCOUNTS, milestones=MILESTONES)
    # 2026-06: only M3 (deadline 2026-06-30, reached that day)
    assert numbers(score_long(cfg, "2026-06")[("ALL", "sso")]) == (approx(1.0), 1, 1, 1)
    # 2026-07: M1 (07-01) and M5, M6, M7, M9 (07-31): M1, M5, M6 on time
    assert numbers(score_long(cfg, "2026-07")[("ALL", "sso")]) == (approx(0.6), 3, 5, 5)
    # 2026-08: M10 (08-28) only
    assert numbers(score_long(cfg, "2026-08")[("ALL", "sso")]) == (approx(1.0), 1, 1, 1)
    # 2026-09: M2 (09-30, never reached)
    assert numbers(score_long(cfg, "2026-09")[("ALL", "sso")]) == (approx(0.0), 0, 1, 1)
    # 2026-10: M4 (10-01), reached 2026-09-01
    rows = score_long(cfg, "2026-10", as_of=date(2026, 11, 15))
    assert numbers(rows[("bob", "sso")]) == (approx(1.0), 1, 1, 1)
    assert rows[("alice", "sso")]["sample_size"] == 0


def test_days_param(build, score_long):
    accounts = """
    account_id,csm_id,contract_start
    D1,alice,2026-07-01
    D2,alice,2026-07-01
    D3,alice,2026-06-21
    D4,alice,2026-09-25
    """
    milestones = """
    account_id,milestone,achieved_at
    D1,first_report,2026-07-01
    D2,first_report,2026-07-11
    D3,first_report,2026-07-01
    D4,first_report,2026-09-30
    """
    # days 0: deadline = contract_start: D1 07-01 on time, D2 07-01 late, D4 09-25 late; D3 06-21 out
    cfg = build(kpis=kpis("{milestone: first_report, days: 0}"), csms=CSMS, accounts=accounts, milestones=milestones)
    assert numbers(score_long(cfg)[("alice", "sso")]) == (approx(1 / 3), 1, 3, 3)
    # days 10: D1, D2 07-11 (both on time), D3 07-01 (on time), D4 10-05 (out)
    cfg = build(kpis=kpis("{milestone: first_report, days: 10}"), csms=CSMS, accounts=accounts, milestones=milestones)
    assert numbers(score_long(cfg)[("alice", "sso")]) == (approx(1.0), 3, 3, 3)
    # default 180: every deadline after 2026-12-18: nobody in Q3, and 2026-Q4 has D1-D3 on time
    cfg = build(kpis=kpis("{milestone: first_report}"), csms=CSMS, accounts=accounts, milestones=milestones)
    assert score_long(cfg)[("ALL", "sso")]["sample_size"] == 0
    rows = score_long(cfg, "2026-Q4", as_of=date(2027, 1, 15))
    assert numbers(rows[("ALL", "sso")]) == (approx(1.0), 3, 3, 3)  # D4's deadline is 2027-03-24


def test_owner_on_the_deadline_unassigned_and_by_segment(build, score_long):
    cfg = build(
        kpis=kpis(),
        csms=CSMS,
        accounts="""
        account_id,csm_id,segment,contract_start
        E1,carol,ent,2026-02-01
        E2,carol,smb,2026-03-01
        E3,,smb,2026-03-01
        """,
        # E1 and E2: alice until 2026-07-31 inclusive, bob after
        assignments="""
        account_id,csm_id,start_date,end_date
        E1,alice,2026-01-01,2026-07-31
        E1,bob,2026-08-01,
        E2,alice,2026-01-01,2026-07-31
        E2,bob,2026-08-01,
        """,
        milestones="account_id,milestone,achieved_at\nE1,deployed_sso,2026-07-30\nE3,deployed_sso,2026-08-01\n",
    )
    rows = score_long(cfg)
    # E1 (deadline 07-31) -> alice, on time; E2 (08-28) -> bob, late; E3 (08-28) unassigned, on time
    assert numbers(rows[("alice", "sso")]) == (approx(1.0), 1, 1, 1)
    assert numbers(rows[("bob", "sso")]) == (approx(0.0), 0, 1, 1)
    assert numbers(rows[("(unassigned)", "sso")]) == (approx(1.0), 1, 1, 1)
    assert rows[("carol", "sso")]["sample_size"] == 0
    rows = score_long(cfg, by="segment")
    assert numbers(rows[("ent", "sso")]) == (approx(1.0), 1, 1, 1)
    assert numbers(rows[("smb", "sso")]) == (approx(0.5), 1, 2, 2)
    assert numbers(rows[("ALL", "sso")]) == (approx(2 / 3), 2, 3, 3)


def test_range_not_aligned_to_months(build):
    cfg = build(
        kpis=kpis("{milestone: deployed_sso, days: 30}"),
        csms=CSMS,
        accounts="""
        account_id,csm_id,contract_start
        W1,alice,2026-06-14
        W2,alice,2026-06-15
        W3,alice,2026-07-11
        W4,alice,2026-07-12
        """,
        milestones="account_id,milestone,achieved_at\nW2,deployed_sso,2026-07-16\nW3,deployed_sso,2026-08-10\n",
    )
    card = engine.score(
        engine.ScoreRequest(config=cfg, start=date(2026, 7, 15), end=date(2026, 8, 10), as_of=date(2026, 10, 15))
    )
    rows = {(r["group"], r["kpi"]): r for r in card.long_table().iter_rows(named=True)}
    # deadlines 07-14, 07-15, 08-10, 08-11: W2 (a day late) and W3 (on the deadline) are in range
    assert numbers(rows[("alice", "sso")]) == (approx(0.5), 1, 2, 2)


def test_without_the_milestones_table_it_is_not_computable(build, score_long):
    cfg = build(kpis=kpis(), csms=CSMS, accounts=ACCOUNTS)
    card = engine.score(engine.ScoreRequest(config=cfg, period="2026-Q3", as_of=date(2026, 10, 15)))
    rows = {(r["group"], r["kpi"]): r for r in card.long_table().iter_rows(named=True)}
    assert (rows[("ALL", "sso")]["value"], rows[("ALL", "sso")]["status"]) == (None, "no-data")
    assert any("needs the milestones table (milestones.csv)" in w.message for w in card.warnings)


def test_a_header_only_milestones_file_makes_every_deadline_late(build, score_long, runner):
    cfg = build(kpis=kpis(), csms=CSMS, accounts=ACCOUNTS, milestones="account_id,milestone,achieved_at\n")
    assert numbers(score_long(cfg)[("ALL", "sso")]) == (approx(0.0), 0, 7, 7)
    result = runner.invoke(app, ["score", "-c", str(cfg), "-p", "2026-Q3", "--as-of", "2026-10-15", "--strict"])
    assert result.exit_code == 65 and "names milestone 'deployed_sso', so every account is late" in result.stderr


def test_params_are_checked_before_any_data_is_read(build, runner):
    for params, fragment in (
        ("{}", "milestone"),
        ("{days: 30}", "milestone"),
        ("{milestone: '  '}", "milestone"),
        ("{milestone: yes}", "milestone"),
        ("{milestone: sso, days: -1}", "days"),
        ("{milestone: sso, deadline: 30}", "deadline"),
    ):
        cfg = build(kpis=kpis(params), csms=CSMS, accounts=ACCOUNTS, milestones=MILESTONES)
        result = runner.invoke(app, ["score", "-c", str(cfg), "-p", "2026-Q3", "--as-of", "2026-10-15"])
        assert result.exit_code == 78, (params, result.output)
        assert f"kpis.0.params.{fragment}" in result.stderr, (params, result.stderr)


def test_explain_shows_the_deadline_and_the_earliest_achievement(build, runner):
    cfg = build(kpis=kpis(), csms=CSMS, accounts=ACCOUNTS, milestones=MILESTONES)
    args = ["explain", "sso", "-g", "bob", "-c", str(cfg), "-p", "2026-Q3", "--as-of", "2026-10-15", "--format", "csv"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    lines = [line.replace('"', "").split(",") for line in result.stdout.splitlines()]
    assert lines[0][-4:] == ["contract_start", "deadline", "achieved_at", "value"]
    by_account = {row[2]: row[-4:-1] for row in lines[1:]}
    assert by_account["M6"] == ["2026-02-01", "2026-07-31", "2026-07-31"]  # the earliest of two rows
    assert by_account["M5"] == ["2026-02-01", "2026-07-31", "2025-12-15"]
    assert by_account["M9"] == ["2026-02-01", "2026-07-31", ""]  # never reached
    assert lines[-1][2] == "TOTAL" and lines[-1][6:9] == ["3.0", "5.0", "5"]
