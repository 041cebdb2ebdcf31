"""Constants and helpers shared by the CLI tests (imported by name; pytest puts tests/cli on sys.path)."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import yaml

ROOT = Path(__file__).parents[2]
CONFIG = ROOT / "configs" / "kpis.yaml"
SAMPLE = ROOT / "sample_data"
PERIOD = "2026-Q3"
AS_OF = "2026-10-15"
# The reference run of sample_data/README.md (a `csmkpi score` argument list).
BASE = ("score", "--config", str(CONFIG), "--period", PERIOD, "--as-of", AS_OF)

LONG_HEADER = (
    "period,period_start,period_end,group_by,group,kpi,label,value,numerator,denominator,"
    "sample_size,target,attainment,status"
).split(",")
GROUP_HEADER = ["period", "period_start", "period_end", "group_by", "group"]
TABLES = ("accounts", "csms", "mrr", "tickets", "surveys", "opportunities", "activities", "assignments")
CSMS = ("alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi")


MOVEMENTS = ("new", "reactivation", "expansion", "contraction", "churn")


def kpi_ids() -> list[str]:
    """The KPI ids of the bundled config, in config order; mrr_movements without a movement reports all five."""
    ids: list[str] = []
    for k in yaml.safe_load(CONFIG.read_text(encoding="utf-8"))["kpis"]:
        if k["metric"] == "mrr_movements" and "movement" not in k.get("params", {}):
            ids.extend(f"{k['id']}_{m}" for m in MOVEMENTS)
        else:
            ids.append(k["id"])
    return ids


def wide_header() -> list[str]:
    return [*GROUP_HEADER, *kpi_ids(), "score", "rank"]


def parse_delimited(text: str, delimiter: str = ",") -> list[list[str]]:
    """Rows of a CSV/TSV text, header included."""
    return list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))


def as_dicts(text: str, delimiter: str = ",") -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text, newline=""), delimiter=delimiter))


def set_field(path: Path, line: int, column: str, value: str) -> None:
    """Set one field of a CSV file, addressed by physical line (header = 1) and column name.

    Only that line is rewritten; every other byte of the file stays as it was.
    """
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    header = next(csv.reader([lines[0]]))
    fields = next(csv.reader([lines[line - 1]]))
    fields[header.index(column)] = value
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerow(fields)
    lines[line - 1] = out.getvalue()
    path.write_text("".join(lines), encoding="utf-8")


def base_with(data: Path, *extra: str | Path) -> list[str | Path]:
    """The reference run on another data folder."""
    return [*BASE, "--data", data, *extra]
