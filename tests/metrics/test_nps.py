"""Hand-computed tests for the ``nps`` metric (SPEC §3, §4).

nps = 100 × (promoters (9-10) − detractors (0-6)) / responses, over nps responses in P;
numerator = 100 × (promoters − detractors), denominator = responses.
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
  - {id: nps, metric: nps, target: 20, weight: 1}
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


def numbers(row):
    return row["value"], row["numerator"], row["denominator"], row["sample_size"]


def test_value_per_csm_and_pooled_all(build, score_long):
    cfg = build(
        kpis=KPIS,
        csms=CSMS,
        accounts=ACCOUNTS,
        surveys="""
        response_id,account_id,survey,responded_at,score
        r1,A1,nps,2026-07-10,10
        r2,A1,nps,2026-07-10,9
        r3,A2,nps,2026-07-10,7
        r4,A2,nps,2026-07-10,0
        r5,A3,nps,2026-07-10,6
        """,
    )
    rows = score_long(cfg)
    # alice: promoters {10, 9} = 2, passives {7}, detractors {0} = 1 -> 100 × (2 − 1) / 4 = 25
    a = rows[("alice", "nps")]
    assert numbers(a) == (approx(25.0), 100, 4, 4)
    # attainment 25 / 20 = 1.25 -> green
    assert (a["attainment"], a["status"]) == (approx(1.25), "green")
    # bob: detractor {6} -> 100 × (0 − 1) / 1 = -100; negative with better higher attains 0
    b = rows[("bob", "nps")]
    assert numbers(b) == (approx(-100.0), -100, 1, 1)
    assert (b["attainment"], b["status"]) == (approx(0.0), "red")
    # ALL: 100 × (2 − 2) / 5 = 0, not the mean of ratios (25 − 100) / 2 = -37.5
    t = rows[("ALL", "nps")]
    assert numbers(t) == (approx(0.0), 0, 5, 5)
    assert t["value"] != approx(-37.5)
    c = rows[("carol", "nps")]
    assert (c["value"], c["numerator"], c["denominator"], c["sample_size"], c["status"]) == (
        None,
        None,
        None,
        0,
        "no-data",
    )


def test_every_score_band(build, score_long):
    cfg = build(
        kpis=KPIS,
        csms=CSMS,
        accounts=ACCOUNTS,
        surveys="response_id,account_id,survey,responded_at,score\n"
        + "".join(f"r{s},A1,nps,2026-08-01,{s}\n" for s in range(11)),
    )
    rows = score_long(cfg)
    # scores 0..10: promoters 9, 10 = 2; passives 7, 8; detractors 0..6 = 7
    # 100 × (2 − 7) / 11 = -500/11
    assert numbers(rows[("alice", "nps")]) == (approx(-500 / 11), -500, 11, 11)


def test_period_boundaries_and_case_insensitive_survey(build, score_long):
    cfg = build(
        kpis=KPIS,
        csms=CSMS,
        accounts=ACCOUNTS,
        surveys="""
        response_id,account_id,survey,responded_at,score
        before,A1,nps,2026-06-30T23:59:00,0
        first,A1,NPS,2026-07-01,10
        last,A1, Nps ,2026-09-30T22:00:00+09:00,8
        after,A1,nps,2026-10-01T00:00:00,0
        csat,A1,csat,2026-08-01,5
        """,
    )
    rows = score_long(cfg)
    # first (promoter), last (passive) -> 100 × (1 − 0) / 2 = 50
    assert numbers(rows[("alice", "nps")]) == (approx(50.0), 100, 2, 2)


def test_range_not_aligned_to_months(build):
    cfg = build(
        kpis=KPIS,
        csms=CSMS,
        accounts=ACCOUNTS,
        surveys="""
        response_id,account_id,survey,responded_at,score
        r1,A1,nps,2026-07-14,0
        r2,A1,nps,2026-07-15,10
        r3,A1,nps,2026-08-10,3
        r4,A1,nps,2026-08-11,0
        r5,A1,nps,2026-08-01,9
        """,
    )
    card = engine.score(
        engine.ScoreRequest(config=cfg, start=date(2026, 7, 15), end=date(2026, 8, 10), as_of=date(2026, 10, 15))
    )
    rows = {(r["group"], r["kpi"]): r for r in card.long_table().iter_rows(named=True)}
    # r2 (P), r5 (P), r3 (D) -> 100 × (2 − 1) / 3
    assert numbers(rows[("alice", "nps")]) == (approx(100 / 3), 100, 3, 3)


def test_unassigned_unknown_account_low_n_and_owner_on_date(build, score_long):
    cfg = build(
        kpis="""
        version: 1
        data: {dir: data}
        scoring: {amber_at: 0.9, cap: 1.5, min_sample: 2}
        kpis:
          - {id: nps, metric: nps, target: 20, weight: 1}
        """,
        csms=CSMS,
        accounts="account_id,csm_id\nA1,alice\nA2,\nA3,bob\n",
        # A3 belongs to alice until 2026-07-31 by assignment, then to bob (accounts.csm_id fallback)
        assignments="""
        account_id,csm_id,start_date,end_date
        A3,alice,2026-01-01,2026-07-31
        """,
        surveys="""
        response_id,account_id,survey,responded_at,score
        r1,A2,nps,2026-07-10,9
        r2,A9,nps,2026-07-10,8
        r3,A1,nps,2026-07-10,10
        r4,A3,nps,2026-07-31,2
        r5,A3,nps,2026-08-01,10
        """,
    )
    rows = score_long(cfg)
    # (unassigned): r1 (P), r2 (passive) -> 100 × 1 / 2 = 50
    assert numbers(rows[("(unassigned)", "nps")]) == (approx(50.0), 100, 2, 2)
    # alice: r3 (P), r4 (D) -> 0 / 2
    assert numbers(rows[("alice", "nps")]) == (approx(0.0), 0, 2, 2)
    # bob: r5 (P) -> 100 / 1, low-n
    b = rows[("bob", "nps")]
    assert numbers(b) == (approx(100.0), 100, 1, 1)
    assert b["status"] == "low-n"
    # ALL: P = r1, r3, r5; D = r4 -> 100 × (3 − 1) / 5 = 40
    assert numbers(rows[("ALL", "nps")]) == (approx(40.0), 200, 5, 5)
