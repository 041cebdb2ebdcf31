"""``csmkpi validate`` (SPEC §2 "bad input is never silently dropped", §6 exit codes)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from cli_support import CONFIG, SAMPLE, TABLES, set_field


def one_line(text: str) -> str:
    return " ".join(text.split())


def test_sample_data_is_valid_and_every_table_is_mentioned(cli):
    result = cli("validate", "--config", CONFIG)
    assert result.exit_code == 0, result.stderr
    out = one_line(result.stdout)
    for table in TABLES:
        assert f"{table}.csv" in out, table
    assert "60 rows" in out  # accounts.csv
    assert "1212 rows" in out  # mrr.csv
    assert "A999" in result.stderr  # the orphan ticket is a warning, not an error
    assert "A999" not in result.stdout
    assert "Traceback" not in result.output


def test_validate_with_data_override(cli, sample_copy):
    result = cli("validate", "--config", CONFIG, "--data", sample_copy)
    assert result.exit_code == 0, result.stderr
    assert str(sample_copy) in one_line(result.stdout)


def test_quiet_validate_prints_nothing(cli):
    result = cli("validate", "--config", CONFIG, "--quiet")
    assert result.exit_code == 0
    assert result.stdout == ""
    assert result.stderr == ""


def test_strict_validate_fails_on_warnings(cli):
    result = cli("validate", "--config", CONFIG, "--strict")
    assert result.exit_code == 65
    assert "A999" in result.stderr


# (file, physical line, column, bad value, words of the expected explanation)
PROBLEMS = [
    ("mrr.csv", 4, "mrr", "abc", "number"),
    ("mrr.csv", 10, "mrr", "-3", ">= 0"),
    ("surveys.csv", 5, "score", "11", "nps 0-10"),
    ("tickets.csv", 3, "ticket_id", "", "missing"),
    ("opportunities.csv", 6, "closed_at", "2026-02-30", "date"),
]


@pytest.fixture
def broken_copy(sample_copy):
    for file, line, column, value, _ in PROBLEMS:
        set_field(sample_copy / file, line, column, value)
    return sample_copy


def test_broken_copy_lists_every_problem(cli, broken_copy):
    result = cli("validate", "--config", CONFIG, "--data", broken_copy)
    assert result.exit_code == 65, result.output
    assert "Traceback" not in result.output
    errors = result.stderr
    assert len({file for file, *_ in PROBLEMS}) >= 2
    for file, line, column, value, expected in PROBLEMS:
        line_text = next((x for x in errors.splitlines() if f"{file}:{line}:" in x), None)
        assert line_text is not None, (file, line, errors)
        assert repr(column) in line_text, line_text
        assert repr(value) in line_text, line_text
        assert expected in line_text, line_text
    # the count in the summary matches the problems listed
    listed = [x for x in errors.splitlines() if x.startswith("error: ") and "problem" not in x]
    assert f"the data has {len(listed)} problems" in errors


def test_one_bad_date_is_one_problem(cli, sample_copy):
    set_field(sample_copy / "opportunities.csv", 6, "closed_at", "2026-02-30")  # a won renewal
    result = cli("validate", "--config", CONFIG, "--data", sample_copy)
    assert result.exit_code == 65
    assert "not a valid date" in result.stderr
    assert "the data has 1 problem" in result.stderr
    assert "has no closed_at" not in result.stderr


@pytest.mark.parametrize(
    "value",
    [
        "\u0662\u0660\u0662\u0666-08-05T12:37:00",  # Arabic-Indic year
        "2026-08-1\u0665T12:37:00",  # an Arabic-Indic digit in the day
        "2026-08-2\uff15T12:37:00",  # a full-width digit
        "2026-08-05T1\u0662:37:00",  # in the time: the date would read, but only ISO digits are the contract
    ],
)
def test_a_date_with_other_digits_is_an_error_not_a_dropped_row(cli, sample_copy, value):
    # The fast reader's \d took any script's digits; the date then parsed to nothing and the response
    # fell out of every period: CSAT changed with exit 0.
    set_field(sample_copy / "surveys.csv", 561, "responded_at", value)
    for command in ("validate", "score"):
        result = cli(*_args(command, sample_copy))
        assert result.exit_code == 65, (command, result.stderr)
        assert "surveys.csv:561" in result.stderr and repr(value) in result.stderr


def _args(command: str, data: Path) -> list[str | Path]:
    period = ["--period", "2026-Q3", "--as-of", "2026-10-15"] if command == "score" else []
    return [command, "--config", CONFIG, "--data", data, *period]


def test_score_on_the_broken_copy_fails_the_same_way(cli, broken_copy):
    result = cli("score", "--config", CONFIG, "--data", broken_copy, "--period", "2026-Q3", "--as-of", "2026-10-15")
    assert result.exit_code == 65
    assert result.stdout == ""
    assert "Traceback" not in result.output
    assert "mrr.csv:4:" in result.stderr


def test_missing_table_file_is_not_an_error(cli, sample_copy):
    (sample_copy / "assignments.csv").unlink()
    result = cli("validate", "--config", CONFIG, "--data", sample_copy)
    assert result.exit_code == 0, result.stderr
    assert "assignments.csv" not in result.stdout


def test_empty_file_is_an_error(cli, sample_copy):
    (sample_copy / "activities.csv").write_bytes(b"")
    result = cli("validate", "--config", CONFIG, "--data", sample_copy)
    assert result.exit_code in (65, 66), result.output
    assert "activities.csv" in result.stderr
    assert "Traceback" not in result.output


def test_validate_missing_config(cli, tmp_path):
    result = cli("validate", "--config", tmp_path / "nope.yaml")
    assert result.exit_code == 66
    assert "nope.yaml" in result.stderr
    assert "Traceback" not in result.output


def test_validate_invalid_config(cli, tmp_path):
    config = tmp_path / "kpis.yaml"
    config.write_text("version: 1\nkpis:\n  - {id: nrr, metric: nrr, target: 1, weight: 1, colour: red}\n")
    result = cli("validate", "--config", config)
    assert result.exit_code == 78
    assert "kpis.yaml:3:" in result.stderr
    assert "colour" in result.stderr
    assert "Traceback" not in result.output


def test_validate_missing_data_folder(cli, tmp_path):
    result = cli("validate", "--config", CONFIG, "--data", tmp_path / "nope")
    assert result.exit_code == 66
    assert "Traceback" not in result.output


def test_validate_prints_paths_verbatim(cli, tmp_path):
    data = tmp_path / "exports[/x]"
    shutil.copytree(SAMPLE, data, ignore=shutil.ignore_patterns("*.py", "*.md"))
    result = cli("validate", "--config", CONFIG, "--data", data)
    assert result.exit_code == 0, result.output
    assert "exports[/x]" in one_line(result.stdout)
