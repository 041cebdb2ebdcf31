"""Open an XLSX in LibreOffice (headless) and read back what a spreadsheet user sees.

LibreOffice converts the workbook to a flat OpenDocument file (``.fods``, one XML document); this
module reads each sheet's cells from it: the value type LibreOffice found (``float``, ``percentage``,
``date``, ``string``), the raw value, the text as displayed (number format applied), the fill
colour, and each column's width. Tests that need it skip when ``soffice`` is missing, unless the
environment variable CI is set (then they fail).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

import pytest

NS = {
    "office": "urn:oasis:names:tc:opendocument:xmlns:office:1.0",
    "table": "urn:oasis:names:tc:opendocument:xmlns:table:1.0",
    "text": "urn:oasis:names:tc:opendocument:xmlns:text:1.0",
    "style": "urn:oasis:names:tc:opendocument:xmlns:style:1.0",
    "fo": "urn:oasis:names:tc:opendocument:xmlns:xsl-fo-compatible:1.0",
    "number": "urn:oasis:names:tc:opendocument:xmlns:datastyle:1.0",
}


def q(name: str) -> str:
    prefix, local = name.split(":")
    return f"{{{NS[prefix]}}}{local}"


@dataclass(frozen=True)
class Cell:
    kind: str  # office:value-type: float, percentage, date, string, boolean ("" when empty)
    value: str | None  # office:value or office:date-value
    text: str  # as displayed
    fill: str | None  # background colour, e.g. "#c6efce"
    data_style: str | None  # the number style's family: number-style, percentage-style, date-style...


@dataclass(frozen=True)
class Sheet:
    rows: list[list[Cell]]
    widths: list[float]  # column widths in inches, one per column used

    def column(self, header: str) -> list[Cell]:
        index = [c.text for c in self.rows[0]].index(header)
        return [row[index] if index < len(row) else Cell("", None, "", None, None) for row in self.rows[1:]]


def soffice() -> str:
    found = shutil.which("soffice") or shutil.which("libreoffice")
    if found is None:
        if os.environ.get("CI"):
            pytest.fail("LibreOffice (soffice) is required in CI")
        pytest.skip("LibreOffice (soffice) is not installed")
    return found


def convert(xlsx: Path, out: Path) -> Path:
    """Convert with a private LibreOffice profile (other runs on the machine keep theirs)."""
    profile = out / "lo-profile"
    out.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [soffice(), f"-env:UserInstallation={profile.as_uri()}", "--headless", "--convert-to", "fods",
         "--outdir", str(out), str(xlsx)],
        check=True, capture_output=True, timeout=180,
    )  # fmt: skip
    return out / f"{xlsx.stem}.fods"


def _styles(root: ET.Element) -> tuple[dict[str, tuple[str | None, str | None]], dict[str, float], dict[str, str]]:
    numbers = {}
    for element in root.iter():
        if element.tag.startswith(f"{{{NS['number']}}}") and element.get(q("style:name")):
            numbers[element.get(q("style:name"))] = element.tag.split("}")[1]
    cells, columns = {}, {}
    for style in root.iter(q("style:style")):
        name, family = style.get(q("style:name")), style.get(q("style:family"))
        if family == "table-cell":
            props = style.find(q("style:table-cell-properties"))
            fill = props.get(q("fo:background-color")) if props is not None else None
            cells[name] = (numbers.get(style.get(q("style:data-style-name")) or ""), fill)
        elif family == "table-column":
            width = style.find(q("style:table-column-properties")).get(q("style:column-width"))
            columns[name] = float(width[:-2]) / (2.54 if width.endswith("cm") else 1.0)
    return cells, columns, numbers


def read(fods: Path) -> dict[str, Sheet]:
    """Every sheet of a flat ODS file."""
    root = ET.parse(fods).getroot()
    cell_styles, column_styles, _ = _styles(root)
    sheets = {}
    for table in root.iter(q("table:table")):
        widths: list[float] = []
        for column in table.iter(q("table:table-column")):
            repeat = int(column.get(q("table:number-columns-repeated"), "1"))
            widths.extend([column_styles.get(column.get(q("table:style-name")), 0.0)] * min(repeat, 200))
        rows = []
        for row in table.iter(q("table:table-row")):
            cells = []
            for cell in row:
                if cell.tag not in (q("table:table-cell"), q("table:covered-table-cell")):
                    continue
                repeat = min(int(cell.get(q("table:number-columns-repeated"), "1")), 200)
                data_style, fill = cell_styles.get(cell.get(q("table:style-name")), (None, None))
                text = "\n".join("".join(p.itertext()) for p in cell.iter(q("text:p")))
                value = cell.get(q("office:value")) or cell.get(q("office:date-value")) or cell.get(q("office:boolean-value"))
                cells.extend([Cell(cell.get(q("office:value-type"), ""), value, text, fill, data_style or None)] * repeat)
            while cells and not cells[-1].kind and not cells[-1].fill:
                cells.pop()
            rows.append(cells)
        while rows and not rows[-1]:
            rows.pop()
        sheets[table.get(q("table:name"))] = Sheet(rows, widths)
    return sheets


def filter_ranges(fods: Path) -> list[str]:
    """The ranges with autofilter buttons (``Scorecard.A1:Scorecard.AG11``)."""
    root = ET.parse(fods).getroot()
    return [
        r.get(q("table:target-range-address"))
        for r in root.iter(q("table:database-range"))
        if r.get(q("table:display-filter-buttons")) == "true"
    ]
