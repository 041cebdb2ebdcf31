"""The process that watches a run (SPEC §6: "Interruption" and memory limits; docs/reliability.md).

The ``csmkpi`` console script forks once, before Polars is imported. The child runs the command as if
nothing happened; the parent only waits for it, for what a process cannot do for itself:

- Promptness. Polars computes in native threads and Python runs a signal handler only when the main
  thread is back in the interpreter, so a long Polars call would hold off Ctrl-C or SIGTERM until it
  ends. The parent passes SIGINT, SIGTERM and SIGHUP on to the child, which normally stops at once;
  if it has not ended ``GRACE`` seconds later, the parent kills it. Either way the run exits 130, 143
  or 129.
- Out of memory, a process may not get to say so: Rust aborts on a failed allocation (SIGABRT), a
  thread that cannot get its stack crashes it (SIGSEGV), the kernel's OOM killer (a cgroup limit, or
  the whole machine) sends SIGKILL. The parent turns these into one message and exit 71.
- Stalls. Under an address-space limit (``ulimit -v``), a thread Polars needs may fail to start, and its
  runtime then waits for it forever (seen with Polars 2.1: every thread parked, no CPU used). Under such
  a limit the parent looks every ``POLL`` seconds: a run whose threads all wait on each other (futex,
  epoll) and that has used no CPU for ``STALL`` seconds is ended as out of memory, 71.
- Temp files. A killed child cannot remove its temp files. It notes each one in a ledger (a file only
  these two processes share) before creating it and after it is gone (``csmkpi.output.targets``); the
  parent removes whatever is left.

The child dies with the parent (``PR_SET_PDEATHSIG``), so killing the parent never leaves a run going.
Where ``fork`` is missing, or with ``CSMKPI_NO_SUPERVISOR=1``, the command runs in the one process.
"""

from __future__ import annotations

import contextlib
import os
import resource
import signal
import sys
import time
from dataclasses import dataclass
from types import FrameType

from csmkpi.cli import signals

GRACE = 1.0  # seconds a signalled child has to end by itself before it is killed
STALL = 5.0  # seconds without CPU, every thread waiting on another, that make a run under a memory limit stalled
POLL = 0.5
_WAITING = ("futex", "epoll", "ep_poll")  # what a parked thread waits in (/proc/PID/task/TID/wchan)
DISABLE = "CSMKPI_NO_SUPERVISOR"
OUT_OF_MEMORY = 71
# SIGTRAP: V8 (vl-convert's JavaScript engine, for the report's charts) traps when its heap cannot grow
_CRASHES = (signal.SIGABRT, signal.SIGSEGV, signal.SIGBUS, signal.SIGTRAP, signal.SIGKILL)
_PR_SET_PDEATHSIG = 1


def start() -> None:
    """Fork; return in the child, which runs the command. The parent never returns: it exits as the run did."""
    if not hasattr(os, "fork") or os.environ.get(DISABLE) == "1":
        return
    ledger = _ledger()
    watch = _Watch(ledger=ledger, oom_kills=_oom_kills(), watchdog=memory_rlimit())
    parent = os.getpid()
    blocked = signal.pthread_sigmask(signal.SIG_BLOCK, signals.WATCHED)  # none may land between fork and handlers
    try:
        pid = os.fork()
    except OSError:  # no memory or no process left for a watcher: run without one
        signal.pthread_sigmask(signal.SIG_SETMASK, blocked)
        return
    if pid == 0:
        _child(ledger, parent)
        signal.pthread_sigmask(signal.SIG_SETMASK, blocked)
        return
    watch.pid = pid
    with contextlib.suppress(OSError, AttributeError):  # Linux 5.3+
        watch.pidfd = os.pidfd_open(pid)
    os._exit(watch.wait(set(blocked)))


