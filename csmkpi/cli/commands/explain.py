"""``csmkpi explain``: the accounts behind one group's number."""

from __future__ import annotations

from typing import Annotated

import typer

from csmkpi.cli import options as o
from csmkpi.cli.runner import run


def explain(
    kpi: Annotated[str, typer.Argument(help="The KPI id (from the config) to explain.")],
    group: Annotated[
        str,
        typer.Option("--group", "-g", help="The group: a csm_id or CSM name, team, manager, segment, region, or ALL."),
    ] = "ALL",
    period: o.PeriodOpt = None,
    from_: o.FromOpt = None,
    to: o.ToOpt = None,
    as_of: o.AsOfOpt = None,
    config: o.ConfigOpt = o.DEFAULT_CONFIG,
    data: o.DataOpt = None,
    by: o.ByOpt = "csm",
    limit: Annotated[
        int,
        typer.Option("--limit", "-n", min=0, help="Rows shown on a terminal (0: all); files get every row."),
    ] = 50,
    fmt: o.FormatOpt = None,
    output: o.OutputOpt = None,
    escape_formulas: o.EscapeOpt = True,
    max_errors: o.MaxErrorsOpt = 50,
    quiet: o.QuietOpt = False,
    no_cache: o.NoCacheOpt = False,
    strict: o.StrictOpt = False,
    debug: o.DebugOpt = False,
) -> None:
    """Show the unit rows (accounts, responses, tickets...) behind one group's KPI value.

    Biggest contributors first, with each unit's numerator, denominator and share, and a TOTAL
    row equal to the scorecard's numbers. A terminal shows the first --limit rows and says how
    many it left out; a file (--output, or a pipe) gets every row.

    Example run:

      csmkpi explain nrr --group alice --period 2026-Q3
    """

    def body() -> int:
        from csmkpi.cli import present
        from csmkpi.drilldown import explain as drill

        fmt_ = present.choose_format(fmt, output, "long")
        request = present.score_request(
            config=config,
            period=period,
            from_=from_,
            to=to,
            as_of=as_of,
            data=data,
            by=by,
            no_cache=no_cache,
            quiet=quiet,
        )
        present.check_output(output)
        present.check_early(request, [group])
        with present.progress(quiet):
            explanation = drill(request, kpi, group)
        return present.emit_explanation(
            explanation, fmt=fmt_, output=output, quiet=quiet, escape=escape_formulas, strict=strict, limit=limit
        )

    run(body, debug=debug, max_errors=max_errors)
