"""A cached run is indistinguishable from a cold one (SPEC §9), whatever happens to the files between runs.

Each example starts from a small valid data folder and an empty cache folder, then applies random
edits between runs: append a row (valid, invalid, or naming an unknown account), change a value
keeping the file's size and modification time (``os.utime``), touch the file (its time moved, or
set to what it was), replace it by rename, truncate it (possibly mid-line). After each edit,
``csmkpi score`` runs one to three times with the cache (a first sighting, the run that stores, the
runs that read) and once with ``--no-cache``: stdout bytes, stderr and exit code must be equal.

Hypothesis and function-scoped fixtures do not mix, so each example makes its own folders.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from csmkpi.cli.app import app

_SCALE = int(os.environ.get("CSMKPI_PROPERTY_SCALE", "1"))

KPIS = """\
version: 1
data: {dir: data}
scoring: {amber_at: 0.9, cap: 1.5, min_sample: 1}
kpis:
  - {id: nrr, metric: nrr, target: 1.02, weight: 2}
  - {id: churn, metric: churn, params: {basis: logos}, target: 0.03, better: lower, weight: 1}
  - {id: csat, metric: csat, target: 0.9, weight: 1}
  - {id: fcr, metric: fcr, target: 0.4, weight: 1}
"""
FILES = {
    "accounts": "account_id,csm_id,segment\nA1,alice,SMB\nA2,bob,SMB\nA3,alice,Enterprise\nA4,,SMB\n",
    "csms": "csm_id,csm_name,team\nalice,Alice,T1\nbob,Bob,T1\n",
    "mrr": (
        "account_id,month,mrr\nA1,2026-06,100\nA1,2026-09,120\nA2,2026-06,50\nA2,2026-09,0\n"
        "A3,2026-06,300\nA3,2026-09,310.5\nA4,2026-06,10\nA4,2026-09,10\n"
    ),
    "tickets": (
        "ticket_id,account_id,opened_at,resolved_at,contacts,reopened\n"
        "T1,A1,2026-07-01T09:00:00,2026-07-01T10:00:00,1,false\n"
        "T2,A2,2026-07-02T09:00:00,2026-07-05T10:00:00,3,true\n"
        "T3,A3,2026-08-01T09:00:00,2026-08-01T09:30:00,0,\n"
    ),
    "surveys": (
        "response_id,account_id,survey,responded_at,score\n"
        "R1,A1,csat,2026-07-03T10:00:00,5\nR2,A2,CSAT,2026-08-03T10:00:00,2\nR3,A3,csat,2026-09-03T10:00:00,4\n"
    ),
}
ROWS = {  # per table: a valid row, an invalid one, one naming an account accounts.csv lacks
    "accounts": ("A5,bob,SMB", "A5,bob,SMB,extra", "A1,bob,SMB"),
    "csms": ("carol,Carol,T2", "carol", "alice,Alice again,T1"),
    "mrr": ("A5,2026-09,40", "A5,2026-09,forty", "A9,2026-06,70"),
    "tickets": (
        "T4,A4,2026-09-01T09:00:00,2026-09-02T09:00:00,1,no",
        "T4,A4,2026-09-01T09:00:00,2026-08-02T09:00:00,1,no",
        "T4,A9,2026-09-01T09:00:00,,,",
    ),
    "surveys": ("R4,A4,nps,2026-09-09T09:09:09,9", "R4,A4,csat,2026-09-09T09:09:09,11", "R4,A9,csat,2026-09-09,3"),
}

tables = st.sampled_from(sorted(FILES))
edits = st.one_of(
    st.tuples(st.just("append"), tables, st.integers(0, 2)),
    st.tuples(st.just("same size and time"), tables, st.integers(0, 10_000)),
    st.tuples(st.just("touch"), tables, st.sampled_from([0, -3600, 1, 86_400])),
    st.tuples(st.just("rename"), tables, st.integers(-1, 2)),
    st.tuples(st.just("truncate"), tables, st.floats(0.3, 0.99)),
)


def apply(edit: tuple[str, str, float], data: Path) -> None:
    """Change a file of the folder as the edit says."""
    kind, table, arg = edit
    path = data / f"{table}.csv"
    text = path.read_text(encoding="utf-8")
    status = path.stat()
    if kind == "append":
        path.write_text(text + ROWS[table][int(arg)] + "\n", encoding="utf-8")
    elif kind == "same size and time":
        digits = [i for i, c in enumerate(text) if c.isdigit()]
        if not digits:  # a file truncated to its header: nothing to change in place
            return
        at = digits[int(arg) % len(digits)]
        path.write_text(text[:at] + str((int(text[at]) + 1) % 10) + text[at + 1 :], encoding="utf-8")
        os.utime(path, ns=(status.st_atime_ns, status.st_mtime_ns))
    elif kind == "touch":
        moved = status.st_mtime_ns + int(arg) * 10**9
        os.utime(path, ns=(moved, moved))
    elif kind == "rename":
        fresh = data / f".{table}.new"
        fresh.write_text(text if arg < 0 else text + ROWS[table][int(arg)] + "\n", encoding="utf-8")
        os.replace(fresh, path)
    else:
        path.write_bytes(path.read_bytes()[: max(1, int(status.st_size * arg))])


def run(folder: Path, cache: Path | None) -> tuple[int, bytes, str]:
    """``csmkpi score`` in-process, with the cache in ``cache`` or with ``--no-cache``."""
    args = [
        "score", "--config", str(folder / "kpis.yaml"), "--period", "2026-Q3", "--as-of", "2026-10-15",
        "--layout", "long", "--format", "csv",
    ]  # fmt: skip
    if cache is None:
        args.append("--no-cache")
    result = CliRunner().invoke(app, args, env={"CSMKPI_CACHE_DIR": str(cache or folder / "unused")})
    return result.exit_code, result.stdout_bytes, result.stderr


@given(steps=st.lists(st.tuples(st.none() | edits, st.integers(1, 3)), min_size=1, max_size=5))
@settings(max_examples=25 * _SCALE, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_a_cached_run_equals_a_cold_run_under_random_edits(steps: list[tuple[tuple | None, int]]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        data = folder / "data"
        data.mkdir()
        (folder / "kpis.yaml").write_text(KPIS, encoding="utf-8")
        for table, text in FILES.items():
            (data / f"{table}.csv").write_text(text, encoding="utf-8")
        cache = folder / "cache"
        for edit, runs in [(None, 3), *steps]:  # three runs first: the tables are then read from the cache
            if edit is not None:
                apply(edit, data)
            cold = run(folder, None)
            for _ in range(runs):
                assert run(folder, cache) == cold, edit
        assert not (folder / "unused").exists()
