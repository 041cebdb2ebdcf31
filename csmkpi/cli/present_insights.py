"""From an insight (control limits, drivers, churn reasons) to the user: render or write, as ``present`` does."""

from __future__ import annotations

from typing import TYPE_CHECKING

from csmkpi.cli.present import emit_frame, output_path, report_warnings, terminal, unique
from csmkpi.errors import ExitCode

if TYPE_CHECKING:
    from csmkpi.insights.drivers import Drivers
    from csmkpi.insights.limits import LimitedTrend
    from csmkpi.insights.reasons import Reasons


def emit_limits(
    result: LimitedTrend,
    *,
    fmt: str,
    group: str,
    output: str | None,
    quiet: bool,
    strict: bool,
    escape: bool,
) -> int:
    """Show the control limits of one group's series, or write every row with the limit columns."""
    from csmkpi.output import people

    trend = result.trend
    notes = list(dict.fromkeys(n for card in trend.cards for n in card.notes))
    if report_warnings(unique(result.warnings), notes, quiet=quiet, strict=strict):  # stderr bounded per check
        return int(ExitCode.DATA)
    if fmt == "table":
        from rich.text import Text

        from csmkpi.output.insights import limits_view

        console = terminal(highlight=True)
        for renderable in limits_view(result, group):
            # A signal line stays one line, whatever the width (people grep them).
            console.print(renderable, soft_wrap=isinstance(renderable, Text))
    elif output and "{period}" in output:
        paths = [output_path(output, card.period.label, card.inputs) for card in trend.cards]  # all, before any write
        for card, target in zip(trend.cards, paths, strict=True):
            card_people = people.with_limits(people.scorecard(card, "long"), card.kpis)
            emit_frame(result.card_table(card), fmt, target, escape=escape, quiet=quiet, people=card_people)
    else:
        inputs = trend.cards[0].inputs if trend.cards else ()
        path = output_path(output, trend.range.label, inputs) if output else None
        emit_frame(result.long_table(), fmt, path, escape=escape, quiet=quiet, people=people.limited_trend(result))
    return int(ExitCode.OK)


def emit_reasons(
    result: Reasons, *, fmt: str, group: str, output: str | None, quiet: bool, strict: bool, escape: bool
) -> int:
    """Show one group's churn-reason Pareto, or write every group's rows; say so when nothing churned."""
    from csmkpi.cli.runner import stderr_console
    from csmkpi.output import people

    if report_warnings(list(result.warnings), list(result.notes), quiet=quiet, strict=strict):
        return int(ExitCode.DATA)
    if result.rows.is_empty() and not quiet:
        stderr_console().print(result.empty_message(), markup=False, soft_wrap=True)
    if fmt == "table":
        from csmkpi.output.insights import reasons_view

        terminal(highlight=True).print(reasons_view(result, group))
        return int(ExitCode.OK)
    path = output_path(output, result.period.label, result.inputs) if output else None
    emit_frame(result.table(), fmt, path, escape=escape, quiet=quiet, people=people.reasons(result))
    return int(ExitCode.OK)


def emit_drivers(result: Drivers, *, fmt: str, output: str | None, quiet: bool, strict: bool, escape: bool) -> int:
    """Show or write the drivers table; the caveat is always printed (table footer, else stderr)."""
    from csmkpi.cli.runner import stderr_console
    from csmkpi.insights.drivers import CAVEAT
    from csmkpi.output import people

    failed = report_warnings(list(result.warnings), list(result.notes), quiet=quiet, strict=strict)
    if failed:
        return int(ExitCode.DATA)
    if fmt == "table":
        from csmkpi.output.insights import drivers_view

        terminal(highlight=True).print(drivers_view(result))
        return int(ExitCode.OK)
    path = output_path(output, result.period.label, result.inputs) if output else None
    emit_frame(result.table(), fmt, path, escape=escape, quiet=quiet, people=people.drivers(result))
    stderr_console().print(CAVEAT, markup=False, soft_wrap=True, highlight=False)
    return int(ExitCode.OK)
