"""``csmkpi trend --limits`` end to end (SPEC §8.1): columns, files per sub-period, terminal view, exit codes.

FCR of one account over the 12 months 2025-10 .. 2026-09: 20 resolved tickets a month, of which
8, 9, 8, 7, 8, 9, 2, 8, 7, 8, 9, 8 are one-touch. 2026-04 (0.10) is far below the others.
"""

from __future__ import annotations

import json

import polars as pl
import pytest
from typer.testing import CliRunner

from csmkpi.cli.app import app
from csmkpi.insights.limits import COLUMNS

KPIS = """
version: 1
data: {dir: data}
scoring: {amber_at: 0.9, cap: 1.5, min_sample: 5}
limits: {min_points: 6, run_length: 8}
kpis:
  - {id: fcr, metric: fcr, label: First contact resolution, target: 0.4}
  - {id: csat, metric: csat, target: 0.9}
"""
MONTHS = ["2025-10", "2025-11", "2025-12", "2026-01", "2026-02", "2026-03",
          "2026-04", "2026-05", "2026-06", "2026-07", "2026-08", "2026-09"]  # fmt: skip
ONE_TOUCH = [8, 9, 8, 7, 8, 9, 2, 8, 7, 8, 9, 8]
RANGE = ("--from", "2025-10-01", "--to", "2026-09-30", "--as-of", "2026-10-15")
LONG = (
    "period,period_start,period_end,group_by,group,kpi,label,value,numerator,denominator,sample_size,target,"
    "attainment,status"
).split(",")


def tickets() -> str:
    lines = ["ticket_id,account_id,opened_at,resolved_at,contacts,reopened"]
    for month, good in zip(MONTHS, ONE_TOUCH, strict=True):
        for i in range(20):
            lines.append(f"T{month}-{i},A1,{month}-10T09:00:00,{month}-11T09:00:00,{1 if i < good else 3},false")
    return "\n".join(lines) + "\n"


@pytest.fixture
def config(build):
    return build(kpis=KPIS, csms="csm_id\nalice\n", accounts="account_id,csm_id\nA1,alice\n", tickets=tickets())


def trend(config, *args: str, env=None):
    return CliRunner().invoke(app, ["trend", "-c", str(config), *RANGE, "--limits", *args], env=env)


def test_long_rows_gain_the_limit_columns(config):
    result = trend(config, "--format", "csv")
    assert result.exit_code == 0, result.output
    frame = pl.read_csv(result.stdout_bytes)
    assert frame.columns == [*LONG, *COLUMNS]
    fcr = frame.filter((pl.col("kpi") == "fcr") & (pl.col("group") == "ALL"))
    assert fcr["value"].to_list() == pytest.approx([g / 20 for g in ONE_TOUCH])
    assert fcr["centre"].n_unique() == 1 and fcr["centre"][0] == pytest.approx(sum(ONE_TOUCH) / 240)
    # mR̄ = (1+1+1+1+1+7+6+1+1+1+1)/20/11 = 0.1: range limit 0.3268; mR 0.35 into 2026-04, 0.30 out of it.
    assert fcr.filter(pl.col("period") == "2026-04")["signal"].to_list() == ["limit;range"]
    assert fcr.filter(pl.col("period") == "2026-05")["signal"].to_list() == [None]
    assert fcr["baseline"].to_list() == [True] * 12


def test_each_sub_period_file_has_the_limits_of_the_whole_range(config, tmp_path):
    result = trend(config, "--output", str(tmp_path / "{period}.csv"), "--quiet")
    assert result.exit_code == 0, result.output
    files = sorted(tmp_path.glob("*.csv"))
    assert [f.stem for f in files] == MONTHS
    header, *lines = trend(config, "-f", "csv").stdout.splitlines(keepends=True)
    for file in files:
        mine = [line for line in lines if line.startswith(f'"{file.stem}"')]
        assert file.read_text() == header + "".join(mine), file


def test_baseline_changes_the_limits_not_the_range_of_signals(config):
    frame = pl.read_csv(trend(config, "--baseline", "6", "-f", "csv").stdout_bytes)
    fcr = frame.filter((pl.col("kpi") == "fcr") & (pl.col("group") == "ALL"))
    assert fcr["centre"][0] == pytest.approx(sum(ONE_TOUCH[:6]) / 120)
    assert fcr["baseline"].to_list() == [True] * 6 + [False] * 6
    assert "limit" in fcr.filter(pl.col("period") == "2026-04")["signal"][0]


def test_json_keeps_booleans_and_nulls(config):
    data = json.loads(trend(config, "-f", "json").stdout)
    row = next(r for r in data if r["kpi"] == "csat" and r["group"] == "ALL")
    assert row["baseline"] is False and row["signal"] is None and row["centre"] is None


def test_a_series_without_limits_warns_once_and_strict_fails(config):
    result = trend(config, "-f", "csv")
    assert result.stderr.count("no control limits for csat ALL: 0 usable baseline points, 6 needed") == 1
    strict = trend(config, "-f", "csv", "--strict", "-o", "out.csv")
    assert strict.exit_code == 65 and strict.stdout == ""


