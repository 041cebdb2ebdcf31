"""``csmkpi metrics``, ``--version`` and ``--help`` on every command (SPEC §6)."""

from __future__ import annotations

import re

import pytest

import csmkpi
from csmkpi.metrics.registry import builtin_metrics

BUILTIN_NAMES = {"nrr", "grr", "churn", "csat", "nps", "fcr", "expansion_close_rate"}
WIDE = {"COLUMNS": "400"}  # so Rich does not wrap the formulas inside the table cells


def one_line(text: str) -> str:
    return " ".join(text.split())


def test_metrics_lists_every_builtin_with_its_formula(cli):
    result = cli("metrics", env=WIDE)
    assert result.exit_code == 0, result.output
    out = result.stdout
    metrics = builtin_metrics()
    assert BUILTIN_NAMES <= set(metrics)
    for name, metric in metrics.items():
        assert name in out, name
        assert metric.formula.strip(), name
        assert metric.formula in out, (name, metric.formula)
    assert "threshold" in out  # csat's param
    assert "Traceback" not in result.output
    # Param types as a config writer reads them, not Python's typing text.
    assert "types: list[str] | 'all' = 'all'" in out
    assert "movement: 'new' | 'reactivation' | 'expansion' | 'contraction' | 'churn' | None = None" in out
    assert "Union" not in out and "NoneType" not in out


def test_metrics_names_every_builtin_at_the_default_width(cli):
    result = cli("metrics")
    assert result.exit_code == 0
    for name in BUILTIN_NAMES:
        assert re.search(rf"(?<![\w]){name}(?![\w])", result.stdout), name


def test_version(cli):
    result = cli("--version")
    assert result.exit_code == 0
    assert result.stdout == "csmkpi 0.1.0\n"
    assert csmkpi.__version__ == "0.1.0"


@pytest.mark.parametrize("command", ["score", "validate", "metrics"])
def test_help_on_every_command_shows_an_example(cli, command):
    result = cli(command, "--help")
    assert result.exit_code == 0, result.output
    text = one_line(result.stdout)
    assert "Example" in text
    assert f"csmkpi {command}" in text


def test_root_help_lists_the_commands(cli):
    result = cli("--help")
    assert result.exit_code == 0
    for command in ("score", "validate", "metrics"):
        assert command in result.stdout
    assert "--version" in result.stdout


def test_root_help_shows_an_example(cli):
    text = one_line(cli("--help").stdout)
    assert "Example" in text
    assert "csmkpi score --period" in text


def test_no_arguments_shows_help(cli):
    result = cli()
    assert "score" in result.output
    assert "Traceback" not in result.output
