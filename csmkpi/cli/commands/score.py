"""``csmkpi score``: the scorecard."""

from __future__ import annotations

from csmkpi.cli import options as o
from csmkpi.cli.runner import run


def score(
    period: o.PeriodOpt = None,
    from_: o.FromOpt = None,
    to: o.ToOpt = None,
    as_of: o.AsOfOpt = None,
    config: o.ConfigOpt = o.DEFAULT_CONFIG,
    data: o.DataOpt = None,
    by: o.ByOpt = "csm",
    kpi: o.KpiOpt = None,
    fmt: o.FormatOpt = None,
    layout: o.LayoutOpt = "wide",
    output: o.OutputOpt = None,
    escape_formulas: o.EscapeOpt = True,
    max_errors: o.MaxErrorsOpt = 50,
    quiet: o.QuietOpt = False,
    no_cache: o.NoCacheOpt = False,
    strict: o.StrictOpt = False,
    debug: o.DebugOpt = False,
) -> None:
    """Compute the KPI scorecard for a period, per CSM, team, manager, segment or region.

    Example runs:

    \b
      csmkpi score --period 2026-Q3 --as-of 2026-10-15
      csmkpi score --period last-month --format csv --output reports/{period}.csv --quiet
      csmkpi score -p Q3 --by team --layout long | less
    """

    def body() -> int:
        from csmkpi.cli import present
        from csmkpi.engine import score

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
        return present.emit_scorecard(
            score(request),
            fmt=fmt_,
            layout=layout,
            output=output,
            quiet=quiet,
            strict=strict,
            escape=escape_formulas,
        )

    run(body, debug=debug, max_errors=max_errors)
