"""The docs stay true to the code: docs/metrics.md and README.md (SPEC §4, §6).

- every built-in metric has a ``## `name` `` section in docs/metrics.md with its exact formula, its description,
  every param name and its aggregation;
- every worked example is run through the engine and must give the rows its result table states. An example is
  the fenced blocks of a section tagged with a file name (```csv title=mrr.csv```, ```yaml title=kpis.yaml```,
  ```python title=plugin.py```), written to one folder, the ```sh``` block's ``csmkpi score`` command (period,
  as-of, --by), and the markdown table whose header starts ``| group | kpi |``;
- the plugin example loads through ``plugins:``; a broken config plugin exits 78, a broken installed one warns;
- README.md names every command and every metric; ``--help`` of every command exits 0.
"""

from __future__ import annotations

import os
import re
import shlex
import sys
from dataclasses import dataclass
from datetime import date
from importlib.metadata import EntryPoint
from pathlib import Path
from typing import Any

import pytest
import typer.main
from typer.testing import CliRunner

from csmkpi import engine
from csmkpi.cli.app import app
from csmkpi.metrics import registry
from csmkpi.metrics.registry import builtin_metrics

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "metrics.md"
README = ROOT / "README.md"
COMMANDS = ("score", "explain", "trend", "drivers", "reasons", "report", "validate", "metrics", "init", "cache")
PLUGIN_SECTION = "Writing a metric plugin"
PLUGIN_MODULE = "renewal_win_rate"

BLOCK_RE = re.compile(r"^```(?P<lang>\w+)(?: title=(?P<title>\S+))?\n(?P<body>.*?)^```$", re.M | re.S)
TABLE_HEADER = "| group | kpi | value | numerator | denominator | sample_size |"


def doc_text() -> str:
    return DOC.read_text(encoding="utf-8")


def sections() -> dict[str, str]:
    """``## heading`` -> its text up to the next ``## `` heading (backticks stripped from the heading)."""
    parts = re.split(r"^## ", doc_text(), flags=re.M)[1:]
    return {part.splitlines()[0].strip().strip("`"): part for part in parts}


METRICS = builtin_metrics()
NAMES = sorted(METRICS)


# --- worked examples ---------------------------------------------------------


@dataclass(frozen=True)
class Expected:
    group: str
    kpi: str
    cells: dict[str, str]  # value, numerator, denominator, sample_size as written


@dataclass(frozen=True)
class Example:
    files: dict[str, str]
    command: list[str]
    rows: list[Expected]

    def option(self, *names: str) -> str | None:
        for i, arg in enumerate(self.command):
            if arg in names:
                return self.command[i + 1]
        return None


def parse_example(section: str) -> Example:
    blocks = list(BLOCK_RE.finditer(section))
    files = {b["title"]: b["body"] for b in blocks if b["title"]}
    commands = [shlex.split(b["body"].strip()) for b in blocks if b["lang"] == "sh"]
    assert len(commands) == 1, "an example has exactly one ```sh``` command"
    lines = section.splitlines()
    assert TABLE_HEADER in lines, "an example has a result table"
    start = lines.index(TABLE_HEADER) + 2  # skip the header and the |---| line
    rows = []
    for line in lines[start:]:
        if not line.startswith("|"):
            break
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        group, kpi, value, numerator, denominator, sample_size = cells
        rows.append(
            Expected(
                group, kpi, dict(value=value, numerator=numerator, denominator=denominator, sample_size=sample_size)
            )
        )
    return Example(files, commands[0], rows)


def run_example(example: Example, folder: Path) -> list[dict[str, Any]]:
    """Write the example's files and score it as its command says; return the long rows in output order."""
    folder.mkdir(parents=True)
    for name, body in example.files.items():
        (folder / name).write_text(body, encoding="utf-8")
    command = example.command
    assert command[:2] == ["csmkpi", "score"], command
    assert example.option("--layout") == "long"
    request = engine.ScoreRequest(
        config=folder / (example.option("--config", "-c") or "kpis.yaml"),
        period=example.option("--period", "-p"),
        as_of=date.fromisoformat(example.option("--as-of") or "2026-10-15"),
        by=example.option("--by") or "csm",
    )
    return list(engine.score(request).long_table().iter_rows(named=True))


def matches(written: str, actual: Any) -> bool:
    """A number as the doc writes it (rounded) against the engine's; an empty cell is no value."""
    if written == "":
        return actual is None
    if actual is None:
        return False
    decimals = len(written.split(".")[1]) if "." in written else 0
    return abs(float(written) - float(actual)) <= 0.5 * 10**-decimals + 1e-9


