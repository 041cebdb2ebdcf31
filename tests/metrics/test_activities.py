"""Hand-computed tests for ``touch_cadence``, ``activity_coverage`` and ``activity_count`` (SPEC §3, §4).

touch_cadence: accounts active at P's end (MRR of P's last month > 0): share whose largest
gap in calendar days between consecutive points of [P's start, activity dates in P, P's end]
is <= ``max_gap_days`` (default 14, ``types`` default all). No touch in the 92-day 2026-Q3
(2026-07-01..2026-09-30) is a gap of 91.

activity_coverage: accounts active at P's end: share with >= ``min_count`` (default 1)
activities of ``types`` (default [qbr, ebr]) in P.

Both count activities by anyone toward the account; a unit belongs to the owner at P's end.

activity_count: count of activities of ``types`` (default all) in P, a sum credited to the
activity's own csm_id, else the account's owner on the activity's date.
"""

from __future__ import annotations

from datetime import date

from pytest import approx

from csmkpi import engine

CSMS = """
csm_id,csm_name
alice,Alice
bob,Bob
carol,Carol
"""

ACT_HEADER = "activity_id,account_id,type,occurred_at,csm_id\n"

EVERY_14 = ("2026-07-10", "2026-07-24", "2026-08-07", "2026-08-21", "2026-09-04", "2026-09-18")


def numbers(row):
    return row["value"], row["numerator"], row["denominator"], row["sample_size"]


def kpis(*lines: str) -> str:
    body = "\n".join(f"  - {line}" for line in lines)
    return f"version: 1\ndata: {{dir: data}}\nscoring: {{amber_at: 0.9, cap: 1.5, min_sample: 1}}\nkpis:\n{body}\n"


def activities(rows: list[tuple[str, str, str, str]]) -> str:
    """(account_id, type, date, csm_id) rows, numbered x1, x2, ..."""
    return ACT_HEADER + "".join(f"x{i},{a},{t},{d},{c}\n" for i, (a, t, d, c) in enumerate(rows, 1))


def score_range(cfg, start, end, by="csm"):
    card = engine.score(engine.ScoreRequest(config=cfg, start=start, end=end, as_of=date(2026, 10, 15), by=by))
    return {(r["group"], r["kpi"]): r for r in card.long_table().iter_rows(named=True)}


# --- touch_cadence -------------------------------------------------------------------

CADENCE = kpis("{id: touch, metric: touch_cadence, target: 0.5, weight: 1}")

CADENCE_ACCOUNTS = """
account_id,csm_id
D1,alice
D2,alice
D3,alice
D4,bob
D5,bob
D6,bob
D7,bob
"""

# active at the end of Q3 (2026-09 MRR > 0): D1, D2, D3, D4, D7.
# D5 churned (explicit 0 in Sep), D6 has no Sep row.
CADENCE_MRR = """
account_id,month,mrr
D1,2026-09,100
D2,2026-09,100
D3,2026-09,100
D4,2026-09,100
D5,2026-06,100
D5,2026-09,0
D6,2026-08,100
D7,2026-09,100
"""


def cadence_activities() -> str:
    rows = []
    # D1: every 14 days -> gaps 9, 14, 14, 14, 14, 14, 12: max 14 = max_gap_days -> passes
    rows += [("D1", "check_in", d, "") for d in EVERY_14]
    # D2: no touch -> 91 -> fails
    # D3: 07-14 (13), 07-28 (14), 08-12 (15), 08-26, 09-09, 09-23, end (7): max 15 -> fails
    rows += [
        ("D3", "check_in", d, "")
        for d in ("2026-07-14", "2026-07-28", "2026-08-12", "2026-08-26", "2026-09-09", "2026-09-23")
    ]
    # D4: the same dates as D1, done by carol -> counts for the account -> passes
    rows += [("D4", "email", d, "carol") for d in EVERY_14]
    # D5, D6 (not active at the end): touched often, but no units
    rows += [("D5", "check_in", d, "") for d in EVERY_14]
    rows += [("D6", "check_in", d, "") for d in EVERY_14]
    # D7: touches only outside Q3 (06-30, 10-01) -> 91 -> fails
    rows += [("D7", "check_in", "2026-06-30", ""), ("D7", "check_in", "2026-10-01", "")]
    return activities(rows)


