"""Issue 16, output people can read: each defect it lists, through the CLI (SPEC §3, §5, §6).

A real pseudo-terminal (``terminal.run_in_pty``) stands in for the analyst's terminal: its size
sets the width, stderr on it shows progress, and what it shows is compared with the machine formats.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sys
from pathlib import Path

import pytest
from cli_support import AS_OF, BASE, CONFIG, PERIOD, ROOT, SAMPLE, as_dicts, base_with
from rich.cells import cell_len
from terminal import run_in_pty

sys.path.insert(0, str(ROOT / "tests"))
from crowd import write_crowd  # noqa: E402

from csmkpi.metrics.base import Unit  # noqa: E402

TEAM = (*BASE, "--by", "team")


@pytest.fixture(scope="module")
def crowd90(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_crowd(tmp_path_factory.mktemp("crowd90"), 90)


def _screen(run) -> list[str]:  # type: ignore[no-untyped-def]
    return [line for line in run.terminal.split("\n")]


def _columns(header: str, line: str) -> list[str]:
    """Cut a table line at the right edges of the header's words (right-aligned columns)."""
    edges = [m.end() for m in re.finditer(r"\S+", header)]
    cells, start = [], 0
    for edge in edges:
        cells.append(line[start:edge].strip())
        start = edge
    return cells


# ------------------------------------------------------------------------------------------ terminal


@pytest.mark.parametrize("columns", [80, 100, 120, 200])
def test_the_scorecard_fits_a_real_terminal_and_cuts_no_number(crowd90, columns):
    """Formerly numbers were cut to ``9,392…`` at 80 and 120 columns."""
    run = run_in_pty(*BASE, "--data", crowd90, columns=columns)
    assert run.code == 0, run.terminal
    lines = _screen(run)
    assert max(cell_len(line) for line in lines) <= columns
    assert "…" not in run.terminal
    assert "retention" in run.terminal and "C00" in run.terminal


def test_what_a_terminal_shows_is_the_machine_value_formatted(cli):
    """By team on a 120-column terminal: KPIs as rows, a column per team; every cell is the JSON value formatted."""
    from datetime import date

    from csmkpi import engine
    from csmkpi.output import numbers

    run = run_in_pty(*TEAM, columns=120)
    assert run.code == 0, run.terminal
    lines = _screen(run)
    rule = next(i for i, line in enumerate(lines) if line.startswith("────"))
    header = lines[rule - 1]
    assert header.startswith("KPI ")
    groups = header.split()[2:]  # KPI, target, then the groups
    machine = {(r["label"], r["group"]): r for r in json.loads(cli(*TEAM, "--format", "json", "--layout", "long").stdout)}
    card = engine.score(engine.ScoreRequest(config=CONFIG, period=PERIOD, as_of=date.fromisoformat(AS_OF), by="team"))
    units = {k.label: k.unit for k in card.kpis}
    checked = 0
    for line in lines[rule + 1 :]:
        if line.startswith("────"):
            break
        label = re.split(r"\s{2,}", line.strip())[0]
        for group, shown in zip(groups, _columns(header, line)[2:], strict=True):
            row = machine[(label, group)]
            mark = numbers.MARKS.get(row["status"] or "", "")
            assert shown == numbers.human(row["value"], units[label]) + (f" {mark}" if mark else ""), (label, group)
            if row["value"] is not None and units[label] is Unit.RATIO:  # and the rounding is right
                assert float(shown.split("%")[0].replace(",", "")) == pytest.approx(row["value"] * 100, abs=0.05)
            checked += 1
    assert checked == len(card.kpis) * len(groups)


def test_two_thousand_csms_on_a_terminal_show_the_top_and_bottom(tmp_path):
    """Formerly 2,000 CSMs showed only box characters."""
    folder = write_crowd(tmp_path / "crowd", 2000)
    run = run_in_pty(*BASE, "--data", folder, columns=120, lines=60)
    assert run.code == 0, run.terminal
    assert max(cell_len(line) for line in _screen(run)) <= 120
    assert "showing the top 25 and bottom 25 of 2000 groups by score" in run.terminal.replace("\n", " ")
    assert "rank" in run.terminal and "C0" in run.terminal


def test_status_is_a_word_or_symbol_and_no_color_turns_colour_off():
    coloured = run_in_pty(*BASE, columns=200)
    plain = run_in_pty(*BASE, columns=200, env={"NO_COLOR": "1"})
    assert b"\x1b[32m" in coloured.raw or b"\x1b[32;" in coloured.raw or b";32m" in coloured.raw
    assert not re.search(rb"\x1b\[[0-9;]*3[1-3]m", plain.raw)
    assert "✓" in plain.terminal and "✗" in plain.terminal and "✓ target met" in plain.terminal


