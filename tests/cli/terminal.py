"""Run ``csmkpi`` in a real pseudo-terminal of a given size, as a user's terminal would."""

from __future__ import annotations

import fcntl
import os
import pty
import re
import select
import struct
import subprocess
import sys
import termios
from dataclasses import dataclass
from pathlib import Path

CONTROL = re.compile(r"\x1b\[([0-9;?]*)([A-Za-z])|\x1b\][^\x07]*\x07|\r|\n|[^\x1b\r\n]+")


@dataclass(frozen=True)
class PtyRun:
    code: int
    terminal: str  # what the pseudo-terminal received, escape codes removed
    raw: bytes  # what it received, as is
    stdout: bytes  # stdout when it was a pipe
    stderr: bytes  # stderr when it was a pipe


def run_in_pty(
    *args: str | Path,
    columns: int = 120,
    lines: int = 50,
    env: dict[str, str] | None = None,
    stdout_tty: bool = True,
    stderr_tty: bool = True,
    cwd: Path | None = None,
    timeout: float = 120,
) -> PtyRun:
    """Run ``python -m csmkpi ARGS`` with stdout and/or stderr on a pseudo-terminal ``columns`` wide."""
    main, child = pty.openpty()
    fcntl.ioctl(child, termios.TIOCSWINSZ, struct.pack("HHHH", lines, columns, 0, 0))
    environ = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES", "NO_COLOR", "FORCE_COLOR", "CI")}
    environ |= {"TERM": "xterm-256color"} | (env or {})
    process = subprocess.Popen(
        [sys.executable, "-m", "csmkpi", *map(str, args)],
        stdin=child,
        stdout=child if stdout_tty else subprocess.PIPE,
        stderr=child if stderr_tty else subprocess.PIPE,
        env=environ,
        cwd=cwd,
        close_fds=True,
    )
    os.close(child)
    received = bytearray()
    while True:
        ready, _, _ = select.select([main], [], [], timeout)
        if not ready:
            process.kill()
            raise TimeoutError(f"csmkpi {args} did not finish in {timeout} s")
        try:
            chunk = os.read(main, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        received += chunk
    out, err = process.communicate(timeout=timeout)
    os.close(main)
    return PtyRun(process.returncode, screen(received.decode("utf-8", "replace")), bytes(received), out or b"", err or b"")


def screen(stream: str) -> str:
    """What a terminal shows at the end of ``stream``: lines overwritten (\\r), erased and moved over as
    the escape codes Rich uses say (cursor up, erase line); colours and other codes ignored."""
    lines: list[list[str]] = [[]]
    row = col = 0
    for match in CONTROL.finditer(stream):
        token = match.group(0)
        if token == "\n":
            row, col = row + 1, 0
            while len(lines) <= row:
                lines.append([])
        elif token == "\r":
            col = 0
        elif match.group(2) == "A":  # cursor up
            row = max(0, row - int(match.group(1) or 1))
        elif match.group(2) == "K":  # erase in line (Rich: 2K, the whole line)
            lines[row] = [] if match.group(1) == "2" else lines[row][:col]
        elif token.startswith("\x1b"):
            continue
        else:
            line = lines[row]
            line.extend(" " * (col - len(line)))
            line[col : col + len(token)] = list(token)
            col += len(token)
    return "\n".join("".join(line).rstrip() for line in lines)
