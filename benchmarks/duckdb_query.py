"""The yardstick (SPEC section 7): what an analyst would write instead of csmkpi, one DuckDB query.

    python benchmarks/duckdb_query.py --data DIR --period-start 2026-07-01 --period-end 2026-09-30 [--out FILE.csv]

One SQL statement over ``read_csv`` with explicit column types (no type sniffing) that keeps only the columns it
needs, computing per CSM plus an ``ALL`` row the 9 core KPIs of ``benchmarks/kpis_core.yaml``: nrr, grr, logo
churn, csat, nps, fcr, the expansion win rate, CSM-sourced expansion ARR and touch cadence. No validation: a
malformed file is whatever DuckDB's reader makes of it. Enum values are lower-cased (the benchmark data writes 1%
of them in upper case, as real exports do), which any analyst checking their numbers would add.

Units are attributed like csmkpi (SPEC section 4): the assignment covering the unit's date, else
``accounts.csm_id``, else ``(unassigned)``; retention units on the period's start, touch cadence on its end,
events on their own date. Output (``--out`` or stdout): CSV ``kpi,group,value,numerator,denominator,sample_size``,
one row per (KPI, group with units) and ``ALL``, what ``benchmarks/compare.py`` reads.

Benchmark-only (it needs ``duckdb``, see ``benchmarks/requirements.txt``); default file names, comma-delimited
UTF-8, as ``benchmarks/generate.py`` writes them.
"""

from __future__ import annotations

import argparse
from datetime import date, timedelta
from pathlib import Path

# The columns each file has (in file order) and the type of those the query reads; the others stay text,
# and DuckDB's projection pushdown skips them.
FILES: dict[str, dict[str, str]] = {
    "accounts": {"account_id": "VARCHAR", "csm_id": "VARCHAR"},
    "assignments": {"account_id": "VARCHAR", "csm_id": "VARCHAR", "start_date": "DATE", "end_date": "DATE"},
    "mrr": {"account_id": "VARCHAR", "month": "DATE", "mrr": "DOUBLE"},
    "surveys": {"account_id": "VARCHAR", "survey": "VARCHAR", "responded_at": "TIMESTAMP", "score": "BIGINT"},
    "tickets": {"account_id": "VARCHAR", "resolved_at": "TIMESTAMP", "contacts": "BIGINT", "reopened": "BOOLEAN"},
    "opportunities": {
        "account_id": "VARCHAR",
        "type": "VARCHAR",
        "source": "VARCHAR",
        "stage": "VARCHAR",
        "closed_at": "DATE",
        "amount": "DOUBLE",
    },
    "activities": {"account_id": "VARCHAR", "occurred_at": "TIMESTAMP"},
}
KPIS = ("nrr", "grr", "logo_churn", "csat", "nps", "fcr", "expansion_win_rate", "csm_sourced_arr", "touch_cadence")