def test_long_layout_on_a_terminal_has_no_scientific_notation():
    """The long table showed ``7.182e+04``."""
    run = run_in_pty(*BASE, "--layout", "long", "--group", "dave", columns=120)
    assert run.code == 0, run.terminal
    assert "71,819.04" in run.terminal and not re.search(r"\de[+-]\d", run.terminal)


def test_top_sort_and_group_pick_rows(cli, crowd90):
    top = cli(*BASE, "--data", crowd90, "--top", "4", "--format", "json")
    rows = json.loads(top.stdout)
    assert [r["rank"] for r in rows[:-1]] == sorted(r["rank"] for r in rows[:-1]) and rows[-1]["group"] == "ALL"
    assert len(rows) == 5
    picked = json.loads(cli(*BASE, "--group", "ALICE", "--group", "Bob Martinez", "--format", "json").stdout)
    assert [r["group"] for r in picked] == ["alice", "bob", "ALL"] or [r["group"] for r in picked] == ["bob", "alice", "ALL"]
    by_nps = json.loads(cli(*BASE, "--sort", "nps", "--format", "json").stdout)
    values = [r["nps"] for r in by_nps[:-1] if r["nps"] is not None]
    assert values == sorted(values, reverse=True)


def test_files_get_every_group_unless_top_is_given(cli, crowd90):
    rows = as_dicts(cli(*BASE, "--data", crowd90).stdout)
    assert len(rows) == 91


# ------------------------------------------------------------------------------------------ typos


def test_kpi_in_another_case_is_found(cli):
    """``--kpi NRR`` failed with no hint."""
    result = cli(*BASE, "--kpi", "NRR", "--kpi", "Logo_Churn", "--format", "json")
    assert result.exit_code == 0, result.stderr
    assert {"nrr", "logo_churn"} <= set(json.loads(result.stdout)[0])


def test_kpi_typo_gets_a_suggestion(cli):
    result = cli(*BASE, "--kpi", "nrrr")
    assert result.exit_code == 2 and "did you mean nrr?" in result.stderr


def test_unknown_group_is_rejected_before_the_data_is_read_with_at_most_ten_names(cli, crowd90, tmp_path):
    """An unknown group was found after the whole load, with a 22 KB list of every group."""
    data = tmp_path / "data"
    shutil.copytree(crowd90, data)
    with (data / "tickets.csv").open("a", encoding="utf-8") as handle:
        handle.write("T9999999,A000001,not a date,,1,false\n")  # loading would fail with 65
    result = cli(*BASE, "--data", data, "--group", "C00011")
    assert result.exit_code == 2, result.stderr
    assert "did you mean C0011" in result.stderr
    named = re.findall(r"C\d{4}", result.stderr)
    assert 1 <= len(set(named)) <= 10 and len(result.stderr) < 1500
    assert cli(*BASE, "--data", data, "--group", "C0011").exit_code == 65  # a known group: the load runs


def test_explain_group_typo_is_a_suggestion(cli):
    result = cli("explain", "nrr", "--group", "alise", "--config", CONFIG, "--period", PERIOD, "--as-of", AS_OF)
    assert result.exit_code == 2 and "did you mean alice (Alice Johnson)?" in result.stderr


@pytest.mark.parametrize(
    "args, shown",
    [
        (("scor",), "Did you mean 'score'?"),
        (("Score",), "Did you mean 'score'?"),
        (("score", "--perod", "Q3"), "Did you mean --period"),
        (("score", "--Quiet"), "Did you mean --quiet?"),
        (("score", "--by", "tem"), "did you mean team?"),
        (("score", "--format", "jsn"), "did you mean json?"),
        (("score", "--sort", "nrrr"), "did you mean nrr?"),
        (("score", "--compare", "prev"), "did you mean previous?"),
    ],
)
def test_typos_in_commands_and_options_get_a_suggestion(cli, args, shown):
    result = cli(*args, *(("--config", CONFIG) if args[0] == "score" and len(args) > 1 else ()))
    assert result.exit_code == 2
    assert shown in result.output


