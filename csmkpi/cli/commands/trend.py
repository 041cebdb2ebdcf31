"""``csmkpi trend``: KPIs month by month or quarter by quarter."""

from __future__ import annotations

from typing import Annotated

import typer

from csmkpi.cli import options as o
from csmkpi.cli.runner import run


def trend(
    period: o.PeriodOpt = None,
    from_: o.FromOpt = None,
    to: o.ToOpt = None,
    as_of: o.AsOfOpt = None,
    every: Annotated[str, typer.Option("--every", "-e", help="month or quarter.")] = "month",
    group: Annotated[str, typer.Option("--group", "-g", help="The group the terminal view shows.")] = "ALL",
    config: o.ConfigOpt = o.DEFAULT_CONFIG,
    data: o.DataOpt = None,
    by: o.ByOpt = "csm",
    kpi: o.KpiOpt = None,
    fmt: o.FormatOpt = None,
    layout: Annotated[str, typer.Option("--layout", "-l", help="long (default) or wide.")] = "long",
    output: o.OutputOpt = None,
    escape_formulas: o.EscapeOpt = True,
    max_errors: o.MaxErrorsOpt = 50,
    quiet: o.QuietOpt = False,
    strict: o.StrictOpt = False,
    debug: o.DebugOpt = False,
) -> None:
    """Compute the KPIs for each month or quarter of a range (default: the last 12 complete months).

    On a terminal: one row per KPI with a sparkline, for one group (--group, default ALL).
    Otherwise all groups as CSV; --output with {period} writes one file per month or quarter.

    Example runs:

    \b
      csmkpi trend --period 2026 --every quarter
      csmkpi trend --from 2025-10-01 --to 2026-09-30 --output reports/{period}.csv --quiet
    """

    def body() -> int:
        from csmkpi.cli import present
        from csmkpi.trends import trend as compute

        fmt_ = present.choose_format(fmt, output, layout)
        request = present.score_request(
            config=config, period=period, from_=from_, to=to, as_of=as_of, data=data, by=by, kpis=kpi
        )
        with present.progress(quiet):
            result = compute(request, every)
        return present.emit_trend(
            result,
            fmt=fmt_,
            layout=layout,
            group=group,
            output=output,
            quiet=quiet,
            strict=strict,
            escape=escape_formulas,
        )

    run(body, debug=debug, max_errors=max_errors)
