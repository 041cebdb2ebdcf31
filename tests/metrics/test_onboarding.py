"""Hand-computed tests for ``onboarding_on_time`` and ``time_to_value`` (SPEC §3, §4).

onboarding_on_time: accounts whose deadline (contract_start + ``days``, default 30) falls
in P: count(onboarded_at <= deadline) / count; empty onboarded_at is late; empty
contract_start is outside the metric. A unit belongs to the owner on the deadline.

time_to_value: median of (onboarded_at - contract_start) in days over accounts onboarded
in P; numerator and denominator empty; ALL is the median over all units. A unit belongs
to the owner on onboarded_at.

Period 2026-Q3 = 2026-07-01..2026-09-30.
"""

from __future__ import annotations

from datetime import date

from pytest import approx

from csmkpi import engine

KPIS = """
version: 1
data: {dir: data}
scoring: {amber_at: 0.9, cap: 1.5, min_sample: 1}
kpis:
  - {id: ontime, metric: onboarding_on_time, target: 0.8, weight: 1}
  - {id: ttv, metric: time_to_value, target: 30, better: lower, weight: 1}
"""

CSMS = """
csm_id,csm_name
alice,Alice
bob,Bob
carol,Carol
"""


def numbers(row):
    return row["value"], row["numerator"], row["denominator"], row["sample_size"]


def kpis_with_days(days: int) -> str:
    return f"""
    version: 1
    data: {{dir: data}}
    scoring: {{amber_at: 0.9, cap: 1.5, min_sample: 1}}
    kpis:
      - {{id: ontime, metric: onboarding_on_time, params: {{days: {days}}}, target: 0.8, weight: 1}}
    """


# --- onboarding_on_time ----------------------------------------------------------

# deadline = contract_start + 30 days:
# B1 alice 2026-06-01 -> 2026-07-01 (P's first day, in); onboarded on the deadline -> on time
# B2 alice 2026-08-31 -> 2026-09-30 (P's last day, in); never onboarded -> late
# B3 alice 2026-05-31 -> 2026-06-30 (out)
# B4 bob   2026-09-01 -> 2026-10-01 (out)
# B5 bob   2026-07-10 -> 2026-08-09; onboarded 2026-08-10 -> late
# B6 bob   2026-07-15 -> 2026-08-14; onboarded 2026-07-20 -> on time
# B7 bob   no contract_start -> outside the metric
# B8 bob   2026-07-20 -> 2026-08-19; onboarded 2026-08-01 -> on time
ONTIME_ACCOUNTS = """
account_id,csm_id,contract_start,onboarded_at
B1,alice,2026-06-01,2026-07-01
B2,alice,2026-08-31,
B3,alice,2026-05-31,2026-06-01
B4,bob,2026-09-01,2026-09-05
B5,bob,2026-07-10,2026-08-10
B6,bob,2026-07-15,2026-07-20
B7,bob,,2026-07-05
B8,bob,2026-07-20,2026-08-01
"""


def test_on_time_per_csm_and_pooled_all(build, score_long):
    cfg = build(kpis=KPIS, csms=CSMS, accounts=ONTIME_ACCOUNTS)
    rows = score_long(cfg)
    # alice: B1 on time, B2 late -> 1/2
    assert numbers(rows[("alice", "ontime")]) == (approx(0.5), 1, 2, 2)
    # bob: B5 late, B6 and B8 on time -> 2/3
    assert numbers(rows[("bob", "ontime")]) == (approx(2 / 3), 2, 3, 3)
    # ALL pooled: 3/5 = 0.6, not the mean (1/2 + 2/3) / 2
    t = rows[("ALL", "ontime")]
    assert numbers(t) == (approx(0.6), 3, 5, 5)
    assert t["value"] != approx((0.5 + 2 / 3) / 2)
    c = rows[("carol", "ontime")]
    assert (c["value"], c["numerator"], c["denominator"], c["sample_size"], c["status"]) == (
        None,
        None,
        None,
        0,
        "no-data",
    )


def test_on_time_deadline_boundaries(build, score_long):
    cfg = build(kpis=KPIS, csms=CSMS, accounts=ONTIME_ACCOUNTS)
    # 2026-06: deadlines in June: B3 (2026-06-30, onboarded 06-01 -> on time)
    rows = score_long(cfg, "2026-06")
    assert numbers(rows[("alice", "ontime")]) == (approx(1.0), 1, 1, 1)
    # 2026-10: B4 (deadline 2026-10-01, onboarded 09-05 -> on time)
    rows = score_long(cfg, "2026-10", as_of=date(2026, 11, 15))
    assert numbers(rows[("bob", "ontime")]) == (approx(1.0), 1, 1, 1)
    assert rows[("alice", "ontime")]["sample_size"] == 0
    # 2026-07: only B1 (deadline 07-01)
    rows = score_long(cfg, "2026-07")
    assert numbers(rows[("ALL", "ontime")]) == (approx(1.0), 1, 1, 1)
    # 2026-09: only B2 (deadline 09-30, late)
    rows = score_long(cfg, "2026-09")
    assert numbers(rows[("ALL", "ontime")]) == (approx(0.0), 0, 1, 1)


