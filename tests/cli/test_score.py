"""``csmkpi score`` end to end on the bundled sample (SPEC §5, §6).

The reference run is ``--config configs/kpis.yaml --period 2026-Q3 --as-of 2026-10-15`` (sample_data/README.md).
Broken or edited data always lives in a ``tmp_path`` copy of sample_data, passed with ``--data``.
"""

from __future__ import annotations

import json
import os
import re
import stat
import subprocess
import sys
from datetime import date
from pathlib import Path

import polars as pl
import pytest
from cli_support import (
    AS_OF,
    BASE,
    CONFIG,
    CSMS,
    GROUP_HEADER,
    LONG_HEADER,
    PERIOD,
    ROOT,
    as_dicts,
    base_with,
    kpi_ids,
    parse_delimited,
    set_field,
    wide_header,
)
from polars.testing import assert_frame_equal

from csmkpi import engine

ACCEPTED_PERIOD_FORMS = ("2026-Q3", "Q3", "2026-07", "2026-H1", "FY2026", "last-month", "last-quarter", "ytd", "--from")
ORPHAN = "A999"  # the one ticket whose account is not in accounts.csv (sample_data/README.md)


def library(by: str = "csm", kpis: tuple[str, ...] = ()) -> engine.Scorecard:
    return engine.score(
        engine.ScoreRequest(config=CONFIG, period=PERIOD, as_of=date.fromisoformat(AS_OF), by=by, kpis=kpis)
    )


def jsonable(frame: pl.DataFrame) -> list[dict[str, object]]:
    """Rows as JSON would carry them: dates as ISO text."""
    return [
        {k: v.isoformat() if isinstance(v, date) else v for k, v in row.items()} for row in frame.iter_rows(named=True)
    ]


def assert_clean_error(result, code: int) -> None:  # type: ignore[no-untyped-def]
    """A user error: the exit code, a message on stderr, nothing on stdout, no traceback anywhere."""
    assert result.exit_code == code, (result.exit_code, result.stdout, result.stderr)
    assert result.stdout == ""
    assert result.stderr.strip()
    assert "Traceback" not in result.stderr
    assert "Traceback" not in result.output


def one_line(text: str) -> str:
    return " ".join(text.split())


# --------------------------------------------------------------------------- formats and layouts


@pytest.mark.parametrize("fmt, delimiter", [("csv", ","), ("tsv", "\t")])
def test_long_layout_header_and_rows(cli, fmt, delimiter):
    result = cli(*BASE, "--layout", "long", "--format", fmt)
    assert result.exit_code == 0, result.stderr
    rows = parse_delimited(result.stdout, delimiter)
    assert rows[0] == LONG_HEADER
    body = rows[1:]
    groups = [*CSMS, "(unassigned)", "ALL"]
    assert len(body) == len(groups) * len(kpi_ids())
    assert {r[4] for r in body} == set(groups)
    assert body[-1][4] == "ALL"
    # the ALL rows come last, one per KPI in config order
    assert [r[5] for r in body[-len(kpi_ids()) :]] == kpi_ids()
    assert all(r[4] == "ALL" for r in body[-len(kpi_ids()) :])
    assert {(r[0], r[1], r[2], r[3]) for r in body} == {(PERIOD, "2026-07-01", "2026-09-30", "csm")}


def test_long_layout_header_line_names_the_columns_in_order(cli):
    first_line = cli(*BASE, "--layout", "long", "--format", "csv").stdout.splitlines()[0]
    assert first_line.replace('"', "") == ",".join(LONG_HEADER)


@pytest.mark.parametrize("fmt, delimiter", [("csv", ","), ("tsv", "\t")])
def test_wide_layout_header_and_rows(cli, fmt, delimiter):
    result = cli(*BASE, "--layout", "wide", "--format", fmt)
    assert result.exit_code == 0, result.stderr
    rows = parse_delimited(result.stdout, delimiter)
    assert rows[0] == wide_header()
    assert rows[0][: len(GROUP_HEADER)] == GROUP_HEADER
    assert rows[0][-2:] == ["score", "rank"]
    body = rows[1:]
    assert sorted(r[4] for r in body) == sorted([*CSMS, "(unassigned)", "ALL"])
    assert body[-1][4] == "ALL"
    assert body[-1][-1] == ""  # ALL is not ranked


