"""From a result to the user: pick the format, render or serialise, write atomically."""

from __future__ import annotations

import sys
from collections.abc import Iterable, Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from csmkpi.dimensions import DIMENSIONS
from csmkpi.errors import CsmkpiError, ExitCode, Issue, UsageError

if TYPE_CHECKING:
    from csmkpi.cache import Cache, CacheInfo
    from csmkpi.drilldown import Explanation
    from csmkpi.engine import Scorecard, ScoreRequest, ValidationReport
    from csmkpi.output.people import Presentation
    from csmkpi.trends import Trend

FORMATS = ("table", "csv", "tsv", "json", "parquet", "xlsx", "markdown", "html")
BINARY = ("parquet", "xlsx")
LAYOUTS = ("wide", "long")


def check_by(by: str) -> None:
    """Reject an unknown ``--by``."""
    if by not in DIMENSIONS:
        from csmkpi.suggest import did_you_mean

        raise UsageError(f"--by must be one of {', '.join(DIMENSIONS)}, not {by!r}{did_you_mean(by, DIMENSIONS)}")


def find_config(config: Path | None) -> Path:
    """``--config``, else ``$CSMKPI_CONFIG``, else ``configs/kpis.yaml``, else ``kpis.yaml`` (SPEC §5)."""
    import os

    from csmkpi.config import find_config as find

    return find(config, os.environ)


def score_request(
    *,
    config: Path | None,
    period: str | None,
    from_: datetime | None,
    to: datetime | None,
    as_of: datetime | None,
    data: Path | None,
    by: str,
    kpis: list[str] | None = None,
    compare: str | None = None,
    no_cache: bool = False,
    quiet: bool = False,
) -> ScoreRequest:
    """The engine request of ``score``, ``explain`` and ``trend`` from their shared flags."""
    from csmkpi.engine import ScoreRequest

    check_by(by)
    if compare is not None:
        compare = _choice("--compare", compare.lower(), ("previous", "year"))
    return ScoreRequest(
        config=find_config(config),
        period=period,
        start=from_.date() if from_ else None,
        end=to.date() if to else None,
        as_of=as_of.date() if as_of else None,
        data=data,
        by=by,
        kpis=tuple(kpis or ()),
        compare=compare,
        cache=open_cache(no_cache, quiet),
    )


def open_cache(no_cache: bool, quiet: bool) -> Cache | None:
    """The cache of validated tables (SPEC §9), None with ``--no-cache``; its one problem is a warning line."""
    if no_cache:
        return None
    from csmkpi.cache import Cache

    def problem(message: str) -> None:
        if not quiet:
            from csmkpi.cli.runner import stderr_console

            stderr_console().print(f"warning: {message}", style="yellow", markup=False, soft_wrap=True)

    return Cache.from_environment(on_problem=problem)


def _choice(flag: str, value: str, choices: tuple[str, ...]) -> str:
    from csmkpi.suggest import did_you_mean, find

    found = find(value, choices)
    if found is None:
        raise UsageError(f"{flag} must be one of {', '.join(choices)}, not {value!r}{did_you_mean(value, choices)}")
    return found


def _to_terminal(output: str | None) -> bool:
    """Whether the data would land on a terminal: stdout (no ``--output``, or ``-``) or a terminal device."""
    import os
    import stat

    if output is None or output == "-":
        return sys.stdout.isatty()
    try:
        if not stat.S_ISCHR(os.stat(output).st_mode):
            return False
        fd = os.open(output, os.O_WRONLY | os.O_NOCTTY | os.O_NONBLOCK)
    except OSError:
        return False
    try:
        return os.isatty(fd)
    finally:
        os.close(fd)


