"""Where the output goes, whatever it is (SPEC §6; csmkpi/output/targets.py).

A regular file or a link to one is replaced atomically (the link stays); devices, FIFOs and the
process's own descriptors are written straight through and never replaced; a folder or anything else
in the way, and any of the run's inputs (also through hard and symbolic links), is refused with 73
before anything is written; a full disk or a file-size limit in the middle of a write is 74 and
leaves the old file as it was, with no temp file.
"""

from __future__ import annotations

import os
import pty
import resource
import socket
import stat
import subprocess
import threading
from pathlib import Path

import pytest
from faults import Company, csmkpi, is_root, leftovers


def test_a_regular_file_is_replaced_atomically(company: Company, tmp_path: Path) -> None:
    target = tmp_path / "card.csv"
    target.write_text("old\n", encoding="utf-8")
    before = target.stat().st_ino
    proc = csmkpi(company.score("--output", target))
    assert proc.returncode == 0, proc.stderr
    assert target.read_bytes() == company.reference
    assert target.stat().st_ino != before  # a new file renamed into place, not the old one rewritten
    assert leftovers(tmp_path) == []


def test_a_link_stays_a_link_and_its_target_is_replaced(company: Company, tmp_path: Path) -> None:
    (tmp_path / "real").mkdir()
    real = tmp_path / "real" / "card.csv"
    real.write_text("old\n", encoding="utf-8")
    link = tmp_path / "latest.csv"
    link.symlink_to(real)
    dangling = tmp_path / "next.csv"
    dangling.symlink_to(tmp_path / "real" / "new.csv")
    for output in (link, dangling):
        proc = csmkpi(company.score("--output", output))
        assert proc.returncode == 0, proc.stderr
        assert output.is_symlink()
        assert output.read_bytes() == company.reference
    assert real.read_bytes() == company.reference
    assert (tmp_path / "real" / "new.csv").read_bytes() == company.reference
    assert leftovers(tmp_path) == []


def test_the_processs_own_descriptors_are_written_straight_through(company: Company, tmp_path: Path) -> None:
    for output in ("-", "/dev/stdout", "/dev/fd/1"):
        proc = csmkpi(company.score("--output", output))
        assert (proc.returncode, proc.stdout) == (0, company.reference), output
    # stdout redirected to a file: /dev/stdout is that open file, written through, not replaced.
    redirected = tmp_path / "out.csv"
    with redirected.open("wb") as handle:
        handle.write(b"kept\n")
        handle.flush()
        inode = os.fstat(handle.fileno()).st_ino
        proc = csmkpi(company.score("--output", "/dev/stdout"), stdout=handle, stderr=subprocess.PIPE)
    assert proc.returncode == 0, proc.stderr
    assert redirected.read_bytes() == b"kept\n" + company.reference
    assert redirected.stat().st_ino == inode
    # Another open descriptor, as a shell's 3>file or a process substitution gives.
    read, write = os.pipe()
    proc = csmkpi(company.score("--output", f"/dev/fd/{write}"), pass_fds=(write,))
    os.close(write)
    with os.fdopen(read, "rb") as pipe:
        assert pipe.read() == company.reference
    assert proc.returncode == 0, proc.stderr
    proc = csmkpi(company.score("--output", "/dev/fd/9"))
    assert proc.returncode == 73
    assert b"descriptor 9 is not open" in proc.stderr


def test_devices_are_written_through_and_never_replaced(company: Company, tmp_path: Path) -> None:
    # /dev/null itself: a regression would replace the machine's /dev/null; a copy of it is as good a device.
    if is_root():
        null = tmp_path / "null"
        os.mknod(null, stat.S_IFCHR | 0o666, os.makedev(1, 3))
    else:
        null = Path(os.devnull)
    link = tmp_path / "to-null.csv"
    link.symlink_to(null)
    for output in (null, link):
        proc = csmkpi(company.score("--output", output))
        assert proc.returncode == 0, proc.stderr
    assert stat.S_ISCHR(null.stat().st_mode) and link.is_symlink()
    # A terminal (a pty's slave end): written through; the device stays a device.
    master, slave = pty.openpty()
    name = os.ttyname(slave)
    try:
        proc = csmkpi(company.score("--format", "csv", "--output", name))
        assert proc.returncode == 0, proc.stderr
        received = b""
        while len(received) < len(company.reference.replace(b"\n", b"\r\n")):
            received += os.read(master, 65536)
        assert received == company.reference.replace(b"\n", b"\r\n")  # the terminal's own line discipline
        assert stat.S_ISCHR(os.stat(name).st_mode)
    finally:
        os.close(master)
        os.close(slave)
    assert leftovers(tmp_path) == []