def test_wide_is_the_default_layout(cli):
    default = cli(*BASE, "--format", "csv")
    wide = cli(*BASE, "--format", "csv", "--layout", "wide")
    assert default.stdout_bytes == wide.stdout_bytes


def test_wide_rank_order(cli):
    rows = as_dicts(cli(*BASE, "--format", "csv").stdout)
    ranked = [r for r in rows if r["rank"]]
    assert [int(r["rank"]) for r in ranked] == list(range(1, len(ranked) + 1))
    scores = [float(r["score"]) for r in ranked]
    assert scores == sorted(scores, reverse=True)
    # unranked groups come after the ranked ones, ALL last
    assert rows.index(ranked[-1]) == len(ranked) - 1
    assert rows[-1]["group"] == "ALL"


@pytest.mark.parametrize("layout", ["wide", "long"])
def test_json_equals_library(cli, layout):
    result = cli(*BASE, "--format", "json", "--layout", layout)
    assert result.exit_code == 0, result.stderr
    got = json.loads(result.stdout)
    card = library()
    expected = jsonable(card.wide_table() if layout == "wide" else card.long_table())
    assert got == expected  # exact, floats included
    assert got[-1]["group"] == "ALL"
    assert list(got[0]) == (wide_header() if layout == "wide" else LONG_HEADER)


def test_json_uses_null_for_values_that_cannot_be_computed(cli):
    rows = json.loads(cli(*BASE, "--format", "json", "--layout", "long").stdout)
    heidi = [r for r in rows if r["group"] == "heidi"]  # no accounts: sample_size 0, no values
    assert heidi and all(r["sample_size"] == 0 for r in heidi)
    # SPEC §4: an empty group has an empty value for ratios and medians, 0 for sums (no denominator)
    assert all(r["value"] is None or (r["value"] == 0 and r["denominator"] is None) for r in heidi)
    assert any(r["value"] is None for r in heidi)
    assert "NaN" not in json.dumps(rows) and "Infinity" not in json.dumps(rows)


@pytest.mark.parametrize("layout", ["wide", "long"])
def test_csv_values_equal_library(cli, layout):
    rows = as_dicts(cli(*BASE, "--format", "csv", "--layout", layout).stdout)
    card = library()
    expected = card.wide_table() if layout == "wide" else card.long_table()
    assert len(rows) == expected.height
    for got, want in zip(rows, expected.iter_rows(named=True), strict=True):
        for name, value in want.items():
            if value is None:
                assert got[name] == "", (name, got)
            elif isinstance(value, float):
                assert float(got[name]) == value, (name, got)
            elif isinstance(value, date):
                assert got[name] == value.isoformat()
            else:
                assert got[name] == str(value), (name, got)


@pytest.mark.parametrize("layout", ["wide", "long"])
def test_parquet_output_reads_back_equal_to_library(cli, tmp_path, layout):
    target = tmp_path / "x.parquet"
    result = cli(*BASE, "--layout", layout, "--output", target)
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""
    frame = pl.read_parquet(target)
    card = library()
    assert_frame_equal(frame, card.wide_table() if layout == "wide" else card.long_table())
    assert frame.columns == (wide_header() if layout == "wide" else LONG_HEADER)
    assert frame["group"][-1] == "ALL"
    assert frame.schema["period_start"] == pl.Date
    assert frame.schema["value" if layout == "long" else "nrr"] == pl.Float64


