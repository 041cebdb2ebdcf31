"""docs/insights.md stays true: every worked example is run through the CLI and gives the rows its table states.

An example is a ``### Example`` section: its fenced blocks titled with a file name (```csv title=mrr.csv```,
```yaml title=kpis.yaml```) are written to one folder, its ```sh``` command is run there, and the markdown table
that follows must equal the output's rows of the groups it shows, in output order (numbers to the decimals
written, empty cells empty, true/false as written).
"""

from __future__ import annotations

import csv
import io
import re
import shlex
from pathlib import Path

import pytest
from typer.testing import CliRunner

from csmkpi.cli.app import app
from csmkpi.insights.drivers import CAVEAT
from csmkpi.insights.drivers import COLUMNS as DRIVER_COLUMNS
from csmkpi.insights.limits import COLUMNS as LIMIT_COLUMNS
from csmkpi.insights.reasons import COLUMNS as REASON_COLUMNS

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "insights.md"
BLOCK_RE = re.compile(r"^```(?P<lang>\w+)(?: title=(?P<title>\S+))?\n(?P<body>.*?)^```$", re.M | re.S)
KEYS = ("period", "group", "kpi", "indicator", "reason")


def sections() -> dict[str, str]:
    parts = re.split(r"^## ", DOC.read_text(encoding="utf-8"), flags=re.M)[1:]
    return {part.splitlines()[0].strip(): part for part in parts}


def examples() -> dict[str, str]:
    return {title: text.split("### Example", 1)[1] for title, text in sections().items() if "### Example" in text}


def table(text: str) -> list[dict[str, str]]:
    lines = [line for line in text.splitlines() if line.startswith("|")]
    header = [c.strip() for c in lines[0].strip("|").split("|")]
    return [dict(zip(header, [c.strip() for c in line.strip("|").split("|")], strict=True)) for line in lines[2:]]


def matches(written: str, actual: str) -> bool:
    if written == "" or actual == "":
        return written == actual
    try:
        number = float(written)
    except ValueError:
        return written == actual
    decimals = len(written.split(".")[1]) if "." in written else 0
    return abs(number - float(actual)) <= 0.5 * 10**-decimals + 1e-9


@pytest.mark.parametrize("title", sorted(examples()))
def test_worked_example_gives_the_rows_of_its_table(title, tmp_path, monkeypatch):
    text = examples()[title]
    blocks = list(BLOCK_RE.finditer(text))
    for block in blocks:
        if block["title"]:
            (tmp_path / block["title"]).write_text(block["body"], encoding="utf-8")
    commands = [shlex.split(b["body"].strip()) for b in blocks if b["lang"] == "sh"]
    assert len(commands) == 1 and commands[0][0] == "csmkpi"
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, commands[0][1:])
    assert result.exit_code == 0, result.output
    output = list(csv.DictReader(io.StringIO(result.stdout)))
    stated = table(text)
    groups = {row["group"] for row in stated} if "group" in stated[0] else None
    shown = [row for row in output if groups is None or row["group"] in groups]
    keys = [k for k in KEYS if k in stated[0]]
    assert [[r[k] for k in keys] for r in stated] == [[r[k] for k in keys] for r in shown], "rows and their order"
    for want, got in zip(stated, shown, strict=True):
        for column, written in want.items():
            assert matches(written, got[column]), (title, want, column, written, got[column])


def test_the_three_commands_and_every_column_are_documented():
    text = DOC.read_text(encoding="utf-8")
    for command in ("csmkpi trend --limits", "csmkpi drivers", "csmkpi reasons"):
        assert command in text
    flat = "".join(text.split())  # the column lists may wrap
    for columns in (LIMIT_COLUMNS, DRIVER_COLUMNS, REASON_COLUMNS):
        assert ",".join(columns) in flat, columns


def test_the_caveat_is_quoted_word_for_word():
    assert CAVEAT in " ".join(DOC.read_text(encoding="utf-8").split())


def test_the_signal_line_of_the_doc_is_the_format_the_terminal_prints():
    from csmkpi.insights.limits import Signal
    from csmkpi.metrics.base import Unit
    from csmkpi.output.insights import plain_number

    signal = Signal("fcr", "ALL", "2026-03", 0.393, "limit", 0.6, 0.541, 0.659, 0.2, 0.3, None, None)
    line = f"{signal.kpi} {signal.group} {signal.period} {plain_number(signal.value, Unit.RATIO)} " + signal.describe(
        lambda v: plain_number(v, Unit.RATIO)
    )
    assert line == "fcr ALL 2026-03 0.393 below lower limit 0.541"
    assert line in DOC.read_text(encoding="utf-8")


README = ROOT / "README.md"


def readme_examples() -> list[tuple[list[str], list[str]]]:
    """Each ```sh``` command of the README's insights section and the ```text``` excerpt that follows it."""
    text = README.read_text(encoding="utf-8")
    section = text.split("### Insights", 1)[1].split("\n### ", 1)[0]
    blocks = list(BLOCK_RE.finditer(section))
    pairs = []
    for block, following in zip(blocks, blocks[1:], strict=False):
        if block["lang"] == "sh" and following["lang"] == "text":
            pairs.append((shlex.split(block["body"].strip()), following["body"].splitlines()))
    return pairs


def test_the_readme_shows_the_three_insights_on_the_sample():
    assert [command[:2] for command, _ in readme_examples()] == [
        ["csmkpi", "trend"], ["csmkpi", "drivers"], ["csmkpi", "reasons"]
    ]  # fmt: skip


@pytest.mark.parametrize("index", range(3))
def test_the_readme_excerpts_are_what_the_commands_print(index, monkeypatch):
    command, excerpt = readme_examples()[index]
    monkeypatch.chdir(ROOT)
    result = CliRunner().invoke(app, [*command[1:], "--format", "table"], env={"COLUMNS": "100"})
    assert result.exit_code == 0, result.output
    printed = {line.rstrip() for line in result.stdout.splitlines()}
    for line in excerpt:
        assert line.rstrip() in printed, line
