"""``csmkpi report``: one self-contained HTML file for the people who read without a terminal."""

from __future__ import annotations

from typing import Annotated

import typer

from csmkpi.cli import options as o
from csmkpi.cli.runner import run


def report(
    period: o.PeriodOpt = None,
    from_: o.FromOpt = None,
    to: o.ToOpt = None,
    as_of: o.AsOfOpt = None,
    config: o.ConfigOpt = o.DEFAULT_CONFIG,
    data: o.DataOpt = None,
    by: o.ByOpt = "csm",
    output: o.OutputOpt = None,
    top: Annotated[
        int,
        typer.Option(
            "--top", min=0, help="The scorecard shows N groups: the top and the bottom halves by score (0: all)."
        ),
    ] = 20,
    max_errors: o.MaxErrorsOpt = 50,
    quiet: o.QuietOpt = False,
    strict: o.StrictOpt = False,
    no_cache: o.NoCacheOpt = False,
    debug: o.DebugOpt = False,
) -> None:
    """Write the HTML report of a period (needs csmkpi[report]): one file to open, forward and print.

    The scorecard by --by with targets, status and the change since the previous period; each
    KPI of the department over the last 12 months with control limits and signals; the MRR
    movements as a waterfall; the churn-reason Pareto; the drivers of churn (with csmkpi[stats]).
    No network, no script, prints on A4 and Letter. The as-of date is printed only when given.

    Example runs:

    \b
      csmkpi report --period 2026-Q3 --as-of 2026-10-15 --output report.html
      csmkpi report --period last-quarter --by team --output reports/{period}.html --quiet
      csmkpi report -p 2026-Q3 --top 0 -o all-csms.html
    """

    def body() -> int:
        from csmkpi.cli import present
        from csmkpi.cli.present_report import check_output, emit_report
        from csmkpi.extras import check
        from csmkpi.report.build import build
        from csmkpi.report.charts import check_address_space

        check_output(output)
        check("vl_convert", "report", purpose="csmkpi report")  # before any data is read
        check("jinja2", "report", purpose="csmkpi report")
        check_address_space()
        request = present.score_request(
            config=config,
            period=period,
            from_=from_,
            to=to,
            as_of=as_of,
            data=data,
            by=by,
            compare="previous",
            no_cache=no_cache,
            quiet=quiet,
        )
        present.check_output(output)
        with present.progress(quiet):
            result = build(request, as_of_shown=as_of is not None)
        return emit_report(result, output=output, quiet=quiet, strict=strict, top=top)

    run(body, debug=debug, max_errors=max_errors)
