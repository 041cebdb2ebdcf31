"""Hand-computed tests for rollup (grouping), attribution and scoring (SPEC §4, §5).

Period 2026-Q3 = 2026-07-01..2026-09-30 (s = 2026-06 snapshot, e = 2026-09 snapshot).
"""

from __future__ import annotations

from datetime import date

import pytest
from pytest import approx

from csmkpi import engine


def numbers(row):
    return row["value"], row["numerator"], row["denominator"], row["sample_size"]


def scorecard(cfg, period="2026-Q3", by="csm"):
    card = engine.score(engine.ScoreRequest(config=cfg, period=period, as_of=date(2026, 10, 15), by=by))
    rows = {(r["group"], r["kpi"]): r for r in card.long_table().iter_rows(named=True)}
    scores = {r["group"]: (r["score"], r["rank"]) for r in card.scores.iter_rows(named=True)}
    return rows, scores


# --- grouping by csm, team, manager, segment, region ------------------------------

GROUP_KPIS = """
version: 1
data: {dir: data}
scoring: {amber_at: 0.9, cap: 1.5, min_sample: 1}
kpis:
  - {id: nrr, metric: nrr, target: 1.0, weight: 1}
  - {id: csat, metric: csat, target: 0.8, weight: 1}
"""

GROUP_CSMS = """
csm_id,csm_name,team,manager
alice,Alice,t1,m1
bob,Bob,t1,m2
carol,Carol,t2,m1
dave,Dave,,
"""

# A4 has no owner; A6 has no segment; A3 has no region; A7 (apac) has no data; A9 is not in accounts.csv.
GROUP_ACCOUNTS = """
account_id,csm_id,segment,region
A1,alice,smb,emea
A2,bob,ent,na
A3,dave,smb,
A4,,ent,emea
A6,alice,,na
A7,alice,smb,apac
"""

GROUP_MRR = """
account_id,month,mrr
A1,2026-06,100
A1,2026-09,120
A2,2026-06,100
A2,2026-09,50
A3,2026-06,50
A3,2026-09,50
A4,2026-06,200
A4,2026-09,100
A6,2026-06,50
A6,2026-09,0
A9,2026-06,100
A9,2026-09,100
"""

# csat: scores >= 4 satisfied
GROUP_SURVEYS = """
response_id,account_id,survey,responded_at,score
r1,A1,csat,2026-07-10,5
r2,A2,csat,2026-07-10,2
r3,A3,csat,2026-07-10,4
r4,A4,csat,2026-07-10,1
"""


@pytest.fixture
def grouped(build):
    return build(kpis=GROUP_KPIS, csms=GROUP_CSMS, accounts=GROUP_ACCOUNTS, mrr=GROUP_MRR, surveys=GROUP_SURVEYS)


# ALL for nrr in every grouping: (120 + 50 + 50 + 100 + 0 + 100) / (100 + 100 + 50 + 200 + 50 + 100) = 420/600
ALL_NRR = (approx(0.7), 420, 600, 6)
ALL_CSAT = (approx(0.5), 2, 4, 4)


def test_by_csm(grouped, score_long):
    rows = score_long(grouped, by="csm")
    assert numbers(rows[("alice", "nrr")]) == (approx(120 / 150), 120, 150, 2)  # A1 + A6
    assert numbers(rows[("bob", "nrr")]) == (approx(0.5), 50, 100, 1)
    assert numbers(rows[("dave", "nrr")]) == (approx(1.0), 50, 50, 1)
    assert numbers(rows[("(unassigned)", "nrr")]) == (approx(200 / 300), 200, 300, 2)  # A4 + A9
    c = rows[("carol", "nrr")]
    assert (c["value"], c["sample_size"], c["status"]) == (None, 0, "no-data")
    assert numbers(rows[("ALL", "nrr")]) == ALL_NRR
    assert numbers(rows[("ALL", "csat")]) == ALL_CSAT
    groups = {g for g, _ in rows}
    assert groups == {"alice", "bob", "carol", "dave", "(unassigned)", "ALL"}