def test_on_time_one_day_late_and_on_the_deadline(build, score_long):
    cfg = build(
        kpis=KPIS,
        csms=CSMS,
        # deadlines 2026-08-09 (contract 2026-07-10)
        accounts="""
        account_id,csm_id,contract_start,onboarded_at
        C1,alice,2026-07-10,2026-08-09
        C2,alice,2026-07-10,2026-08-10
        C3,alice,2026-07-10,2026-07-01
        C4,alice,2026-07-10,2026-08-09T23:59:00
        """,
    )
    rows = score_long(cfg)
    # C1 on the deadline (on time), C2 a day late, C3 before the contract (on time), C4 late evening
    # of the deadline (on time: dates compare by day) -> 3/4
    assert numbers(rows[("alice", "ontime")]) == (approx(0.75), 3, 4, 4)


def test_days_param(build, score_long):
    accounts = """
        account_id,csm_id,contract_start,onboarded_at
        D1,alice,2026-07-01,2026-07-01
        D2,alice,2026-07-01,2026-07-11
        D3,alice,2026-07-01,2026-07-12
        D4,alice,2026-06-25,2026-07-01
        D5,alice,2026-09-25,2026-09-26
        """
    # days 0: deadline = contract_start. In Q3: D1 (07-01, on time), D2 (07-01, late),
    # D3 (07-01, late), D5 (09-25, late); D4 (06-25) is out -> 1/4
    cfg = build(kpis=kpis_with_days(0), csms=CSMS, accounts=accounts)
    assert numbers(score_long(cfg)[("alice", "ontime")]) == (approx(0.25), 1, 4, 4)
    # days 10: deadlines D1-D3 07-11, D4 07-05, D5 10-05 (out). D1, D2, D4 on time, D3 late -> 3/4
    cfg = build(kpis=kpis_with_days(10), csms=CSMS, accounts=accounts)
    assert numbers(score_long(cfg)[("alice", "ontime")]) == (approx(0.75), 3, 4, 4)
    # default 30: deadlines D1-D3 07-31, D4 07-25 (all on time), D5 10-25 (out) -> 4/4
    cfg = build(kpis=KPIS, csms=CSMS, accounts=accounts)
    assert numbers(score_long(cfg)[("alice", "ontime")]) == (approx(1.0), 4, 4, 4)


def test_on_time_owner_on_the_deadline(build, score_long):
    cfg = build(
        kpis=KPIS,
        csms=CSMS,
        # E1: contract 2026-07-01, deadline 2026-07-31; E2: contract 2026-07-17, deadline 2026-08-16
        # both: alice until 2026-07-31 inclusive, bob from 2026-08-01
        accounts="""
        account_id,csm_id,contract_start,onboarded_at
        E1,carol,2026-07-01,2026-07-20
        E2,carol,2026-07-17,2026-08-20
        E3,carol,2026-08-01,2026-08-05
        """,
        assignments="""
        account_id,csm_id,start_date,end_date
        E1,alice,2026-01-01,2026-07-31
        E1,bob,2026-08-01,
        E2,alice,2026-01-01,2026-07-31
        E2,bob,2026-08-01,
        """,
    )
    rows = score_long(cfg)
    # E1 (deadline 07-31) -> alice, on time; E2 (deadline 08-16) -> bob, late (onboarded 08-20);
    # E3 (deadline 08-31, no assignment) -> carol from accounts.csv, on time
    assert numbers(rows[("alice", "ontime")]) == (approx(1.0), 1, 1, 1)
    assert numbers(rows[("bob", "ontime")]) == (approx(0.0), 0, 1, 1)
    assert numbers(rows[("carol", "ontime")]) == (approx(1.0), 1, 1, 1)


def test_on_time_unassigned(build, score_long):
    cfg = build(
        kpis=KPIS,
        csms=CSMS,
        accounts="""
        account_id,csm_id,contract_start,onboarded_at
        F1,,2026-07-01,2026-07-05
        F2,,2026-07-01,
        F3,alice,2026-07-01,2026-07-05
        """,
    )
    rows = score_long(cfg)
    assert numbers(rows[("(unassigned)", "ontime")]) == (approx(0.5), 1, 2, 2)
    assert numbers(rows[("alice", "ontime")]) == (approx(1.0), 1, 1, 1)
    assert numbers(rows[("ALL", "ontime")]) == (approx(2 / 3), 2, 3, 3)


