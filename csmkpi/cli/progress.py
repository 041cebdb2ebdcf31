"""The spinner on stderr (SPEC §6, "Progress"): only on a terminal, only after half a second, never with --quiet.

It is transient: Rich erases it when the run ends, before the result or an error is printed, so
nothing of it stays on the screen, and nothing ever reaches a pipe or a file.
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

DELAY = 0.5  # seconds a run may take before the spinner shows
DELAY_ENV = "CSMKPI_PROGRESS_DELAY"  # another delay in seconds (tests use 0)


class Spinner:
    """A progress observer that starts a Rich status line after ``delay`` seconds and follows the run."""

    def __init__(self, delay: float) -> None:
        self._delay = delay
        self._text = "reading the config"
        self._live: Any = None
        self._spinner: Any = None
        self._closed = False
        self._lock = threading.Lock()
        self._timer = threading.Timer(delay, self._start)
        self._timer.daemon = True

    def __call__(self, text: str) -> None:
        """Show ``text`` as what the run does now."""
        with self._lock:
            self._text = text
            if self._live is not None:
                self._spinner.update(text=text)
                self._live.refresh()  # each step shows, however short

    def begin(self) -> None:
        """Start the clock (with no delay, show the spinner at once)."""
        if self._delay <= 0:
            self._start()
        else:
            self._timer.start()

    def _start(self) -> None:
        from rich.console import Console
        from rich.live import Live
        from rich.spinner import Spinner as Dots

        with self._lock:
            if self._closed:
                return
            self._spinner = Dots("dots", text=self._text)
            console = Console(stderr=True, highlight=False)
            self._live = Live(self._spinner, console=console, transient=True, refresh_per_second=12.5)
            self._live.start(refresh=True)

    def close(self) -> None:
        """Stop the clock, and erase the spinner if it shows."""
        self._timer.cancel()
        with self._lock:
            self._closed = True
            if self._live is not None:
                self._live.stop()
                self._live = None


def _delay() -> float:
    try:
        return max(0.0, float(os.environ.get(DELAY_ENV, DELAY)))
    except ValueError:
        return DELAY


@contextmanager
def spinner(quiet: bool) -> Iterator[None]:
    """Show the run's progress on stderr when it is a terminal and the run is not quiet."""
    from csmkpi.progress import observed

    if quiet or not sys.stderr.isatty() or os.environ.get("TERM") == "dumb":
        yield
        return
    watcher = Spinner(_delay())
    with observed(watcher):
        watcher.begin()
        try:
            yield
        finally:
            watcher.close()
