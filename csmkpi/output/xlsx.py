"""XLSX a spreadsheet user keeps (SPEC §6): numbers stay numbers, shown as people read them.

Each cell keeps its raw value (a ratio stays 0.974, a date a real date) and gets a number format:
``0.0%`` for ratios, thousands separators for money and counts, ``yyyy-mm-dd`` for dates. Columns
are as wide as their shown text, the header row is frozen and filtered, a status cell (and, in the
wide layout, a KPI value) is filled with its status colour while the status word stays in its
column. A ``Definitions`` sheet states the resolved period and each KPI's formula, target and
weight. Text is always a string cell, never a formula or a hyperlink. The file is byte-identical
for the same input (a fixed creation stamp).
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

import polars as pl

from csmkpi.output.people import Presentation, Style, definition_style, text

FILLS = {  # Excel's own Good / Neutral / Bad cell styles, and grey for no score
    "green": ("#C6EFCE", "#006100"),
    "amber": ("#FFEB9C", "#9C5700"),
    "red": ("#FFC7CE", "#9C0006"),
    "low-n": ("#F2F2F2", "#595959"),
    "no-data": ("#F2F2F2", "#595959"),
}
DATE = "yyyy-mm-dd"
MIN_WIDTH, MAX_WIDTH, TEXT_MAX = 6, 60, 48
STAMP = datetime(2000, 1, 1)  # a fixed creation time keeps the file byte-identical


def number_format(value: Any, style: Style) -> str | None:
    """The Excel number format of a numeric cell."""
    whole = isinstance(value, int) or (isinstance(value, float) and value.is_integer())
    unit = style.unit.value if style.unit is not None else None
    if style.kind == "value":
        return {
            "ratio": "0.0%",
            "points": "+0.0;-0.0;0.0",
            "currency": "#,##0",
            "days": "#,##0.0",
        }.get(unit or "", "#,##0" if whole else "#,##0.0")
    if style.kind == "change":
        return {
            "ratio": "+0.0%;-0.0%;0.0%",
            "currency": "+#,##0;-#,##0;0",
        }.get(unit or "", "+#,##0;-#,##0;0" if whole else "+#,##0.0;-#,##0.0;0.0")
    if style.kind == "percent":
        return "0.0%"
    if style.kind == "score":
        return "0.0"
    if style.kind == "integer":
        return "#,##0"
    if style.kind == "decimal":
        return "#,##0." + "0" * style.digits
    if style.kind == "p":
        return '[<0.001]"<0.001";0.000'
    return "#,##0" if whole else "#,##0.00"


class _Book:
    """A workbook with a cache of cell formats (XlsxWriter wants each made once)."""

    def __init__(self, buffer: io.BytesIO) -> None:
        import xlsxwriter  # lazily: only xlsx output needs it

        options = {
            "in_memory": True,
            "strings_to_formulas": False,
            "strings_to_urls": False,
            "strings_to_numbers": False,
        }
        self.book = xlsxwriter.Workbook(buffer, options)
        self.book.set_properties({"created": STAMP})
        self._formats: dict[tuple[Any, ...], Any] = {}

    def fmt(self, num: str | None = None, status: str | None = None, **extra: Any) -> Any:
        key = (num, status, *sorted(extra.items()))
        if key not in self._formats:
            props: dict[str, Any] = dict(extra)
            if num:
                props["num_format"] = num
            if status in FILLS:
                props["bg_color"], props["font_color"] = FILLS[status]
            self._formats[key] = self.book.add_format(props)
        return self._formats[key]


def _marked(num: str, mark: str) -> str:
    """A number format that shows the status mark after the number, in each of its sections."""
    return ";".join(f'{section} "{mark}"' for section in num.split(";"))


def _cell(
    book: _Book, sheet: Any, line: int, column: int, value: Any, style: Style, status: str | None, mark: str = ""
) -> str:
    """Write one cell (a number followed by its status ``mark``); return its text as shown (for the column width)."""
    if value is None:
        if status in FILLS:
            sheet.write_blank(line, column, None, book.fmt(None, status))
        return ""
    if isinstance(value, bool):
        sheet.write_boolean(line, column, value)
        return "FALSE" if not value else "TRUE"
    if isinstance(value, int | float) and math.isfinite(value):
        num = number_format(value, style)
        sheet.write_number(line, column, value, book.fmt(_marked(num, mark) if mark and num else num, status))
        return f"{text(value, style)} {mark}" if mark else text(value, style)
    if isinstance(value, datetime):
        sheet.write_datetime(line, column, value, book.fmt("yyyy-mm-dd hh:mm:ss"))
        return "0000-00-00 00:00:00"
    if isinstance(value, date):
        sheet.write_datetime(line, column, datetime(value.year, value.month, value.day), book.fmt(DATE))
        return DATE
    shown = str(value)
    sheet.write_string(line, column, shown, book.fmt(None, status))
    return shown


def _width(texts: Sequence[str], header: str) -> float:
    widest = max((len(line) for t in texts for line in t.split("\n")), default=0)
    return float(max(MIN_WIDTH, min(MAX_WIDTH, max(min(widest, TEXT_MAX), len(header)) + 2)))


def _data_sheet(book: _Book, name: str, frame: pl.DataFrame, people: Presentation) -> None:
    sheet = book.book.add_worksheet(name)
    frame = people.shown(frame)
    header = book.fmt(None, None, bold=True, bottom=1)
    shown: list[list[str]] = [[] for _ in frame.columns]
    for column, title in enumerate(frame.columns):
        sheet.write_string(0, column, title, header)
    for line, row in enumerate(frame.iter_rows(named=True), start=1):
        for column, (title, value) in enumerate(row.items()):
            style = people.style(title, row)
            status = people.status(title, row)
            mark = people.mark(title, row)
            shown[column].append(_cell(book, sheet, line, column, value, style, status, mark))
    for column, title in enumerate(frame.columns):
        sheet.set_column(column, column, _width(shown[column], title))
    sheet.freeze_panes(1, 0)
    sheet.autofilter(0, 0, max(frame.height, 1), max(frame.width - 1, 0))


def _definitions_sheet(book: _Book, people: Presentation) -> None:
    """The resolved period and run facts, then one row per KPI (formula, params, target, weight...)."""
    sheet = book.book.add_worksheet("Definitions")
    bold = book.fmt(None, None, bold=True)
    widths: dict[int, list[str]] = {0: [], 1: []}
    line = 0
    for key, value in people.about:
        sheet.write_string(line, 0, key, bold)
        widths[0].append(key)
        widths[1].append(_cell(book, sheet, line, 1, value, definition_style(key, {}), None))
        line += 1
    if people.about:
        line += 1
    header = [str(title) for title in people.definitions[0]] if people.definitions else []
    for column, title in enumerate(header):
        sheet.write_string(line, column, title, book.fmt(None, None, bold=True, bottom=1))
        widths.setdefault(column, []).append(title)
    for values in people.definitions[1:]:
        line += 1
        row = dict(zip(header, values, strict=True))
        for column, (title, value) in enumerate(row.items()):
            widths[column].append(_cell(book, sheet, line, column, value, definition_style(title, row), None))
    for column, texts in widths.items():
        sheet.set_column(column, column, _width(texts, ""))


def workbook(frame: pl.DataFrame, people: Presentation) -> bytes:
    """The frame as a workbook: its sheet, any extra sheets (``Details``), then ``Definitions``."""
    buffer = io.BytesIO()
    book = _Book(buffer)
    _data_sheet(book, people.sheet, frame, people)
    for name, extra, presentation in people.extra:
        _data_sheet(book, name, extra, presentation)
    if people.definitions or people.about:
        _definitions_sheet(book, people)
    book.book.close()
    return buffer.getvalue()