def choose_format(fmt: str | None, output: str | None, layout: str) -> str:
    """``--format``, else the ``--output`` extension, else table on a terminal and csv when piped (SPEC §6).

    Usage errors: an unknown format or layout, an unknown extension without ``--format``, a format
    that contradicts the extension, ``table`` to a file, a binary format to a terminal.
    """
    from csmkpi.output.writers import EXTENSIONS, format_for_path

    _choice("--layout", layout, LAYOUTS)
    named = format_for_path(output) if output and output != "-" else ""
    if named is None and fmt is None:
        assert output is not None
        extensions = " ".join(sorted(EXTENSIONS))
        raise UsageError(
            f"--output {output}: unknown extension {Path(output).suffix!r}; use one of {extensions}, "
            f"or name the format with --format ({', '.join(f for f in FORMATS if f != 'table')})"
        )
    if fmt is not None:
        fmt = _choice("--format", fmt.lower(), FORMATS)
        if fmt == "table" and output:
            raise UsageError(
                "--format table prints to the terminal; choose csv, tsv, json, parquet, xlsx or markdown for --output"
            )
        if named and fmt != named:
            raise UsageError(
                f"--format {fmt} contradicts --output {output} (a {named} file name); "
                f"change the extension or drop --format"
            )
    else:
        fmt = named or ("csv" if output or not sys.stdout.isatty() else "table")
    if fmt in BINARY and _to_terminal(output):
        raise UsageError(
            f"{fmt} is a binary format and stdout is a terminal; write it to a file: --output report.{fmt}"
        )
    return fmt


def progress(quiet: bool):  # type: ignore[no-untyped-def]
    """A block in which a run's progress shows on stderr (a terminal only, never with ``--quiet``)."""
    from csmkpi.cli.progress import spinner

    return spinner(quiet)


def check_early(request: ScoreRequest, groups: Sequence[str] = (), sort: str | None = None) -> None:
    """Reject an unknown ``--group`` or ``--sort`` before the data is read, when that can be told.

    Groups are looked up in the dimension's own table (``groups.peek``); a sort in the config's KPI
    ids. When the config or the table cannot be read here, the full run decides (and says why).
    """
    if groups:
        from csmkpi.groups import peek, resolve

        members = peek(request.config, request.data, request.by, groups)
        if members is not None:
            resolve(groups, members, request.by)
    if sort is not None:
        _check_sort(request.config, sort)


def _check_sort(config: Path, sort: str) -> None:
    from csmkpi.config import load_config
    from csmkpi.errors import CsmkpiError
    from csmkpi.output.rows import SORTS
    from csmkpi.suggest import did_you_mean, find

    try:
        ids = [k.id for k in load_config(config).kpis]
    except CsmkpiError:
        return  # the run reports the config's problems
    # A multi-number metric's KPI (mrr) is sorted by one of its numbers (mrr_new...): known after the load.
    if find(sort, [*SORTS, *ids]) is None and not any(sort.casefold().startswith(f"{i.casefold()}_") for i in ids):
        raise UsageError(
            f"--sort {sort!r}: no such KPI{did_you_mean(sort, [*SORTS, *ids])} "
            f"Sort by score, group, name or a KPI id: {', '.join(ids)}"
        )


def output_path(template: str, label: str, inputs: tuple[Path, ...]) -> Path:
    """Fill ``{period}`` and check where the output goes: an input file or a folder in the way is refused (73)."""
    from csmkpi.output import targets

    filled = _named(template).replace("{period}", label)
    targets.resolve(filled, inputs)  # raises before anything is written (as a text: Path() drops a final /)
    return Path(filled)


def _named(output: str) -> str:
    """``--output`` as given; empty (a cron line's unset ``$OUT``) is a usage error, not stdout."""
    if not output:
        raise UsageError("--output is empty: give a file name, or - for stdout")
    return output


def check_output(output: str | None) -> None:
    """Refuse an ``--output`` that cannot be written (a missing folder...: 73) before the data is read."""
    from csmkpi.output import targets

    if output is None:
        return
    targets.precheck(_named(output))


