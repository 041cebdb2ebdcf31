"""Hand-computed tests for the ``fcr`` metric (SPEC §3, §4).

fcr = count(contacts <= 1 and not reopened) / count(tickets resolved in P with contacts known).
Tickets are dated by resolved_at (not opened_at); unresolved tickets and tickets with
empty contacts are left out; an empty reopened counts as not reopened.
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
  - {id: fcr, metric: fcr, target: 0.5, weight: 1}
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
        tickets="""
        ticket_id,account_id,opened_at,resolved_at,contacts,reopened
        t1,A1,2026-07-01,2026-07-01,1,false
        t2,A1,2026-07-01,2026-07-02,0,no
        t3,A2,2026-07-01,2026-07-03,2,false
        t4,A2,2026-07-01,2026-07-04,1,true
        t5,A3,2026-07-01,2026-07-05,1,n
        t6,A3,2026-07-01,2026-07-06,1,n
        t7,A3,2026-07-01,2026-07-07,3,n
        t8,A3,2026-07-01,2026-07-08,1,n
        t9,A3,2026-07-01,2026-07-09,1,n
        t10,A3,2026-07-01,2026-07-10,1,n
        """,
    )
    rows = score_long(cfg)
    # alice: t1 (1 contact), t2 (0 contacts) one-touch; t3 (2 contacts), t4 (reopened) not -> 2/4
    assert numbers(rows[("alice", "fcr")]) == (approx(0.5), 2, 4, 4)
    # bob: t5, t6, t8, t9, t10 one-touch; t7 not -> 5/6
    assert numbers(rows[("bob", "fcr")]) == (approx(5 / 6), 5, 6, 6)
    # ALL: 7/10 = 0.7, not the mean of ratios (0.5 + 5/6) / 2 = 0.6667
    t = rows[("ALL", "fcr")]
    assert numbers(t) == (approx(0.7), 7, 10, 10)
    assert t["value"] != approx((0.5 + 5 / 6) / 2)
    c = rows[("carol", "fcr")]
    assert (c["value"], c["numerator"], c["denominator"], c["sample_size"], c["status"]) == (
        None,
        None,
        None,
        0,
        "no-data",
    )


def test_contacts_and_reopened_edges(build, score_long):
    cfg = build(
        kpis=KPIS,
        csms=CSMS,
        accounts=ACCOUNTS,
        # t1: contacts empty -> excluded from the metric entirely
        # t2: contacts 0 -> one-touch (resolved without a reply)
        # t3: reopened empty -> not reopened -> one-touch
        # t4: reopened yes -> not one-touch
        # t5: unresolved (resolved_at empty) -> excluded
        # t6: contacts 2, reopened empty -> not one-touch
        tickets="""
        ticket_id,account_id,opened_at,resolved_at,contacts,reopened
        t1,A1,2026-07-01,2026-07-02,,false
        t2,A1,2026-07-01,2026-07-02,0,false
        t3,A1,2026-07-01,2026-07-02,1,
        t4,A1,2026-07-01,2026-07-02,1,yes
        t5,A1,2026-07-01,,1,false
        t6,A1,2026-07-01,2026-07-02,2,
        """,
    )
    rows = score_long(cfg)
    # counted: t2, t3, t4, t6 -> one-touch t2, t3 -> 2/4
    assert numbers(rows[("alice", "fcr")]) == (approx(0.5), 2, 4, 4)


def test_dated_by_resolved_at_with_boundaries(build, score_long):
    cfg = build(
        kpis=KPIS,
        csms=CSMS,
        accounts=ACCOUNTS,
        # opened before P, resolved on P's first day -> in
        # opened in P, resolved on the last day -> in
        # opened in P, resolved the day after P -> out
        # resolved the day before P -> out
        tickets="""
        ticket_id,account_id,opened_at,resolved_at,contacts,reopened
        first,A1,2026-06-20,2026-07-01T00:00:00,1,false
        last,A1,2026-09-01,2026-09-30T23:59:59,2,false
        after,A1,2026-09-30,2026-10-01T00:00:01,1,false
        before,A1,2026-06-29,2026-06-30T23:59:59,1,false
        openonly,A1,2026-08-01,,0,false
        """,
    )
    rows = score_long(cfg)
    # first (one-touch), last (2 contacts) -> 1/2
    assert numbers(rows[("alice", "fcr")]) == (approx(0.5), 1, 2, 2)


def test_range_not_aligned_to_months(build):
    cfg = build(
        kpis=KPIS,
        csms=CSMS,
        accounts=ACCOUNTS,
        tickets="""
        ticket_id,account_id,opened_at,resolved_at,contacts,reopened
        t1,A1,2026-07-01,2026-07-14,1,false
        t2,A1,2026-07-01,2026-07-15,1,false
        t3,A1,2026-07-01,2026-08-10,5,false
        t4,A1,2026-08-01,2026-08-11,1,false
        """,
    )
    card = engine.score(
        engine.ScoreRequest(config=cfg, start=date(2026, 7, 15), end=date(2026, 8, 10), as_of=date(2026, 10, 15))
    )
    rows = {(r["group"], r["kpi"]): r for r in card.long_table().iter_rows(named=True)}
    # t2 (one-touch), t3 (5 contacts) -> 1/2
    assert numbers(rows[("alice", "fcr")]) == (approx(0.5), 1, 2, 2)


def test_owner_on_resolved_date_unassigned_unknown_and_low_n(build, score_long):
    cfg = build(
        kpis="""
        version: 1
        data: {dir: data}
        scoring: {amber_at: 0.9, cap: 1.5, min_sample: 2}
        kpis:
          - {id: fcr, metric: fcr, target: 0.5, weight: 1}
        """,
        csms=CSMS,
        accounts="account_id,csm_id\nA1,alice\nA2,\nA3,bob\n",
        # A1: bob from 2026-08-01; before that no assignment -> accounts.csm_id (alice)
        assignments="""
        account_id,csm_id,start_date,end_date
        A1,bob,2026-08-01,
        """,
        # t1 is opened on 07-20 (alice's time) but resolved on 08-01 (bob's time) -> bob
        tickets="""
        ticket_id,account_id,opened_at,resolved_at,contacts,reopened
        t1,A1,2026-07-20,2026-08-01,1,false
        t2,A1,2026-07-20,2026-07-31,1,false
        t3,A2,2026-07-20,2026-07-31,4,false
        t4,A9,2026-07-20,2026-07-31,0,false
        t5,A3,2026-07-20,2026-07-31,2,false
        """,
    )
    rows = score_long(cfg)
    # alice: t2 -> 1/1, low-n (value shown)
    a = rows[("alice", "fcr")]
    assert numbers(a) == (approx(1.0), 1, 1, 1)
    assert a["status"] == "low-n"
    # bob: t1 (one-touch), t5 (2 contacts) -> 1/2 -> attainment 1.0 -> green
    b = rows[("bob", "fcr")]
    assert numbers(b) == (approx(0.5), 1, 2, 2)
    assert b["status"] == "green"
    # (unassigned): t3 (A2, no owner; 4 contacts), t4 (A9 unknown; one-touch) -> 1/2
    assert numbers(rows[("(unassigned)", "fcr")]) == (approx(0.5), 1, 2, 2)
    # ALL: t1, t2, t4 one-touch of 5
    assert numbers(rows[("ALL", "fcr")]) == (approx(0.6), 3, 5, 5)
