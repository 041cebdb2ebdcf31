"""Hand-computed tests for the ``sourced_expansion_arr`` metric (SPEC §3, §4).

Σ amount of won expansion opportunities from ``sources`` (default [csm], matched trimmed
and case-insensitively) closed in P (empty amount = 0): a sum, value = numerator,
denominator empty, sample_size = sourced won opportunities. With ``share: true``, divided
by Σ amount of all won expansion opportunities closed in P (sample = all of them).
Opportunities belong to the account's owner on closed_at.
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
  - {id: sourced, metric: sourced_expansion_arr, target: 100, weight: 1}
  - {id: share, metric: sourced_expansion_arr, params: {share: true}, target: 0.5, weight: 1}
  - {id: multi, metric: sourced_expansion_arr, params: {sources: [" CSM ", PARTNER]}, target: 100, weight: 1}
"""

CSMS = """
csm_id,csm_name
alice,Alice
bob,Bob
carol,Carol
"""

ACCOUNTS = """
account_id,csm_id
A1,alice
A2,alice
A3,bob
"""

HEADER = "opportunity_id,account_id,type,source,stage,created_at,closed_at,amount\n"

OPPS = (
    HEADER
    + """o1,A1,expansion,csm,won,2026-06-01,2026-07-10,100
o2,A1,expansion, Csm ,WON,2026-06-01,2026-08-01,200
o3,A2,expansion,sales,won,2026-06-01,2026-08-05,300
o4,A2,expansion,csm,lost,2026-06-01,2026-08-06,1000
o5,A2,expansion,csm,open,2026-06-01,,500
o6,A3,expansion,csm,won,2026-06-01,2026-09-30,
o7,A3,new_business,csm,won,2026-06-01,2026-07-15,700
o8,A3,expansion,csm,won,2026-06-01,2026-06-30,400
o9,A3,expansion,csm,won,2026-06-01,2026-10-01,400
o10,A3,expansion,csm,won,2026-06-01,2026-07-01,50
o11,A3,expansion,partner,won,2026-06-01,2026-09-15,150
o12,A1,expansion,csm-led,won,2026-06-01,2026-07-20,999
o13,A3,renewal,csm,won,2026-06-01,2026-07-20,800
"""
)
# In P (2026-07-01..2026-09-30), won, type expansion:
#   alice: o1 csm 100, o2 csm 200, o3 sales 300, o12 csm-led 999
#   bob:   o6 csm (empty -> 0), o10 csm 50 (first day), o11 partner 150
# Out: o4 lost, o5 open, o7 new_business, o13 renewal, o8 (2026-06-30), o9 (2026-10-01).


def numbers(row):
    return row["value"], row["numerator"], row["denominator"], row["sample_size"]


def test_sum_per_csm_and_all(build, score_long):
    cfg = build(kpis=KPIS, csms=CSMS, accounts=ACCOUNTS, opportunities=OPPS)
    rows = score_long(cfg)
    # alice: o1 100 + o2 200 (" Csm " matches csm; "csm-led" does not) -> 300 over 2 opportunities
    assert numbers(rows[("alice", "sourced")]) == (approx(300), approx(300), None, 2)
    # bob: o6 0 (empty amount, still a won opportunity) + o10 50 -> 50 over 2
    assert numbers(rows[("bob", "sourced")]) == (approx(50), approx(50), None, 2)
    # carol: no accounts -> a sum of 0 over 0
    assert numbers(rows[("carol", "sourced")]) == (approx(0), approx(0), None, 0)
    # ALL: 350 over 4 (a sum, not the mean 175 of the two CSMs)
    assert numbers(rows[("ALL", "sourced")]) == (approx(350), approx(350), None, 4)
    # attainment against the target 100: alice 3.0 capped at 1.5
    assert rows[("alice", "sourced")]["attainment"] == approx(1.5)
    assert rows[("bob", "sourced")]["attainment"] == approx(0.5)


