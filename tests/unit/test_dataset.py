"""Loading a data folder: the small tables load beside the large ones, and nothing changes for it.

``dataset.load`` reads the largest files one after another and the smallest (together at most a
quarter of the largest file) in a second thread. Whatever thread a table loads in, every problem of
every table is reported, in table order, and every table is loaded.
"""

from __future__ import annotations

import shutil
from pathlib import Path

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
