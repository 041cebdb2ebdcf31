"""Periods at the edges of the calendar (SPEC §6): years 1 to 9999 either work or are a usage error (2).

A period needs the 12 months before it (its start revenue snapshot, trailing windows), so the first
computable one starts in year 2 (0002-01); earlier ones, relative periods that would fall before year 1
or after 9999, and years 0 and 10000 are usage errors with a message. Leap days, unstarted quarters and
data dated in years 1 and 9999 just work.
"""

from __future__ import annotations

import pytest
from faults import Company, assert_clean, run_all
from typer.testing import CliRunner

from csmkpi.cli.app import app

WORKS = [
    ("score", "-p", "0002-01", "--as-of", "2026-10-15"),
    ("score", "-p", "9999-12", "--as-of", "2026-10-15"),
    ("score", "-p", "9999-Q4", "--as-of", "9999-12-31"),
    ("score", "-p", "this-quarter", "--as-of", "9999-12-31"),
    ("score", "--as-of", "9999-12-31"),
    ("score", "--from", "9999-12-01", "--to", "9999-12-31", "--as-of", "2026-01-01"),
    ("score", "-p", "2024-02", "--as-of", "2024-02-29"),
    ("score", "-p", "ytd", "--as-of", "2024-02-29"),
    ("score", "--from", "2024-02-29", "--to", "2025-02-28", "--as-of", "2025-03-01"),
    ("score", "-p", "2027-Q1", "--as-of", "2026-10-15"),  # a quarter not started yet
    ("trend", "-p", "9999", "--every", "quarter", "--as-of", "9999-12-31"),
    ("trend", "--as-of", "9999-12-31"),
    ("explain", "csat", "-p", "9999-12", "--as-of", "9999-12-31"),
]
USAGE = [
    ("score", "-p", "0001-01", "--as-of", "2026-10-15"),
    ("score", "-p", "0001", "--as-of", "2026-10-15"),
    ("score", "-p", "0000", "--as-of", "2026-10-15"),
    ("score", "-p", "10000", "--as-of", "2026-10-15"),
    ("score", "-p", "last-month", "--as-of", "0001-01-01"),
    ("score", "-p", "Q4", "--as-of", "0001-06-01"),
    ("score", "--as-of", "0001-01-01"),
    ("score", "--from", "0001-01-01", "--to", "0001-12-31", "--as-of", "2026-01-01"),
    ("score", "--as-of", "10000-01-01"),
    ("trend", "--as-of", "0001-06-01"),
    ("trend", "--as-of", "0002-01-15"),
    ("explain", "nrr", "-p", "0001-12", "--as-of", "2026-10-15"),
]


@pytest.mark.parametrize("args", WORKS + USAGE, ids=" ".join)
def test_periods_from_year_1_to_9999_work_or_are_usage_errors(company: Company, args: tuple[str, ...]) -> None:
    """In process, for breadth (the test below runs a few of them as real processes)."""
    result = CliRunner().invoke(app, [*args, "--config", str(company.config), "--format", "csv", "--quiet"])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    if args in WORKS:
        assert result.exit_code == 0, (args, result.output)
        assert result.stdout.startswith('"'), args
    else:
        assert result.exit_code == 2, (args, result.output)
        assert result.stdout == ""
        assert "period" in result.stderr or "as-of" in result.stderr, result.stderr


def test_the_edges_in_real_processes(company: Company) -> None:
    chosen = [WORKS[2], WORKS[10], USAGE[0], USAGE[4], USAGE[10]]
    runs = [[*args, "--config", company.config, "--format", "csv", "--quiet"] for args in chosen]
    for args, (code, out, err) in zip(chosen, run_all(runs), strict=True):
        assert_clean(err)
        assert code == (0 if args in WORKS else 2), (args, err)
        assert (out != b"") == (code == 0)


def test_data_dated_in_years_1_and_9999(company: Company) -> None:
    accounts = company.data / "accounts.csv"
    lines = accounts.read_text(encoding="utf-8").splitlines()
    lines = [lines[0] + ",contract_start,onboarded_at", *(line + ",," for line in lines[1:])]
    lines += ["A90,Far future,alice,SMB,EU,9999-12-20,9999-12-31", "A91,Far past,bob,SMB,EU,0001-01-01,0001-01-02"]
    accounts.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with (company.data / "mrr.csv").open("a", encoding="utf-8") as mrr:
        mrr.write("A90,9999-11,5\nA90,9999-12,10\nA91,0001-01,5\nA91,0001-02,7\n")
    with (company.data / "surveys.csv").open("a", encoding="utf-8") as surveys:
        surveys.write("X1,A90,csat,9999-12-31T23:59:59,5\nX2,A91,csat,0001-01-01T00:00:00,1\n")
    with company.config.open("a", encoding="utf-8") as config:
        config.write("  - {id: onb, metric: onboarding_on_time, target: 0.8, params: {days: 30}}\n")
        config.write("  - {id: ttv, metric: time_to_value, target: 10, better: lower}\n")
    xlsx = company.root / "edge.xlsx"
    runs = [
        ["score", "-p", "9999-12", "--as-of", "9999-12-31", "--format", "csv"],
        ["score", "-p", "9999-Q4", "--as-of", "2026-01-01", "--output", xlsx],
        ["explain", "ttv", "-p", "9999-12", "--as-of", "9999-12-31", "--format", "json"],
        ["explain", "csat", "-p", "9999-12", "--as-of", "9999-12-31", "--format", "csv"],
        ["trend", "-p", "9999", "--every", "quarter", "--as-of", "9999-12-31", "--format", "csv"],
        ["validate"],
    ]
    for args in runs:
        result = CliRunner().invoke(app, [*map(str, args), "--config", str(company.config), "-q"])
        assert result.exit_code == 0, (args, result.output)
    assert xlsx.stat().st_size > 0
