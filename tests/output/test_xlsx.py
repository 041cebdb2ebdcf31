"""XLSX a spreadsheet user keeps, opened by a real spreadsheet engine (LibreOffice, headless).

Formerly the workbook opened with ``###`` dates, ratios as 0.9743 and no column widths. Now LibreOffice
must read numbers as numbers with the values of the CSV, ratios as percentages (``0.0%``), money with
thousands separators, dates as dates, in columns wide enough for what they show; status cells coloured
with the status word kept; a filter on the header; a Definitions sheet; text never a formula.
"""

from __future__ import annotations

import csv
import io
import zipfile
from pathlib import Path

import pytest
from libreoffice import convert, filter_ranges, read
from typer.testing import CliRunner

from csmkpi.cli.app import app

from departments import AS_OF, CONFIG  # isort: skip

ARGS = ("score", "--config", str(CONFIG), "--period", "2026-Q3", "--as-of", AS_OF.isoformat())
CHAR_INCHES = 7 / 96  # the width of a digit in Calibri 11, the default font, at 96 dpi


def run(*args: str | Path) -> str:
    result = CliRunner().invoke(app, [str(a) for a in args])
    assert result.exit_code == 0, result.stderr
    return result.stdout


@pytest.fixture(scope="module")
def sheets(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    folder = tmp_path_factory.mktemp("xlsx")
    wide, long = folder / "wide.xlsx", folder / "long.xlsx"
    run(*ARGS, "--output", wide, "--quiet")
    run(*ARGS, "--output", long, "--layout", "long", "--quiet")
    return {
        "wide": read(convert(wide, folder / "lo")),
        "long": read(convert(long, folder / "lo")),
        "ranges": filter_ranges(folder / "lo" / "wide.fods"),
        "files": (wide, long),
    }


MARKS = {"green": "✓", "amber": "~", "red": "✗", "low-n": "?"}


def bare(text: str) -> str:
    """A cell's text without its status mark."""
    head, _, mark = text.rpartition(" ")
    return head if head and mark in MARKS.values() else text


def statuses() -> dict[tuple[str, str], str]:
    """(group, kpi) -> status, from the long CSV."""
    return {(r["group"], r["kpi"]): r["status"] for r in csv.DictReader(io.StringIO(run(*ARGS, "--layout", "long")))}


def test_numbers_stay_numbers_with_the_csv_values(sheets):
    sheet = sheets["wide"]["Scorecard"]
    table = list(csv.DictReader(io.StringIO(run(*ARGS))))
    header = [c.text for c in sheet.rows[0]]
    # For people, the CSM's name beside the id (SPEC §6); otherwise the CSV's columns.
    assert header == [*list(table[0])[:5], "name", *list(table[0])[5:]]
    names = {
        r["csm_id"]: r["csm_name"] for r in csv.DictReader((CONFIG.parents[1] / "sample_data" / "csms.csv").open())
    }
    names |= {"ALL": "All", "(unassigned)": "(unassigned)"}
    for cells, row in zip(sheet.rows[1:], table, strict=True):
        for title, cell in zip(header, cells, strict=False):
            if title == "name":
                assert (cell.kind, cell.text) == ("string", names[row["group"]])
                continue
            expected = row[title]
            if title in ("period", "group_by", "group"):
                assert (cell.kind, cell.text) == ("string", expected)
            elif title in ("period_start", "period_end"):
                assert (cell.kind, cell.value, cell.text) == ("date", expected, expected)
            elif expected == "":
                assert cell.kind == ""
            else:
                assert cell.kind in ("float", "percentage"), (title, cell)
                assert float(cell.value) == pytest.approx(float(expected), rel=1e-12, abs=1e-9)


def test_ratios_are_percentages_money_has_separators(sheets):
    sheet = sheets["wide"]["Scorecard"]
    nrr, arr, nps, score = (sheet.column(t) for t in ("nrr", "arr_managed", "nps", "score"))
    assert all(c.kind == "percentage" and bare(c.text).endswith("%") for c in nrr if c.kind)
    status = statuses()
    # Each KPI value reads its status without colour: the mark after the number (the cell stays a number).
    assert nrr[-1].text == f"{float(nrr[-1].value) * 100:.1f}% {MARKS[status[('ALL', 'nrr')]]}"
    assert arr[-1].kind == "float" and arr[-1].text == f"{float(arr[-1].value):,.0f}"
    assert nps[-1].text == f"{float(nps[-1].value):+.1f} {MARKS[status[('ALL', 'nps')]]}"
    assert score[-1].text == f"{float(score[-1].value):.1f}"


def test_columns_are_wide_enough_for_what_they_show(sheets):
    for name in ("Scorecard", "Details"):
        sheet = sheets["wide"][name]
        for index in range(len(sheet.rows[0])):
            widest = max(len(row[index].text) for row in sheet.rows if index < len(row))
            assert sheet.widths[index] >= widest * CHAR_INCHES, (name, sheet.rows[0][index].text)


def test_status_cells_are_coloured_and_keep_their_word(sheets):
    sheet = sheets["long"]["Scorecard"]
    colours = {"green": "#c6efce", "amber": "#ffeb9c", "red": "#ffc7ce"}
    statuses = sheet.column("status")
    assert {c.text for c in statuses} >= {"green", "amber", "red", "low-n"}
    for status, value in zip(statuses, sheet.column("value"), strict=True):
        if status.text in colours:
            assert status.fill == colours[status.text] and value.fill == colours[status.text]
    wide = sheets["wide"]["Scorecard"]
    assert {c.fill for c in wide.column("nrr")} >= {"#c6efce", "#ffc7ce"}


def test_long_layout_units_follow_each_kpi(sheets):
    sheet = sheets["long"]["Scorecard"]
    header = [c.text for c in sheet.rows[0]]
    for row in sheet.rows[1:]:
        cells = dict(zip(header, row, strict=False))
        if cells["kpi"].text == "nrr" and cells["value"].kind:
            assert cells["value"].kind == "percentage" and cells["attainment"].kind == "percentage"
        if cells["kpi"].text == "arr_managed" and cells["value"].kind:
            assert bare(cells["value"].text) == f"{float(cells['value'].value):,.0f}"
            mark = MARKS.get(cells["status"].text if "status" in cells else "")
            assert cells["value"].text.endswith(f" {mark}") if mark else " " not in cells["value"].text
            numerator = float(cells["numerator"].value)
            assert cells["numerator"].text == (f"{numerator:,.0f}" if numerator.is_integer() else f"{numerator:,.2f}")


def test_compare_columns_are_numbers_in_the_kpis_unit(tmp_path):
    target = tmp_path / "compare.xlsx"
    run(*ARGS, "--output", target, "--layout", "long", "--compare", "previous", "--quiet")
    sheet = read(convert(target, tmp_path / "lo"))["Scorecard"]
    assert [c.text for c in sheet.rows[0]][-3:] == ["status", "compare_value", "change"]
    nrr = next(row for row in sheet.rows[1:] if row[6].text == "nrr" and row[16].kind)
    assert nrr[15].kind == "percentage" and nrr[16].kind == "percentage" and nrr[16].text[0] in "+-0"
    assert float(nrr[16].value) == pytest.approx(float(nrr[8].value) - float(nrr[15].value))


def test_header_is_filtered_and_frozen(sheets):
    columns = len(sheets["wide"]["Scorecard"].rows[0])
    last = chr(ord("A") + columns // 26 - 1) + chr(ord("A") + columns % 26 - 1) if columns > 26 else chr(64 + columns)
    assert f"Scorecard.A1:Scorecard.{last}11" in sheets["ranges"]
    with zipfile.ZipFile(sheets["files"][0]) as book:
        first = book.read("xl/worksheets/sheet1.xml").decode("utf-8")
    assert 'state="frozen"' in first and 'ySplit="1"' in first  # LibreOffice headless drops view settings


def test_definitions_sheet_states_the_period_and_each_kpi(sheets):
    sheet = sheets["wide"]["Definitions"]
    about = {row[0].text: row[1] for row in sheet.rows if len(row) > 1 and row[0].text}
    assert about["period"].text == "2026-Q3"
    assert about["period_start"].kind == "date" and about["period_start"].text == "2026-07-01"
    assert about["period_end"].text == "2026-09-30" and about["as_of"].text == "2026-10-15"
    start = next(i for i, row in enumerate(sheet.rows) if row and row[0].text == "kpi")
    header = [c.text for c in sheet.rows[start]]
    assert header[:4] == ["kpi", "label", "metric", "formula"] and {"target", "weight"} <= set(header)
    kpis = {row[0].text: dict(zip(header, row, strict=False)) for row in sheet.rows[start + 1 :] if row}
    assert kpis["nrr"]["target"].text == "102.0%" and kpis["nrr"]["weight"].text == "20"
    assert "Σ" in kpis["nrr"]["formula"].text


def test_text_is_never_a_formula(tmp_path, sample_risky):
    target = tmp_path / "risky.xlsx"
    run(*ARGS, "--data", sample_risky, "--output", target, "--quiet")
    sheet = read(convert(target, tmp_path / "lo"))["Scorecard"]
    groups = [c for c in sheet.column("group")]
    assert any(c.text == "=1+1" and c.kind == "string" for c in groups)
    with zipfile.ZipFile(target) as book:
        assert "<f>" not in book.read("xl/worksheets/sheet1.xml").decode("utf-8")


@pytest.fixture
def sample_risky(tmp_path: Path) -> Path:
    import shutil

    from departments import SAMPLE

    data = tmp_path / "data"
    shutil.copytree(SAMPLE, data, ignore=shutil.ignore_patterns("*.py", "*.md"))
    for name in ("csms.csv", "accounts.csv", "assignments.csv"):
        path = data / name
        path.write_text(path.read_text(encoding="utf-8").replace("alice", "=1+1"), encoding="utf-8")
    return data


def test_byte_identical_for_the_same_input(tmp_path):
    first, second = tmp_path / "a.xlsx", tmp_path / "b.xlsx"
    run(*ARGS, "--output", first, "--quiet")
    run(*ARGS, "--output", second, "--quiet")
    assert first.read_bytes() == second.read_bytes()


def test_explain_and_trend_workbooks_keep_numbers_and_formats(tmp_path):
    explain, trend = tmp_path / "explain.xlsx", tmp_path / "trend.xlsx"
    common = ("--config", str(CONFIG), "--as-of", AS_OF.isoformat(), "--quiet")
    run("explain", "nrr", "--group", "alice", "--period", "2026-Q3", "--output", explain, *common)
    run("trend", "--period", "2026-H1", "--every", "quarter", "--output", trend, *common)
    units = read(convert(explain, tmp_path / "lo"))["Explain"]
    shares = [c for c in units.column("share") if c.kind]
    assert shares and all(c.kind == "percentage" for c in shares)
    assert all(c.kind == "date" for c in units.column("date") if c.text)
    total = units.rows[-1]
    assert total[2].text == "TOTAL" and units.column("value")[-1].kind == "percentage"
    periods = read(convert(trend, tmp_path / "lo"))["Trend"]
    assert {c.text for c in periods.column("period")} == {"2026-Q1", "2026-Q2"}
    values = periods.column("value")
    kpis = periods.column("kpi")
    assert all(v.kind == "percentage" for v, k in zip(values, kpis, strict=True) if k.text == "nrr" and v.kind)


def test_limits_workbook_and_markdown_show_each_kpis_unit(tmp_path):
    # trend --limits wrote both without a presentation: ratios as 0.98, no Definitions, no fills.
    book = tmp_path / "limits.xlsx"
    common = ("trend", "--config", str(CONFIG), "--as-of", AS_OF.isoformat(), "--period", "2026-H1", "--limits")
    run(*common, "--output", book, "--quiet")
    sheets = read(convert(book, tmp_path / "lo"))
    assert list(sheets) == ["Trend", "Definitions"]
    trend = sheets["Trend"]
    header = [c.text for c in trend.rows[0]]
    limited = 0
    for row in trend.rows[1:]:
        cells = dict(zip(header, row, strict=False))
        if cells["kpi"].text == "nrr":
            for column in ("value", "centre", "lower_limit", "upper_limit", "moving_range", "range_limit"):
                if cells[column].kind:
                    assert cells[column].kind == "percentage", (column, cells[column])
                    assert bare(cells[column].text) == f"{float(cells[column].value) * 100:.1f}%"
                    limited += column == "centre"
        if cells["status"].text == "green":
            assert cells["status"].fill == "#c6efce"
    assert limited
    markdown = run(*common, "--format", "markdown", "--quiet").splitlines()
    columns = [c.strip() for c in markdown[0].strip("|").split("|")]
    for line in markdown[2:]:
        cells = dict(zip(columns, (c.strip() for c in line.strip("|").split("|")), strict=True))
        if cells["kpi"] == "nrr" and cells["centre"]:
            assert cells["centre"].endswith("%") and bare(cells["value"]).endswith("%")
            assert cells["baseline"] in ("true", "false")
            break
    else:
        raise AssertionError("no nrr row with limits")


def test_reasons_and_drivers_workbooks_show_shares_money_and_estimates(tmp_path):
    # Both were written without a presentation: shares as 0.33, p-values as 0.00.
    reasons, drivers = tmp_path / "reasons.xlsx", tmp_path / "drivers.xlsx"
    common = ("--config", str(CONFIG), "--as-of", AS_OF.isoformat(), "--quiet")
    run("reasons", "--period", "2026-Q3", "--output", reasons, *common)
    run("drivers", "--period", "2026-Q1", "--outcome", "expansion", "--output", drivers, *common)
    pareto = read(convert(reasons, tmp_path / "lo"))
    assert list(pareto) == ["Reasons", "Definitions"]
    names = dict(
        zip(
            (c.text for c in pareto["Reasons"].column("group")),
            (c.text for c in pareto["Reasons"].column("name")),
            strict=True,
        )
    )
    assert names["bob"] == "Bob Martinez" and names["ALL"] == "All"  # by csm, the name beside the id
    for share in ("logo_share", "cum_mrr_share"):
        cells = [c for c in pareto["Reasons"].column(share) if c.kind]
        assert cells and all(c.kind == "percentage" and c.text == f"{float(c.value) * 100:.1f}%" for c in cells)
    lost = [c for c in pareto["Reasons"].column("lost_mrr") if c.kind]
    assert lost and all(c.text == f"{float(c.value):,.0f}" for c in lost)
    table = read(convert(drivers, tmp_path / "lo"))["Drivers"]
    fitted = [c for c in table.column("coef") if c.kind]
    assert fitted and all(c.text == f"{float(c.value):,.3f}" for c in fitted)
    for cell in table.column("p_value"):
        if cell.kind:
            p = float(cell.value)
            assert cell.text == ("<0.001" if p < 0.001 else f"{p:.3f}")


def test_a_p_value_below_a_thousandth_reads_as_such(tmp_path):
    import polars as pl

    from csmkpi.output.people import Presentation, Style
    from csmkpi.output.xlsx import workbook

    book = tmp_path / "p.xlsx"
    frame = pl.DataFrame({"p_value": [0.0004, 0.0123, 0.5]})
    book.write_bytes(workbook(frame, Presentation(lambda column, row: Style("p"))))
    cells = read(convert(book, tmp_path / "lo"))["csmkpi"].column("p_value")
    assert [(c.kind, c.text) for c in cells] == [("float", "<0.001"), ("float", "0.012"), ("float", "0.500")]