def test_a_fifo_is_written_through(company: Company, tmp_path: Path) -> None:
    fifo = tmp_path / "card.csv"
    os.mkfifo(fifo)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()))
    reader.start()
    proc = csmkpi(company.score("--output", fifo), timeout=60)
    reader.join(timeout=30)
    assert proc.returncode == 0, proc.stderr
    assert received == [company.reference]
    assert stat.S_ISFIFO(fifo.stat().st_mode)
    assert leftovers(tmp_path) == []


def _socket(path: Path) -> socket.socket:
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(path))
    return server


def test_an_empty_output_is_a_usage_error(company: Company) -> None:
    proc = csmkpi(company.score("--output", ""))  # --output "$OUT" with OUT unset, in a cron line
    assert (proc.returncode, proc.stdout) == (2, b"")
    assert b"--output is empty" in proc.stderr


@pytest.mark.parametrize("obstacle", ["folder", "socket", "file-as-folder", "missing-folder", "loop"])
def test_something_in_the_way_is_refused_before_anything_is_written(
    company: Company, tmp_path: Path, obstacle: str
) -> None:
    target = tmp_path / "card.csv"
    made = None
    if obstacle == "folder":
        target.mkdir()
    elif obstacle == "socket":
        made = _socket(target)
    elif obstacle == "file-as-folder":
        (tmp_path / "reports").write_text("a file\n", encoding="utf-8")
        target = tmp_path / "reports" / "card.csv"
    elif obstacle == "missing-folder":
        target = tmp_path / "nope" / "card.csv"
    else:
        target.symlink_to(target)
    before = sorted(p.name for p in tmp_path.iterdir())
    try:
        proc = csmkpi(company.score("--output", target))
    finally:
        if made is not None:
            made.close()
    assert proc.returncode == 73, proc.stderr
    assert str(target).encode() in proc.stderr
    assert proc.stderr.count(b"\n") == 1  # one line says why
    assert sorted(p.name for p in tmp_path.iterdir()) == before


_COMMANDS = {
    "score": ["score", "--period", "2026-Q3"],
    "trend": ["trend", "--from", "2025-10-01", "--to", "2026-09-30"],
    "trend-limits": ["trend", "--from", "2025-10-01", "--to", "2026-09-30", "--limits"],
    "explain": ["explain", "nrr", "--period", "2026-Q3"],
    "reasons": ["reasons", "--period", "2026-Q3"],
    "drivers": ["drivers", "--outcome", "nrr", "--period", "2026-Q3"],
    "report": ["report", "--period", "2026-Q3"],
}


@pytest.mark.parametrize("command", sorted(_COMMANDS))
@pytest.mark.parametrize("output", ["nope/out.{ext}", "nope/{period}.{ext}"])
def test_a_missing_folder_is_refused_before_the_data_is_read(
    company: Company, tmp_path: Path, command: str, output: str
) -> None:
    # The data folder does not exist either: a run that read its data first would say so (66), not 73.
    ext = "html" if command == "report" else "csv"
    target = str(tmp_path / output.format(period="{period}", ext=ext))
    args = [*_COMMANDS[command], "--config", company.config, "--data", tmp_path / "no-data", "--as-of", "2026-10-15"]
    before = sorted(p.name for p in tmp_path.iterdir())
    proc = csmkpi([*args, "--quiet", "--output", target])
    assert proc.returncode == 73, proc.stderr
    assert f"folder {tmp_path / 'nope'} does not exist".encode() in proc.stderr
    assert proc.stderr.count(b"\n") == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == before


