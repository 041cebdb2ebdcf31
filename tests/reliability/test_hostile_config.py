"""Hostile configs (SPEC §5): config error 78 in bounded time and memory, or a correct, finite score.

Deep nesting, alias bombs, huge files, too many values, bytes that are not UTF-8 text, endless streams;
weights and targets that are not finite numbers, negative or all zero are 78; finite ones, however
extreme, never make a score NaN or inf.
"""

from __future__ import annotations

import csv
import io
import math
import os
import subprocess
import time
from pathlib import Path

import pytest
from faults import CSMKPI, PERIOD, Company, assert_clean, run_all
from typer.testing import CliRunner

from csmkpi.cli.app import app

HEAD = "version: 1\ndata: {dir: data}\n"
KPI_LIST = "kpis:\n  - {id: nrr, metric: nrr, target: 1.0}\n"


def _bomb(levels: int = 12) -> str:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, levels)]
    return "\n".join(lines) + "\n"


HOSTILE: dict[str, bytes] = {
    "deep-flow": (HEAD + "x: " + "[" * 5000 + "]" * 5000 + "\n" + KPI_LIST).encode(),
    "deep-block": (HEAD + "".join("  " * i + f"k{i}:\n" for i in range(300)) + KPI_LIST).encode(),
    "alias-bomb": (HEAD + _bomb() + KPI_LIST).encode(),
    "recursive-alias": (HEAD + "x: &x [*x]\n" + KPI_LIST).encode(),
    "huge": (HEAD + "# " + "x" * 3_000_000 + "\n" + KPI_LIST).encode(),
    "many-values": (HEAD + "x: [" + ", ".join(["1"] * 60_000) + "]\n" + KPI_LIST).encode(),
    "not-utf8": (HEAD + KPI_LIST).encode() + b"# caf\xe9\n",
    "utf16": (HEAD + KPI_LIST).encode("utf-16"),
    "nul": (HEAD + KPI_LIST).encode() + b"# \0\n",
    "binary": bytes(range(256)) * 64,
    "python-tag": (HEAD + "x: !!python/object/apply:os.system ['touch pwned']\n" + KPI_LIST).encode(),
}


def _timed(company: Company, configs: dict[str, Path], parallel: int = 4) -> list[tuple[int, bytes, float, float, int]]:
    """Run score with each config, a few at a time; return (code, stderr, wall s, CPU s, peak KiB) of each."""
    results = []
    items = list(configs.values())
    for first in range(0, len(items), parallel):
        began = time.monotonic()
        batch = [
            subprocess.Popen(
                [str(CSMKPI), "score", "--config", str(config), "--data", str(company.data), *PERIOD, "-q"],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                cwd=company.root,
            )
            for config in items[first : first + parallel]
        ]
        for proc in batch:
            assert proc.stderr is not None
            stderr = proc.stderr.read()
            _, status, usage = os.wait4(proc.pid, 0)  # the peak of the process and of what it waited for
            proc.returncode = os.waitstatus_to_exitcode(status)
            cpu = usage.ru_utime + usage.ru_stime
            results.append((proc.returncode, stderr, time.monotonic() - began, cpu, usage.ru_maxrss))
    return results


HEAVY = ("deep-flow", "alias-bomb", "huge", "many-values")  # where time and memory are at stake


def test_hostile_yaml_is_78_in_bounded_time_and_memory(company: Company) -> None:
    configs = {}
    for name in HEAVY:
        configs[name] = company.root / f"{name}.yaml"
        configs[name].write_bytes(HOSTILE[name])
    configs["endless-zeros"] = Path("/dev/zero")
    configs["endless-random"] = Path("/dev/urandom")
    for name, (code, stderr, wall, cpu, peak) in zip(configs, _timed(company, configs), strict=True):
        assert code == 78, (name, stderr[-2000:])
        assert_clean(stderr)
        # CPU time is the bound (a busy shared machine stretches wall time); wall time only catches a hang.
        assert cpu < 10, (name, cpu)
        assert wall < 60, (name, wall)
        assert peak < 1024 * 1024, (name, peak)  # KiB; a normal run peaks near 150 MiB, an expanded bomb at many GiB


@pytest.mark.parametrize("name", HOSTILE)
def test_hostile_yaml_is_78_with_where_and_why(company: Company, name: str) -> None:
    """In process, every kind (the heavy ones run as real processes above)."""
    config = company.root / f"{name}.yaml"
    config.write_bytes(HOSTILE[name])
    began = time.monotonic()
    result = CliRunner().invoke(app, ["score", "--config", str(config), *PERIOD, "-q"])
    assert time.monotonic() - began < 20
    assert result.exit_code == 78, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert f"{name}.yaml" in result.stderr
    assert not (company.root / "pwned").exists()


