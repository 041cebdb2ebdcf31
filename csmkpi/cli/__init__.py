"""Command-line interface.

``main`` (the ``csmkpi`` console script) answers ``csmkpi --version`` and ``csmkpi --help`` by
itself, the help from ``help.txt``, Typer's own rendering stored by a test, so they return without
importing Typer (about 100 ms). Every other command line goes to the Typer app in ``app.py``,
after ``tune_allocator`` and the fork of the watching process (``supervisor.py``).
"""

from __future__ import annotations

import os
import sys

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (15 ms)
if TYPE_CHECKING:
    from collections.abc import MutableMapping

# Only os and sys at import: until ``main`` installs its signal handlers a signal kills the process
# outright, so the console script must get there fast (pathlib alone takes 20 ms).
_HELP_FILE = os.path.join(os.path.dirname(__file__), "help.txt")
_HELP_COLUMNS = 80  # Click wraps help at min(terminal width, 80): any wider terminal shows the same text
# Polars' memory allocator (jemalloc on Linux) hands freed memory back to the kernel within about a
# second, through MADV_FREE, and new column buffers then fault in fresh pages. A run frees and
# allocates columns of the same sizes table after table: keeping freed pages 2 s, purging them
# directly, and one arena per CPU cut the kernel's share of a run by a quarter and peak memory a
# little (docs/performance.md). Polars puts its own options first and later ones win; read once,
# when Polars loads; other platforms ignore it.
ALLOCATOR_ENV = "_RJEM_MALLOC_CONF"
ALLOCATOR_CONF = "percpu_arena:percpu,dirty_decay_ms:2000,muzzy_decay_ms:0"
OPENBLAS_ENV = "OPENBLAS_NUM_THREADS"  # set to 1 under a memory limit (tune_allocator)


def __getattr__(name: str) -> object:
    """``HELP``, the stored help's path, as a ``Path`` (pathlib is imported only when asked)."""
    if name == "HELP":
        from pathlib import Path

        return Path(_HELP_FILE)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def main() -> None:
    """Console-script entry point.

    Signal handlers and guarded standard streams come first (``signals``, ``streams``), then the
    fast answers, then the process that watches the run (``supervisor``), then the Typer app.
    """
    from csmkpi.cli import signals, streams

    signals.install()
    streams.prepare()
    try:
        _main(sys.argv[1:])
    except SystemExit as exc:
        if signals.received() is None:
            _leave(exc.code)
            raise  # a stream that failed its last flush: the interpreter's exit reports it, as ever
        # Interrupted: temp files are gone, the line is printed. Exit now, without waiting for a thread
        # blocked in a read that may never end (a FIFO nobody writes): Python would join it at exit.
        from csmkpi.output.targets import note_exit

        code = exc.code if isinstance(exc.code, int) else 1
        note_exit(code)
        _flush()
        os._exit(code)
    except signals.Interrupted as exc:  # before the command's runner took over: while starting up
        _exit(exc.code, exc.line)
    except BrokenPipeError:
        _exit(0)
    except Exception as exc:  # stdout failed on a fast answer: a WriteError (imported only now: it costs 15 ms)
        from csmkpi.errors import WriteError

        if not isinstance(exc, WriteError):
            raise
        _exit(int(exc.exit_code), f"error: {exc.message}")


def _main(args: list[str]) -> None:
    from csmkpi.cli import streams

    if args == ["--version"]:
        from csmkpi import __version__

        sys.stdout.write(f"csmkpi {__version__}\n")
        streams.finish_stdout()
        return
    if args == ["--help"] and (text := stored_help()) is not None:
        sys.stdout.write(text)
        streams.finish_stdout()
        return
    tune_allocator(os.environ)
    from csmkpi.cli import supervisor

    supervisor.start()
    from csmkpi.cli.app import main as run

    run()


def _flush() -> None:
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError, AttributeError):
            pass


def _leave(code: object) -> None:
    """End a finished command now with its exit status, once the standard streams are flushed.

    The interpreter's own exit would then free every table, column and module one by one: about
    a tenth of a repeated (cached) run, and nothing a finished run needs. Its output files are
    already in place and every thread's work is done. Returns only when a flush fails.
    """
    from csmkpi.output.targets import note_exit

    status = 0 if code is None else code if isinstance(code, int) else 1
    note_exit(status)
    try:
        sys.stdout.flush()
        if not isinstance(code, (int, type(None))):
            sys.stderr.write(f"{code}\n")  # as the interpreter prints a SystemExit that is not a number
        sys.stderr.flush()
    except BaseException:  # any failure: leave as before, through the interpreter
        return
    os._exit(status)


def _exit(code: int, line: str | None = None) -> None:
    from csmkpi.cli.runner import say, silence_stdout

    if line:
        say(line)
    if code:
        silence_stdout()
    sys.exit(code)


def tune_allocator(environ: MutableMapping[str, str]) -> None:
    """Set csmkpi's allocator options unless the user set their own (an empty value keeps Polars' defaults).

    Under an address-space limit (``ulimit -v``) jemalloc's background threads are turned off, unless the
    options say otherwise: each one that cannot start prints a line, by the hundred thousand. So is
    OpenBLAS's thread pool (numpy, for ``drivers``), unless ``OPENBLAS_NUM_THREADS`` is set: when its
    buffers cannot be mapped it may spin forever, or raise SIGINT at itself (docs/reliability.md).
    """
    from csmkpi.cli.supervisor import memory_rlimit

    environ.setdefault(ALLOCATOR_ENV, ALLOCATOR_CONF)
    if not memory_rlimit():
        return
    if environ[ALLOCATOR_ENV] and "background_thread" not in environ[ALLOCATOR_ENV]:
        environ[ALLOCATOR_ENV] += ",background_thread:false"
    environ.setdefault(OPENBLAS_ENV, "1")


def stored_help() -> str | None:
    """The top-level help as Typer renders it on a terminal at least 80 columns wide, else None."""
    import shutil

    if shutil.get_terminal_size().columns < _HELP_COLUMNS:
        return None
    try:
        with open(_HELP_FILE, encoding="utf-8") as handle:
            return handle.read()
    except OSError:
        return None
