"""Hand-computed tests for the ``expansion_close_rate`` metric (SPEC §3, §4).

Opportunities of type expansion, source in ``sources`` (default [csm]), stage won or
lost, closed in P. weight count: won / (won + lost); weight amount: Σ amount won /
Σ amount won or lost (empty amount = 0). sample_size = opportunities won or lost.
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
  - {id: rate, metric: expansion_close_rate, target: 0.5, weight: 1}
  - {id: rate_arr, metric: expansion_close_rate, params: {weight: amount}, target: 0.5, weight: 1}
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


def numbers(row):
    return row["value"], row["numerator"], row["denominator"], row["sample_size"]


def test_count_and_amount_per_csm_and_pooled_all(build, score_long):
    cfg = build(
        kpis=KPIS,
        csms=CSMS,
        accounts=ACCOUNTS,
        opportunities=HEADER
        + """o1,A1,expansion,csm,won,2026-06-01,2026-07-10,100
o2,A1,expansion,csm,lost,2026-06-01,2026-07-11,300
o3,A2,expansion,csm,won,2026-06-01,2026-07-12,200
o4,A3,expansion,csm,won,2026-06-01,2026-07-13,50
o5,A3,expansion,csm,lost,2026-06-01,2026-07-14,25
o6,A3,expansion,csm,lost,2026-06-01,2026-07-15,25
o7,A3,expansion,csm,lost,2026-06-01,2026-07-16,100
""",
    )
    rows = score_long(cfg)
    # count: alice won {o1, o3} of 3 -> 2/3; bob won {o4} of 4 -> 1/4
    assert numbers(rows[("alice", "rate")]) == (approx(2 / 3), 2, 3, 3)
    assert numbers(rows[("bob", "rate")]) == (approx(0.25), 1, 4, 4)
    # ALL: 3/7, not the mean of ratios (2/3 + 1/4) / 2
    t = rows[("ALL", "rate")]
    assert numbers(t) == (approx(3 / 7), 3, 7, 7)
    assert t["value"] != approx((2 / 3 + 0.25) / 2)
    # amount: alice (100 + 200) / (100 + 300 + 200) = 300/600; bob 50 / 200
    assert numbers(rows[("alice", "rate_arr")]) == (approx(0.5), 300, 600, 3)
    assert numbers(rows[("bob", "rate_arr")]) == (approx(0.25), 50, 200, 4)
    # ALL: 350 / 800 (mean of ratios 0.375)
    t = rows[("ALL", "rate_arr")]
    assert numbers(t) == (approx(350 / 800), 350, 800, 7)
    for kpi in ("rate", "rate_arr"):
        c = rows[("carol", kpi)]
        assert (c["value"], c["numerator"], c["denominator"], c["sample_size"], c["status"]) == (
            None,
            None,
            None,
            0,
            "no-data",
        )


def test_only_expansion_won_or_lost_from_sources(build, score_long):
    cfg = build(
        kpis=KPIS,
        csms=CSMS,
        accounts=ACCOUNTS,
        # counted: o1 (" CSM " matches csm), o2 (Expansion / WON / Csm). Left out: o3 renewal,
        # o4 new_business, o5 open, o6 source sales, o7 source csm-led, o8 closed in Q2.
        opportunities=HEADER
        + """o1,A1,expansion, CSM ,won,2026-06-01,2026-07-10,100
o2,A1,Expansion,Csm,LOST,2026-06-01,2026-07-10,100
o3,A1,renewal,csm,won,2026-06-01,2026-07-10,100
o4,A1,new_business,csm,won,2026-06-01,2026-07-10,100
o5,A1,expansion,csm,open,2026-06-01,,100
o6,A1,expansion,sales,won,2026-06-01,2026-07-10,100
o7,A1,expansion,csm-led,won,2026-06-01,2026-07-10,100
o8,A1,expansion,csm,won,2026-06-01,2026-06-30,100
""",
    )
    rows = score_long(cfg)
    assert numbers(rows[("alice", "rate")]) == (approx(0.5), 1, 2, 2)
    assert numbers(rows[("alice", "rate_arr")]) == (approx(0.5), 100, 200, 2)


def test_empty_amount_counts_as_zero(build, score_long):
    cfg = build(
        kpis=KPIS,
        csms=CSMS,
        accounts=ACCOUNTS,
        # alice: o1 won (empty amount = 0), o2 lost 100
        # bob: o3 won with empty amount only -> Σ amount = 0 -> no value for amount, but 1/1 for count
        opportunities=HEADER
        + """o1,A1,expansion,csm,won,2026-06-01,2026-07-10,
