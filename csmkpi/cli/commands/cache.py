"""``csmkpi cache info`` and ``csmkpi cache clear``: the cache of validated tables (SPEC §9)."""

from __future__ import annotations

import typer

from csmkpi.cli import options as o
from csmkpi.cli.runner import run

app = typer.Typer(
    help="Show or clear the cache of validated tables.",
    no_args_is_help=True,
)


@app.command()
def info(debug: o.DebugOpt = False) -> None:
    """Show where the cache is, how many tables it holds and how much space they take.

    The folder is $CSMKPI_CACHE_DIR, else the user cache folder (~/.cache/csmkpi);
    $CSMKPI_CACHE_SIZE sets its limit (default 2G).
    """

    def body() -> int:
        from csmkpi.cache import Cache
        from csmkpi.cli.present import cache_info

        cache_info(Cache.from_environment().info())
        return 0

    run(body, debug=debug)


@app.command()
def clear(quiet: o.QuietOpt = False, debug: o.DebugOpt = False) -> None:
    """Remove every table the cache holds (the next run reads the files again)."""

    def body() -> int:
        from csmkpi.cache import Cache
        from csmkpi.cli.present import cache_cleared

        cache = Cache.from_environment()
        entries, size = cache.clear()
        if not quiet:
            cache_cleared(cache.folder, entries, size)
        return 0

    run(body, debug=debug)