@pytest.mark.parametrize("layout", ["wide", "long"])
def test_markdown(cli, layout):
    result = cli(*BASE, "--format", "markdown", "--layout", layout)
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    # For people (SPEC §6): the CSM's name beside the id; a wide KPI column names its target, and each
    # value carries its status mark.
    header = [*(wide_header() if layout == "wide" else LONG_HEADER)]
    header.insert(header.index("group") + 1, "name")
    targets = {"nrr": "≥ 102.0%", "logo_churn": "≤ 3.0%", "nps": "≥ +30.0"} if layout == "wide" else {}
    cells = [c.strip() for c in lines[0].strip("|").split("|")]
    assert len(cells) == len(header)
    for title, cell in zip(header, cells, strict=True):
        assert cell == (f"{title} {targets[title]}" if title in targets else title) or (
            layout == "wide" and cell.startswith(f"{title} ") and cell[len(title) + 1] in "≥≤"
        )
    assert re.fullmatch(r"\|(---:?\|)+", lines[1]) and lines[1].count("---") == len(header)
    groups = 10
    assert len(lines) == 2 + (groups if layout == "wide" else groups * len(kpi_ids()))
    last = [c.strip() for c in lines[-1].strip("|").split("|")]
    assert last[4:6] == ["ALL", "All"]
    if layout == "wide":
        assert re.fullmatch(r"\d+\.\d% [✓~✗?]", last[header.index("nrr")])


@pytest.mark.parametrize(
    "suffix, check",
    [
        (".json", lambda p: json.loads(p.read_text(encoding="utf-8"))[-1]["group"] == "ALL"),
        (".tsv", lambda p: p.read_text(encoding="utf-8").splitlines()[0].count("\t") == len(wide_header()) - 1),
        (".md", lambda p: p.read_text(encoding="utf-8").startswith("| period |")),
        (".csv", lambda p: parse_delimited(p.read_text(encoding="utf-8"))[0] == wide_header()),
    ],
)
def test_output_extension_picks_the_format(cli, tmp_path, suffix, check):
    target = tmp_path / f"card{suffix}"
    assert cli(*BASE, "--output", target).exit_code == 0
    assert check(target)


def test_csv_is_the_default_on_a_non_terminal_stdout(cli):
    result = cli(*BASE)
    assert result.exit_code == 0, result.stderr
    assert parse_delimited(result.stdout)[0] == wide_header()
    assert result.stdout_bytes == cli(*BASE, "--format", "csv").stdout_bytes


def test_csv_is_the_default_when_piped_in_a_real_process():
    proc = subprocess.run(
        [sys.executable, "-m", "csmkpi", *BASE], cwd=ROOT, capture_output=True, timeout=120, check=False
    )
    assert proc.returncode == 0, proc.stderr
    assert parse_delimited(proc.stdout.decode("utf-8"))[0] == wide_header()
    assert b"\x1b[" not in proc.stdout  # no terminal styling in data
    assert ORPHAN.encode() not in proc.stdout  # messages go to stderr
    assert ORPHAN.encode() in proc.stderr


@pytest.mark.parametrize("flag, value", [("--format", "xml"), ("--layout", "tall"), ("--by", "country")])
def test_bad_choice_is_a_usage_error(cli, flag, value):
    result = cli(*BASE, flag, value)
    assert_clean_error(result, 2)
    assert value in result.stderr


def test_table_format_cannot_go_to_a_file(cli, tmp_path):
    result = cli(*BASE, "--format", "table", "--output", tmp_path / "x.csv")
    assert_clean_error(result, 2)
    assert not (tmp_path / "x.csv").exists()


# --------------------------------------------------------------------------- --by, --kpi, periods

BY_GROUPS = {
    "team": {"Enterprise", "Mid-Market"},
    "manager": {"Maria Lopez", "Tom Becker"},
    "segment": {"Enterprise", "Mid-Market", "SMB"},
    "region": {"NA", "EMEA", "APAC"},
}


@pytest.mark.parametrize("by", sorted(BY_GROUPS))
def test_by_dimension(cli, by):
    result = cli(*BASE, "--by", by, "--format", "json")
    assert result.exit_code == 0, result.stderr
    rows = json.loads(result.stdout)
    assert {r["group_by"] for r in rows} == {by}
    # every member of the dimension, (unassigned) for the unowned accounts and the orphan ticket, ALL last
    assert {r["group"] for r in rows} == BY_GROUPS[by] | {"(unassigned)", "ALL"}
    assert rows[-1]["group"] == "ALL"
    assert rows == jsonable(library(by).wide_table())