def test_by_team(grouped, score_long):
    rows = score_long(grouped, by="team")
    # t1 = alice + bob: A1, A6, A2 -> (120 + 0 + 50) / (100 + 50 + 100)
    assert numbers(rows[("t1", "nrr")]) == (approx(170 / 250), 170, 250, 3)
    # t2 = carol: no data
    t2 = rows[("t2", "nrr")]
    assert (t2["value"], t2["numerator"], t2["sample_size"], t2["status"]) == (None, None, 0, "no-data")
    # (unassigned) = dave (no team) A3 + unowned A4 + unknown A9: (50 + 100 + 100) / (50 + 200 + 100)
    assert numbers(rows[("(unassigned)", "nrr")]) == (approx(250 / 350), 250, 350, 3)
    assert numbers(rows[("ALL", "nrr")]) == ALL_NRR
    # csat: t1 r1 (5), r2 (2) -> 1/2; (unassigned) r3 (4), r4 (1) -> 1/2
    assert numbers(rows[("t1", "csat")]) == (approx(0.5), 1, 2, 2)
    assert numbers(rows[("(unassigned)", "csat")]) == (approx(0.5), 1, 2, 2)
    assert {g for g, _ in rows} == {"t1", "t2", "(unassigned)", "ALL"}


def test_by_manager(grouped, score_long):
    rows = score_long(grouped, by="manager")
    # m1 = alice + carol: A1, A6 -> 120/150; m2 = bob: 50/100
    assert numbers(rows[("m1", "nrr")]) == (approx(0.8), 120, 150, 2)
    assert numbers(rows[("m2", "nrr")]) == (approx(0.5), 50, 100, 1)
    assert numbers(rows[("(unassigned)", "nrr")]) == (approx(250 / 350), 250, 350, 3)
    assert numbers(rows[("ALL", "nrr")]) == ALL_NRR
    assert {g for g, _ in rows} == {"m1", "m2", "(unassigned)", "ALL"}


def test_by_segment(grouped, score_long):
    rows = score_long(grouped, by="segment")
    # smb: A1, A3 (A7 has no revenue) -> (120 + 50) / (100 + 50)
    assert numbers(rows[("smb", "nrr")]) == (approx(170 / 150), 170, 150, 2)
    # ent: A2, A4 -> (50 + 100) / (100 + 200)
    assert numbers(rows[("ent", "nrr")]) == (approx(0.5), 150, 300, 2)
    # (unassigned): A6 (no segment), A9 (not in accounts) -> (0 + 100) / (50 + 100)
    assert numbers(rows[("(unassigned)", "nrr")]) == (approx(100 / 150), 100, 150, 2)
    assert numbers(rows[("ALL", "nrr")]) == ALL_NRR
    # csat: smb r1 (5), r3 (4) -> 2/2; ent r2 (2), r4 (1) -> 0/2
    assert numbers(rows[("smb", "csat")]) == (approx(1.0), 2, 2, 2)
    assert numbers(rows[("ent", "csat")]) == (approx(0.0), 0, 2, 2)
    assert {g for g, _ in rows} == {"smb", "ent", "(unassigned)", "ALL"}


def test_by_region(grouped, score_long):
    rows = score_long(grouped, by="region")
    # emea: A1, A4 -> (120 + 100) / (100 + 200)
    assert numbers(rows[("emea", "nrr")]) == (approx(220 / 300), 220, 300, 2)
    # na: A2, A6 -> (50 + 0) / (100 + 50)
    assert numbers(rows[("na", "nrr")]) == (approx(50 / 150), 50, 150, 2)
    # apac: A7 has no revenue and no responses -> empty row
    apac = rows[("apac", "nrr")]
    assert (apac["value"], apac["sample_size"], apac["status"]) == (None, 0, "no-data")
    assert rows[("apac", "csat")]["sample_size"] == 0
    # (unassigned): A3 (no region), A9 (not in accounts) -> (50 + 100) / (50 + 100)
    assert numbers(rows[("(unassigned)", "nrr")]) == (approx(1.0), 150, 150, 2)
    assert numbers(rows[("ALL", "nrr")]) == ALL_NRR
    assert {g for g, _ in rows} == {"emea", "na", "apac", "(unassigned)", "ALL"}


