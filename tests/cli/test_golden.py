"""Golden files: the sample scorecard, byte for byte.

``tests/golden/sample_2026-Q3_long.csv`` and ``tests/golden/sample_2026-Q3_wide.csv`` hold exactly what

    csmkpi score --config configs/kpis.yaml --period 2026-Q3 --as-of 2026-10-15 --format csv --layout long|wide

writes to stdout on the bundled ``sample_data``. Any change to a number, a column, the ordering, the quoting or
the escaping fails this test.

When a change is intended, regenerate the files and review the diff before committing it:

    UPDATE_GOLDEN=1 /work/venv/bin/python -m pytest tests/cli/test_golden.py

With ``UPDATE_GOLDEN=1`` the test rewrites the golden files from the current CLI output instead of comparing.
"""

from __future__ import annotations

import difflib
import os
from pathlib import Path

import pytest
from cli_support import BASE, ROOT

GOLDEN = ROOT / "tests" / "golden"
UPDATE = os.environ.get("UPDATE_GOLDEN") == "1"


def golden_path(layout: str) -> Path:
    return GOLDEN / f"sample_2026-Q3_{layout}.csv"


@pytest.mark.parametrize("layout", ["long", "wide"])
def test_sample_scorecard_matches_golden(cli, layout):
    result = cli(*BASE, "--format", "csv", "--layout", layout)
    assert result.exit_code == 0, result.stderr
    got = result.stdout_bytes
    path = golden_path(layout)
    if UPDATE:
        path.write_bytes(got)
        return
    assert path.exists(), f"{path} is missing; run with UPDATE_GOLDEN=1 to create it"
    expected = path.read_bytes()
    if got != expected:
        diff = "".join(
            difflib.unified_diff(
                expected.decode("utf-8").splitlines(keepends=True),
                got.decode("utf-8").splitlines(keepends=True),
                fromfile=str(path.relative_to(ROOT)),
                tofile="csmkpi score (now)",
            )
        )
        pytest.fail(f"CLI output differs from the golden file (UPDATE_GOLDEN=1 rewrites it):\n{diff}")


@pytest.mark.parametrize("layout", ["long", "wide"])
def test_golden_file_equals_the_output_file(cli, tmp_path, layout):
    """``--output`` writes the same bytes as stdout, so the golden file also pins the cron file."""
    if UPDATE:
        pytest.skip("updating the golden files")
    target = tmp_path / "{period}.csv"
    result = cli(*BASE, "--layout", layout, "--output", target, "--quiet")
    assert result.exit_code == 0, result.stderr
    assert (tmp_path / "2026-Q3.csv").read_bytes() == golden_path(layout).read_bytes()
