"""What a run is doing, for whoever watches: the CLI draws a spinner on a terminal, the library stays silent.

The core never prints (SPEC §6, "Progress"): it calls :func:`report` with a short text
(``reading tickets.csv 410 MB``, ``computing 22 KPIs for 2026-Q3``), which goes to the observer the
caller set with :func:`observed`, if any. An observer is a plain callable; it may be called from
the loader's second thread, so it must be thread-safe.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

Observer = Callable[[str], None]

_current: ContextVar[Observer | None] = ContextVar("csmkpi_progress", default=None)


def current() -> Observer | None:
    """The observer of this run (to hand to another thread), or None."""
    return _current.get()


def report(text: str, observer: Observer | None = None) -> None:
    """Tell the observer (given, else the current one) what the run is doing now."""
    target = observer if observer is not None else _current.get()
    if target is not None:
        target(text)


@contextmanager
def observed(observer: Observer | None) -> Iterator[None]:
    """Send the progress of the runs inside the block to ``observer`` (None: to nobody)."""
    token = _current.set(observer)
    try:
        yield
    finally:
        _current.reset(token)


def file_size(count: int) -> str:
    """A size as people read it in a progress line: ``410 MB``, ``8.2 KB``, ``512 B``."""
    amount = float(count)
    for suffix in ("B", "KB", "MB", "GB"):
        if amount < 1000 or suffix == "GB":
            break
        amount /= 1000
    return f"{amount:,.0f} {suffix}" if suffix == "B" or amount >= 10 else f"{amount:.1f} {suffix}"
