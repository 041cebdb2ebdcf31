"""Standard streams that fail (SPEC §6; csmkpi/cli/streams.py).

stdout full, failing (EIO) or closed: exit 74 and one line on stderr. stderr closed or failing: the run
still does its work, writes its output and keeps its exit code. A reader that goes away (``| head``)
ends the run quietly.
"""

from __future__ import annotations

import os
import pty
import shlex
import subprocess
from pathlib import Path

import pytest
from faults import CSMKPI, Company, assert_clean, csmkpi

ROOT = Path(__file__).parents[2]


def _close(fd: int):  # type: ignore[no-untyped-def]
    return lambda: os.close(fd)


def _dead_terminal() -> int:
    """A terminal whose other end is closed: writing to it fails with EIO."""
    master, slave = pty.openpty()
    os.close(master)
    return slave


@pytest.mark.parametrize("how", ["full", "closed", "eio"])
@pytest.mark.parametrize("output", ["stdout", "-", "/dev/stdout"])
def test_stdout_that_fails_is_74_with_one_line(company: Company, how: str, output: str) -> None:
    extra = () if output == "stdout" else ("--output", output)
    kwargs: dict[str, object] = {"stderr": subprocess.PIPE}
    if how == "full":
        kwargs["stdout"] = open(os.devnull.replace("null", "full"), "wb")  # noqa: SIM115 - closed below
    elif how == "closed":
        kwargs["preexec_fn"] = _close(1)
    else:
        kwargs["stdout"] = _dead_terminal()
    try:
        proc = csmkpi(company.score("--format", "csv", *extra), **kwargs)  # type: ignore[arg-type]
    finally:
        stdout = kwargs.get("stdout")
        if hasattr(stdout, "close"):
            stdout.close()  # type: ignore[union-attr]
        elif isinstance(stdout, int):
            os.close(stdout)
    assert proc.returncode == 74, proc.stderr
    assert proc.stderr.count(b"\n") == 1
    assert proc.stderr.startswith(b"error: cannot write to standard output")


def test_a_closed_stdout_does_not_matter_when_the_output_is_a_file(company: Company, tmp_path: Path) -> None:
    target = tmp_path / "card.csv"
    proc = csmkpi(company.score("--output", target), preexec_fn=_close(1), stderr=subprocess.PIPE)
    assert proc.returncode == 0, proc.stderr
    assert target.read_bytes() == company.reference  # and nothing meant for stdout landed in it


@pytest.mark.parametrize("how", ["closed", "full", "eio"])
def test_stderr_that_fails_changes_nothing(company: Company, tmp_path: Path, how: str) -> None:
    target = tmp_path / "card.csv"
    broken = company.root / "broken"
    broken.mkdir()
    (broken / "mrr.csv").write_text("account_id,month,mrr\nA1,2026-07,lots\n", encoding="utf-8")
    for args, code in (
        (company.score("--output", target), 0),
        (company.score("--data", broken), 65),
        (company.score("--data", tmp_path / "nope"), 66),
    ):
        args = [a for a in args if a != "--quiet"]  # it has things to say: what it wrote, or why not
        if how == "closed":
            proc = csmkpi(args, stdout=subprocess.PIPE, preexec_fn=_close(2))
        elif how == "full":
            with open(os.devnull.replace("null", "full"), "wb") as full:
                proc = csmkpi(args, stdout=subprocess.PIPE, stderr=full)
        else:
            slave = _dead_terminal()
            proc = csmkpi(args, stdout=subprocess.PIPE, stderr=slave)
            os.close(slave)
        assert proc.returncode == code, args
    assert target.read_bytes() == company.reference


def _pipeline(command: list[str], reader: str) -> tuple[int, bytes]:
    """Run ``csmkpi ... | reader`` in bash; return csmkpi's exit code and its stderr."""
    script = f"{shlex.join([str(CSMKPI), *command])} | {reader} >/dev/null 2>&1; exit ${{PIPESTATUS[0]}}"
    proc = subprocess.run(["bash", "-c", script], stderr=subprocess.PIPE, check=False, timeout=60)
    return proc.returncode, proc.stderr


@pytest.mark.parametrize("reader", ["true", "head -c 1", "head -1"])
def test_a_closed_pipe_downstream_ends_quietly(reader: str) -> None:
    # The sample company's trend is ~370 KB: far more than a pipe holds, so the reader goes away mid-write.
    command = ["trend", "--config", str(ROOT / "configs" / "kpis.yaml"), "--as-of", "2026-10-15", "--quiet"]
    code, stderr = _pipeline(command, reader)
    assert code == 0, stderr
    assert stderr == b""


@pytest.mark.parametrize(
    "command",
    [
        ["cache", "info"],
        ["metrics"],
        ["validate", "--config", str(ROOT / "configs" / "kpis.yaml"), "--quiet"],
        ["reasons", "--config", str(ROOT / "configs" / "kpis.yaml"), "--period", "2026-Q3", "--format", "table"],
    ],
    ids=["cache-info", "metrics", "validate", "reasons-table"],
)
def test_a_closed_pipe_ends_quietly_where_rich_prints_too(command: list[str]) -> None:
    # Rich's console exits with 1 on a broken pipe (Console.on_broken_pipe): `cache info | head -1` was 1.
    code, stderr = _pipeline([*command], "true")
    assert code == 0, stderr


def test_a_closed_pipe_downstream_of_an_output_fifo_ends_quietly(company: Company, tmp_path: Path) -> None:
    fifo = tmp_path / "card.csv"
    os.mkfifo(fifo)
    proc = subprocess.Popen([str(CSMKPI), *company.trend("--output", fifo)], stderr=subprocess.PIPE)
    with open(fifo, "rb") as reader:
        assert reader.read(1)
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 0, stderr
    assert_clean(stderr)
    assert stderr == b""
