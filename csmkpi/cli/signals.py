"""SIGINT, SIGTERM and SIGHUP end a run with 130, 143 and 129 (SPEC §6, "Interruption").

The handler raises ``Interrupted`` (a ``BaseException``, like ``KeyboardInterrupt``, so no ``except
Exception`` swallows it) in the main thread; unwinding removes temp files and closes what is open, and
the runner prints one line and exits with the signal's code. The first signal decides: later ones
(a terminal sends Ctrl-C to every process of the job, an impatient user presses it twice) are only
counted, so cleanup is never cut short by a second exception. Once the work is over (``finishing``) a
signal no longer raises; it still sets the exit code, so a run that got a signal never exits 0.
"""

from __future__ import annotations

import signal
import sys

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing: this module loads first, fast
if TYPE_CHECKING:
    from types import FrameType
    from typing import Any

WATCHED = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
CODES: dict[int, int] = {signal.SIGINT: 130, signal.SIGTERM: 143, signal.SIGHUP: 129}
WORDS: dict[int, str] = {signal.SIGINT: "interrupted", signal.SIGTERM: "terminated", signal.SIGHUP: "hung up"}


class Interrupted(BaseException):
    """A run ended by SIGINT, SIGTERM or SIGHUP."""

    def __init__(self, signum: int) -> None:
        super().__init__(WORDS.get(signum, f"signal {signum}"))
        self.signum = signum

    @property
    def code(self) -> int:
        """The exit code (130, 143 or 129)."""
        return CODES.get(self.signum, 128 + self.signum)

    @property
    def line(self) -> str:
        """The one line that says so on stderr."""
        return f"{WORDS.get(self.signum, f'signal {self.signum}')} ({signal.Signals(self.signum).name})"


class _State:
    received: int | None = None
    raising = True
    installed = False


_state = _State()


def _handler(signum: int, frame: FrameType | None) -> None:
    if _state.received is not None:
        return
    _state.received = signum
    if _state.raising:
        raise Interrupted(signum)


def install() -> dict[int, Any] | None:
    """Install the handlers (main thread only); return the previous ones, or None when already installed."""
    if _state.installed:
        return None
    previous: dict[int, Any] = {}
    try:
        for signum in WATCHED:
            previous[signum] = signal.signal(signum, _handler)
    except ValueError:  # not the main thread: leave signals to whoever runs it
        restore(previous)
        return None
    _state.received, _state.raising, _state.installed = None, True, True
    _quiet_unraisable()
    return previous


def restore(previous: dict[int, Any] | None) -> None:
    """Put back the handlers ``install`` replaced (in-process callers, such as tests)."""
    if previous is None:
        return
    for signum, handler in previous.items():
        signal.signal(signum, handler)
    _state.installed = False


def finishing() -> None:
    """From now on a signal only sets the exit code (the work is done; nothing is left to undo)."""
    _state.raising = False


def received() -> Interrupted | None:
    """The signal this run got, if any."""
    return Interrupted(_state.received) if _state.received is not None else None


def _quiet_unraisable() -> None:
    """Keep an ``Interrupted`` or a broken pipe raised where Python cannot pass it on from printing noise.

    A handler may run inside a finaliser (``__del__``, a weakref callback): Python then prints
    "Exception ignored in ..." and carries on. The signal is already recorded and sets the exit code.
    """
    if getattr(sys.unraisablehook, "_csmkpi", False):
        return
    default = sys.unraisablehook

    def hook(unraisable: Any) -> None:
        if isinstance(unraisable.exc_value, Interrupted | BrokenPipeError):
            return
        default(unraisable)

    hook._csmkpi = True  # type: ignore[attr-defined]
    sys.unraisablehook = hook
