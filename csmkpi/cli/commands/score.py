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
    group: o.GroupsOpt = None,
    sort: o.SortOpt = None,
    top: o.TopOpt = None,
    compare: o.CompareOpt = None,
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

    On a terminal the scorecard fits the width (KPIs as rows, or in pages, when they do not fit side
    by side) and shows 50 groups, the top and the bottom halves by score (--top 0: all).

    Example runs:

    \b
      csmkpi score --period 2026-Q3 --as-of 2026-10-15
      csmkpi score -p Q3 --compare previous --group alice --group bob
      csmkpi score -p Q3 --sort nrr --top 10
      csmkpi score --period last-month --output reports/{period}.xlsx --quiet
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
            compare=compare,
            no_cache=no_cache,
            quiet=quiet,
        )
        present.check_output(output)
        present.check_early(request, group or (), sort)
        with present.progress(quiet):
            card = score(request)
        return present.emit_scorecard(
            card,
            fmt=fmt_,
            layout=layout,
            output=output,
            quiet=quiet,
            strict=strict,
            escape=escape_formulas,
            top=top,
            sort=sort,
            groups=group or (),
            as_of_shown=as_of is not None,
        )

    run(body, debug=debug, max_errors=max_errors)
