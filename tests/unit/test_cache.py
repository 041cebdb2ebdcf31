"""The validated cache (SPEC §9), one property at a time.

Every test gets a private cache folder from the autouse fixture in tests/conftest.py
(``$CSMKPI_CACHE_DIR``); none touches the user's ~/.cache.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import stat
import subprocess
import sys
import threading
from datetime import date
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from csmkpi import cache as cache_module
from csmkpi import engine
from csmkpi.cache import Cache, FileStamp, Validated, default_folder, parse_size
from csmkpi.cli.app import app

ROOT = Path(__file__).parents[2]
SAMPLE = ROOT / "sample_data"
CONFIG = ROOT / "configs" / "kpis.yaml"
ARGS = ("--config", str(CONFIG), "--period", "2026-Q3", "--as-of", "2026-10-15", "--layout", "long")


@pytest.fixture
def data(tmp_path: Path) -> Path:
    target = tmp_path / "data"
    shutil.copytree(SAMPLE, target, ignore=shutil.ignore_patterns("*.py", "*.md", "__pycache__"))
    return target


@pytest.fixture
def folder() -> Path:
    return Path(os.environ["CSMKPI_CACHE_DIR"])


def score(data: Path, *extra: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["score", *ARGS, "--data", str(data), *extra], env=env)
    return result.exit_code, result.stdout, result.stderr


def entries(folder: Path) -> list[Path]:
    return sorted((folder / "tables").glob("*.parquet"))


def request(data: Path, cache: Cache | None) -> engine.ScoreRequest:
    return engine.ScoreRequest(config=CONFIG, period="2026-Q3", as_of=date(2026, 10, 15), data=data, cache=cache)


def test_a_cached_warning_names_the_file_as_this_run_spells_it(data: Path, folder: Path, tmp_path: Path) -> None:
    # The entry's key is the resolved path: a link to the data folder finds the entry another spelling
    # stored, and its warnings (tickets.csv's unknown account A999, a cross-table check) named that spelling.
    link = tmp_path / "link"
    link.symlink_to(data)
    score(data)
    score(data)  # stored
    assert entries(folder)
    cold = score(link, "--no-cache")
    cached = score(link)
    assert f"{link}/tickets.csv:1307" in cold[2]
    assert cached == cold


def test_a_table_is_stored_on_its_second_sighting_and_read_on_the_third(data: Path, folder: Path) -> None:
    cold = score(data, "--no-cache")
    assert not folder.exists()  # --no-cache leaves no trace
    first = score(data)
    assert not entries(folder)  # one-shot runs never pay for writing
    second = score(data)
    stored = entries(folder)
    assert len(stored) == len(list(data.glob("*.csv")))
    third = score(data)
    assert cold == first == second == third
    run = engine.prepare(request(data, Cache(folder)), scored=lambda run: [run.period])  # as score reads
    assert all(isinstance(run.data.tables._frames[t], pl.LazyFrame) for t in run.data.tables)


def test_cached_tables_equal_the_files_tables(data: Path, folder: Path) -> None:
    cold = engine.prepare(request(data, None))
    for _ in range(2):
        engine.prepare(request(data, Cache(folder)))
    warm = engine.prepare(request(data, Cache(folder)))
    assert list(warm.data.tables) == list(cold.data.tables)
    for name in cold.data.tables:
        order = [c for c in cold.data.tables[name].columns]
        assert warm.data.tables[name].sort(order).equals(cold.data.tables[name].sort(order)), name
        assert warm.data.tables[name].schema == cold.data.tables[name].schema
    assert warm.data.warnings == cold.data.warnings
    assert warm.data.last_month("mrr") == cold.data.last_month("mrr")


def _stamp_key(path: Path, settings: dict[str, object], cache: Cache) -> str:
    stamp = FileStamp.of(path)
    assert stamp is not None
    return cache.key(stamp, settings)


@pytest.mark.parametrize(
    "field",
    ["size", "mtime_ns", "ctime_ns", "inode", "device", "path"],
)
def test_the_key_holds_every_part_of_the_file_stamp(data: Path, folder: Path, field: str) -> None:
    cache = Cache(folder)
    stamp = FileStamp.of(data / "mrr.csv")
    assert stamp is not None
    other = dataclasses.replace(stamp, **{field: "/elsewhere" if field == "path" else getattr(stamp, field) + 1})
    assert cache.key(stamp, {}) != cache.key(other, {})


@pytest.mark.parametrize(
    "change",
    [
        {"mapping": [("mrr", "MRR")]},
        {"delimiter": ";"},
        {"encoding": "cp1252"},
        {"date_format": "%d/%m/%Y"},
        {"number_format": (",", ".", "$")},
        {"columns": ["account_id"]},
        {"levels": [("invalid_value", "warning")]},
    ],
)
def test_the_key_holds_the_tables_settings(data: Path, folder: Path, change: dict[str, object]) -> None:
    cache = Cache(folder)
    base: dict[str, object] = {
        "table": "mrr",
        "columns": ["account_id", "month", "mrr"],
        "mapping": [],
        "delimiter": None,
        "encoding": "utf-8",
        "date_format": None,
        "number_format": None,
        "levels": [],
    }
    assert _stamp_key(data / "mrr.csv", base, cache) != _stamp_key(data / "mrr.csv", {**base, **change}, cache)


def test_the_key_holds_the_versions(data: Path, folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cache = Cache(folder)
    before = _stamp_key(data / "mrr.csv", {}, cache)
    monkeypatch.setattr(cache_module, "__version__", "99.0")
    after_csmkpi = _stamp_key(data / "mrr.csv", {}, cache)
    monkeypatch.setattr(pl, "__version__", "0.0.1")
    after_polars = _stamp_key(data / "mrr.csv", {}, cache)
    monkeypatch.setattr(cache_module, "FORMAT", cache_module.FORMAT + 1)
    after_format = _stamp_key(data / "mrr.csv", {}, cache)
    assert len({before, after_csmkpi, after_polars, after_format}) == 4


def test_a_config_change_reads_the_file_again(data: Path, folder: Path, tmp_path: Path) -> None:
    for _ in range(3):
        score(data)
    config = tmp_path / "kpis.yaml"
    text = CONFIG.read_text(encoding="utf-8").replace(
        "dir: ../sample_data", "dir: ../sample_data\n  tables:\n    mrr: {delimiter: ','}"
    )
    config.write_text(text, encoding="utf-8")
    before = len(entries(folder))
    result = CliRunner().invoke(app, ["score", *ARGS[2:], "--config", str(config), "--data", str(data)])
    result = CliRunner().invoke(app, ["score", *ARGS[2:], "--config", str(config), "--data", str(data)])
    assert result.exit_code == 0
    assert len(entries(folder)) == before + 1  # mrr again, under its new settings


def test_an_edit_that_keeps_size_and_stamp_is_caught_by_content(
    data: Path, folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On a file system whose clock ticks coarsely, an edit in the same tick leaves the stamp as it was."""
    real = FileStamp.of

    def coarse(path: Path) -> FileStamp | None:
        found = real(path)
        return (
            None if found is None else dataclasses.replace(found, ctime_ns=0, mtime_ns=found.mtime_ns // 10**9 * 10**9)
        )

    monkeypatch.setattr(FileStamp, "of", staticmethod(coarse))
    monkeypatch.setattr(cache_module, "RECENT_NS", 60 * 10**9)  # "a few seconds", however slow this machine
    mrr = data / "mrr.csv"
    text = mrr.read_text(encoding="utf-8")
    mrr.write_text(text, encoding="utf-8")  # a fresh export
    score(data)
    score(data)  # stored, with the content hash: the file was modified seconds ago
    status = mrr.stat()
    lines = text.splitlines(keepends=True)
    digit = next(i for i, c in enumerate(lines[1]) if c.isdigit() and c != "9")
    lines[1] = lines[1][:digit] + str(int(lines[1][digit]) + 1) + lines[1][digit + 1 :]
    edited = "".join(lines)
    assert len(edited) == len(text) and edited != text
    mrr.write_text(edited, encoding="utf-8")
    os.utime(mrr, ns=(status.st_atime_ns, status.st_mtime_ns))
    assert score(data) == score(data, "--no-cache")


def test_a_file_not_modified_lately_is_not_hashed(data: Path, folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    hashed: list[str] = []
    real = cache_module._try_hash
    monkeypatch.setattr(cache_module, "_try_hash", lambda path: hashed.append(path) or real(path))
    monkeypatch.setattr(cache_module, "RECENT_NS", 0)  # as if the files were written long before the runs
    for _ in range(3):
        score(data)
    assert hashed == [] and entries(folder)


def test_a_recent_file_is_hashed_before_and_after_reading(
    data: Path, folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    hashed: list[str] = []
    real = cache_module._try_hash
    monkeypatch.setattr(cache_module, "_try_hash", lambda path: hashed.append(path) or real(path))
    score(data)
    assert hashed == []  # a first sighting stores nothing, so it hashes nothing
    score(data)
    assert len(hashed) == 2 * len(entries(folder))  # before and after reading each file


def test_files_and_folders_are_private(data: Path, folder: Path) -> None:
    score(data)
    score(data)
    folders = [folder, *(p for p in folder.rglob("*") if p.is_dir())]
    files = [p for p in folder.rglob("*") if p.is_file()]
    assert files and len(folders) == 4  # the cache, tables, seen, checks
    assert {stat.S_IMODE(p.stat().st_mode) for p in folders} == {0o700}
    assert {stat.S_IMODE(p.stat().st_mode) for p in files} == {0o600}


def test_writes_leave_no_temporary_file(data: Path, folder: Path) -> None:
    for _ in range(3):
        score(data)
    assert not [p for p in folder.rglob("*") if p.name.endswith(".tmp")]


def test_a_failed_write_leaves_no_temporary_file_and_warns_once(
    data: Path, folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    score(data)

    def broken(self: pl.DataFrame, *args: object, **kwargs: object) -> None:
        Path(str(args[0])).write_bytes(b"half")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(pl.DataFrame, "write_parquet", broken)
    code, out, err = score(data)
    assert (code, out) == score(data, "--no-cache")[:2]
    assert err.count("cannot be written (No space left on device)") == 1
    assert not [p for p in folder.rglob("*") if p.name.endswith(".tmp")]
    assert not entries(folder)


def test_an_unwritable_folder_costs_speed_only(data: Path, tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    env = {"CSMKPI_CACHE_DIR": str(blocker / "cache")}
    cold = score(data, "--no-cache")
    for _ in range(3):
        code, out, err = score(data, env=env)
        assert (code, out) == cold[:2]
        assert err.count("warning: the cache folder") == 1
        assert err.replace(err.splitlines()[0] + "\n", "", 1) == cold[2]
    code, out, err = score(data, "--quiet", env=env)
    assert code == 0 and err == ""


def test_strict_does_not_count_the_cache_warning(data: Path, tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    code, _, err = score(data, "--strict", "--kpi", "nrr", env={"CSMKPI_CACHE_DIR": str(blocker / "cache")})
    assert code == score(data, "--strict", "--kpi", "nrr", "--no-cache")[0]


@pytest.mark.parametrize("damage", ["truncate", "flip", "empty", "foreign"])
def test_a_damaged_entry_is_ignored_and_rebuilt(data: Path, folder: Path, damage: str) -> None:
    cold = score(data, "--no-cache")
    score(data)
    score(data)
    victim = max(entries(folder), key=lambda p: p.stat().st_size)
    content = victim.read_bytes()
    if damage == "truncate":
        victim.write_bytes(content[: len(content) // 2])
    elif damage == "flip":
        middle = len(content) // 2
        victim.write_bytes(content[:middle] + bytes([content[middle] ^ 0xFF]) + content[middle + 1 :])
    elif damage == "empty":
        victim.write_bytes(b"")
    else:
        pl.DataFrame({"x": [1]}).write_parquet(victim)  # a foreign Parquet file under an entry's name
    assert score(data) == cold
    assert not victim.exists()  # removed
    score(data)  # rebuilt on the next sighting
    assert len(entries(folder)) == len(list(data.glob("*.csv")))
    assert score(data) == cold


def test_unrelated_files_in_the_folder_are_left_alone(data: Path, folder: Path) -> None:
    score(data)
    (folder / "tables").mkdir(mode=0o700, exist_ok=True)
    stray = folder / "tables" / "notes.txt"
    stray.write_text("mine")
    for _ in range(2):
        score(data)
    CliRunner().invoke(app, ["cache", "clear"])
    assert stray.read_text() == "mine"


def test_size_is_bounded_least_recently_used_first(data: Path, folder: Path) -> None:
    for _ in range(2):
        score(data)
    stored = entries(folder)
    sizes = {p.name.split(".")[0]: p.stat().st_size for p in stored}
    total = sum(sizes.values())
    # Mark one entry as the oldest use, then write again with a limit that cannot hold them all.
    oldest = stored[0]
    os.utime(oldest, (1_000_000_000, 1_000_000_000))
    limit = total - 1
    run = engine.prepare(request(data, Cache(folder, limit=limit)))  # reads every entry (uses them)
    del run
    cache = Cache(folder, limit=limit)
    os.utime(oldest, (1_000_000_000, 1_000_000_000))
    cache._evict()
    assert not oldest.exists()
    assert sum(p.stat().st_size for p in entries(folder)) <= limit


def test_an_entry_larger_than_the_limit_is_not_kept(data: Path, folder: Path) -> None:
    env = {"CSMKPI_CACHE_SIZE": "1K"}
    for _ in range(3):
        assert score(data, env=env) == score(data, "--no-cache")
    assert sum(p.stat().st_size for p in entries(folder)) <= 1024


def test_a_run_keeps_reading_entries_another_run_clears(data: Path, folder: Path) -> None:
    for _ in range(2):
        score(data)
    run = engine.prepare(request(data, Cache(folder)), scored=lambda run: [run.period])  # as score reads
    assert all(isinstance(run.data.tables._frames[t], pl.LazyFrame) for t in run.data.tables)
    CliRunner().invoke(app, ["cache", "clear"])
    assert not entries(folder)
    card = engine.score_run(run, "csm")  # the scans read the entries through the descriptors the run holds
    cold = engine.score(request(data, None))
    assert card.long_table().equals(cold.long_table())


def test_concurrent_runs_are_safe(data: Path, folder: Path) -> None:
    expected = score(data, "--no-cache")
    script = "import sys; from csmkpi.cli import main; sys.argv = ['csmkpi', *sys.argv[1:]]; main()"
    command = [sys.executable, "-c", script, "score", *ARGS, "--data", str(data)]
    for _ in range(2):  # sightings and writes race, then reads race
        runs = [subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE) for _ in range(4)]
        results = [(run.wait(), *(stream.decode() for stream in run.communicate())) for run in runs]
        assert all(result == expected for result in results)
    assert len(entries(folder)) == len(list(data.glob("*.csv")))
    assert score(data) == expected


def test_threads_sharing_one_cache_are_safe(data: Path, folder: Path) -> None:
    cache = Cache(folder)
    expected = engine.score(request(data, None)).long_table()
    errors: list[BaseException] = []

    def one() -> None:
        try:
            for _ in range(2):
                assert engine.score(request(data, cache)).long_table().equals(expected)
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=one) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []


def test_a_table_with_errors_is_never_stored(data: Path, folder: Path) -> None:
    mrr = data / "mrr.csv"
    mrr.write_text(mrr.read_text(encoding="utf-8") + "A999,2026-09,not a number\n", encoding="utf-8")
    results = [score(data) for _ in range(3)]
    assert results[0][0] == 65 and results.count(results[0]) == 3
    assert not any(p.name.split(".")[0] for p in entries(folder) if "mrr" in p.name)
    assert len(entries(folder)) < len(list(data.glob("*.csv")))


def test_warnings_come_back_from_the_cache(data: Path, folder: Path) -> None:
    tickets = data / "tickets.csv"
    lines = tickets.read_text(encoding="utf-8").splitlines(keepends=True)
    header = lines[0].rstrip("\n").split(",")
    row = lines[1].rstrip("\n").split(",")
    row[header.index("account_id")] = "NOBODY"
    row[header.index("ticket_id")] = "T-ORPHAN"
    tickets.write_text("".join(lines) + ",".join(row) + "\n", encoding="utf-8")
    cold = score(data, "--no-cache")
    assert cold[0] == 0 and "warning" in cold[2] and "1 more row like this" in cold[2]
    assert [score(data) for _ in range(3)] == [cold] * 3


def test_pipes_and_folders_are_never_cached(folder: Path) -> None:
    calls: list[int] = []
    result = Validated(pl.DataFrame({"a": [1]}))
    cache = Cache(folder)
    for _ in range(3):
        cache.table(Path("/dev/null"), {}, lambda: calls.append(1) or result)
    assert len(calls) == 3 and not folder.exists()


def test_validate_uses_the_cache_too(data: Path, folder: Path) -> None:
    runs = [CliRunner().invoke(app, ["validate", "--config", str(CONFIG), "--data", str(data)]) for _ in range(3)]
    assert len({(r.exit_code, r.stdout, r.stderr) for r in runs}) == 1
    assert len(entries(folder)) == len(list(data.glob("*.csv")))


def test_cache_info_and_clear(data: Path, folder: Path) -> None:
    info = CliRunner().invoke(app, ["cache", "info"])
    assert info.exit_code == 0 and "not created yet" in info.stdout and "tables: 0" in info.stdout
    for _ in range(2):
        score(data)
    info = CliRunner().invoke(app, ["cache", "info"])
    count = len(entries(folder))
    assert f"tables: {count}" in info.stdout and str(folder) in info.stdout and "of 2.0 GiB" in info.stdout
    cleared = CliRunner().invoke(app, ["cache", "clear"])
    assert cleared.exit_code == 0 and f"removed {count} tables" in cleared.stderr
    assert not entries(folder) and not list((folder / "seen").iterdir())
    assert "tables: 0" in CliRunner().invoke(app, ["cache", "info"]).stdout


def test_default_folder() -> None:
    home = Path.home()
    assert default_folder({"CSMKPI_CACHE_DIR": "/x/y"}) == Path("/x/y")
    if sys.platform.startswith("linux"):
        assert default_folder({"XDG_CACHE_HOME": "/xdg"}) == Path("/xdg/csmkpi")
        assert default_folder({"XDG_CACHE_HOME": "relative"}) == home / ".cache" / "csmkpi"
        assert default_folder({}) == home / ".cache" / "csmkpi"


def test_parse_size() -> None:
    assert parse_size("2G") == 2 * 1024**3
    assert parse_size("500M") == 500 * 1024**2
    assert parse_size("1.5GiB") == int(1.5 * 1024**3)
    assert parse_size("4096") == 4096
    for text in ("lots", "inf", "1e400", "-5M", "nan"):  # inf and 1e400 were an OverflowError: exit 1
        with pytest.raises(ValueError):
            parse_size(text)


@pytest.mark.parametrize("size", ["lots", "inf"])
def test_a_bad_size_setting_warns_and_keeps_the_default(data: Path, size: str) -> None:
    code, _, err = score(data, env={"CSMKPI_CACHE_SIZE": size})
    assert code == 0 and f"CSMKPI_CACHE_SIZE={size!r} is not a size" in err