def warn(issues: object, quiet: bool) -> None:
    """Print warnings to stderr unless quiet."""
    if quiet or not issues:
        return  # without importing Rich (30 ms): a quiet run may never need it
    from csmkpi.cli.runner import stderr_console
    from csmkpi.output.render import print_issues

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
        console = stderr_console()
        for note in notes:
            console.print(f"note: {note}", markup=False, soft_wrap=not console.is_terminal)
    return False


def unique(issues: Iterable[Issue]) -> list[Issue]:
    """Issues without repeats, in order (a trend's sub-periods share the load's warnings)."""
    return list(dict.fromkeys(issues))


def emit_frame(  # type: ignore[no-untyped-def]
    frame, fmt: str, output: Path | None, *, escape: bool, quiet: bool, people: Presentation | None = None
) -> None:
    """Serialise a frame to a file (atomically) or to stdout; ``people`` shapes markdown and xlsx."""
    from csmkpi.cli.runner import stderr_console
    from csmkpi.output import targets
    from csmkpi.output.writers import serialise

    payload = serialise(frame, fmt, safe=escape, people=people)
    if output is not None:
        target = targets.write_path(output, payload)
        if not quiet and not target.is_stdout:
            stderr_console().print(
                f"wrote {output} ({frame.height} rows, {fmt})", highlight=False, markup=False, soft_wrap=True
            )
        return
    sys.stdout.buffer.write(payload)
    sys.stdout.flush()


def terminal(**options: Any):  # type: ignore[no-untyped-def]
    """The Rich console of stdout (colour off with NO_COLOR, or when stdout is not a terminal).

    A reader that goes away (``| head -1``) ends the run quietly with 0, as for any output: Rich's
    own console would exit with 1 there (``Console.on_broken_pipe``), failing a ``pipefail`` cron job.
    """
    from rich.console import Console

    class Stdout(Console):
        def on_broken_pipe(self) -> None:
            self.quiet = True
            raise BrokenPipeError  # the command's runner ends it (0)

    return Stdout(**{"highlight": False, **options})


def groups_of(card: Scorecard) -> dict[str, str]:
    """A scorecard's groups (ALL included) and their display names."""
    return {g: card.names.get(g, "") for g in card.scores["group"].to_list()}


def emit_scorecard(
    card: Scorecard,
    *,
    fmt: str,
    layout: str,
    output: str | None,
    quiet: bool,
    strict: bool,
    escape: bool,
    top: int | None = None,
    sort: str | None = None,
    groups: Sequence[str] = (),
    as_of_shown: bool = True,
) -> int:
    """Show or write a scorecard (its rows picked by ``--group``, ``--sort``, ``--top``); return the exit code.

    ``html`` is the report's first part (csmkpi.report.html): the as-of date shows only when ``as_of_shown``.
    """
    from csmkpi.groups import resolve
    from csmkpi.output import people, rows

    if report_warnings(card.warnings, () if fmt == "table" else card.notes, quiet=quiet, strict=strict):
        return int(ExitCode.DATA)
    wanted = resolve(groups, groups_of(card), card.group_by)
    if top is None and fmt == "table":
        top = rows.TERMINAL_TOP
    choice = rows.choose(card, sort=sort, groups=wanted, top=top)
    if fmt == "table":
        from csmkpi.output.scorecard import render, render_long

        console = terminal()
        console.print((render if layout == "wide" else render_long)(card, choice, console.width))
        return int(ExitCode.OK)
    path = output_path("-" if output is None else output, card.period.label, card.inputs)  # stdout may be an input
    if fmt == "html":
        from csmkpi.output import targets
        from csmkpi.report.html import render_scorecard

        page = render_scorecard(card, choice.groups, as_of_shown=as_of_shown, left_out=choice.note or "")
        if not targets.write_path(path, page).is_stdout and not quiet:
            from csmkpi.cli.runner import stderr_console

            stderr_console().print(f"wrote {path} (scorecard, html)", highlight=False, markup=False, soft_wrap=True)
        return int(ExitCode.OK)
    frame = choice.apply(card.wide_table() if layout == "wide" else card.long_table())
    details = choice.apply(card.long_table()) if fmt == "xlsx" and layout == "wide" else None
    emit_frame(frame, fmt, path, escape=escape, quiet=quiet, people=people.scorecard(card, layout, details=details))
    return int(ExitCode.OK)