def test_cadence_per_csm_and_pooled_all(build, score_long):
    cfg = build(kpis=CADENCE, csms=CSMS, accounts=CADENCE_ACCOUNTS, mrr=CADENCE_MRR, activities=cadence_activities())
    rows = score_long(cfg)
    # alice: D1 passes, D2 and D3 fail -> 1/3
    assert numbers(rows[("alice", "touch")]) == (approx(1 / 3), 1, 3, 3)
    # bob: D4 passes (touched by carol), D7 fails; D5 and D6 are not units -> 1/2
    assert numbers(rows[("bob", "touch")]) == (approx(0.5), 1, 2, 2)
    # ALL pooled: 2/5 = 0.4, not the mean of ratios (1/3 + 1/2) / 2
    t = rows[("ALL", "touch")]
    assert numbers(t) == (approx(0.4), 2, 5, 5)
    assert t["value"] != approx((1 / 3 + 1 / 2) / 2)
    # carol did activities but owns no account
    c = rows[("carol", "touch")]
    assert (c["value"], c["numerator"], c["denominator"], c["sample_size"], c["status"]) == (
        None,
        None,
        None,
        0,
        "no-data",
    )


def test_cadence_max_gap_days_param(build, score_long):
    cfg = build(
        kpis=kpis(
            "{id: g91, metric: touch_cadence, params: {max_gap_days: 91}, target: 0.5, weight: 1}",
            "{id: g90, metric: touch_cadence, params: {max_gap_days: 90}, target: 0.5, weight: 1}",
            "{id: g15, metric: touch_cadence, params: {max_gap_days: 15}, target: 0.5, weight: 1}",
            "{id: g13, metric: touch_cadence, params: {max_gap_days: 13}, target: 0.5, weight: 1}",
        ),
        csms=CSMS,
        accounts=CADENCE_ACCOUNTS,
        mrr=CADENCE_MRR,
        activities=cadence_activities(),
    )
    rows = score_long(cfg)
    # max gaps: D1 14, D2 91, D3 15, D4 14, D7 91
    assert numbers(rows[("ALL", "g91")]) == (approx(1.0), 5, 5, 5)
    assert numbers(rows[("ALL", "g90")]) == (approx(0.6), 3, 5, 5)
    assert numbers(rows[("ALL", "g15")]) == (approx(0.6), 3, 5, 5)
    assert numbers(rows[("ALL", "g13")]) == (approx(0.0), 0, 5, 5)


def test_cadence_types_filter(build, score_long):
    cfg = build(
        kpis=kpis(
            "{id: touch, metric: touch_cadence, params: {types: [Check_In]}, target: 0.5, weight: 1}",
        ),
        csms=CSMS,
        accounts=CADENCE_ACCOUNTS,
        mrr=CADENCE_MRR,
        activities=cadence_activities(),
    )
    rows = score_long(cfg)
    # only check_in counts: D4's touches are emails -> gap 91 -> bob 0/2; alice unchanged 1/3
    assert numbers(rows[("alice", "touch")]) == (approx(1 / 3), 1, 3, 3)
    assert numbers(rows[("bob", "touch")]) == (approx(0.0), 0, 2, 2)


