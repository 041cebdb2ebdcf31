"""The diagnostic under ``benchmarks/`` that imports csmkpi's internals still runs against today's code."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

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


def test_the_benchmark_generator_writes_data_that_validates(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # It failed on accounts.churn_reason, a column of the data contract it did not draw, from the day
    # the contract gained it: benchmarks/run.py had no data to time on a new machine.
    import importlib.util

    from csmkpi.sample import HEADERS

    spec = importlib.util.spec_from_file_location("bench_generate", ROOT / "benchmarks" / "generate.py")
    assert spec is not None and spec.loader is not None
    generate = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(generate)
    monkeypatch.setitem(generate.SIZES, "S", 600)  # a few hundred accounts: every table, in seconds
    rows = generate.generate("S", tmp_path, quiet=True)
    assert set(rows) == set(HEADERS) and all(rows[table] > 0 for table in rows), rows
    for table, header in HEADERS.items():
        assert (tmp_path / f"{table}.csv").read_text(encoding="utf-8").split("\n", 1)[0] == ",".join(header)
    config = ROOT / "configs" / "kpis.yaml"
    args = ["validate", "--config", str(config), "--data", str(tmp_path), "--no-cache", "--format", "json"]
    result = subprocess.run([sys.executable, "-m", "csmkpi", *args], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
