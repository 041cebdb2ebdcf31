"""Hand-computed tests for the book-of-business metrics (SPEC §3, §4).

All use the accounts active at P's end (MRR of P's last month e > 0), owned by the owner
at P's end; sample_size = those accounts.
- referenceable_rate: share with referenceable = true (empty counts as false)
- arr_managed: Σ 12 × e (a sum: value = numerator, denominator empty, 0 for an empty group)
- arr_per_csm / accounts_per_csm: ARR managed / active accounts over the distinct owners of the
  group's active accounts ((unassigned) has no value; ALL counts only real CSMs)
- cost_to_serve: Σ annual_cost of the group's CSMs (csms.csv members by csm/team/manager,
  owners of active accounts by segment/region; ALL: every CSM of csms.csv under every
  grouping; empty cost = 0) / ARR managed

Period 2026-Q3 = 2026-07-01..2026-09-30: e = the 2026-09 snapshot.
"""

from __future__ import annotations

from datetime import date

import pytest
from pytest import approx

from csmkpi import engine

KPIS = """
version: 1
data: {dir: data}
scoring: {amber_at: 0.9, cap: 1.5, min_sample: 1}
kpis:
  - {id: ref, metric: referenceable_rate, target: 0.5, weight: 1}
  - {id: arr, metric: arr_managed}
  - {id: arr_csm, metric: arr_per_csm}
  - {id: acc_csm, metric: accounts_per_csm}
  - {id: cts, metric: cost_to_serve, target: 15, better: lower, weight: 1}
"""

CSMS = """
csm_id,csm_name,team,manager,annual_cost
alice,Alice,t1,m1,120000
bob,Bob,t1,m2,60000
carol,Carol,t2,m1,50000
dave,Dave,t2,m2,
"""

# F1-F4, F7, F8 active at the end; F5 churned (Sep 0); F6 has no Sep row; F9 is not in accounts.csv.
ACCOUNTS = """
account_id,csm_id,segment,region,referenceable
F1,alice,smb,emea,true
F2,alice,ent,emea,false
F3,alice,smb,na,
F4,bob,ent,na,yes
F5,bob,smb,na,true
F6,bob,smb,na,true
F7,,ent,emea,true
F8,dave,smb,,no
"""

MRR = """
account_id,month,mrr
F1,2026-09,100
F2,2026-09,200
F3,2026-09,300
F4,2026-09,400
F5,2026-06,100
F5,2026-09,0
F6,2026-08,500
F7,2026-09,50
F8,2026-09,250
F9,2026-09,10
"""
# ARR (12 × e): F1 1200, F2 2400, F3 3600, F4 4800, F7 600, F8 3000, F9 120
# alice: F1-F3 = 7200 (3 accounts); bob: F4 = 4800 (1); dave: F8 = 3000 (1);
# (unassigned): F7 + F9 = 720 (2); carol: none. ALL: 15720 over 7 accounts.


def numbers(row):
    return row["value"], row["numerator"], row["denominator"], row["sample_size"]


@pytest.fixture
def book(build):
    return build(kpis=KPIS, csms=CSMS, accounts=ACCOUNTS, mrr=MRR)


# --- referenceable_rate --------------------------------------------------------------


def test_referenceable_per_csm_and_pooled_all(book, score_long):
    rows = score_long(book)
    # alice: F1 true, F2 false, F3 empty (false) -> 1/3
    assert numbers(rows[("alice", "ref")]) == (approx(1 / 3), 1, 3, 3)
    # bob: F4 yes -> 1/1 (F5 and F6 are not active at the end, though referenceable)
    assert numbers(rows[("bob", "ref")]) == (approx(1.0), 1, 1, 1)
    assert numbers(rows[("dave", "ref")]) == (approx(0.0), 0, 1, 1)
    # (unassigned): F7 true, F9 (not in accounts: no flag = false) -> 1/2
    assert numbers(rows[("(unassigned)", "ref")]) == (approx(0.5), 1, 2, 2)
    c = rows[("carol", "ref")]
    assert (c["value"], c["numerator"], c["denominator"], c["sample_size"], c["status"]) == (
        None,
        None,
        None,
        0,
        "no-data",
    )
    # ALL pooled: 3/7, not the mean of the groups' ratios
    t = rows[("ALL", "ref")]
    assert numbers(t) == (approx(3 / 7), 3, 7, 7)
    assert t["value"] != approx((1 / 3 + 1 + 0 + 0.5) / 4)


def test_referenceable_by_segment(book, score_long):
    rows = score_long(book, by="segment")
    # smb active: F1 (true), F3 (empty), F8 (no) -> 1/3; ent: F2 (false), F4 (yes), F7 (true) -> 2/3
    assert numbers(rows[("smb", "ref")]) == (approx(1 / 3), 1, 3, 3)
    assert numbers(rows[("ent", "ref")]) == (approx(2 / 3), 2, 3, 3)
    # (unassigned): F9 -> 0/1
    assert numbers(rows[("(unassigned)", "ref")]) == (approx(0.0), 0, 1, 1)


