"""Where ``csmkpi score`` spends its time: per table and phase, with csmkpi's own functions.

    python benchmarks/profile_phases.py --data benchmarks/data/M [--period 2026-Q3 --as-of 2026-10-15]

For every table the default config needs it times, one after the other, the phases of ``dataset.load``:
reading the file into memory (``loading.read_bytes``), the Polars text scan of the needed columns, the
line-structure scan (ragged rows, quotes, physical line numbers), the whole ``loading.read_table`` (both scans
run together plus the record bookkeeping), and ``validation.validate_table`` (casts and checks); then the
cross-table checks and ``engine.score_run`` (every KPI's lazy plan, collected together). The sum is close to
what ``csmkpi score`` takes after start-up. The scans are run on their own for the breakdown, so the total of
the rows exceeds one real run; the ``read_table`` column is the real cost.

It imports csmkpi internals (``loading``, ``dataset``, ``engine``), so it follows csmkpi's code as it is today;
it is a diagnostic, not part of the timed benchmark.
"""

from __future__ import annotations

import argparse
import time
from datetime import date
from pathlib import Path

import polars as pl

from csmkpi import dataset, engine, loading
from csmkpi.schemas import TABLES, table_spec
from csmkpi.validation import TableOptions, validate_table

ROOT = Path(__file__).resolve().parent.parent


def clock() -> tuple[float, float]:
    """(wall seconds, CPU seconds of this process, all threads): CPU time is robust to a busy machine."""
    return time.perf_counter(), time.process_time()


def since(t0: tuple[float, float], t1: tuple[float, float]) -> tuple[float, float]:
    """Wall and CPU seconds between two clocks."""
    return t1[0] - t0[0], t1[1] - t0[1]


def cell(phase: tuple[float, float]) -> str:
    """``wall (cpu)``."""
    return f"{phase[0]:.2f} ({phase[1]:.2f})"


def main(argv: list[str] | None = None) -> int:
    """Time the phases and print a Markdown table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--period", default="2026-Q3")
    parser.add_argument("--as-of", default="2026-10-15")
    parser.add_argument("--config", type=Path, default=ROOT / "configs" / "kpis.yaml")
    args = parser.parse_args(argv)

    started = clock()
    request = engine.ScoreRequest(config=args.config, period=args.period, as_of=date.fromisoformat(args.as_of))
    config, metrics, _ = engine.load_metrics_and_config(request.config)
    kpis = engine._select_kpis(config, metrics, ())
    needs = dataset.merge_columns(dataset.dimension_columns("csm"), *(k.metric.columns for k in kpis))
    print(f"config and metrics: {cell(since(started, clock()))} s; {len(kpis)} KPIs\n")
    print("Seconds as wall (CPU, all threads).\n")
    print("| table | rows | MB | read_bytes | text scan | structure scan | read_table | validate |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    totals = [(0.0, 0.0)] * 5
    for table in TABLES:
        if table not in needs:
            continue
        source = dataset._source(table, args.data, None)
        if source is None:
            continue
        specs = table_spec(table)
        required = [name for name, spec in specs.items() if spec.required]
        wanted = [c for c in specs if c in set(needs[table]) | set(TABLES[table].unique)]

        t0 = clock()
        data = loading.read_bytes(source)
        t1 = clock()
        delimiter, header = loading.read_header(source, data)
        mapping, _ = loading.resolve_columns(source, header, wanted, required)
        pl.scan_csv(
            data, separator=delimiter, infer_schema=False, truncate_ragged_lines=True, empty_string_is_null=False
        ).select([pl.col(user).alias(canonical) for canonical, user in mapping.items()]).collect()
        t2 = clock()
        loading._structure(data, delimiter).collect()
        t3 = clock()
        del data
        raw = loading.read_table(source, wanted, required)
        t4 = clock()
        frame, issues = validate_table(raw, TableOptions(), config.checks)
        t5 = clock()
        phases = [since(t0, t1), since(t1, t2), since(t2, t3), since(t3, t4), since(t4, t5)]
        totals = [(a[0] + b[0], a[1] + b[1]) for a, b in zip(totals, phases, strict=True)]
        size = source.path.stat().st_size / 1e6
        cells = " | ".join(cell(p) for p in phases)
        print(f"| {table} | {frame.height:,} | {size:.0f} | {cells} |")
        del raw, frame
    print(f"| **total** | | | {' | '.join(cell(t) for t in totals)} |")

    t0 = clock()
    run = engine.prepare(engine.ScoreRequest(config=args.config, data=args.data, period=args.period,
                                             as_of=date.fromisoformat(args.as_of)))  # fmt: skip
    t1 = clock()
    engine.score_run(run, "csm")
    t2 = clock()
    print(f"\nengine.prepare (load + validate + cross checks, as score runs it): {cell(since(t0, t1))} s")
    print(f"engine.score_run (all KPI plans, one collect_all, scoring): {cell(since(t1, t2))} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