def test_cadence_touches_on_the_period_bounds(build, score_long):
    cfg = build(
        kpis=kpis("{id: touch, metric: touch_cadence, params: {max_gap_days: 45}, target: 0.5, weight: 1}"),
        csms=CSMS,
        accounts="account_id,csm_id\nK1,alice\nK2,alice\nK3,alice\n",
        mrr="account_id,month,mrr\nK1,2026-09,10\nK2,2026-09,10\nK3,2026-09,10\n",
        # K1: 07-01, 08-15 (45), 09-30 (46) -> 46 fails
        # K2: 08-15 (45 from 07-01), 09-29 (45), end 09-30 (1) -> passes
        # K3: 08-16 -> gaps 46 and 45 -> fails; a touch at 23:59 on P's last day counts
        activities=activities(
            [
                ("K1", "call", "2026-07-01", ""),
                ("K1", "call", "2026-08-15", ""),
                ("K1", "call", "2026-09-30T23:59:00", ""),
                ("K2", "call", "2026-08-15", ""),
                ("K2", "call", "2026-09-29", ""),
                ("K3", "call", "2026-08-16", ""),
                ("K3", "call", "2026-09-30T23:59:00", ""),
            ]
        ),
    )
    rows = score_long(cfg)
    # K1 fails (46), K2 passes (45), K3 fails (46) -> 1/3
    assert numbers(rows[("alice", "touch")]) == (approx(1 / 3), 1, 3, 3)


def test_cadence_month_period(build, score_long):
    cfg = build(
        kpis=kpis(
            "{id: g30, metric: touch_cadence, params: {max_gap_days: 30}, target: 0.5, weight: 1}",
            "{id: g29, metric: touch_cadence, params: {max_gap_days: 29}, target: 0.5, weight: 1}",
        ),
        csms=CSMS,
        accounts="account_id,csm_id\nK1,alice\nK2,alice\n",
        # 2026-08: active = 2026-08 MRR > 0: K1 only (K2 pays from Sep)
        mrr="account_id,month,mrr\nK1,2026-08,10\nK2,2026-09,10\n",
        activities=ACT_HEADER,
    )
    rows = score_long(cfg, "2026-08")
    # no touch in Aug (08-01..08-31): gap 30
    assert numbers(rows[("alice", "g30")]) == (approx(1.0), 1, 1, 1)
    assert numbers(rows[("alice", "g29")]) == (approx(0.0), 0, 1, 1)


def test_cadence_unassigned_and_owner_at_period_end(build, score_long):
    cfg = build(
        kpis=CADENCE,
        csms=CSMS,
        accounts="account_id,csm_id\nL1,\nL2,carol\n",
        # L2: alice until 2026-09-29, bob from 2026-09-30 (P's end) -> bob
        assignments="""
        account_id,csm_id,start_date,end_date
        L2,alice,2026-01-01,2026-09-29
        L2,bob,2026-09-30,
        """,
        # L9 is not in accounts.csv
        mrr="account_id,month,mrr\nL1,2026-09,10\nL2,2026-09,10\nL9,2026-09,10\n",
        activities=activities([("L9", "call", d, "alice") for d in EVERY_14]),
    )
    rows = score_long(cfg)
    # (unassigned): L1 (no touch, fails), L9 (every 14 days, passes; the activity's csm_id does not move it)
    assert numbers(rows[("(unassigned)", "touch")]) == (approx(0.5), 1, 2, 2)
    assert numbers(rows[("bob", "touch")]) == (approx(0.0), 0, 1, 1)
    assert rows[("alice", "touch")]["sample_size"] == 0
    assert rows[("carol", "touch")]["sample_size"] == 0
    assert numbers(rows[("ALL", "touch")]) == (approx(1 / 3), 1, 3, 3)


def test_cadence_range_not_aligned_to_months(build):
    cfg = build(
        kpis=kpis("{id: touch, metric: touch_cadence, params: {max_gap_days: 13}, target: 0.5, weight: 1}"),
        csms=CSMS,
        accounts="account_id,csm_id\nK1,alice\nK2,alice\n",
        # end snapshot = 2026-08 (the end date's month): K1 active, K2 not
        mrr="account_id,month,mrr\nK1,2026-08,10\nK2,2026-09,10\n",
        # 2026-07-15..2026-08-10: points 07-15, 07-28 (13), 08-10 (13) -> passes
        activities=activities([("K1", "call", "2026-07-28", ""), ("K2", "call", "2026-07-28", "")]),
    )
    rows = score_range(cfg, date(2026, 7, 15), date(2026, 8, 10))
    assert numbers(rows[("alice", "touch")]) == (approx(1.0), 1, 1, 1)


