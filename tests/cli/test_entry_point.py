"""The ``csmkpi`` console script answers ``--version`` and ``--help`` without importing Typer.

``csmkpi/cli/help.txt`` is Typer's own rendering of the top-level help on a wide terminal. When the
commands or their help change, regenerate it and review the diff:

    UPDATE_GOLDEN=1 /work/venv/bin/python -m pytest tests/cli/test_entry_point.py
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from csmkpi import __version__
from csmkpi.cli import ALLOCATOR_CONF, ALLOCATOR_ENV, HELP

UPDATE = os.environ.get("UPDATE_GOLDEN") == "1"


def at_exit(report: str) -> str:
    """A script that runs the entry point as the console script does and prints ``report`` at exit.

    At the interpreter's exit (--version, --help), or at the os._exit that ends a command in the
    process the supervisor forked (not in the watching parent, which exits the same way).
    """
    return f"""
import atexit, os, sys
def report():
    print({report}, file=sys.stderr, flush=True)
atexit.register(report)
parent, leave = os.getpid(), os._exit
def _exit(code):
    if os.getpid() != parent:
        report()
    leave(code)
os._exit = _exit
sys.argv = ["csmkpi", *sys.argv[1:]]
from csmkpi.cli import main; main()
"""


SCRIPT = at_exit("'typer imported' if 'typer' in sys.modules else 'typer not imported'")


def run(*args: str, columns: int = 100, entry: str = SCRIPT) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": str(columns)}
    return subprocess.run([sys.executable, "-c", entry, *args], capture_output=True, text=True, env=env, check=False)


def test_stored_help_is_what_typer_renders() -> None:
    typer_help = run("--help", entry=SCRIPT.replace("from csmkpi.cli import", "from csmkpi.cli.app import"))
    assert typer_help.returncode == 0, typer_help.stderr
    if UPDATE:
        HELP.write_text(typer_help.stdout, encoding="utf-8")
    assert HELP.read_text(encoding="utf-8") == typer_help.stdout, "regenerate csmkpi/cli/help.txt (see docstring)"


@pytest.mark.parametrize("columns", [80, 100, 250])
def test_help_on_a_wide_terminal_skips_typer(columns: int) -> None:
    result = run("--help", columns=columns)
    assert result.returncode == 0
    assert result.stdout == HELP.read_text(encoding="utf-8")
    assert "typer not imported" in result.stderr


def test_help_on_a_narrow_terminal_is_typer_wrapping_it() -> None:
    result = run("--help", columns=60)
    assert result.returncode == 0
    assert "typer imported" in result.stderr
    assert result.stdout != HELP.read_text(encoding="utf-8")  # wrapped to the narrower terminal
    assert "Usage: csmkpi" in result.stdout


def test_version_skips_typer() -> None:
    result = run("--version")
    assert (result.returncode, result.stdout) == (0, f"csmkpi {__version__}\n")
    assert "typer not imported" in result.stderr


def test_other_command_lines_go_to_typer() -> None:
    result = run("--version", "--help")  # not the exact fast-path argv: Typer decides (--version is eager)
    assert (result.returncode, result.stdout) == (0, f"csmkpi {__version__}\n")
    assert "typer imported" in result.stderr
    result = run("metrics", "--help")
    assert result.returncode == 0
    assert "csmkpi metrics" in result.stdout


# Polars prepends its own options to the variable when it loads (later options win): report the value then.
ALLOCATOR_SCRIPT = at_exit("'allocator=' + os.environ.get('_RJEM_MALLOC_CONF', '<unset>')")


@pytest.mark.parametrize(
    ("given", "last"), [(None, ALLOCATOR_CONF), ("", None), ("dirty_decay_ms:0", "dirty_decay_ms:0")]
)
def test_commands_run_with_csmkpi_allocator_options_unless_the_user_set_some(
    given: str | None, last: str | None
) -> None:
    env = {key: value for key, value in os.environ.items() if key != ALLOCATOR_ENV}
    if given is not None:
        env[ALLOCATOR_ENV] = given
    result = subprocess.run(
        [sys.executable, "-c", ALLOCATOR_SCRIPT, "metrics"], capture_output=True, text=True, env=env, check=False
    )
    assert result.returncode == 0, result.stderr
    seen = result.stderr.split("allocator=")[-1].strip()
    assert seen.startswith("dirty_decay_ms:500")  # Polars' own options, then the overrides
    if last is not None:
        assert seen.endswith("," + last)
    if given is not None:
        assert ALLOCATOR_CONF not in seen


def test_a_finished_command_leaves_with_its_output_flushed_and_its_status() -> None:
    # A command ends with os._exit once its streams are flushed (no interpreter teardown): every byte
    # of a long output still arrives, and the exit status is the command's.
    args = ("trend", "--period", "2026-Q3", "--as-of", "2026-10-15", "--format", "json", "--quiet")
    from typer.testing import CliRunner

    from csmkpi.cli.app import app

    expected = CliRunner().invoke(app, list(args)).stdout
    result = run(*args)
    assert (result.returncode, result.stdout) == (0, expected)
    assert len(expected) > 100_000
    assert "typer imported" in result.stderr
    assert run("score", "--period", "2026-Q9").returncode == 2


NUMPY_SCRIPT = at_exit("'numpy imported' if 'numpy' in sys.modules else 'numpy not imported'")


@pytest.mark.parametrize(
    "args",
    [
        ("score", "--period", "2026-Q3", "--as-of", "2026-10-15", "--no-cache"),
        ("trend", "--period", "2026-Q3", "--as-of", "2026-10-15", "--limits", "--no-cache", "--format", "csv"),
        ("reasons", "--period", "2026-Q3", "--as-of", "2026-10-15", "--no-cache"),
    ],
)
def test_commands_without_statistics_never_import_numpy(args: tuple[str, ...]) -> None:
    # numpy costs 0.1 s of start-up, and its OpenBLAS maps buffers at import: under a tight memory
    # limit it prints its own error and exits 1 (not 71). Only drivers, control and report need it.
    result = run(*args, "--quiet", entry=NUMPY_SCRIPT)
    assert result.returncode == 0, result.stderr
    assert "numpy not imported" in result.stderr
