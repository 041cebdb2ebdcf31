"""Hand-computed tests for the ``churn`` metric, basis logos and revenue (SPEC §3, §4).

Period 2026-Q3: s = 2026-06 snapshot, e = 2026-09 snapshot; cohort = accounts with s > 0.
logos: cohort accounts with e = 0 / cohort size. revenue: Σ s over churned / Σ s.
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
  - {id: logo_churn, metric: churn, target: 0.25, better: lower, weight: 1}
  - {id: revenue_churn, metric: churn, params: {basis: revenue}, target: 0.25, better: lower, weight: 1}
"""

KPIS_T12 = """
version: 1
data: {dir: data}
scoring: {amber_at: 0.9, cap: 1.5, min_sample: 1}
kpis:
  - {id: logo_churn, metric: churn, params: {basis: logos, window: trailing_12m}, target: 0.25, better: lower}
  - {id: revenue_churn, metric: churn, params: {basis: revenue, window: trailing_12m}, target: 0.25, better: lower}
"""

CSMS = """
csm_id,csm_name
alice,Alice
bob,Bob
carol,Carol
"""


def numbers(row):
    return row["value"], row["numerator"], row["denominator"], row["sample_size"]


def test_logos_and_revenue_per_csm_and_pooled_all(build, score_long):
    cfg = build(
        kpis=KPIS,
        csms=CSMS,
        accounts="account_id,csm_id\nA1,alice\nA2,alice\nA3,bob\nA4,bob\nA5,bob\n",
        # A1 (alice) 100 -> 0 churned; A2 (alice) 300 -> 300
        # A3 (bob) 50 -> missing churned; A4 (bob) 50 -> 60; A5 (bob) 50 -> 50
        mrr="""
        account_id,month,mrr
        A1,2026-06,100
        A1,2026-09,0
        A2,2026-06,300
        A2,2026-09,300
        A3,2026-06,50
        A4,2026-06,50
        A4,2026-09,60
        A5,2026-06,50
        A5,2026-09,50
        """,
    )
    rows = score_long(cfg)
    # logos: alice 1/2, bob 1/3, ALL 2/5 = 0.4 (mean of ratios would be 0.41666)
    assert numbers(rows[("alice", "logo_churn")]) == (approx(0.5), 1, 2, 2)
    assert numbers(rows[("bob", "logo_churn")]) == (approx(1 / 3), 1, 3, 3)
    t = rows[("ALL", "logo_churn")]
    assert numbers(t) == (approx(0.4), 2, 5, 5)
    assert t["value"] != approx((0.5 + 1 / 3) / 2)
    # revenue: alice 100/400, bob 50/150, ALL 150/550 (mean of ratios 0.29166)
    assert numbers(rows[("alice", "revenue_churn")]) == (approx(0.25), 100, 400, 2)
    assert numbers(rows[("bob", "revenue_churn")]) == (approx(1 / 3), 50, 150, 3)
    t = rows[("ALL", "revenue_churn")]
    assert numbers(t) == (approx(150 / 550), 150, 550, 5)
    assert t["value"] != approx((0.25 + 1 / 3) / 2)
    # carol: no accounts
    for kpi in ("logo_churn", "revenue_churn"):
        c = rows[("carol", kpi)]
        assert (c["value"], c["numerator"], c["sample_size"], c["status"]) == (None, None, 0, "no-data")


def test_better_lower_scoring(build, score_long):
    cfg = build(
        kpis=KPIS,
        csms=CSMS,
        accounts="account_id,csm_id\nA1,alice\nA2,alice\nA3,bob\nA4,bob\nA5,bob\nA6,bob\n",
        # alice: 1 of 2 churned -> 0.5 -> attainment 0.25 / 0.5 = 0.5 -> red
        # bob: 0 of 4 churned -> 0.0 -> attainment = cap 1.5 -> green
        mrr="""
        account_id,month,mrr
        A1,2026-06,100
        A2,2026-06,100
        A2,2026-09,100
        A3,2026-06,10
        A3,2026-09,10
        A4,2026-06,10
        A4,2026-09,10
        A5,2026-06,10
        A5,2026-09,10
        A6,2026-06,10
        A6,2026-09,10
        """,
    )
    rows = score_long(cfg)
    a = rows[("alice", "logo_churn")]
    assert (a["value"], a["attainment"], a["status"]) == (approx(0.5), approx(0.5), "red")
    b = rows[("bob", "logo_churn")]
    assert (b["value"], b["attainment"], b["status"]) == (approx(0.0), approx(1.5), "green")
    # ALL: 1/6 -> attainment 0.25 / (1/6) = 1.5 (exactly the cap)
    t = rows[("ALL", "logo_churn")]
    assert (t["value"], t["attainment"]) == (approx(1 / 6), approx(1.5))