@dataclass
class _Watch:
    ledger: int | None
    oom_kills: int | None
    watchdog: bool = False  # look for stalls (under a memory limit)
    pid: int = 0
    signum: int | None = None  # the first signal passed on
    killed: bool = False  # the child outlived GRACE and was killed
    stalled: bool = False  # the child stalled and was killed
    reaped: bool = False  # the child's end was collected: no more signals to it
    pidfd: int | None = None

    def forward(self, signum: int, frame: FrameType | None) -> None:
        if self.signum is None:
            self.signum = signum
            if not self.reaped:
                signal.setitimer(signal.ITIMER_REAL, GRACE)
        self.send(signum)

    def overdue(self, signum: int, frame: FrameType | None) -> None:
        self.killed = not self.reaped
        self.send(signal.SIGKILL)

    def send(self, signum: int) -> None:
        """Signal the child, unless it is gone (its pid may be another process's by now).

        Through a pidfd where there is one: it never reaches another process, even in the instant
        between the child's end being collected and ``reaped`` being set.
        """
        if self.pid <= 0 or self.reaped:
            return
        with contextlib.suppress(OSError):  # ProcessLookupError: gone
            if self.pidfd is not None:
                signal.pidfd_send_signal(self.pidfd, signum)
            else:
                os.kill(self.pid, signum)

    def wait(self, blocked: set[int]) -> int:
        for signum in signals.WATCHED:
            signal.signal(signum, self.forward)
        signal.signal(signal.SIGALRM, self.overdue)
        signal.pthread_sigmask(signal.SIG_SETMASK, blocked)
        try:
            status = self.wait_for_child()
        except ChildProcessError:
            status = 0
        self.reaped = True
        signal.setitimer(signal.ITIMER_REAL, 0)
        ledger = b"" if self.ledger is None else _read_all(self.ledger)
        self.clean(ledger)
        code, line = self.outcome(status, ledger)
        if line:
            _say(line)
        return code

    def wait_for_child(self) -> int:
        """Wait for the child to end (a signal handler runs, then the wait goes on: PEP 475)."""
        if not self.watchdog:
            return os.waitpid(self.pid, 0)[1]
        ticks, since = _cpu_ticks(self.pid), time.monotonic()
        while True:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                return status
            time.sleep(POLL)
            now = _cpu_ticks(self.pid)
            if now != ticks or now is None:
                ticks, since = now, time.monotonic()
            elif not self.stalled and time.monotonic() - since >= STALL and _parked(self.pid):
                self.stalled = True
                self.send(signal.SIGKILL)

    def clean(self, ledger: bytes) -> None:
        """Remove the temp files the child left (it was killed before it could)."""
        from csmkpi.output.targets import left_behind  # here, not before the fork: the parent stays small

        for path in left_behind(ledger):
            with contextlib.suppress(OSError):
                os.unlink(path)

    def outcome(self, status: int, ledger: bytes = b"") -> tuple[int, str | None]:
        """The exit code and the line to print, from how the child ended and what its ledger says."""
        if os.WIFEXITED(status):
            code = os.WEXITSTATUS(status)
            if self.signum is not None and code not in signals.CODES.values():  # it ended before it got the signal
                return signals.CODES[self.signum], signals.Interrupted(self.signum).line
            if (
                code
                and self.signum is None
                and self.ledger is not None
                and self.memory_limited()
                and not _noted(ledger)
            ):
                # Native code that called exit() itself: OpenBLAS does when it cannot map its buffers
                from csmkpi.errors import OUT_OF_MEMORY_MESSAGE

                return (
                    OUT_OF_MEMORY,
                    f"error: {OUT_OF_MEMORY_MESSAGE} (a native library ended the run with exit {code})",
                )
            return code, None
        if not os.WIFSIGNALED(status):
            return 1, "internal error: the run ended in an unknown way"
        died = os.WTERMSIG(status)
        if self.stalled and self.signum is None:
            from csmkpi.errors import OUT_OF_MEMORY_MESSAGE

            return OUT_OF_MEMORY, f"error: {OUT_OF_MEMORY_MESSAGE} (the run stalled: a thread could not start)"
        if self.signum is not None and (self.killed or died == self.signum):
            return signals.CODES[self.signum], signals.Interrupted(self.signum).line
        if died in signals.CODES:
            return signals.CODES[died], signals.Interrupted(died).line
        name = _name(died)
        if died in _CRASHES and (died == signal.SIGABRT or self.memory_limited()):
            from csmkpi.errors import OUT_OF_MEMORY_MESSAGE

            return OUT_OF_MEMORY, f"error: {OUT_OF_MEMORY_MESSAGE} (the run ended with {name})"
        if died == signal.SIGKILL:
            return 128 + died, "killed (SIGKILL)"
        return 1, f"internal error: the run crashed ({name}); run with --debug and report it"

    def memory_limited(self) -> bool:
        """Whether a memory limit explains a crash: one set on the process, or the OOM killer acted meanwhile."""
        if memory_rlimit():
            return True
        after = _oom_kills()
        return self.oom_kills is not None and after is not None and after > self.oom_kills


