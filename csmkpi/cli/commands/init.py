"""``csmkpi init``: a starter config and sample data to edit."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from csmkpi.cli import options as o
from csmkpi.cli.runner import run


def init(
    folder: Annotated[Path, typer.Argument(help="Folder to create (or fill) with kpis.yaml and data/.")],
    force: Annotated[bool, typer.Option("--force", help="Overwrite existing starter files.")] = False,
    quiet: o.QuietOpt = False,
    debug: o.DebugOpt = False,
) -> None:
    """Write a starter kpis.yaml (every metric listed, most commented) and the sample data.

    The folder is laid out so that csmkpi finds the config by itself: kpis.yaml, with the data in
    data/ beside it.

    Example run:

    \b
      csmkpi init my-kpis && cd my-kpis && csmkpi score
    """

    def body() -> int:
        from csmkpi.cli.runner import stderr_console
        from csmkpi.starter import init as write_starter

        written = write_starter(folder, force=force)
        if not quiet:
            stderr_console().print(
                f"wrote {len(written)} files to {folder}; next: cd {folder} && csmkpi score",
                markup=False,
                highlight=False,
                soft_wrap=True,
            )
        return 0

    run(body, debug=debug)