def test_config_typo_in_an_analysts_words(cli, tmp_path):
    config = tmp_path / "kpis.yaml"
    config.write_text(
        f"version: 1\ndata: {{dir: {SAMPLE}}}\nkpis:\n  - {{id: nrr, metric: nrr, target: 1.02}}\n"
        "  - {id: grr, metric: grr, target: 0.9}\n  - {id: churn, metric: churn, traget: 0.03, better: lowr}\n",
        encoding="utf-8",
    )
    result = cli("score", "--config", config, "--period", PERIOD, "--as-of", AS_OF)
    assert result.exit_code == 78
    column = config.read_text(encoding="utf-8").splitlines()[5].index("traget") + 1
    assert f"{config}:6:{column}: kpis.2.traget: unknown key; did you mean target?" in result.stderr
    assert "kpis.2.better: expected higher or lower, not 'lowr'; did you mean lower?" in result.stderr
    assert "Extra inputs" not in result.stderr and "Input should" not in result.stderr


# ------------------------------------------------------------------------------------------ formats


def test_unknown_extension_is_a_usage_error_and_writes_nothing(cli, tmp_path):
    """``-o report.pdf`` wrote CSV and exited 0."""
    target = tmp_path / "report.pdf"
    result = cli(*BASE, "--output", target)
    assert result.exit_code == 2 and not target.exists()
    assert ".csv" in result.stderr and ".xlsx" in result.stderr and "--format" in result.stderr


def test_a_format_that_contradicts_the_extension_is_a_usage_error(cli, tmp_path):
    target = tmp_path / "report.xlsx"
    result = cli(*BASE, "--format", "csv", "--output", target)
    assert result.exit_code == 2 and "contradicts" in result.stderr and not target.exists()


@pytest.mark.parametrize("suffix, fmt", [(".csv", "csv"), (".tsv", "tsv"), (".json", "json"), (".parquet", "parquet"),
                                         (".xlsx", "xlsx"), (".md", "markdown"), (".CSV", "csv")])  # fmt: skip
def test_the_extension_picks_the_format(cli, tmp_path, suffix, fmt):
    target = tmp_path / f"card{suffix}"
    assert cli(*BASE, "--output", target, "--quiet").exit_code == 0
    assert target.read_bytes() == cli(*BASE, "--format", fmt).stdout_bytes


@pytest.mark.parametrize("fmt", ["xlsx", "parquet"])
def test_a_binary_format_to_a_terminal_is_a_usage_error(fmt):
    """``--format xlsx`` to a terminal dumped binary."""
    run = run_in_pty(*BASE, "--format", fmt, columns=100)
    assert run.code == 2
    assert "binary" in run.terminal and "--output" in run.terminal
    assert b"PK\x03\x04" not in run.raw and b"PAR1" not in run.raw


def test_html_is_the_scorecard_part_of_the_report(cli, tmp_path):
    piped = cli(*BASE, "--format", "html")
    assert piped.exit_code == 0 and piped.stdout.startswith("<!DOCTYPE html>")
    assert cli(*BASE, "--output", tmp_path / "card.html", "--quiet").exit_code == 0
    assert (tmp_path / "card.html").read_bytes() == piped.stdout_bytes
    assert cli(*BASE, "--format", "html", "--output", tmp_path / "card.csv").exit_code == 2  # contradicts


def test_markdown_is_for_people(cli):
    """Markdown had raw floats (0.9716016985736147)."""
    text = cli(*BASE, "--format", "markdown").stdout
    assert "94.5%" in text and "3,805,842" in text and "+48.3" in text
    assert not re.search(r"\d\.\d{5,}", text)
    long = cli(*BASE, "--format", "markdown", "--layout", "long").stdout
    assert "71,819.04" in long and "101.6%" in long  # numerator, attainment


def test_machine_formats_keep_raw_numbers(cli):
    rows = as_dicts(cli(*BASE).stdout)
    assert rows[-1]["nrr"].startswith("0.94") and "%" not in rows[-1]["nrr"]


# ------------------------------------------------------------------------------------------ compare


def test_compare_previous_adds_compare_value_and_change_after_status(cli):
    long = as_dicts(cli(*BASE, "--layout", "long", "--compare", "previous").stdout)
    assert list(long[0])[-3:] == ["status", "compare_value", "change"]
    q2 = {(r["group"], r["kpi"]): r for r in as_dicts(cli(*BASE[:-4], "--period", "2026-Q2", "--as-of", AS_OF, "--layout", "long").stdout)}
    for row in long:
        before = q2[(row["group"], row["kpi"])]["value"]
        assert row["compare_value"] == before
        if row["value"] and before:
            assert float(row["change"]) == pytest.approx(float(row["value"]) - float(before), abs=1e-12)
        else:
            assert row["change"] == ""


