"""Check that csmkpi and DuckDB compute the same numbers.

    python benchmarks/compare.py --data benchmarks/data/S [--period 2026-Q3 --as-of 2026-10-15]
    python benchmarks/compare.py --data benchmarks/data/S --against query     # the yardstick's 9 core KPIs
    python benchmarks/compare.py --csmkpi long.csv --duckdb reference.csv     # compare two existing files

Runs ``csmkpi score --data DIR --period P --as-of D --layout long --format csv`` and, for the same period,
``benchmarks/duckdb_reference.py`` (``--against reference``, the default: the config's KPIs, validated) or
``benchmarks/duckdb_query.py`` (``--against query``: the yardstick's one query, scored by csmkpi with
``benchmarks/kpis_core.yaml``), then compares value, numerator, denominator and sample_size of every (group, kpi)
present in both, to a relative tolerance (default 1e-9; both empty counts as equal). Prints the mismatches and the
(group, kpi) pairs only one side has; exits 1 on any mismatch.
"""

from __future__ import annotations

import argparse
import math
import subprocess
import sys
import tempfile
from pathlib import Path

import polars as pl

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
BIN = Path(sys.executable).parent
FIELDS = ("value", "numerator", "denominator", "sample_size")
CORE_CONFIG = HERE / "kpis_core.yaml"


def run_csmkpi(data: Path, period: str, as_of: str, config: Path, out: Path) -> None:
    """Write csmkpi's long CSV for the period."""
    command = [
        str(BIN / "csmkpi"), "score", "--config", str(config), "--data", str(data), "--period", period,
        "--as-of", as_of, "--layout", "long", "--format", "csv", "--output", str(out), "--quiet",
    ]  # fmt: skip
    subprocess.run(command, check=True, cwd=ROOT)


def period_dates(csmkpi_csv: Path) -> tuple[str, str]:
    """The resolved period dates, as csmkpi states them."""
    row = pl.read_csv(csmkpi_csv, n_rows=1, infer_schema=False).row(0, named=True)
    return row["period_start"], row["period_end"]


def run_duckdb(data: Path, start: str, end: str, config: Path, out: Path, against: str = "reference") -> None:
    """Write the DuckDB reference's (or the yardstick query's) CSV for the period."""
    command = [
        sys.executable, str(HERE / f"duckdb_{against}.py"), "--data", str(data), "--period-start", start,
        "--period-end", end, "--out", str(out),
    ]  # fmt: skip
    if against == "reference":
        command += ["--config", str(config)]
    subprocess.run(command, check=True, cwd=ROOT)


def close(a: float | None, b: float | None, tolerance: float) -> bool:
    """Equal within a relative tolerance; both empty is equal, one empty is not."""
    if a is None or b is None:
        return a is None and b is None
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return abs(a - b) <= tolerance * max(abs(a), abs(b)) or a == b


def compare(csmkpi_csv: Path, duckdb_csv: Path, tolerance: float) -> tuple[list[str], list[str], int]:
    """Return (mismatch lines, one-sided lines, pairs compared)."""
    schema = {"group": pl.String, "kpi": pl.String, **{f: pl.Float64 for f in FIELDS}}
    ours = pl.read_csv(csmkpi_csv, schema_overrides=schema).select("group", "kpi", *FIELDS)
    ref = pl.read_csv(duckdb_csv, schema_overrides=schema).select("group", "kpi", *FIELDS)
    both = ours.join(ref, on=["group", "kpi"], how="inner", suffix="_duckdb")
    mismatches = []
    for row in both.iter_rows(named=True):
        bad = [f for f in FIELDS if not close(row[f], row[f"{f}_duckdb"], tolerance)]
        if bad:
            detail = ", ".join(f"{f}: csmkpi {row[f]!r} vs duckdb {row[f + '_duckdb']!r}" for f in bad)
            mismatches.append(f"{row['kpi']} / {row['group']}: {detail}")
    one_sided = []
    for name, left, right in (("csmkpi", ours, ref), ("duckdb", ref, ours)):
        only = left.join(right, on=["group", "kpi"], how="anti")
        # csmkpi gives every KPI a row for each group any KPI produced ((unassigned), owners outside csms.csv);
        # those filler rows have no units, so they are counted, not listed.
        fillers = only.filter(pl.col("sample_size") == 0)
        if fillers.height:
            one_sided.append(f"only in {name}: {fillers.height} rows without units (sample_size 0), not compared")
        only = only.filter(pl.col("sample_size") != 0)
        for kpi, groups in only.group_by("kpi", maintain_order=True).agg("group").iter_rows():
            shown = ", ".join(groups[:5]) + (f" and {len(groups) - 5} more" if len(groups) > 5 else "")
            one_sided.append(f"only in {name}: {kpi}: {shown}")
    return mismatches, one_sided, both.height


def main(argv: list[str] | None = None) -> int:
    """Run both tools (or take their files) and compare."""
    parser = argparse.ArgumentParser(description="Compare csmkpi's long CSV with the DuckDB reference.")
    parser.add_argument("--data", type=Path, help="data folder (runs both tools)")
    parser.add_argument("--period", default="2026-Q3")
    parser.add_argument("--as-of", default="2026-10-15")
    parser.add_argument("--config", type=Path, help="default: configs/kpis.yaml, or the core config with query")
    parser.add_argument(
        "--against", choices=("reference", "query"), default="reference",
        help="duckdb_reference.py (the config's KPIs, validated) or duckdb_query.py (the 9 core KPIs, one query)",
    )  # fmt: skip
    parser.add_argument("--csmkpi", type=Path, help="an existing csmkpi long CSV")
    parser.add_argument("--duckdb", type=Path, help="an existing DuckDB reference CSV")
    parser.add_argument("--tolerance", type=float, default=1e-9)
    parser.add_argument("--keep", type=Path, help="folder to keep both CSV files in")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.keep or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        ours, ref = args.csmkpi, args.duckdb
        if ours is None or ref is None:
            if args.data is None:
                parser.error("give --data, or both --csmkpi and --duckdb")
            ours, ref = folder / "csmkpi_long.csv", folder / "duckdb.csv"
            config = args.config or (CORE_CONFIG if args.against == "query" else ROOT / "configs" / "kpis.yaml")
            run_csmkpi(args.data.resolve(), args.period, args.as_of, config.resolve(), ours)
            start, end = period_dates(ours)
            run_duckdb(args.data.resolve(), start, end, config.resolve(), ref, args.against)
        mismatches, one_sided, compared = compare(ours, ref, args.tolerance)
    for line in one_sided:
        print(line)
    for line in mismatches:
        print("MISMATCH", line)
    print(
        f"{compared} (group, kpi) pairs compared, {len(mismatches)} mismatches (relative tolerance {args.tolerance:g})"
    )
    return 1 if mismatches else 0


if __name__ == "__main__":
    raise SystemExit(main())
