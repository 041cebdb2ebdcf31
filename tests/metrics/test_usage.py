"""Hand-computed tests for ``seat_utilisation`` and ``adoption_growth`` (SPEC §2-§4).

seat_utilisation: accounts active at P's end (MRR of the end snapshot > 0) with licensed_seats > 0
in P's last month: Σ active_users / Σ licensed_seats of that month. Over-use counts as it is (the
value can exceed 1); empty or 0 seats, no usage row that month, or not active at the end: outside.
A unit belongs to the owner at P's end.

adoption_growth: accounts with active_users > 0 in the month before P's first month: Σ active_users
in P's last month (a missing row is 0) / Σ active_users in the month before P. A unit belongs to
the owner at P's start, whatever ``attribution`` says (that switch is for the retention cohort).

Data freshness (SPEC §3) holds for usage as for mrr: a period whose last month is after usage.csv's
last month has no data for these KPIs, with one warning, never 0%; a partial period reads the
latest usage month present within it and says so.

Period 2026-Q3 = 2026-07-01..2026-09-30: start month 2026-06, end month 2026-09.
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
  - {id: seats, metric: seat_utilisation, target: 0.8, weight: 1}
  - {id: growth, metric: adoption_growth, target: 1.1, weight: 1}
"""

CSMS = """
csm_id,csm_name,team
alice,Alice,t1
bob,Bob,t1
carol,Carol,t2
"""


def numbers(row):  # type: ignore[no-untyped-def]
    return row["value"], row["numerator"], row["denominator"], row["sample_size"]


def empty(row) -> bool:  # type: ignore[no-untyped-def]
    return (row["value"], row["numerator"], row["denominator"], row["sample_size"], row["status"]) == (
        None,
        None,
        None,
        0,
        "no-data",
    )


# --- seat_utilisation --------------------------------------------------------------

# S1 alice 8 of 10 seats                      -> in
# S2 alice 15 of 10 seats (over-use)          -> in, counts 15 / 10 as it is
# S3 alice 5 users, seats empty               -> outside (no seats to divide by)
# S4 bob   3 users, 0 seats                   -> outside
# S5 bob   active, no usage rows at all       -> outside
# S6 bob   active, usage only in 2026-08      -> outside (no row in P's last month)
# S7 bob   usage 9 of 10 in 2026-09, but no 2026-09 MRR (churned in August) -> not active: outside
# S8 bob   month written as a date in 2026-09: 6 of 12 -> in
# S9 unassigned 4 of 5                        -> (unassigned)
# X1 not in accounts.csv, 1 of 2              -> (unassigned), with a warning
SEAT_ACCOUNTS = """
account_id,csm_id,segment
S1,alice,ent
S2,alice,smb
S3,alice,smb
S4,bob,smb
S5,bob,ent
S6,bob,ent
S7,bob,ent
S8,bob,smb
S9,,ent
"""
SEAT_MRR = """
account_id,month,mrr
S1,2026-09,100
S2,2026-09,100
S3,2026-09,100
S4,2026-09,100
S5,2026-09,100
S6,2026-09,100
S7,2026-08,100
S8,2026-09,200
S9,2026-09,100
X1,2026-09,100
"""
SEAT_USAGE = """
account_id,month,active_users,licensed_seats
S1,2026-09,8,10
S2,2026-09,15,10
S3,2026-09,5,
S4,2026-09,3,0
S6,2026-08,20,20
S7,2026-09,9,10
S8,2026-09-30,6,12
S9,2026-09,4,5
X1,2026-09,1,2
S1,2026-06,1,100
"""


def test_seat_utilisation_per_csm_and_pooled_all(build, score_long):
    cfg = build(kpis=KPIS, csms=CSMS, accounts=SEAT_ACCOUNTS, mrr=SEAT_MRR, usage=SEAT_USAGE)
    rows = score_long(cfg)
    # alice: (8 + 15) / (10 + 10) = 1.15 (over-use shows above 100%, never capped)
    assert numbers(rows[("alice", "seats")]) == (approx(1.15), 23, 20, 2)
    # bob: only S8, 6 / 12
    assert numbers(rows[("bob", "seats")]) == (approx(0.5), 6, 12, 1)
    # (unassigned): S9 and the unknown X1: (4 + 1) / (5 + 2)
    assert numbers(rows[("(unassigned)", "seats")]) == (approx(5 / 7), 5, 7, 2)
    assert empty(rows[("carol", "seats")])
    # ALL pools the units: 34 / 39, not the mean of the groups' ratios
    everyone = rows[("ALL", "seats")]
    assert numbers(everyone) == (approx(34 / 39), 34, 39, 5)
    assert everyone["value"] != approx((1.15 + 0.5 + 5 / 7) / 3)


