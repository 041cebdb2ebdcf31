"""``csmkpi validate``: check the config and the data, print every problem."""

from __future__ import annotations

from csmkpi.cli import options as o
from csmkpi.cli.runner import run


def validate(
    config: o.ConfigOpt = o.DEFAULT_CONFIG,
    data: o.DataOpt = None,
    strict: o.StrictOpt = False,
    quiet: o.QuietOpt = False,
    debug: o.DebugOpt = False,
) -> None:
    """Check the config and every column of every table; exit non-zero on errors.

    Exit codes: 0 valid (warnings allowed), 65 invalid data (or warnings with --strict),
    66 missing input, 78 invalid config.

    Example run:

      csmkpi validate --config configs/kpis.yaml --data exports/
    """

    def body() -> int:
        from rich.console import Console

        from csmkpi.cli import present
        from csmkpi.engine import validate as check
        from csmkpi.errors import ExitCode

        report = check(config, data)
        present.warn(report.warnings, quiet)
        if not quiet:
            console = Console(highlight=False)
            console.print(f"config {report.config}: ok", markup=False, soft_wrap=True)
            for table, rows in report.rows.items():
                console.print(f"{report.files[table]}: {rows} rows ok", markup=False, soft_wrap=True)
        return int(ExitCode.DATA) if strict and report.warnings else int(ExitCode.OK)

    run(body, debug=debug)
