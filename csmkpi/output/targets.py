"""Where an output goes and how it is written there (SPEC §6, "Where the output goes").

Every command that writes a file asks this module, so the rules hold for all of them:

- ``-``, ``/dev/stdout``, ``/dev/stderr``, ``/dev/fd/N`` and ``/proc/self/fd/N`` are the process's own
  descriptors: written straight through (``/dev/stdout`` is stdout even when stdout is a file), unless
  that file is one of the run's inputs (``csmkpi score >> data/accounts.csv``).
- An existing character device (``/dev/null``, a terminal) or FIFO, also through a link: opened as it is
  and written straight through, never replaced by a regular file.
- A folder, a socket or a block device in the way, a missing folder, a part of the path that is a file,
  a name longer than the file system allows: ``OutputError`` (73), before anything is written; the
  commands ask ``precheck`` before they read any data, so this costs no load.
- The same file as one of the run's inputs (device and inode, so hard links and symlinks too):
  ``OutputError`` (73), before anything is written.
- Anything else (a regular file, a link to one, a dangling link, a new name) is replaced atomically:
  written to a temp file in the real file's folder, fsync'd, then ``os.replace``'d over the real file,
  so a link stays a link and its target is replaced. The temp file's name fits the file system's name
  limit whatever the output's name, and it is removed on any failure or interruption. A write that
  fails half-way (disk full, file-size limit) is ``WriteError`` (74) and leaves the old file as it was.

A broken pipe (the reader of stdout or of a FIFO went away) is ``BrokenPipeError``, which the CLI ends
quietly. Temp files are noted in a ledger before they are created and after they are gone, so the
process watching the run (``csmkpi.cli.supervisor``) can remove any that a killed run left behind.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import secrets
import stat
import sys
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from csmkpi.errors import OutputError, WriteError

TEMP_SUFFIX = ".tmp"
_TOKEN_BYTES = 4  # 8 hex digits: unique enough within one folder, short enough to leave room for the name
_DESCRIPTORS = re.compile(r"/(?:dev/fd|proc/self/fd)/([0-9]+)")
_NAMED_DESCRIPTORS = {"-": 1, "/dev/stdout": 1, "/dev/stderr": 2}
_NAME_MAX = 255  # when the file system does not say


@dataclass(frozen=True)
class Target:
    """A resolved output: how it is written, and what to call it in messages.

    Attributes:
        shown: The output as the user gave it.
        kind: ``file`` (replaced atomically), ``stream`` (an existing device or FIFO, opened and
            written through) or ``descriptor`` (one of the process's open descriptors).
        path: The real file to replace (links followed) or the device or FIFO to open.
        fd: The descriptor, for ``descriptor``.
    """

    shown: str
    kind: str
    path: Path | None = None
    fd: int | None = None

    @property
    def is_stdout(self) -> bool:
        """Whether the output is the process's stdout."""
        return self.kind == "descriptor" and self.fd == 1


def resolve(output: str | Path, inputs: Iterable[Path] = ()) -> Target:
    """Decide where ``output`` goes and how; raise ``OutputError`` (73) for what cannot be written there.

    Args:
        output: The ``--output`` value, ``{period}`` already filled.
        inputs: The run's input files; the output may not be any of them.
    """
    shown = str(output)
    fd = descriptor(shown)
    if fd is not None:
        _check_open(shown, fd)
        with contextlib.suppress(OSError):  # stdout appended to an input (>> data/accounts.csv) is refused too
            _check_not_input("standard output" if fd == 1 else shown, os.fstat(fd), inputs)
        return Target(shown, "descriptor", fd=fd)
    if shown.endswith(os.sep):  # Path() would drop the slash and write a file where a folder was meant
        raise OutputError(f"{shown}: cannot create the output: it names a folder (ends with {os.sep}), not a file")
    path = Path(shown)
    try:
        status: os.stat_result | None = os.stat(path)
    except FileNotFoundError:
        status = None  # a new name, or a link to a file that does not exist yet
    except OSError as exc:
        raise OutputError(f"{shown}: cannot create the output: {_reason(exc)}") from exc
    if status is not None:
        _check_not_input(shown, status, inputs)
        if stat.S_ISDIR(status.st_mode):
            raise OutputError(f"{shown}: cannot create the output: it is a folder")
        if stat.S_ISCHR(status.st_mode) or stat.S_ISFIFO(status.st_mode):
            return Target(shown, "stream", path=path)
        if not stat.S_ISREG(status.st_mode):
            raise OutputError(f"{shown}: cannot create the output: it is a {_kind(status.st_mode)}, not a file")
    real = Path(os.path.realpath(path))
    _check_folder(shown, real)
    return Target(shown, "file", path=real)


def precheck(output: str) -> None:
    """``resolve``'s checks that need no inputs, made before a run reads its data (73 in seconds, not minutes).

    ``output`` may hold ``{period}``: in the file name it stands for a name not known yet, so only the
    folder is checked; in a folder, nothing is (each period's folder is checked when it is written).
    Whether the output is one of the run's inputs is left to ``resolve`` at write time.
    """
    if "{period}" not in output or output.endswith(os.sep):
        resolve(output)
        return
    folder = os.path.dirname(output)
    if "{period}" not in folder:
        # ``x`` stands in for the name: the folder must exist and be a folder, whatever the period.
        _check_folder(output, Path(os.path.realpath(folder or ".")) / "x")


def descriptor(output: str) -> int | None:
    """The open descriptor an output names (``-``, ``/dev/stdout``, ``/dev/fd/3``...), else None."""
    if output in _NAMED_DESCRIPTORS:
        return _NAMED_DESCRIPTORS[output]
    match = _DESCRIPTORS.fullmatch(output)
    return int(match[1]) if match else None


def write(target: Target, payload: bytes) -> None:
    """Write ``payload`` to a resolved target (atomically for a file)."""
    if target.kind == "descriptor":
        _write_descriptor(target, payload)
    elif target.kind == "stream":
        _write_stream(target, payload)
    else:
        assert target.path is not None
        with atomic_open(target.path, target.shown) as handle:
            handle.write(payload)


def write_path(output: str | Path, payload: bytes, inputs: Iterable[Path] = ()) -> Target:
    """Resolve ``output`` and write ``payload`` there; return the target."""
    target = resolve(output, inputs)
    write(target, payload)
    return target


def identities(paths: Iterable[Path]) -> dict[tuple[int, int], Path]:
    """Device and inode of each existing path (links followed), to the path."""
    found: dict[tuple[int, int], Path] = {}
    for path in paths:
        try:
            status = os.stat(path)
        except (OSError, ValueError):
            continue
        found.setdefault((status.st_dev, status.st_ino), path)
    return found


@contextlib.contextmanager
def atomic_open(path: Path, shown: str | None = None) -> Iterator[BinaryIO]:
    """Open a temp file beside ``path``; on success fsync it and ``os.replace`` it over ``path``.

    The temp file is removed on any failure or interruption, so an existing file is never left
    half-replaced. ``path`` is the real file (links already followed); ``shown`` names it in messages.
    """
    shown = shown if shown is not None else str(path)
    folder = path.parent
    temp = folder / temp_name(path.name, folder)
    note_temp(temp)
    try:
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0), 0o666)
    except OSError as exc:
        forget_temp(temp)
        raise OutputError(f"{shown}: cannot create the output: {_reason(exc)}") from exc
    try:
        with os.fdopen(fd, "wb") as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, path)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        forget_temp(temp)
        if isinstance(exc, OSError):
            message = f"{shown}: error while writing: {_reason(exc)}; the old file, if any, is unchanged"
            raise WriteError(message) from exc
        raise
    forget_temp(temp)
    _sync_folder(folder)


