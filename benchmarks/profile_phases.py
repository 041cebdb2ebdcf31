"""Where ``csmkpi score`` spends its time: per table and phase, with csmkpi's own functions.

    python benchmarks/profile_phases.py --data benchmarks/data/M [--period 2026-Q3 --as-of 2026-10-15]

For every table the config needs it times how ``dataset.load`` reads it, one table after the other and
every row kept (no narrowing, no cache): ``fastpath.read_fast`` (one typed read that proves a clean file
valid), and for a file it declines ``loading.read_table`` plus ``validation.validate_table`` (the careful
path; the table says which path answered). Then ``engine.prepare`` as ``score --no-cache`` runs it (all of
loading, narrowed, plus the cross-table checks) and ``engine.score_run`` (the KPIs' units, ownership,
pooling, rollups and scoring). The per-table rows and ``prepare`` measure the same work twice; the sum of
``prepare`` and ``score_run`` is close to what ``csmkpi score --no-cache`` takes after start-up.

It imports csmkpi internals (``loading``, ``dataset``, ``engine``), so it follows csmkpi's code as it is today;
it is a diagnostic, not part of the timed benchmark.
"""

from __future__ import annotations

import argparse
import time
from datetime import date
from pathlib import Path

from csmkpi import dataset, engine
from csmkpi.fastpath import read_fast
from csmkpi.loading import read_table
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
    print("| table | rows | MB | path | read_fast | careful path |")
    print("|---|---:|---:|---|---:|---:|")
    totals = [(0.0, 0.0)] * 2
    for table in TABLES:
        if table not in needs:
            continue
        source = dataset.find_source(table, args.data, config.data.tables.get(table))
        if source is None:
            continue
        specs = table_spec(table)
        required = [name for name, spec in specs.items() if spec.required]
        wanted = [c for c in specs if c in dataset._with_rule_columns(table, needs[table])]

        t0 = clock()
        frame, scanned = read_fast(source, wanted, required, TableOptions())
        t1 = clock()
        path, careful = "fast", (0.0, 0.0)
        if frame is None:  # declined: the careful path reads and validates it
            raw = read_table(source, wanted, required, scanned)
            frame, _ = validate_table(raw, TableOptions(), config.checks)
            path, careful = "careful", since(t1, clock())
        phases = [since(t0, t1), careful]
        totals = [(a[0] + b[0], a[1] + b[1]) for a, b in zip(totals, phases, strict=True)]
        size = source.path.stat().st_size / 1e6
        print(f"| {table} | {frame.height:,} | {size:.0f} | {path} | {' | '.join(cell(p) for p in phases)} |")
        del frame
    print(f"| **total** | | | | {' | '.join(cell(t) for t in totals)} |")

    t0 = clock()
    run = engine.prepare(engine.ScoreRequest(config=args.config, data=args.data, period=args.period,
                                             as_of=date.fromisoformat(args.as_of)))  # fmt: skip
    t1 = clock()
    engine.score_run(run, "csm")
    t2 = clock()
    print(f"\nengine.prepare (load + validate + cross checks, as score --no-cache runs it): {cell(since(t0, t1))} s")
    print(f"engine.score_run (the KPIs' units, ownership, pooling, rollups, scoring): {cell(since(t1, t2))} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
