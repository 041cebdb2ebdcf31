"""Hand-computed tests for the ``nrr`` metric (SPEC §3, §4).

Period 2026-Q3 = 2026-07-01..2026-09-30 unless said otherwise: start MRR s is the
2026-06 snapshot, end MRR e the 2026-09 snapshot. nrr = Σe / Σs over the cohort
(accounts with s > 0).
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
  - {id: nrr, metric: nrr, target: 1.0, weight: 1}
"""

KPIS_T12 = """
version: 1
data: {dir: data}
scoring: {amber_at: 0.9, cap: 1.5, min_sample: 1}
kpis:
  - {id: nrr, metric: nrr, params: {window: trailing_12m}, target: 1.0, weight: 1}
"""

CSMS = """
csm_id,csm_name
alice,Alice
bob,Bob
carol,Carol
"""


def score_range(cfg, start, end, by="csm"):
    card = engine.score(engine.ScoreRequest(config=cfg, start=start, end=end, as_of=date(2026, 10, 15), by=by))
    return {(r["group"], r["kpi"]): r for r in card.long_table().iter_rows(named=True)}


def test_value_per_csm_and_pooled_all(build, score_long):
    cfg = build(
        kpis=KPIS,
        csms=CSMS,
        accounts="""
        account_id,csm_id
        A1,alice
        A2,alice
        A3,bob
        """,
        mrr="""
        account_id,month,mrr
        A1,2026-06,100
        A1,2026-09,150
        A2,2026-06,100
        A2,2026-09,50
        A3,2026-06,10
        A3,2026-09,20
        """,
    )
    rows = score_long(cfg)
    # alice: s = 100 + 100 = 200, e = 150 + 50 = 200 -> 1.0
    a = rows[("alice", "nrr")]
    assert (a["value"], a["numerator"], a["denominator"], a["sample_size"]) == (approx(1.0), 200, 200, 2)
    # bob: s = 10, e = 20 -> 2.0
    b = rows[("bob", "nrr")]
    assert (b["value"], b["numerator"], b["denominator"], b["sample_size"]) == (approx(2.0), 20, 10, 1)
    # ALL pools: (200 + 20) / (200 + 10) = 220/210, not the mean of ratios (1.0 + 2.0) / 2 = 1.5
    t = rows[("ALL", "nrr")]
    assert t["value"] == approx(220 / 210)
    assert t["value"] != approx(1.5)
    assert (t["numerator"], t["denominator"], t["sample_size"]) == (220, 210, 3)
    # carol is in csms.csv but has no accounts
    c = rows[("carol", "nrr")]
    assert (c["value"], c["numerator"], c["denominator"], c["sample_size"], c["status"]) == (
        None,
        None,
        None,
        0,
        "no-data",
    )


def test_snapshot_months_only_start_is_month_before_and_end_is_last_month(build, score_long):
    cfg = build(
        kpis=KPIS,
        csms=CSMS,
        accounts="""
        account_id,csm_id
        A1,alice
        A2,alice
        A3,alice
        A4,bob
        """,
        # A1: s = June 100, e = Sep 80; May, Jul, Aug, Oct are ignored.
        # A2: only paying from July -> s = 0, not in the cohort.
        # A3: paid in May, no June row -> s = 0, not in the cohort.
        # A4: month written as a date in June/September counts as that month.
        mrr="""
        account_id,month,mrr
        A1,2026-05,999
        A1,2026-06,100
        A1,2026-07,500
        A1,2026-08,500
        A1,2026-09,80
        A1,2026-10,999
        A2,2026-07,50
        A2,2026-09,50
        A3,2026-05,100
        A3,2026-09,100
        A4,2026-06-30,40
        A4,2026-09-01,10
        """,
    )
    rows = score_long(cfg)
    # alice: cohort = {A1}: 80 / 100
    a = rows[("alice", "nrr")]
    assert (a["value"], a["numerator"], a["denominator"], a["sample_size"]) == (approx(0.8), 80, 100, 1)
    # bob: A4 10 / 40
    b = rows[("bob", "nrr")]
    assert (b["value"], b["numerator"], b["denominator"], b["sample_size"]) == (approx(0.25), 10, 40, 1)
    # ALL: (80 + 10) / (100 + 40)
    assert rows[("ALL", "nrr")]["value"] == approx(90 / 140)