def temp_name(name: str, folder: Path) -> str:
    """``.NAME.XXXXXXXX.tmp``, NAME cut so the whole fits the folder's file-name limit (in bytes)."""
    token = secrets.token_hex(_TOKEN_BYTES)
    room = _name_max(folder) - len(f"..{token}{TEMP_SUFFIX}")
    stem = os.fsdecode(os.fsencode(name)[: max(room, 0)])
    return f".{stem}.{token}{TEMP_SUFFIX}"


# ---------------------------------------------------------------------------- the ledger of temp files

_ledger: int | None = None
_ledger_lock = threading.Lock()


def use_ledger(fd: int | None) -> None:
    """Note temp files in this open file (the watching process reads it after the run)."""
    global _ledger
    _ledger = fd


def note_temp(path: Path) -> None:
    """Record that ``path`` is about to be created as a temp file."""
    _record(b"+", path)


def forget_temp(path: Path) -> None:
    """Record that the temp file ``path`` is gone (renamed into place or removed)."""
    _record(b"-", path)


def _record(mark: bytes, path: Path) -> None:
    if _ledger is None:
        return
    with _ledger_lock, contextlib.suppress(OSError):
        os.write(_ledger, mark + os.fsencode(os.path.abspath(path)) + b"\0")


def note_exit(code: int) -> None:
    """Record that the run is ending on its own with ``code`` (an exit without it came from native code)."""
    if _ledger is None:
        return
    with _ledger_lock, contextlib.suppress(OSError):
        os.write(_ledger, b"=" + str(code).encode() + b"\0")