# --- activity_coverage ---------------------------------------------------------------

COVERAGE = kpis("{id: cov, metric: activity_coverage, target: 0.8, weight: 1}")

COVERAGE_ACCOUNTS = """
account_id,csm_id
E1,alice
E2,alice
E3,alice
E4,bob
E5,bob
E6,bob
"""

# active at the end of Q3: E1-E5; E6 churned (Sep 0)
COVERAGE_MRR = """
account_id,month,mrr
E1,2026-09,10
E2,2026-09,10
E3,2026-09,10
E4,2026-09,10
E5,2026-09,10
E6,2026-06,10
E6,2026-09,0
"""

COVERAGE_ACTIVITIES = (
    ACT_HEADER
    + """c1,E1,qbr,2026-07-15,
c2,E1,qbr,2026-08-15,
c3,E2," QBR ",2026-09-30T18:00:00,
c4,E3,check_in,2026-07-15,
c5,E4,EBR,2026-08-01,carol
c6,E5,qbr,2026-06-30,
c7,E5,qbr,2026-10-01,
c8,E6,qbr,2026-08-01,
c9,E3,qbr-prep,2026-08-01,
"""
)


def test_coverage_per_csm_and_pooled_all(build, score_long):
    cfg = build(kpis=COVERAGE, csms=CSMS, accounts=COVERAGE_ACCOUNTS, mrr=COVERAGE_MRR, activities=COVERAGE_ACTIVITIES)
    rows = score_long(cfg)
    # alice: E1 (2 qbr), E2 (" QBR " on P's last day) covered; E3 (check_in, "qbr-prep") not -> 2/3
    assert numbers(rows[("alice", "cov")]) == (approx(2 / 3), 2, 3, 3)
    # bob: E4 (EBR by carol) covered; E5 (qbr only outside Q3) not; E6 not active -> 1/2
    assert numbers(rows[("bob", "cov")]) == (approx(0.5), 1, 2, 2)
    # ALL: 3/5 = 0.6, not (2/3 + 1/2) / 2
    t = rows[("ALL", "cov")]
    assert numbers(t) == (approx(0.6), 3, 5, 5)
    assert t["value"] != approx((2 / 3 + 1 / 2) / 2)
    c = rows[("carol", "cov")]
    assert (c["value"], c["numerator"], c["denominator"], c["sample_size"], c["status"]) == (
        None,
        None,
        None,
        0,
        "no-data",
    )


def test_coverage_min_count_and_types(build, score_long):
    cfg = build(
        kpis=kpis(
            "{id: two, metric: activity_coverage, params: {min_count: 2}, target: 0.8, weight: 1}",
            "{id: chk, metric: activity_coverage, params: {types: [CHECK_IN]}, target: 0.8, weight: 1}",
            "{id: any, metric: activity_coverage, params: {types: all}, target: 0.8, weight: 1}",
        ),
        csms=CSMS,
        accounts=COVERAGE_ACCOUNTS,
        mrr=COVERAGE_MRR,
        activities=COVERAGE_ACTIVITIES,
    )
    rows = score_long(cfg)
    # min_count 2 of qbr/ebr: only E1 -> ALL 1/5
    assert numbers(rows[("alice", "two")]) == (approx(1 / 3), 1, 3, 3)
    assert numbers(rows[("ALL", "two")]) == (approx(0.2), 1, 5, 5)
    # check_in: only E3 -> ALL 1/5
    assert numbers(rows[("alice", "chk")]) == (approx(1 / 3), 1, 3, 3)
    assert numbers(rows[("bob", "chk")]) == (approx(0.0), 0, 2, 2)
    # all types: E1, E2, E3, E4 -> 4/5
    assert numbers(rows[("ALL", "any")]) == (approx(0.8), 4, 5, 5)