# --- attribution ------------------------------------------------------------------

ATTR_CSMS = """
csm_id,csm_name,team
alice,Alice,red
bob,Bob,blue
carol,Carol,green
"""

# A1: alice through 2026-08-15, bob from 2026-08-16 (accounts.csm_id carol never applies)
# A2: alice 2026-07-01..2026-09-29; 2026-09-30 is not covered -> accounts.csm_id carol
# A3: nothing covers 2026-07-01 -> accounts.csm_id bob; alice from 2026-09-30
ATTR_ACCOUNTS = "account_id,csm_id\nA1,carol\nA2,carol\nA3,bob\n"
ATTR_ASSIGNMENTS = """
account_id,csm_id,start_date,end_date
A1,alice,2026-01-01,2026-08-15
A1,bob,2026-08-16,
A2,alice,2026-07-01,2026-09-29
A3,alice,2026-09-30,
"""
ATTR_MRR = """
account_id,month,mrr
A1,2026-06,100
A1,2026-09,110
A2,2026-06,200
A2,2026-09,100
A3,2026-06,50
A3,2026-09,0
"""


def attr_kpis(attribution: str | None) -> str:
    line = f"attribution: {attribution}\n" if attribution else ""
    return (
        "version: 1\ndata: {dir: data}\n"
        + line
        + """scoring: {amber_at: 0.9, cap: 1.5, min_sample: 1}
kpis:
  - {id: nrr, metric: nrr, target: 1.0}
  - {id: grr, metric: grr, target: 1.0}
  - {id: churn, metric: churn, target: 0.1, better: lower}
  - {id: rchurn, metric: churn, params: {basis: revenue}, target: 0.1, better: lower}
  - {id: csat, metric: csat, target: 0.8}
"""
    )


# csat responses are attributed by their own date whatever ``attribution`` says:
# e1 A1 on 2026-08-15 -> alice; e2 A1 on 2026-08-16 -> bob; e3 A2 on 2026-09-30 -> carol;
# e4 A3 on 2026-09-29 -> bob; e5 A3 on 2026-09-30 -> alice
ATTR_SURVEYS = """
response_id,account_id,survey,responded_at,score
e1,A1,csat,2026-08-15,5
e2,A1,csat,2026-08-16,5
e3,A2,csat,2026-09-30,1
e4,A3,csat,2026-09-29,1
e5,A3,csat,2026-09-30,4
"""


def build_attr(build, attribution):
    return build(
        kpis=attr_kpis(attribution),
        csms=ATTR_CSMS,
        accounts=ATTR_ACCOUNTS,
        assignments=ATTR_ASSIGNMENTS,
        mrr=ATTR_MRR,
        surveys=ATTR_SURVEYS,
    )


def check_event_attribution(rows):
    assert numbers(rows[("alice", "csat")]) == (approx(1.0), 2, 2, 2)  # e1, e5
    assert numbers(rows[("bob", "csat")]) == (approx(0.5), 1, 2, 2)  # e2, e4
    assert numbers(rows[("carol", "csat")]) == (approx(0.0), 0, 1, 1)  # e3


