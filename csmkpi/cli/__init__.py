"""Command-line interface.

``main`` (the ``csmkpi`` console script) answers ``csmkpi --version`` and ``csmkpi --help`` by
itself, the help from ``help.txt``, Typer's own rendering stored by a test, so they return without
importing Typer (about 100 ms). Every other command line goes to the Typer app in ``app.py``,
after ``tune_allocator``.
"""

from __future__ import annotations

import os
import sys
from collections.abc import MutableMapping
from pathlib import Path

HELP = Path(__file__).with_name("help.txt")
_HELP_COLUMNS = 80  # Click wraps help at min(terminal width, 80): any wider terminal shows the same text
# Polars' memory allocator (jemalloc on Linux) hands freed memory back to the kernel within about a
# second, through MADV_FREE, and new column buffers then fault in fresh pages. A run frees and
# allocates columns of the same sizes table after table: keeping freed pages 2 s, purging them
# directly, and one arena per CPU cut the kernel's share of a run by a quarter and peak memory a
# little (docs/performance.md). Polars puts its own options first and later ones win; read once,
# when Polars loads; other platforms ignore it.
ALLOCATOR_ENV = "_RJEM_MALLOC_CONF"
ALLOCATOR_CONF = "percpu_arena:percpu,dirty_decay_ms:2000,muzzy_decay_ms:0"


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
    tune_allocator(os.environ)
    from csmkpi.cli.app import main as run

    run()


def tune_allocator(environ: MutableMapping[str, str]) -> None:
    """Set csmkpi's allocator options unless the user set their own (an empty value keeps Polars' defaults)."""
    environ.setdefault(ALLOCATOR_ENV, ALLOCATOR_CONF)


def stored_help() -> str | None:
    """The top-level help as Typer renders it on a terminal at least 80 columns wide, else None."""
    import shutil

    if shutil.get_terminal_size().columns < _HELP_COLUMNS:
        return None
    try:
        return HELP.read_text(encoding="utf-8")
    except OSError:
        return None