def test_snapshot_months_zero_vs_missing_and_reactivation(build, score_long):
    cfg = build(
        kpis=KPIS,
        csms=CSMS,
        accounts="account_id,csm_id\nA1,alice\nA2,alice\nA3,alice\nA4,alice\nA5,alice\nA6,alice\n",
        # A1: 0 in July/August, back in September -> not churned (snapshots only)
        # A2: paying through August, 0 in September (explicit) -> churned
        # A3: September row missing -> churned, even though it pays again in October
        # A4: explicit 0 at start -> not in cohort
        # A5: no June row -> not in cohort
        # A6: June 40 (as a date in June) -> September 40 -> retained
        mrr="""
        account_id,month,mrr
        A1,2026-06,100
        A1,2026-07,0
        A1,2026-08,0
        A1,2026-09,100
        A2,2026-06,200
        A2,2026-08,200
        A2,2026-09,0
        A3,2026-06,60
        A3,2026-10,60
        A4,2026-06,0
        A4,2026-09,0
        A5,2026-05,10
        A5,2026-09,0
        A6,2026-06-01,40
        A6,2026-09,40
        """,
    )
    rows = score_long(cfg)
    # logos: churned {A2, A3} of cohort {A1, A2, A3, A6} -> 2/4
    assert numbers(rows[("alice", "logo_churn")]) == (approx(0.5), 2, 4, 4)
    # revenue: (200 + 60) / (100 + 200 + 60 + 40) = 260/400
    assert numbers(rows[("alice", "revenue_churn")]) == (approx(0.65), 260, 400, 4)


def test_range_not_aligned_to_months(build):
    cfg = build(
        kpis=KPIS,
        csms=CSMS,
        accounts="account_id,csm_id\nA1,alice\nA2,alice\n",
        # --from 2026-08-20 --to 2026-09-05: s = July, e = September
        # A1: July 100, September 0 -> churned; A2: July 300, Sep 300 -> retained
        mrr="""
        account_id,month,mrr
        A1,2026-06,999
        A1,2026-07,100
        A1,2026-08,100
        A2,2026-07,300
        A2,2026-09,300
        """,
    )
    card = engine.score(
        engine.ScoreRequest(config=cfg, start=date(2026, 8, 20), end=date(2026, 9, 5), as_of=date(2026, 10, 15))
    )
    rows = {(r["group"], r["kpi"]): r for r in card.long_table().iter_rows(named=True)}
    assert numbers(rows[("alice", "logo_churn")]) == (approx(0.5), 1, 2, 2)
    assert numbers(rows[("alice", "revenue_churn")]) == (approx(0.25), 100, 400, 2)


def test_trailing_12m_window(build, score_long):
    cfg = build(
        kpis=KPIS_T12,
        csms=CSMS,
        accounts="account_id,csm_id\nA1,alice\nA2,alice\nA3,alice\n",
        # s = 2025-09, e = 2026-09
        # A1: 2025-09 100 -> 2026-09 0 churned; A2: 2025-09 300 -> 2026-09 300
        # A3: not paying 2025-09 (only 2026-06) -> out, although it churns in Q3
        mrr="""
        account_id,month,mrr
        A1,2025-09,100
        A1,2026-06,100
        A2,2025-09,300
        A2,2026-09,300
        A3,2026-06,500
        """,
    )
    rows = score_long(cfg)
    assert numbers(rows[("alice", "logo_churn")]) == (approx(0.5), 1, 2, 2)
    assert numbers(rows[("alice", "revenue_churn")]) == (approx(0.25), 100, 400, 2)


def test_unassigned_unknown_account_and_low_n(build, score_long):
    cfg = build(
        kpis="""
        version: 1
        data: {dir: data}
        scoring: {amber_at: 0.9, cap: 1.5, min_sample: 2}
        kpis:
          - {id: logo_churn, metric: churn, target: 0.25, better: lower, weight: 1}
        """,
        csms=CSMS,
        accounts="account_id,csm_id\nA1,alice\nA2,\n",
        # A2 unassigned (churned), A9 unknown to accounts.csv (retained) -> (unassigned): 1/2
        # alice: 1 cohort account < min_sample 2 -> low-n, value 0.0 still shown
        mrr="""
        account_id,month,mrr
        A1,2026-06,100
        A1,2026-09,100
        A2,2026-06,100
        A9,2026-06,100
        A9,2026-09,100
        """,
    )
    rows = score_long(cfg)
    assert numbers(rows[("(unassigned)", "logo_churn")]) == (approx(0.5), 1, 2, 2)
    a = rows[("alice", "logo_churn")]
    assert (a["value"], a["sample_size"], a["status"]) == (approx(0.0), 1, "low-n")
    assert numbers(rows[("ALL", "logo_churn")]) == (approx(1 / 3), 1, 3, 3)


def test_churn_from_subscriptions(build, score_long):
    cfg = build(
        kpis=KPIS,
        csms=CSMS,
        accounts="account_id,csm_id\nA1,alice\nA2,alice\nA3,alice\n",
        # end of June: A1 100, A2 300, A3 0 (starts 2026-07-01)
        # end of September: A1 0 (ended 2026-09-29), A2 300 (open), A3 50
        subscriptions="""
        subscription_id,account_id,start_date,end_date,mrr
        S1,A1,2026-01-01,2026-09-29,100
        S2,A2,2025-01-01,,300
        S3,A3,2026-07-01,,50
        """,
    )
    rows = score_long(cfg)
    # cohort {A1, A2}; churned {A1}
    assert numbers(rows[("alice", "logo_churn")]) == (approx(0.5), 1, 2, 2)
    assert numbers(rows[("alice", "revenue_churn")]) == (approx(0.25), 100, 400, 2)