def test_share_pools_all_won_expansions(build, score_long):
    cfg = build(kpis=KPIS, csms=CSMS, accounts=ACCOUNTS, opportunities=OPPS)
    rows = score_long(cfg)
    # alice: sourced 300 / all won expansions 100 + 200 + 300 + 999 = 1599, sample = 4 won expansions
    assert numbers(rows[("alice", "share")]) == (approx(300 / 1599), approx(300), approx(1599), 4)
    # bob: sourced 0 + 50 / all 0 + 50 + 150 = 200, sample 3
    assert numbers(rows[("bob", "share")]) == (approx(0.25), approx(50), approx(200), 3)
    # ALL pooled: 350 / 1799, not the mean of ratios (300/1599 + 0.25) / 2
    t = rows[("ALL", "share")]
    assert numbers(t) == (approx(350 / 1799), approx(350), approx(1799), 7)
    assert t["value"] != approx((300 / 1599 + 0.25) / 2)
    c = rows[("carol", "share")]
    assert (c["value"], c["numerator"], c["denominator"], c["sample_size"], c["status"]) == (
        None,
        None,
        None,
        0,
        "no-data",
    )


def test_sources_param_matched_case_insensitively(build, score_long):
    cfg = build(kpis=KPIS, csms=CSMS, accounts=ACCOUNTS, opportunities=OPPS)
    rows = score_long(cfg)
    # sources [" CSM ", PARTNER] -> csm or partner: alice 300 (2), bob 0 + 50 + 150 = 200 (3)
    assert numbers(rows[("alice", "multi")]) == (approx(300), approx(300), None, 2)
    assert numbers(rows[("bob", "multi")]) == (approx(200), approx(200), None, 3)
    assert numbers(rows[("ALL", "multi")]) == (approx(500), approx(500), None, 5)


def test_other_sources(build, score_long):
    cfg = build(
        kpis="""
        version: 1
        data: {dir: data}
        scoring: {amber_at: 0.9, cap: 1.5, min_sample: 1}
        kpis:
          - {id: sales, metric: sourced_expansion_arr, params: {sources: [sales]}}
          - {id: sales_share, metric: sourced_expansion_arr, params: {sources: [Sales], share: true}}
        """,
        csms=CSMS,
        accounts=ACCOUNTS,
        opportunities=OPPS,
    )
    rows = score_long(cfg)
    # only o3 (alice, 300)
    assert numbers(rows[("alice", "sales")]) == (approx(300), approx(300), None, 1)
    assert numbers(rows[("bob", "sales")]) == (approx(0), approx(0), None, 0)
    assert numbers(rows[("alice", "sales_share")]) == (approx(300 / 1599), approx(300), approx(1599), 4)
    # bob has won expansions but none from sales: share 0 / 200 = 0 over 3
    assert numbers(rows[("bob", "sales_share")]) == (approx(0.0), approx(0), approx(200), 3)


def test_empty_amounts_and_zero_denominator(build, score_long):
    cfg = build(
        kpis=KPIS,
        csms=CSMS,
        accounts=ACCOUNTS,
        # bob's only won expansions have no amount: sum 0 over 2; share 0 / 0 -> no value
        opportunities=HEADER
        + """o1,A3,expansion,csm,won,2026-06-01,2026-07-10,
o2,A3,expansion,sales,won,2026-06-01,2026-07-11,
o3,A1,expansion,sales,won,2026-06-01,2026-07-12,40
""",
    )
    rows = score_long(cfg)
    assert numbers(rows[("bob", "sourced")]) == (approx(0), approx(0), None, 1)
    b = rows[("bob", "share")]
    assert (b["value"], b["numerator"], b["denominator"], b["sample_size"]) == (None, approx(0), approx(0), 2)
    # alice: nothing sourced, 40 won from sales -> sum 0 over 0, share 0 / 40 over 1
    assert numbers(rows[("alice", "sourced")]) == (approx(0), approx(0), None, 0)
    assert numbers(rows[("alice", "share")]) == (approx(0.0), approx(0), approx(40), 1)
    assert numbers(rows[("ALL", "share")]) == (approx(0.0), approx(0), approx(40), 3)


