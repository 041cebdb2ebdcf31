"""Where the output tests' departments come from (a module of its own: conftest names clash across folders)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / "configs" / "kpis.yaml"
SAMPLE = ROOT / "sample_data"
AS_OF = date(2026, 10, 15)
SIZES = {"small": None, "csm90": 90, "csm2000": 2000}
