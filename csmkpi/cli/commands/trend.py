"""``csmkpi trend``: KPIs month by month or quarter by quarter."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Optional

import typer

from csmkpi.cli import options as o
from csmkpi.cli.runner import run

if TYPE_CHECKING:
    from csmkpi.engine import ScoreRequest


def trend(
    period: o.RangeOpt = None,
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
    limits: Annotated[
        bool, typer.Option("--limits", help="Add XmR control limits and signals to every series (long layout).")
    ] = False,
    baseline: Annotated[
        Optional[int],  # noqa: UP045 - Typer reads the annotation at runtime
        typer.Option("--baseline", help="With --limits: the first N sub-periods make the limits (default: all)."),
    ] = None,
    max_errors: o.MaxErrorsOpt = 50,
    quiet: o.QuietOpt = False,
    no_cache: o.NoCacheOpt = False,
    strict: o.StrictOpt = False,
    debug: o.DebugOpt = False,
) -> None:
    """Compute the KPIs for each month or quarter of a range (default: the last 12 complete months).

    On a terminal: one row per KPI with a sparkline, for one group (--group, default ALL).
    Otherwise all groups as CSV; --output with {period} writes one file per month or quarter.

    --limits adds XmR control limits (centre ± 2.66 × mean moving range) and the
    signals limit, range, run and near to every group's KPI series: on a terminal a
    sparkline per KPI with the signal points marked and one line per signal.

    Example runs:

    \b
      csmkpi trend --period 2026 --every quarter
      csmkpi trend --from 2025-10-01 --to 2026-09-30 --output reports/{period}.csv --quiet
      csmkpi trend --from 2024-11-01 --to 2026-10-31 --limits --baseline 12
    """

    def body() -> int:
        from csmkpi.cli import present
        from csmkpi.trends import trend as compute

        fmt_ = present.choose_format(fmt, output, layout)
        request = present.score_request(
            config=config,
            period=period,
            from_=from_,
            to=to,
            as_of=as_of,
            data=data,
            by=by,
            kpis=kpi,
            no_cache=no_cache,
            quiet=quiet,
        )
        present.check_output(output)
        if limits or baseline is not None:
            return _with_limits(request, every, baseline, fmt_, layout, group, output, quiet, strict, escape_formulas)
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


def _with_limits(
    request: ScoreRequest,
    every: str,
    baseline: int | None,
    fmt: str,
    layout: str,
    group: str,
    output: str | None,
    quiet: bool,
    strict: bool,
    escape: bool,
) -> int:
    from csmkpi.cli import present
    from csmkpi.cli.present_insights import emit_limits
    from csmkpi.errors import UsageError
    from csmkpi.insights.limits import check_baseline, limited_trend

    if layout == "wide":
        raise UsageError("--limits appends columns to the long layout; it does not work with --layout wide")
    check_baseline(baseline)  # below 2 now, before the data is read; above the sub-period count once known
    with present.progress(quiet):
        result = limited_trend(request, every, baseline)
    return emit_limits(result, fmt=fmt, group=group, output=output, quiet=quiet, strict=strict, escape=escape)
