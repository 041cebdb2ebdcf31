"""From a built report to the user: render the page and write it where the output goes (SPEC §6)."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from csmkpi.cli.present import _to_terminal, output_path, report_warnings, unique
from csmkpi.errors import ExitCode, UsageError

if TYPE_CHECKING:
    from csmkpi.report.build import Report


def check_output(output: str | None) -> None:
    """``--output`` must name an HTML file (``.html``, ``.htm``) or a stream; a terminal gets no HTML."""
    from csmkpi.output.writers import format_for_path

    if output is not None and output != "-" and format_for_path(output) not in ("html", ""):
        raise UsageError(f"--output {output}: the report is HTML; name the file .html (or .htm)")
    if _to_terminal(output):
        raise UsageError(
            "the report is an HTML page and stdout is a terminal; write it to a file: --output report.html"
        )


def emit_report(report: Report, *, output: str | None, quiet: bool, strict: bool, top: int = 20) -> int:
    """Render and write the report (atomically to a file); print the warnings first; return the exit code."""
    from csmkpi import progress
    from csmkpi.cli.runner import stderr_console
    from csmkpi.output import targets
    from csmkpi.report.html import render_report

    if report_warnings(unique(report.warnings), report.notes, quiet=quiet, strict=strict):
        return int(ExitCode.DATA)
    progress.report("drawing the charts")
    payload = render_report(report, top=top)
    path = output_path("-" if output is None else output, report.card.period.label, report.inputs)
    target = targets.write_path(path, payload)
    if target.is_stdout:
        sys.stdout.flush()
    elif not quiet:
        stderr_console().print(f"wrote {path} (HTML report, {len(payload):,} bytes)", markup=False, soft_wrap=True)
    return int(ExitCode.OK)
