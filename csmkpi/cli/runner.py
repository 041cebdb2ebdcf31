"""The one place where errors become messages and exit codes.

Commands call ``run(fn, debug)``: domain errors print their issues to stderr
and exit with their code; Ctrl-C exits 130, SIGTERM 143; anything unexpected
exits 1 with a one-line message (``--debug`` shows the traceback, never local
variables, so no row contents leak).
"""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Callable
from types import FrameType

import typer

from csmkpi.errors import CsmkpiError, ExitCode

MAX_SHOWN = 50


class Terminated(BaseException):
    """Raised by the SIGTERM handler so cleanups (temp files) still run."""


def _on_sigterm(signum: int, frame: FrameType | None) -> None:
    raise Terminated()


def stderr_console():  # type: ignore[no-untyped-def]
    """A Rich console on stderr (imported lazily)."""
    from rich.console import Console

    return Console(stderr=True, highlight=False)


def run(fn: Callable[[], int], *, debug: bool = False, max_errors: int = MAX_SHOWN) -> None:
    """Run a command body and exit with its code."""
    signal.signal(signal.SIGTERM, _on_sigterm)
    try:
        code = fn()
    except CsmkpiError as exc:
        from csmkpi.output.render import print_issues

        console = stderr_console()
        from rich.text import Text

        console.print(Text("error: ", style="red") + Text(exc.message), highlight=False, soft_wrap=True)
        print_issues(console, exc.issues[:max_errors])
        if len(exc.issues) > max_errors:
            console.print(
                f"... and {len(exc.issues) - max_errors} more problems (--max-errors shows more)", markup=False
            )
        if debug:
            console.print_exception(show_locals=False)
        code = int(exc.exit_code)
    except KeyboardInterrupt:
        sys.stderr.write("interrupted\n")
        code = int(ExitCode.INTERRUPTED)
    except Terminated:
        sys.stderr.write("terminated\n")
        code = int(ExitCode.TERMINATED)
    except BrokenPipeError:
        _silence_stdout()
        code = int(ExitCode.OK)
    except Exception as exc:
        if debug:
            stderr_console().print_exception(show_locals=False)
        sys.stderr.write(f"internal error: {type(exc).__name__}: {exc} (run with --debug for details)\n")
        code = int(ExitCode.UNEXPECTED)
    raise typer.Exit(code)


def _silence_stdout() -> None:
    """After a closed pipe, point stdout at /dev/null so the final flush cannot fail."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