def exit_noted(ledger: bytes) -> bool:
    """Whether the run recorded its own exit (``note_exit``) before it ended."""
    return any(record[:1] == b"=" for record in ledger.split(b"\0"))


def left_behind(ledger: bytes) -> list[Path]:
    """The temp files a ledger says were created and never removed."""
    open_: dict[bytes, int] = {}
    for record in ledger.split(b"\0"):
        if record[:1] in (b"+", b"-"):
            open_[record[1:]] = open_.get(record[1:], 0) + (1 if record[:1] == b"+" else -1)
    found = [Path(os.fsdecode(name)) for name, count in open_.items() if count > 0]
    return [p for p in found if p.name.startswith(".") and p.name.endswith(TEMP_SUFFIX)]


# ---------------------------------------------------------------------------- helpers


def _check_open(shown: str, fd: int) -> None:
    if fd == 1:
        return  # stdout: its own failures are reported when it is written (csmkpi.cli.streams)
    try:
        os.fstat(fd)
    except OSError as exc:
        raise OutputError(f"{shown}: cannot write there: descriptor {fd} is not open") from exc


def _check_not_input(shown: str, status: os.stat_result, inputs: Iterable[Path]) -> None:
    found = identities(inputs).get((status.st_dev, status.st_ino))
    if found is not None:
        same = "" if str(found) == shown else f" ({found})"
        raise OutputError(f"{shown}: refusing to overwrite an input file{same}; choose another --output")


def _check_folder(shown: str, real: Path) -> None:
    folder = real.parent
    try:
        status = os.stat(folder)
    except FileNotFoundError as exc:
        raise OutputError(f"{shown}: cannot create the output: folder {folder} does not exist") from exc
    except OSError as exc:
        raise OutputError(f"{shown}: cannot create the output: folder {folder}: {_reason(exc)}") from exc
    if not stat.S_ISDIR(status.st_mode):
        raise OutputError(f"{shown}: cannot create the output: {folder} is not a folder")
    if not os.access(folder, os.W_OK | os.X_OK):  # a read-only file system too (EROFS), even for root
        raise OutputError(f"{shown}: cannot create the output: folder {folder} is not writable")
    size, limit = len(os.fsencode(real.name)), _name_max(folder)
    if size > limit:
        raise OutputError(
            f"{shown}: cannot create the output: the file name is {size} bytes long; this file system allows {limit}"
        )


def _name_max(folder: Path) -> int:
    try:
        return int(os.pathconf(folder, "PC_NAME_MAX"))
    except (OSError, ValueError, AttributeError):
        return _NAME_MAX


def _kind(mode: int) -> str:
    if stat.S_ISSOCK(mode):
        return "socket"
    if stat.S_ISBLK(mode):
        return "block device"
    return "special file"


def _reason(exc: OSError) -> str:
    if exc.errno == errno.ENOTDIR:
        return "a part of the path is a file, not a folder"
    if exc.errno == errno.ELOOP:
        return "a symbolic link loop"
    return exc.strerror or str(exc)


def _sync_folder(folder: Path) -> None:
    """Make the rename durable (best effort: some file systems cannot open or sync a folder)."""
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _write_descriptor(target: Target, payload: bytes) -> None:
    if target.is_stdout:
        sys.stdout.flush()  # whatever was printed before comes first
        sys.stdout.buffer.write(payload)
        sys.stdout.flush()
        return
    assert target.fd is not None
    if target.fd == 2:
        sys.stderr.flush()
    _write_all(target.fd, payload, target.shown)


def _write_stream(target: Target, payload: bytes) -> None:
    assert target.path is not None
    try:
        # No O_CREAT, no O_TRUNC: the device or FIFO stays what it is. A FIFO's open waits for a reader.
        fd = os.open(target.path, os.O_WRONLY | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        raise OutputError(f"{target.shown}: cannot open it for writing: {_reason(exc)}") from exc
    try:
        _write_all(fd, payload, target.shown)
    finally:
        os.close(fd)


def _write_all(fd: int, payload: bytes, shown: str) -> None:
    view = memoryview(payload)
    while view:
        try:
            written = os.write(fd, view)
        except BrokenPipeError:
            raise
        except BlockingIOError:  # a descriptor left non-blocking by another program: wait until writable
            import select

            select.select([], [fd], [])
            continue
        except OSError as exc:
            raise WriteError(f"{shown}: error while writing: {_reason(exc)}") from exc
        view = view[written:]
