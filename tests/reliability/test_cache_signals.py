"""A run interrupted while it writes the cache of validated tables leaves no temp file (SPEC §9, §6).

The run is held inside the cache's Parquet write (a shim pauses ``polars.DataFrame.write_parquet``
and says so with a marker file), then signalled: with its signal handlers free, the run removes the
temp file itself; with the signals blocked (what a long native call amounts to), the watching parent
kills it and removes the temp file from the ledger. Either way the cache holds no entry and no temp
file, and the next runs store and read the tables as usual.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from faults import Company, assert_clean, csmkpi, leftovers, wait_for

SHIM = r"""
import os, signal, sys, time
marker, mode = sys.argv[1:3]
sys.argv = ["csmkpi", *sys.argv[3:]]
import polars as pl
real = pl.DataFrame.write_parquet

def write_parquet(self, file, *args, **kwargs):
    real(self, file, *args, **kwargs)  # the temp file is written, not yet renamed into place
    if mode == "block":
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM, signal.SIGHUP})
    open(marker, "w").close()
    time.sleep(60)

pl.DataFrame.write_parquet = write_parquet
from csmkpi.cli import main
main()
"""


@pytest.mark.parametrize(("mode", "signum", "code"), [("free", signal.SIGTERM, 143), ("block", signal.SIGINT, 130)])
def test_an_interrupted_cache_write_leaves_no_temp_file(
    company: Company, tmp_path: Path, mode: str, signum: int, code: int
) -> None:
    cache = Path(os.environ["CSMKPI_CACHE_DIR"])
    args = company.score("--format", "csv")
    assert csmkpi(args).returncode == 0  # the first sighting: nothing is stored
    marker = tmp_path / "paused"
    proc = subprocess.Popen(
        [sys.executable, "-c", SHIM, str(marker), mode, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    wait_for(marker.exists, what="the run to pause in the cache's write")
    assert leftovers(cache)  # written, not yet in place (both loading threads may be paused in a write)
    proc.send_signal(signum)
    _, stderr = proc.communicate(timeout=30)
    assert proc.returncode == code, stderr
    assert_clean(stderr)
    assert leftovers(cache) == []
    assert not list((cache / "tables").glob("*.parquet"))
    for _ in range(2):  # the run that stores, then one that reads: the same scorecard
        done = csmkpi(args)
        assert (done.returncode, done.stdout) == (0, company.reference)
    assert list((cache / "tables").glob("*.parquet"))
    assert leftovers(cache) == []