def test_seat_utilisation_by_segment(build, score_long):
    cfg = build(kpis=KPIS, csms=CSMS, accounts=SEAT_ACCOUNTS, mrr=SEAT_MRR, usage=SEAT_USAGE)
    rows = score_long(cfg, by="segment")
    # ent: S1 8/10, S9 4/5; smb: S2 15/10, S8 6/12; (unassigned): X1 (no segment) 1/2
    assert numbers(rows[("ent", "seats")]) == (approx(12 / 15), 12, 15, 2)
    assert numbers(rows[("smb", "seats")]) == (approx(21 / 22), 21, 22, 2)
    assert numbers(rows[("(unassigned)", "seats")]) == (approx(0.5), 1, 2, 1)
    assert numbers(rows[("ALL", "seats")]) == (approx(34 / 39), 34, 39, 5)


def test_seat_utilisation_belongs_to_the_owner_at_the_end(build, score_long):
    cfg = build(
        kpis=KPIS,
        csms=CSMS,
        accounts="account_id,csm_id\nT1,carol\nT2,carol\n",
        mrr="account_id,month,mrr\nT1,2026-09,50\nT2,2026-09,50\n",
        usage="account_id,month,active_users,licensed_seats\nT1,2026-09,3,4\nT2,2026-09,1,4\n",
        # T1: alice until 2026-09-29, bob from P's last day; T2: alice until P's last day
        assignments="""
        account_id,csm_id,start_date,end_date
        T1,alice,2026-01-01,2026-09-29
        T1,bob,2026-09-30,
        T2,alice,2026-01-01,2026-09-30
        """,
    )
    rows = score_long(cfg)
    assert numbers(rows[("bob", "seats")]) == (approx(0.75), 3, 4, 1)
    assert numbers(rows[("alice", "seats")]) == (approx(0.25), 1, 4, 1)
    assert rows[("carol", "seats")]["sample_size"] == 0


def test_seat_utilisation_without_revenue_is_not_computable(build, score_long):
    cfg = build(
        kpis=KPIS,
        csms=CSMS,
        accounts="account_id,csm_id\nU1,alice\n",
        usage="account_id,month,active_users,licensed_seats\nU1,2026-06,2,5\nU1,2026-09,4,5\n",
    )
    card = engine.score(engine.ScoreRequest(config=cfg, period="2026-Q3", as_of=date(2026, 10, 15)))
    rows = {(r["group"], r["kpi"]): r for r in card.long_table().iter_rows(named=True)}
    assert empty(rows[("ALL", "seats")])
    assert any("'seats'" in w.message and "revenue" in w.message for w in card.warnings)
    # adoption_growth needs usage only: 4 / 2
    assert numbers(rows[("alice", "growth")]) == (approx(2.0), 4, 2, 1)


def test_usage_metrics_without_usage_are_not_computable(build, score_long):
    cfg = build(
        kpis=KPIS, csms=CSMS, accounts="account_id,csm_id\nU1,alice\n", mrr="account_id,month,mrr\nU1,2026-09,9\n"
    )
    card = engine.score(engine.ScoreRequest(config=cfg, period="2026-Q3", as_of=date(2026, 10, 15)))
    rows = {(r["group"], r["kpi"]): r for r in card.long_table().iter_rows(named=True)}
    assert empty(rows[("ALL", "seats")]) and empty(rows[("ALL", "growth")])
    messages = [w.message for w in card.warnings]
    assert sum("needs the usage table (usage.csv)" in m for m in messages) == 2, messages


def test_a_kpi_without_data_has_a_row_for_every_group_the_others_show(build, score_long):
    # U2 has no owner: the revenue KPI has units in (unassigned), the usage ones have no data at all.
    kpis = KPIS + "  - {id: arr, metric: arr_managed}\n"
    cfg = build(
        kpis=kpis,
        csms=CSMS,
        accounts="account_id,csm_id\nU1,alice\nU2,\n",
        mrr="account_id,month,mrr\nU1,2026-09,9\nU2,2026-09,5\n",
    )
    rows = score_long(cfg)
    groups = {kpi: sorted(g for g, k in rows if k == kpi) for kpi in ("arr", "seats", "growth")}
    assert groups["seats"] == groups["growth"] == groups["arr"] == ["(unassigned)", "ALL", "alice", "bob", "carol"]
    assert empty(rows[("(unassigned)", "seats")]) and empty(rows[("(unassigned)", "growth")])