# --- arr_managed ---------------------------------------------------------------------


def test_arr_managed_per_csm_and_all(book, score_long):
    rows = score_long(book)
    assert numbers(rows[("alice", "arr")]) == (approx(7200), approx(7200), None, 3)
    assert numbers(rows[("bob", "arr")]) == (approx(4800), approx(4800), None, 1)
    assert numbers(rows[("dave", "arr")]) == (approx(3000), approx(3000), None, 1)
    assert numbers(rows[("(unassigned)", "arr")]) == (approx(720), approx(720), None, 2)
    assert numbers(rows[("carol", "arr")]) == (approx(0), approx(0), None, 0)
    assert numbers(rows[("ALL", "arr")]) == (approx(15720), approx(15720), None, 7)


def test_arr_managed_period_end_snapshot(book, score_long):
    # 2026-08: e = the Aug snapshot: only F6 (500 -> 6000)
    rows = score_long(book, "2026-08")
    assert numbers(rows[("bob", "arr")]) == (approx(6000), approx(6000), None, 1)
    assert numbers(rows[("alice", "arr")]) == (approx(0), approx(0), None, 0)
    assert numbers(rows[("ALL", "arr")]) == (approx(6000), approx(6000), None, 1)
    # 2026-06: F5 (100 -> 1200)
    rows = score_long(book, "2026-06")
    assert numbers(rows[("ALL", "arr")]) == (approx(1200), approx(1200), None, 1)


def test_owner_at_period_end(build, score_long):
    cfg = build(
        kpis=KPIS,
        csms=CSMS,
        accounts="account_id,csm_id,referenceable\nH1,carol,true\nH2,carol,false\n",
        # H1: alice until 2026-09-29, bob from 2026-09-30 (P's end) -> bob
        # H2: alice from 2026-07-01 to 2026-09-30 -> alice
        assignments="""
        account_id,csm_id,start_date,end_date
        H1,alice,2026-01-01,2026-09-29
        H1,bob,2026-09-30,
        H2,alice,2026-07-01,2026-09-30
        """,
        mrr="account_id,month,mrr\nH1,2026-09,10\nH2,2026-09,20\n",
    )
    rows = score_long(cfg)
    assert numbers(rows[("bob", "arr")]) == (approx(120), approx(120), None, 1)
    assert numbers(rows[("alice", "arr")]) == (approx(240), approx(240), None, 1)
    assert numbers(rows[("carol", "arr")]) == (approx(0), approx(0), None, 0)
    assert numbers(rows[("bob", "ref")]) == (approx(1.0), 1, 1, 1)
    assert numbers(rows[("alice", "ref")]) == (approx(0.0), 0, 1, 1)


def test_from_subscriptions(build, score_long):
    cfg = build(
        kpis=KPIS,
        csms=CSMS,
        accounts="account_id,csm_id,referenceable\nS1,alice,true\nS2,alice,false\nS3,bob,true\n",
        # in force at 2026-09-30: s1 (open) 100, s2 (ends 2026-09-30) 50; s3 ended 2026-09-29 -> not
        subscriptions="""
        subscription_id,account_id,start_date,end_date,mrr
        s1,S1,2026-01-01,,100
        s2,S2,2026-09-01,2026-09-30,50
        s3,S3,2026-01-01,2026-09-29,70
        """,
    )
    rows = score_long(cfg)
    assert numbers(rows[("alice", "arr")]) == (approx(1800), approx(1800), None, 2)
    assert numbers(rows[("bob", "arr")]) == (approx(0), approx(0), None, 0)
    assert numbers(rows[("alice", "ref")]) == (approx(0.5), 1, 2, 2)


# --- arr_per_csm, accounts_per_csm ---------------------------------------------------


def test_per_csm_by_csm(book, score_long):
    rows = score_long(book)
    # each CSM is one distinct owner of their own active accounts
    assert numbers(rows[("alice", "arr_csm")]) == (approx(7200), approx(7200), 1, 3)
    assert numbers(rows[("bob", "arr_csm")]) == (approx(4800), approx(4800), 1, 1)
    assert numbers(rows[("dave", "arr_csm")]) == (approx(3000), approx(3000), 1, 1)
    assert numbers(rows[("alice", "acc_csm")]) == (approx(3), 3, 1, 3)
    assert numbers(rows[("bob", "acc_csm")]) == (approx(1), 1, 1, 1)
    # (unassigned): no owner -> no value (720 / 0, 2 / 0)
    u = rows[("(unassigned)", "arr_csm")]
    assert (u["value"], u["numerator"], u["denominator"], u["sample_size"]) == (None, approx(720), 0, 2)
    u = rows[("(unassigned)", "acc_csm")]
    assert (u["value"], u["numerator"], u["denominator"], u["sample_size"]) == (None, 2, 0, 2)
    # carol: no active accounts -> no value
    c = rows[("carol", "arr_csm")]
    assert (c["value"], c["sample_size"]) == (None, 0)
    c = rows[("carol", "acc_csm")]
    assert (c["value"], c["sample_size"]) == (None, 0)


