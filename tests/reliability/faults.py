"""Helpers of the fault tests on real processes (SPEC §2, §5, §6; docs/reliability.md).

Every test here runs the installed ``csmkpi`` console script with ``subprocess``, on a tiny company
(three CSMs, eight accounts, NRR and CSAT) so that a run takes about as long as Python and Polars take
to start. Faults are made the way an operator meets them: signals sent at chosen points (synchronised
on observable events: a FIFO opened, a file appearing), ``RLIMIT_FSIZE`` / ``RLIMIT_AS`` set in
``preexec_fn``, a tmpfs that is full, ``os.mkfifo``, ``pty`` terminals, closed descriptors.
"""

from __future__ import annotations

import errno
import os
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

CSMKPI = Path(sys.executable).with_name("csmkpi")
PERIOD = ("--period", "2026-Q3", "--as-of", "2026-10-15")
KPIS = """\
version: 1
data: {dir: data}
scoring: {min_sample: 1}
kpis:
  - {id: nrr, metric: nrr, label: Net revenue retention, target: 1.0, weight: 2}
  - {id: csat, metric: csat, label: CSAT, target: 0.9, weight: 1}
"""
CSMS = "csm_id,csm_name,team,manager,annual_cost\nalice,Alice,East,Maria,100000\nbob,Bob,East,Maria,90000\ncarol,Carol,West,Ken,95000\n"
OWNERS = ("alice", "bob", "carol")
MONTHS = [f"{year}-{month:02d}" for year in (2025, 2026) for month in range(1, 13)]


def tables() -> dict[str, str]:
    """The tiny company's CSV files."""
    accounts = ["account_id,account_name,csm_id,segment,region"]
    mrr = ["account_id,month,mrr"]
    surveys = ["response_id,account_id,survey,responded_at,score"]
    for i in range(8):
        account = f"A{i:02d}"
        accounts.append(f"{account},Account {i},{OWNERS[i % 3]},{'SMB' if i % 2 else 'Mid'},EU")
        for m, month in enumerate(MONTHS):
            if i == 7 and month >= "2026-08":
                continue  # churned
            mrr.append(f"{account},{month},{1000 + 100 * i + 10 * m}")
        for n, month in enumerate(MONTHS[12:21]):
            surveys.append(f"R{i}{n},{account},csat,{month}-1{i}T10:00:00,{(i + n) % 5 + 1}")
    return {
        "accounts": "\n".join(accounts) + "\n",
        "csms": CSMS,
        "mrr": "\n".join(mrr) + "\n",
        "surveys": "\n".join(surveys) + "\n",
    }


@dataclass(frozen=True)
class Company:
    """A folder with ``kpis.yaml`` and ``data/``; ``reference`` is ``score``'s CSV for 2026-Q3."""

    root: Path
    reference: bytes

    @property
    def config(self) -> Path:
        """The config file."""
        return self.root / "kpis.yaml"

    @property
    def data(self) -> Path:
        """The data folder."""
        return self.root / "data"

    def score(self, *extra: str | Path) -> list[str]:
        """The arguments of ``csmkpi score`` on this company for 2026-Q3, quietly, plus ``extra``."""
        return ["score", "--config", str(self.config), *PERIOD, "--quiet", *map(str, extra)]

    def trend(self, *extra: str | Path) -> list[str]:
        """The arguments of a monthly ``csmkpi trend`` over 2025-10..2026-09, plus ``extra``."""
        return ["trend", "--config", str(self.config), "--from", "2025-10-01", "--to", "2026-09-30"] + [
            "--as-of",
            "2026-10-15",
            "--quiet",
            *map(str, extra),
        ]


def csmkpi(
    args: Sequence[str | Path], *, timeout: float = 60, check_clean: bool = True, **kwargs: Any
) -> subprocess.CompletedProcess[bytes]:
    """Run the console script; by default capture both streams and check stderr is clean."""
    if "stdout" not in kwargs and "stderr" not in kwargs:
        kwargs["capture_output"] = True
    proc = subprocess.run([str(CSMKPI), *map(str, args)], timeout=timeout, check=False, **kwargs)
    if check_clean and proc.stderr is not None:
        assert_clean(proc.stderr)
    return proc


def start(args: Sequence[str | Path], **kwargs: Any) -> subprocess.Popen[bytes]:
    """Start the console script (stdout and stderr captured unless given)."""
    kwargs.setdefault("stdout", subprocess.PIPE)
    kwargs.setdefault("stderr", subprocess.PIPE)
    return subprocess.Popen([str(CSMKPI), *map(str, args)], **kwargs)


def run_all(
    runs: Sequence[Sequence[str | Path]], *, parallel: int = 4, timeout: float = 60, **kwargs: Any
) -> list[tuple[int, bytes, bytes]]:
    """Run several command lines a few at a time; return (code, stdout, stderr) of each, in order."""
    results: list[tuple[int, bytes, bytes]] = []
    for first in range(0, len(runs), parallel):
        batch = [start(args, **kwargs) for args in runs[first : first + parallel]]
        for proc in batch:
            out, err = proc.communicate(timeout=timeout)
            results.append((proc.returncode, out, err))
    return results


def assert_clean(stderr: bytes) -> None:
    """No traceback, no "Exception ignored" noise, under 64 KiB (SPEC §6)."""
    text = stderr.decode("utf-8", "replace")
    assert "Traceback" not in text, text[-3000:]
    assert "Exception ignored" not in text, text[-3000:]
    assert "internal error" not in text, text[-3000:]
    assert len(stderr) < 64 * 1024


def leftovers(*folders: Path) -> list[Path]:
    """Temp files (``.NAME.XXXXXXXX.tmp``) anywhere under the folders."""
    return [p for folder in folders for p in folder.rglob(".*.tmp")]


def wait_for(condition: Callable[[], bool], timeout: float = 30, what: str = "condition") -> None:
    """Poll until ``condition()`` (every 5 ms), or fail."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.005)


def is_root() -> bool:
    return hasattr(os, "geteuid") and os.geteuid() == 0


def open_for_writing(fifo: Path, proc: subprocess.Popen[bytes], timeout: float = 30) -> BinaryIO:
    """Open a FIFO for writing once the run has opened it for reading (never waits on a run that ended)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            fd = os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)  # ENXIO while nobody reads it
        except OSError as exc:
            if exc.errno != errno.ENXIO:
                raise
            if proc.poll() is not None:
                raise AssertionError(f"the run ended ({proc.returncode}) before opening {fifo}") from None
            if time.monotonic() > deadline:
                raise AssertionError(f"the run never opened {fifo}") from None
            time.sleep(0.005)
            continue
        os.set_blocking(fd, True)
        return os.fdopen(fd, "wb")