@pytest.mark.parametrize("attribution", [None, "period_start"])
def test_retention_uses_owner_at_period_start(build, score_long, attribution):
    rows = score_long(build_attr(build, attribution))
    # owners on 2026-07-01: A1 alice, A2 alice, A3 bob (fallback)
    # alice: nrr (110 + 100) / (100 + 200); grr (100 + 100) / 300; churn 0/2
    assert numbers(rows[("alice", "nrr")]) == (approx(0.7), 210, 300, 2)
    assert numbers(rows[("alice", "grr")]) == (approx(200 / 300), 200, 300, 2)
    assert numbers(rows[("alice", "churn")]) == (approx(0.0), 0, 2, 2)
    # bob: A3 50 -> 0: nrr 0/50, churn 1/1, revenue churn 50/50
    assert numbers(rows[("bob", "nrr")]) == (approx(0.0), 0, 50, 1)
    assert numbers(rows[("bob", "churn")]) == (approx(1.0), 1, 1, 1)
    assert numbers(rows[("bob", "rchurn")]) == (approx(1.0), 50, 50, 1)
    # carol (accounts.csm_id of A1 and A2) owns nothing on 2026-07-01
    assert rows[("carol", "nrr")]["sample_size"] == 0
    check_event_attribution(rows)


def test_retention_uses_owner_at_period_end(build, score_long):
    rows = score_long(build_attr(build, "period_end"))
    # owners on 2026-09-30: A1 bob, A2 carol (fallback), A3 alice
    assert numbers(rows[("bob", "nrr")]) == (approx(1.1), 110, 100, 1)
    assert numbers(rows[("bob", "grr")]) == (approx(1.0), 100, 100, 1)
    assert numbers(rows[("carol", "nrr")]) == (approx(0.5), 100, 200, 1)
    assert numbers(rows[("carol", "grr")]) == (approx(0.5), 100, 200, 1)
    assert numbers(rows[("alice", "nrr")]) == (approx(0.0), 0, 50, 1)
    assert numbers(rows[("alice", "churn")]) == (approx(1.0), 1, 1, 1)
    assert numbers(rows[("alice", "rchurn")]) == (approx(1.0), 50, 50, 1)
    # ALL is the same whichever owner: (110 + 100 + 0) / 350
    assert numbers(rows[("ALL", "nrr")]) == (approx(0.6), 210, 350, 3)
    check_event_attribution(rows)


def test_attribution_flows_into_team_grouping(build, score_long):
    cfg = build_attr(build, None)
    rows = score_long(cfg, by="team")
    # period start: red (alice) A1 + A2; blue (bob) A3; green (carol) nothing
    assert numbers(rows[("red", "nrr")]) == (approx(0.7), 210, 300, 2)
    assert numbers(rows[("blue", "nrr")]) == (approx(0.0), 0, 50, 1)
    assert rows[("green", "nrr")]["sample_size"] == 0
    # csat by response date: red e1, e5; blue e2, e4; green e3
    assert numbers(rows[("red", "csat")]) == (approx(1.0), 2, 2, 2)
    assert numbers(rows[("green", "csat")]) == (approx(0.0), 0, 1, 1)
    rows = score_long(build_attr(build, "period_end"), by="team")
    assert numbers(rows[("blue", "nrr")]) == (approx(1.1), 110, 100, 1)
    assert numbers(rows[("green", "nrr")]) == (approx(0.5), 100, 200, 1)
    assert numbers(rows[("red", "nrr")]) == (approx(0.0), 0, 50, 1)


def test_assignment_on_unknown_csm_and_account_without_assignment(build, score_long):
    cfg = build(
        kpis=attr_kpis(None),
        csms=ATTR_CSMS,
        # A1: unowned in accounts.csv, but assigned to bob on 2026-07-01 -> bob
        # A2: owned by alice in accounts.csv, the assignments file has no row for it -> alice
        accounts="account_id,csm_id\nA1,\nA2,alice\n",
        assignments="""
        account_id,csm_id,start_date,end_date
        A1,bob,2026-07-01,2026-07-01
        """,
        mrr="""
        account_id,month,mrr
        A1,2026-06,100
        A1,2026-09,100
        A2,2026-06,100
        A2,2026-09,300
        """,
    )
    rows = score_long(cfg)
    assert numbers(rows[("bob", "nrr")]) == (approx(1.0), 100, 100, 1)
    assert numbers(rows[("alice", "nrr")]) == (approx(3.0), 300, 100, 1)
    assert ("(unassigned)", "nrr") not in rows