def test_many_series_without_limits_show_20_then_the_right_count(build):
    # 30 CSMs, one account each, tickets for A1 only and no surveys: most series have no limits.
    csms = "csm_id\n" + "".join(f"c{i:02}\n" for i in range(30))
    accounts = "account_id,csm_id\n" + "".join(f"A{i + 1},c{i:02}\n" for i in range(30))
    config = build(kpis=KPIS, csms=csms, accounts=accounts, tickets=tickets())
    result = trend(config, "-f", "csv")
    assert result.exit_code == 0, result.output
    frame = pl.read_csv(result.stdout_bytes)
    without = frame.filter(pl.col("centre").is_null()).select("group", "kpi").unique().height
    assert without > 40
    lines = result.stderr.splitlines()
    assert sum("no control limits for" in line for line in lines) == 20
    assert f"... and {without - 20} more problems like these" in lines
    strict = trend(config, "-f", "csv", "--strict", "-o", "out.csv")
    assert strict.exit_code == 65
    # every series' warning counts, and csat's one: not computable without surveys.csv
    assert f"error: --strict: {without + 1} warnings; nothing written" in strict.stderr


def test_terminal_view_marks_signals_and_lists_them(config):
    result = trend(config, "-f", "table", env={"COLUMNS": "140"})
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "Control limits for ALL by month" in out and "^" in out
    lines = [line for line in out.splitlines() if line.startswith("fcr ALL")]
    assert lines[0].startswith("fcr ALL 2026-04 0.100 below lower limit 0.")
    assert "fcr ALL 2026-04 0.100 moving range 0.350 above range limit 0.327" in lines


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--layout", "wide"), "--layout wide"),
        (("--baseline", "1"), "at least 2"),
        (("--baseline", "13"), "more than the 12 sub-periods"),
    ],
)
def test_usage_errors(config, args, message):
    result = trend(config, *args)
    assert result.exit_code == 2, result.output
    assert message in result.output


def test_quarters_and_every_dimension_work(config):
    for by in ("csm", "team", "manager", "segment", "region"):
        result = trend(config, "--every", "quarter", "--by", by, "-f", "csv", "--quiet")
        assert result.exit_code == 0, (by, result.output)
        assert pl.read_csv(result.stdout_bytes)["period"].unique().sort().to_list() == [
            "2025-Q4", "2026-Q1", "2026-Q2", "2026-Q3"
        ]  # fmt: skip


def test_same_bytes_twice(config):
    assert trend(config, "-f", "csv").stdout_bytes == trend(config, "-f", "csv").stdout_bytes


@pytest.mark.parametrize("fmt", ["csv", "tsv", "json", "parquet", "xlsx", "markdown"])
def test_every_format_has_the_limit_columns(config, tmp_path, fmt):
    ext = {"markdown": "md"}.get(fmt, fmt)
    out = tmp_path / f"limits.{ext}"
    result = trend(config, "--output", str(out), "--quiet")
    assert result.exit_code == 0, result.output
    if fmt == "parquet":
        frame = pl.read_parquet(out)
        assert frame.columns == [*LONG, *COLUMNS] and frame["baseline"].dtype == pl.Boolean
    elif fmt == "json":
        assert set(COLUMNS) <= set(json.loads(out.read_text())[0])
    elif fmt == "xlsx":
        assert out.read_bytes()[:2] == b"PK"
    else:
        header = out.read_text().splitlines()[0]
        assert all(column in header for column in COLUMNS)


def test_usable_points_need_scoring_min_sample_even_when_a_kpi_sets_its_own(build):
    """SPEC 8.1: usable = a value and sample_size >= scoring.min_sample (5); fcr's own min_sample: 1 rules its status only.

    Four tickets a month: every fcr point has a value and sample 4, so none is usable: no limits, no signal.
    """
    lines = ["ticket_id,account_id,opened_at,resolved_at,contacts,reopened"]
    for month in MONTHS:
        lines += [f"T{month}-{i},A1,{month}-10T09:00:00,{month}-11T09:00:00,{1 if i else 3},false" for i in range(4)]
    kpis = KPIS.replace("target: 0.4}", "target: 0.4, min_sample: 1}")
    config = build(
        kpis=kpis, csms="csm_id\nalice\n", accounts="account_id,csm_id\nA1,alice\n", tickets="\n".join(lines) + "\n"
    )
    result = trend(config, "--format", "csv", "--kpi", "fcr")
    assert result.exit_code == 0, result.output
    fcr = pl.read_csv(result.stdout_bytes).filter(pl.col("group") == "ALL")
    assert fcr["value"].to_list() == pytest.approx([0.75] * 12) and fcr["status"].to_list() == ["green"] * 12
    assert fcr["baseline"].to_list() == [False] * 12
    assert fcr["centre"].null_count() == 12 and fcr["signal"].null_count() == 12


def test_the_terminal_group_is_found_in_any_case_and_a_typo_gets_did_you_mean(config):
    shown = trend(config, "-f", "table", "--group", "ALICE", env={"COLUMNS": "140"})
    assert shown.exit_code == 0, shown.output
    assert "Control limits for alice by month" in shown.stdout
    typo = trend(config, "-f", "table", "--group", "alce")
    assert typo.exit_code == 2 and "did you mean alice" in typo.stderr, typo.output