o2,A1,expansion,csm,lost,2026-06-01,2026-07-10,100
o3,A3,expansion,csm,won,2026-06-01,2026-07-10,
""",
    )
    rows = score_long(cfg)
    # count: alice 1/2; amount: alice 0 / (0 + 100)
    assert numbers(rows[("alice", "rate")]) == (approx(0.5), 1, 2, 2)
    assert numbers(rows[("alice", "rate_arr")]) == (approx(0.0), 0, 100, 2)
    # bob: count 1/1; amount 0/0 -> empty value, sample still 1 (won or lost opportunities)
    assert numbers(rows[("bob", "rate")]) == (approx(1.0), 1, 1, 1)
    b = rows[("bob", "rate_arr")]
    assert (b["value"], b["numerator"], b["denominator"], b["sample_size"]) == (None, 0, 0, 1)
    assert b["status"] == "no-data"


def test_multiple_sources(build, score_long):
    cfg = build(
        kpis="""
        version: 1
        data: {dir: data}
        scoring: {amber_at: 0.9, cap: 1.5, min_sample: 1}
        kpis:
          - {id: rate, metric: expansion_close_rate, params: {sources: [CSM, " Partner "]}, target: 0.5}
          - {id: rate_arr, metric: expansion_close_rate, params: {sources: [csm, partner], weight: amount}, target: 0.5}
        """,
        csms=CSMS,
        accounts=ACCOUNTS,
        # counted: o1 csm won 100, o2 partner lost 300, o3 PARTNER won 50; left out: o4 sales, o5 marketing
        opportunities=HEADER
        + """o1,A1,expansion,csm,won,2026-06-01,2026-07-10,100
o2,A1,expansion,partner,lost,2026-06-01,2026-07-10,300
o3,A2,expansion,PARTNER,won,2026-06-01,2026-07-10,50
o4,A2,expansion,sales,lost,2026-06-01,2026-07-10,1000
o5,A2,expansion,marketing,won,2026-06-01,2026-07-10,1000
""",
    )
    rows = score_long(cfg)
    assert numbers(rows[("alice", "rate")]) == (approx(2 / 3), 2, 3, 3)
    # amount: (100 + 50) / (100 + 300 + 50)
    assert numbers(rows[("alice", "rate_arr")]) == (approx(150 / 450), 150, 450, 3)


def test_period_boundaries_by_closed_at(build, score_long):
    cfg = build(
        kpis=KPIS,
        csms=CSMS,
        accounts=ACCOUNTS,
        # created_at does not matter; closed_at decides
        opportunities=HEADER
        + """before,A1,expansion,csm,won,2026-06-01,2026-06-30,100
first,A1,expansion,csm,won,2026-05-01,2026-07-01,100
last,A1,expansion,csm,lost,2026-09-30,2026-09-30,300
after,A1,expansion,csm,lost,2026-09-01,2026-10-01,100
""",
    )
    rows = score_long(cfg)
    # first (won 100), last (lost 300)
    assert numbers(rows[("alice", "rate")]) == (approx(0.5), 1, 2, 2)
    assert numbers(rows[("alice", "rate_arr")]) == (approx(0.25), 100, 400, 2)


def test_range_not_aligned_to_months(build):
    cfg = build(
        kpis=KPIS,
        csms=CSMS,
        accounts=ACCOUNTS,
        opportunities=HEADER
        + """o1,A1,expansion,csm,won,2026-06-01,2026-07-14,100
o2,A1,expansion,csm,won,2026-06-01,2026-07-15,100
o3,A1,expansion,csm,lost,2026-06-01,2026-08-10,100
o4,A1,expansion,csm,lost,2026-06-01,2026-08-11,100
o5,A1,expansion,csm,lost,2026-06-01,2026-08-01,200
""",
    )
    card = engine.score(
        engine.ScoreRequest(config=cfg, start=date(2026, 7, 15), end=date(2026, 8, 10), as_of=date(2026, 10, 15))
    )
    rows = {(r["group"], r["kpi"]): r for r in card.long_table().iter_rows(named=True)}
    # o2 (won 100), o3 (lost 100), o5 (lost 200)
    assert numbers(rows[("alice", "rate")]) == (approx(1 / 3), 1, 3, 3)
    assert numbers(rows[("alice", "rate_arr")]) == (approx(0.25), 100, 400, 3)


def test_owner_on_close_date_unassigned_unknown_and_low_n(build, score_long):
    cfg = build(
        kpis="""
        version: 1
        data: {dir: data}
        scoring: {amber_at: 0.9, cap: 1.5, min_sample: 2}
        kpis:
          - {id: rate, metric: expansion_close_rate, target: 0.5, weight: 1}
        """,
        csms=CSMS,
        accounts="account_id,csm_id\nA1,alice\nA2,\nA3,bob\n",
        # A1 is bob's from 2026-09-01 to 2026-09-30 (inclusive)
        assignments="""
        account_id,csm_id,start_date,end_date
        A1,bob,2026-09-01,2026-09-30
        """,
        opportunities=HEADER
        + """o1,A1,expansion,csm,won,2026-06-01,2026-08-31,100
o2,A1,expansion,csm,won,2026-06-01,2026-09-01,100
o3,A1,expansion,csm,lost,2026-06-01,2026-09-30,100
o4,A2,expansion,csm,won,2026-06-01,2026-07-10,100
o5,A9,expansion,csm,lost,2026-06-01,2026-07-10,100
""",
    )
    rows = score_long(cfg)
    # alice: o1 -> 1/1, low-n
    a = rows[("alice", "rate")]
    assert numbers(a) == (approx(1.0), 1, 1, 1)
    assert a["status"] == "low-n"
    # bob: o2 won, o3 lost -> 1/2
    assert numbers(rows[("bob", "rate")]) == (approx(0.5), 1, 2, 2)
    # (unassigned): o4 won (no owner), o5 lost (A9 unknown) -> 1/2
    assert numbers(rows[("(unassigned)", "rate")]) == (approx(0.5), 1, 2, 2)
    assert numbers(rows[("ALL", "rate")]) == (approx(0.6), 3, 5, 5)