def test_all_row_is_the_same_whatever_the_grouping(cli):
    def all_row(by: str) -> dict[str, object]:
        row = json.loads(cli(*BASE, "--by", by, "--format", "json").stdout)[-1]
        # SPEC §4: cost_to_serve's ALL costs every csms.csv member by csm/team/manager, but only the
        # owners of active accounts by segment/region, so it alone may differ.
        return {k: row[k] for k in kpi_ids() if k != "cost_to_serve"}

    reference = all_row("csm")
    for by in BY_GROUPS:
        assert all_row(by) == reference, by


def test_default_grouping_is_csm(cli):
    rows = as_dicts(cli(*BASE).stdout)
    assert {r["group_by"] for r in rows} == {"csm"}
    assert {r["group"] for r in rows} == {*CSMS, "(unassigned)", "ALL"}


def test_kpi_keeps_only_those(cli):
    result = cli(*BASE, "--kpi", "nrr", "--kpi", "csat", "--format", "csv")
    assert result.exit_code == 0, result.stderr
    rows = parse_delimited(result.stdout)
    assert rows[0] == [*GROUP_HEADER, "nrr", "csat", "score", "rank"]
    long = as_dicts(cli(*BASE, "-k", "nrr", "-k", "csat", "--layout", "long").stdout)
    assert {r["kpi"] for r in long} == {"nrr", "csat"}
    # the values are those of the full run
    full = {(r["group"], r["kpi"]): r["value"] for r in as_dicts(cli(*BASE, "--layout", "long").stdout)}
    assert all(full[(r["group"], r["kpi"])] == r["value"] for r in long)


def test_kpi_subset_scores_only_those(cli):
    rows = json.loads(cli(*BASE, "--kpi", "nrr", "--kpi", "csat", "--format", "json").stdout)
    assert rows == jsonable(library(kpis=("nrr", "csat")).wide_table())


def test_unknown_kpi_is_a_usage_error(cli):
    result = cli(*BASE, "--kpi", "nrr", "--kpi", "bogus")
    assert_clean_error(result, 2)
    assert "bogus" in result.stderr
    assert "nrr" in result.stderr  # lists what the config defines


@pytest.mark.parametrize("period", ["2026-Q5", "garbage", "2026-13", "Q3-2026"])
def test_bad_period_is_a_usage_error_listing_the_accepted_forms(cli, period):
    result = cli("score", "--config", CONFIG, "--as-of", AS_OF, "--period", period)
    assert_clean_error(result, 2)
    message = one_line(result.stderr)
    assert period in message
    for form in ACCEPTED_PERIOD_FORMS:
        assert form in message, form


def test_relative_quarter_resolves_against_as_of(cli):
    rows = as_dicts(cli("score", "--config", CONFIG, "--period", "Q3", "--as-of", AS_OF).stdout)
    assert {(r["period"], r["period_start"], r["period_end"]) for r in rows} == {(PERIOD, "2026-07-01", "2026-09-30")}


def test_from_to_month_aligned_equals_the_quarter(cli):
    ranged = as_dicts(
        cli("score", "--config", CONFIG, "--as-of", AS_OF, "--from", "2026-07-01", "--to", "2026-09-30").stdout
    )
    quarter = as_dicts(cli(*BASE).stdout)
    assert {(r["period_start"], r["period_end"]) for r in ranged} == {("2026-07-01", "2026-09-30")}
    assert len({r["period"] for r in ranged}) == 1
    strip = ("period",)
    assert [{k: v for k, v in r.items() if k not in strip} for r in ranged] == [
        {k: v for k, v in r.items() if k not in strip} for r in quarter
    ]


def test_from_to_not_aligned_to_months(cli):
    result = cli("score", "--config", CONFIG, "--as-of", AS_OF, "--from", "2026-07-15", "--to", "2026-08-10")
    assert result.exit_code == 0, result.stderr
    rows = as_dicts(result.stdout)
    assert {(r["period_start"], r["period_end"]) for r in rows} == {("2026-07-15", "2026-08-10")}
    assert rows[-1]["group"] == "ALL"


@pytest.mark.parametrize(
    "args",
    [
        ["--period", PERIOD, "--from", "2026-07-01", "--to", "2026-09-30"],  # both ways at once
        ["--from", "2026-09-30", "--to", "2026-07-01"],  # reversed
        ["--from", "07/01/2026", "--to", "2026-09-30"],  # not a date
    ],
)
def test_bad_from_to_is_a_usage_error(cli, args):
    assert_clean_error(cli("score", "--config", CONFIG, "--as-of", AS_OF, *args), 2)