def test_per_csm_all_counts_only_real_csms(book, score_long):
    rows = score_long(book)
    # ALL: ARR managed 15720 over the distinct owners alice, bob, dave (not carol: no active
    # account; not the unowned F7 / F9) = 5240. The mean of the CSMs' values (7200 + 4800 + 3000) / 3
    # = 5000 differs: the unassigned ARR is managed too.
    t = rows[("ALL", "arr_csm")]
    assert numbers(t) == (approx(5240), approx(15720), 3, 7)
    assert t["value"] != approx(5000)
    # accounts: 7 / 3
    assert numbers(rows[("ALL", "acc_csm")]) == (approx(7 / 3), 7, 3, 7)


def test_per_csm_by_team_and_segment(book, score_long):
    rows = score_long(book, by="team")
    # t1 = alice + bob: (7200 + 4800) / 2 = 6000; accounts 4 / 2
    assert numbers(rows[("t1", "arr_csm")]) == (approx(6000), approx(12000), 2, 4)
    assert numbers(rows[("t1", "acc_csm")]) == (approx(2), 4, 2, 4)
    # t2 = carol + dave: only dave owns active accounts -> 3000 / 1 (carol is not counted)
    assert numbers(rows[("t2", "arr_csm")]) == (approx(3000), approx(3000), 1, 1)
    assert numbers(rows[("t2", "acc_csm")]) == (approx(1), 1, 1, 1)
    rows = score_long(book, by="segment")
    # smb: F1 (alice), F3 (alice), F8 (dave) -> 7800 / 2 owners = 3900; 3 / 2
    assert numbers(rows[("smb", "arr_csm")]) == (approx(3900), approx(7800), 2, 3)
    assert numbers(rows[("smb", "acc_csm")]) == (approx(1.5), 3, 2, 3)
    # ent: F2 (alice), F4 (bob), F7 (no owner) -> 7800 / 2 owners = 3900; 3 / 2
    assert numbers(rows[("ent", "arr_csm")]) == (approx(3900), approx(7800), 2, 3)
    assert numbers(rows[("ent", "acc_csm")]) == (approx(1.5), 3, 2, 3)
    # ALL: alice counted once although she is in both segments
    assert numbers(rows[("ALL", "arr_csm")]) == (approx(5240), approx(15720), 3, 7)


# --- cost_to_serve -------------------------------------------------------------------


def test_cost_to_serve_per_csm(book, score_long):
    rows = score_long(book)
    # alice 120000 / 7200; bob 60000 / 4800 = 12.5; dave: empty cost = 0 -> 0 / 3000 = 0
    assert numbers(rows[("alice", "cts")]) == (approx(120000 / 7200), approx(120000), approx(7200), 3)
    assert numbers(rows[("bob", "cts")]) == (approx(12.5), approx(60000), approx(4800), 1)
    assert numbers(rows[("dave", "cts")]) == (approx(0.0), approx(0), approx(3000), 1)
    # (unassigned): ARR 720 but no CSM
    u = rows[("(unassigned)", "cts")]
    assert (u["denominator"], u["sample_size"]) == (approx(720), 2)


def test_cost_to_serve_all_includes_csms_without_accounts(book, score_long):
    rows = score_long(book)
    # ALL: every CSM of csms.csv: 120000 + 60000 + 50000 + 0 = 230000 over ARR 15720
    t = rows[("ALL", "cts")]
    assert numbers(t) == (approx(230000 / 15720), approx(230000), approx(15720), 7)


def test_cost_to_serve_csm_without_accounts_has_a_numerator(book, score_long):
    rows = score_long(book)
    # carol: annual_cost 50000, no active account -> numerator 50000, no value, sample 0
    c = rows[("carol", "cts")]
    assert (c["value"], c["numerator"], c["sample_size"]) == (None, approx(50000), 0)


