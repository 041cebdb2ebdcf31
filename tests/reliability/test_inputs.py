"""Inputs that are not plain tables (SPEC §2 "Files that are not tables", §6 bounded messages).

A table path that exists but cannot be read as a file (a folder, a dangling link, a link loop, a
socket, no permission) is 66 naming the path and why, never "table missing". A FIFO or process
substitution is read once, as a stream, for a table and for the config. A NUL byte is 65 with its line.
Very long lines and values keep messages bounded.
"""

from __future__ import annotations

import ctypes
import os
import re
import socket
import subprocess
import threading
from pathlib import Path

import pytest
from faults import CSMKPI, PERIOD, Company, csmkpi, is_root

_PR_CAPBSET_DROP, _CAP_DAC_OVERRIDE, _CAP_DAC_READ_SEARCH = 24, 1, 2


def _without_root_powers() -> None:
    """Drop root's power to read any file (so that permissions apply to this test's run)."""
    libc = ctypes.CDLL(None, use_errno=True)
    for capability in (_CAP_DAC_OVERRIDE, _CAP_DAC_READ_SEARCH):
        if libc.prctl(_PR_CAPBSET_DROP, capability, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP)")


@pytest.mark.parametrize("kind", ["folder", "dangling-link", "link-loop", "socket", "no-permission"])
@pytest.mark.parametrize("command", ["score", "validate"])
def test_a_table_that_is_not_a_readable_file_is_66_naming_it(company: Company, kind: str, command: str) -> None:
    csms = company.data / "csms.csv"
    csms.unlink()
    server = None
    kwargs: dict[str, object] = {}
    why = {
        "folder": "it is a folder",
        "dangling-link": "symbolic link to",
        "link-loop": "symbolic link loop",
        "socket": "it is a socket",
        "no-permission": "ermission denied",
    }[kind]
    if kind == "folder":
        csms.mkdir()
    elif kind == "dangling-link":
        csms.symlink_to(company.data / "gone.csv")
    elif kind == "link-loop":
        csms.symlink_to(csms)
    elif kind == "socket":
        server = socket.socket(socket.AF_UNIX)
        server.bind(str(csms))
    else:
        csms.write_text("csm_id\nalice\n", encoding="utf-8")
        csms.chmod(0)
        if is_root():
            kwargs["preexec_fn"] = _without_root_powers
    args = company.score() if command == "score" else ["validate", "--config", company.config]
    try:
        proc = csmkpi(args, **kwargs)  # type: ignore[arg-type]
    finally:
        if server is not None:
            server.close()
    assert proc.returncode == 66, proc.stderr
    message = proc.stderr.decode()
    assert str(csms) in message and why in message
    assert "missing" not in message and "not found" not in message


@pytest.mark.parametrize("kind", ["folder", "dangling-link", "link-loop", "no-permission"])
def test_a_config_that_is_not_a_readable_file_is_66(company: Company, kind: str) -> None:
    config = company.root / "other.yaml"
    kwargs: dict[str, object] = {}
    if kind == "folder":
        config.mkdir()
    elif kind == "dangling-link":
        config.symlink_to(company.root / "gone.yaml")
    elif kind == "link-loop":
        config.symlink_to(config)
    else:
        config.write_bytes(company.config.read_bytes())
        config.chmod(0)
        if is_root():
            kwargs["preexec_fn"] = _without_root_powers
    runs = (["score", "--config", config, *PERIOD], ["validate", "--config", config], ["metrics", "--config", config])
    for args in runs:
        proc = csmkpi(args, **kwargs)  # type: ignore[arg-type]
        assert proc.returncode == 66, (args, proc.stderr)
        assert str(config).encode() in proc.stderr


def test_a_configured_table_file_that_is_a_folder_is_66(company: Company) -> None:
    (company.data / "exports").mkdir()
    config = company.config.read_text(encoding="utf-8")
    company.config.write_text(config.replace("{dir: data}", "{dir: data, tables: {mrr: {file: exports}}}"), "utf-8")
    proc = csmkpi(company.score())
    assert proc.returncode == 66, proc.stderr
    assert b"exports" in proc.stderr and b"folder" in proc.stderr


def _feed(fifo: Path, data: bytes) -> threading.Thread:
    """Write ``data`` to a FIFO once, from a thread; a second reader would get nothing."""

    def write() -> None:
        with open(fifo, "wb") as handle:
            handle.write(data)

    thread = threading.Thread(target=write, daemon=True)
    thread.start()
    return thread


@pytest.mark.parametrize("table", ["mrr", "surveys"])
def test_a_fifo_table_is_read_once_as_a_stream(company: Company, table: str) -> None:
    path = company.data / f"{table}.csv"
    data = path.read_bytes()
    path.unlink()
    os.mkfifo(path)
    feeder = _feed(path, data)
    proc = csmkpi(company.score("--format", "csv"))
    feeder.join(timeout=10)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == company.reference


