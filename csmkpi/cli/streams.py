"""Standard streams that fail well (SPEC §6: stdout gets data, stderr messages).

``prepare`` runs first thing in the ``csmkpi`` console script:

- A closed descriptor 0, 1 or 2 is reopened on ``/dev/null``, so no file the run opens takes its number
  (an output file opened as descriptor 1 would receive whatever is printed to stdout).
- stdout becomes a stream whose failures are domain errors: writing to it when it is full (``/dev/full``),
  failing (EIO) or closed raises ``WriteError`` (exit 74, one line on stderr); a closed pipe
  (``csmkpi score | head -1``) raises ``BrokenPipeError``, which the runner ends quietly. After either,
  stdout takes no more writes, so the interpreter's last flush has nothing to fail on ("Exception ignored").
- stderr becomes a stream that never fails a run: when it is closed or failing, messages are dropped and
  the run still does its work, writes its output and keeps its exit code. It is bounded: past
  ``STDERR_BUDGET`` bytes one line says the rest was left out, and only errors still get through, so
  stderr stays under 64 KiB whatever the data holds.
"""

from __future__ import annotations

import io
import os
import re
import sys

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing: this module loads before --version answers
if TYPE_CHECKING:
    from typing import TextIO

STDERR_BUDGET = 56 * 1024  # messages in full up to here
STDERR_LIMIT = 63 * 1024  # then errors only (each line cut to ERROR_LINE bytes), never beyond this
ERROR_LINE = 1024
_ERROR = re.compile(r"^(?:\x1b\[[0-9;]*m)*error")  # a line Rich styled or not


def prepare() -> None:
    """Reopen closed standard descriptors and install the guarded stdout and stderr."""
    closed = {fd for fd in (0, 1, 2) if not _is_open(fd)}
    for fd in sorted(closed):
        # stdout: read-only, so that nothing ever lands there; the stream below says it is closed.
        _reopen(fd, os.O_WRONLY if fd == 2 else os.O_RDONLY)
    original = sys.stdout
    encoding = getattr(original, "encoding", None) or "utf-8"
    errors = getattr(original, "errors", None) or "strict"
    raw = StdoutRaw(1, closed=1 in closed)
    sys.stdout = io.TextIOWrapper(
        io.BufferedWriter(raw), encoding=encoding, errors=errors, line_buffering=raw.isatty(), write_through=False
    )
    inner = sys.stderr if 2 not in closed and sys.stderr is not None else None
    if inner is None:
        inner = io.TextIOWrapper(
            io.FileIO(2, "w", closefd=False), encoding="utf-8", errors="backslashreplace", line_buffering=True
        )
    sys.stderr = GuardedStderr(inner)


def finish_stdout() -> None:
    """Flush stdout; raise ``WriteError`` or ``BrokenPipeError`` as writing would."""
    sys.stdout.flush()


def _is_open(fd: int) -> bool:
    try:
        os.fstat(fd)
    except OSError:
        return False
    return True


def _reopen(fd: int, flags: int) -> None:
    try:
        null = os.open(os.devnull, flags)
    except OSError:
        return
    if null != fd:
        os.dup2(null, fd)
        os.close(null)


class StdoutRaw(io.RawIOBase):
    """Descriptor 1, whose write errors become ``WriteError`` (74) or ``BrokenPipeError``."""

    def __init__(self, fd: int, *, closed: bool = False) -> None:
        super().__init__()
        self._fd = fd
        self._closed_at_start = closed
        self.failed = False

    def writable(self) -> bool:
        """Return True: stdout is for writing."""
        return True

    def fileno(self) -> int:
        """Return the descriptor."""
        return self._fd

    def isatty(self) -> bool:
        """Tell whether stdout is a terminal (False when closed)."""
        if self._closed_at_start:
            return False
        try:
            return os.isatty(self._fd)
        except OSError:
            return False

    def write(self, data: bytes | bytearray | memoryview) -> int:  # type: ignore[override]
        """Write to stdout; after a failure, drop everything (the run already says why)."""
        size = len(data)
        if self.failed:
            return size
        if self._closed_at_start:
            self.failed = True
            raise _write_error("it is closed")
        while True:
            try:
                return os.write(self._fd, data)
            except BlockingIOError:  # left non-blocking by another program: wait until writable
                import select

                select.select([], [self._fd], [])
            except BrokenPipeError:
                self.failed = True
                raise
            except OSError as exc:
                self.failed = True
                raise _write_error(exc.strerror or str(exc)) from exc


def _write_error(why: str) -> Exception:
    from csmkpi.errors import WriteError  # only now: importing it would cost --version 15 ms

    return WriteError(f"cannot write to standard output: {why}")


class GuardedStderr(io.TextIOBase):
    """A text stream over stderr that drops what it cannot write and stays under 64 KiB."""

    def __init__(self, inner: TextIO) -> None:
        super().__init__()
        self._inner = inner
        self._written = 0
        self._dead = False
        self._noted = False

    @property
    def encoding(self) -> str:  # type: ignore[override]
        """The encoding of the stream underneath."""
        return getattr(self._inner, "encoding", None) or "utf-8"

    @property
    def errors(self) -> str | None:  # type: ignore[override]
        """The error handler of the stream underneath."""
        return getattr(self._inner, "errors", None)

    def writable(self) -> bool:
        """Return True: stderr is for writing."""
        return True

    def fileno(self) -> int:
        """Return the descriptor underneath."""
        return self._inner.fileno()

    def isatty(self) -> bool:
        """Tell whether stderr is a terminal (False when it cannot be asked)."""
        try:
            return self._inner.isatty()
        except (OSError, ValueError):
            return False

    def write(self, text: str) -> int:
        """Write ``text`` within the budget; never raise (but for bytes: this is a text stream, as Click checks)."""
        if not isinstance(text, str):
            raise TypeError(f"write() argument must be str, not {type(text).__name__}")
        size = len(text)
        if self._dead or not text:
            return size
        length = len(text.encode("utf-8", "replace"))
        if self._written + length > STDERR_BUDGET:
            if not self._noted:
                self._noted = True
                self._put("... further messages left out (stderr is kept under 64 KiB)\n")
            if not _ERROR.match(text):
                return size
            text = text if length <= ERROR_LINE else text[: ERROR_LINE // 4] + "...\n"
            if self._written + len(text.encode("utf-8", "replace")) > STDERR_LIMIT:
                return size
        self._put(text)
        return size

    def _put(self, text: str) -> None:
        try:
            self._inner.write(text)
            self._written += len(text.encode("utf-8", "replace"))
        except (OSError, ValueError):
            self._dead = True

    def flush(self) -> None:
        """Flush; a failing stderr is left alone from then on."""
        if self._dead:
            return
        try:
            self._inner.flush()
        except (OSError, ValueError):
            self._dead = True