def check_example(example: Example, rows: list[dict[str, Any]]) -> None:
    got = [(r["group"], r["kpi"]) for r in rows]
    stated = [(e.group, e.kpi) for e in example.rows]
    assert stated == got, "the doc's table lists every output row, in output order"
    for expected, row in zip(example.rows, rows, strict=True):
        for column, written in expected.cells.items():
            assert matches(written, row[column]), (expected.group, expected.kpi, column, written, row[column])


@pytest.fixture
def forget_plugin():
    """The plugin example's module is imported from a tmp folder: never keep it cached between tests."""
    sys.modules.pop(PLUGIN_MODULE, None)
    yield
    sys.modules.pop(PLUGIN_MODULE, None)


@pytest.mark.parametrize("name", NAMES)
def test_every_metric_has_a_checked_worked_example(name, tmp_path):
    section = sections()[name]
    assert section.count("### Example") == 1, name
    example = parse_example(section)
    config = example.files["kpis.yaml"]
    assert re.search(rf"metric: {name}\b", config), "the example uses its own section's metric"
    check_example(example, run_example(example, tmp_path / name))


@pytest.mark.parametrize("name", ["nrr", "churn", "csat", "nps", "touch_cadence", "mrr_movements"])
def test_key_examples_state_their_headline_numbers(name, tmp_path):
    """Belt and braces for the most used metrics: the ALL row's value is stated, not left empty."""
    example = parse_example(sections()[name])
    stated = [e for e in example.rows if e.group == "ALL"]
    assert stated and all(e.cells["value"] for e in stated), name
    rows = run_example(example, tmp_path / name)
    check_example(example, rows)


def test_nrr_example_is_the_pooled_ratio_not_a_mean(tmp_path):
    example = parse_example(sections()["nrr"])
    rows = {(r["group"], r["kpi"]): r for r in run_example(example, tmp_path / "nrr")}
    assert rows[("ALL", "nrr")]["value"] == pytest.approx(2000 / 2300)
    mean_of_csms = (rows[("alice", "nrr")]["value"] + rows[("bob", "nrr")]["value"]) / 2
    assert rows[("ALL", "nrr")]["value"] != pytest.approx(mean_of_csms)


def test_mrr_movements_example_reconciles_with_the_mrr_change(tmp_path):
    example = parse_example(sections()["mrr_movements"])
    rows = {r["kpi"]: r["value"] for r in run_example(example, tmp_path / "mrr") if r["group"] == "ALL"}
    change = rows["mrr_new"] + rows["mrr_reactivation"] + rows["mrr_expansion"]
    change -= rows["mrr_contraction"] + rows["mrr_churn"]
    assert change == pytest.approx((120 + 300 + 80) - (100 + 200))


def test_plugin_example_loads_through_plugins_in_the_config(tmp_path, forget_plugin):
    section = sections()[PLUGIN_SECTION]
    example = parse_example(section)
    assert f"{PLUGIN_MODULE}.py" in example.files
    assert f"plugins: [{PLUGIN_MODULE}]" in example.files["kpis.yaml"]
    check_example(example, run_example(example, tmp_path / "plugin"))
    assert "renewal_win_rate" not in builtin_metrics()


