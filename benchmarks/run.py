"""Time ``csmkpi score`` against DuckDB and a Polars read-only floor, as whole processes.

    python benchmarks/run.py --sizes M L [--runs 5] [--write-docs] [--check]

For each size it generates the data if missing (``benchmarks/generate.py``), then runs, alternating
A B C A B C ... (one untimed warm-up round first, so every command sees the same warm page cache):

* A: ``csmkpi score --data DIR --period 2026-Q3 --as-of 2026-10-15 --format csv --output /tmp/... --quiet``
  with the default config ``configs/kpis.yaml`` (validation on: it is the only path);
* B: ``benchmarks/duckdb_reference.py``, the same KPIs in DuckDB SQL from the same files, typed and checked;
* C: ``benchmarks/read_only.py``, Polars reading only the needed columns of the needed files as text.

Each command is a child process; wall time is measured around it and its peak RSS and CPU time come from
``os.wait4`` (the kernel's rusage of that child; no extra tool). The report gives medians, min and max, the
ratios A/B and A/C, peak memory, and the start-up time of ``csmkpi --help`` and ``--version`` against a bare
``python -c pass``, then checks the targets (A/B <= 1.0, A/C <= 2.0, RSS A < 1.5 x RSS B, start-up within
150 ms of bare Python). It prints a Markdown report, saves the raw numbers as JSON under
``benchmarks/data/results/`` and, with ``--write-docs``, appends the report to ``docs/performance.md``.
``--check`` also compares csmkpi's numbers with DuckDB's for every size (``benchmarks/compare.py``).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
BIN = Path(sys.executable).parent
DATA = HERE / "data"
DOCS = ROOT / "docs" / "performance.md"
TABLES = ("accounts", "csms", "mrr", "tickets", "surveys", "opportunities", "activities", "assignments")
TARGETS = {"a_over_b": 1.0, "a_over_c": 2.0, "rss_a_over_b": 1.5, "startup_ms": 150.0}


@dataclass
class Sample:
    """One timed process; ``pressure``: share of its wall time other tasks kept a CPU busy (PSI), or None."""

    wall: float
    cpu: float
    rss_mb: float
    pressure: float | None = None


def cpu_stall_us() -> int | None:
    """Total microseconds some runnable task waited for a CPU (Linux PSI), or None when unavailable."""
    try:
        line = Path("/proc/pressure/cpu").read_text().splitlines()[0]
    except (OSError, IndexError):
        return None
    return int(line.rsplit("total=", 1)[1])


@dataclass
class Series:
    """Repeated runs of one command."""

    name: str
    command: list[str]
    samples: list[Sample] = field(default_factory=list)

    def wall(self) -> list[float]:
        """Wall times in seconds."""
        return [s.wall for s in self.samples]

    @property
    def median(self) -> float:
        """Median wall time."""
        return statistics.median(self.wall())

    @property
    def rss(self) -> float:
        """Largest peak RSS over the runs, MB."""
        return max(s.rss_mb for s in self.samples)

    @property
    def cpu(self) -> float:
        """Median CPU time (user + system), seconds."""
        return statistics.median(s.cpu for s in self.samples)


def timed(command: list[str], *, cwd: Path = ROOT, stdout: int | None = subprocess.DEVNULL) -> Sample:
    """Run a command as a child; return its wall time and, from os.wait4, its CPU time and peak RSS."""
    with tempfile.TemporaryFile() as err:
        stall = cpu_stall_us()
        started = time.perf_counter()
        child = subprocess.Popen(command, cwd=cwd, stdout=stdout, stderr=err)
        _, status, usage = os.wait4(child.pid, 0)
        wall = time.perf_counter() - started
        stall_after = cpu_stall_us()
        pressure = (stall_after - stall) / 1e6 / wall if stall is not None and stall_after is not None else None
        child.returncode = os.waitstatus_to_exitcode(status)  # already reaped: keep Popen from waiting again
        if child.returncode != 0:
            err.seek(0)
            message = err.read().decode(errors="replace")[-3000:]
            raise SystemExit(f"command failed with exit code {child.returncode}: {' '.join(command)}\n{message}")
    return Sample(wall=wall, cpu=usage.ru_utime + usage.ru_stime, rss_mb=usage.ru_maxrss / 1024, pressure=pressure)


def ensure_data(size: str) -> Path:
    """The data folder of a size, generated when its manifest is missing."""
    folder = DATA / size
    if not (folder / "manifest.json").is_file():
        print(f"generating size {size} in {folder} ...", file=sys.stderr)
        subprocess.run([sys.executable, str(HERE / "generate.py"), "--size", size, "--out", str(folder)], check=True)
    return folder


def commands(folder: Path, period: str, as_of: str, start: str, end: str, needs: str, out: Path) -> list[Series]:
    """The three commands of a size."""
    config = ROOT / "configs" / "kpis.yaml"
    return [
        Series(
            "A csmkpi score",
            [
                str(BIN / "csmkpi"), "score", "--config", str(config), "--data", str(folder), "--period", period,
                "--as-of", as_of, "--format", "csv", "--output", str(out / "csmkpi.csv"), "--quiet",
            ],
        ),
        Series(
            "B duckdb",
            [
                sys.executable, str(HERE / "duckdb_reference.py"), "--data", str(folder), "--period-start", start,
                "--period-end", end, "--config", str(config), "--out", str(out / "duckdb.csv"),
            ],
        ),
        Series(
            "C polars read-only",
            [sys.executable, str(HERE / "read_only.py"), "--data", str(folder), "--needs", needs],
        ),
    ]  # fmt: skip


def bench_size(size: str, args: argparse.Namespace, needs: str, start: str, end: str) -> dict[str, object]:
    """Warm up, then time A B C alternately ``args.runs`` times."""
    folder = ensure_data(size)
    manifest = json.loads((folder / "manifest.json").read_text())
    with tempfile.TemporaryDirectory() as tmp:
        series = commands(folder, args.period, args.as_of, start, end, needs, Path(tmp))
        for _ in range(args.warmup):
            for s in series:
                timed(s.command)
        for run in range(args.runs):
            for s in series:
                s.samples.append(timed(s.command))
                print(
                    f"  {size} run {run + 1}/{args.runs} {s.name}: {s.samples[-1].wall:.2f} s, "
                    f"{s.samples[-1].rss_mb:.0f} MB",
                    file=sys.stderr,
                )
    if args.check:
        subprocess.run(
            [sys.executable, str(HERE / "compare.py"), "--data", str(folder), "--period", args.period,
             "--as-of", args.as_of],
            check=False,
        )  # fmt: skip
    a, b, c = series
    return {
        "size": size,
        "accounts": manifest["accounts"],
        "rows": manifest["rows"],
        "bytes": {t: (folder / f"{t}.csv").stat().st_size for t in TABLES if (folder / f"{t}.csv").is_file()},
        "series": [{"name": s.name, "command": s.command, "samples": [asdict(x) for x in s.samples]} for s in series],
        "median": {s.name: s.median for s in series},
        "a_over_b": a.median / b.median,
        "a_over_c": a.median / c.median,
        "rss_a_over_b": a.rss / b.rss,
    }


def startup(runs: int) -> dict[str, object]:
    """Median start-up of ``python -c pass``, ``csmkpi --help`` and ``csmkpi --version``, alternating."""
    cases = {
        "python -c pass": [sys.executable, "-c", "pass"],
        "csmkpi --help": [str(BIN / "csmkpi"), "--help"],
        "csmkpi --version": [str(BIN / "csmkpi"), "--version"],
    }
    walls: dict[str, list[float]] = {name: [] for name in cases}
    for command in cases.values():  # warm-up
        timed(command)
    for _ in range(runs):
        for name, command in cases.items():
            walls[name].append(timed(command).wall)
    medians = {name: statistics.median(values) for name, values in walls.items()}
    return {"runs": runs, "median": medians, "samples": walls}


def machine() -> dict[str, str]:
    """What the numbers were measured on."""
    import duckdb
    import polars

    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return {
        "cpu": f"{os.cpu_count()} cores, {cpu}",
        "memory": f"{memory:.0f} GiB",
        "python": platform.python_version(),
        "polars": polars.__version__,
        "duckdb": duckdb.__version__,
        "csmkpi": _csmkpi_version(),
    }


def _csmkpi_version() -> str:
    from csmkpi import __version__

    return __version__


def fmt_rows(n: int) -> str:
    """12.3M, 456k."""
    return f"{n / 1e6:.1f}M" if n >= 1e6 else f"{n / 1e3:.0f}k" if n >= 1e3 else str(n)


def _walls(series: dict[str, object]) -> list[float]:
    return [x["wall"] for x in series["samples"]]  # type: ignore[index, union-attr]


def _pressure(samples: list[dict[str, float | None]]) -> str:
    values = [x["pressure"] for x in samples if x.get("pressure") is not None]
    return f"{100 * statistics.median(values):.0f}%" if values else "n/a"  # type: ignore[type-var]


def report(
    results: list[dict[str, object]], start_up: dict[str, object] | None, info: dict[str, str], args: argparse.Namespace
) -> str:
    """The Markdown report of a run."""
    lines = [
        f"### Run of {datetime.now().strftime('%Y-%m-%d %H:%M')}",
        "",
        f"`python benchmarks/run.py --sizes {' '.join(args.sizes)} --runs {args.runs}` on {info['cpu']}, "
        f"{info['memory']} RAM; Python {info['python']}, Polars {info['polars']}, DuckDB {info['duckdb']}, "
        f"csmkpi {info['csmkpi']}. Period {args.period} (as of {args.as_of}), default config. Wall seconds: "
        f"median of {args.runs} alternating runs after {args.warmup} warm-up round(s) [min-max]. CPU: median "
        "user+system seconds. RSS: largest peak of the runs. Contention: per command, median share of a run's wall "
        "time during which some task waited for a CPU (Linux PSI); near 0% means a quiet machine.",
        "",
        "| size | rows | CSV | A csmkpi s | B DuckDB s | C read-only s | A/B | A/C | CPU A / B / C s | "
        "RSS A / B / C MB | RSS A/B | contention A / B / C |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        series: list[dict[str, object]] = r["series"]  # type: ignore[assignment]
        cells = []
        for s in series:
            walls = _walls(s)
            cells.append(f"{statistics.median(walls):.2f} [{min(walls):.2f}-{max(walls):.2f}]")
        samples = [s["samples"] for s in series]
        cpu = " / ".join(f"{statistics.median(x['cpu'] for x in ss):.1f}" for ss in samples)  # type: ignore[union-attr]
        rss = " / ".join(f"{max(x['rss_mb'] for x in ss):.0f}" for ss in samples)  # type: ignore[union-attr]
        contention = " / ".join(_pressure(ss) for ss in samples)  # type: ignore[arg-type]
        rows = sum(r["rows"].values())  # type: ignore[union-attr]
        size_gb = sum(r["bytes"].values()) / 1e9  # type: ignore[union-attr]
        lines.append(
            f"| {r['size']} | {fmt_rows(rows)} | {size_gb:.2f} GB | {' | '.join(cells)} | {r['a_over_b']:.2f} | "
            f"{r['a_over_c']:.2f} | {cpu} | {rss} | {r['rss_a_over_b']:.2f} | {contention} |"
        )
    lines += ["", "Targets (issue): A/B <= 1.0, A/C <= 2.0, RSS A < 1.5 x RSS B, measured in the same run.", ""]
    for r in results:
        ab, ac, rss_ab = float(r["a_over_b"]), float(r["a_over_c"]), float(r["rss_a_over_b"])  # type: ignore[arg-type]
        verdicts = [
            f"A/B {ab:.2f} {'met' if ab <= TARGETS['a_over_b'] else 'MISSED'}",
            f"A/C {ac:.2f} {'met' if ac <= TARGETS['a_over_c'] else 'MISSED'}",
            f"RSS A/B {rss_ab:.2f} {'met' if rss_ab < TARGETS['rss_a_over_b'] else 'MISSED'}",
        ]
        lines.append(f"- {r['size']}: " + ", ".join(verdicts))
    if start_up is not None:
        med: dict[str, float] = start_up["median"]  # type: ignore[assignment]
        base = med["python -c pass"]
        lines += [
            "",
            f"Start-up (median of {start_up['runs']} alternating runs):",
            "",
            "| command | ms | over bare Python | target: <= 150 ms over |",
            "|---|---:|---:|---|",
        ]
        for name, value in med.items():
            over = (value - base) * 1000
            verdict = "" if name.startswith("python") else ("met" if over <= TARGETS["startup_ms"] else "MISSED")
            lines.append(f"| `{name}` | {value * 1000:.0f} | {over:+.0f} | {verdict} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark."""
    parser = argparse.ArgumentParser(description="csmkpi vs DuckDB vs Polars read-only, as whole processes.")
    parser.add_argument("--sizes", nargs="+", default=["M", "L"], choices=["S", "M", "L"])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--warmup", type=int, default=1, help="untimed rounds first (warm page cache)")
    parser.add_argument("--period", default="2026-Q3")
    parser.add_argument("--as-of", default="2026-10-15")
    parser.add_argument("--startup-runs", type=int, default=15, help="0 skips the start-up measurement")
    parser.add_argument("--check", action="store_true", help="also compare csmkpi's numbers with DuckDB's")
    parser.add_argument("--write-docs", action="store_true", help=f"append the report to {DOCS.relative_to(ROOT)}")
    parser.add_argument("--from-json", nargs="+", type=Path, help="rebuild the report from saved result files")
    args = parser.parse_args(argv)
    if args.from_json:
        return rebuild(args)

    sys.path.insert(0, str(HERE))
    from read_only import needed_columns

    from csmkpi.periods import resolve

    period = resolve(args.period, as_of=date.fromisoformat(args.as_of), fiscal_year_start_month=1)
    needs = json.dumps(needed_columns(ROOT / "configs" / "kpis.yaml"))
    results = [bench_size(size, args, needs, period.start.isoformat(), period.end.isoformat()) for size in args.sizes]
    start_up = startup(args.startup_runs) if args.startup_runs else None
    info = machine()
    text = report(results, start_up, info, args)
    print(text)
    folder = DATA / "results"
    folder.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    (folder / f"run-{stamp}.json").write_text(
        json.dumps({"machine": info, "args": vars(args), "sizes": results, "startup": start_up}, indent=1, default=str)
    )
    if args.write_docs:
        append_docs(text)
    return 0


def rebuild(args: argparse.Namespace) -> int:
    """Print (and with --write-docs append) the report of saved runs, one report per file."""
    for path in args.from_json:
        saved = json.loads(path.read_text())
        run_args = argparse.Namespace(**{**vars(args), **saved["args"]})
        text = report(saved["sizes"], saved["startup"], saved["machine"], run_args)
        stamp = path.stem.removeprefix("run-")
        title = f"### Run of {stamp[:4]}-{stamp[4:6]}-{stamp[6:8]} {stamp[9:11]}:{stamp[11:13]}"
        text = text.replace(text.splitlines()[0], title)
        print(text)
        if args.write_docs:
            append_docs(text)
    return 0


def append_docs(text: str) -> None:
    """Append a report to docs/performance.md, under its run log."""
    DOCS.parent.mkdir(parents=True, exist_ok=True)
    existing = DOCS.read_text() if DOCS.is_file() else "# Performance\n"
    marker = "## Run log"
    if marker not in existing:
        existing = existing.rstrip("\n") + f"\n\n{marker}\n\nAppended by `python benchmarks/run.py --write-docs`.\n"
    DOCS.write_text(existing.rstrip("\n") + "\n\n" + text)


if __name__ == "__main__":
    raise SystemExit(main())
