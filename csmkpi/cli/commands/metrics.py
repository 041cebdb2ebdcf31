"""``csmkpi metrics``: the available metrics, their formulas and params."""

from __future__ import annotations

from csmkpi.cli import options as o
from csmkpi.cli.runner import run


def metrics(debug: o.DebugOpt = False) -> None:
    """List every metric (built-in and plugin) with its formula, tables and params.

    Example run:

      csmkpi metrics
    """

    def body() -> int:
        from rich.console import Console

        from csmkpi.metrics.registry import discover
        from csmkpi.output.render import metrics_listing

        found, warnings = discover()
        console = Console(highlight=False)
        console.print(metrics_listing(found.values()), soft_wrap=True)
        from csmkpi.cli.present import warn

        warn(warnings, False)
        return 0

    run(body, debug=debug)