def test_a_period_in_the_folder_is_checked_when_written(company: Company, tmp_path: Path) -> None:
    (tmp_path / "2025-10").mkdir()  # the first month's folder only: the second is refused, and nothing written
    proc = csmkpi(company.trend("--output", tmp_path / "{period}" / "kpis.csv"))
    assert proc.returncode == 73, proc.stderr
    assert b"2025-11 does not exist" in proc.stderr
    assert list((tmp_path / "2025-10").iterdir()) == []


@pytest.mark.parametrize("how", ["same-path", "relative", "symlink", "hard-link", "config"])
def test_an_input_of_the_run_is_refused_before_anything_is_written(company: Company, how: str) -> None:
    mrr = company.data / "mrr.csv"
    original = mrr.read_bytes()
    if how == "same-path":
        target = mrr
    elif how == "relative":
        target = company.data / ".." / "data" / "." / "mrr.csv"
    elif how == "symlink":
        target = company.root / "latest.csv"
        target.symlink_to(mrr)
    elif how == "hard-link":
        target = company.root / "latest.csv"
        os.link(mrr, target)
    else:
        target = company.config
    kept = target.read_bytes()
    # kpis.yaml's extension names no format, so say one: the input check, not the format's, must refuse it
    proc = csmkpi(company.score("--output", target, *(("--format", "csv") if how == "config" else ())))
    assert proc.returncode == 73, proc.stderr
    assert b"input" in proc.stderr
    assert target.read_bytes() == kept
    assert mrr.read_bytes() == original
    assert leftovers(company.root) == []


@pytest.mark.parametrize("output", [None, "-", "/dev/stdout"])
def test_stdout_appended_to_an_input_is_refused(company: Company, output: str | None) -> None:
    accounts = company.data / "accounts.csv"
    kept = accounts.read_bytes()
    extra = () if output is None else ("--output", output)
    with accounts.open("ab") as appended:  # csmkpi score >> data/accounts.csv: the shell does not truncate it
        proc = csmkpi(company.score("--format", "csv", *extra), stdout=appended, stderr=subprocess.PIPE)
    assert proc.returncode == 73, proc.stderr
    assert b"input" in proc.stderr
    assert accounts.read_bytes() == kept


def test_trend_checks_every_file_before_writing_the_first(company: Company, tmp_path: Path) -> None:
    reports = tmp_path / "reports"
    reports.mkdir()
    os.link(company.data / "mrr.csv", reports / "2026-06.csv")  # the ninth month's file is an input
    proc = csmkpi(company.trend("--output", reports / "{period}.csv"))
    assert proc.returncode == 73, proc.stderr
    assert sorted(p.name for p in reports.iterdir()) == ["2026-06.csv"]


def test_a_long_name_gets_a_temp_file_that_fits(company: Company, tmp_path: Path) -> None:
    limit = os.pathconf(tmp_path, "PC_NAME_MAX")
    out = tmp_path / "out"
    out.mkdir()
    longest = out / ("r" * (limit - 4) + ".csv")
    proc = csmkpi(company.score("--output", longest))
    assert proc.returncode == 0, proc.stderr
    assert longest.read_bytes() == company.reference
    too_long = out / ("r" * (limit - 3) + ".csv")
    proc = csmkpi(company.score("--output", too_long))
    assert proc.returncode == 73
    assert b"long" in proc.stderr
    assert sorted(p.name for p in out.iterdir()) == [longest.name]


def _fsize_limit(size: int):  # type: ignore[no-untyped-def]
    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (size, size))

    return limit


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "parquet"])
def test_a_file_size_limit_in_the_middle_of_a_write(company: Company, tmp_path: Path, fmt: str) -> None:
    target = tmp_path / f"card.{fmt}"
    target.write_bytes(b"old")
    proc = csmkpi(company.score("--layout", "long", "--output", target), preexec_fn=_fsize_limit(400))
    assert proc.returncode == 74, proc.stderr
    assert b"File too large" in proc.stderr
    assert proc.stderr.count(b"\n") == 1
    assert target.read_bytes() == b"old"
    assert leftovers(tmp_path) == []


