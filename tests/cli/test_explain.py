"""``csmkpi explain``: unit rows behind one group's number; totals reconcile with ``score``."""

from __future__ import annotations

import json

import pytest
from cli_support import AS_OF, CONFIG, PERIOD, as_dicts, kpi_ids

EXPLAIN = ("explain", "--config", str(CONFIG), "--period", PERIOD, "--as-of", AS_OF)


def scorecard(cli, by: str = "csm") -> dict[tuple[str, str], dict]:
    args = ("score", "--config", str(CONFIG), "--period", PERIOD, "--as-of", AS_OF, "--by", by)
    rows = json.loads(cli(*args, "--layout", "long", "--format", "json").stdout)
    return {(r["group"], r["kpi"]): r for r in rows}


@pytest.fixture(scope="module")
def card() -> dict[tuple[str, str], dict]:
    from typer.testing import CliRunner

    from csmkpi.cli.app import app

    return scorecard(lambda *args: CliRunner().invoke(app, [str(a) for a in args]))


@pytest.mark.parametrize("kpi", kpi_ids())
@pytest.mark.parametrize("group", ["bob", "carol", "(unassigned)", "heidi", "ALL"])
def test_totals_reconcile_with_the_scorecard(cli, card, kpi, group):
    result = cli(*EXPLAIN, kpi, "--group", group, "--format", "json", "--quiet")
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    total = rows[-1]
    assert total["account_id"] == "TOTAL"
    expected = card[(group, kpi)]
    if expected["value"] is None:
        assert total["value"] is None
    else:
        assert total["value"] == pytest.approx(expected["value"])
    for column, key in (("numerator", "numerator"), ("denominator", "denominator"), ("sample", "sample_size")):
        want = expected[key]
        assert total[column] == (pytest.approx(want) if want is not None else None), column
    units = rows[:-1]
    assert sum(u["sample"] for u in units) == expected["sample_size"]
    if expected["numerator"] is not None and kpi != "cost_to_serve":
        assert sum(u["numerator"] for u in units) == pytest.approx(expected["numerator"])


def test_biggest_contributors_first_with_names_and_shares(cli):
    rows = as_dicts(cli(*EXPLAIN, "nrr", "--group", "bob", "--format", "csv").stdout)
    units = rows[:-1]
    numerators = [float(r["numerator"]) for r in units]
    assert numerators == sorted(numerators, reverse=True)
    assert all(r["account_name"] for r in units)
    assert sum(float(r["share"]) for r in units) == pytest.approx(1.0)
    assert {r["owner"] for r in units} == {"bob"}
    assert rows[-1]["account_id"] == "TOTAL"


def test_group_by_csm_name_and_other_dimensions(cli):
    by_name = json.loads(cli(*EXPLAIN, "csat", "--group", "bob martinez", "--format", "json").stdout)
    by_id = json.loads(cli(*EXPLAIN, "csat", "--group", "bob", "--format", "json").stdout)
    assert by_name == by_id
    team = json.loads(cli(*EXPLAIN, "nrr", "--by", "team", "--group", "Enterprise", "--format", "json").stdout)
    assert team[-1]["value"] == pytest.approx(scorecard(cli, "team")[("Enterprise", "nrr")]["value"])


@pytest.mark.parametrize("fmt", ["csv", "tsv", "markdown", "json"])
def test_every_format(cli, fmt):
    result = cli(*EXPLAIN, "nrr", "--group", "alice", "--format", fmt)
    assert result.exit_code == 0 and "TOTAL" in result.stdout


def test_parquet_output(cli, tmp_path):
    import polars as pl

    target = tmp_path / "x.parquet"
    assert cli(*EXPLAIN, "nrr", "--group", "alice", "--output", str(target)).exit_code == 0
    assert pl.read_parquet(target)["account_id"].to_list()[-1] == "TOTAL"


def test_unknown_kpi_or_group_is_a_usage_error(cli):
    bad_kpi = cli(*EXPLAIN, "nope", "--group", "alice")
    assert bad_kpi.exit_code == 2 and "nrr" in bad_kpi.output
    bad_group = cli(*EXPLAIN, "nrr", "--group", "zed")
    assert bad_group.exit_code == 2 and "alice" in bad_group.output


@pytest.mark.parametrize("kpi", ["fcr", "csat", "touch_cadence", "nrr", "grr", "arr_per_csm", "cost_to_serve"])
def test_the_same_rows_print_the_same_bytes_in_any_file_order(cli, sample_copy, kpi):
    # A table read from the cache is in event-date order, not the file's: explain must not depend on it,
    # shares included (a sum of floats in another order can differ in its last digit).
    def explained() -> bytes:
        args = (*EXPLAIN, kpi, "--data", sample_copy, "--format", "csv", "--quiet", "--no-cache")
        result = cli(*args)
        assert result.exit_code == 0, result.output
        return result.stdout_bytes

    before = explained()
    for name in ("tickets.csv", "surveys.csv", "activities.csv", "accounts.csv", "mrr.csv", "assignments.csv"):
        header, *rows = (sample_copy / name).read_text(encoding="utf-8").splitlines(keepends=True)
        (sample_copy / name).write_text(header + "".join(reversed(rows)), encoding="utf-8")
    assert explained() == before