# --------------------------------------------------------------------------- --output: atomic, safe


@pytest.fixture
def umask_022():
    old = os.umask(0o022)
    yield
    os.umask(old)


def test_output_with_period_placeholder(cli, tmp_path, monkeypatch, umask_022):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "reports").mkdir()
    result = cli(*BASE, "--format", "csv", "--output", "reports/{period}.csv")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""  # data went to the file
    written = tmp_path / "reports" / "2026-Q3.csv"
    assert sorted(p.name for p in (tmp_path / "reports").iterdir()) == ["2026-Q3.csv"]  # no temp file left
    assert stat.S_IMODE(written.stat().st_mode) == 0o644  # normal permissions, not mkstemp's 0600
    assert written.read_bytes() == cli(*BASE, "--format", "csv").stdout_bytes
    assert "2026-Q3.csv" in result.stderr  # says what it wrote


def test_output_replaces_an_existing_file(cli, tmp_path):
    target = tmp_path / "card.csv"
    target.write_text("old\n", encoding="utf-8")
    assert cli(*BASE, "--output", target).exit_code == 0
    assert target.read_bytes() == cli(*BASE).stdout_bytes
    assert [p.name for p in tmp_path.iterdir()] == ["card.csv"]


@pytest.mark.parametrize(
    "exc, code",
    [(OSError(5, "Input/output error"), 74), (KeyboardInterrupt(), 130)],
    ids=["io-error", "interrupted"],
)
def test_failed_write_leaves_the_old_file_and_no_temp_file(cli, tmp_path, monkeypatch, exc, code):
    target = tmp_path / "card.csv"
    target.write_text("old\n", encoding="utf-8")

    def boom(fd: int) -> None:
        raise exc

    monkeypatch.setattr(os, "fsync", boom)
    result = cli(*BASE, "--output", target)
    monkeypatch.undo()
    assert result.exit_code == code, result.output
    assert "Traceback" not in result.output
    assert target.read_text(encoding="utf-8") == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["card.csv"]


def test_missing_output_folder(cli, tmp_path):
    result = cli(*BASE, "--output", tmp_path / "nope" / "{period}.csv")
    assert_clean_error(result, 73)
    message = one_line(result.stderr)
    assert str(tmp_path / "nope") in message
    assert "does not exist" in message
    assert list(tmp_path.iterdir()) == []


def test_output_to_a_folder_is_refused(cli, tmp_path):
    (tmp_path / "out.csv").mkdir()
    assert_clean_error(cli(*BASE, "--output", tmp_path / "out.csv"), 73)


@pytest.mark.parametrize("victim", ["accounts.csv", "mrr.csv", "tickets.csv"])
def test_output_over_an_input_data_file_is_refused(cli, sample_copy, victim):
    target = sample_copy / victim
    before = target.read_bytes()
    result = cli(*base_with(sample_copy, "--output", target))
    assert_clean_error(result, 73)
    assert "input" in result.stderr
    assert target.read_bytes() == before
    assert sorted(p.name for p in sample_copy.iterdir()) == sorted(p.name for p in (ROOT / "sample_data").glob("*.csv"))


def test_output_over_the_config_is_refused(cli, tmp_path, sample_copy):
    config = tmp_path / "kpis.yaml"
    config.write_bytes(CONFIG.read_bytes())
    before = config.read_bytes()
    result = cli("score", "--config", config, "--data", sample_copy, "--period", PERIOD, "--as-of", AS_OF,
                 "--format", "csv", "--output", config)  # fmt: skip
    assert_clean_error(result, 73)
    assert config.read_bytes() == before


def test_output_over_an_input_through_another_spelling_is_refused(cli, sample_copy):
    target = sample_copy / ".." / sample_copy.name / "accounts.csv"
    before = (sample_copy / "accounts.csv").read_bytes()
    assert_clean_error(cli(*base_with(sample_copy, "--output", target)), 73)
    assert (sample_copy / "accounts.csv").read_bytes() == before