def emit_explanation(
    explanation: Explanation,
    *,
    fmt: str,
    output: str | None,
    quiet: bool,
    escape: bool,
    strict: bool = False,
    limit: int = 50,
) -> int:
    """Show (the first ``limit`` rows on a terminal) or write (every row) an explanation; return the exit code."""
    from csmkpi.output import people

    if report_warnings(explanation.warnings, (), quiet=quiet, strict=strict):
        return int(ExitCode.DATA)
    if fmt == "table":
        from csmkpi.output.render import explanation_view

        console = terminal()
        console.print(explanation_view(explanation, console.width, limit=limit))
        return int(ExitCode.OK)
    label = f"{explanation.period.label}_{explanation.kpi.id}_{explanation.group}"
    path = output_path("-" if output is None else output, label, explanation.inputs)
    emit_frame(explanation.table(), fmt, path, escape=escape, quiet=quiet, people=people.explanation(explanation))
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
    from csmkpi.output import people

    warnings = unique(w for card in result.cards for w in card.warnings)
    notes = list(dict.fromkeys(n for card in result.cards for n in card.notes))
    if report_warnings(warnings, notes, quiet=quiet, strict=strict):
        return int(ExitCode.DATA)
    if fmt == "table":
        from csmkpi.output.render import trend_table

        console = terminal()
        console.print(trend_table(result, group, console.width))
    elif output and "{period}" in output:
        paths = [output_path(output, card.period.label, card.inputs) for card in result.cards]  # all, before any write
        for card, each in zip(result.cards, paths, strict=True):
            frame = card.wide_table() if layout == "wide" else card.long_table()
            emit_frame(frame, fmt, each, escape=escape, quiet=quiet, people=people.scorecard(card, layout))
    else:
        inputs = result.cards[0].inputs if result.cards else ()
        path = output_path("-" if output is None else output, result.range.label, inputs)
        frame = result.wide_table() if layout == "wide" else result.long_table()
        emit_frame(frame, fmt, path, escape=escape, quiet=quiet, people=people.trend(result))
    return int(ExitCode.OK)


def _bytes(size: int) -> str:
    for unit in ("bytes", "KiB", "MiB", "GiB"):
        if size < 1024 or unit == "GiB":
            return f"{size} {unit}" if unit == "bytes" else f"{size:.1f} {unit}"
        size /= 1024  # type: ignore[assignment]
    return f"{size} bytes"


def cache_info(info: CacheInfo) -> None:
    """``csmkpi cache info``, on stdout."""
    console = terminal()
    where = str(info.folder) if info.exists else f"{info.folder} (not created yet)"
    console.print(f"folder: {where}", markup=False, soft_wrap=True)
    console.print(f"tables: {info.entries}", markup=False)
    console.print(f"size: {_bytes(info.bytes)} of {_bytes(info.limit)}", markup=False)
    if info.newest is not None and info.oldest is not None:
        used = (datetime.fromtimestamp(t).strftime("%Y-%m-%d %H:%M") for t in (info.oldest, info.newest))
        console.print("last used: {} to {}".format(*used), markup=False)


def cache_cleared(folder: Path, entries: int, size: int) -> None:
    """What ``csmkpi cache clear`` removed, on stderr."""
    from csmkpi.cli.runner import stderr_console

    stderr_console().print(
        f"removed {entries} table{'s' if entries != 1 else ''} ({_bytes(size)}) from {folder}",
        markup=False,
        soft_wrap=True,
    )


def validation_summary(report: ValidationReport) -> None:
    """One line per table read, on stdout."""
    console = terminal()
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
