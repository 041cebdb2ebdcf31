"""Time ``csmkpi`` against the yardstick of SPEC section 7, as whole processes, in alternating rounds.

    python benchmarks/run.py [--sizes M L] [--runs 5] [--data M=/path/to/M] [--write-docs] [--check]

The yardstick is ``benchmarks/duckdb_query.py``: what an analyst would write instead of csmkpi, one DuckDB query
over ``read_csv`` with explicit column types and only the needed columns, computing the 9 core KPIs of
``benchmarks/kpis_core.yaml`` (no validation). For each size, after one untimed warm-up round (so every command
sees the same warm page cache), each round runs, one after the other:

* ``query``: the yardstick;
* ``cold``: ``csmkpi score --config benchmarks/kpis_core.yaml ... --no-cache``, a first run (full validation);
* ``write``: the same with a cache folder that has seen the files once, so this run writes the cache (SPEC
  section 9: csmkpi keeps a table on its second sighting);
* ``warm``: the same with a cache folder that holds the tables (a repeated run on unchanged files);
* ``trend``: ``csmkpi trend`` over the 12 months that end with the period, ``--no-cache``;
* ``explain``: ``csmkpi explain fcr --group ALL`` (every ticket resolved in the period), ``--no-cache``;
* ``reference``: ``benchmarks/duckdb_reference.py``, the same 9 KPIs in DuckDB with csmkpi's checks (a second,
  validating reference).

Each command is a child process; wall time is measured around it and its CPU time and peak RSS come from
``os.wait4`` (the kernel's rusage of that child; no extra tool). Ratios are paired: each round's run divided by
the same round's run of the denominator (``query``; ``cold`` for trend and explain), then the median over rounds.
The report also gives medians with min and max, CPU seconds, peak RSS and the machine's CPU contention (Linux PSI),
then checks the targets of SPEC section 7 and the start-up time of ``csmkpi --help``. It prints Markdown, saves the
raw numbers as JSON under ``benchmarks/data/results/`` and, with ``--write-docs``, appends the report to
``docs/performance.md``. ``--check`` also compares csmkpi's cells with the query's (``benchmarks/compare.py``).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
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
CORE = HERE / "kpis_core.yaml"
# name -> (denominator, target of the paired wall ratio, target of the RSS ratio or None), SPEC section 7
TARGETS: dict[str, tuple[str, float, float | None]] = {
    "cold": ("query", 1.5, 1.8),
    "write": ("query", 2.0, None),
    "warm": ("query", 0.35, 0.6),
    "trend": ("cold", 2.0, None),
    "explain": ("cold", 1.5, None),
}
STARTUP_MS = 150.0


@dataclass
class Sample:
    """One timed process; ``pressure``: share of its wall time some task waited for a CPU (PSI), or None."""

    wall: float
    cpu: float
    rss_mb: float
    pressure: float | None = None


@dataclass
class Series:
    """Repeated runs of one command; ``prepare`` runs (untimed) before each of them."""

    name: str
    command: list[str]
    env: dict[str, str] = field(default_factory=dict)
    samples: list[Sample] = field(default_factory=list)
    prepare: object = None  # a callable of no arguments, or None

    def wall(self) -> list[float]:
        """Wall times in seconds."""
        return [s.wall for s in self.samples]


def cpu_stall_us() -> int | None:
    """Total microseconds some runnable task waited for a CPU (Linux PSI), or None when unavailable."""
    try:
        line = Path("/proc/pressure/cpu").read_text().splitlines()[0]
    except (OSError, IndexError):
        return None
    return int(line.rsplit("total=", 1)[1])


def timed(command: list[str], *, env: dict[str, str] | None = None) -> Sample:
    """Run a command as a child; return its wall time and, from os.wait4, its CPU time and peak RSS."""
    with tempfile.TemporaryFile() as err:
        stall = cpu_stall_us()
        started = time.perf_counter()
        child = subprocess.Popen(
            command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=err, env={**os.environ, **(env or {})}
        )
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


def ensure_data(size: str, folder: Path | None) -> Path:
    """The data folder of a size (``--data`` or ``benchmarks/data/SIZE``), generated when its manifest is missing."""
    if folder is not None:
        if not (folder / "manifest.json").is_file():
            raise SystemExit(f"{folder}: no manifest.json (not a complete benchmarks/generate.py folder)")
        return folder
    folder = DATA / size
    if not (folder / "manifest.json").is_file():
        print(f"generating size {size} in {folder} ...", file=sys.stderr)
        subprocess.run([sys.executable, str(HERE / "generate.py"), "--size", size, "--out", str(folder)], check=True)
    return folder


def csmkpi(*args: str) -> list[str]:
    """A csmkpi command line."""
    return [str(BIN / "csmkpi"), *args]


def build_series(folder: Path, args: argparse.Namespace, start: date, end: date, tmp: Path) -> list[Series]:
    """The commands of one size, in round order; sets up the cache folders the cached runs use."""
    common = ["--config", str(CORE), "--data", str(folder), "--as-of", args.as_of, "--format", "csv", "--quiet"]
    score = ["score", "--period", args.period, *common, "--output", str(tmp / "score.csv")]
    seen, warm, fresh = tmp / "cache-seen", tmp / "cache-warm", tmp / "cache-write"
    timed(csmkpi(*score), env={"CSMKPI_CACHE_DIR": str(seen)})  # the first sighting: nothing stored
    for _ in range(2):  # the second sighting stores the tables
        timed(csmkpi(*score), env={"CSMKPI_CACHE_DIR": str(warm)})

    def fresh_copy() -> None:
        shutil.rmtree(fresh, ignore_errors=True)
        shutil.copytree(seen, fresh)

    trend_from = date(end.year - 1, end.month % 12 + 1, 1) if end.month < 12 else date(end.year, 1, 1)
    series = [
        Series("query", [sys.executable, str(HERE / "duckdb_query.py"), "--data", str(folder), "--period-start",
                         start.isoformat(), "--period-end", end.isoformat(), "--out", str(tmp / "query.csv")]),
        Series("cold", csmkpi(*score, "--no-cache")),
        Series("write", csmkpi(*score), env={"CSMKPI_CACHE_DIR": str(fresh)}, prepare=fresh_copy),
        Series("warm", csmkpi(*score), env={"CSMKPI_CACHE_DIR": str(warm)}),
        Series("trend", csmkpi("trend", "--from", trend_from.isoformat(), "--to", end.isoformat(), *common,
                               "--output", str(tmp / "trend.csv"), "--no-cache")),
        Series("explain", csmkpi("explain", "fcr", "--group", "ALL", "--period", args.period, *common,
                                 "--output", str(tmp / "explain.csv"), "--no-cache")),
        Series("reference", [sys.executable, str(HERE / "duckdb_reference.py"), "--data", str(folder),
                             "--period-start", start.isoformat(), "--period-end", end.isoformat(), "--config",
                             str(CORE), "--out", str(tmp / "reference.csv")]),
    ]  # fmt: skip
    return [s for s in series if s.name in args.only] if args.only else series


def paired(result: dict[str, object], name: str, over: str, key: str = "wall") -> float | None:
    """Median over rounds of ``name``'s run divided by the same round's ``over`` run."""
    runs: dict[str, list[dict[str, float]]] = result["samples"]  # type: ignore[assignment]
    if name not in runs or over not in runs:
        return None
    return statistics.median(a[key] / b[key] for a, b in zip(runs[name], runs[over], strict=True))


def bench_size(size: str, folder: Path, args: argparse.Namespace, start: date, end: date) -> dict[str, object]:
    """Warm up, then time the commands in alternating rounds."""
    manifest = json.loads((folder / "manifest.json").read_text())
    with tempfile.TemporaryDirectory(prefix="csmkpi-bench-") as tmp:
        series = build_series(folder, args, start, end, Path(tmp))
        for _ in range(args.warmup):
            for s in series:
                if callable(s.prepare):
                    s.prepare()
                timed(s.command, env=s.env)
        for round_ in range(args.runs):
            for s in series:
                if callable(s.prepare):
                    s.prepare()
                s.samples.append(timed(s.command, env=s.env))
                print(f"  {size} round {round_ + 1}/{args.runs} {s.name}: {s.samples[-1].wall:.2f} s, "
                      f"{s.samples[-1].rss_mb:.0f} MB", file=sys.stderr)  # fmt: skip
    if args.check:
        subprocess.run(
            [sys.executable, str(HERE / "compare.py"), "--data", str(folder), "--period", args.period,
             "--as-of", args.as_of, "--against", "query"],
            check=False,
        )  # fmt: skip
    return {
        "size": size,
        "folder": str(folder),
        "accounts": manifest["accounts"],
        "rows": manifest["rows"],
        "bytes": manifest["bytes"],
        "commands": {s.name: s.command for s in series},
        "samples": {s.name: [asdict(x) for x in s.samples] for s in series},
    }


def startup(runs: int) -> dict[str, object]:
    """Median start-up of ``python -c pass``, ``csmkpi --help`` and ``csmkpi --version``, alternating."""
    cases = {
        "python -c pass": [sys.executable, "-c", "pass"],
        "csmkpi --help": csmkpi("--help"),
        "csmkpi --version": csmkpi("--version"),
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

    from csmkpi import __version__

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
        "csmkpi": __version__,
        "load": " ".join(f"{x:.1f}" for x in os.getloadavg()),
    }


def fmt_rows(n: int) -> str:
    """12.3M, 456k."""
    return f"{n / 1e6:.1f}M" if n >= 1e6 else f"{n / 1e3:.0f}k" if n >= 1e3 else str(n)


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
        f"{info['memory']} RAM (load average {info.get('load', 'n/a')} at the end); Python {info['python']}, "
        f"Polars {info['polars']}, DuckDB {info['duckdb']}, csmkpi {info['csmkpi']}. Period {args.period} (as of "
        f"{args.as_of}), the 9 core KPIs of `benchmarks/kpis_core.yaml`. Wall seconds: median of {args.runs} "
        f"alternating rounds after {args.warmup} warm-up round(s) [min-max]; ratio: median over rounds of the "
        "round's run over the same round's denominator. CPU: median user+system seconds. RSS: largest peak. "
        "Contention: median share of a run's wall time during which some task waited for a CPU (Linux PSI).",
        "",
    ]
    for r in results:
        samples: dict[str, list[dict[str, float]]] = r["samples"]  # type: ignore[assignment]
        rows = sum(r["rows"].values())  # type: ignore[union-attr]
        size_gb = sum(r["bytes"].values()) / 1e9  # type: ignore[union-attr]
        lines += [
            f"**{r['size']}**: {fmt_rows(rows)} rows, {size_gb:.2f} GB of CSV (`{r['folder']}`)",
            "",
            "| command | wall s | ratio | over | CPU s | peak RSS MB | RSS ratio | contention |",
            "|---|---:|---:|---|---:|---:|---:|---:|",
        ]
        for name, runs in samples.items():
            walls = [x["wall"] for x in runs]
            over = TARGETS.get(name, ("query", 0.0, None))[0] if name != "query" else ""
            ratio = paired(r, name, over) if over else None
            rss = max(x["rss_mb"] for x in runs)
            rss_ratio = rss / max(x["rss_mb"] for x in samples[over]) if over and over in samples else None
            lines.append(
                f"| {name} | {statistics.median(walls):.2f} [{min(walls):.2f}-{max(walls):.2f}] | "
                f"{'' if ratio is None else f'{ratio:.2f}'} | {over} | "
                f"{statistics.median(x['cpu'] for x in runs):.1f} | {rss:.0f} | "
                f"{'' if rss_ratio is None else f'{rss_ratio:.2f}'} | {_pressure(runs)} |"  # type: ignore[arg-type]
            )
        lines += ["", "Targets (SPEC section 7):", ""]
        for name, (over, wall_target, rss_target) in TARGETS.items():
            ratio = paired(r, name, over)
            if ratio is None:
                continue
            met = "met" if ratio <= wall_target else "MISSED"
            verdict = f"- {name}: wall {_near(ratio, wall_target)} x {over} (target <= {wall_target}) {met}"
            if rss_target is not None:
                rss = max(x["rss_mb"] for x in samples[name]) / max(x["rss_mb"] for x in samples[over])
                verdict += f"; peak RSS {_near(rss, rss_target)} x (target <= {rss_target}) "
                verdict += "met" if rss <= rss_target else "MISSED"
            lines.append(verdict)
        lines.append("")
    if start_up is not None:
        med: dict[str, float] = start_up["median"]  # type: ignore[assignment]
        base = med["python -c pass"]
        lines += [
            f"Start-up (median of {start_up['runs']} alternating runs):",
            "",
            f"| command | ms | over bare Python | target: <= {STARTUP_MS:.0f} ms over |",
            "|---|---:|---:|---|",
        ]
        for name, value in med.items():
            over_ms = (value - base) * 1000
            verdict = "" if name.startswith("python") else ("met" if over_ms <= STARTUP_MS else "MISSED")
            lines.append(f"| `{name}` | {value * 1000:.0f} | {over_ms:+.0f} | {verdict} |")
    return "\n".join(lines).rstrip("\n") + "\n"


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark."""
    parser = argparse.ArgumentParser(description="csmkpi against the DuckDB yardstick, as whole processes.")
    parser.add_argument("--sizes", nargs="+", default=["M", "L"], choices=["S", "M", "L"])
    parser.add_argument(
        "--data", nargs="*", default=[], metavar="SIZE=DIR", help="use this folder for a size (default: generate "
        "benchmarks/data/SIZE)"
    )  # fmt: skip
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--warmup", type=int, default=1, help="untimed rounds first (warm page cache)")
    parser.add_argument("--only", nargs="+", help="only these commands (query cold write warm trend explain reference)")
    parser.add_argument("--period", default="2026-Q3")
    parser.add_argument("--as-of", default="2026-10-15")
    parser.add_argument("--startup-runs", type=int, default=15, help="0 skips the start-up measurement")
    parser.add_argument("--check", action="store_true", help="also compare csmkpi's cells with the query's")
    parser.add_argument("--write-docs", action="store_true", help=f"append the report to {DOCS.relative_to(ROOT)}")
    parser.add_argument("--from-json", nargs="+", type=Path, help="rebuild the report from saved result files")
    args = parser.parse_args(argv)
    if args.from_json:
        return rebuild(args)
    folders = dict(item.split("=", 1) for item in args.data)
    byte_compile()

    from csmkpi.periods import resolve

    period = resolve(args.period, as_of=date.fromisoformat(args.as_of), fiscal_year_start_month=1)
    results = []
    for size in args.sizes:
        folder = ensure_data(size, Path(folders[size]) if size in folders else None)
        results.append(bench_size(size, folder, args, period.start, period.end))
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


def _near(ratio: float, target: float) -> str:
    """A ratio to 2 decimals, or 3 where 2 would read as the target itself (0.352 for a 0.35 target)."""
    return f"{ratio:.3f}" if f"{ratio:.2f}" == f"{target:.2f}" else f"{ratio:.2f}"


def byte_compile() -> None:
    """Write csmkpi's bytecode first, as ``pip install`` does for an installed package.

    An editable checkout writes it on its first run, unless PYTHONDONTWRITEBYTECODE is set (some
    machines and containers set it): then every timed process would compile csmkpi's ~90 modules
    again, about 0.07 s that an installed csmkpi never spends.
    """
    import compileall

    compileall.compile_dir(ROOT / "csmkpi", quiet=1)


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