def test_output_over_a_data_file_the_selected_kpis_do_not_read_is_refused(cli, sample_copy):
    target = sample_copy / "tickets.csv"
    before = target.read_bytes()
    result = cli(*base_with(sample_copy, "--kpi", "nrr", "--output", target))
    assert target.read_bytes() == before
    assert result.exit_code == 73


# --------------------------------------------------------------------------- messages, warnings, exit codes


def test_warning_goes_to_stderr(cli):
    result = cli(*BASE)
    assert result.exit_code == 0
    assert ORPHAN in result.stderr
    assert "tickets.csv" in result.stderr
    assert ORPHAN not in result.stdout


def test_quiet_prints_nothing_on_stderr(cli, tmp_path):
    result = cli(*BASE, "--quiet")
    assert result.exit_code == 0
    assert result.stderr == ""
    assert result.stdout_bytes == cli(*BASE).stdout_bytes
    to_file = cli(*BASE, "-q", "--output", tmp_path / "x.csv")
    assert to_file.exit_code == 0
    assert to_file.stderr == "" and to_file.stdout == ""


def test_strict_fails_on_the_orphan_ticket_warning(cli):
    result = cli(*BASE, "--strict")
    assert result.exit_code == 65
    assert ORPHAN in result.stderr
    assert "Traceback" not in result.output


def test_strict_passes_when_there_is_no_warning(cli):
    # nrr does not read tickets.csv, so the orphan ticket is never seen
    assert cli(*BASE, "--strict", "--kpi", "nrr").exit_code == 0


def test_output_is_deterministic_in_process(cli, tmp_path):
    for fmt in ("csv", "tsv", "json", "markdown"):
        for layout in ("wide", "long"):
            first = cli(*BASE, "--format", fmt, "--layout", layout).stdout_bytes
            assert first == cli(*BASE, "--format", fmt, "--layout", layout).stdout_bytes, (fmt, layout)
    cli(*BASE, "--output", tmp_path / "a.parquet")
    cli(*BASE, "--output", tmp_path / "b.parquet")
    assert (tmp_path / "a.parquet").read_bytes() == (tmp_path / "b.parquet").read_bytes()


def test_output_is_deterministic_across_processes():
    outputs = []
    for seed in ("1", "2"):
        proc = subprocess.run(
            [sys.executable, "-m", "csmkpi", *BASE, "--layout", "long", "-q"],
            cwd=ROOT,
            capture_output=True,
            timeout=120,
            check=False,
            env={**os.environ, "PYTHONHASHSEED": seed},
        )
        assert proc.returncode == 0, proc.stderr
        outputs.append(proc.stdout)
    assert outputs[0] == outputs[1]


def test_missing_config(cli, tmp_path):
    missing = tmp_path / "nope.yaml"
    result = cli("score", "--config", missing, "--period", PERIOD, "--as-of", AS_OF)
    assert_clean_error(result, 66)
    assert str(missing) in one_line(result.stderr)


def test_missing_data_folder(cli, tmp_path):
    result = cli(*BASE, "--data", tmp_path / "nope")
    assert_clean_error(result, 66)
    assert str(tmp_path / "nope") in one_line(result.stderr)


def _kpis_line(extra: str) -> str:
    return "  - {id: nrr, metric: nrr, target: 1.02, weight: 25" + extra + "}\n"


INVALID_CONFIGS = {
    # name: (text, line, column of the offending token, words the message must contain)
    "unknown-key": ("version: 1\nkpis:\n" + _kpis_line(", bogus: 1"), 3, _kpis_line(", bogus: 1").index("bogus") + 1,
                    ["bogus"]),
    "unknown-metric": ("version: 1\nkpis:\n  - {id: nrr, metric: nope, target: 1, weight: 1}\n", 3, 23, ["nope"]),
    "duplicate-key": ("version: 1\nversion: 1\nkpis:\n" + _kpis_line(""), 2, 1, ["version"]),
    "yaml-1.1-boolean": ("version: 1\nkpis:\n" + _kpis_line(", params: {window: NO}"), 3,
                         _kpis_line(", params: {window: NO}").index("NO") + 1, ["window"]),
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(INVALID_CONFIGS))
def test_invalid_config_names_file_line_and_column(cli, tmp_path, sample_copy, name):
    text, line, column, words = INVALID_CONFIGS[name]
    config = tmp_path / "kpis.yaml"
    config.write_text(text, encoding="utf-8")
    result = cli("score", "--config", config, "--data", sample_copy, "--period", PERIOD, "--as-of", AS_OF)
    assert_clean_error(result, 78)
    message = result.stderr
    assert re.search(rf"kpis\.yaml:{line}:{column}: ", message), message
    for word in words:
        assert word in message


