"""``csmkpi drivers``: which leading indicators go with churn, expansion or NRR, account by account."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from csmkpi.cli import options as o
from csmkpi.cli.runner import run


def drivers(
    outcome: Annotated[
        str, typer.Option("--outcome", help="What the indicators are set against: churn, expansion or nrr.")
    ] = "churn",
    period: o.PeriodOpt = None,
    from_: o.FromOpt = None,
    to: o.ToOpt = None,
    as_of: o.AsOfOpt = None,
    horizon: Annotated[
        int, typer.Option("--horizon", min=1, max=120, help="Months after the period in which the outcome is read.")
    ] = 6,
    indicator: Annotated[
        Optional[list[str]],  # noqa: UP045 - Typer reads the annotation at runtime
        typer.Option("--indicator", "-i", help="Only this indicator KPI id (repeatable). Default: every one."),
    ] = None,
    config: o.ConfigOpt = o.DEFAULT_CONFIG,
    data: o.DataOpt = None,
    fmt: o.FormatOpt = None,
    output: o.OutputOpt = None,
    escape_formulas: o.EscapeOpt = True,
    max_errors: o.MaxErrorsOpt = 50,
    quiet: o.QuietOpt = False,
    strict: o.StrictOpt = False,
    no_cache: o.NoCacheOpt = False,
    debug: o.DebugOpt = False,
) -> None:
    """Show which leading indicators go with an account-level outcome (needs csmkpi[stats]).

    The cohort is the accounts paying in the period's last month; the outcome is read
    --horizon months later: churn (pays nothing), expansion (pays more) or nrr (end MRR /
    start MRR). Each indicator is a KPI of the config (csat, nps, fcr, touch_cadence,
    activity_coverage, ...) computed per account over the period, standardised, and
    fitted together by logistic regression (churn, expansion) or least squares (nrr).
    Associations, not causes: use it to choose what to test.

    Example runs:

    \b
      csmkpi drivers --outcome churn --period 2026-Q1 --as-of 2026-10-15
      csmkpi drivers --outcome nrr --period 2026-Q1 --horizon 6 --indicator touch_cadence --format csv
    """

    def body() -> int:
        from csmkpi.cli import present
        from csmkpi.cli.present_insights import emit_drivers
        from csmkpi.insights.drivers import check_outcome
        from csmkpi.insights.drivers import drivers as compute

        fmt_ = present.choose_format(fmt, output, "long")
        check_outcome(outcome)
        request = present.score_request(
            config=config,
            period=period,
            from_=from_,
            to=to,
            as_of=as_of,
            data=data,
            by="csm",
            no_cache=no_cache,
            quiet=quiet,
        )
        present.check_output(output)
        with present.progress(quiet):
            result = compute(request, outcome, horizon, tuple(indicator or ()))
        return emit_drivers(result, fmt=fmt_, output=output, quiet=quiet, strict=strict, escape=escape_formulas)

    run(body, debug=debug, max_errors=max_errors)