def test_single_month_period(build, score_long):
    cfg = build(
        kpis=KPIS,
        csms=CSMS,
        accounts="account_id,csm_id\nA1,alice\n",
        mrr="""
        account_id,month,mrr
        A1,2026-06,100
        A1,2026-07,130
        A1,2026-09,10
        """,
    )
    # period 2026-07: s = June 100, e = July 130
    rows = score_long(cfg, "2026-07")
    assert rows[("alice", "nrr")]["value"] == approx(1.3)
    # period 2026-08: s = July 130, e = August (missing) = 0
    rows = score_long(cfg, "2026-08")
    r = rows[("alice", "nrr")]
    assert (r["value"], r["numerator"], r["denominator"]) == (approx(0.0), 0, 130)


def test_range_not_aligned_to_months(build):
    cfg = build(
        kpis=KPIS,
        csms=CSMS,
        accounts="account_id,csm_id\nA1,alice\nA2,bob\n",
        # --from 2026-07-15 --to 2026-08-10: s = June snapshot, e = August snapshot
        mrr="""
        account_id,month,mrr
        A1,2026-06,100
        A1,2026-07,200
        A1,2026-08,120
        A1,2026-09,999
        A2,2026-07,100
        A2,2026-08,100
        """,
    )
    rows = score_range(cfg, date(2026, 7, 15), date(2026, 8, 10))
    r = rows[("alice", "nrr")]
    assert (r["period_start"], r["period_end"]) == (date(2026, 7, 15), date(2026, 8, 10))
    # alice: 120 / 100; bob: A2 has s = June = 0 -> not in cohort
    assert (r["value"], r["numerator"], r["denominator"], r["sample_size"]) == (approx(1.2), 120, 100, 1)
    assert rows[("bob", "nrr")]["sample_size"] == 0
    assert rows[("bob", "nrr")]["value"] is None
    assert rows[("ALL", "nrr")]["value"] == approx(1.2)


def test_reactivation_counts_by_snapshots_only(build, score_long):
    cfg = build(
        kpis=KPIS,
        csms=CSMS,
        accounts="account_id,csm_id\nA1,alice\nA2,alice\nA3,bob\n",
        # A1 churns in July (explicit 0), stays at 0 in August, returns in September at 90:
        #   counted by s = 100 and e = 90 only.
        # A2 had 0 at the start (explicit), reactivates in July: not in the cohort.
        # A3 paid before June, nothing in June, reactivates in Sep: not in the cohort.
        mrr="""
        account_id,month,mrr
        A1,2026-06,100
        A1,2026-07,0
        A1,2026-08,0
        A1,2026-09,90
        A2,2026-05,70
        A2,2026-06,0
        A2,2026-07,50
        A2,2026-09,50
        A3,2026-04,30
        A3,2026-09,30
        """,
    )
    rows = score_long(cfg)
    a = rows[("alice", "nrr")]
    assert (a["value"], a["numerator"], a["denominator"], a["sample_size"]) == (approx(0.9), 90, 100, 1)
    b = rows[("bob", "nrr")]
    assert (b["value"], b["sample_size"], b["status"]) == (None, 0, "no-data")


