"""Fixtures for the output tests: departments of 8, 90 and 2,000 CSMs, scored once per session."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/crowd.py

from crowd import write_crowd  # noqa: E402
from departments import AS_OF, CONFIG, SAMPLE, SIZES  # noqa: E402

from csmkpi import engine  # noqa: E402


@pytest.fixture(scope="session")
def departments(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The data folder of each department (small: the bundled sample)."""
    folders = {"small": SAMPLE}
    for name, size in SIZES.items():
        if size is not None:
            folders[name] = write_crowd(tmp_path_factory.mktemp(name), size)
    return folders


@pytest.fixture(scope="session")
def cards(departments: dict[str, Path]) -> dict[str, engine.Scorecard]:
    """2026-Q3 by csm, as of 2026-10-15, for each department."""
    return {
        name: engine.score(
            engine.ScoreRequest(config=CONFIG, period="2026-Q3", as_of=AS_OF, data=folder, use_entry_points=False)
        )
        for name, folder in departments.items()
    }