def test_compare_year_uses_the_same_period_a_year_earlier(cli):
    long = as_dicts(cli(*BASE, "--layout", "long", "--compare", "year", "--kpi", "nrr").stdout)
    year_ago = BASE[:-4] + ("--period", "2025-Q3", "--as-of", AS_OF)
    earlier = {r["group"]: r["value"] for r in as_dicts(cli(*year_ago, "--layout", "long", "--kpi", "nrr").stdout)}
    assert all(r["compare_value"] == earlier[r["group"]] for r in long)
    assert any(r["compare_value"] for r in long)


def test_compare_in_the_wide_layout_adds_a_change_column_per_kpi(cli):
    rows = as_dicts(cli(*BASE, "--compare", "previous", "--kpi", "nrr", "--kpi", "csat").stdout)
    assert list(rows[0])[-4:] == ["score", "rank", "nrr_change", "csat_change"]


def test_compare_on_a_terminal_shows_arrows_in_points():
    run = run_in_pty(*TEAM, "--compare", "previous", columns=120)
    assert run.code == 0, run.terminal
    assert "Δ vs 2026-Q2" in run.terminal and " pp" in run.terminal
    assert "▲" in run.terminal and "▼" in run.terminal


# ------------------------------------------------------------------------------------------ progress


def _drawn(run) -> str:  # type: ignore[no-untyped-def]
    """Everything the terminal was sent, escape codes removed (the final screen has no spinner left)."""
    return re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", run.raw.decode("utf-8", "replace"))


def test_progress_shows_on_a_terminal_and_goes_away():
    run = run_in_pty(*BASE, columns=120, env={"CSMKPI_PROGRESS_DELAY": "0"})
    assert run.code == 0
    assert "reading tickets.csv" in _drawn(run) and re.search(r"computing \d+ KPIs for 2026-Q3", _drawn(run))
    assert "reading" not in run.terminal and "computing" not in run.terminal  # erased before the result
    assert "Scorecard 2026-Q3" in run.terminal


@pytest.mark.parametrize("where", ["pipe", "quiet"])
def test_progress_never_reaches_a_pipe_or_a_quiet_run(where):
    if where == "pipe":
        run = run_in_pty(*BASE, columns=120, env={"CSMKPI_PROGRESS_DELAY": "0"}, stderr_tty=False)
        assert b"reading" not in run.stderr and b"computing" not in run.stderr and b"\x1b" not in run.stderr
    else:
        run = run_in_pty(*BASE, "--quiet", columns=120, env={"CSMKPI_PROGRESS_DELAY": "0"})
        assert "reading" not in _drawn(run) and "computing" not in _drawn(run)
    assert run.code == 0


def test_no_progress_for_a_short_run():
    run = run_in_pty(*BASE, "--kpi", "nrr", columns=120)  # the default half second
    assert "reading" not in _drawn(run)


def test_progress_on_stderr_leaves_stdout_data_only():
    run = run_in_pty(*BASE, columns=120, env={"CSMKPI_PROGRESS_DELAY": "0"}, stdout_tty=False)
    assert "reading" in _drawn(run)
    assert run.stdout.startswith(b'"period"') and b"reading" not in run.stdout


@pytest.mark.parametrize("command", [("explain", "nrr"), ("trend",), ("validate",)])
def test_every_command_that_reads_data_shows_progress(command):
    args = [*command, "--config", CONFIG]
    if command[0] != "validate":
        args += ["--as-of", AS_OF]
    run = run_in_pty(*args, columns=120, env={"CSMKPI_PROGRESS_DELAY": "0"})
    assert run.code == 0, run.terminal
    assert "reading" in _drawn(run) and "reading" not in run.terminal


# ------------------------------------------------------------------------------------------ strict, quiet


def test_explain_strict_quiet_fails_loudly(cli, tmp_path):
    target = tmp_path / "units.csv"
    result = cli("explain", "fcr", "--config", CONFIG, "--period", PERIOD, "--as-of", AS_OF,
                 "--strict", "--quiet", "--output", target)  # fmt: skip
    assert result.exit_code == 65
    assert "A999" in result.stderr and "--strict" in result.stderr and not target.exists()


def test_validate_strict_quiet_fails_loudly(cli):
    result = cli("validate", "--config", CONFIG, "--strict", "--quiet")
    assert result.exit_code == 65 and "A999" in result.stderr and "--strict" in result.stderr


def test_quiet_hides_warnings_but_never_errors(cli):
    assert cli(*BASE, "--quiet").stderr == ""
    assert "error" in cli(*BASE, "--quiet", "--kpi", "nope").stderr


# ------------------------------------------------------------------------------------------ explain


