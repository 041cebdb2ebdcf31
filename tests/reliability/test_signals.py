"""SIGINT, SIGTERM and SIGHUP at any moment end a run with 130, 143 and 129 (SPEC §6, "Interruption").

The signal is sent to the process the shell started (the watching parent of csmkpi/cli/supervisor.py)
at chosen points, each found by an observable event rather than a sleep:

- at start: the config is a FIFO; once the run has opened it, it is waiting for its first bytes;
- during the read: a table is a FIFO; half of it is written, then the signal;
- during the write: a small shim pauses the run in ``os.fsync`` of the temp file, and says so with a
  marker file (the only way to hold a run at that point; the shim changes nothing else);
- between the files of a multi-file ``trend``: the third month's file is a FIFO nobody reads, so the
  run waits there, the first two months written;
- during a long native call: the shim blocks the signals in the run's main thread, as a long Polars
  call does in effect, so only the watching parent can end it: within ``GRACE`` seconds, killing it.

Each time: the documented code, one line on stderr and no "Exception ignored" noise, no temp file,
old outputs intact and finished ones complete.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from faults import Company, assert_clean, leftovers, open_for_writing, start, tables, wait_for

from csmkpi.cli.supervisor import GRACE

SIGNALS = {"SIGINT": (signal.SIGINT, 130), "SIGTERM": (signal.SIGTERM, 143), "SIGHUP": (signal.SIGHUP, 129)}
# Runs csmkpi's entry point, pausing at one point (argv: marker file, point, "block" or "free", csmkpi args).
SHIM = r"""
import os, signal, sys, time
marker, point, mode = sys.argv[1:4]
sys.argv = ["csmkpi", *sys.argv[4:]]

def pause():
    if mode == "block":  # what a long native call amounts to: no Python signal handler runs meanwhile
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM, signal.SIGHUP})
    open(marker, "w").close()
    time.sleep(60)

if point == "fsync":
    real_fsync = os.fsync
    def fsync(fd):
        pause()
        real_fsync(fd)
    os.fsync = fsync
else:
    import csmkpi.dataset
    real_read = csmkpi.dataset.read_validated  # every table, by the fast path or the careful one
    def read_validated(*args, **kwargs):
        pause()
        return real_read(*args, **kwargs)
    csmkpi.dataset.read_validated = read_validated

