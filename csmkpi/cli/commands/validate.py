"""``csmkpi validate``: check the config and the data, print every problem."""

from __future__ import annotations

from typing import Annotated

import typer

from csmkpi.cli import options as o
from csmkpi.cli.runner import run


def validate(
    config: o.ConfigOpt = o.DEFAULT_CONFIG,
    data: o.DataOpt = None,
    fmt: Annotated[
        str, typer.Option("--format", "-f", help="text (default) or json: the same findings for machines, on stdout.")
    ] = "text",
    max_errors: o.MaxErrorsOpt = 50,
    strict: o.StrictOpt = False,
    quiet: o.QuietOpt = False,
    no_cache: o.NoCacheOpt = False,
    debug: o.DebugOpt = False,
) -> None:
    """Check the config and every column of every table; exit non-zero on errors.

    Exit codes: 0 valid (warnings allowed), 65 invalid data (or warnings with --strict),
    66 missing input, 78 invalid config. With --strict, the warnings are printed even with --quiet.

    Example run:

      csmkpi validate --config configs/kpis.yaml --data exports/ --format json
    """

    def body() -> int:
        from csmkpi.cli import present
        from csmkpi.engine import validate as check
        from csmkpi.errors import CsmkpiError, ExitCode, UsageError

        if fmt not in ("text", "json"):
            raise UsageError(f"--format must be text or json, not {fmt!r}")
        path = present.find_config(config)
        cache = present.open_cache(no_cache, quiet)
        if fmt == "text":
            with present.progress(quiet):
                report = check(path, data, cache=cache)
            if present.report_warnings(report.warnings[:max_errors], (), quiet=quiet, strict=strict):
                return int(ExitCode.DATA)
            if not quiet:
                present.validation_summary(report)
            return int(ExitCode.OK)
        try:
            with present.progress(quiet):
                report = check(path, data, cache=cache)
        except CsmkpiError as exc:  # a finding, reported as data on stdout
            present.validation_json(None, exc, max_errors)
            return int(exc.exit_code)
        present.validation_json(report, None, max_errors)
        if strict and report.warnings:
            present.report_warnings(report.warnings[:max_errors], (), quiet=quiet, strict=strict)
            return int(ExitCode.DATA)
        return int(ExitCode.OK)

    run(body, debug=debug, max_errors=max_errors)
