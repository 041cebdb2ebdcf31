"""The same KPIs as csmkpi, in DuckDB SQL, from the same CSV files: the benchmark's reference.

    python benchmarks/duckdb_reference.py --data DIR --period-start 2026-07-01 --period-end 2026-09-30 \
        [--config configs/kpis.yaml] [--out FILE.csv]

It reads the KPI list of a csmkpi config (default: ``configs/kpis.yaml``; ``benchmarks/kpis_all.yaml`` has every
SPEC §4 metric), loads only the tables and columns those KPIs need with explicit types (``read_csv`` with
``auto_detect=false`` and ``strict_mode``, so a ragged row, a bad number or a bad date is an error, as in
csmkpi), runs the cheap validation checks csmkpi runs on those columns (required values, unique keys, enum values,
ranges, closed_at of won/lost deals, end after start and no overlap in assignments), then computes per CSM plus an
``ALL`` row the value, numerator, denominator and sample_size of every KPI, per SPEC §4.

Structure, so more metrics can be added: every metric is one SQL snippet (a function in ``METRICS``) returning its
*unit rows* ``(account_id, date, actor, numerator, denominator, sample)``; one shared attribution step gives each unit
its owner on its date (an activity's own csm_id for activity_count, else the assignment covering the date, else
accounts.csm_id), and one shared rollup pools units per group (ratio Σnum/Σden, sum, median, per CSM, cost).

Output (``--out`` or stdout): CSV ``kpi,group,value,numerator,denominator,sample_size``, the conventions of csmkpi's
long layout: every csm_id of csms.csv gets a row, ``(unassigned)`` when units land there, ``ALL`` last; a group
with no units has sample_size 0 and an empty value (0 for sums).

This is a benchmark-only tool (it needs ``duckdb``, see ``benchmarks/requirements.txt``); it supports the default
file names (``<table>.csv``), comma-delimited UTF-8 and ``--by csm``, which is what the benchmark data uses.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import duckdb
import yaml

ROOT = Path(__file__).resolve().parent.parent
UNASSIGNED = "(unassigned)"
ALL = "ALL"

# ---------------------------------------------------------------------------------------------- data contract

# Column types (SPEC §2). BOOL columns are read as text and mapped like csmkpi (true/false, yes/no, 1/0, y/n);
# MONTH is read as DATE with the format %Y-%m; ENUM columns are text checked against their values.
SCHEMA: dict[str, dict[str, str]] = {
    "accounts": {
        "account_id": "ID",
        "account_name": "TEXT",
        "csm_id": "ID",
        "segment": "TEXT",
        "region": "TEXT",
        "contract_start": "DATE",
        "onboarded_at": "DATE",
        "referenceable": "BOOL",
    },
    "csms": {"csm_id": "ID", "csm_name": "TEXT", "team": "TEXT", "manager": "TEXT", "annual_cost": "NUMBER"},
    "mrr": {"account_id": "ID", "month": "MONTH", "mrr": "NUMBER"},
    "tickets": {
        "ticket_id": "ID",
        "account_id": "ID",
        "opened_at": "DATETIME",
        "resolved_at": "DATETIME",
        "contacts": "INTEGER",
        "reopened": "BOOL",
    },
    "surveys": {
        "response_id": "ID",
        "account_id": "ID",
        "survey": "ENUM",
        "responded_at": "DATETIME",
        "score": "INTEGER",
    },
    "opportunities": {
        "opportunity_id": "ID",
        "account_id": "ID",
        "type": "ENUM",
        "source": "LOWER",
        "stage": "ENUM",
        "created_at": "DATE",
        "closed_at": "DATE",
        "amount": "NUMBER",
    },
    "activities": {"activity_id": "ID", "account_id": "ID", "type": "LOWER", "occurred_at": "DATETIME", "csm_id": "ID"},
    "assignments": {"account_id": "ID", "csm_id": "ID", "start_date": "DATE", "end_date": "DATE"},
    "usage": {"account_id": "ID", "month": "MONTH", "active_users": "INTEGER", "licensed_seats": "INTEGER"},
    "milestones": {"account_id": "ID", "milestone": "LOWER", "achieved_at": "DATE"},
}
REQUIRED = {
    "accounts": ("account_id",),
    "csms": ("csm_id",),
    "mrr": ("account_id", "month", "mrr"),
    "tickets": ("ticket_id", "account_id", "opened_at"),
    "surveys": ("response_id", "account_id", "survey", "responded_at", "score"),
    "opportunities": ("opportunity_id", "account_id", "type", "source", "stage"),
    "activities": ("activity_id", "account_id", "type", "occurred_at"),
    "assignments": ("account_id", "csm_id", "start_date"),
    "usage": ("account_id", "month", "active_users"),
    "milestones": ("account_id", "milestone", "achieved_at"),
}
KEYS = {
    "accounts": ("account_id",),
    "csms": ("csm_id",),
    "mrr": ("account_id", "month"),
    "tickets": ("ticket_id",),
    "surveys": ("response_id",),
    "opportunities": ("opportunity_id",),
    "activities": ("activity_id",),
    "usage": ("account_id", "month"),
}
ENUMS = {
    ("surveys", "survey"): ("csat", "nps"),
    ("opportunities", "type"): ("expansion", "new_business", "renewal"),
    ("opportunities", "stage"): ("open", "won", "lost"),
}
NON_NEGATIVE = {
    ("csms", "annual_cost"),
    ("mrr", "mrr"),
    ("tickets", "contacts"),
    ("opportunities", "amount"),
    ("usage", "active_users"),
    ("usage", "licensed_seats"),
}
READ_TYPE = {"DATE": "DATE", "MONTH": "DATE", "DATETIME": "TIMESTAMP", "NUMBER": "DOUBLE", "INTEGER": "BIGINT"}

# What attribution and the csm dimension need, whatever the KPIs.
DIMENSION_NEEDS = {"accounts": {"account_id", "csm_id"}, "csms": {"csm_id"}, "assignments": set(SCHEMA["assignments"])}


class DataError(Exception):
    """The data breaks the contract (the reference refuses it, like csmkpi)."""


# ---------------------------------------------------------------------------------------------- period


@dataclass(frozen=True)
class Period:
    """Inclusive dates; revenue snapshots by month (SPEC §3)."""

    start: date
    end: date
    attribution: str = "period_start"

    @staticmethod
    def month(d: date, shift: int = 0) -> date:
        """First day of the month ``shift`` months after ``d``'s month."""
        index = d.year * 12 + d.month - 1 + shift
        return date(index // 12, index % 12 + 1, 1)

    @property
    def last_month(self) -> date:
        """The month of the end snapshot."""
        return self.month(self.end)

    @property
    def start_snapshot(self) -> date:
        """The month before the period's first month."""
        return self.month(self.start, -1)

    @property
    def months(self) -> list[date]:
        """The period's months."""
        out, m = [], self.month(self.start)
        while m <= self.last_month:
            out.append(m)
            m = self.month(m, 1)
        return out

    @property
    def cohort_date(self) -> date:
        """Ownership date of retention cohort units."""
        return self.end if self.attribution == "period_end" else self.start


def lit(d: date) -> str:
    """A SQL date literal."""
    return f"DATE '{d.isoformat()}'"


def in_period(column: str, p: Period) -> str:
    """The SQL condition 'column (a date) lies in P'."""
    return f"{column} BETWEEN {lit(p.start)} AND {lit(p.end)}"


def text_list(values: list[str]) -> str:
    """A SQL list of lower-cased, trimmed text literals."""
    return "(" + ", ".join("'" + v.strip().lower().replace("'", "''") + "'" for v in values) + ")"


# ---------------------------------------------------------------------------------------------- metrics
# Each snippet returns unit rows: account_id, date, actor, numerator, denominator, sample.


def mrr_at(month: date) -> str:
    """Each account's MRR snapshot at the end of a month."""
    return f"SELECT account_id, sum(mrr) AS mrr FROM mrr WHERE month = {lit(month)} GROUP BY account_id"


def cohort(p: Period, params: dict[str, Any]) -> str:
    """Accounts paying at the window's start, with start and end MRR (0 when missing)."""
    start = p.start_snapshot if params.get("window", "period") == "period" else p.month(p.last_month, -12)
    return f"""
        SELECT s.account_id, {lit(p.cohort_date)} AS date, s.mrr AS start_mrr, coalesce(e.mrr, 0) AS end_mrr
        FROM ({mrr_at(start)}) s LEFT JOIN ({mrr_at(p.last_month)}) e USING (account_id)
        WHERE s.mrr > 0"""


def nrr(p: Period, params: dict[str, Any]) -> str:
    """Σ e / Σ s over the start cohort."""
    return f"""SELECT account_id, date, NULL AS actor, end_mrr AS numerator, start_mrr AS denominator, 1 AS sample
        FROM ({cohort(p, params)})"""


def grr(p: Period, params: dict[str, Any]) -> str:
    """Σ min(e, s) / Σ s over the start cohort."""
    return f"""SELECT account_id, date, NULL AS actor, least(end_mrr, start_mrr) AS numerator,
        start_mrr AS denominator, 1 AS sample FROM ({cohort(p, params)})"""


def churn(p: Period, params: dict[str, Any]) -> str:
    """Cohort accounts (or their start MRR) with e = 0."""
    weight = "1.0" if params.get("basis", "logos") == "logos" else "start_mrr"
    return f"""SELECT account_id, date, NULL AS actor, CASE WHEN end_mrr = 0 THEN {weight} ELSE 0.0 END AS numerator,
        {weight} AS denominator, 1 AS sample FROM ({cohort(p, params)})"""


def mrr_movements(p: Period, params: dict[str, Any]) -> str:
    """Month-over-month movements of one kind, over P's months; amounts positive; dated at the month's end."""
    months = p.months
    month_list = ", ".join(lit(m) for m in months)
    prev_list = ", ".join(lit(p.month(m, -1)) for m in months)
    ends = " UNION ALL ".join(
        f"SELECT {lit(m)} AS month, {lit(min(p.month(m, 1) - timedelta(days=1), p.end))} AS month_end" for m in months
    )
    return f"""
        WITH cur AS (SELECT account_id, month, mrr AS cur FROM mrr WHERE month IN ({month_list})),
        prev AS (SELECT account_id, CAST(month + INTERVAL 1 MONTH AS DATE) AS month, mrr AS prev
                 FROM mrr WHERE month IN ({prev_list})),
        first_paid AS (SELECT account_id, min(month) AS first FROM mrr WHERE mrr > 0 GROUP BY account_id),
        pairs AS (
            SELECT coalesce(c.account_id, v.account_id) AS account_id, coalesce(c.month, v.month) AS month,
                   coalesce(c.cur, 0.0) AS cur, coalesce(v.prev, 0.0) AS prev
            FROM cur c FULL OUTER JOIN prev v ON c.account_id = v.account_id AND c.month = v.month),
        kinds AS (
            SELECT pairs.*, CASE
                WHEN prev = 0 AND cur > 0 AND NOT coalesce(f.first < pairs.month, false) THEN 'new'
                WHEN prev = 0 AND cur > 0 THEN 'reactivation'
                WHEN prev > 0 AND cur > prev THEN 'expansion'
                WHEN prev > 0 AND cur > 0 AND cur < prev THEN 'contraction'
                WHEN prev > 0 AND cur = 0 THEN 'churn' END AS movement
            FROM pairs LEFT JOIN first_paid f USING (account_id))
        SELECT account_id, e.month_end AS date, NULL AS actor, abs(cur - prev) AS numerator,
               NULL::DOUBLE AS denominator, 1 AS sample
        FROM kinds JOIN ({ends}) e USING (month)
        WHERE movement = '{params["movement"]}'"""


def csat(p: Period, params: dict[str, Any]) -> str:
    """CSAT responses in P: score >= threshold."""
    threshold = int(params.get("threshold", 4))
    return f"""SELECT account_id, responded_at AS date, NULL AS actor, (score >= {threshold})::DOUBLE AS numerator,
        1.0 AS denominator, 1 AS sample FROM surveys WHERE survey = 'csat' AND {in_period("responded_at", p)}"""


def nps(p: Period, params: dict[str, Any]) -> str:
    """NPS responses in P: +100 promoter, -100 detractor."""
    return f"""SELECT account_id, responded_at AS date, NULL AS actor,
        CASE WHEN score >= 9 THEN 100.0 WHEN score <= 6 THEN -100.0 ELSE 0.0 END AS numerator,
        1.0 AS denominator, 1 AS sample FROM surveys WHERE survey = 'nps' AND {in_period("responded_at", p)}"""


def fcr(p: Period, params: dict[str, Any]) -> str:
    """Tickets resolved in P with contacts known: one touch and not reopened."""
    return f"""SELECT account_id, resolved_at AS date, NULL AS actor,
        (contacts <= 1 AND NOT coalesce(reopened, false))::DOUBLE AS numerator, 1.0 AS denominator, 1 AS sample
        FROM tickets WHERE contacts IS NOT NULL AND {in_period("resolved_at", p)}"""


def expansion_close_rate(p: Period, params: dict[str, Any]) -> str:
    """Expansions from sources, won or lost, closed in P: won / (won + lost), by count or amount."""
    weight = "1.0" if params.get("weight", "count") == "count" else "coalesce(amount, 0.0)"
    return f"""SELECT account_id, closed_at AS date, NULL AS actor,
        CASE WHEN stage = 'won' THEN {weight} ELSE 0.0 END AS numerator, {weight} AS denominator, 1 AS sample
        FROM opportunities
        WHERE type = 'expansion' AND source IN {text_list(params.get("sources", ["csm"]))}
          AND stage IN ('won', 'lost') AND {in_period("closed_at", p)}"""


def sourced_expansion_arr(p: Period, params: dict[str, Any]) -> str:
    """Won expansion ARR from sources closed in P (share: over all won expansion ARR)."""
    sourced = f"source IN {text_list(params.get('sources', ['csm']))}"
    share = bool(params.get("share", False))
    return f"""SELECT account_id, closed_at AS date, NULL AS actor,
        CASE WHEN {sourced} THEN coalesce(amount, 0.0) ELSE 0.0 END AS numerator,
        {"coalesce(amount, 0.0)" if share else "NULL::DOUBLE"} AS denominator, 1 AS sample
        FROM opportunities
        WHERE type = 'expansion' AND stage = 'won' AND {in_period("closed_at", p)}
          {"" if share else "AND " + sourced}"""


def onboarding_on_time(p: Period, params: dict[str, Any]) -> str:
    """Accounts whose deadline (contract_start + days) is in P: onboarded on or before it (empty = late)."""
    days = int(params.get("days", 30))
    return f"""SELECT account_id, deadline AS date, NULL AS actor,
        coalesce(onboarded_at <= deadline, false)::DOUBLE AS numerator, 1.0 AS denominator, 1 AS sample
        FROM (SELECT *, CAST(contract_start + INTERVAL {days} DAY AS DATE) AS deadline FROM accounts
              WHERE contract_start IS NOT NULL)
        WHERE {in_period("deadline", p)}"""


def time_to_value(p: Period, params: dict[str, Any]) -> str:
    """Accounts onboarded in P with a contract_start: days from contract to onboarding (median)."""
    return f"""SELECT account_id, onboarded_at AS date, NULL AS actor,
        (onboarded_at - contract_start)::DOUBLE AS numerator, NULL::DOUBLE AS denominator, 1 AS sample
        FROM accounts WHERE contract_start IS NOT NULL AND {in_period("onboarded_at", p)}"""


def active_at_end(p: Period) -> str:
    """Accounts active at P's end (MRR of its last month > 0), dated at P's end."""
    return f"SELECT account_id, {lit(p.end)} AS date, mrr AS end_mrr FROM ({mrr_at(p.last_month)}) WHERE mrr > 0"


def activity_filter(types: Any) -> str:
    """Activity types (``all`` or a list), matched lower-cased."""
    return "true" if types in (None, "all") else f"type IN {text_list(list(types))}"


def touch_cadence(p: Period, params: dict[str, Any]) -> str:
    """Active accounts whose largest gap between [P start, activity dates in P, P end] <= max_gap_days."""
    gap = int(params.get("max_gap_days", 14))
    return f"""
        WITH active AS ({active_at_end(p)}),
        points AS (
            SELECT account_id, {lit(p.start)} AS point FROM active
            UNION ALL SELECT account_id, {lit(p.end)} FROM active
            UNION ALL SELECT account_id, occurred_at FROM activities
                WHERE {in_period("occurred_at", p)} AND {activity_filter(params.get("types", "all"))}
                  AND account_id IN (SELECT account_id FROM active)),
        gaps AS (SELECT account_id, max(point - prior) AS max_gap FROM (
            SELECT account_id, point, lag(point) OVER (PARTITION BY account_id ORDER BY point) AS prior FROM points)
            GROUP BY account_id)
        SELECT account_id, date, NULL AS actor, (max_gap <= {gap})::DOUBLE AS numerator, 1.0 AS denominator,
               1 AS sample
        FROM active JOIN gaps USING (account_id)"""


def activity_coverage(p: Period, params: dict[str, Any]) -> str:
    """Active accounts with at least min_count activities of the types in P."""
    minimum = int(params.get("min_count", 1))
    return f"""
        WITH counts AS (SELECT account_id, count(*) AS n FROM activities
            WHERE {in_period("occurred_at", p)} AND {activity_filter(params.get("types", ["qbr", "ebr"]))}
            GROUP BY account_id)
        SELECT a.account_id, a.date, NULL AS actor, (coalesce(c.n, 0) >= {minimum})::DOUBLE AS numerator,
               1.0 AS denominator, 1 AS sample
        FROM ({active_at_end(p)}) a LEFT JOIN counts c USING (account_id)"""


def activity_count(p: Period, params: dict[str, Any]) -> str:
    """Activities of the types in P, credited to their own csm_id when set (else the owner)."""
    return f"""SELECT account_id, occurred_at AS date, csm_id AS actor, 1.0 AS numerator, NULL::DOUBLE AS denominator,
        1 AS sample FROM activities
        WHERE {in_period("occurred_at", p)} AND {activity_filter(params.get("types", "all"))}"""


def referenceable_rate(p: Period, params: dict[str, Any]) -> str:
    """Active accounts marked referenceable (empty = false)."""
    return f"""SELECT a.account_id, a.date, NULL AS actor, coalesce(r.referenceable, false)::DOUBLE AS numerator,
        1.0 AS denominator, 1 AS sample
        FROM ({active_at_end(p)}) a LEFT JOIN accounts r USING (account_id)"""


def arr_managed(p: Period, params: dict[str, Any]) -> str:
    """12 × end MRR of active accounts."""
    return f"""SELECT account_id, date, NULL AS actor, 12 * end_mrr AS numerator, NULL::DOUBLE AS denominator,
        1 AS sample FROM ({active_at_end(p)})"""


def accounts_active(p: Period, params: dict[str, Any]) -> str:
    """One per active account."""
    return f"""SELECT account_id, date, NULL AS actor, 1.0 AS numerator, NULL::DOUBLE AS denominator, 1 AS sample
        FROM ({active_at_end(p)})"""


def cost_to_serve(p: Period, params: dict[str, Any]) -> str:
    """ARR managed as the denominator; the rollup puts the group's CSM cost in the numerator."""
    return f"""SELECT account_id, date, NULL AS actor, 0.0 AS numerator, 12 * end_mrr AS denominator, 1 AS sample
        FROM ({active_at_end(p)})"""


def seat_utilisation(p: Period, params: dict[str, Any]) -> str:
    """Active accounts with licensed seats in P's last month: active users over seats."""
    return f"""SELECT a.account_id, a.date, NULL AS actor, u.active_users::DOUBLE AS numerator,
        u.licensed_seats::DOUBLE AS denominator, 1 AS sample
        FROM ({active_at_end(p)}) a
        JOIN usage u ON u.account_id = a.account_id AND u.month = {lit(p.last_month)} AND u.licensed_seats > 0"""


def adoption_growth(p: Period, params: dict[str, Any]) -> str:
    """Accounts with active users in the month before P: users of P's last month (missing = 0) over those."""
    return f"""SELECT s.account_id, {lit(p.start)} AS date, NULL AS actor,
        coalesce(e.active_users, 0)::DOUBLE AS numerator, s.active_users::DOUBLE AS denominator, 1 AS sample
        FROM usage s LEFT JOIN usage e ON e.account_id = s.account_id AND e.month = {lit(p.last_month)}
        WHERE s.month = {lit(p.start_snapshot)} AND s.active_users > 0"""


def milestone_on_time(p: Period, params: dict[str, Any]) -> str:
    """Accounts whose deadline (contract_start + days) is in P: the milestone's earliest achieved_at by then."""
    days = int(params.get("days", 180))
    return f"""SELECT a.account_id, a.deadline AS date, NULL AS actor,
        coalesce(m.first <= a.deadline, false)::DOUBLE AS numerator, 1.0 AS denominator, 1 AS sample
        FROM (SELECT account_id, CAST(contract_start + INTERVAL {days} DAY AS DATE) AS deadline FROM accounts
              WHERE contract_start IS NOT NULL) a
        LEFT JOIN (SELECT account_id, min(achieved_at) AS first FROM milestones
                   WHERE milestone IN {text_list([params["milestone"]])} GROUP BY account_id) m USING (account_id)
        WHERE {in_period("a.deadline", p)}"""


SnippetFn = Callable[[Period, dict[str, Any]], str]
REVENUE = {"mrr": {"account_id", "month", "mrr"}}
OPPORTUNITIES = {"opportunities": {"opportunity_id", "account_id", "type", "source", "stage", "closed_at", "amount"}}
ACTIVITIES = {"activities": {"activity_id", "account_id", "type", "occurred_at", "csm_id"}}
ONBOARDING = {"accounts": {"account_id", "contract_start", "onboarded_at"}}
SURVEYS = {"surveys": {"response_id", "account_id", "survey", "responded_at", "score"}}


@dataclass(frozen=True)
class MetricSQL:
    """A metric: its unit snippet, how its units pool, the columns it reads, and its variants."""

    units: SnippetFn
    aggregation: str | Callable[[dict[str, Any]], str]  # ratio, sum, median, per_csm, cost
    needs: dict[str, set[str]]
    variants: Callable[[dict[str, Any]], list[tuple[str, dict[str, Any]]]] | None = None


def _movements(params: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    if params.get("movement"):
        return []
    return [(m, {**params, "movement": m}) for m in ("new", "reactivation", "expansion", "contraction", "churn")]


METRICS: dict[str, MetricSQL] = {
    "nrr": MetricSQL(nrr, "ratio", REVENUE),
    "grr": MetricSQL(grr, "ratio", REVENUE),
    "churn": MetricSQL(churn, "ratio", REVENUE),
    "mrr_movements": MetricSQL(mrr_movements, "sum", REVENUE, _movements),
    "csat": MetricSQL(csat, "ratio", SURVEYS),
    "nps": MetricSQL(nps, "ratio", SURVEYS),
    "fcr": MetricSQL(fcr, "ratio", {"tickets": {"ticket_id", "account_id", "resolved_at", "contacts", "reopened"}}),
    "expansion_close_rate": MetricSQL(expansion_close_rate, "ratio", OPPORTUNITIES),
    "sourced_expansion_arr": MetricSQL(
        sourced_expansion_arr, lambda params: "ratio" if params.get("share") else "sum", OPPORTUNITIES
    ),
    "onboarding_on_time": MetricSQL(onboarding_on_time, "ratio", ONBOARDING),
    "time_to_value": MetricSQL(time_to_value, "median", ONBOARDING),
    "touch_cadence": MetricSQL(touch_cadence, "ratio", {**REVENUE, **ACTIVITIES}),
    "activity_coverage": MetricSQL(activity_coverage, "ratio", {**REVENUE, **ACTIVITIES}),
    "activity_count": MetricSQL(activity_count, "sum", ACTIVITIES),
    "referenceable_rate": MetricSQL(
        referenceable_rate, "ratio", {**REVENUE, "accounts": {"account_id", "referenceable"}}
    ),
    "arr_managed": MetricSQL(arr_managed, "sum", REVENUE),
    "arr_per_csm": MetricSQL(arr_managed, "per_csm", REVENUE),
    "accounts_per_csm": MetricSQL(accounts_active, "per_csm", REVENUE),
    "cost_to_serve": MetricSQL(cost_to_serve, "cost", {**REVENUE, "csms": {"csm_id", "annual_cost"}}),
    "seat_utilisation": MetricSQL(
        seat_utilisation, "ratio", {**REVENUE, "usage": {"account_id", "month", "active_users", "licensed_seats"}}
    ),
    "adoption_growth": MetricSQL(adoption_growth, "ratio", {"usage": {"account_id", "month", "active_users"}}),
    "milestone_on_time": MetricSQL(
        milestone_on_time,
        "ratio",
        {"accounts": {"account_id", "contract_start"}, "milestones": {"account_id", "milestone", "achieved_at"}},
    ),
}


# ---------------------------------------------------------------------------------------------- attribution, rollup


def attributed(units: str) -> str:
    """Units with their group: the activity's own CSM, else the assignment covering the date, else accounts.csm_id.

    Assignments do not overlap (validated), so at most one range covers a date.
    """
    return f"""
        SELECT u.*, coalesce(u.actor, g.csm_id, a.csm_id, '{UNASSIGNED}') AS grp,
               coalesce(u.actor, g.csm_id, a.csm_id) AS owner
        FROM ({units}) u
        LEFT JOIN accounts a ON a.account_id = u.account_id
        LEFT JOIN assignments g ON g.account_id = u.account_id
             AND u.date >= g.start_date AND (g.end_date IS NULL OR u.date <= g.end_date)"""


def aggregates(aggregation: str) -> str:
    """numerator, denominator, sample_size and value of a set of units."""
    if aggregation == "sum":
        return (
            "sum(numerator) AS numerator, NULL::DOUBLE AS denominator, sum(sample) AS sample_size, "
            "sum(numerator) AS value"
        )
    if aggregation == "median":
        return (
            "NULL::DOUBLE AS numerator, NULL::DOUBLE AS denominator, sum(sample) AS sample_size, "
            "median(numerator) AS value"
        )
    if aggregation == "per_csm":
        return (
            "sum(numerator) AS numerator, count(DISTINCT owner)::DOUBLE AS denominator, sum(sample) AS sample_size, "
            "sum(numerator) / nullif(count(DISTINCT owner), 0) AS value"
        )
    if aggregation == "cost":  # numerator = annual cost of the group's CSMs, joined in rollup()
        return "sum(denominator) AS denominator, sum(sample) AS sample_size"
    return (
        "sum(numerator) AS numerator, sum(denominator) AS denominator, sum(sample) AS sample_size, "
        "sum(numerator) / nullif(sum(denominator), 0) AS value"
    )


def rollup(kpi: str, units: str, aggregation: str) -> str:
    """One row per csms.csv member, per other group with units, and ALL.

    ``cost``: the numerator is the annual cost of the group's CSMs (the csms.csv member itself, so a CSM without
    active accounts still shows its cost over an empty denominator; no cost for ``(unassigned)`` or an owner
    outside csms.csv), and for ALL the cost of every CSM in csms.csv.
    """
    empty = "0.0" if aggregation == "sum" else "NULL::DOUBLE"
    aggs = aggregates(aggregation)
    if aggregation == "cost":
        per_group = f"SELECT grp, NULL::DOUBLE AS numerator, {aggs}, NULL::DOUBLE AS value FROM units GROUP BY grp"
        everyone = f"""SELECT '{ALL}' AS grp, c.cost AS numerator, g.denominator, g.sample_size,
                              c.cost / nullif(g.denominator, 0) AS value
                       FROM (SELECT {aggs} FROM units) g,
                            (SELECT sum(coalesce(annual_cost, 0.0)) AS cost FROM csms) c"""
        numbers = """c.cost AS numerator, f.denominator, f.sample_size, c.cost / nullif(f.denominator, 0) AS value
            FROM filled f LEFT JOIN (SELECT csm_id, sum(coalesce(annual_cost, 0.0)) AS cost FROM csms GROUP BY csm_id) c
                 ON c.csm_id = f.grp"""
    else:
        per_group = f"SELECT grp, {aggs} FROM units GROUP BY grp"
        everyone = f"SELECT '{ALL}' AS grp, {aggs} FROM units"
        numbers = "numerator, denominator, sample_size, value FROM filled"
    return f"""
        WITH units AS ({attributed(units)}),
        groups AS ({per_group}),
        members AS (SELECT DISTINCT csm_id AS grp FROM csms WHERE csm_id IS NOT NULL),
        filled AS (
            SELECT coalesce(g.grp, m.grp) AS grp, coalesce(g.numerator, {empty}) AS numerator, g.denominator,
                   coalesce(g.sample_size, 0) AS sample_size, coalesce(g.value, {empty}) AS value
            FROM groups g FULL OUTER JOIN members m ON g.grp = m.grp),
        rows AS (SELECT grp, {numbers})
        SELECT '{kpi}' AS kpi, grp AS "group", value, numerator, denominator, sample_size::BIGINT AS sample_size,
               0 AS last
        FROM rows
        UNION ALL
        SELECT '{kpi}', grp, value, numerator, denominator, sample_size::BIGINT, 1 FROM ({everyone})"""


# ---------------------------------------------------------------------------------------------- loading


def needed_columns(kpis: list[tuple[str, str, MetricSQL, dict[str, Any]]]) -> dict[str, set[str]]:
    """Columns per table: attribution's plus every KPI's, plus each table's key."""
    needs: dict[str, set[str]] = {t: set(c) for t, c in DIMENSION_NEEDS.items()}
    for _, _, metric, _ in kpis:
        for table, columns in metric.needs.items():
            needs.setdefault(table, set()).update(columns)
    for table in needs:
        needs[table].update(KEYS.get(table, ()))
    return needs


def column_sql(table: str, column: str) -> str:
    """The typed, trimmed expression of a column read as ``raw_<column>``."""
    kind = SCHEMA[table][column]
    raw = f'"{column}"'
    if kind in ("ID", "TEXT"):
        return f"nullif(trim({raw}), '') AS {column}"
    if kind in ("ENUM", "LOWER"):
        return f"nullif(lower(trim({raw})), '') AS {column}"
    if kind == "BOOL":
        return (
            f"CASE lower(trim({raw})) WHEN 'true' THEN true WHEN 'yes' THEN true WHEN '1' THEN true WHEN 'y' THEN true "
            f"WHEN 'false' THEN false WHEN 'no' THEN false WHEN '0' THEN false WHEN 'n' THEN false WHEN '' THEN NULL "
            f"ELSE CASE WHEN {raw} IS NULL THEN NULL "
            f"ELSE error('{table}.csv: column {column}: not a boolean: ' || {raw}) END END AS {column}"
        )
    if kind == "DATETIME":
        return f"CAST({raw} AS DATE) AS {column}"  # only the date is used (periods are whole days)
    return f"{raw} AS {column}"


def sql(con: duckdb.DuckDBPyConnection, statement: str) -> list[tuple[Any, ...]]:
    """Run a statement to completion and return its rows (DuckDB wants every result consumed)."""
    return con.execute(statement).fetchall()


def load_table(con: duckdb.DuckDBPyConnection, data: Path, table: str, columns: set[str]) -> bool:
    """Create a temp table with the needed columns, typed; False when the file is absent."""
    path = data / f"{table}.csv"
    if not path.is_file():
        return False
    with path.open(encoding="utf-8-sig") as handle:
        header = [name.strip() for name in handle.readline().rstrip("\r\n").split(",")]
    missing = [c for c in REQUIRED[table] if c in columns and c not in header]
    if missing:
        raise DataError(f"{path}: missing required column(s) {', '.join(missing)}")
    types = {}
    for name in header:
        kind = SCHEMA[table].get(name)
        types[name] = READ_TYPE.get(kind, "VARCHAR") if kind else "VARCHAR"
    wanted = [c for c in SCHEMA[table] if c in columns and c in header]
    date_format = ", dateformat='%Y-%m'" if table in ("mrr", "usage") else ""
    read = (
        f"read_csv('{path.as_posix()}', header=true, auto_detect=false, delim=',', quote='\"', escape='\"', "
        f"strict_mode=true, null_padding=false, columns={types!r}{date_format})"
    )
    select = ", ".join(column_sql(table, c) for c in wanted)
    sql(con, f"CREATE TEMP TABLE {table} AS SELECT {select} FROM {read}")
    # Optional columns that the file lacks are NULL, as in csmkpi.
    for column in columns - set(wanted):
        if column in SCHEMA[table]:
            kind = SCHEMA[table][column]
            sql_type = {"DATE": "DATE", "MONTH": "DATE", "DATETIME": "DATE", "NUMBER": "DOUBLE", "INTEGER": "BIGINT"}
            typ = "BOOLEAN" if kind == "BOOL" else sql_type.get(kind, "VARCHAR")
            sql(con, f"ALTER TABLE {table} ADD COLUMN {column} {typ}")
    return True


def checks(table: str, columns: set[str]) -> list[tuple[str, str]]:
    """(name, SQL condition flagging a bad row) for the columns read, as csmkpi's validation."""
    found: list[tuple[str, str]] = []
    for column in REQUIRED[table]:
        if column in columns:
            found.append((f"missing {column}", f"{column} IS NULL"))
    for (t, column), values in ENUMS.items():
        if t == table and column in columns:
            found.append((f"unknown {column}", f"{column} NOT IN {text_list(list(values))}"))
    for t, column in NON_NEGATIVE:
        if t == table and column in columns:
            found.append((f"{column} out of range", f"{column} < 0"))
            if SCHEMA[table][column] == "NUMBER":
                found.append((f"{column} not finite", f"NOT isfinite({column})"))
    if table == "surveys" and {"survey", "score"} <= columns:
        found.append(
            (
                "score out of range",
                "(survey = 'csat' AND score NOT BETWEEN 1 AND 5) OR (survey = 'nps' AND score NOT BETWEEN 0 AND 10)",
            )
        )
    if table == "opportunities" and {"stage", "closed_at"} <= columns:
        found.append(("closed_at missing", "stage IN ('won', 'lost') AND closed_at IS NULL"))
    if table == "assignments":
        found.append(("end before start", "end_date < start_date"))
    return found


def validate(con: duckdb.DuckDBPyConnection, table: str, columns: set[str]) -> None:
    """Run the row checks, key uniqueness and assignment overlaps; raise ``DataError`` listing what failed."""
    row_checks = checks(table, columns)
    problems: list[str] = []
    parts = [f"count(*) FILTER (WHERE {condition})" for _, condition in row_checks]
    key = KEYS.get(table)
    if key:
        parts.append(f"count(*) - count(DISTINCT ({', '.join(key)}))")
    if parts:
        counts = sql(con, f"SELECT {', '.join(parts)} FROM {table}")[0]
        names = [name for name, _ in row_checks] + ([f"duplicate {' + '.join(key)}"] if key else [])
        problems += [f"{n}: {c} rows" for n, c in zip(names, counts, strict=True) if c]
    if table == "assignments":
        overlaps = sql(
            con,
            """SELECT count(*) FROM (SELECT start_date, max(coalesce(end_date, DATE '9999-12-31')) OVER (
                   PARTITION BY account_id ORDER BY start_date, coalesce(end_date, DATE '9999-12-31')
                   ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS latest_end FROM assignments)
               WHERE start_date <= latest_end""",
        )[0][0]
        if overlaps:
            problems.append(f"overlapping assignments: {overlaps} rows")
    if problems:
        raise DataError(f"{table}.csv: " + "; ".join(problems))


# ---------------------------------------------------------------------------------------------- main


def config_kpis(path: Path) -> tuple[list[tuple[str, str, MetricSQL, dict[str, Any]]], str]:
    """The config's KPIs as (id, metric name, MetricSQL, params), variants expanded, and its attribution."""
    config = yaml.safe_load(path.read_text(encoding="utf-8"))
    kpis = []
    for item in config["kpis"]:
        metric = METRICS.get(item["metric"])
        if metric is None:
            raise SystemExit(f"{path}: metric {item['metric']!r} has no DuckDB snippet in {Path(__file__).name}")
        params = dict(item.get("params") or {})
        variants = metric.variants(params) if metric.variants else []
        if variants:
            kpis += [(f"{item['id']}_{suffix}", item["metric"], metric, p) for suffix, p in variants]
        else:
            kpis.append((item["id"], item["metric"], metric, params))
    return kpis, config.get("attribution", "period_start")


def run(data: Path, period: Period, kpis: list[tuple[str, str, MetricSQL, dict[str, Any]]], threads: int | None) -> Any:
    """Load, validate, compute; return the result relation's rows as a DuckDB relation."""
    con = duckdb.connect()
    if threads:
        sql(con, f"SET threads = {threads}")
    needs = needed_columns(kpis)
    present = set()
    for table in SCHEMA:
        if table in needs and load_table(con, data, table, needs[table]):
            present.add(table)
            validate(con, table, needs[table])
    for table, columns in DIMENSION_NEEDS.items():  # absent optional tables behave as empty
        if table not in present:
            cols = ", ".join(f"NULL::{'DATE' if 'date' in c else 'VARCHAR'} AS {c}" for c in sorted(columns))
            sql(con, f"CREATE TEMP TABLE {table} AS SELECT {cols} WHERE false")
            present.add(table)
    if "csms" in present and "annual_cost" not in con.table("csms").columns:
        sql(con, "ALTER TABLE csms ADD COLUMN annual_cost DOUBLE")
    parts = []
    for order, (kpi_id, _, metric, params) in enumerate(kpis):
        missing = [t for t in metric.needs if t not in present]
        if missing:
            print(f"warning: KPI {kpi_id!r} is not computable: needs {', '.join(missing)}", file=sys.stderr)
            continue
        aggregation = metric.aggregation if isinstance(metric.aggregation, str) else metric.aggregation(params)
        parts.append(f"SELECT {order} AS k, * FROM ({rollup(kpi_id, metric.units(period, params), aggregation)})")
    query = " UNION ALL ".join(parts)
    return con, (
        f'SELECT kpi, "group", value, numerator, denominator, sample_size FROM ({query}) ORDER BY k, last, "group"'
    )


def main(argv: list[str] | None = None) -> int:
    """Parse the command line, compute, write the CSV."""
    parser = argparse.ArgumentParser(description="csmkpi's KPIs in DuckDB SQL (benchmark reference).")
    parser.add_argument("--data", type=Path, required=True, help="folder with <table>.csv files")
    parser.add_argument("--period-start", type=date.fromisoformat, required=True)
    parser.add_argument("--period-end", type=date.fromisoformat, required=True)
    parser.add_argument("--config", type=Path, default=ROOT / "configs" / "kpis.yaml", help="KPI list (csmkpi config)")
    parser.add_argument("--out", type=Path, help="CSV file (default: stdout)")
    parser.add_argument("--threads", type=int, help="DuckDB threads (default: all cores)")
    parser.add_argument("--timings", action="store_true", help="print phase timings to stderr")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    kpis, attribution = config_kpis(args.config)
    period = Period(args.period_start, args.period_end, attribution)
    try:
        con, query = run(args.data, period, kpis, args.threads)
    except (DataError, duckdb.Error) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 65
    loaded = time.perf_counter()
    result = con.sql(query)
    if args.out:
        result.write_csv(str(args.out), header=True)
    else:
        result.write_csv("/dev/stdout", header=True)
    if args.timings:
        done = time.perf_counter()
        print(f"load+validate {loaded - started:.2f} s, kpis+write {done - loaded:.2f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