def test_unassigned_and_owner_on_closed_at(build, score_long):
    cfg = build(
        kpis=KPIS,
        csms=CSMS,
        # A4 has no owner; A9 is not in accounts.csv
        accounts="account_id,csm_id\nA1,bob\nA4,\n",
        # A1: alice until 2026-08-15 (inclusive), bob from 2026-08-16
        assignments="""
        account_id,csm_id,start_date,end_date
        A1,alice,2026-01-01,2026-08-15
        A1,bob,2026-08-16,
        """,
        opportunities=HEADER
        + """o1,A1,expansion,csm,won,2026-06-01,2026-08-15,100
o2,A1,expansion,csm,won,2026-06-01,2026-08-16,200
o3,A4,expansion,csm,won,2026-06-01,2026-07-10,30
o4,A9,expansion,csm,won,2026-06-01,2026-07-11,20
o5,A9,expansion,sales,won,2026-06-01,2026-07-12,50
""",
    )
    rows = score_long(cfg)
    assert numbers(rows[("alice", "sourced")]) == (approx(100), approx(100), None, 1)
    assert numbers(rows[("bob", "sourced")]) == (approx(200), approx(200), None, 1)
    # (unassigned): o3 30 + o4 20 = 50 over 2; share 50 / (30 + 20 + 50) over 3
    assert numbers(rows[("(unassigned)", "sourced")]) == (approx(50), approx(50), None, 2)
    assert numbers(rows[("(unassigned)", "share")]) == (approx(0.5), approx(50), approx(100), 3)
    assert numbers(rows[("ALL", "sourced")]) == (approx(350), approx(350), None, 4)
    assert numbers(rows[("ALL", "share")]) == (approx(350 / 400), approx(350), approx(400), 5)


def test_range_not_aligned_to_months(build):
    cfg = build(
        kpis=KPIS,
        csms=CSMS,
        accounts=ACCOUNTS,
        opportunities=HEADER
        + """o1,A1,expansion,csm,won,2026-06-01,2026-07-14,1
o2,A1,expansion,csm,won,2026-06-01,2026-07-15,10
o3,A1,expansion,csm,won,2026-06-01,2026-08-10,100
o4,A1,expansion,csm,won,2026-06-01,2026-08-11,1000
""",
    )
    card = engine.score(
        engine.ScoreRequest(config=cfg, start=date(2026, 7, 15), end=date(2026, 8, 10), as_of=date(2026, 10, 15))
    )
    rows = {(r["group"], r["kpi"]): r for r in card.long_table().iter_rows(named=True)}
    # exact dates: o2 + o3
    assert numbers(rows[("alice", "sourced")]) == (approx(110), approx(110), None, 2)


def test_by_team(build, score_long):
    cfg = build(
        kpis=KPIS,
        csms="""
        csm_id,csm_name,team
        alice,Alice,t1
        bob,Bob,t1
        carol,Carol,t2
        """,
        accounts=ACCOUNTS,
        opportunities=OPPS,
    )
    rows = score_long(cfg, by="team")
    assert numbers(rows[("t1", "sourced")]) == (approx(350), approx(350), None, 4)
    assert numbers(rows[("t1", "share")]) == (approx(350 / 1799), approx(350), approx(1799), 7)
    assert numbers(rows[("t2", "sourced")]) == (approx(0), approx(0), None, 0)
    assert rows[("t2", "share")]["value"] is None


def test_no_won_expansion_at_all(build, score_long):
    cfg = build(
        kpis=KPIS,
        csms=CSMS,
        accounts=ACCOUNTS,
        opportunities=HEADER + "o1,A1,expansion,csm,lost,2026-06-01,2026-07-10,100\n",
    )
    rows = score_long(cfg)
    # sums are 0 over 0 everywhere, ALL included; the share has no value
    for group in ("alice", "bob", "carol", "ALL"):
        assert numbers(rows[(group, "sourced")]) == (approx(0), approx(0), None, 0), group
        r = rows[(group, "share")]
        assert (r["value"], r["sample_size"]) == (None, 0), group