def test_coverage_unassigned(build, score_long):
    cfg = build(
        kpis=COVERAGE,
        csms=CSMS,
        accounts="account_id,csm_id\nE1,\nE2,alice\n",
        mrr="account_id,month,mrr\nE1,2026-09,10\nE2,2026-09,10\nE9,2026-09,10\n",
        activities=ACT_HEADER + "c1,E1,qbr,2026-07-15,alice\nc2,E2,ebr,2026-07-15,\n",
    )
    rows = score_long(cfg)
    # (unassigned): E1 (covered), E9 (not in accounts, no activity) -> 1/2
    assert numbers(rows[("(unassigned)", "cov")]) == (approx(0.5), 1, 2, 2)
    assert numbers(rows[("alice", "cov")]) == (approx(1.0), 1, 1, 1)
    assert numbers(rows[("ALL", "cov")]) == (approx(2 / 3), 2, 3, 3)


# --- activity_count ------------------------------------------------------------------

COUNT = kpis(
    "{id: cnt, metric: activity_count, target: 3, weight: 1}",
    "{id: reviews, metric: activity_count, params: {types: [qbr, EBR]}, target: 1, weight: 1}",
)

COUNT_CSMS = CSMS + "dave,Dave\n"

COUNT_ACCOUNTS = """
account_id,csm_id
E1,alice
E4,bob
E6,bob
E7,
"""

COUNT_ACTIVITIES = (
    ACT_HEADER
    + """a1,E1,qbr,2026-07-15,
a2,E1,check_in,2026-07-16,bob
a3,E4,ebr,2026-08-01,carol
a4,E4,email,2026-08-02,
a5,E6,call,2026-09-30T23:00:00,
a6,E9,call,2026-07-01,
a7,E1,qbr,2026-06-30,
a8,E1,qbr,2026-10-01,
a9,E7,Qbr,2026-08-03,alice
a10,E7,call,2026-08-04,
"""
)

# E6 churned at the start of Q3: its activities still count
COUNT_MRR = """
account_id,month,mrr
E1,2026-09,10
E4,2026-09,10
E6,2026-06,10
"""


def test_count_credited_to_the_csm_who_did_it(build, score_long):
    cfg = build(kpis=COUNT, csms=COUNT_CSMS, accounts=COUNT_ACCOUNTS, mrr=COUNT_MRR, activities=COUNT_ACTIVITIES)
    rows = score_long(cfg)
    # in Q3: a1..a6, a9, a10 (a7 06-30 and a8 10-01 are out)
    # alice: a1 (owner, empty csm_id), a9 (her own csm_id on an unowned account) -> 2
    assert numbers(rows[("alice", "cnt")]) == (approx(2), approx(2), None, 2)
    # bob: a2 (his csm_id on alice's account), a4 (owner), a5 (owner; churned account) -> 3
    assert numbers(rows[("bob", "cnt")]) == (approx(3), approx(3), None, 3)
    # carol owns nothing but did a3 -> 1
    assert numbers(rows[("carol", "cnt")]) == (approx(1), approx(1), None, 1)
    # (unassigned): a6 (E9 not in accounts), a10 (E7 has no owner, no csm_id) -> 2
    assert numbers(rows[("(unassigned)", "cnt")]) == (approx(2), approx(2), None, 2)
    # dave: nothing -> 0 over 0
    assert numbers(rows[("dave", "cnt")]) == (approx(0), approx(0), None, 0)
    # ALL: 8, a sum (not the mean over CSMs)
    assert numbers(rows[("ALL", "cnt")]) == (approx(8), approx(8), None, 8)
    # target 3: bob 3/3 = 1.0 (green), alice 2/3
    assert (rows[("bob", "cnt")]["attainment"], rows[("bob", "cnt")]["status"]) == (approx(1.0), "green")
    assert rows[("alice", "cnt")]["attainment"] == approx(2 / 3)