def test_on_time_by_segment(build, score_long):
    cfg = build(
        kpis=KPIS,
        csms=CSMS,
        accounts="""
        account_id,csm_id,segment,contract_start,onboarded_at
        G1,alice,smb,2026-07-01,2026-07-05
        G2,bob,smb,2026-07-01,
        G3,bob,ent,2026-07-01,2026-07-30
        G4,bob,,2026-07-01,2026-09-01
        """,
    )
    rows = score_long(cfg, by="segment")
    # smb: G1 on time, G2 late; ent: G3 on time; (unassigned): G4 late (deadline 07-31)
    assert numbers(rows[("smb", "ontime")]) == (approx(0.5), 1, 2, 2)
    assert numbers(rows[("ent", "ontime")]) == (approx(1.0), 1, 1, 1)
    assert numbers(rows[("(unassigned)", "ontime")]) == (approx(0.0), 0, 1, 1)
    assert numbers(rows[("ALL", "ontime")]) == (approx(0.5), 2, 4, 4)


# --- time_to_value -----------------------------------------------------------------

# days from contract_start to onboarded_at, accounts onboarded in Q3:
# T1 alice 2026-06-01 -> 2026-07-01 (P's first day): 30
# T2 alice 2026-07-01 -> 2026-07-11: 10
# T3 alice 2026-07-01 -> 2026-09-30 (P's last day): 91
# T4 alice 2026-05-01 -> 2026-06-30: onboarded before P (out)
# T5 bob   2026-08-01 -> 2026-08-21: 20
# T6 bob   2026-08-01 -> 2026-08-05: 4
# T7 bob   no contract_start (out)
# T8 bob   2026-09-01 -> 2026-10-01: onboarded after P (out)
# T9 bob   2026-09-01, not onboarded (out)
TTV_ACCOUNTS = """
account_id,csm_id,contract_start,onboarded_at
T1,alice,2026-06-01,2026-07-01
T2,alice,2026-07-01,2026-07-11
T3,alice,2026-07-01,2026-09-30
T4,alice,2026-05-01,2026-06-30
T5,bob,2026-08-01,2026-08-21
T6,bob,2026-08-01,2026-08-05
T7,bob,,2026-08-10
T8,bob,2026-09-01,2026-10-01
T9,bob,2026-09-01,
"""


def test_time_to_value_median_per_csm_and_all(build, score_long):
    cfg = build(kpis=KPIS, csms=CSMS, accounts=TTV_ACCOUNTS)
    rows = score_long(cfg)
    # alice: [10, 30, 91] -> 30
    assert numbers(rows[("alice", "ttv")]) == (approx(30), None, None, 3)
    # bob: [4, 20] -> even count: (4 + 20) / 2 = 12
    assert numbers(rows[("bob", "ttv")]) == (approx(12), None, None, 2)
    # ALL: median of all units [4, 10, 20, 30, 91] = 20, not the median (or mean) of the
    # CSMs' medians (30 + 12) / 2 = 21
    t = rows[("ALL", "ttv")]
    assert numbers(t) == (approx(20), None, None, 5)
    assert t["value"] != approx(21)
    c = rows[("carol", "ttv")]
    assert (c["value"], c["numerator"], c["denominator"], c["sample_size"], c["status"]) == (
        None,
        None,
        None,
        0,
        "no-data",
    )
    # better: lower, target 30: bob 30 / 12 = 2.5 -> capped at 1.5; alice 30 / 30 = 1.0
    assert rows[("bob", "ttv")]["attainment"] == approx(1.5)
    assert rows[("alice", "ttv")]["attainment"] == approx(1.0)


def test_time_to_value_even_count_for_all(build, score_long):
    cfg = build(
        kpis=KPIS,
        csms=CSMS,
        accounts="""
        account_id,csm_id,contract_start,onboarded_at
        U1,alice,2026-07-01,2026-07-02
        U2,alice,2026-07-01,2026-07-08
        U3,bob,2026-07-01,2026-07-31
        U4,,2026-07-01,2026-08-10
        """,
    )
    rows = score_long(cfg)
    # alice [1, 7] -> 4; bob [30] -> 30; (unassigned) [40] -> 40
    assert numbers(rows[("alice", "ttv")]) == (approx(4), None, None, 2)
    assert numbers(rows[("bob", "ttv")]) == (approx(30), None, None, 1)
    assert numbers(rows[("(unassigned)", "ttv")]) == (approx(40), None, None, 1)
    # ALL [1, 7, 30, 40] -> (7 + 30) / 2 = 18.5
    assert numbers(rows[("ALL", "ttv")]) == (approx(18.5), None, None, 4)