def test_invalid_yaml_syntax(cli, tmp_path):
    config = tmp_path / "kpis.yaml"
    config.write_text("version: 1\nkpis: [\n", encoding="utf-8")
    result = cli("score", "--config", config, "--period", PERIOD, "--as-of", AS_OF)
    assert_clean_error(result, 78)
    assert re.search(r"kpis\.yaml:\d+:\d+: ", result.stderr), result.stderr


def test_data_error_names_file_line_column_and_value(cli, sample_copy):
    set_field(sample_copy / "mrr.csv", 4, "mrr", "12x")
    result = cli(*base_with(sample_copy))
    assert_clean_error(result, 65)
    message = result.stderr
    assert "mrr.csv:4" in message
    assert "'mrr'" in message
    assert "'12x'" in message


def test_debug_shows_a_traceback_for_a_data_error(cli, sample_copy):
    set_field(sample_copy / "mrr.csv", 4, "mrr", "12x")
    result = cli(*base_with(sample_copy, "--debug"))
    assert result.exit_code == 65
    assert "Traceback" in result.stderr
    assert "mrr.csv:4" in result.stderr
    assert result.stdout == ""


@pytest.mark.parametrize(
    "args, code, shown",
    [
        (["--period", "2026-[/Q3]"], 2, "2026-[/Q3]"),
        (["--period", "[red]2026-Q9"], 2, "[red]2026-Q9"),
        (["--period", PERIOD, "--kpi", "[bold]nrr"], 2, "[bold]nrr"),
        (["--period", PERIOD, "--config", "/nonexistent/x[/b]y/kpis.yaml"], 66, "/nonexistent/x[/b]y/kpis.yaml"),
    ],
    ids=["period-closing-tag", "period-style-tag", "kpi-style-tag", "config-path"],
)
def test_error_messages_print_user_text_verbatim(cli, args, code, shown):
    result = cli("score", "--config", CONFIG, "--as-of", AS_OF, *args)
    assert "Traceback" not in result.output
    assert result.exit_code == code
    assert shown in one_line(result.stderr)


def test_wrote_notice_prints_the_path_verbatim(cli, tmp_path):
    target = tmp_path / "[bold]card.csv"
    result = cli(*BASE, "--kpi", "nrr", "--output", target)
    assert result.exit_code == 0
    assert target.exists()
    assert "[bold]card.csv" in one_line(result.stderr)


# --------------------------------------------------------------------------- spreadsheet safety

RISKY_SEGMENTS = {
    # account line in accounts.csv (header = 1) -> segment
    2: '=HYPERLINK("x")',
    3: "+SUM(1,2)",
    4: "-2+3",
    5: "@cmd",
    6: "＝1+1",
}


@pytest.fixture
def risky_copy(sample_copy: Path) -> Path:
    for line, segment in RISKY_SEGMENTS.items():
        set_field(sample_copy / "accounts.csv", line, "segment", segment)
    set_field(sample_copy / "accounts.csv", 7, "segment", "-5")  # text that is a plain number
    return sample_copy


def _groups(result, delimiter: str = ",") -> list[str]:  # type: ignore[no-untyped-def]
    assert result.exit_code == 0, result.stderr
    return [row["group"] for row in as_dicts(result.stdout, delimiter)]


@pytest.mark.parametrize("layout", ["wide", "long"])
@pytest.mark.parametrize("fmt, delimiter", [("csv", ","), ("tsv", "\t")])
def test_formula_text_is_escaped_in_csv_and_tsv(cli, risky_copy, fmt, delimiter, layout):
    result = cli(*base_with(risky_copy, "--by", "segment", "--format", fmt, "--layout", layout, "-q"))
    groups = set(_groups(result, delimiter))
    for segment in RISKY_SEGMENTS.values():
        assert "'" + segment in groups, segment
        assert segment not in groups, segment
    assert '\'=HYPERLINK("x")' in groups
    assert "-5" in groups  # a plain number is left alone
    assert {"Enterprise", "Mid-Market", "SMB", "(unassigned)", "ALL"} <= groups