def test_cost_to_serve_by_team_and_manager(book, score_long):
    rows = score_long(book, by="team")
    # t1 = alice + bob: 180000 / (7200 + 4800) = 15
    assert numbers(rows[("t1", "cts")]) == (approx(15.0), approx(180000), approx(12000), 4)
    # t2 = carol + dave (csms.csv members, carol without accounts included): 50000 + 0 over 3000
    assert numbers(rows[("t2", "cts")]) == (approx(50000 / 3000), approx(50000), approx(3000), 1)
    assert numbers(rows[("ALL", "cts")]) == (approx(230000 / 15720), approx(230000), approx(15720), 7)
    rows = score_long(book, by="manager")
    # m1 = alice + carol: 170000 / 7200; m2 = bob + dave: 60000 / (4800 + 3000)
    assert numbers(rows[("m1", "cts")]) == (approx(170000 / 7200), approx(170000), approx(7200), 3)
    assert numbers(rows[("m2", "cts")]) == (approx(60000 / 7800), approx(60000), approx(7800), 2)


def test_cost_to_serve_by_segment_uses_owners_of_active_accounts(book, score_long):
    rows = score_long(book, by="segment")
    # smb: owners alice, dave -> 120000 + 0 over ARR 1200 + 3600 + 3000 = 7800
    assert numbers(rows[("smb", "cts")]) == (approx(120000 / 7800), approx(120000), approx(7800), 3)
    # ent: owners alice, bob (F7 has none) -> 180000 over 2400 + 4800 + 600 = 7800
    assert numbers(rows[("ent", "cts")]) == (approx(180000 / 7800), approx(180000), approx(7800), 3)
    # ALL is the department's in every grouping: every CSM of csms.csv, carol (no active account)
    # included -> 230000 over 15720, as by csm (once the owners of active accounts: 180000, a wrong number)
    assert numbers(rows[("ALL", "cts")]) == (approx(230000 / 15720), approx(230000), approx(15720), 7)


def test_cost_to_serve_by_region(book, score_long):
    rows = score_long(book, by="region")
    # emea: F1, F2 (alice), F7 (none) -> 120000 over 1200 + 2400 + 600 = 4200
    assert numbers(rows[("emea", "cts")]) == (approx(120000 / 4200), approx(120000), approx(4200), 3)
    # na: F3 (alice), F4 (bob) -> 180000 over 3600 + 4800 = 8400
    assert numbers(rows[("na", "cts")]) == (approx(180000 / 8400), approx(180000), approx(8400), 2)
    assert numbers(rows[("ALL", "cts")]) == (approx(230000 / 15720), approx(230000), approx(15720), 7)


def test_book_metrics_range_not_aligned_to_months(book):
    card = engine.score(
        engine.ScoreRequest(config=book, start=date(2026, 7, 15), end=date(2026, 8, 10), as_of=date(2026, 10, 15))
    )
    rows = {(r["group"], r["kpi"]): r for r in card.long_table().iter_rows(named=True)}
    # end snapshot = 2026-08 (the end date's month): F6 only (bob, 500 -> 6000, referenceable)
    assert numbers(rows[("bob", "arr")]) == (approx(6000), approx(6000), None, 1)
    assert numbers(rows[("bob", "ref")]) == (approx(1.0), 1, 1, 1)
    assert numbers(rows[("bob", "acc_csm")]) == (approx(1), 1, 1, 1)
    assert numbers(rows[("ALL", "cts")]) == (approx(230000 / 6000), approx(230000), approx(6000), 1)


def test_without_the_optional_referenceable_and_annual_cost_columns(build, score_long):
    cfg = build(
        kpis=KPIS,
        csms="csm_id,csm_name\nalice,Alice\n",
        accounts="account_id,csm_id\nA1,alice\n",
        mrr="account_id,month,mrr\nA1,2026-09,10\n",
    )
    rows = score_long(cfg)
    # ARR managed is unaffected: 12 × 10
    assert numbers(rows[("alice", "arr")]) == (approx(120), approx(120), None, 1)
    # referenceable all empty -> false -> 0/1 (or not computable: no value)
    assert rows[("alice", "ref")]["value"] in (approx(0.0), None)
    # annual_cost all empty -> 0 -> 0 / 120 (or not computable: no value)
    assert rows[("alice", "cts")]["value"] in (approx(0.0), None)


def test_no_active_account_at_the_end(build, score_long):
    cfg = build(
        kpis=KPIS,
        csms=CSMS,
        accounts="account_id,csm_id,referenceable\nA1,alice,true\n",
        # A1 stopped paying before Q3's last month
        mrr="account_id,month,mrr\nA1,2026-08,10\nA1,2026-09,0\n",
    )
    rows = score_long(cfg)
    for group in ("alice", "bob", "ALL"):
        # a sum is 0 over 0; the ratios and per-CSM values have no value
        assert numbers(rows[(group, "arr")]) == (approx(0), approx(0), None, 0), group
        for kpi in ("ref", "arr_csm", "acc_csm", "cts"):
            r = rows[(group, kpi)]
            assert (r["value"], r["sample_size"]) == (None, 0), (group, kpi)