# --- adoption_growth ---------------------------------------------------------------

# start month 2026-06, end month 2026-09:
# G1 alice 10 -> 15            in: 15 / 10
# G2 alice 20 -> no 09 row     in: 0 / 20 (a missing row in P's last month is 0)
# G3 alice  0 -> 30            outside (no active users at the start)
# G4 bob    no 06 row -> 12    outside
# G5 bob    8 -> (50 in 07) -> 8   in: 8 / 8 (only the two months count)
# G6 bob    10 in 05, no 06 row    outside
# G7 unassigned 5 -> 10        in: 10 / 5
GROWTH_ACCOUNTS = """
account_id,csm_id
G1,alice
G2,alice
G3,alice
G4,bob
G5,bob
G6,bob
G7,
"""
GROWTH_USAGE = """
account_id,month,active_users,licensed_seats
G1,2026-06,10,20
G1,2026-09,15,20
G2,2026-06,20,
G3,2026-06,0,10
G3,2026-09,30,10
G4,2026-09,12,
G5,2026-06,8,
G5,2026-07,50,
G5,2026-09,8,
G6,2026-05,10,
G7,2026-06-01,5,
G7,2026-09,10,
"""


def test_adoption_growth_per_csm_and_pooled_all(build, score_long):
    cfg = build(kpis=KPIS, csms=CSMS, accounts=GROWTH_ACCOUNTS, usage=GROWTH_USAGE)
    rows = score_long(cfg)
    assert numbers(rows[("alice", "growth")]) == (approx(0.5), 15, 30, 2)
    assert numbers(rows[("bob", "growth")]) == (approx(1.0), 8, 8, 1)
    assert numbers(rows[("(unassigned)", "growth")]) == (approx(2.0), 10, 5, 1)
    assert empty(rows[("carol", "growth")])
    everyone = rows[("ALL", "growth")]
    assert numbers(everyone) == (approx(33 / 43), 33, 43, 4)
    assert everyone["value"] != approx((0.5 + 1.0 + 2.0) / 3)
    # by team: t1 = alice + bob (23 / 38); carol's t2 is empty; G7 has no owner
    rows = score_long(cfg, by="team")
    assert numbers(rows[("t1", "growth")]) == (approx(23 / 38), 23, 38, 3)
    assert rows[("t2", "growth")]["sample_size"] == 0
    assert numbers(rows[("ALL", "growth")]) == (approx(33 / 43), 33, 43, 4)


def test_adoption_growth_belongs_to_the_owner_at_the_start_whatever_attribution_says(build, score_long):
    usage = "account_id,month,active_users\nH1,2026-06,4\nH1,2026-09,6\nH2,2026-06,2\nH2,2026-09,1\n"
    # H1: alice until 2026-06-30, bob from P's first day; H2: alice until P's first day, carol after
    assignments = """
    account_id,csm_id,start_date,end_date
    H1,alice,2026-01-01,2026-06-30
    H1,bob,2026-07-01,
    H2,alice,2026-01-01,2026-07-01
    H2,carol,2026-07-02,
    """
    for attribution in ("period_start", "period_end"):
        kpis = KPIS.replace("scoring:", f"attribution: {attribution}\nscoring:")
        cfg = build(
            kpis=kpis, csms=CSMS, accounts="account_id,csm_id\nH1,\nH2,\n", usage=usage, assignments=assignments
        )
        rows = score_long(cfg)
        assert numbers(rows[("bob", "growth")]) == (approx(1.5), 6, 4, 1), attribution
        assert numbers(rows[("alice", "growth")]) == (approx(0.5), 1, 2, 1), attribution
        assert rows[("carol", "growth")]["sample_size"] == 0, attribution


def test_adoption_growth_period_boundaries(build, score_long):
    cfg = build(kpis=KPIS, csms=CSMS, accounts=GROWTH_ACCOUNTS, usage=GROWTH_USAGE)
    # 2026-07: start 2026-06, end 2026-07: G1 10 -> 0, G2 20 -> 0, G5 8 -> 50, G7 5 -> 0
    rows = score_long(cfg, "2026-07")
    assert numbers(rows[("ALL", "growth")]) == (approx(50 / 43), 50, 43, 4)
    # 2026-06: start 2026-05 (G6 10), end 2026-06 (no G6 row: 0)
    rows = score_long(cfg, "2026-06")
    assert numbers(rows[("ALL", "growth")]) == (approx(0.0), 0, 10, 1)
    # A range not aligned to months: start month 2026-06, end month 2026-08 (no rows: 0, and
    # the file has months after it, so 2026-08 is known); as 2026-Q3 with an empty end month
    card = engine.score(
        engine.ScoreRequest(config=cfg, start=date(2026, 7, 15), end=date(2026, 8, 10), as_of=date(2026, 10, 15))
    )
    got = {(r["group"], r["kpi"]): r for r in card.long_table().iter_rows(named=True)}
    assert numbers(got[("ALL", "growth")]) == (approx(0.0), 0, 43, 4)


