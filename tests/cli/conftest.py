"""Fixtures for the CLI tests: an in-process invoker and editable copies of the sample data."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from cli_support import SAMPLE
from typer.testing import CliRunner, Result

from csmkpi.cli.app import app

Invoke = Callable[..., Result]


@pytest.fixture
def cli(runner: CliRunner) -> Invoke:
    """``cli(*args, env=None)`` runs ``csmkpi`` in-process (stdout is not a terminal)."""

    def _invoke(*args: str | Path, env: dict[str, str] | None = None) -> Result:
        return runner.invoke(app, [str(a) for a in args], env=env)

    return _invoke


@pytest.fixture
def sample_copy(tmp_path: Path) -> Path:
    """A private copy of sample_data (pass it with ``--data``); edit it freely."""
    target = tmp_path / "data"
    shutil.copytree(SAMPLE, target, ignore=shutil.ignore_patterns("*.py", "*.md", "__pycache__"))
    return target
