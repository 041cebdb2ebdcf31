"""From a result to the user: pick the format, render or serialise, write atomically."""

from __future__ import annotations

import sys
from collections.abc import Iterable, Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from csmkpi.dimensions import DIMENSIONS
from csmkpi.errors import CsmkpiError, ExitCode, Issue, UsageError

if TYPE_CHECKING:
    from csmkpi.drilldown import Explanation
    from csmkpi.engine import Scorecard, ScoreRequest, ValidationReport
    from csmkpi.trends import Trend

FORMATS = ("table", "csv", "tsv", "json", "parquet", "xlsx", "markdown")
LAYOUTS = ("wide", "long")


def check_by(by: str) -> None:
    """Reject an unknown ``--by``."""
    if by not in DIMENSIONS:
        raise UsageError(f"--by must be one of {', '.join(DIMENSIONS)}, not {by!r}")


def score_request(
    *,
    config: Path,
    period: str | None,
    from_: datetime | None,
    to: datetime | None,
    as_of: datetime | None,
    data: Path | None,
    by: str,
    kpis: list[str] | None = None,
) -> ScoreRequest:
    """The engine request of ``score``, ``explain`` and ``trend`` from their shared flags."""
    from csmkpi.engine import ScoreRequest

    check_by(by)
    return ScoreRequest(
        config=config,
        period=period,
        start=from_.date() if from_ else None,
        end=to.date() if to else None,
        as_of=as_of.date() if as_of else None,
        data=data,
        by=by,
        kpis=tuple(kpis or ()),
    )


def choose_format(fmt: str | None, output: str | None, layout: str) -> str:
    """The explicit format, else the output file's extension, else table on a terminal and csv when piped."""
    from csmkpi.output.writers import format_for_path

    if layout not in LAYOUTS:
        raise UsageError(f"--layout must be wide or long, not {layout!r}")
    if fmt is not None:
        fmt = fmt.lower()
        if fmt not in FORMATS:
            raise UsageError(f"--format must be one of {', '.join(FORMATS)}, not {fmt!r}")
        if fmt == "table" and output:
            raise UsageError(
                "--format table prints to the terminal; choose csv, tsv, json, parquet or markdown for --output"
            )
        return fmt
    if output:
        return format_for_path(output)
    return "table" if sys.stdout.isatty() else "csv"


def output_path(template: str, label: str, inputs: tuple[Path, ...]) -> Path:
    """Fill ``{period}`` and check where the output goes: an input file or a folder in the way is refused (73)."""
    from csmkpi.output import targets

    if not template:
        raise UsageError("--output is empty: give a file name, or - for stdout")
    path = Path(template.replace("{period}", label))
    targets.resolve(path, inputs)  # raises before anything is written
    return path


def warn(issues: object, quiet: bool) -> None:
    """Print warnings to stderr unless quiet."""
    from csmkpi.cli.runner import stderr_console
    from csmkpi.output.render import print_issues

    if not quiet and issues:
        print_issues(stderr_console(), issues)  # type: ignore[arg-type]


def report_warnings(warnings: Sequence[Issue], notes: Sequence[str], *, quiet: bool, strict: bool) -> bool:
    """Print a run's warnings and notes; return True when ``--strict`` makes them fail the run.

    A failing run always says why, ``--quiet`` or not, and then writes nothing (SPEC §6).
    """
    from csmkpi.cli.runner import stderr_console

    if strict and warnings:
        warn(warnings, quiet=False)
        count = f"{len(warnings)} warning{'s' if len(warnings) != 1 else ''}"
        stderr_console().print(f"error: --strict: {count}; nothing written", style="red", markup=False)
        return True
    warn(warnings, quiet)
    if not quiet:
        for note in notes:
            stderr_console().print(f"note: {note}", markup=False, soft_wrap=True)
    return False


def unique(issues: Iterable[Issue]) -> list[Issue]:
    """Issues without repeats, in order (a trend's sub-periods share the load's warnings)."""
    return list(dict.fromkeys(issues))


def emit_frame(frame, fmt: str, output: Path | None, *, escape: bool, quiet: bool) -> None:  # type: ignore[no-untyped-def]
    """Serialise a frame to a file (atomically) or to stdout."""
    from csmkpi.cli.runner import stderr_console
    from csmkpi.output import targets
    from csmkpi.output.writers import serialise

    payload = serialise(frame, fmt, safe=escape)
    if output is not None:
        target = targets.write_path(output, payload)
        if not quiet and not target.is_stdout:
            stderr_console().print(
                f"wrote {output} ({frame.height} rows, {fmt})", highlight=False, markup=False, soft_wrap=True
            )
        return
    sys.stdout.buffer.write(payload)
    sys.stdout.flush()