def test_explicit_zero_and_missing_end_rows_both_mean_zero(build, score_long):
    cfg = build(
        kpis=KPIS,
        csms=CSMS,
        accounts="account_id,csm_id\nA1,alice\nA2,alice\nA3,alice\nA4,alice\nA5,bob\n",
        # A1: e = explicit 0; A2: e missing -> 0; A3: s = explicit 0 (out); A4: s missing (out);
        # A5 (bob): s = 50, e = 60
        mrr="""
        account_id,month,mrr
        A1,2026-06,100
        A1,2026-09,0
        A2,2026-06,100
        A3,2026-06,0
        A3,2026-09,100
        A4,2026-09,100
        A5,2026-06,50
        A5,2026-09,60
        """,
    )
    rows = score_long(cfg)
    # alice: (0 + 0) / (100 + 100)
    a = rows[("alice", "nrr")]
    assert (a["value"], a["numerator"], a["denominator"], a["sample_size"]) == (approx(0.0), 0, 200, 2)
    # ALL: (0 + 0 + 60) / (100 + 100 + 50) = 60/250
    t = rows[("ALL", "nrr")]
    assert (t["value"], t["numerator"], t["denominator"], t["sample_size"]) == (approx(0.24), 60, 250, 3)


def test_cohort_with_only_zero_start_has_no_value(build, score_long):
    cfg = build(
        kpis=KPIS,
        csms=CSMS,
        accounts="account_id,csm_id\nA1,alice\n",
        mrr="""
        account_id,month,mrr
        A1,2026-06,0
        A1,2026-09,100
        """,
    )
    rows = score_long(cfg)
    r = rows[("alice", "nrr")]
    assert (r["value"], r["sample_size"], r["status"]) == (None, 0, "no-data")
    t = rows[("ALL", "nrr")]
    assert (t["value"], t["sample_size"], t["status"]) == (None, 0, "no-data")


def test_trailing_12m_window(build, score_long):
    cfg = build(
        kpis=KPIS_T12,
        csms=CSMS,
        accounts="account_id,csm_id\nA1,alice\nA2,alice\nA3,bob\n",
        # 2026-Q3, trailing_12m: s = 2025-09 snapshot (12 months before Sep 2026), e = 2026-09.
        # A1: s = 100 (2025-09), June 2026 = 200 is ignored; e = 130.
        # A2: nothing in 2025-09 -> not in cohort (even though June 2026 > 0).
        # A3: 2025-08 and 2025-10 only -> not in cohort.
        mrr="""
        account_id,month,mrr
        A1,2025-09,100
        A1,2026-06,200
        A1,2026-09,130
        A2,2026-06,100
        A2,2026-09,100
        A3,2025-08,100
        A3,2025-10,100
        A3,2026-09,100
        """,
    )
    rows = score_long(cfg)
    a = rows[("alice", "nrr")]
    assert (a["value"], a["numerator"], a["denominator"], a["sample_size"]) == (approx(1.3), 130, 100, 1)
    assert rows[("bob", "nrr")]["sample_size"] == 0
    # period 2026-07 with trailing_12m: s = 2025-07, e = 2026-07 -> nothing paying in 2025-07
    rows = score_long(cfg, "2026-07")
    assert rows[("ALL", "nrr")]["sample_size"] == 0


def test_trailing_12m_single_month(build, score_long):
    cfg = build(
        kpis=KPIS_T12,
        csms=CSMS,
        accounts="account_id,csm_id\nA1,alice\n",
        mrr="""
        account_id,month,mrr
        A1,2025-07,100
        A1,2026-06,300
        A1,2026-07,110
        """,
    )
    # 2026-07: s = 2025-07 = 100, e = 2026-07 = 110
    rows = score_long(cfg, "2026-07")
    assert rows[("alice", "nrr")]["value"] == approx(1.1)