# --- scoring ----------------------------------------------------------------------

SCORING_KPIS = """
version: 1
data: {dir: data}
scoring: {amber_at: 0.75, cap: 1.5, min_sample: 1}
kpis:
  - {id: nrr, metric: nrr, target: 1.0, weight: 3}
  - {id: churn, metric: churn, target: 0.25, better: lower, weight: 2}
  - {id: csat, metric: csat, target: 0.8, weight: 1, min_sample: 2}
"""


@pytest.fixture
def scored(build):
    cfg = build(
        kpis=SCORING_KPIS,
        csms="csm_id\nalice\nbob\ncarol\ndave\n",
        accounts="account_id,csm_id\nA1,alice\nA2,alice\nA3,bob\nA4,carol\nA5,carol\n",
        mrr="""
        account_id,month,mrr
        A1,2026-06,100
        A1,2026-09,100
        A2,2026-06,100
        A2,2026-09,50
        A3,2026-06,100
        A3,2026-09,200
        A4,2026-06,100
        A4,2026-09,74
        A5,2026-06,100
        A5,2026-09,0
        """,
        surveys="""
        response_id,account_id,survey,responded_at,score
        r1,A1,csat,2026-07-10,5
        r2,A2,csat,2026-07-10,5
        r3,A3,csat,2026-07-10,5
        r4,A4,csat,2026-07-10,3
        r5,A5,csat,2026-07-10,4
        """,
    )
    return scorecard(cfg)


def test_attainment_and_status(scored):
    rows, _ = scored
    # alice: nrr 150/200 = 0.75 -> attainment 0.75 = amber_at -> amber
    a = rows[("alice", "nrr")]
    assert (a["value"], a["target"], a["attainment"], a["status"]) == (approx(0.75), 1.0, approx(0.75), "amber")
    # alice: churn 0/2 = 0 with better lower -> attainment = cap 1.5 -> green
    a = rows[("alice", "churn")]
    assert (a["value"], a["attainment"], a["status"]) == (approx(0.0), approx(1.5), "green")
    # alice: csat 2/2 = 1.0 -> 1.0 / 0.8 = 1.25 -> green
    a = rows[("alice", "csat")]
    assert (a["value"], a["attainment"], a["status"]) == (approx(1.0), approx(1.25), "green")
    # bob: nrr 200/100 = 2.0 -> 2.0 clamped to cap 1.5 -> green
    b = rows[("bob", "nrr")]
    assert (b["value"], b["attainment"], b["status"]) == (approx(2.0), approx(1.5), "green")
    # bob: csat 1 response < KPI min_sample 2 -> low-n, value still shown
    b = rows[("bob", "csat")]
    assert (b["value"], b["sample_size"], b["status"]) == (approx(1.0), 1, "low-n")
    # carol: nrr 74/200 = 0.37 -> red; churn 1/2 = 0.5 -> 0.25 / 0.5 = 0.5 -> red; csat 1/2 -> 0.625 red
    c = rows[("carol", "nrr")]
    assert (c["value"], c["attainment"], c["status"]) == (approx(0.37), approx(0.37), "red")
    c = rows[("carol", "churn")]
    assert (c["value"], c["attainment"], c["status"]) == (approx(0.5), approx(0.5), "red")
    c = rows[("carol", "csat")]
    assert (c["value"], c["attainment"], c["status"]) == (approx(0.5), approx(0.625), "red")
    # dave: no data at all
    for kpi in ("nrr", "churn", "csat"):
        d = rows[("dave", kpi)]
        assert (d["value"], d["attainment"], d["status"]) == (None, None, "no-data")
    # ALL: nrr 424/500 = 0.848 amber; churn 1/5 = 0.2 -> 0.25/0.2 = 1.25 green; csat 4/5 = 0.8 -> 1.0 green
    assert (rows[("ALL", "nrr")]["attainment"], rows[("ALL", "nrr")]["status"]) == (approx(0.848), "amber")
    assert (rows[("ALL", "churn")]["attainment"], rows[("ALL", "churn")]["status"]) == (approx(1.25), "green")
    assert (rows[("ALL", "csat")]["attainment"], rows[("ALL", "csat")]["status"]) == (approx(1.0), "green")


