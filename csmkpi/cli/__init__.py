"""Command-line interface.

``main`` (the ``csmkpi`` console script) answers ``csmkpi --version`` and ``csmkpi --help`` by
itself, the help from ``help.txt``, Typer's own rendering stored by a test, so they return without
importing Typer (about 100 ms). Every other command line goes to the Typer app in ``app.py``.
"""

from __future__ import annotations

import sys
from pathlib import Path

HELP = Path(__file__).with_name("help.txt")
_HELP_COLUMNS = 80  # Click wraps help at min(terminal width, 80): any wider terminal shows the same text


def main() -> None:
    """Console-script entry point."""
    args = sys.argv[1:]
    if args == ["--version"]:
        from csmkpi import __version__

        sys.stdout.write(f"csmkpi {__version__}\n")
        return
    if args == ["--help"] and (text := stored_help()) is not None:
        sys.stdout.write(text)
        return
    from csmkpi.cli.app import main as run

    run()


def stored_help() -> str | None:
    """The top-level help as Typer renders it on a terminal at least 80 columns wide, else None."""
    import shutil

    if shutil.get_terminal_size().columns < _HELP_COLUMNS:
        return None
    try:
        return HELP.read_text(encoding="utf-8")
    except OSError:
        return None