MAX, TINY, SMALLEST_NORMAL = "1.7976931348623157e308", "5e-324", "2.2250738585072014e-308"
METRICS = ("nrr", "grr", "csat", "churn")  # churn is scored lower-is-better


def _config(weights: list[str], targets: list[str], cap: str = "1.5") -> str:
    lines = [f"version: 1\ndata: {{dir: data}}\nscoring: {{min_sample: 1, cap: {cap}}}\nkpis:"]
    for n, (weight, target) in enumerate(zip(weights, targets, strict=True)):
        metric = METRICS[n % len(METRICS)]
        better = "lower" if metric == "churn" else "higher"
        lines.append(f"  - {{id: k{n}, metric: {metric}, target: {target}, weight: {weight}, better: {better}}}")
    return "\n".join(lines) + "\n"


# Each config mixes extremes within one composite: sums that would overflow, attainments that would be inf.
EXTREMES = [
    ([MAX, MAX, MAX, MAX], [TINY, MAX, "1", "0"]),
    ([MAX, TINY, "1", "1e308"], ["1", TINY, MAX, MAX]),
    ([TINY, TINY, TINY, TINY], [SMALLEST_NORMAL, "1e-300", TINY, TINY]),
    (["1e308", "1e-300", "0", "1e308"], ["1e308", "1", "1e-300", "1e-300"]),
    ([MAX, "0", "0", "0"], [MAX, MAX, MAX, MAX]),
    (["1", "1", "1", "1"], [TINY, TINY, TINY, "0"]),
]


@pytest.mark.parametrize("case", range(len(EXTREMES)))
def test_no_finite_weight_or_target_makes_a_score_nan_or_inf(company: Company, case: int) -> None:
    weights, targets = EXTREMES[case]
    config = company.root / "extreme.yaml"
    config.write_text(_config(weights, targets), encoding="utf-8")
    for layout in ("long", "wide"):  # long shows attainment, wide the score
        args = ["score", "--config", str(config), *PERIOD, "-q", "--layout", layout, "--format", "csv"]
        result = CliRunner().invoke(app, args)
        assert result.exit_code == 0, result.output
        rows = list(csv.DictReader(io.StringIO(result.stdout)))
        assert rows
        for row in rows:
            for column in ("value", "attainment", "target", "score"):
                if row.get(column):
                    assert math.isfinite(float(row[column])), row
            if row.get("score"):
                assert 0 <= float(row["score"]) <= 150, row  # 100 × cap at most


BAD_WEIGHTS = [".inf", ".nan", "1e400", "-1", "1" + "0" * 400, "-.inf"]
BAD_TARGETS = [".inf", "-.inf", ".nan", "1e999", "0", "-1e308"]  # higher is better: a target must be > 0


def test_weights_and_targets_that_are_not_finite_or_allowed_are_78(company: Company) -> None:
    configs = {
        # Every bad weight and target at once: each is reported, on its own line.
        "bad-values": _config([*BAD_WEIGHTS, *["1"] * len(BAD_TARGETS)], [*["1"] * len(BAD_WEIGHTS), *BAD_TARGETS]),
        "all-weights-zero": _config(["0", "0"], ["1", "0.9"]),
        # The KPIs without a target weigh 1 by default but are never scored: still no score for anyone.
        "all-scored-weights-zero": _config(["0", "0"], ["1", "0.9"]).replace("kpis:\n", "kpis:\n  - {id: extra, metric: arr_managed}\n"),
        "huge-cap": _config(["1", "1"], ["1", "0.9"], cap="1e308"),
        "infinite-cap": _config(["1", "1"], ["1", "0.9"], cap=".inf"),
    }
    runs = []
    for name, text in configs.items():
        (company.root / f"{name}.yaml").write_text(text, encoding="utf-8")
        runs.append(["score", "--config", company.root / f"{name}.yaml", *PERIOD, "-q"])
    results = run_all(runs)
    for name, (code, out, err) in zip(configs, results, strict=True):
        assert code == 78, (name, err)
        assert_clean(err)
        assert out == b""
        assert f"{name}.yaml:".encode() in err, err
    bad_lines = results[0][2].decode()
    for n in range(len(BAD_WEIGHTS)):
        assert f"kpis.{n}.weight" in bad_lines, bad_lines
    for n in range(len(BAD_WEIGHTS), len(BAD_WEIGHTS) + len(BAD_TARGETS)):
        assert f"kpis.{n}.target" in bad_lines, bad_lines