def test_formula_text_is_raw_in_json(cli, risky_copy):
    result = cli(*base_with(risky_copy, "--by", "segment", "--format", "json", "-q"))
    assert result.exit_code == 0, result.stderr
    groups = {row["group"] for row in json.loads(result.stdout)}
    assert set(RISKY_SEGMENTS.values()) <= groups
    assert not any(g.startswith("'") for g in groups)


def test_formula_text_is_raw_in_parquet(cli, risky_copy, tmp_path):
    target = tmp_path / "x.parquet"
    assert cli(*base_with(risky_copy, "--by", "segment", "--output", target, "-q")).exit_code == 0
    assert set(RISKY_SEGMENTS.values()) <= set(pl.read_parquet(target)["group"].to_list())


@pytest.mark.parametrize("fmt, delimiter", [("csv", ","), ("tsv", "\t")])
def test_no_escape_formulas_leaves_text_raw(cli, risky_copy, fmt, delimiter):
    result = cli(*base_with(risky_copy, "--by", "segment", "--format", fmt, "--no-escape-formulas", "-q"))
    groups = set(_groups(result, delimiter))
    assert set(RISKY_SEGMENTS.values()) <= groups
    assert not any(g.startswith("'") for g in groups)


def test_formula_in_a_kpi_label_is_escaped(cli, tmp_path, sample_copy):
    config = tmp_path / "kpis.yaml"
    config.write_text(
        'version: 1\nkpis:\n  - {id: nrr, metric: nrr, label: "=1+2", target: 1.0, weight: 1}\n', encoding="utf-8"
    )
    args = ["score", "--config", config, "--data", sample_copy, "--period", PERIOD, "--as-of", AS_OF, "-q"]
    long = as_dicts(cli(*args, "--layout", "long").stdout)
    assert {r["label"] for r in long} == {"'=1+2"}
    raw = json.loads(cli(*args, "--layout", "long", "--format", "json").stdout)
    assert {r["label"] for r in raw} == {"=1+2"}


NEGATIVE_NPS = """
version: 1
data: {dir: data}
scoring: {amber_at: 0.9, cap: 1.5, min_sample: 1}
kpis:
  - {id: nps, metric: nps, target: 30, weight: 1}
"""


@pytest.mark.parametrize("fmt, delimiter", [("csv", ","), ("tsv", "\t")])
def test_negative_numbers_are_never_prefixed(cli, build, fmt, delimiter):
    config = build(
        kpis=NEGATIVE_NPS,
        accounts="""
            account_id,csm_id,segment
            A1,alice,Core
            A2,bob,Core
            """,
        surveys="""
            response_id,account_id,survey,responded_at,score
            R1,A1,nps,2026-07-05,2
            R2,A1,nps,2026-07-06,3
            R3,A2,nps,2026-08-01,10
            """,
    )
    args = ["score", "--config", config, "--period", PERIOD, "--as-of", AS_OF, "--format", fmt, "-q"]
    long = cli(*args, "--layout", "long")
    assert long.exit_code == 0, long.stderr
    rows = {r["group"]: r for r in as_dicts(long.stdout, delimiter)}
    assert rows["alice"]["value"] == "-100.0"
    assert rows["alice"]["numerator"] == "-200.0"
    assert float(rows["ALL"]["value"]) == pytest.approx(-100 / 3)
    assert not rows["ALL"]["value"].startswith("'")
    # numbers are unquoted, so a spreadsheet reads them as numbers
    raw_line = next(line for line in long.stdout.splitlines() if '"alice"' in line)
    assert f"{delimiter}-100.0{delimiter}-200.0{delimiter}" in raw_line
    wide = as_dicts(cli(*args).stdout, delimiter)
    assert {r["group"]: r["nps"] for r in wide}["alice"] == "-100.0"
    assert "'-" not in long.stdout and "'-" not in cli(*args).stdout
