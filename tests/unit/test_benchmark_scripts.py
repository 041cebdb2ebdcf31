"""The diagnostic under ``benchmarks/`` that imports csmkpi's internals still runs against today's code."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_profile_phases_runs_on_the_sample_data() -> None:
    script = ROOT / "benchmarks" / "profile_phases.py"
    result = subprocess.run(
        [sys.executable, str(script), "--data", "sample_data"], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    rows = [line for line in result.stdout.splitlines() if line.startswith("| ") and "---" not in line]
    tables = [row.split("|")[1].strip() for row in rows[1:-1]]  # between the header and the total
    assert tables == ["accounts", "csms", "mrr", "tickets", "surveys", "opportunities", "activities", "assignments",
                      "usage", "milestones"]  # fmt: skip
    assert "| accounts | 60 |" in result.stdout
    assert "engine.score_run" in result.stdout