def test_unassigned_and_unknown_accounts(build, score_long):
    cfg = build(
        kpis=KPIS,
        csms=CSMS,
        # A2 has an empty csm_id; A9 appears in mrr.csv but not in accounts.csv
        accounts="account_id,csm_id\nA1,alice\nA2,\n",
        mrr="""
        account_id,month,mrr
        A1,2026-06,100
        A1,2026-09,100
        A2,2026-06,50
        A2,2026-09,25
        A9,2026-06,50
        A9,2026-09,100
        """,
    )
    rows = score_long(cfg)
    # (unassigned): (25 + 100) / (50 + 50)
    u = rows[("(unassigned)", "nrr")]
    assert (u["value"], u["numerator"], u["denominator"], u["sample_size"]) == (approx(1.25), 125, 100, 2)
    # ALL: (100 + 125) / (100 + 100)
    assert rows[("ALL", "nrr")]["value"] == approx(1.125)
    assert rows[("ALL", "nrr")]["sample_size"] == 3


def test_low_n_keeps_value_and_status(build, score_long):
    cfg = build(
        kpis="""
        version: 1
        data: {dir: data}
        scoring: {amber_at: 0.9, cap: 1.5, min_sample: 2}
        kpis:
          - {id: nrr, metric: nrr, target: 1.0, weight: 1}
        """,
        csms=CSMS,
        accounts="account_id,csm_id\nA1,alice\nA2,alice\nA3,bob\n",
        mrr="""
        account_id,month,mrr
        A1,2026-06,100
        A1,2026-09,100
        A2,2026-06,100
        A2,2026-09,100
        A3,2026-06,10
        A3,2026-09,5
        """,
    )
    rows = score_long(cfg)
    # bob: 1 cohort account < min_sample 2 -> low-n, value 5/10 still shown
    b = rows[("bob", "nrr")]
    assert (b["value"], b["sample_size"], b["status"]) == (approx(0.5), 1, "low-n")
    # alice: 200/200, 2 accounts -> green
    assert rows[("alice", "nrr")]["status"] == "green"


def test_subscriptions_as_revenue_source(build, score_long):
    """SPEC §2-§3: subscriptions.csv is an alternative to mrr.csv."""
    cfg = build(
        kpis=KPIS,
        csms=CSMS,
        accounts="account_id,csm_id\nA1,alice\nA2,alice\n",
        # end of June (2026-06-30): S1 (100) + S2 (50) in force for A1; S3 (40) for A2
        # end of Sep (2026-09-30): S2 ended 2026-08-31; S4 (80) started 2026-09-30 -> A1 = 100 + 80; A2: S3 open = 40
        subscriptions="""
        subscription_id,account_id,start_date,end_date,mrr
        S1,A1,2026-01-01,,100
        S2,A1,2026-03-01,2026-08-31,50
        S3,A2,2026-06-30,,40
        S4,A1,2026-09-30,2026-12-31,80
        """,
    )
    rows = score_long(cfg)
    # alice: s = 150 + 40 = 190, e = 180 + 40 = 220
    a = rows[("alice", "nrr")]
    assert (a["value"], a["numerator"], a["denominator"], a["sample_size"]) == (approx(220 / 190), 220, 190, 2)


def test_fiscal_quarter_snapshots(build, score_long):
    cfg = build(
        kpis="""
        version: 1
        calendar: {fiscal_year_start_month: 7}
        data: {dir: data}
        scoring: {amber_at: 0.9, cap: 1.5, min_sample: 1}
        kpis:
          - {id: nrr, metric: nrr, target: 1.0, weight: 1}
        """,
        csms=CSMS,
        accounts="account_id,csm_id\nA1,alice\n",
        # FY starting in July: 2026-Q3 = 2026-01-01..2026-03-31 -> s = 2025-12, e = 2026-03
        mrr="""
        account_id,month,mrr
        A1,2025-12,100
        A1,2026-03,140
        A1,2026-06,999
        A1,2026-09,1
        """,
    )
    rows = score_long(cfg)
    r = rows[("alice", "nrr")]
    assert (r["period_start"], r["period_end"]) == (date(2026, 1, 1), date(2026, 3, 31))
    assert (r["value"], r["numerator"], r["denominator"]) == (approx(1.4), 140, 100)


