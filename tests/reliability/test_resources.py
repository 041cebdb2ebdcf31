"""A memory limit too small for the job (SPEC §6): a message and 71, never a hang, still killable by SIGTERM.

How a run runs out of memory decides what it can say (docs/reliability.md): Python raises
``MemoryError``; Polars' native library may not even map; Rust aborts on a failed allocation
(SIGABRT); a thread without room for its stack crashes (SIGSEGV); the OOM killer of a cgroup sends
SIGKILL. The first two the run reports itself, the others the watching parent process does. Which one
a given limit meets depends on the allocator's mood, so the limits below are swept.
"""

from __future__ import annotations

import os
import re
import resource
import shlex
import signal
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from faults import CSMKPI, PERIOD, Company, assert_clean, is_root, leftovers, open_for_writing, start

from csmkpi.errors import OUT_OF_MEMORY_MESSAGE

MIB = 1 << 20


def _address_space(mib: int):  # type: ignore[no-untyped-def]
    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (mib * MIB, mib * MIB))

    return limit


LIMITS = (100, 150, 200, 250, 300, 400, 500, 600)  # MiB of address space


def assert_short_of_memory_said(stderr: bytes) -> None:
    """No internal error, no traceback of csmkpi's; what the runtime itself prints may stay above the message.

    Native code writes to stderr directly (Rust's "memory allocation of N bytes failed"), and so does
    CPython when it has no memory even to call the hook that would keep it quiet ("Exception ignored on
    building sys.unraisablehook arguments"): seen once in CI at 300-1000 MiB (docs/reliability.md).
    """
    text = stderr.decode("utf-8", "replace")
    assert "internal error" not in text, text[-3000:]
    assert not re.search(r'File "[^"]*/csmkpi/[^"]*\.py"', text), text[-3000:]  # no frame of csmkpi's
    assert len(stderr) < 64 * 1024


