"""The bundled sample data: the committed files are what the seeded generator writes, and tell their story."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from csmkpi import engine
from csmkpi.sample import HEADERS, build_tables, csv_text

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "sample_data"
TABLES = build_tables()


@pytest.mark.parametrize("table", sorted(TABLES))
def test_the_committed_file_is_what_the_generator_writes(table):
    written = (SAMPLE / f"{table}.csv").read_bytes()
    assert csv_text(HEADERS[table], TABLES[table]).encode("utf-8") == written, (
        f"sample_data/{table}.csv differs from the generator: run python sample_data/generate.py"
    )


def test_the_generator_is_deterministic():
    assert build_tables() == TABLES


def score(tmp_path: Path, kpis: str, by: str = "csm") -> dict:  # type: ignore[type-arg]
    config = tmp_path / "kpis.yaml"
    config.write_text(f"version: 1\ndata: {{dir: {SAMPLE}}}\nscoring: {{min_sample: 1}}\nkpis:\n{kpis}")
    card = engine.score(engine.ScoreRequest(config=config, period="2026-Q3", as_of=date(2026, 10, 15), by=by))
    return {(r["group"], r["kpi"]): r for r in card.long_table().iter_rows(named=True)}


def test_enterprise_underuses_its_seats(tmp_path):
    rows = score(tmp_path, "  - {id: seats, metric: seat_utilisation}\n", by="segment")
    enterprise, mid, smb = (rows[(s, "seats")]["value"] for s in ("Enterprise", "Mid-Market", "SMB"))
    assert enterprise < 0.6 < 0.7 < mid < 0.9 < 1.0 < smb  # shelfware; healthy; shared logins (over-use)


def test_accounts_onboarded_on_time_mostly_reach_the_milestone(tmp_path):
    rows = score(tmp_path, "  - {id: first, metric: milestone_on_time, params: {milestone: first_report, days: 90}}\n")
    # A054 (onboarded in 17 days) reached it; A055, A057 and A060 (onboarded late) did not
    assert (rows[("ALL", "first")]["numerator"], rows[("ALL", "first")]["denominator"]) == (1, 4)
