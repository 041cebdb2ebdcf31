"""Loading a data folder: the small tables load beside the large ones, and nothing changes for it.

``dataset.load`` reads the largest files one after another and the smallest (together at most a
quarter of the largest file) in a second thread, which then makes the plain reader's byte passes of
the large files ahead of their turn and runs the cross-table checks as their tables arrive. Whatever
thread a table loads in, every problem of every table is reported, in table order, every table is
loaded, cross-table warnings keep their order, and a table that fails or an interruption leaves no
thread waiting.
"""

from __future__ import annotations

import shutil
import threading
from pathlib import Path
from typing import Any

import pytest

from csmkpi import dataset
from csmkpi.errors import DataError
from csmkpi.loading import TableSource

SAMPLE = Path(__file__).parents[2] / "sample_data"


def sources(tmp_path: Path, sizes: dict[str, int]) -> list[tuple[str, TableSource]]:
    """Files of the given sizes, largest first, as ``load`` orders them."""
    made = []
    for table, size in sizes.items():
        path = tmp_path / f"{table}.csv"
        path.write_bytes(b"x" * size)
        made.append((table, TableSource(table=table, path=path)))
    return sorted(made, key=lambda item: -item[1].path.stat().st_size)


def names(pairs: list[tuple[str, TableSource]]) -> list[str]:
    return [table for table, _ in pairs]


def test_the_smallest_tables_within_a_quarter_of_the_largest_go_beside(tmp_path: Path) -> None:
    sizes = {"tickets": 400, "activities": 300, "mrr": 100, "opportunities": 50, "accounts": 20, "csms": 1}
    large, small = dataset._split_small(sources(tmp_path, sizes))
    # From the smallest up: 1 + 20 + 50 = 71 <= 100, and 100 more would pass the quarter of 400.
    assert names(large) == ["tickets", "activities", "mrr"]
    assert names(small) == ["opportunities", "accounts", "csms"]


def test_one_table_or_equal_tables_load_in_the_main_thread(tmp_path: Path) -> None:
    assert dataset._split_small(sources(tmp_path, {"tickets": 10})) == (sources(tmp_path, {"tickets": 10}), [])
    large, small = dataset._split_small(sources(tmp_path, {"tickets": 10, "mrr": 10, "csms": 10}))
    assert names(large) == ["tickets", "mrr", "csms"] and small == []
    assert dataset._split_small([]) == ([], [])


NEEDED = {
    "accounts": {"account_id", "csm_id"},
    "csms": {"csm_id"},
    "mrr": {"account_id", "month", "mrr"},
    "tickets": {"ticket_id", "account_id", "opened_at"},
}


def test_problems_of_tables_loaded_in_either_thread_are_all_reported_in_table_order(tmp_path: Path) -> None:
    for table in NEEDED:
        shutil.copy(SAMPLE / f"{table}.csv", tmp_path / f"{table}.csv")
    for table in ("csms", "tickets"):  # csms is tiny (side thread), tickets the largest (main thread)
        path = tmp_path / f"{table}.csv"
        lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
        path.write_text("".join([*lines, lines[1]]), encoding="utf-8")  # a duplicate key at the end
    large, small = dataset._split_small(
        sorted(
            ((t, TableSource(t, tmp_path / f"{t}.csv")) for t in NEEDED), key=lambda item: -dataset._size(item[1].path)
        )
    )
    assert "csms" in names(small) and "tickets" in names(large)

    with pytest.raises(DataError) as caught:
        dataset.load(tmp_path, NEEDED, {})

    assert [(Path(i.file or "").name, i.check) for i in caught.value.issues] == [
        ("csms.csv", "duplicate_key"),
        ("tickets.csv", "duplicate_key"),
    ]


def test_a_clean_folder_loads_every_table(tmp_path: Path) -> None:
    for table in NEEDED:
        shutil.copy(SAMPLE / f"{table}.csv", tmp_path / f"{table}.csv")
    loaded = dataset.load(tmp_path, NEEDED, {})
    assert sorted(loaded.tables) == sorted(NEEDED)
    assert all(frame.height > 0 for frame in loaded.tables.values())


def append_line(path: Path, line: str) -> None:
    with path.open("a", encoding="utf-8") as handle:
        handle.write(line + "\n")


def test_cross_table_warnings_come_in_check_order_whichever_table_loads_first(tmp_path: Path) -> None:
    needed = {**NEEDED, "assignments": {"account_id", "csm_id", "start_date", "end_date"}}
    for table in needed:
        shutil.copy(SAMPLE / f"{table}.csv", tmp_path / f"{table}.csv")
    append_line(tmp_path / "tickets.csv", "T-new,A-gone,2026-07-01T10:00:00,,1,false")  # main thread
    append_line(tmp_path / "mrr.csv", "A-gone,2026-07,10")
    append_line(tmp_path / "accounts.csv", "A-new,New Co,zed,SMB,NA,,,false,")  # side thread
    append_line(tmp_path / "assignments.csv", "A001,yan,2030-01-01,")

    loaded = dataset.load(tmp_path, needed, {})

    found = [(Path(w.file or "").name, w.column, w.value) for w in loaded.warnings if w.check == "unknown_reference"]
    assert found == [
        ("mrr.csv", "account_id", "A-gone"),  # account_id checks in EVENT_TABLES order, then csm_id checks
        ("tickets.csv", "account_id", "A999"),  # the sample's own unknown account comes first
        ("accounts.csv", "csm_id", "zed"),
        ("assignments.csv", "csm_id", "yan"),
    ]
    assert [c.table for c in dataset.CROSS_CHECKS][:3] == ["mrr", "subscriptions", "tickets"]


def load_or_hang(folder: Path, needed: dict[str, set[str]]) -> BaseException | None:
    """Load in a thread: a load still waiting after a minute fails the test instead of stalling the suite."""
    raised: list[BaseException] = []

    def run() -> None:
        try:
            dataset.load(folder, needed, {})
        except BaseException as exc:  # noqa: BLE001 - what the load raised is the result
            raised.append(exc)

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(timeout=60)
    assert not worker.is_alive(), "load still waits for a table that will never load"
    return raised[0] if raised else None


def test_a_table_that_fails_to_load_stops_neither_the_other_checks_nor_the_run(tmp_path: Path) -> None:
    for table in NEEDED:
        shutil.copy(SAMPLE / f"{table}.csv", tmp_path / f"{table}.csv")
    (tmp_path / "csms.csv").write_bytes(b"")  # cannot be read: the check of accounts.csm_id must not wait for it

    raised = load_or_hang(tmp_path, NEEDED)

    assert isinstance(raised, DataError)
    assert [Path(i.file or "").name for i in raised.issues] == ["csms.csv"]


def test_an_interrupted_load_leaves_no_thread_waiting(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for table in NEEDED:
        shutil.copy(SAMPLE / f"{table}.csv", tmp_path / f"{table}.csv")
    real_read, real_check = dataset.read_validated, dataset._cross_check
    checking = threading.Event()

    def check(*args: Any) -> Any:
        checking.set()
        return real_check(*args)

    def interrupted(source: TableSource, *args: Any) -> Any:
        if source.table == "tickets":  # the largest, in the main thread; mrr, next in line, never loads
            assert checking.wait(timeout=30)  # the side thread already waits for tickets and mrr
            raise KeyboardInterrupt
        return real_read(source, *args)

    monkeypatch.setattr(dataset, "_cross_check", check)
    monkeypatch.setattr(dataset, "read_validated", interrupted)
    assert type(load_or_hang(tmp_path, NEEDED)) is KeyboardInterrupt
