"""Options shared by several commands, declared once."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated, Optional

import typer

from csmkpi.dimensions import DIMENSIONS

_PERIODS = "2026-Q3, Q3, 2026-07, 2026-H1, 2026, FY2026, last-month, this-month, last-quarter, this-quarter, ytd."
PeriodOpt = Annotated[
    Optional[str],  # noqa: UP045 - Typer reads the annotation at runtime
    typer.Option("--period", "-p", help=f"{_PERIODS} Default: last-quarter."),
]
RangeOpt = Annotated[  # trend's: the range it splits into months or quarters
    Optional[str],  # noqa: UP045
    typer.Option("--period", "-p", help=f"{_PERIODS} Default: the last 12 complete months."),
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
# readable=False: an unreadable config or data folder is 66 with its reason (SPEC §6), not Click's usage error.
ConfigOpt = Annotated[
    Optional[Path],  # noqa: UP045
    typer.Option(
        "--config",
        "-c",
        help="The YAML KPI definition. Default: $CSMKPI_CONFIG, else configs/kpis.yaml, else kpis.yaml.",
        readable=False,
    ),
]
DataOpt = Annotated[
    Optional[Path],  # noqa: UP045
    typer.Option("--data", "-d", help="Data folder; overrides data.dir of the config.", readable=False),
]
ByOpt = Annotated[
    str,
    typer.Option("--by", "-b", help=f"Group by: {', '.join(DIMENSIONS)}.", show_default=True),
]
DebugOpt = Annotated[bool, typer.Option("--debug", help="Show a traceback on errors.")]
QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="Print nothing but data and errors.")]
StrictOpt = Annotated[bool, typer.Option("--strict", help="Treat warnings as errors (exit 65).")]
NoCacheOpt = Annotated[
    bool,
    typer.Option(
        "--no-cache", help="Read and check every file, without the cache of validated tables (csmkpi cache info)."
    ),
]
DEFAULT_CONFIG = None  # found as SPEC §5 says: present.find_config
FormatOpt = Annotated[
    Optional[str],  # noqa: UP045
    typer.Option(
        "--format",
        "-f",
        help="table, csv, tsv, json, parquet, xlsx, markdown or html. Default: from the --output extension, "
        "else table on a terminal and csv when piped.",
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

TopOpt = Annotated[
    Optional[int],  # noqa: UP045
    typer.Option(
        "--top",
        min=0,
        help="Show N groups: the top and the bottom halves by the sort (default 50 on a terminal, all in files;"
        " 0: all).",
    ),
]
SortOpt = Annotated[
    Optional[str],  # noqa: UP045
    typer.Option("--sort", help="Order groups by score (default), group, name or a KPI id (best first)."),
]
GroupsOpt = Annotated[
    Optional[list[str]],  # noqa: UP045
    typer.Option("--group", "-g", help="Only this group: a csm_id or CSM name, team, segment... (repeatable)."),
]
CompareOpt = Annotated[
    Optional[str],  # noqa: UP045
    typer.Option(
        "--compare",
        help="previous (the period before, same length) or year (a year earlier): adds compare_value and "
        "change (long layout), the change with ▲/▼ on the terminal.",
    ),
]
ViewGroupOpt = Annotated[
    str, typer.Option("--group", "-g", help="The group the terminal view shows (a member of --by, or ALL).")
]