def test_a_file_size_limit_in_the_middle_of_a_multi_file_trend(company: Company, tmp_path: Path) -> None:
    """One file per month: the one that fails is left as it was, those written before stay complete."""
    reports = tmp_path / "reports"
    reports.mkdir()
    full = csmkpi(company.trend("--output", reports / "{period}.csv"))
    assert full.returncode == 0, full.stderr
    complete = {p.name: p.read_bytes() for p in sorted(reports.iterdir())}
    assert len(complete) == 12
    # 2025's months have no survey yet (empty CSAT): their files are smaller than 2026's.
    limit = max(len(complete[f"2025-{m}.csv"]) for m in (10, 11, 12))
    assert limit < min(len(data) for name, data in complete.items() if name.startswith("2026"))
    for path in reports.iterdir():
        path.write_bytes(b"old")
    proc = csmkpi(company.trend("--output", reports / "{period}.csv"), preexec_fn=_fsize_limit(limit))
    assert proc.returncode == 74, proc.stderr
    assert b"2026-01.csv" in proc.stderr
    after = {p.name: p.read_bytes() for p in sorted(reports.iterdir())}
    assert {name: data for name, data in after.items() if data != b"old"} == {
        name: complete[name] for name in ("2025-10.csv", "2025-11.csv", "2025-12.csv")
    }
    assert leftovers(tmp_path) == []


def _tmpfs(folder: Path, size: str) -> bool:
    folder.mkdir()
    if not is_root():
        return False
    return (
        subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)], check=False).returncode
        == 0
    )


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "parquet", "trend"])
def test_a_full_disk_in_the_middle_of_a_write(company: Company, tmp_path: Path, fmt: str) -> None:
    disk = tmp_path / "disk"
    if not _tmpfs(disk, "16k"):
        pytest.skip("mounting a small tmpfs needs root")
    try:
        (disk / "filler").write_bytes(b"x" * (12 * 1024 - 200))  # leaves less than one file's room
        if fmt == "trend":
            output, args = disk / "{period}.csv", company.trend("--layout", "long")
        else:
            output, args = disk / f"card.{fmt}", company.score("--layout", "long")
        old = disk / ("2025-10.csv" if fmt == "trend" else f"card.{fmt}")
        old.write_bytes(b"old")
        proc = csmkpi([*args, "--output", output])
        assert proc.returncode == 74, proc.stderr
        assert b"No space left on device" in proc.stderr
        assert old.read_bytes() == b"old"
        assert sorted(p.name for p in disk.iterdir()) == sorted(["filler", old.name])
    finally:
        subprocess.run(["umount", str(disk)], check=False)


@pytest.mark.parametrize("command", ["score", "trend", "drivers", "report"])
def test_a_read_only_folder_is_refused_before_the_data_is_read(company: Company, tmp_path: Path, command: str) -> None:
    # trend, drivers and report computed everything (20-30 s on a large set) before failing with 73.
    disk = tmp_path / "ro"
    if not _tmpfs(disk, "64k"):
        pytest.skip("mounting a tmpfs needs root")
    try:
        assert subprocess.run(["mount", "-o", "remount,ro", str(disk)], check=False).returncode == 0
        target = disk / ("out.html" if command == "report" else "out.csv")
        args = [*_COMMANDS[command], "--config", company.config, "--data", tmp_path / "no-data", "--as-of", "2026-10-15"]
        proc = csmkpi([*args, "--quiet", "--output", target])
        assert proc.returncode == 73, proc.stderr
        assert f"folder {disk} is not writable".encode() in proc.stderr
    finally:
        subprocess.run(["umount", str(disk)], check=False)


@pytest.mark.parametrize("output", ["out.csv/", "{period}/", "s{period}/"])
def test_a_trailing_slash_names_a_folder_not_a_file(company: Company, tmp_path: Path, output: str) -> None:
    # --output dir/out.csv/ wrote a file out.csv with exit 0 (and dir/{period}/ a file per period).
    folder = tmp_path / "out"
    folder.mkdir()
    for args in (company.score(), company.trend()):
        proc = csmkpi([*args, "--output", f"{folder}/{output}"])
        assert proc.returncode == 73 and b"names a folder" in proc.stderr, proc.stderr
        assert list(folder.iterdir()) == []