def _noted(ledger: bytes) -> bool:
    from csmkpi.output.targets import exit_noted

    return exit_noted(ledger)


def memory_rlimit() -> bool:
    """Whether the process runs under a limit of its address space or data (``ulimit -v``, ``-d``)."""
    for limit in (resource.RLIMIT_AS, resource.RLIMIT_DATA):
        soft, _ = resource.getrlimit(limit)
        if soft != resource.RLIM_INFINITY:
            return True
    return False


def _name(signum: int) -> str:
    try:
        return signal.Signals(signum).name
    except ValueError:  # a real-time signal without a name of its own
        return f"signal {signum}"


def _child(ledger: int | None, parent: int) -> None:
    from csmkpi.output import targets

    targets.use_ledger(ledger)
    if sys.platform.startswith("linux"):
        with contextlib.suppress(Exception):
            import ctypes

            ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
            if os.getppid() != parent:  # the parent died before the line above
                os.kill(os.getpid(), signal.SIGTERM)


def _ledger() -> int | None:
    """An anonymous file the child appends to and the parent reads at the end."""
    with contextlib.suppress(OSError, AttributeError):
        return os.memfd_create("csmkpi-ledger", os.MFD_CLOEXEC)
    with contextlib.suppress(OSError):
        import tempfile

        return os.dup(tempfile.TemporaryFile().fileno())
    return None


def _read_all(fd: int) -> bytes:
    chunks, offset = [], 0
    with contextlib.suppress(OSError):
        while chunk := os.pread(fd, 1 << 16, offset):
            chunks.append(chunk)
            offset += len(chunk)
    return b"".join(chunks)


def _cpu_ticks(pid: int) -> int | None:
    """CPU time the process has used so far (all its threads), in clock ticks; None when unknown."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            fields = handle.read().rsplit(b")", 1)[1].split()
        return int(fields[11]) + int(fields[12])
    except (OSError, ValueError, IndexError):
        return None


def _parked(pid: int) -> bool:
    """Whether every thread of the process waits on another one (not on a pipe, a file or a timer)."""
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
        waits = []
        for task in tasks:
            with open(f"/proc/{pid}/task/{task}/wchan", "rb") as handle:
                waits.append(handle.read().decode("ascii", "replace"))
    except OSError:
        return False
    return bool(waits) and all(any(kind in wait for kind in _WAITING) for wait in waits)


def _oom_kills() -> int | None:
    """How many processes the kernel's OOM killer has killed since boot (cgroup limits included)."""
    try:
        with open("/proc/vmstat", "rb") as handle:
            for line in handle:
                if line.startswith(b"oom_kill "):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return None


def _say(line: str) -> None:
    with contextlib.suppress(OSError, ValueError, AttributeError):
        sys.stderr.write(line + "\n")
        sys.stderr.flush()
