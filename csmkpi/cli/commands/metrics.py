"""``csmkpi metrics``: the available metrics, their formulas and params."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from csmkpi.cli import options as o
from csmkpi.cli.runner import run


def metrics(
    config: Annotated[
        Optional[Path],  # noqa: UP045 - Typer reads the annotation at runtime
        typer.Option("--config", "-c", help="Also list the metrics of this config's plugins: modules.", readable=False),
    ] = None,
    debug: o.DebugOpt = False,
) -> None:
    """List every metric (built-in and plugin) with its formula, tables and params.

    Example run:

      csmkpi metrics
    """

    def body() -> int:
        from csmkpi.cli.present import terminal, warn
        from csmkpi.config import peek_plugins, read_config
        from csmkpi.metrics.registry import discover
        from csmkpi.output.render import metrics_listing

        plugins = peek_plugins(config, read_config(config)) if config is not None else []  # unreadable: 66
        found, warnings = discover(plugins, search_path=config.parent if config is not None else None)
        terminal().print(metrics_listing(found.values()), soft_wrap=True)
        warn(warnings, False)
        return 0

    run(body, debug=debug)