# --- seat_utilisation and adoption_growth: data freshness ----------------------------

FRESH_KPIS = """
version: 1
data: {dir: data}
scoring: {amber_at: 0.9, cap: 1.5, min_sample: 1}
kpis:
  - {id: seats, metric: seat_utilisation}
  - {id: growth, metric: adoption_growth}
  - {id: nrr, metric: nrr}
"""
FRESH_ACCOUNTS = "account_id,csm_id\nA1,alice\nA2,bob\n"
# mrr through 2026-12; usage through 2026-10 only
FRESH_MRR = """
account_id,month,mrr
A1,2026-09,100
A1,2026-10,100
A1,2026-11,100
A1,2026-12,100
A2,2026-09,50
A2,2026-10,50
A2,2026-11,50
A2,2026-12,50
"""
FRESH_USAGE = """
account_id,month,active_users,licensed_seats
A1,2026-09,10,20
A1,2026-10,12,20
A2,2026-09,4,5
A2,2026-10,5,5
"""


def fresh(build, usage: str = FRESH_USAGE):  # type: ignore[no-untyped-def]
    return build(kpis=FRESH_KPIS, csms=CSMS, accounts=FRESH_ACCOUNTS, mrr=FRESH_MRR, usage=usage)


def card(cfg, period: str, as_of: date) -> engine.Scorecard:  # type: ignore[no-untyped-def]
    return engine.score(engine.ScoreRequest(config=cfg, period=period, as_of=as_of))


def rows_of(scorecard: engine.Scorecard) -> dict:  # type: ignore[type-arg]
    return {(r["group"], r["kpi"]): r for r in scorecard.long_table().iter_rows(named=True)}


def test_a_period_after_the_last_usage_month_has_no_data_never_zeros(build):
    # 2026-Q4 is over on 2027-01-15; mrr has 2026-12, usage ends at 2026-10.
    scorecard = card(fresh(build), "2026-Q4", date(2027, 1, 15))
    got = rows_of(scorecard)
    for group in ("alice", "bob", "ALL"):
        assert empty(got[(group, "seats")]) and empty(got[(group, "growth")]), group
    # revenue KPIs still run: s = 2026-09 (150), e = 2026-12 (150)
    assert got[("ALL", "nrr")]["value"] == approx(1.0)
    (warning,) = [w for w in scorecard.warnings if w.check == "missing_month"]
    assert "usage.csv ends at 2026-10; 2026-Q4 needs 2026-12, so seats, growth have no data" in warning.message
    assert scorecard.notes == ()


def test_a_complete_period_within_the_usage_months_is_untouched(build):
    got = rows_of(card(fresh(build), "2026-10", date(2026, 11, 15)))
    assert numbers(got[("ALL", "seats")]) == (approx(17 / 25), 17, 25, 2)
    assert numbers(got[("ALL", "growth")]) == (approx(17 / 14), 17, 14, 2)


def test_a_partial_period_uses_the_latest_usage_month_present_and_says_so(build):
    # 2026-Q4 on 2026-11-20 is partial: usage's latest month within it is 2026-10; mrr's is 2026-12.
    scorecard = card(fresh(build), "2026-Q4", date(2026, 11, 20))
    got = rows_of(scorecard)
    # seats: both active at the end (2026-12 MRR), usage of 2026-10: (12 + 5) / (20 + 5)
    assert numbers(got[("ALL", "seats")]) == (approx(17 / 25), 17, 25, 2)
    # growth: 2026-09 (10 + 4) -> 2026-10 (12 + 5)
    assert numbers(got[("ALL", "growth")]) == (approx(17 / 14), 17, 14, 2)
    assert not [w for w in scorecard.warnings if w.check == "missing_month"]
    assert [n for n in scorecard.notes if n.startswith("usage as of 2026-10")], scorecard.notes
    assert not [n for n in scorecard.notes if n.startswith("revenue")]  # mrr has the period's own last month


