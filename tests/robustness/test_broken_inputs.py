"""Broken inputs (SPEC §2, §6): every defect is reported with file, line, column, value and expectation.

Each folder of ``tests/fixtures/broken/`` is a small valid company with ONE defect and a
``case.yaml`` (format: ``tests/fixtures/broken/make_cases.py``, which also regenerates them).
Both ``csmkpi validate --data <folder>`` and ``csmkpi score --data <folder> --period 2026-Q3
--as-of 2026-10-15`` run on it through the CLI runner; the test checks the exit code, that
stderr names where the problem is and what was expected, that stdout carries no data on
failure, and that no traceback or internal error ever shows.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner, Result

from csmkpi.cli.app import app

BROKEN = Path(__file__).parents[1] / "fixtures" / "broken"
CASES = sorted(p.parent.name for p in BROKEN.glob("*/case.yaml"))
COMMANDS = {
    "validate": ("validate",),
    "score": ("score", "--period", "2026-Q3", "--as-of", "2026-10-15", "--format", "csv"),
}


def load_case(name: str) -> dict[str, Any]:
    return yaml.safe_load((BROKEN / name / "case.yaml").read_text(encoding="utf-8"))


def expectation(case: dict[str, Any], command: str) -> dict[str, Any]:
    """The case's expectations for one command (its own section overrides the shared keys)."""
    merged = {k: v for k, v in case.items() if k not in COMMANDS}
    merged.update(case.get(command) or {})
    return merged


def run_case(name: str, command: str) -> Result:
    case = load_case(name)
    folder = BROKEN / name
    config = (folder / case.get("config", "../kpis.yaml")).resolve()
    data = folder / case.get("data", ".")
    args = [*COMMANDS[command], "--config", str(config), "--data", str(data)]
    return CliRunner().invoke(app, args)


def _params() -> list[Any]:
    params = []
    for name in CASES:
        case = load_case(name)
        for command in COMMANDS:
            reason = expectation(case, command).get("xfail")
            marks = [pytest.mark.xfail(reason=reason, strict=True)] if reason else []
            params.append(pytest.param(name, command, id=f"{name}-{command}", marks=marks))
    return params


def test_every_case_folder_is_complete() -> None:
    assert len(CASES) >= 30
    for name in CASES:
        case = load_case(name)
        assert "exit" in case, name
        if case.get("data", ".") == ".":
            # a copy of the whole company (one file may be deliberately emptied or renamed)
            assert {p.name for p in (BROKEN / name).glob("*.csv")} >= {"accounts.csv", "mrr.csv", "tickets.csv"}


@pytest.mark.parametrize(("name", "command"), _params())
def test_broken_input(name: str, command: str) -> None:
    expect = expectation(load_case(name), command)
    result = run_case(name, command)
    output = result.stdout + result.stderr

    # Never a crash: no traceback, no internal error, no exception escaping the runner.
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in output
    assert "internal error" not in output

    codes = expect["exit"] if isinstance(expect["exit"], list) else [expect["exit"]]
    assert result.exit_code in codes, output
    if result.exit_code == 0:
        assert "error:" not in result.stderr
        return

    # A failed run writes no data to stdout; every problem goes to stderr.
    assert result.stdout.strip() == "", result.stdout
    stderr = result.stderr
    for issue in expect.get("issues", []):
        fragments = [f"{issue['where']}:"]
        if "column" in issue:
            fragments.append(f"column {issue['column']!r}")
        if "value" in issue:
            fragments.append(f"value {issue['value']!r}")
        if "expected" in issue:
            fragments.append(str(issue["expected"]))
        # All fragments of one issue are on the same line of stderr.
        lines = [line for line in stderr.splitlines() if all(f in line for f in fragments)]
        assert lines, f"no stderr line has all of {fragments}:\n{stderr}"
    for fragment in [*expect.get("also", []), *expect.get("also_if_failed", [])]:
        assert fragment in stderr, f"{fragment!r} not in:\n{stderr}"


@pytest.mark.parametrize("name", CASES)
def test_validate_and_score_agree(name: str) -> None:
    """Every defect here is in a column score reads too, so score must not accept what validate rejects."""
    codes = {command: run_case(name, command).exit_code for command in COMMANDS}
    assert codes["validate"] == codes["score"], codes


@pytest.mark.parametrize("command", list(COMMANDS))
def test_a_repeated_problem_is_one_grouped_line(command: str) -> None:
    stderr = run_case("many_bad_rows", command).stderr
    mentions = [line for line in stderr.splitlines() if "value 'lots'" in line]
    assert len(mentions) == 1, stderr  # not 500 lines
    assert "[499 more rows like this]" in mentions[0]


@pytest.mark.parametrize("command", list(COMMANDS))
def test_problems_in_two_files_are_all_reported_in_one_run(command: str) -> None:
    stderr = run_case("problems_in_two_files", command).stderr
    errors = [line for line in stderr.splitlines() if line.startswith("error:") and ".csv:" in line]
    assert len(errors) == 3, stderr
    assert any("mrr.csv" in e for e in errors) and any("tickets.csv" in e for e in errors)


@pytest.mark.parametrize("command", list(COMMANDS))
def test_multiline_field_keeps_physical_line_numbers(command: str) -> None:
    """The loader must not count records: the duplicate is on physical line 7, record 5."""
    stderr = run_case("multiline_field_then_error", command).stderr
    assert "accounts.csv:7:" in stderr
    assert "accounts.csv:5:" not in stderr


def test_valid_cases_score_like_the_base() -> None:
    """A multi-line account name changes no number; a header-only tickets.csv empties only fcr."""
    base = run_case("valid_base", "score").stdout
    assert base.count("\n") > 3
    assert run_case("multiline_field_valid", "score").stdout == base
    header_only = run_case("header_only", "score")
    assert header_only.exit_code == 0
    assert header_only.stdout != base  # fcr has no tickets now
