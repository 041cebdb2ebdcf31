"""The one place where errors become messages and exit codes.

Commands call ``run(fn, debug)``: domain errors print their issues to stderr
and exit with their code; SIGINT, SIGTERM and SIGHUP exit 130, 143 and 129
(``csmkpi.cli.signals``); a closed pipe on stdout ends quietly; stdout that
cannot be written exits 74 and memory that cannot be had 71, each with one line;
anything unexpected exits 1 with a one-line message (``--debug`` shows the
traceback, never local variables, so no row contents leak).
"""

from __future__ import annotations

import errno
import os
import sys
import threading
from collections.abc import Callable

import typer

from csmkpi.cli import signals
from csmkpi.errors import LONG_SHOWN, MESSAGE_SHOWN, OUT_OF_MEMORY_MESSAGE, CsmkpiError, ExitCode, clip

MAX_SHOWN = 50


def stderr_console():  # type: ignore[no-untyped-def]
    """A Rich console on stderr (imported lazily)."""
    from rich.console import Console

    return Console(stderr=True, highlight=False)


def run(fn: Callable[[], int], *, debug: bool = False, max_errors: int = MAX_SHOWN) -> None:
    """Run a command body and exit with its code."""
    hooks = sys.unraisablehook, threading.excepthook
    if not debug:
        quiet_background()
    previous = signals.install()
    try:
        code = _outcome(fn, debug, max_errors)
        interrupted = signals.received()
        if interrupted is not None and code != interrupted.code:  # a signal a finaliser swallowed, or after the work
            say(interrupted.line)
            code = interrupted.code
    finally:
        signals.restore(previous)
        sys.unraisablehook, threading.excepthook = hooks  # as they were: a test runs many commands in one process
    raise typer.Exit(code)


def quiet_background() -> None:
    """Make an error Python would print as a traceback from a finaliser or a thread one line, or none.

    Such an error is not the command's outcome, which comes from the main thread. Out of memory it is
    what the shortage left (a worker that could not start, a finaliser without room), and the run reports
    the shortage itself: nothing is printed. ``--debug`` keeps Python's tracebacks.
    """

    def ignored(exc: BaseException | None, where: str) -> None:
        if exc is None or out_of_memory(exc):
            return
        say(f"internal error (ignored) {where}: {type(exc).__name__}: {clip(str(exc), LONG_SHOWN)}")

    sys.unraisablehook = lambda args: ignored(args.exc_value, "in a finaliser")
    threading.excepthook = lambda args: ignored(
        args.exc_value, f"in thread {args.thread.name if args.thread is not None else '?'}"
    )


def _outcome(fn: Callable[[], int], debug: bool, max_errors: int) -> int:
    try:
        code = fn()
        sys.stdout.flush()  # a failing stdout fails here, not in the interpreter's last flush
        signals.finishing()
        return code
    except signals.Interrupted as exc:
        signals.finishing()
        say(exc.line)
        return exc.code
    except KeyboardInterrupt:
        signals.finishing()
        say("interrupted (SIGINT)")
        return int(ExitCode.INTERRUPTED)
    except BrokenPipeError:
        signals.finishing()
        silence_stdout()
        return int(ExitCode.OK)
    except CsmkpiError as exc:
        signals.finishing()
        if exc.exit_code == ExitCode.IO:
            silence_stdout()  # stdout may be what failed: nothing more may go there, not even at exit
        _print_error(exc, debug, max_errors)
        return int(exc.exit_code)
    except Exception as exc:  # MemoryError included
        return _unexpected(exc, debug)
    except BaseException as exc:  # a Rust panic in Polars is a BaseException (pyo3's PanicException)
        if type(exc).__name__ != "PanicException":
            raise
        return _unexpected(exc, debug)


def _unexpected(exc: BaseException, debug: bool) -> int:
    """Out of memory (71), or a bug (1): one line, the traceback only with ``--debug``."""
    signals.finishing()
    if debug:
        stderr_console().print_exception(show_locals=False)
    if out_of_memory(exc):
        silence_stdout()
        say(f"error: {OUT_OF_MEMORY_MESSAGE}")
        return int(ExitCode.OUT_OF_MEMORY)
    say(f"internal error: {type(exc).__name__}: {clip(str(exc), LONG_SHOWN)} (run with --debug for details)")
    return int(ExitCode.UNEXPECTED)


_OS_SHORTAGES = ("code: 11,", "code: 12,", "Cannot allocate memory", "memory allocation")
# CPython's RuntimeErrors for a thread or a lock it could not allocate ("can't allocate read lock": io)
_NO_LOCK_OR_THREAD = ("can't start new thread", "can't allocate")


def out_of_memory(exc: BaseException) -> bool:
    """Whether an exception means the system would not give the run memory (or a thread, made of memory).

    That is a ``MemoryError``, ``ENOMEM``, "can't start new thread" or "can't allocate ... lock" anywhere
    in its chain, a Rust panic that says so, or, under a memory limit, any Rust panic, an error that says
    nothing (``_speechless``) or Polars' native library that could not be mapped (Polars warns "binary is
    missing" and fails later).
    """
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, MemoryError) or (isinstance(seen, OSError) and seen.errno == errno.ENOMEM):
            return True
        if isinstance(seen, RuntimeError) and any(sign in str(seen) for sign in _NO_LOCK_OR_THREAD):
            return True
        if type(seen).__name__ == "PanicException" and (
            any(sign in str(seen) for sign in _OS_SHORTAGES) or _memory_rlimit()
        ):
            # A thread Polars could not spawn (Os { code: 11, kind: WouldBlock, ... }), or, under a memory
            # limit, what such a panic left behind ("LazyLock instance has previously been poisoned").
            return True
        if _speechless(seen) and _memory_rlimit():
            return True
        seen = seen.__cause__ or seen.__context__
    return "polars" in sys.modules and "polars._plr" not in sys.modules and _memory_rlimit()


def _speechless(exc: BaseException) -> bool:
    """An error that says nothing, as native code leaves when an allocation fails (seen under ``ulimit -v``).

    ``SystemError: error return without exception set`` (importing Polars), an ``OSError`` without errno or
    text (Polars writing a CSV).
    """
    if isinstance(exc, SystemError):
        return True
    return type(exc) is OSError and exc.errno is None and not str(exc)


def _memory_rlimit() -> bool:
    from csmkpi.cli.supervisor import memory_rlimit

    return memory_rlimit()


def _print_error(exc: CsmkpiError, debug: bool, max_errors: int) -> None:
    from rich.text import Text

    from csmkpi.output.render import print_issues

    console = stderr_console()
    console.print(
        Text("error: ", style="red") + Text(clip(exc.message, MESSAGE_SHOWN)), highlight=False, soft_wrap=True
    )
    print_issues(console, exc.issues[:max_errors])
    if len(exc.issues) > max_errors:
        console.print(f"... and {len(exc.issues) - max_errors} more problems (--max-errors shows more)", markup=False)
    if debug:
        console.print_exception(show_locals=False)


def say(line: str) -> None:
    """One line on stderr; a stderr that cannot take it is left alone."""
    try:
        sys.stderr.write(line + "\n")
        sys.stderr.flush()
    except (OSError, ValueError, AttributeError):
        pass


def silence_stdout() -> None:
    """After stdout failed, point it at /dev/null so that no later flush can fail."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
    except OSError:
        return
    try:
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        pass
    finally:
        os.close(devnull)