def emit_scorecard(
    card: Scorecard, *, fmt: str, layout: str, output: str | None, quiet: bool, strict: bool, escape: bool
) -> int:
    """Show or write a scorecard; return the exit code."""
    if report_warnings(card.warnings, card.notes, quiet=quiet, strict=strict):
        return int(ExitCode.DATA)
    if fmt == "table":
        from rich.console import Console

        from csmkpi.output.render import long_table, scorecard_table

        console = Console()
        console.print(scorecard_table(card, console.width) if layout == "wide" else long_table(card))
    else:
        path = output_path(
            "-" if output is None else output, card.period.label, card.inputs
        )  # stdout too may be an input
        frame = card.wide_table() if layout == "wide" else card.long_table()
        emit_frame(frame, fmt, path, escape=escape, quiet=quiet)
    return int(ExitCode.OK)


def emit_explanation(explanation: Explanation, *, fmt: str, output: str | None, quiet: bool, escape: bool) -> int:
    """Show or write an explanation; return the exit code."""
    if fmt == "table":
        from rich.console import Console

        from csmkpi.output.render import explanation_table

        Console().print(explanation_table(explanation))
        return int(ExitCode.OK)
    label = f"{explanation.period.label}_{explanation.kpi.id}_{explanation.group}"
    path = output_path("-" if output is None else output, label, explanation.inputs)
    emit_frame(explanation.table(), fmt, path, escape=escape, quiet=quiet)
    return int(ExitCode.OK)


def emit_trend(
    result: Trend,
    *,
    fmt: str,
    layout: str,
    group: str,
    output: str | None,
    quiet: bool,
    strict: bool,
    escape: bool,
) -> int:
    """Show a trend on the terminal, or write it: one file per period when ``output`` has ``{period}``."""
    warnings = unique(w for card in result.cards for w in card.warnings)
    notes = list(dict.fromkeys(n for card in result.cards for n in card.notes))
    if report_warnings(warnings, notes, quiet=quiet, strict=strict):
        return int(ExitCode.DATA)
    if fmt == "table":
        from rich.console import Console

        from csmkpi.output.render import trend_table

        Console().print(trend_table(result, group))
    elif output and "{period}" in output:
        paths = [output_path(output, card.period.label, card.inputs) for card in result.cards]  # all, before any write
        for card, each in zip(result.cards, paths, strict=True):
            frame = card.wide_table() if layout == "wide" else card.long_table()
            emit_frame(frame, fmt, each, escape=escape, quiet=quiet)
    else:
        inputs = result.cards[0].inputs if result.cards else ()
        path = output_path("-" if output is None else output, result.range.label, inputs)
        frame = result.wide_table() if layout == "wide" else result.long_table()
        emit_frame(frame, fmt, path, escape=escape, quiet=quiet)
    return int(ExitCode.OK)


def validation_summary(report: ValidationReport) -> None:
    """One line per table read, on stdout."""
    from rich.console import Console

    console = Console(highlight=False)
    console.print(f"config {report.config}: ok", markup=False, soft_wrap=True)
    for table, rows in report.rows.items():
        console.print(f"{report.files[table]}: {rows} rows ok", markup=False, soft_wrap=True)


def validation_json(report: ValidationReport | None, error: CsmkpiError | None, max_errors: int) -> None:
    """The findings of ``validate`` as one JSON document on stdout."""
    import dataclasses
    import json

    errors = error.issues if error is not None else []
    warnings = list(report.warnings) if report is not None else []
    tables = {} if report is None else {n: {"file": str(report.files[n]), "rows": r} for n, r in report.rows.items()}
    document = {
        "valid": error is None,
        "exit_code": int(error.exit_code) if error is not None else 0,
        "message": error.message if error is not None else "ok",
        "errors": [dataclasses.asdict(i) for i in errors[:max_errors]],
        "errors_not_shown": max(0, len(errors) - max_errors),
        "warnings": [dataclasses.asdict(i) for i in warnings[:max_errors]],
        "tables": tables,
    }
    sys.stdout.write(json.dumps(document, indent=2, ensure_ascii=False) + "\n")
    sys.stdout.flush()