def test_explain_on_a_terminal_shows_limit_rows_and_a_footer():
    args = ("explain", "activities", "--group", "ALL", "--config", CONFIG, "--period", PERIOD, "--as-of", AS_OF)
    run = run_in_pty(*args, "--limit", "5", columns=120)
    assert run.code == 0, run.terminal
    assert "showing the first 5 of 339 rows" in run.terminal and "334 left out" in run.terminal
    assert "TOTAL" in run.terminal and "over 339 units" in run.terminal
    everything = run_in_pty(*args, "--limit", "0", columns=120)
    assert "left out" not in everything.terminal


def test_explain_to_a_file_gets_every_row(cli, tmp_path):
    target = tmp_path / "units.csv"
    args = ("explain", "activities", "--group", "ALL", "--config", CONFIG, "--period", PERIOD, "--as-of", AS_OF)
    assert cli(*args, "--limit", "5", "--output", target, "--quiet").exit_code == 0
    assert len(as_dicts(target.read_text(encoding="utf-8"))) == 340  # 339 units and TOTAL


# ------------------------------------------------------------------------------------------ data folder


def test_an_empty_data_folder_is_an_error_naming_what_was_looked_for(cli, tmp_path):
    """An empty --data folder exited 0 with an empty ALL row."""
    empty = tmp_path / "exports"
    empty.mkdir()
    result = cli(*base_with(empty))
    assert result.exit_code == 66 and result.stdout == ""
    assert str(empty) in result.stderr and "accounts.csv" in result.stderr and "mrr.csv" in result.stderr


# ------------------------------------------------------------------------------------------ config


def test_config_is_found_as_the_spec_says(cli, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("CSMKPI_CONFIG", raising=False)
    args = ("score", "--period", PERIOD, "--as-of", AS_OF, "--data", SAMPLE, "--kpi", "nrr", "--quiet")
    none = cli(*args)
    assert none.exit_code == 2 and "csmkpi init" in none.stderr
    text = CONFIG.read_text(encoding="utf-8")
    (tmp_path / "kpis.yaml").write_text(text.replace("label: Net revenue retention", "label: From kpis.yaml"), encoding="utf-8")
    assert "From kpis.yaml" in cli(*args, "--layout", "long").stdout
    (tmp_path / "configs").mkdir()
    (tmp_path / "configs" / "kpis.yaml").write_text(text.replace("label: Net revenue retention", "label: From configs"), encoding="utf-8")
    assert "From configs" in cli(*args, "--layout", "long").stdout
    other = tmp_path / "other.yaml"
    other.write_text(text.replace("label: Net revenue retention", "label: From the env"), encoding="utf-8")
    assert "From the env" in cli(*args, "--layout", "long", env={"CSMKPI_CONFIG": str(other)}).stdout
    assert "label" in cli(*args, "--layout", "long", "--config", CONFIG, env={"CSMKPI_CONFIG": str(other)}).stdout
    missing = cli(*args, env={"CSMKPI_CONFIG": str(tmp_path / "gone.yaml")})
    assert missing.exit_code == 66 and "CSMKPI_CONFIG" in missing.stderr


def test_init_lays_out_a_folder_where_score_runs_with_no_flags(tmp_path):
    """``csmkpi init`` wrote a config where ``csmkpi score`` did not look."""
    import subprocess

    env = {k: v for k, v in os.environ.items() if k != "CSMKPI_CONFIG"}
    made = subprocess.run([sys.executable, "-m", "csmkpi", "init", "starter"], cwd=tmp_path, env=env,
                          capture_output=True, text=True)  # fmt: skip
    assert made.returncode == 0, made.stderr
    assert "cd starter && csmkpi score" in made.stderr
    scored = subprocess.run([sys.executable, "-m", "csmkpi", "score"], cwd=tmp_path / "starter", env=env,
                            capture_output=True, text=True)  # fmt: skip
    assert scored.returncode == 0, scored.stderr
    assert as_dicts(scored.stdout)[-1]["group"] == "ALL"


@pytest.mark.parametrize("columns", [80, 120])
@pytest.mark.parametrize(
    "command",
    [("trend", "--period", "2026", "--every", "month"), ("explain", "nrr", "--period", PERIOD, "--limit", "0"),
     ("score", "--period", PERIOD, "--layout", "long")],
)  # fmt: skip
def test_every_terminal_table_fits(command, columns):
    run = run_in_pty(*command, "--config", CONFIG, "--as-of", AS_OF, columns=columns)
    assert run.code == 0, run.terminal
    assert max(cell_len(line) for line in _screen(run)) <= columns
    assert "…" not in run.terminal and not re.search(r"\de[+-]\d", run.terminal)