def test_count_types_filter(build, score_long):
    cfg = build(kpis=COUNT, csms=COUNT_CSMS, accounts=COUNT_ACCOUNTS, mrr=COUNT_MRR, activities=COUNT_ACTIVITIES)
    rows = score_long(cfg)
    # qbr/ebr in Q3: a1 (alice), a3 (carol), a9 ("Qbr", alice)
    assert numbers(rows[("alice", "reviews")]) == (approx(2), approx(2), None, 2)
    assert numbers(rows[("carol", "reviews")]) == (approx(1), approx(1), None, 1)
    assert numbers(rows[("bob", "reviews")]) == (approx(0), approx(0), None, 0)
    assert numbers(rows[("ALL", "reviews")]) == (approx(3), approx(3), None, 3)


def test_count_empty_csm_id_goes_to_owner_on_the_activity_date(build, score_long):
    cfg = build(
        kpis=COUNT,
        csms=COUNT_CSMS,
        accounts="account_id,csm_id\nE1,carol\n",
        # E1: alice until 2026-08-15, bob from 2026-08-16
        assignments="""
        account_id,csm_id,start_date,end_date
        E1,alice,2026-01-01,2026-08-15
        E1,bob,2026-08-16,
        """,
        activities=ACT_HEADER + "a1,E1,call,2026-08-15,\na2,E1,call,2026-08-16,\na3,E1,call,2026-08-17,dave\n",
    )
    rows = score_long(cfg)
    # a1 -> alice (owner on 08-15), a2 -> bob (owner on 08-16), a3 -> dave (his own csm_id)
    assert numbers(rows[("alice", "cnt")]) == (approx(1), approx(1), None, 1)
    assert numbers(rows[("bob", "cnt")]) == (approx(1), approx(1), None, 1)
    assert numbers(rows[("dave", "cnt")]) == (approx(1), approx(1), None, 1)
    assert numbers(rows[("carol", "cnt")]) == (approx(0), approx(0), None, 0)


def test_count_by_team_follows_the_actor(build, score_long):
    cfg = build(
        kpis=COUNT,
        csms="""
        csm_id,csm_name,team
        alice,Alice,t1
        bob,Bob,t2
        carol,Carol,t2
        dave,Dave,t3
        """,
        accounts=COUNT_ACCOUNTS,
        mrr=COUNT_MRR,
        activities=COUNT_ACTIVITIES,
    )
    rows = score_long(cfg, by="team")
    # t1 = alice: 2; t2 = bob 3 + carol 1 = 4; t3 = dave: 0; (unassigned): 2
    assert numbers(rows[("t1", "cnt")]) == (approx(2), approx(2), None, 2)
    assert numbers(rows[("t2", "cnt")]) == (approx(4), approx(4), None, 4)
    assert numbers(rows[("t3", "cnt")]) == (approx(0), approx(0), None, 0)
    assert numbers(rows[("(unassigned)", "cnt")]) == (approx(2), approx(2), None, 2)
    assert numbers(rows[("ALL", "cnt")]) == (approx(8), approx(8), None, 8)


def test_count_range_not_aligned_to_months(build):
    cfg = build(
        kpis=COUNT,
        csms=COUNT_CSMS,
        accounts=COUNT_ACCOUNTS,
        activities=ACT_HEADER
        + "a1,E1,call,2026-07-14,\na2,E1,call,2026-07-15,\na3,E1,call,2026-08-10T23:59:00,\na4,E1,call,2026-08-11,\n",
    )
    rows = score_range(cfg, date(2026, 7, 15), date(2026, 8, 10))
    assert numbers(rows[("alice", "cnt")]) == (approx(2), approx(2), None, 2)


def test_cadence_and_coverage_without_a_csm_id_column(build, score_long):
    cfg = build(
        kpis=kpis(
            "{id: touch, metric: touch_cadence, params: {max_gap_days: 91}, target: 0.5, weight: 1}",
            "{id: cov, metric: activity_coverage, target: 0.8, weight: 1}",
        ),
        csms=CSMS,
        accounts="account_id,csm_id\nE1,alice\nE2,alice\n",
        mrr="account_id,month,mrr\nE1,2026-09,10\nE2,2026-09,10\n",
        # csm_id is optional: the file may leave it out
        activities="activity_id,account_id,type,occurred_at\nc1,E1,qbr,2026-07-15\n",
    )
    rows = score_long(cfg)
    # cadence (max 91): both pass; coverage: E1 only
    assert numbers(rows[("alice", "touch")]) == (approx(1.0), 2, 2, 2)
    assert numbers(rows[("alice", "cov")]) == (approx(0.5), 1, 2, 2)


