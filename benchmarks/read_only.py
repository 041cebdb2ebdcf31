"""The floor: Polars only reading the columns csmkpi needs, as text, and nothing else.

    python benchmarks/read_only.py --data DIR [--needs '{"tickets": ["ticket_id", ...], ...}']

Every needed file is scanned with ``infer_schema=False`` (all columns as text, as csmkpi reads them), the needed
columns are selected and all files are collected together with ``pl.collect_all``. No casting, no validation, no
KPI. The benchmark compares ``csmkpi score`` with this time (target: at most 2x).

``--needs`` (JSON: table -> columns) is what ``run.py`` passes, computed once from the config with csmkpi's own
rules (``needed_columns``); without it the script computes it itself, which imports csmkpi and so adds its
import time to the measurement.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def needed_columns(config: Path, by: str = "csm") -> dict[str, list[str]]:
    """Tables and columns ``csmkpi score`` reads for a config: the dimension's, each KPI's, and each table's keys."""
    from csmkpi import dataset
    from csmkpi.engine import ScoreRequest, _select_kpis, load_metrics_and_config
    from csmkpi.schemas import TABLES, table_spec

    loaded, metrics, _ = load_metrics_and_config(ScoreRequest(config=config).config)
    kpis = _select_kpis(loaded, metrics, ())
    needs = dataset.merge_columns(dataset.dimension_columns(by), *(kpi.metric.columns for kpi in kpis))
    return {
        table: [c for c in table_spec(table) if c in columns | set(TABLES[table].unique)]
        for table, columns in sorted(needs.items())
    }


def read(data: Path, needs: dict[str, list[str]]) -> dict[str, int]:
    """Read the needed columns of the files present; return rows per table."""
    import polars as pl

    plans = {}
    for table, columns in needs.items():
        path = data / f"{table}.csv"
        if not path.is_file():
            continue
        header = pl.scan_csv(path, infer_schema=False).collect_schema().names()
        plans[table] = pl.scan_csv(path, infer_schema=False).select([c for c in columns if c in header])
    frames = pl.collect_all(list(plans.values()))
    return {table: frame.height for table, frame in zip(plans, frames, strict=True)}


def main(argv: list[str] | None = None) -> int:
    """Parse the command line and read."""
    parser = argparse.ArgumentParser(description="Read the needed columns as text with Polars (benchmark floor).")
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--needs", help="JSON {table: [columns]} (default: computed from --config via csmkpi)")
    parser.add_argument("--config", type=Path, default=ROOT / "configs" / "kpis.yaml")
    parser.add_argument("--verbose", action="store_true", help="print rows per table")
    args = parser.parse_args(argv)
    needs = json.loads(args.needs) if args.needs else needed_columns(args.config)
    rows = read(args.data, needs)
    if args.verbose:
        for table, count in rows.items():
            print(f"{table}: {count:,} rows, columns {', '.join(needs[table])}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