def test_composite_score_and_rank(scored):
    _, scores = scored
    # alice: 100 × (3 × 0.75 + 2 × 1.5 + 1 × 1.25) / (3 + 2 + 1) = 100 × 6.5 / 6
    assert scores["alice"][0] == approx(650 / 6)
    # bob: csat is low-n and left out: 100 × (3 × 1.5 + 2 × 1.5) / (3 + 2) = 150
    assert scores["bob"][0] == approx(150.0)
    # carol: 100 × (3 × 0.37 + 2 × 0.5 + 1 × 0.625) / 6 = 100 × 2.735 / 6
    assert scores["carol"][0] == approx(273.5 / 6)
    # dave: nothing counts -> no score, no rank
    assert scores["dave"] == (None, None)
    # ALL: 100 × (3 × 0.848 + 2 × 1.25 + 1 × 1.0) / 6 = 100 × 6.044 / 6; no rank
    assert scores["ALL"][0] == approx(604.4 / 6)
    assert scores["ALL"][1] is None
    assert (scores["bob"][1], scores["alice"][1], scores["carol"][1]) == (1, 2, 3)


def test_amber_and_red_just_around_amber_at(build):
    cfg = build(
        kpis="""
        version: 1
        data: {dir: data}
        scoring: {amber_at: 0.75, cap: 1.5, min_sample: 1}
        kpis:
          - {id: nrr, metric: nrr, target: 0.5}
        """,
        csms="csm_id\nalice\nbob\ncarol\n",
        accounts="account_id,csm_id\nA1,alice\nA2,bob\nA3,carol\n",
        # alice 0.5 / 0.5 = 1.0 green; bob 0.375 / 0.5 = 0.75 amber; carol 0.37 / 0.5 = 0.74 red
        mrr="""
        account_id,month,mrr
        A1,2026-06,100
        A1,2026-09,50
        A2,2026-06,1000
        A2,2026-09,375
        A3,2026-06,100
        A3,2026-09,37
        """,
    )
    rows, scores = scorecard(cfg)
    assert (rows[("alice", "nrr")]["attainment"], rows[("alice", "nrr")]["status"]) == (approx(1.0), "green")
    assert (rows[("bob", "nrr")]["attainment"], rows[("bob", "nrr")]["status"]) == (approx(0.75), "amber")
    assert (rows[("carol", "nrr")]["attainment"], rows[("carol", "nrr")]["status"]) == (approx(0.74), "red")
    # one KPI: score = 100 × attainment
    assert scores["alice"] == (approx(100.0), 1)
    assert scores["bob"] == (approx(75.0), 2)
    assert scores["carol"] == (approx(74.0), 3)


def test_low_n_group_gets_no_score_but_keeps_value(build):
    cfg = build(
        kpis="""
        version: 1
        data: {dir: data}
        scoring: {amber_at: 0.9, cap: 1.5, min_sample: 3}
        kpis:
          - {id: nrr, metric: nrr, target: 1.0}
        """,
        csms="csm_id\nalice\nbob\n",
        accounts="account_id,csm_id\nA1,alice\nA2,bob\nA3,bob\nA4,bob\n",
        mrr="""
        account_id,month,mrr
        A1,2026-06,100
        A1,2026-09,150
        A2,2026-06,100
        A2,2026-09,90
        A3,2026-06,100
        A3,2026-09,90
        A4,2026-06,100
        A4,2026-09,90
        """,
    )
    rows, scores = scorecard(cfg)
    # alice: 1 account < 3 -> low-n, value 1.5 and attainment still computed, no score
    a = rows[("alice", "nrr")]
    assert (a["value"], a["sample_size"], a["status"]) == (approx(1.5), 1, "low-n")
    assert scores["alice"] == (None, None)
    # bob: 270/300 = 0.9 -> amber, score 90, rank 1
    assert rows[("bob", "nrr")]["status"] == "amber"
    assert scores["bob"] == (approx(90.0), 1)
    # ALL: 420/400 = 1.05 -> green, score 105
    assert rows[("ALL", "nrr")]["status"] == "green"
    assert scores["ALL"][0] == approx(105.0)


