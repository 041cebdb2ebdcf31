"""The sample company's report and the machine formats of the same run, made once per test session."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
from report_support import SAMPLE, ok, rows


@dataclass(frozen=True)
class Sample:
    html: Path
    long: list[dict[str, str]]  # score --compare previous --layout long
    wide: list[dict[str, str]]  # score --compare previous (wide: score, rank)
    trend: list[dict[str, str]]  # trend --limits over the report's 12 months
    reasons_mrr: list[dict[str, str]]
    reasons_logos: list[dict[str, str]]
    drivers: list[dict[str, str]]


@pytest.fixture(scope="session")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Sample:
    out = tmp_path_factory.mktemp("report")
    html = out / "report.html"
    ok("report", *SAMPLE, "--output", str(html), "--quiet")
    files = {
        "long": ("score", *SAMPLE, "--compare", "previous", "--layout", "long"),
        "wide": ("score", *SAMPLE, "--compare", "previous"),
        "trend": ("trend", "--from", "2025-10-01", "--to", "2026-09-30", "--as-of", "2026-10-15", "--limits"),
        "reasons_mrr": ("reasons", *SAMPLE, "--rank-by", "mrr"),
        "reasons_logos": ("reasons", *SAMPLE, "--rank-by", "logos"),
        "drivers": ("drivers", "--outcome", "churn", "--period", "2026-Q1", "--as-of", "2026-10-15"),
    }
    read = {}
    for name, args in files.items():
        path = out / f"{name}.csv"
        ok(*args, "--format", "csv", "--output", str(path), "--quiet")
        read[name] = rows(path)
    return Sample(html=html, **read)
