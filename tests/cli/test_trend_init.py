"""``csmkpi trend`` (one file per month for cron) and ``csmkpi init`` (a starter that runs as is)."""

from __future__ import annotations

import json

import pytest
from cli_support import AS_OF, CONFIG, as_dicts, kpi_ids

TREND = ("trend", "--config", str(CONFIG), "--as-of", AS_OF)


def score_json(cli, period: str) -> list[dict]:
    args = ("score", "--config", str(CONFIG), "--period", period, "--as-of", AS_OF, "--layout", "long")
    return json.loads(cli(*args, "--format", "json").stdout)


def test_one_file_per_month_for_a_year_each_equal_to_score(cli, tmp_path):
    result = cli(*TREND, "--period", "FY2026", "--output", str(tmp_path / "{period}.csv"), "--quiet")
    # FY2026 (calendar 2026) as of 2026-10-15: 12 months, the last ones in the future (partial, no data)
    assert result.exit_code == 0, result.output
    assert result.stderr == ""
    files = sorted(p.name for p in tmp_path.iterdir())
    assert files == [f"2026-{m:02d}.csv" for m in range(1, 13)]
    for month in ("2026-01", "2026-07", "2026-09"):
        expected = cli("score", "--config", str(CONFIG), "--period", month, "--as-of", AS_OF, "--layout", "long")
        assert (tmp_path / f"{month}.csv").read_text() == expected.stdout


def test_last_twelve_complete_months_by_default(cli):
    rows = as_dicts(cli(*TREND).stdout)
    assert sorted({r["period"] for r in rows}) == [f"2025-{m:02d}" for m in range(10, 13)] + [
        f"2026-{m:02d}" for m in range(1, 10)
    ]


def test_quarters_single_file_long_and_wide(cli):
    long = as_dicts(cli(*TREND, "--period", "2026-H1", "--every", "quarter").stdout)
    assert [r["period"] for r in long if r["group"] == "ALL" and r["kpi"] == "nrr"] == ["2026-Q1", "2026-Q2"]
    q2 = {(r["group"], r["kpi"]): r["value"] for r in score_json(cli, "2026-Q2")}
    for row in long:
        if row["period"] == "2026-Q2":
            want = q2[(row["group"], row["kpi"])]
            assert (float(row["value"]) if row["value"] else None) == (
                pytest.approx(want) if want is not None else None
            )
    wide = as_dicts(cli(*TREND, "--period", "2026-H1", "--every", "quarter", "--layout", "wide").stdout)
    assert [r["period"] for r in wide if r["group"] == "ALL"] == ["2026-Q1", "2026-Q2"]
    assert set(kpi_ids()) <= set(wide[0])


def test_terminal_view_for_one_group(cli):
    result = cli(*TREND, "--period", "2026-Q3", "--format", "table", "--group", "alice")
    assert result.exit_code == 0
    assert "Net revenue retention" in result.stdout and "2026-09" in result.stdout
    bad = cli(*TREND, "--period", "2026-Q3", "--format", "table", "--group", "zed")
    assert bad.exit_code == 2


def test_bad_grain_is_a_usage_error(cli):
    assert cli(*TREND, "--every", "week").exit_code == 2


def test_init_writes_a_starter_that_runs_as_is(cli, tmp_path):
    target = tmp_path / "starter"
    assert cli("init", str(target)).exit_code == 0
    config = target / "kpis.yaml"
    text = config.read_text()
    from csmkpi.metrics.registry import builtin_metrics

    for name in builtin_metrics():
        assert f"metric: {name}" in text, name  # every metric is listed, most commented
    scored = cli("score", "--config", str(config), "--period", "2026-Q3", "--as-of", AS_OF, "--quiet")
    assert scored.exit_code == 0, scored.output
    assert as_dicts(scored.stdout)[-1]["group"] == "ALL"
    assert cli("validate", "--config", str(config)).exit_code == 0
    again = cli("init", str(target))
    assert again.exit_code == 73 and "--force" in again.output
    assert cli("init", str(target), "--force").exit_code == 0


@pytest.mark.parametrize("error", ["disk full", "interrupted"])
def test_an_init_that_fails_leaves_no_project_behind(tmp_path, monkeypatch, error):
    # A full disk left kpis.yaml and 8 of 10 tables, and the next init then refused ("already exists").
    from csmkpi import starter
    from csmkpi.errors import WriteError

    real, calls = starter.write_file, []

    def failing(path, payload):  # type: ignore[no-untyped-def]
        calls.append(path)
        if len(calls) == 4:
            raise (
                WriteError(f"{path}: error while writing: No space left on device")
                if error == "disk full"
                else (KeyboardInterrupt())
            )
        return real(path, payload)

    monkeypatch.setattr(starter, "write_file", failing)
    target = tmp_path / "new" / "project"
    with pytest.raises((WriteError, KeyboardInterrupt)):
        starter.init(target)
    assert not (tmp_path / "new").exists()
    kept = tmp_path / "kept"
    (kept / "data").mkdir(parents=True)
    (kept / "notes.txt").write_text("mine")
    calls.clear()
    with pytest.raises((WriteError, KeyboardInterrupt)):
        starter.init(kept)
    assert sorted(p.name for p in kept.rglob("*")) == ["data", "notes.txt"]