from csmkpi.cli import main
main()
"""


def finish(proc: subprocess.Popen[bytes], signum: int, code: int) -> bytes:
    """Send the signal, wait for the end; check the code and stderr; return stderr."""
    proc.send_signal(signum)
    _, stderr = proc.communicate(timeout=30)
    assert proc.returncode == code, stderr
    assert_clean(stderr)
    assert stderr.count(b"\n") == 1, stderr  # "terminated (SIGTERM)"
    return stderr


@pytest.mark.parametrize("name", SIGNALS)
def test_at_start_while_reading_the_config(company: Company, tmp_path: Path, name: str) -> None:
    signum, code = SIGNALS[name]
    fifo = tmp_path / "kpis.yaml"
    os.mkfifo(fifo)
    target = tmp_path / "card.csv"
    args = ["score", "--config", fifo, "--data", company.data, "--period", "2026-Q3", "--as-of", "2026-10-15"]
    proc = start([*args, "--output", target])
    writer = open_for_writing(fifo, proc)
    finish(proc, signum, code)
    writer.close()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["company", "kpis.yaml"]


@pytest.mark.parametrize("name", SIGNALS)
def test_during_the_read(company: Company, tmp_path: Path, name: str) -> None:
    signum, code = SIGNALS[name]
    surveys = company.data / "surveys.csv"
    surveys.unlink()
    os.mkfifo(surveys)
    target = tmp_path / "card.csv"
    target.write_bytes(b"old")
    proc = start(company.score("--output", target))
    writer = open_for_writing(surveys, proc)
    text = tables()["surveys"].encode()
    writer.write(text[: len(text) // 2])
    writer.flush()
    finish(proc, signum, code)
    with pytest.raises(BrokenPipeError):
        writer.write(text[len(text) // 2 :])
        writer.close()
    assert target.read_bytes() == b"old"
    assert leftovers(tmp_path) == []


def _shim(marker: Path, point: str, mode: str, args: list[str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-c", SHIM, str(marker), point, mode, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )


@pytest.mark.parametrize("name", SIGNALS)
def test_during_the_write(company: Company, tmp_path: Path, name: str) -> None:
    signum, code = SIGNALS[name]
    target = tmp_path / "card.csv"
    target.write_bytes(b"old")
    marker = tmp_path / "paused"
    proc = _shim(marker, "fsync", "free", company.score("--output", target))
    wait_for(marker.exists, what="the run to pause in fsync")
    assert len(leftovers(tmp_path)) == 1  # the temp file, written, not yet in place
    finish(proc, signum, code)
    assert target.read_bytes() == b"old"
    assert leftovers(tmp_path) == []


@pytest.mark.parametrize("name", ["SIGTERM", "SIGHUP"])
def test_between_the_files_of_a_trend(company: Company, tmp_path: Path, name: str) -> None:
    signum, code = SIGNALS[name]
    reports = tmp_path / "reports"
    reports.mkdir()
    done = start(company.trend("--output", reports / "{period}.csv"))
    _, stderr = done.communicate(timeout=60)
    assert done.returncode == 0, stderr
    complete = {p.name: p.read_bytes() for p in reports.iterdir()}
    for path in reports.iterdir():
        path.write_bytes(b"old")
    (reports / "2025-12.csv").unlink()
    os.mkfifo(reports / "2025-12.csv")  # nobody reads it: the run waits there, two months written
    proc = start(company.trend("--output", reports / "{period}.csv"))
    wait_for(lambda: (reports / "2025-11.csv").read_bytes() != b"old", what="the second month's file")
    time.sleep(0.05)  # on its way to the third
    finish(proc, signum, code)
    after = {p.name: p.read_bytes() for p in reports.iterdir() if p.name != "2025-12.csv"}
    assert after.pop("2025-10.csv") == complete["2025-10.csv"]
    assert after.pop("2025-11.csv") == complete["2025-11.csv"]
    assert set(after.values()) == {b"old"}
    assert leftovers(tmp_path) == []


@pytest.mark.parametrize(("name", "point"), [("SIGTERM", "read"), ("SIGINT", "fsync")])
def test_a_run_stuck_in_native_code_still_ends_promptly(
    company: Company, tmp_path: Path, name: str, point: str
) -> None:
    signum, code = SIGNALS[name]
    target = tmp_path / "card.csv"
    target.write_bytes(b"old")
    marker = tmp_path / "paused"
    proc = _shim(marker, point, "block", company.score("--output", target))
    wait_for(marker.exists, what="the run to pause")
    sent = time.monotonic()
    finish(proc, signum, code)
    assert time.monotonic() - sent < GRACE + 5
    assert target.read_bytes() == b"old"
    assert leftovers(tmp_path) == []  # the child was killed with its temp file open: the parent removed it


def _ended(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return True
    return state in ("Z", "X")  # a zombie: ended, waiting for init to collect it


def test_killing_the_watching_process_ends_the_run(company: Company, tmp_path: Path) -> None:
    """``kill -9`` of the process the shell started: the run gets SIGTERM (PR_SET_PDEATHSIG) and stops."""
    surveys = company.data / "surveys.csv"
    surveys.unlink()
    os.mkfifo(surveys)
    target = tmp_path / "card.csv"
    proc = start(company.score("--output", target))
    writer = open_for_writing(surveys, proc)
    child = int(Path(f"/proc/{proc.pid}/task/{proc.pid}/children").read_text().split()[0])
    proc.kill()
    proc.communicate(timeout=30)
    wait_for(lambda: _ended(child), timeout=10, what="the run to end with its watcher")
    writer.close()
    assert not target.exists()
    assert leftovers(tmp_path) == []