def month_start(d: date, shift: int = 0) -> date:
    """First day of the month ``shift`` months after ``d``'s month."""
    index = d.year * 12 + d.month - 1 + shift
    return date(index // 12, index % 12 + 1, 1)


def read(data: Path, table: str) -> str:
    """``read_csv`` of a table with every column typed explicitly (from the header's names)."""
    path = data / f"{table}.csv"
    with path.open(encoding="utf-8") as handle:
        header = handle.readline().rstrip("\r\n").split(",")
    columns = {name: FILES[table].get(name, "VARCHAR") for name in header}
    date_format = ", dateformat='%Y-%m'" if table == "mrr" else ""
    return f"read_csv('{path.as_posix()}', header=true, auto_detect=false, delim=',', columns={columns!r}{date_format})"


def query(data: Path, start: date, end: date) -> str:
    """The one statement: the 9 core KPIs per CSM and ALL."""
    first, last, before = f"DATE '{start}'", f"DATE '{end}'", f"DATE '{month_start(start, -1)}'"
    last_month = f"DATE '{month_start(end)}'"
    day_after = f"TIMESTAMP '{end + timedelta(days=1)}'"
    in_period = f">= TIMESTAMP '{start}' AND {{}} < {day_after}"  # a timestamp's date in [start, end]
    r = {table: read(data, table) for table in FILES}
    return f"""
    WITH
    accounts AS (SELECT account_id, csm_id FROM {r["accounts"]}),
    assignments AS (SELECT account_id, csm_id, start_date, end_date FROM {r["assignments"]}),
    snapshots AS (SELECT account_id, month, mrr FROM {r["mrr"]} WHERE month IN ({before}, {last_month})),
    cohort AS (
        SELECT s.account_id, s.mrr AS s, coalesce(e.mrr, 0) AS e
        FROM snapshots s LEFT JOIN snapshots e ON e.account_id = s.account_id AND e.month = {last_month}
        WHERE s.month = {before} AND s.mrr > 0),
    active AS (SELECT account_id FROM snapshots WHERE month = {last_month} AND mrr > 0),
    surveys AS (
        SELECT account_id, lower(survey) AS survey, responded_at::DATE AS day, score FROM {r["surveys"]}
        WHERE responded_at {in_period.format("responded_at")}),
    tickets AS (
        SELECT account_id, resolved_at::DATE AS day, contacts, reopened FROM {r["tickets"]}
        WHERE contacts IS NOT NULL AND resolved_at {in_period.format("resolved_at")}),
    deals AS (
        SELECT account_id, closed_at AS day, lower(stage) AS stage, amount FROM {r["opportunities"]}
        WHERE lower(type) = 'expansion' AND lower(source) = 'csm' AND lower(stage) IN ('won', 'lost')
          AND closed_at BETWEEN {first} AND {last}),
    touches AS (
        SELECT account_id, occurred_at::DATE AS point FROM {r["activities"]}
        WHERE occurred_at {in_period.format("occurred_at")} AND account_id IN (SELECT account_id FROM active)),
    points AS (
        SELECT account_id, {first} AS point FROM active
        UNION ALL SELECT account_id, {last} FROM active
        UNION ALL SELECT account_id, point FROM touches),
    gaps AS (
        SELECT account_id, max(point - prior) AS gap FROM (
            SELECT account_id, point, lag(point) OVER (PARTITION BY account_id ORDER BY point) AS prior FROM points)
        GROUP BY account_id),
    units AS (
        SELECT 'nrr' AS kpi, account_id, {first} AS day, e AS num, s AS den FROM cohort
        UNION ALL SELECT 'grr', account_id, {first}, least(e, s), s FROM cohort
        UNION ALL SELECT 'logo_churn', account_id, {first}, (e = 0)::DOUBLE, 1.0 FROM cohort
        UNION ALL SELECT 'csat', account_id, day, (score >= 4)::DOUBLE, 1.0 FROM surveys WHERE survey = 'csat'
        UNION ALL SELECT 'nps', account_id, day, CASE WHEN score >= 9 THEN 100.0 WHEN score <= 6 THEN -100.0
                                                      ELSE 0.0 END, 1.0 FROM surveys WHERE survey = 'nps'
        UNION ALL SELECT 'fcr', account_id, day, (contacts <= 1 AND NOT coalesce(reopened, false))::DOUBLE, 1.0
                  FROM tickets
        UNION ALL SELECT 'expansion_win_rate', account_id, day, (stage = 'won')::DOUBLE, 1.0 FROM deals
        UNION ALL SELECT 'csm_sourced_arr', account_id, day, coalesce(amount, 0.0), NULL FROM deals
                  WHERE stage = 'won'
        UNION ALL SELECT 'touch_cadence', account_id, {last}, (gap <= 14)::DOUBLE, 1.0 FROM gaps),
    owned AS (
        SELECT u.kpi, coalesce(g.csm_id, a.csm_id, '(unassigned)') AS grp, u.num, u.den
        FROM units u
        LEFT JOIN accounts a ON a.account_id = u.account_id
        LEFT JOIN assignments g ON g.account_id = u.account_id AND u.day >= g.start_date
                                   AND (g.end_date IS NULL OR u.day <= g.end_date))
    SELECT kpi, coalesce(grp, 'ALL') AS "group",
           CASE WHEN kpi = 'csm_sourced_arr' THEN sum(num) ELSE sum(num) / nullif(sum(den), 0) END AS value,
           sum(num) AS numerator, sum(den) AS denominator, count(*) AS sample_size
    FROM owned
    GROUP BY GROUPING SETS ((kpi, grp), (kpi))
    ORDER BY kpi, grp IS NULL, grp"""


def main(argv: list[str] | None = None) -> int:
    """Run the query and write its CSV."""
    parser = argparse.ArgumentParser(description="The 9 core KPIs in one DuckDB query (benchmark yardstick).")
    parser.add_argument("--data", type=Path, required=True, help="folder with <table>.csv files")
    parser.add_argument("--period-start", type=date.fromisoformat, required=True)
    parser.add_argument("--period-end", type=date.fromisoformat, required=True)
    parser.add_argument("--out", type=Path, help="CSV file (default: stdout)")
    parser.add_argument("--print-sql", action="store_true", help="print the query instead of running it")
    args = parser.parse_args(argv)
    statement = query(args.data, args.period_start, args.period_end)
    if args.print_sql:
        print(statement)
        return 0
    import duckdb

    duckdb.sql(statement).write_csv(str(args.out) if args.out else "/dev/stdout", header=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