def test_count_without_a_csm_id_column_credits_the_owner(build, score_long):
    cfg = build(
        kpis=COUNT,
        csms=COUNT_CSMS,
        accounts="account_id,csm_id\nE1,alice\nE4,bob\n",
        activities="activity_id,account_id,type,occurred_at\na1,E1,qbr,2026-07-15\na2,E4,call,2026-07-16\n"
        "a3,E4,call,2026-08-16\n",
    )
    rows = score_long(cfg)
    # no csm_id at all = every csm_id empty -> the owner: alice 1, bob 2
    assert numbers(rows[("alice", "cnt")]) == (approx(1), approx(1), None, 1)
    assert numbers(rows[("bob", "cnt")]) == (approx(2), approx(2), None, 2)
    assert numbers(rows[("ALL", "cnt")]) == (approx(3), approx(3), None, 3)


def test_header_only_activities_file(build, score_long):
    cfg = build(
        kpis=kpis(
            "{id: touch, metric: touch_cadence, target: 0.5, weight: 1}",
            "{id: cov, metric: activity_coverage, target: 0.8, weight: 1}",
            "{id: cnt, metric: activity_count, target: 3, weight: 1}",
        ),
        csms=CSMS,
        accounts="account_id,csm_id\nE1,alice\n",
        mrr="account_id,month,mrr\nE1,2026-09,10\n",
        activities=ACT_HEADER,
    )
    rows = score_long(cfg)
    # E1 active, never touched: cadence 0/1 (gap 91), coverage 0/1; no activity: count 0 over 0
    assert numbers(rows[("alice", "touch")]) == (approx(0.0), 0, 1, 1)
    assert numbers(rows[("alice", "cov")]) == (approx(0.0), 0, 1, 1)
    for group in ("alice", "bob", "ALL"):
        assert numbers(rows[(group, "cnt")]) == (approx(0), approx(0), None, 0), group


def test_cadence_gaps_and_touches_equal_a_brute_force_count(build):
    """Many accounts, ids out of order and of mixed length, some inactive: each unit's gap and touches by hand."""
    import random

    from csmkpi.engine import metric_units, snapshots

    rng = random.Random(19)
    ids = [f"A{rng.randrange(10 ** rng.randrange(1, 6))}-{i}" for i in range(300)]
    rng.shuffle(ids)
    active = {a for a in ids if rng.random() < 0.8}
    start, end = date(2026, 7, 1), date(2026, 9, 30)
    days = [date.fromordinal(o) for o in range(date(2026, 6, 20).toordinal(), date(2026, 10, 10).toordinal())]
    touches = [(rng.choice(ids), "call", rng.choice(days).isoformat(), "") for _ in range(2000)]
    cfg = build(
        kpis=CADENCE,
        csms=CSMS,
        accounts="account_id,csm_id\n" + "".join(f"{a},alice\n" for a in ids),
        mrr="account_id,month,mrr\n" + "".join(f"{a},2026-09,{10 if a in active else 0}\n" for a in ids),
        activities=activities(touches),
    )
    run = engine.prepare(engine.ScoreRequest(config=cfg, period="2026-Q3", as_of=date(2026, 10, 15)))
    tables = run.data.lazy()
    units = metric_units(run, run.kpis[0], tables, snapshots(run)).collect()
    got = {r["account_id"]: (r["max_gap_days"], r["touches"]) for r in units.iter_rows(named=True)}
    expected = {}
    for account in active:
        points = sorted(
            [
                start,
                end,
                *(
                    date.fromisoformat(d)
                    for a, _, d, _ in touches
                    if a == account and start <= date.fromisoformat(d) <= end
                ),
            ]
        )
        expected[account] = (max((b - a).days for a, b in zip(points, points[1:], strict=False)), len(points) - 2)
    assert got == expected
