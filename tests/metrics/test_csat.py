"""Hand-computed tests for the ``csat`` metric (SPEC §3, §4).

csat = count(csat responses in P with score >= threshold) / count(csat responses in P).
Period 2026-Q3 = 2026-07-01..2026-09-30; responses are dated by responded_at and
belong to the account's owner on that date.
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
  - {id: csat, metric: csat, target: 0.8, weight: 1}
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


def kpis_with_threshold(threshold: int) -> str:
    return f"""
    version: 1
    data: {{dir: data}}
    scoring: {{amber_at: 0.9, cap: 1.5, min_sample: 1}}
    kpis:
      - {{id: csat, metric: csat, params: {{threshold: {threshold}}}, target: 0.8, weight: 1}}
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
        r1,A1,csat,2026-07-10,5
        r2,A1,csat,2026-07-11,4
        r3,A2,csat,2026-08-01,3
        r4,A2,csat,2026-08-02,5
        r5,A3,csat,2026-08-03,2
        """,
    )
    rows = score_long(cfg)
    # alice: scores 5, 4, 3, 5 -> 3 of 4 >= 4
    assert numbers(rows[("alice", "csat")]) == (approx(0.75), 3, 4, 4)
    # bob: 2 -> 0 of 1
    assert numbers(rows[("bob", "csat")]) == (approx(0.0), 0, 1, 1)
    # ALL: 3 / 5 = 0.6, not the mean of ratios (0.75 + 0) / 2 = 0.375
    t = rows[("ALL", "csat")]
    assert numbers(t) == (approx(0.6), 3, 5, 5)
    assert t["value"] != approx(0.375)
    c = rows[("carol", "csat")]
    assert (c["value"], c["numerator"], c["denominator"], c["sample_size"], c["status"]) == (
        None,
        None,
        None,
        0,
        "no-data",
    )


def test_threshold_param(build, score_long):
    surveys = """
        response_id,account_id,survey,responded_at,score
        r1,A1,csat,2026-07-10,1
        r2,A1,csat,2026-07-10,2
        r3,A1,csat,2026-07-10,3
        r4,A1,csat,2026-07-10,4
        r5,A1,csat,2026-07-10,5
        """
    # scores 1..5: >= 3 -> 3 of 5; >= 5 -> 1 of 5; >= 1 -> 5 of 5; default 4 -> 2 of 5
    for threshold, satisfied in ((3, 3), (5, 1), (1, 5)):
        cfg = build(kpis=kpis_with_threshold(threshold), csms=CSMS, accounts=ACCOUNTS, surveys=surveys)
        rows = score_long(cfg)
        assert numbers(rows[("alice", "csat")]) == (approx(satisfied / 5), satisfied, 5, 5), threshold
    cfg = build(kpis=KPIS, csms=CSMS, accounts=ACCOUNTS, surveys=surveys)
    assert score_long(cfg)[("alice", "csat")]["value"] == approx(0.4)


def test_period_boundaries(build, score_long):
    cfg = build(
        kpis=KPIS,
        csms=CSMS,
        accounts=ACCOUNTS,
        # in: first day (midnight), last day late in the evening (also with an offset:
        # the local date written counts). out: the day before and the day after.
        surveys="""
        response_id,account_id,survey,responded_at,score
        before,A1,csat,2026-06-30T23:59:59,5
        first,A1,csat,2026-07-01T00:00:00,5
        last,A1,csat,2026-09-30T23:59:59,1
        offset,A1,csat,2026-09-30T23:30:00-05:00,1
        after,A1,csat,2026-10-01,5
        afteroffset,A1,csat,2026-10-01T00:30:00+02:00,5
        """,
    )
    rows = score_long(cfg)
    # first (5), last (1), offset (1) -> 1 of 3
    assert numbers(rows[("alice", "csat")]) == (approx(1 / 3), 1, 3, 3)


def test_range_not_aligned_to_months(build):
    cfg = build(
        kpis=KPIS,
        csms=CSMS,
        accounts=ACCOUNTS,
        surveys="""
        response_id,account_id,survey,responded_at,score
        r1,A1,csat,2026-07-14,5
        r2,A1,csat,2026-07-15,5
        r3,A1,csat,2026-08-10,2
        r4,A1,csat,2026-08-11,5
        r5,A1,csat,2026-07-31,4
        """,
    )
    card = engine.score(
        engine.ScoreRequest(config=cfg, start=date(2026, 7, 15), end=date(2026, 8, 10), as_of=date(2026, 10, 15))
    )
    rows = {(r["group"], r["kpi"]): r for r in card.long_table().iter_rows(named=True)}
    # exact dates 07-15..08-10: r2 (5), r5 (4), r3 (2) -> 2 of 3
    assert numbers(rows[("alice", "csat")]) == (approx(2 / 3), 2, 3, 3)


def test_survey_matched_case_insensitively_and_nps_ignored(build, score_long):
    cfg = build(
        kpis=KPIS,
        csms=CSMS,
        accounts=ACCOUNTS,
        surveys="""
        response_id,account_id,survey,responded_at,score
        r1,A1,CSAT,2026-07-10,5
        r2,A1, Csat ,2026-07-10,2
        r3,A1,nps,2026-07-10,10
        r4,A1,NPS,2026-07-10,1
        """,
    )
    rows = score_long(cfg)
    # csat responses r1 (5) and r2 (2) -> 1 of 2; the nps responses are not csat
    assert numbers(rows[("alice", "csat")]) == (approx(0.5), 1, 2, 2)


def test_unassigned_unknown_account_and_low_n(build, score_long):
    cfg = build(
        kpis="""
        version: 1
        data: {dir: data}
        scoring: {amber_at: 0.9, cap: 1.5, min_sample: 2}
        kpis:
          - {id: csat, metric: csat, target: 0.8, weight: 1}
        """,
        csms=CSMS,
        accounts="account_id,csm_id\nA1,alice\nA2,\nA3,bob\n",
        # A2 has no owner; A9 is not in accounts.csv: both roll up as (unassigned)
        surveys="""
        response_id,account_id,survey,responded_at,score
        r1,A2,csat,2026-07-10,5
        r2,A9,csat,2026-07-10,1
        r3,A1,csat,2026-07-10,4
        r4,A3,csat,2026-07-10,5
        r5,A3,csat,2026-07-11,4
        """,
    )
    rows = score_long(cfg)
    assert numbers(rows[("(unassigned)", "csat")]) == (approx(0.5), 1, 2, 2)
    # alice: 1 response < 2 -> low-n, value 1.0 still shown
    a = rows[("alice", "csat")]
    assert (a["value"], a["sample_size"], a["status"]) == (approx(1.0), 1, "low-n")
    # bob: 2 of 2 -> attainment 1.0 / 0.8 = 1.25 -> green
    b = rows[("bob", "csat")]
    assert (b["value"], b["attainment"], b["status"]) == (approx(1.0), approx(1.25), "green")
    assert numbers(rows[("ALL", "csat")]) == (approx(0.8), 4, 5, 5)


def test_response_belongs_to_owner_on_response_date(build, score_long):
    cfg = build(
        kpis=KPIS,
        csms=CSMS,
        accounts="account_id,csm_id\nA1,bob\nA2,carol\n",
        # A1: alice until 2026-08-15 (inclusive), bob from 2026-08-16.
        # A2: assignments cover only July; other dates fall back to accounts.csm_id (carol).
        assignments="""
        account_id,csm_id,start_date,end_date
        A1,alice,2026-01-01,2026-08-15
        A1,bob,2026-08-16,
        A2,alice,2026-07-01,2026-07-31
        """,
        surveys="""
        response_id,account_id,survey,responded_at,score
        r1,A1,csat,2026-07-01,5
        r2,A1,csat,2026-08-15,1
        r3,A1,csat,2026-08-16,5
        r4,A2,csat,2026-07-31,5
        r5,A2,csat,2026-08-01,2
        """,
    )
    rows = score_long(cfg)
    # alice: r1 (5), r2 (1), r4 (5) -> 2 of 3; bob: r3 -> 1 of 1; carol: r5 -> 0 of 1
    assert numbers(rows[("alice", "csat")]) == (approx(2 / 3), 2, 3, 3)
    assert numbers(rows[("bob", "csat")]) == (approx(1.0), 1, 1, 1)
    assert numbers(rows[("carol", "csat")]) == (approx(0.0), 0, 1, 1)
    # period_end attribution does not change event metrics
    cfg = build(
        kpis="""
        version: 1
        data: {dir: data}
        attribution: period_end
        scoring: {amber_at: 0.9, cap: 1.5, min_sample: 1}
        kpis:
          - {id: csat, metric: csat, target: 0.8, weight: 1}
        """,
    )
    rows = score_long(cfg)
    assert numbers(rows[("alice", "csat")]) == (approx(2 / 3), 2, 3, 3)
    assert numbers(rows[("bob", "csat")]) == (approx(1.0), 1, 1, 1)


def test_responses_of_churned_accounts_still_count(build, score_long):
    cfg = build(
        kpis=KPIS,
        csms=CSMS,
        accounts=ACCOUNTS,
        # A1 pays nothing during the whole period; its responses still count
        mrr="""
        account_id,month,mrr
        A1,2026-06,100
        A1,2026-07,0
        """,
        surveys="""
        response_id,account_id,survey,responded_at,score
        r1,A1,csat,2026-08-10,5
        r2,A1,csat,2026-09-10,3
        """,
    )
    rows = score_long(cfg)
    assert numbers(rows[("alice", "csat")]) == (approx(0.5), 1, 2, 2)
