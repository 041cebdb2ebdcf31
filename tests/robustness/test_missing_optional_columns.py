"""Optional columns (SPEC §2: only the bold columns are required) may be absent from a file.

An absent optional column must mean the same as the column present with every value empty:
same exit code for ``validate`` and ``score``, same scorecard. It must never be an internal
error. The company is ``tests/fixtures/broken/valid_base``.
"""

from __future__ import annotations

import csv
import io
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from csmkpi.cli.app import app

BROKEN = Path(__file__).parents[1] / "fixtures" / "broken"
BASE = BROKEN / "valid_base"
CONFIG = BROKEN / "kpis.yaml"
SCORE = ("score", "--period", "2026-Q3", "--as-of", "2026-10-15", "--layout", "long", "--format", "csv")


def rewrite(folder: Path, table: str, column: str, *, drop: bool) -> None:
    path = folder / f"{table}.csv"
    rows = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"), newline="")))
    columns = [c for c in rows[0] if not (drop and c == column)]
    out = io.StringIO()
    writer = csv.DictWriter(out, columns, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    writer.writerows({**row, column: ""} for row in rows)
    path.write_text(out.getvalue(), encoding="utf-8")


def invoke(*args: str | Path) -> Result:
    return CliRunner().invoke(app, [str(a) for a in args])


def run(folder: Path, command: tuple[str, ...]) -> Result:
    return invoke(*command, "--config", CONFIG, "--data", folder)


# (table, column, --by). Before the fix, each row but account_name, csm_name and segment/team by csm crashed
# score with polars ColumnNotFoundError (exit 1); validate skipped closed_at_missing without closed_at and
# overlapping_assignment without end_date.
_CASES = [
    ("accounts", "csm_id", "csm"),
    ("accounts", "account_name", "csm"),
    ("accounts", "segment", "segment"),
    ("accounts", "region", "region"),
    ("accounts", "segment", "csm"),
    ("csms", "team", "team"),
    ("csms", "manager", "manager"),
    ("csms", "csm_name", "csm"),
    ("tickets", "resolved_at", "csm"),
    ("tickets", "contacts", "csm"),
    ("tickets", "reopened", "csm"),
    ("opportunities", "amount", "csm"),
    ("opportunities", "closed_at", "csm"),
    ("assignments", "end_date", "csm"),
]


@pytest.mark.parametrize(
    ("table", "column", "by"), [pytest.param(*case, id=f"{case[0]}.{case[1]}-by-{case[2]}") for case in _CASES]
)
def test_absent_optional_column_means_all_empty(tmp_path: Path, table: str, column: str, by: str) -> None:
    dropped, emptied = tmp_path / "dropped", tmp_path / "emptied"
    for folder, drop in ((dropped, True), (emptied, False)):
        shutil.copytree(BASE, folder, ignore=shutil.ignore_patterns("case.yaml"))
        rewrite(folder, table, column, drop=drop)
    for command in (("validate",), (*SCORE, "--by", by)):
        got, want = run(dropped, command), run(emptied, command)
        assert "internal error" not in got.output, got.output
        assert got.exception is None or isinstance(got.exception, SystemExit), repr(got.exception)
        assert got.exit_code == want.exit_code, (command, got.output, want.output)
        if command[0] == "score":
            assert got.stdout == want.stdout, command


def test_a_mapping_for_an_unknown_canonical_column_is_a_config_error(tmp_path: Path) -> None:
    data = tmp_path / "data"
    shutil.copytree(BASE, data, ignore=shutil.ignore_patterns("case.yaml"))
    accounts = data / "accounts.csv"
    accounts.write_text(accounts.read_text(encoding="utf-8").replace("csm_id", "Account Owner", 1), encoding="utf-8")
    config = tmp_path / "kpis.yaml"
    config.write_text(
        CONFIG.read_text(encoding="utf-8").replace(
            "data: {dir: valid_base}", 'data: {dir: data, tables: {accounts: {columns: {csmid: "Account Owner"}}}}'
        ),
        encoding="utf-8",
    )
    for command in (("validate",), SCORE):
        result = invoke(*command, "--config", config)
        assert result.exit_code == 78, result.output
        assert "kpis.yaml:" in result.stderr and "csmid" in result.stderr
