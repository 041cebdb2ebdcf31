"""``csmkpi score``: the scorecard."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Optional

import typer

from csmkpi.cli import options as o
from csmkpi.cli.runner import run

EXAMPLES = """

Examples:

\b
  csmkpi score --period 2026-Q3 --as-of 2026-10-15

  csmkpi score --period last-month --format csv --output reports/{period}.csv --quiet

  csmkpi score -p Q3 --by team --layout long | less
"""


def _date(value: datetime | None):  # type: ignore[no-untyped-def]
    return value.date() if value is not None else None


def score(
    period: o.PeriodOpt = None,
    from_: o.FromOpt = None,
    to: o.ToOpt = None,
    as_of: o.AsOfOpt = None,
    config: o.ConfigOpt = o.DEFAULT_CONFIG,
    data: o.DataOpt = None,
    by: o.ByOpt = "csm",
    kpi: Annotated[
        Optional[list[str]],  # noqa: UP045
        typer.Option("--kpi", "-k", help="Only this KPI id (repeatable)."),
    ] = None,
    fmt: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option(
            "--format",
            "-f",
            help="table, csv, tsv, json, parquet or markdown. Default: table on a terminal, else csv "
            "(or from the --output extension).",
        ),
    ] = None,
    layout: Annotated[str, typer.Option("--layout", "-l", help="wide (one row per group) or long.")] = "wide",
    output: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option("--output", "-o", help="Write to this file (atomically); {period} is replaced by the period."),
    ] = None,
    escape_formulas: Annotated[
        bool,
        typer.Option(
            "--escape-formulas/--no-escape-formulas",
            help="Prefix text cells that start with = + - @ with an apostrophe in CSV/TSV (spreadsheet safety).",
        ),
    ] = True,
    quiet: o.QuietOpt = False,
    strict: o.StrictOpt = False,
    debug: o.DebugOpt = False,
) -> None:
    """Compute the KPI scorecard for a period, per CSM, team, manager, segment or region."""

    def body() -> int:
        from csmkpi.cli import present
        from csmkpi.engine import ScoreRequest, score

        fmt_ = present.choose_format(fmt, output, layout)
        present.check_by(by)
        request = ScoreRequest(
            config=config,
            period=period,
            start=_date(from_),
            end=_date(to),
            as_of=_date(as_of),
            data=data,
            by=by,
            kpis=tuple(kpi or ()),
        )
        card = score(request)
        return present.emit_scorecard(
            card, fmt=fmt_, layout=layout, output=output, quiet=quiet, strict=strict, escape=escape_formulas
        )

    run(body, debug=debug)


score.__doc__ = (score.__doc__ or "") + EXAMPLES