def test_a_partial_period_without_any_usage_month_has_no_data(build):
    usage = "account_id,month,active_users,licensed_seats\nA1,2026-09,10,20\n"
    scorecard = card(fresh(build, usage), "2026-Q4", date(2026, 11, 20))
    got = rows_of(scorecard)
    assert empty(got[("ALL", "seats")]) and empty(got[("ALL", "growth")])
    (warning,) = [w for w in scorecard.warnings if w.check == "missing_month"]
    assert "usage.csv ends at 2026-09; 2026-Q4 needs 2026-12" in warning.message


def test_a_header_only_usage_file_has_no_months(build):
    scorecard = card(fresh(build, "account_id,month,active_users,licensed_seats\n"), "2026-Q4", date(2027, 1, 15))
    assert empty(rows_of(scorecard)[("ALL", "growth")])
    (warning,) = [w for w in scorecard.warnings if w.check == "missing_month"]
    assert "usage.csv has no rows; 2026-Q4 needs 2026-12" in warning.message


def test_missing_revenue_and_usage_months_each_warn_once(build):
    # 2027-01 on 2027-02-15: mrr ends 2026-12 and usage 2026-10, both before 2027-01.
    scorecard = card(fresh(build), "2027-01", date(2027, 2, 15))
    got = rows_of(scorecard)
    assert empty(got[("ALL", "seats")]) and empty(got[("ALL", "nrr")]) and empty(got[("ALL", "growth")])
    messages = sorted(w.message for w in scorecard.warnings if w.check == "missing_month")
    assert len(messages) == 2
    assert "mrr.csv ends at 2026-12; 2027-01 needs 2027-01, so seats, nrr have no data" in messages[0]
    assert "usage.csv ends at 2026-10; 2027-01 needs 2027-01, so seats, growth have no data" in messages[1]


def test_usage_freshness_explain_strict_and_trend(build, runner, tmp_path):
    cfg = fresh(build)
    period = ["-c", str(cfg), "-p", "2026-Q4", "--as-of", "2027-01-15"]
    result = runner.invoke(app, ["explain", "growth", "-g", "ALL", *period])
    assert result.exit_code != 0 and "usage.csv ends at 2026-10" in result.stderr and "Traceback" not in result.output
    out = tmp_path / "q4.csv"
    result = runner.invoke(app, ["score", *period, "-o", str(out), "--strict", "--quiet"])
    assert result.exit_code == 65 and "usage.csv ends at 2026-10; 2026-Q4 needs 2026-12" in result.stderr
    assert not out.exists()
    result = runner.invoke(app, ["score", *period, "--format", "csv", "--layout", "long"])
    assert result.exit_code == 0 and '"ALL","seats","seats",,,,0,,,"no-data"' in result.stdout
    trend = ["trend", "-c", str(cfg), "--from", "2026-10-01", "--to", "2026-12-31", "--as-of", "2027-01-15"]
    result = runner.invoke(app, [*trend, "--format", "csv", "--kpi", "growth"])
    assert result.exit_code == 0
    values = {line.split(",")[0].strip('"'): line.split(",")[7] for line in result.stdout.splitlines()[1:]}
    assert values["2026-10"] != "" and values["2026-11"] == values["2026-12"] == ""
    assert "2026-11 needs 2026-11" in result.stderr and "2026-12 needs 2026-12" in result.stderr


def test_explain_shows_the_accounts_and_their_usage(build, runner):
    cfg = build(kpis=KPIS, csms=CSMS, accounts=SEAT_ACCOUNTS, mrr=SEAT_MRR, usage=SEAT_USAGE)
    period = ["-c", str(cfg), "-p", "2026-Q3", "--as-of", "2026-10-15", "--format", "csv"]
    result = runner.invoke(app, ["explain", "seats", "-g", "alice", *period])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    header = lines[0].replace('"', "").split(",")
    assert header[-5:] == ["month", "active_users", "licensed_seats", "end_mrr", "value"]
    body = [line.replace('"', "").split(",") for line in lines[1:]]
    assert [row[2] for row in body] == ["S2", "S1", "TOTAL"]  # biggest numerator first
    assert body[0][10:13] == ["2026-09-01", "15", "10"]
    assert body[-1][6:9] == ["23.0", "20.0", "2"]
    result = runner.invoke(app, ["explain", "growth", "-g", "ALL", *period])
    header = result.stdout.splitlines()[0].replace('"', "").split(",")
    assert header[-3:] == ["start_users", "end_users", "value"]
