"""Hand-computed tests for the ``mrr_movements`` metric (SPEC §3, §4).

Month-over-month movements summed over P's months. For 2026-Q3 the months compared
are Jul vs Jun, Aug vs Jul and Sep vs Aug; a missing mrr row is 0.
- new: from 0 to > 0, never paid before; reactivation: from 0 to > 0, paid before
- expansion: up; contraction: down to > 0 (positive amount); churn: to 0 (amount = previous MRR)
Without ``movement`` the KPI ``m`` becomes five unscored KPIs ``m_new``, ``m_reactivation``,
``m_expansion``, ``m_contraction``, ``m_churn``. They are sums: value = numerator,
denominator empty, sample_size = movements (account-months), 0 for an empty group.
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
  - {id: m, metric: mrr_movements}
"""

MOVES = ("new", "reactivation", "expansion", "contraction", "churn")

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
A4,bob
A5,alice
"""

# A1: expands in Jul (+50), flat in Aug, contracts in Sep (-30); May->Jun and Sep->Oct are outside Q3.
# A2: first paid in Jul (new 200), explicit 0 in Aug (churn 200), back in Sep (reactivation 80).
# A3: paid in 2025-01 only, then no rows until Aug 2026 (reactivation 60 after a gap of missing rows).
# A4: paid in Jun, no row in Jul (churn 100); no rows after.
# A5: explicit 0 rows in Jun and Jul, first paid in Aug (new 40), up in Sep (expansion 50).
MRR = """
account_id,month,mrr
A1,2026-05,10
A1,2026-06,100
A1,2026-07,150
A1,2026-08,150
A1,2026-09,120
A1,2026-10,500
A2,2026-07,200
A2,2026-08,0
A2,2026-09,80
A3,2025-01,100
A3,2026-08,60
A3,2026-09,60
A4,2026-06,100
A5,2026-06,0
A5,2026-07,0
A5,2026-08,40
A5,2026-09,90
"""


def numbers(row):
    return row["value"], row["numerator"], row["denominator"], row["sample_size"]


def score_range(cfg, start, end, by="csm"):
    card = engine.score(engine.ScoreRequest(config=cfg, start=start, end=end, as_of=date(2026, 10, 15), by=by))
    return {(r["group"], r["kpi"]): r for r in card.long_table().iter_rows(named=True)}


def test_five_movements_per_csm_and_all(build, score_long):
    cfg = build(kpis=KPIS, csms=CSMS, accounts=ACCOUNTS, mrr=MRR)
    rows = score_long(cfg)
    expected = {
        # alice: new A2 Jul 200 + A5 Aug 40; reactivation A2 Sep 80; expansion A1 Jul 50 + A5 Sep 50;
        # contraction A1 Sep 150 -> 120 = 30; churn A2 Aug 200 -> 0 = 200
        "alice": {
            "new": (240, 2),
            "reactivation": (80, 1),
            "expansion": (100, 2),
            "contraction": (30, 1),
            "churn": (200, 1),
        },
        # bob: reactivation A3 Aug 60; churn A4 Jul 100 (missing row = 0); nothing else
        "bob": {"new": (0, 0), "reactivation": (60, 1), "expansion": (0, 0), "contraction": (0, 0), "churn": (100, 1)},
        # carol has no accounts: every sum is 0 with sample 0
        "carol": {m: (0, 0) for m in MOVES},
        # ALL: alice + bob
        "ALL": {
            "new": (240, 2),
            "reactivation": (140, 2),
            "expansion": (100, 2),
            "contraction": (30, 1),
            "churn": (300, 2),
        },
    }
    for group, moves in expected.items():
        for move, (amount, sample) in moves.items():
            row = rows[(group, f"m_{move}")]
            assert numbers(row) == (approx(amount), approx(amount), None, sample), (group, move)
    # ALL is the pooled sum, not the average over the three CSMs (300 / 3 = 100)
    assert rows[("ALL", "m_churn")]["value"] != approx(100)
    # the five variants are shown but not scored; the base id is not a KPI of its own
    assert {k for _, k in rows} == {f"m_{m}" for m in MOVES}
    assert all(rows[("alice", f"m_{m}")]["target"] is None for m in MOVES)


def test_amounts_are_positive(build, score_long):
    cfg = build(kpis=KPIS, csms=CSMS, accounts=ACCOUNTS, mrr=MRR)
    rows = score_long(cfg)
    for move in MOVES:
        assert rows[("ALL", f"m_{move}")]["value"] >= 0, move


def test_movement_param_gives_a_single_kpi_with_its_own_id(build, score_long):
    cfg = build(
        kpis="""
        version: 1
        data: {dir: data}
        scoring: {amber_at: 0.9, cap: 1.5, min_sample: 1}
        kpis:
          - {id: exp, metric: mrr_movements, params: {movement: expansion}, target: 100, weight: 1}
          - {id: lost, metric: mrr_movements, params: {movement: churn}}
        """,
        csms=CSMS,
        accounts=ACCOUNTS,
        mrr=MRR,
    )
    rows = score_long(cfg)
    assert {k for _, k in rows} == {"exp", "lost"}
    # expansion: alice A1 Jul 50 + A5 Sep 50 = 100; bob none
    assert numbers(rows[("alice", "exp")]) == (approx(100), approx(100), None, 2)
    assert numbers(rows[("bob", "exp")]) == (approx(0), approx(0), None, 0)
    assert numbers(rows[("ALL", "exp")]) == (approx(100), approx(100), None, 2)
    # churn: alice A2 200, bob A4 100
    assert numbers(rows[("ALL", "lost")]) == (approx(300), approx(300), None, 2)
    # a single movement KPI keeps its target: 100 / 100 -> attainment 1.0
    assert rows[("alice", "exp")]["attainment"] == approx(1.0)


def test_churn_and_return_within_the_quarter(build, score_long):
    cfg = build(
        kpis=KPIS,
        csms=CSMS,
        accounts="account_id,csm_id\nA1,alice\n",
        # Jul 100 (from Jun 100: no movement), Aug 0 -> churn 100, Sep 70 -> reactivation 70
        mrr="""
        account_id,month,mrr
        A1,2026-06,100
        A1,2026-07,100
        A1,2026-08,0
        A1,2026-09,70
        """,
    )
    rows = score_long(cfg)
    assert numbers(rows[("alice", "m_churn")]) == (approx(100), approx(100), None, 1)
    assert numbers(rows[("alice", "m_reactivation")]) == (approx(70), approx(70), None, 1)
    assert numbers(rows[("alice", "m_new")]) == (approx(0), approx(0), None, 0)
    assert numbers(rows[("alice", "m_expansion")]) == (approx(0), approx(0), None, 0)


def test_new_within_quarter_then_churn_and_return_is_reactivation(build, score_long):
    cfg = build(
        kpis=KPIS,
        csms=CSMS,
        accounts="account_id,csm_id\nA1,alice\n",
        # never paid before Jul: Jul new 50, Aug missing -> churn 50, Sep 60 -> reactivation (paid in Jul)
        mrr="""
        account_id,month,mrr
        A1,2026-07,50
        A1,2026-09,60
        """,
    )
    rows = score_long(cfg)
    assert numbers(rows[("alice", "m_new")]) == (approx(50), approx(50), None, 1)
    assert numbers(rows[("alice", "m_churn")]) == (approx(50), approx(50), None, 1)
    assert numbers(rows[("alice", "m_reactivation")]) == (approx(60), approx(60), None, 1)


def test_missing_rows_and_explicit_zero_rows_are_the_same(build, score_long):
    explicit = """
        account_id,month,mrr
        A1,2026-05,0
        A1,2026-06,0
        A1,2026-07,30
        A1,2026-08,0
        A1,2026-09,0
        A2,2026-06,0
        A2,2026-07,0
        A2,2026-08,0
        A2,2026-09,0
        """
    missing = """
        account_id,month,mrr
        A1,2026-07,30
        A2,2026-09,0
        """  # A2's zero row keeps the file through 2026-09: a month no row has is missing, not zero (SPEC §3)
    for mrr in (explicit, missing):
        cfg = build(kpis=KPIS, csms=CSMS, accounts="account_id,csm_id\nA1,alice\nA2,bob\n", mrr=mrr)
        rows = score_long(cfg)
        # A1: Jul new 30, Aug churn 30; A2: 0 -> 0 every month is no movement
        assert numbers(rows[("alice", "m_new")]) == (approx(30), approx(30), None, 1)
        assert numbers(rows[("alice", "m_churn")]) == (approx(30), approx(30), None, 1)
        for move in MOVES:
            assert numbers(rows[("bob", f"m_{move}")]) == (approx(0), approx(0), None, 0), move


def test_reactivation_after_a_long_gap_and_new_after_zero_history(build, score_long):
    cfg = build(
        kpis=KPIS,
        csms=CSMS,
        accounts="account_id,csm_id\nA1,alice\nA2,alice\nA3,bob\n",
        # A1 paid in 2024-03 only: returning in Jul 2026 is a reactivation
        # A2 has only 0 rows before Jul: first payment in Jul is new
        # A3 paid in Jun (the month before P) then 0 in Jul and back in Aug: reactivation
        # (every account stays flat through Sep)
        mrr="""
        account_id,month,mrr
        A1,2024-03,10
        A1,2026-07,25
        A1,2026-08,25
        A1,2026-09,25
        A2,2025-01,0
        A2,2026-06,0
        A2,2026-07,35
        A2,2026-08,35
        A2,2026-09,35
        A3,2026-06,40
        A3,2026-07,0
        A3,2026-08,45
        A3,2026-09,45
        """,
    )
    rows = score_long(cfg)
    assert numbers(rows[("alice", "m_reactivation")]) == (approx(25), approx(25), None, 1)
    assert numbers(rows[("alice", "m_new")]) == (approx(35), approx(35), None, 1)
    # A3: Jul churn 40, Aug reactivation 45
    assert numbers(rows[("bob", "m_churn")]) == (approx(40), approx(40), None, 1)
    assert numbers(rows[("bob", "m_reactivation")]) == (approx(45), approx(45), None, 1)
    assert numbers(rows[("bob", "m_new")]) == (approx(0), approx(0), None, 0)
    assert numbers(rows[("ALL", "m_reactivation")]) == (approx(70), approx(70), None, 2)


def test_period_boundaries(build, score_long):
    cfg = build(
        kpis=KPIS,
        csms=CSMS,
        accounts="account_id,csm_id\nA1,alice\nA2,alice\nA3,alice\n",
        # A1: May -> Jun +90 (before Q3: Jun vs May is not compared), Jun -> Jul +10 (in: Jul vs Jun)
        # A2: Sep -> Oct churn (after Q3), Aug -> Sep -5 (in)
        # A3: new in Jun (outside), nothing in Q3, new-looking jump in Oct (outside)
        mrr="""
        account_id,month,mrr
        A1,2026-05,10
        A1,2026-06,100
        A1,2026-07,110
        A1,2026-08,110
        A1,2026-09,110
        A2,2026-06,50
        A2,2026-07,50
        A2,2026-08,50
        A2,2026-09,45
        A3,2026-06,20
        A3,2026-07,20
        A3,2026-08,20
        A3,2026-09,20
        A3,2026-10,90
        A3,2026-11,90
        A3,2026-12,90
        """,
    )
    rows = score_long(cfg)
    assert numbers(rows[("alice", "m_expansion")]) == (approx(10), approx(10), None, 1)
    assert numbers(rows[("alice", "m_contraction")]) == (approx(5), approx(5), None, 1)
    for move in ("new", "reactivation", "churn"):
        assert numbers(rows[("alice", f"m_{move}")]) == (approx(0), approx(0), None, 0), move
    # a single month: 2026-07 compares only Jul vs Jun -> A1 +10
    rows = score_long(cfg, "2026-07")
    assert numbers(rows[("alice", "m_expansion")]) == (approx(10), approx(10), None, 1)
    assert numbers(rows[("alice", "m_contraction")]) == (approx(0), approx(0), None, 0)
    # 2026-06 compares Jun vs May: A1 +90; A2 and A3 new in Jun (no earlier rows): 50 + 20
    rows = score_long(cfg, "2026-06")
    assert numbers(rows[("alice", "m_expansion")]) == (approx(90), approx(90), None, 1)
    assert numbers(rows[("alice", "m_new")]) == (approx(70), approx(70), None, 2)
    # Q4 (as of 2027-01-15): Oct vs Sep: A1 110 -> missing = churn 110, A2 45 -> churn 45,
    # A3 20 -> 90 expansion 70; Nov and Dec: A3 flat at 90, A1 and A2 stay at 0
    rows = score_long(cfg, "2026-Q4", as_of=date(2027, 1, 15))
    assert numbers(rows[("alice", "m_churn")]) == (approx(155), approx(155), None, 2)
    assert numbers(rows[("alice", "m_expansion")]) == (approx(70), approx(70), None, 1)


def test_range_not_aligned_to_months_uses_its_months(build):
    cfg = build(
        kpis=KPIS,
        csms=CSMS,
        accounts="account_id,csm_id\nA1,alice\n",
        mrr="""
        account_id,month,mrr
        A1,2026-06,100
        A1,2026-07,120
        A1,2026-08,150
        A1,2026-09,200
        """,
    )
    # 2026-07-15..2026-08-10 covers months Jul and Aug: Jul vs Jun +20, Aug vs Jul +30 (Sep not compared)
    rows = score_range(cfg, date(2026, 7, 15), date(2026, 8, 10))
    assert numbers(rows[("alice", "m_expansion")]) == (approx(50), approx(50), None, 2)


def test_unassigned_and_unknown_accounts(build, score_long):
    cfg = build(
        kpis=KPIS,
        csms=CSMS,
        # A2 has no owner; A9 is not in accounts.csv: both roll up as (unassigned)
        accounts="account_id,csm_id\nA1,alice\nA2,\n",
        mrr="""
        account_id,month,mrr
        A1,2026-06,100
        A1,2026-07,110
        A1,2026-08,110
        A1,2026-09,110
        A2,2026-06,100
        A2,2026-07,130
        A2,2026-08,130
        A2,2026-09,130
        A9,2026-08,40
        A9,2026-09,40
        """,
    )
    rows = score_long(cfg)
    # (unassigned): A2 expansion 30; A9 new 40 in Aug
    assert numbers(rows[("(unassigned)", "m_expansion")]) == (approx(30), approx(30), None, 1)
    assert numbers(rows[("(unassigned)", "m_new")]) == (approx(40), approx(40), None, 1)
    assert numbers(rows[("(unassigned)", "m_churn")]) == (approx(0), approx(0), None, 0)
    assert numbers(rows[("alice", "m_expansion")]) == (approx(10), approx(10), None, 1)
    # ALL: 10 + 30
    assert numbers(rows[("ALL", "m_expansion")]) == (approx(40), approx(40), None, 2)
    assert numbers(rows[("ALL", "m_new")]) == (approx(40), approx(40), None, 1)


def test_from_subscriptions(build, score_long):
    cfg = build(
        kpis=KPIS,
        csms=CSMS,
        accounts="account_id,csm_id\nA1,alice\nA2,bob\n",
        # MRR at the end of each month from subscription ranges:
        # A1: s1 100 from 2026-05-10 (open); s2 50 for 2026-07-01..2026-08-15 (in force at end of Jul only)
        #     -> Jun 100, Jul 150, Aug 100, Sep 100: Jul expansion 50, Aug contraction 50
        # A2: s3 70 for 2026-08-01..2026-08-31 -> Aug 70 (new), Sep 0 (churn 70)
        subscriptions="""
        subscription_id,account_id,start_date,end_date,mrr
        s1,A1,2026-05-10,,100
        s2,A1,2026-07-01,2026-08-15,50
        s3,A2,2026-08-01,2026-08-31,70
        """,
    )
    rows = score_long(cfg)
    assert numbers(rows[("alice", "m_expansion")]) == (approx(50), approx(50), None, 1)
    assert numbers(rows[("alice", "m_contraction")]) == (approx(50), approx(50), None, 1)
    assert numbers(rows[("bob", "m_new")]) == (approx(70), approx(70), None, 1)
    assert numbers(rows[("bob", "m_churn")]) == (approx(70), approx(70), None, 1)


def test_by_team_pools_csms(build, score_long):
    cfg = build(
        kpis=KPIS,
        csms="""
        csm_id,csm_name,team
        alice,Alice,t1
        bob,Bob,t1
        carol,Carol,t2
        """,
        accounts=ACCOUNTS,
        mrr=MRR,
    )
    rows = score_long(cfg, by="team")
    # t1 = alice + bob: churn 200 + 100, reactivation 80 + 60
    assert numbers(rows[("t1", "m_churn")]) == (approx(300), approx(300), None, 2)
    assert numbers(rows[("t1", "m_reactivation")]) == (approx(140), approx(140), None, 2)
    assert numbers(rows[("t2", "m_churn")]) == (approx(0), approx(0), None, 0)
