"""Hand-computed tests for the ``grr`` metric (SPEC §3, §4).

Period 2026-Q3: s = 2026-06 snapshot, e = 2026-09 snapshot.
grr = Σ min(e, s) / Σ s over the cohort (accounts with s > 0); never above 1.
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
  - {id: grr, metric: grr, target: 0.9, weight: 1}
"""

KPIS_T12 = """
version: 1
data: {dir: data}
scoring: {amber_at: 0.9, cap: 1.5, min_sample: 1}
kpis:
  - {id: grr, metric: grr, params: {window: trailing_12m}, target: 0.9, weight: 1}
"""

CSMS = """
csm_id,csm_name
alice,Alice
bob,Bob
carol,Carol
"""


def numbers(row):
    return row["value"], row["numerator"], row["denominator"], row["sample_size"]


def test_value_per_csm_and_pooled_all(build, score_long):
    cfg = build(
        kpis=KPIS,
        csms=CSMS,
        accounts="account_id,csm_id\nA1,alice\nA2,alice\nA3,bob\nA4,bob\n",
        mrr="""
        account_id,month,mrr
        A1,2026-06,100
        A1,2026-09,150
        A2,2026-06,100
        A2,2026-09,50
        A3,2026-06,10
        A3,2026-09,20
        A4,2026-06,30
        A4,2026-09,0
        """,
    )
    rows = score_long(cfg)
    # alice: min(150,100) + min(50,100) = 150 over 200 -> 0.75
    assert numbers(rows[("alice", "grr")]) == (approx(0.75), 150, 200, 2)
    # bob: min(20,10) + min(0,30) = 10 over 40 -> 0.25
    assert numbers(rows[("bob", "grr")]) == (approx(0.25), 10, 40, 2)
    # ALL: 160 / 240, not the mean of ratios (0.75 + 0.25) / 2 = 0.5
    t = rows[("ALL", "grr")]
    assert numbers(t) == (approx(160 / 240), 160, 240, 4)
    assert t["value"] != approx(0.5)
    c = rows[("carol", "grr")]
    assert (c["value"], c["sample_size"], c["status"]) == (None, 0, "no-data")


def test_never_above_one(build, score_long):
    cfg = build(
        kpis=KPIS,
        csms=CSMS,
        accounts="account_id,csm_id\nA1,alice\nA2,alice\n",
        mrr="""
        account_id,month,mrr
        A1,2026-06,100
        A1,2026-09,500
        A2,2026-06,50
        A2,2026-09,50
        """,
    )
    rows = score_long(cfg)
    # alice: min(500,100) + min(50,50) = 150 / 150
    assert numbers(rows[("alice", "grr")]) == (approx(1.0), 150, 150, 2)


def test_snapshot_months_and_zero_vs_missing(build, score_long):
    cfg = build(
        kpis=KPIS,
        csms=CSMS,
        accounts="account_id,csm_id\nA1,alice\nA2,alice\nA3,alice\nA4,alice\nA5,alice\n",
        # A1: s = 100, e = 60 (July 10 and Oct 999 ignored)
        # A2: s = 100, e = explicit 0
        # A3: s = 100, e missing -> 0
        # A4: s = explicit 0 -> out
        # A5: s missing (only May) -> out
        mrr="""
        account_id,month,mrr
        A1,2026-06,100
        A1,2026-07,10
        A1,2026-09,60
        A1,2026-10,999
        A2,2026-06,100
        A2,2026-09,0
        A3,2026-06,100
        A4,2026-06,0
        A4,2026-09,80
        A5,2026-05,80
        A5,2026-09,80
        """,
    )
    rows = score_long(cfg)
    # alice: (60 + 0 + 0) / 300
    assert numbers(rows[("alice", "grr")]) == (approx(0.2), 60, 300, 3)


def test_reactivation_counts_by_snapshots_only(build, score_long):
    cfg = build(
        kpis=KPIS,
        csms=CSMS,
        accounts="account_id,csm_id\nA1,alice\nA2,alice\n",
        # A1 churns in July, returns in September above its start: min(150, 100) = 100
        # A2 starts at 0 and reactivates: not in the cohort
        mrr="""
        account_id,month,mrr
        A1,2026-06,100
        A1,2026-07,0
        A1,2026-09,150
        A2,2026-05,40
        A2,2026-06,0
        A2,2026-09,40
        """,
    )
    rows = score_long(cfg)
    assert numbers(rows[("alice", "grr")]) == (approx(1.0), 100, 100, 1)


def test_range_not_aligned_to_months(build):
    cfg = build(
        kpis=KPIS,
        csms=CSMS,
        accounts="account_id,csm_id\nA1,alice\n",
        mrr="""
        account_id,month,mrr
        A1,2026-06,100
        A1,2026-07,10
        A1,2026-08,80
        A1,2026-09,100
        """,
    )
    card = engine.score(
        engine.ScoreRequest(config=cfg, start=date(2026, 7, 15), end=date(2026, 8, 10), as_of=date(2026, 10, 15))
    )
    rows = {(r["group"], r["kpi"]): r for r in card.long_table().iter_rows(named=True)}
    # s = June 100, e = August 80
    assert numbers(rows[("alice", "grr")]) == (approx(0.8), 80, 100, 1)


def test_trailing_12m_window(build, score_long):
    cfg = build(
        kpis=KPIS_T12,
        csms=CSMS,
        accounts="account_id,csm_id\nA1,alice\nA2,alice\n",
        # s = 2025-09, e = 2026-09. A1: min(70, 100); A2 is not in the 2025-09 cohort.
        mrr="""
        account_id,month,mrr
        A1,2025-09,100
        A1,2026-06,70
        A1,2026-09,70
        A2,2026-06,50
        A2,2026-09,0
        """,
    )
    rows = score_long(cfg)
    assert numbers(rows[("alice", "grr")]) == (approx(0.7), 70, 100, 1)


def test_unassigned_unknown_account_and_low_n(build, score_long):
    cfg = build(
        kpis="""
        version: 1
        data: {dir: data}
        scoring: {amber_at: 0.9, cap: 1.5, min_sample: 2}
        kpis:
          - {id: grr, metric: grr, target: 0.9, weight: 1}
        """,
        csms=CSMS,
        accounts="account_id,csm_id\nA1,alice\nA2,\nA3,bob\nA4,bob\n",
        # A2 unassigned; A9 not in accounts.csv -> (unassigned)
        mrr="""
        account_id,month,mrr
        A1,2026-06,100
        A1,2026-09,40
        A2,2026-06,100
        A2,2026-09,100
        A9,2026-06,100
        A9,2026-09,50
        A3,2026-06,100
        A3,2026-09,100
        A4,2026-06,100
        A4,2026-09,80
        """,
    )
    rows = score_long(cfg)
    # (unassigned): (100 + 50) / 200
    u = rows[("(unassigned)", "grr")]
    assert numbers(u) == (approx(0.75), 150, 200, 2)
    assert u["status"] == "red"  # 0.75 / 0.9 = 0.833 < amber_at 0.9
    # alice: 1 account < min_sample 2 -> low-n with its value 0.4
    a = rows[("alice", "grr")]
    assert (a["value"], a["status"]) == (approx(0.4), "low-n")
    # bob: 180 / 200 = 0.9 -> attainment 1.0 -> green
    b = rows[("bob", "grr")]
    assert numbers(b) == (approx(0.9), 180, 200, 2)
    assert b["attainment"] == approx(1.0)
    assert b["status"] == "green"
    # ALL: (40 + 150 + 180) / 500
    assert numbers(rows[("ALL", "grr")]) == (approx(370 / 500), 370, 500, 5)