def test_owner_ids_are_trimmed_and_blank_is_unassigned(build, score_long):
    cfg = build(
        kpis=GROUP_KPIS,
        csms="csm_id,team\n alice ,t1\n",
        # " alice " is alice; "   " (blank) is no owner
        accounts='account_id,csm_id\nA1, alice \nA2,"   "\n',
        mrr="""
        account_id,month,mrr
        A1,2026-06,100
        A1,2026-09,90
        A2,2026-06,100
        A2,2026-09,130
        """,
    )
    rows = score_long(cfg)
    assert numbers(rows[("alice", "nrr")]) == (approx(0.9), 90, 100, 1)
    assert numbers(rows[("(unassigned)", "nrr")]) == (approx(1.3), 130, 100, 1)
    rows = score_long(cfg, by="team")
    assert numbers(rows[("t1", "nrr")]) == (approx(0.9), 90, 100, 1)


def test_all_row_can_be_low_n(build):
    cfg = build(
        kpis="""
        version: 1
        data: {dir: data}
        scoring: {amber_at: 0.9, cap: 1.5, min_sample: 3}
        kpis:
          - {id: nrr, metric: nrr, target: 1.0}
        """,
        csms="csm_id\nalice\n",
        accounts="account_id,csm_id\nA1,alice\nA2,alice\n",
        mrr="""
        account_id,month,mrr
        A1,2026-06,100
        A1,2026-09,100
        A2,2026-06,100
        A2,2026-09,50
        """,
    )
    rows, scores = scorecard(cfg)
    # ALL: 2 accounts < 3 -> low-n with value 150/200 shown; no KPI counts -> no score
    t = rows[("ALL", "nrr")]
    assert (t["value"], t["sample_size"], t["status"]) == (approx(0.75), 2, "low-n")
    assert scores["ALL"] == (None, None)


def test_sums_are_the_exact_decimal_sums_of_the_unit_values(build, score_long):
    # Polars' own float-to-decimal cast scales in floating point: 987654321098 became
    # 987654321097.9999 and these three ARRs summed to 9997492.799999999.
    cfg = build(
        kpis="""
        version: 1
        data: {dir: data}
        scoring: {min_sample: 1}
        kpis:
          - {id: arr_managed, metric: arr_managed}
          - {id: cost_to_serve, metric: cost_to_serve}
        """,
        csms="csm_id,annual_cost\nalice,987654321098\n",
        accounts="account_id,csm_id\nA1,alice\nA2,alice\nA3,alice\n",
        mrr="""
        account_id,month,mrr
        A1,2026-09,278754.73
        A2,2026-09,257063.77
        A3,2026-09,297305.90
        """,
    )
    for by in ("csm", "segment"):
        rows = score_long(cfg, by=by)
        group = "alice" if by == "csm" else "(unassigned)"
        assert rows[(group, "arr_managed")]["numerator"] == 9997492.8
        assert rows[("ALL", "arr_managed")]["value"] == 9997492.8
        assert rows[("ALL", "cost_to_serve")]["numerator"] == 987654321098.0
        assert rows[("ALL", "cost_to_serve")]["denominator"] == 9997492.8
    assert score_long(cfg)[("alice", "cost_to_serve")]["numerator"] == 987654321098.0