def test_too_little_address_space_is_71_with_a_message(company: Company, tmp_path: Path) -> None:
    outputs = {mib: tmp_path / f"card-{mib}.csv" for mib in LIMITS}
    procs = {}
    for mib, output in outputs.items():
        output.write_bytes(b"old")
        command = shlex.join([str(CSMKPI), *company.score("--output", output)])
        procs[mib] = subprocess.Popen(
            ["bash", "-c", f"ulimit -v {mib * 1024} && exec {command}"], stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
    codes = []
    for mib, proc in procs.items():
        _, err = proc.communicate(timeout=120)  # never a hang
        codes.append(proc.returncode)
        assert proc.returncode in (0, 71), (mib, err[-2000:])
        assert_short_of_memory_said(err)
        if proc.returncode == 71:
            assert OUT_OF_MEMORY_MESSAGE.encode() in err, err[-2000:]
            assert outputs[mib].read_bytes() == b"old"
        else:
            assert outputs[mib].read_bytes() == company.reference
    assert codes.count(71) >= 2, codes
    assert leftovers(tmp_path) == []


def test_a_run_under_a_memory_limit_still_obeys_sigterm(company: Company, tmp_path: Path) -> None:
    surveys = company.data / "surveys.csv"
    surveys.unlink()
    os.mkfifo(surveys)
    target = tmp_path / "card.csv"
    proc = start(company.score("--output", target), preexec_fn=_address_space(2048))
    writer = open_for_writing(surveys, proc)
    proc.send_signal(signal.SIGTERM)
    _, stderr = proc.communicate(timeout=30)
    writer.close()
    assert proc.returncode == 143, stderr
    assert not target.exists()


def _memory_cgroup(limit: int) -> Path | None:
    """A new memory cgroup (v2 or v1) limited to ``limit`` bytes, or None when this machine will not make one."""
    name = f"csmkpi-test-{uuid.uuid4().hex[:8]}"
    for parent, knob in (
        (Path("/sys/fs/cgroup"), "memory.max"),
        (Path("/sys/fs/cgroup/memory"), "memory.limit_in_bytes"),
    ):
        if not (parent / "cgroup.procs").exists() or not (
            knob == "memory.limit_in_bytes" or (parent / "cgroup.subtree_control").exists()
        ):
            continue
        try:
            (parent / name).mkdir()
        except OSError:
            continue
        try:
            (parent / name / knob).write_text(str(limit))
            if (parent / name / "memory.swap.max").exists():
                (parent / name / "memory.swap.max").write_text("0")
            return parent / name
        except OSError:
            (parent / name).rmdir()
    return None


@pytest.mark.skipif(not is_root(), reason="making a cgroup needs root")
def test_the_oom_killer_of_a_cgroup_is_71_with_a_message(company: Company, tmp_path: Path) -> None:
    group = _memory_cgroup(48 * MIB)
    if group is None:
        pytest.skip("no writable memory cgroup here")
    target = tmp_path / "card.csv"
    target.write_bytes(b"old")
    try:
        proc = subprocess.run(
            [str(CSMKPI), *company.score("--output", target)],
            preexec_fn=lambda: (group / "cgroup.procs").write_text("0"),
            capture_output=True,
            timeout=120,
            check=False,
        )
    finally:
        group.rmdir()
    if proc.returncode == 0:
        pytest.skip("the run fitted in the cgroup's limit")
    assert proc.returncode == 71, proc.stderr
    assert OUT_OF_MEMORY_MESSAGE.encode() in proc.stderr
    assert target.read_bytes() == b"old"
    assert leftovers(tmp_path) == []


SAMPLE = Path(__file__).resolve().parents[2] / "sample_data"
STATISTICS_LIMITS = (300, 400, 500, 600, 700, 800, 900, 1000)  # MiB: numpy, statsmodels, OpenBLAS's buffers


def test_drivers_under_too_little_address_space_is_71_with_a_message(tmp_path: Path) -> None:
    # Where statistics run out: a library that cannot be mapped (ImportError, once taken for a missing
    # extra, 69), OpenBLAS calling exit(1) itself when its buffers cannot be mapped (1), a Rust abort.
    args = ["drivers", "--data", str(SAMPLE), "--period", "2026-Q1", "--as-of", "2026-10-15", "--no-cache", "--quiet"]
    reference = tmp_path / "reference.csv"
    subprocess.run([str(CSMKPI), *args, "--output", str(reference)], capture_output=True, check=True)
    outputs = {mib: tmp_path / f"drivers-{mib}.csv" for mib in STATISTICS_LIMITS}
    procs = {}
    for mib, output in outputs.items():
        command = shlex.join([str(CSMKPI), *args, "--output", str(output)])
        procs[mib] = subprocess.Popen(
            ["bash", "-c", f"ulimit -v {mib * 1024} && exec {command}"], stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
    for mib, proc in procs.items():
        _, err = proc.communicate(timeout=120)
        assert proc.returncode in (0, 71), (mib, err[-2000:])
        assert_short_of_memory_said(err)
        if proc.returncode == 71:
            assert OUT_OF_MEMORY_MESSAGE.encode() in err, err[-2000:]
            # never half-written: none, or (memory ran out after it was in place) the whole of it
            assert not outputs[mib].exists() or outputs[mib].read_bytes() == reference.read_bytes()
        else:
            assert outputs[mib].read_bytes() == reference.read_bytes()
    assert leftovers(tmp_path) == []


def test_a_report_under_an_address_space_limit_says_its_chart_engine_needs_more(
    company: Company, tmp_path: Path
) -> None:
    # V8 reserves tens of GiB of address space as it starts and dies by SIGTRAP when it cannot, at any
    # limit a person would set: csmkpi says so before reading any data.
    output = tmp_path / "report.html"
    output.write_bytes(b"old")
    args = ["report", "--config", str(company.config), *PERIOD, "--quiet", "--output", str(output)]
    command = shlex.join([str(CSMKPI), *args])
    result = subprocess.run(["bash", "-c", f"ulimit -v {2 << 20} && exec {command}"], capture_output=True, check=False)
    assert result.returncode == 71, result.stderr[-2000:]
    assert_clean(result.stderr)
    assert b"reserves tens of GiB of address space" in result.stderr
    assert b"2.0 GiB (ulimit -v)" in result.stderr
    assert output.read_bytes() == b"old"
    assert leftovers(tmp_path) == []


@pytest.mark.parametrize(
    ("exc", "expected"),
    [
        (RuntimeError("can't allocate read lock"), True),  # io's buffered reader, seen at 400 MiB in CI
        (RuntimeError("can't allocate lock"), True),
        (RuntimeError("can't start new thread"), True),
        (ValueError("bad"), False),
        (RuntimeError("something else"), False),
    ],
)
def test_what_a_run_takes_for_running_out_of_memory(exc: BaseException, expected: bool) -> None:
    from csmkpi.cli.runner import out_of_memory

    assert out_of_memory(exc) is expected
    try:
        raise ValueError("while reading") from exc
    except ValueError as chained:
        assert out_of_memory(chained) is expected


@pytest.mark.parametrize(("limited", "given", "expected"), [(True, None, "1"), (True, "4", "4"), (False, None, None)])
def test_openblas_runs_one_thread_under_a_memory_limit_unless_the_user_chose(
    monkeypatch: pytest.MonkeyPatch, limited: bool, given: str | None, expected: str | None
) -> None:
    # With its pool, OpenBLAS short of address space spins forever in blas_thread_init (seen at 775 MiB)
    # or raises SIGINT at itself (625 MiB): a hang, or "interrupted" when nobody interrupted.
    from csmkpi.cli import OPENBLAS_ENV, supervisor, tune_allocator

    monkeypatch.setattr(supervisor, "memory_rlimit", lambda: limited)
    environ = {} if given is None else {OPENBLAS_ENV: given}
    tune_allocator(environ)
    assert environ.get(OPENBLAS_ENV) == expected


@pytest.mark.parametrize(
    ("exc", "limited", "expected"),
    [
        (SystemError("error return without exception set"), True, True),  # importing Polars at 190 MiB
        (OSError(), True, True),  # Polars writing a CSV at 310 MiB
        (SystemError("error return without exception set"), False, False),
        (OSError(), False, False),
        (OSError("disk on fire"), True, False),
        (FileNotFoundError(), True, False),
    ],
)
def test_errors_that_say_nothing_are_memory_only_under_a_memory_limit(
    monkeypatch: pytest.MonkeyPatch, exc: BaseException, limited: bool, expected: bool
) -> None:
    from csmkpi.cli import supervisor
    from csmkpi.cli.runner import out_of_memory

    monkeypatch.setattr(supervisor, "memory_rlimit", lambda: limited)
    assert out_of_memory(exc) is expected


def test_background_errors_are_one_line_and_memory_is_none(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # Python printed them as tracebacks: "Exception in thread csmkpi-trend_1", "Exception ignored in".
    import threading

    from csmkpi.cli.runner import quiet_background

    monkeypatch.setattr(sys, "unraisablehook", sys.unraisablehook)
    monkeypatch.setattr(threading, "excepthook", threading.excepthook)
    quiet_background()

    def fail(exc: BaseException) -> None:
        raise exc

    for exc in (ValueError("odd"), MemoryError()):
        worker = threading.Thread(target=fail, args=(exc,), name="csmkpi-test")
        worker.start()
        worker.join()

    class Finalised:
        def __del__(self) -> None:
            raise KeyError("gone")

    Finalised()
    err = capsys.readouterr().err
    assert err.splitlines() == [
        "internal error (ignored) in thread csmkpi-test: ValueError: odd",
        "internal error (ignored) in a finaliser: KeyError: 'gone'",
    ]