def test_time_to_value_period_boundaries(build, score_long):
    cfg = build(kpis=KPIS, csms=CSMS, accounts=TTV_ACCOUNTS)
    # 2026-06: T4 only (60 days: 2026-05-01 -> 2026-06-30)
    rows = score_long(cfg, "2026-06")
    assert numbers(rows[("ALL", "ttv")]) == (approx(60), None, None, 1)
    # 2026-10: T8 only (30 days)
    rows = score_long(cfg, "2026-10", as_of=date(2026, 11, 15))
    assert numbers(rows[("ALL", "ttv")]) == (approx(30), None, None, 1)
    # 2026-07: T1 (30) and T2 (10) -> 20
    rows = score_long(cfg, "2026-07")
    assert numbers(rows[("alice", "ttv")]) == (approx(20), None, None, 2)


def test_time_to_value_owner_on_onboarded_at(build, score_long):
    cfg = build(
        kpis=KPIS,
        csms=CSMS,
        accounts="""
        account_id,csm_id,contract_start,onboarded_at
        V1,carol,2026-07-01,2026-07-31
        V2,carol,2026-07-01,2026-08-01
        """,
        # alice until 2026-07-31, bob from 2026-08-01
        assignments="""
        account_id,csm_id,start_date,end_date
        V1,alice,2026-01-01,2026-07-31
        V1,bob,2026-08-01,
        V2,alice,2026-01-01,2026-07-31
        V2,bob,2026-08-01,
        """,
    )
    rows = score_long(cfg)
    assert numbers(rows[("alice", "ttv")]) == (approx(30), None, None, 1)
    assert numbers(rows[("bob", "ttv")]) == (approx(31), None, None, 1)
    assert rows[("carol", "ttv")]["sample_size"] == 0


def test_time_to_value_by_team(build, score_long):
    cfg = build(
        kpis=KPIS,
        csms="""
        csm_id,csm_name,team
        alice,Alice,t1
        bob,Bob,t1
        carol,Carol,t2
        """,
        accounts=TTV_ACCOUNTS,
    )
    rows = score_long(cfg, by="team")
    # t1 = alice + bob: [4, 10, 20, 30, 91] -> 20
    assert numbers(rows[("t1", "ttv")]) == (approx(20), None, None, 5)
    t2 = rows[("t2", "ttv")]
    assert (t2["value"], t2["sample_size"]) == (None, 0)


def test_range_not_aligned_to_months(build):
    cfg = build(
        kpis=KPIS,
        csms=CSMS,
        accounts="""
        account_id,csm_id,contract_start,onboarded_at
        W1,alice,2026-06-14,2026-07-14
        W2,alice,2026-06-15,2026-07-15
        W3,alice,2026-07-11,2026-08-10
        W4,alice,2026-07-12,2026-08-11
        """,
    )
    card = engine.score(
        engine.ScoreRequest(config=cfg, start=date(2026, 7, 15), end=date(2026, 8, 10), as_of=date(2026, 10, 15))
    )
    rows = {(r["group"], r["kpi"]): r for r in card.long_table().iter_rows(named=True)}
    # deadlines (30 days) and onboarding dates 07-14 / 07-15 / 08-10 / 08-11: W2 and W3 in range
    assert numbers(rows[("alice", "ontime")]) == (approx(1.0), 2, 2, 2)
    assert numbers(rows[("alice", "ttv")]) == (approx(30), None, None, 2)


def test_without_the_onboarding_columns(build, score_long):
    cfg = build(
        kpis="""
        version: 1
        data: {dir: data}
        scoring: {amber_at: 0.9, cap: 1.5, min_sample: 1}
        kpis:
          - {id: ontime, metric: onboarding_on_time, target: 0.8, weight: 1}
          - {id: ttv, metric: time_to_value, target: 30, better: lower, weight: 1}
          - {id: csat, metric: csat, target: 0.8, weight: 1}
        """,
        csms=CSMS,
        accounts="account_id,csm_id\nA1,alice\n",
        surveys="response_id,account_id,survey,responded_at,score\nr1,A1,csat,2026-07-10,5\n",
    )
    rows = score_long(cfg)
    # no contract_start / onboarded_at = all empty (or the KPIs not computable): no units either way
    for kpi in ("ontime", "ttv"):
        r = rows[("alice", kpi)]
        assert (r["value"], r["sample_size"]) == (None, 0), kpi
    # the other KPIs still run: csat 1/1
    assert numbers(rows[("alice", "csat")]) == (approx(1.0), 1, 1, 1)
