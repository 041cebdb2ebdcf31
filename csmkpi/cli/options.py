"""Options shared by several commands, declared once."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated, Optional

import typer

from csmkpi.dimensions import DIMENSIONS

PeriodOpt = Annotated[
    Optional[str],  # noqa: UP045 - Typer reads the annotation at runtime
    typer.Option(
        "--period",
        "-p",
        help="2026-Q3, Q3, 2026-07, 2026-H1, 2026, FY2026, last-month, this-month, last-quarter, this-quarter, ytd."
        " Default: last-quarter.",
    ),
]
FromOpt = Annotated[
    Optional[datetime],  # noqa: UP045
    typer.Option("--from", formats=["%Y-%m-%d"], help="Start date (inclusive) instead of --period."),
]
ToOpt = Annotated[
    Optional[datetime],  # noqa: UP045
    typer.Option("--to", formats=["%Y-%m-%d"], help="End date (inclusive); default the as-of date."),
]
AsOfOpt = Annotated[
    Optional[datetime],  # noqa: UP045
    typer.Option("--as-of", formats=["%Y-%m-%d"], help="Reference date for relative periods. Default: today."),
]
ConfigOpt = Annotated[Path, typer.Option("--config", "-c", help="The YAML KPI definition.", show_default=True)]
DataOpt = Annotated[
    Optional[Path],  # noqa: UP045
    typer.Option("--data", "-d", help="Data folder; overrides data.dir of the config."),
]
ByOpt = Annotated[
    str,
    typer.Option("--by", "-b", help=f"Group by: {', '.join(DIMENSIONS)}.", show_default=True),
]
DebugOpt = Annotated[bool, typer.Option("--debug", help="Show a traceback on errors.")]
QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="Print nothing but data and errors.")]
StrictOpt = Annotated[bool, typer.Option("--strict", help="Treat warnings as errors (exit 65).")]
DEFAULT_CONFIG = Path("configs/kpis.yaml")
FormatOpt = Annotated[
    Optional[str],  # noqa: UP045
    typer.Option(
        "--format",
        "-f",
        help="table, csv, tsv, json, parquet, xlsx or markdown. Default: table on a terminal, else csv "
        "(or from the --output extension).",
    ),
]
OutputOpt = Annotated[
    Optional[str],  # noqa: UP045
    typer.Option("--output", "-o", help="Write to this file (atomically); {period} is replaced by the period."),
]
EscapeOpt = Annotated[
    bool,
    typer.Option(
        "--escape-formulas/--no-escape-formulas",
        help="Prefix text cells that start with = + - @ with an apostrophe in CSV/TSV (spreadsheet safety).",
    ),
]
LayoutOpt = Annotated[str, typer.Option("--layout", "-l", help="wide (one row per group) or long.")]
KpiOpt = Annotated[
    Optional[list[str]],  # noqa: UP045
    typer.Option("--kpi", "-k", help="Only this KPI id (repeatable)."),
]


MaxErrorsOpt = Annotated[
    int, typer.Option("--max-errors", min=1, help="Show at most this many problems (each grouped with its repeats).")
]
GroupOpt = Annotated[
    str, typer.Option("--group", "-g", help="The group the terminal view shows (a member of --by, or ALL).")
]