def test_range_across_a_year_end_and_trailing_12m_on_a_range(build):
    cfg = build(
        kpis="""
        version: 1
        data: {dir: data}
        scoring: {amber_at: 0.9, cap: 1.5, min_sample: 1}
        kpis:
          - {id: nrr, metric: nrr, target: 1.0, weight: 1}
          - {id: nrr12, metric: nrr, params: {window: trailing_12m}, target: 1.0, weight: 1}
        """,
        csms=CSMS,
        accounts="account_id,csm_id\nA1,alice\nA2,alice\n",
        # --from 2026-12-15 --to 2027-01-10: s = 2026-11, e = 2027-01;
        # trailing_12m: s = 2026-01 (12 months before January 2027)
        mrr="""
        account_id,month,mrr
        A1,2026-01,50
        A1,2026-11,100
        A1,2026-12,1
        A1,2027-01,80
        A2,2026-01,100
        A2,2027-01,20
        """,
    )
    rows = score_range(cfg, date(2026, 12, 15), date(2027, 1, 10))
    # period window: cohort {A1}: 80 / 100
    assert (rows[("alice", "nrr")]["value"], rows[("alice", "nrr")]["sample_size"]) == (approx(0.8), 1)
    # trailing: cohort {A1, A2}: (80 + 20) / (50 + 100)
    r = rows[("alice", "nrr12")]
    assert (r["value"], r["numerator"], r["denominator"], r["sample_size"]) == (approx(100 / 150), 100, 150, 2)


@pytest.mark.parametrize(
    ("start_date", "end_date", "in_june", "in_september"),
    [
        # in force at the end of month M when start_date <= last day of M <= end_date (or end_date empty)
        pytest.param("2026-06-30", "", True, True, id="starts-on-june-30-open"),
        pytest.param("2026-07-01", "", False, True, id="starts-july-1-not-in-june"),
        pytest.param("2026-01-01", "2026-06-30", True, False, id="ends-june-30"),
        pytest.param("2026-01-01", "2026-06-29", False, False, id="ends-june-29"),
        pytest.param("2026-01-01", "2026-09-30", True, True, id="ends-sept-30"),
        pytest.param("2026-01-01", "2026-09-29", True, False, id="ends-sept-29"),
        pytest.param("2026-09-30", "2026-09-30", False, True, id="one-day-on-sept-30"),
    ],
)
def test_subscription_snapshot_boundaries(build, score_long, start_date, end_date, in_june, in_september):
    cfg = build(
        kpis=KPIS,
        csms=CSMS,
        accounts="account_id,csm_id\nA1,alice\n",
        # A1 always pays 100 from S0; S1 (50) is the subscription under test.
        subscriptions=f"""
        subscription_id,account_id,start_date,end_date,mrr
        S0,A1,2025-01-01,,100
        S1,A1,{start_date},{end_date},50
        """,
    )
    rows = score_long(cfg)
    s = 100 + (50 if in_june else 0)
    e = 100 + (50 if in_september else 0)
    r = rows[("alice", "nrr")]
    assert (r["value"], r["numerator"], r["denominator"], r["sample_size"]) == (approx(e / s), e, s, 1)


def test_subscriptions_trailing_12m(build, score_long):
    cfg = build(
        kpis=KPIS_T12,
        csms=CSMS,
        accounts="account_id,csm_id\nA1,alice\nA2,alice\n",
        # s = end of 2025-09, e = end of 2026-09
        # A1: S1 100 from 2025-01-01 open + S2 60 from 2026-02-01 -> s = 100, e = 160
        # A2: S3 2025-09-30..2026-03-31 (40) -> s = 40, e = 0
        subscriptions="""
        subscription_id,account_id,start_date,end_date,mrr
        S1,A1,2025-01-01,,100
        S2,A1,2026-02-01,,60
        S3,A2,2025-09-30,2026-03-31,40
        """,
    )
    rows = score_long(cfg)
    r = rows[("alice", "nrr")]
    assert (r["value"], r["numerator"], r["denominator"], r["sample_size"]) == (approx(160 / 140), 160, 140, 2)