def test_plugin_example_metric_is_a_valid_metric(tmp_path, forget_plugin, monkeypatch):
    example = parse_example(sections()[PLUGIN_SECTION])
    (tmp_path / f"{PLUGIN_MODULE}.py").write_text(example.files[f"{PLUGIN_MODULE}.py"], encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    metrics, warnings = registry.discover([PLUGIN_MODULE], use_entry_points=False)
    assert warnings == []
    metric = metrics["renewal_win_rate"]
    assert metric.formula in section_text(PLUGIN_SECTION)
    assert set(metric.params.model_fields) == {"weight"}


def section_text(name: str) -> str:
    return sections()[name]


def test_a_broken_config_plugin_is_a_config_error(tmp_path, forget_plugin):
    (tmp_path / f"{PLUGIN_MODULE}.py").write_text("raise ImportError('boom')\n", encoding="utf-8")
    config = tmp_path / "kpis.yaml"
    config.write_text(f"version: 1\nplugins: [{PLUGIN_MODULE}]\nkpis:\n  - {{id: nrr, metric: nrr}}\n")
    result = CliRunner().invoke(app, ["score", "--config", str(config), "--period", "2026-Q3", "--as-of", "2026-10-15"])
    assert result.exit_code == 78, result.output
    fragment = f"plugin module '{PLUGIN_MODULE}' (plugins: in the config) failed to load"
    assert fragment in result.output
    assert fragment in section_text(PLUGIN_SECTION)


class _Dist:
    name = "acme-csmkpi-metrics"


class _BrokenEntryPoint:
    name = "renewal_win_rate"
    value = "acme_csmkpi_metrics.renewal_win_rate:METRIC"
    group = registry.ENTRY_POINT_GROUP
    dist = _Dist()

    def load(self) -> Any:
        raise ModuleNotFoundError("No module named 'acme_csmkpi_metrics'")


def test_a_broken_installed_plugin_only_warns_naming_its_package(monkeypatch):
    builtin = EntryPoint("nrr", "csmkpi.metrics.nrr:METRIC", registry.ENTRY_POINT_GROUP)
    monkeypatch.setattr(registry, "entry_points", lambda group: [builtin, _BrokenEntryPoint()])
    metrics, warnings = registry.discover()
    assert set(METRICS) <= set(metrics)
    assert [w.level for w in warnings] == ["warning"]
    fragment = "metric plugin 'renewal_win_rate' from package 'acme-csmkpi-metrics' failed to load"
    assert fragment in warnings[0].message
    assert fragment in section_text(PLUGIN_SECTION)


def test_entry_point_group_in_the_doc_is_the_registry_group():
    text = section_text(PLUGIN_SECTION)
    assert f'[project.entry-points."{registry.ENTRY_POINT_GROUP}"]' in text


# --- one section per metric ----------------------------------------------------


def test_every_builtin_has_one_section_and_no_unknown_metric_is_documented():
    headings = re.findall(r"^## `([a-z0-9_]+)`$", doc_text(), flags=re.M)
    assert sorted(headings) == NAMES
    assert len(headings) == len(set(headings))


@pytest.mark.parametrize("name", NAMES)
def test_section_states_the_exact_formula_and_description(name):
    metric = METRICS[name]
    section = sections()[name]
    assert f"Formula: `{metric.formula}`" in section
    assert metric.description in section


@pytest.mark.parametrize("name", NAMES)
def test_section_names_every_param(name):
    section = sections()[name]
    params_line = next(line for line in section.splitlines() if line.startswith("- **Params:**"))
    params = list(METRICS[name].params.model_fields)
    if not params:
        assert "none" in params_line
    for param in params:
        assert f"`{param}`" in section, param


@pytest.mark.parametrize("name", NAMES)
def test_section_states_the_aggregation(name):
    section = sections()[name]
    line = next(line for line in section.splitlines() if line.startswith("- **Aggregation:**"))
    assert METRICS[name].aggregation_name in line


def test_doc_lists_every_metric_in_its_contents():
    contents = doc_text().split("## Periods")[0]
    for name in NAMES:
        assert f"[`{name}`](#{name})" in contents, name


# --- README and CLI ------------------------------------------------------------


def test_the_app_has_exactly_the_documented_commands():
    assert sorted(typer.main.get_command(app).commands) == sorted(COMMANDS)  # type: ignore[attr-defined]


@pytest.mark.parametrize("command", COMMANDS)
def test_readme_shows_every_command(command):
    assert re.search(rf"\bcsmkpi {command}\b", README.read_text(encoding="utf-8")), command


@pytest.mark.parametrize("command", COMMANDS)
def test_help_of_every_command_exits_0(command):
    result = CliRunner().invoke(app, [command, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage:" in result.output


@pytest.mark.parametrize("name", NAMES)
def test_readme_names_every_metric(name):
    assert re.search(rf"(?<![\w]){name}(?![\w])", README.read_text(encoding="utf-8")), name


# --- the README's first screen -----------------------------------------------

SCORECARD_RE = re.compile(r"<!-- scorecard: csmkpi (?P<args>.+?) \(100 columns.*?-->\n```text\n(?P<shown>.*?)\n```", re.S)


def test_readme_first_screen_is_the_real_scorecard_at_100_columns() -> None:
    """The README opens with what a 100-column terminal shows for the sample data, exactly."""
    text = README.read_text(encoding="utf-8")
    match = SCORECARD_RE.search(text)
    assert match is not None, "the README lost its scorecard block"
    assert text[: match.start()].count("\n") < 15, "the scorecard is no longer on the README's first screen"
    args = shlex.split(match["args"])
    args[1:1] = ["--config", str(ROOT / "configs" / "kpis.yaml")]
    result = CliRunner().invoke(app, [*args, "--format", "table"], env={"COLUMNS": "100", "NO_COLOR": "1"})
    assert result.exit_code == 0, result.stderr
    shown = "\n".join(line.rstrip() for line in result.stdout.rstrip("\n").split("\n"))
    if os.environ.get("UPDATE_GOLDEN") == "1":  # rewrite the block after an intended change
        README.write_text(text[: match.start("shown")] + shown + text[match.end("shown") :], encoding="utf-8")
        return
    assert shown == match["shown"], "the README's scorecard changed: UPDATE_GOLDEN=1 rewrites it"
    assert max(len(line) for line in shown.split("\n")) <= 100
