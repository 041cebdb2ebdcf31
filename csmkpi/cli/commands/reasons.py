"""``csmkpi reasons``: why logos churned, by count and by lost MRR (a Pareto)."""

from __future__ import annotations

from typing import Annotated

import typer

from csmkpi.cli import options as o
from csmkpi.cli.runner import run


def reasons(
    period: o.PeriodOpt = None,
    from_: o.FromOpt = None,
    to: o.ToOpt = None,
    as_of: o.AsOfOpt = None,
    config: o.ConfigOpt = o.DEFAULT_CONFIG,
    data: o.DataOpt = None,
    by: o.ByOpt = "csm",
    rank_by: Annotated[
        str, typer.Option("--rank-by", help="Rank reasons by lost MRR (mrr) or by churned accounts (logos).")
    ] = "mrr",
    group: o.ViewGroupOpt = "ALL",
    fmt: o.FormatOpt = None,
    output: o.OutputOpt = None,
    escape_formulas: o.EscapeOpt = True,
    max_errors: o.MaxErrorsOpt = 50,
    quiet: o.QuietOpt = False,
    strict: o.StrictOpt = False,
    no_cache: o.NoCacheOpt = False,
    debug: o.DebugOpt = False,
) -> None:
    """Show why accounts churned in a period: a Pareto of reasons by logos and by lost MRR.

    A churned account is one of the churn metric's cohort (paying at the start) that pays
    nothing at the end; its reason is accounts.churn_reason, else the loss_reason of its
    latest lost renewal (reasons.lookback_days before the period up to its end), else
    (unknown). Labels are trimmed and lower-cased, then renamed by the config's reasons.map.
    On a terminal: one group's bars with shares and the cumulative share (--group, default
    ALL); otherwise every group as CSV.

    Example runs:

    \b
      csmkpi reasons --from 2024-12-01 --to 2026-10-31 --as-of 2026-11-15
      csmkpi reasons --period 2026-Q3 --by team --rank-by logos --format csv
    """

    def body() -> int:
        from csmkpi.cli import present
        from csmkpi.cli.present_insights import emit_reasons
        from csmkpi.insights.reasons import check_rank_by
        from csmkpi.insights.reasons import reasons as compute

        fmt_ = present.choose_format(fmt, output, "long")
        check_rank_by(rank_by)
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
        with present.progress(quiet):
            result = compute(request, rank_by)
        return emit_reasons(
            result, fmt=fmt_, group=group, output=output, quiet=quiet, strict=strict, escape=escape_formulas
        )

    run(body, debug=debug, max_errors=max_errors)