def test_a_config_from_a_pipe_or_process_substitution_is_read_once(company: Company) -> None:
    text = company.config.read_text(encoding="utf-8").replace("dir: data", f"dir: {company.data}")
    proc = subprocess.run(
        [str(CSMKPI), "score", "--config", "/dev/stdin", *PERIOD, "--quiet", "--format", "csv"],
        input=text.encode(),
        capture_output=True,
        check=False,
        timeout=60,
    )
    assert (proc.returncode, proc.stdout) == (0, company.reference), proc.stderr
    # bash's <(...): /dev/fd/63, a pipe; data.dir relative to the current folder, as there is no other.
    script = f"cd {company.root} && {CSMKPI} score --config <(cat kpis.yaml) --period 2026-Q3 --as-of 2026-10-15 -q"
    proc = subprocess.run(["bash", "-c", script], capture_output=True, check=False, timeout=60)
    assert (proc.returncode, proc.stdout) == (0, company.reference), proc.stderr


def test_a_table_from_a_pipe(company: Company) -> None:
    """``data.tables.mrr.file: /dev/stdin`` and the export piped in."""
    mrr = company.data / "mrr.csv"
    data = mrr.read_bytes()
    mrr.unlink()
    config = company.config.read_text(encoding="utf-8")
    piped = config.replace("data: {dir: data}", "data: {dir: data, tables: {mrr: {file: /dev/stdin}}}")
    company.config.write_text(piped, encoding="utf-8")
    proc = csmkpi(company.score("--format", "csv"), input=data)
    assert (proc.returncode, proc.stdout) == (0, company.reference), proc.stderr


@pytest.mark.parametrize("where", ["header", "row", "last-byte"])
def test_a_nul_byte_is_65_with_its_line(company: Company, where: str) -> None:
    mrr = company.data / "mrr.csv"
    lines = mrr.read_bytes().split(b"\n")
    if where == "header":
        lines[0] = lines[0].replace(b"month", b"mo\0nth")
        line = 1
    elif where == "row":
        lines[40] = lines[40].replace(b",", b"\0,", 1)
        line = 41
    else:
        lines[-1] = b"\0"
        line = len(lines)
    mrr.write_bytes(b"\n".join(lines))
    for args in (company.score(), ["validate", "--config", company.config]):
        proc = csmkpi(args)
        assert proc.returncode == 65, proc.stderr
        assert f"mrr.csv:{line}:".encode() in proc.stderr
        assert b"NUL" in proc.stderr


def test_a_huge_value_is_shown_cut_short(company: Company) -> None:
    mrr = company.data / "mrr.csv"
    lines = mrr.read_text(encoding="utf-8").split("\n")
    value = "9" * 400 + "x" * 2_000_000  # one 2 MB field in a number column
    account, month, _ = lines[5].split(",")
    lines[5] = f"{account},{month},{value}"
    mrr.write_text("\n".join(lines), encoding="utf-8")
    proc = csmkpi(company.score(), timeout=120)
    assert proc.returncode == 65, proc.stderr
    shown = re.search(rb"value '(9+)'\S* \((\d+) more characters\)", proc.stderr)
    assert shown is not None, proc.stderr[:2000]
    assert len(shown[1]) == 80 and int(shown[2]) == len(value) - 80
    assert len(proc.stderr) < 2000


def test_many_problems_in_one_file_list_twenty_then_say_how_many_more(company: Company) -> None:
    accounts = company.data / "accounts.csv"
    lines = accounts.read_text(encoding="utf-8").split("\n")
    header = lines[0] + "," + ",".join(["dup"] * 31)  # 30 repeats of one name: 30 distinct problems
    rows = [line + "," * 31 for line in lines[1:] if line]
    accounts.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    proc = csmkpi(company.score())
    assert proc.returncode == 65, proc.stderr
    text = proc.stderr.decode()
    assert text.count("duplicate column name") == 20
    assert f"... and 10 more problems in {accounts}" in text


def test_stderr_stays_under_64_kib_whatever_the_files_hold(company: Company) -> None:
    """Long column names, long values and many problems in every table at once."""
    long = "c" * 5000
    for name in ("accounts", "csms", "mrr", "surveys"):
        path = company.data / f"{name}.csv"
        lines = path.read_text(encoding="utf-8").split("\n")
        header = lines[0] + "," + ",".join([long] * 40)
        path.write_text("\n".join([header, *(line + "," * 40 for line in lines[1:] if line)]) + "\n", encoding="utf-8")
    proc = csmkpi(company.score())  # csmkpi() checks: under 64 KiB, no traceback
    assert proc.returncode == 65
    assert proc.stderr.count(b"more characters") >= 20


def test_very_long_lines_are_read(company: Company) -> None:
    """A 20 MB line of a text column (an account's name) is data, not a problem."""
    accounts = company.data / "accounts.csv"
    lines = accounts.read_text(encoding="utf-8").split("\n")
    fields = lines[1].split(",")
    fields[1] = "N" * 20_000_000
    lines[1] = ",".join(fields)
    accounts.write_text("\n".join(lines), encoding="utf-8")
    proc = csmkpi(company.score("--format", "csv"), timeout=120)
    assert (proc.returncode, proc.stdout) == (0, company.reference), proc.stderr[:2000]
