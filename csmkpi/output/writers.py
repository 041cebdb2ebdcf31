"""Machine formats (csv, tsv, json, parquet, markdown); files are written by ``csmkpi.output.targets``.

CSV and TSV neutralise text a spreadsheet would run as a formula (OWASP CSV
injection): a text cell starting with = + - @, tab, CR, LF or their full-width
forms, that is not a plain number, gets a leading apostrophe. Numeric and date
columns are never touched.
"""

from __future__ import annotations

import io
from datetime import date, datetime
from pathlib import Path

import polars as pl

EXTENSIONS = {
    ".csv": "csv",
    ".tsv": "tsv",
    ".json": "json",
    ".parquet": "parquet",
    ".md": "markdown",
    ".xlsx": "xlsx",
}
_RISKY = r"^[=+\-@\t\r\n＝＋－＠]"
_PLAIN_NUMBER = r"^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$"


def format_for_path(path: str) -> str:
    """Guess the output format from a file name; CSV when unknown."""
    return EXTENSIONS.get(Path(path).suffix.lower(), "csv")


def neutralise(frame: pl.DataFrame) -> pl.DataFrame:
    """Prefix an apostrophe to text cells (and headers) a spreadsheet would evaluate."""
    text_columns = [name for name, dtype in frame.schema.items() if dtype == pl.String]
    safe = frame.with_columns(
        pl.when(pl.col(name).str.contains(_RISKY) & ~pl.col(name).str.contains(_PLAIN_NUMBER))
        .then(pl.concat_str(pl.lit("'"), pl.col(name)))
        .otherwise(pl.col(name))
        .alias(name)
        for name in text_columns
    )
    renames = {name: f"'{name}" for name in frame.columns if name[:1] in "=+-@\t\r\n＝＋－＠" and not _is_number(name)}
    return safe.rename(renames)


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _delimited(frame: pl.DataFrame, separator: str, safe: bool) -> bytes:
    if safe:
        frame = neutralise(frame)
    return frame.write_csv(separator=separator, quote_style="non_numeric", null_value="").encode("utf-8")


def _markdown(frame: pl.DataFrame) -> bytes:
    def cell(value: object) -> str:
        return "" if value is None else str(value).replace("|", "\\|").replace("\n", " ")

    lines = ["| " + " | ".join(frame.columns) + " |", "|" + "|".join("---" for _ in frame.columns) + "|"]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in frame.iter_rows()]
    return ("\n".join(lines) + "\n").encode("utf-8")


def _json(frame: pl.DataFrame) -> bytes:
    buffer = io.BytesIO()
    frame.write_json(buffer)
    return buffer.getvalue() + b"\n"


def _parquet(frame: pl.DataFrame) -> bytes:
    buffer = io.BytesIO()
    frame.write_parquet(buffer)
    return buffer.getvalue()


def _xlsx(frame: pl.DataFrame) -> bytes:
    """One worksheet; text is always written as a string cell (never a formula or hyperlink)."""
    import xlsxwriter  # lazily: only xlsx output needs it

    buffer = io.BytesIO()
    options = {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False}
    book = xlsxwriter.Workbook(buffer, options)
    book.set_properties({"created": datetime(2000, 1, 1)})  # a fixed stamp keeps the file byte-identical
    sheet = book.add_worksheet("csmkpi")
    bold, day = book.add_format({"bold": True}), book.add_format({"num_format": "yyyy-mm-dd"})
    for column, name in enumerate(frame.columns):
        sheet.write_string(0, column, name, bold)
    for line, row in enumerate(frame.iter_rows(), start=1):
        for column, value in enumerate(row):
            if value is None:
                continue
            if isinstance(value, bool):
                sheet.write_boolean(line, column, value)
            elif isinstance(value, int | float):
                sheet.write_number(line, column, value)
            elif isinstance(value, date):
                sheet.write_datetime(line, column, datetime(value.year, value.month, value.day), day)
            else:
                sheet.write_string(line, column, str(value))
    sheet.freeze_panes(1, 0)
    book.close()
    return buffer.getvalue()


def serialise(frame: pl.DataFrame, fmt: str, *, safe: bool = True) -> bytes:
    """Return a frame in a machine format as bytes."""
    if fmt == "csv":
        return _delimited(frame, ",", safe)
    if fmt == "tsv":
        return _delimited(frame, "\t", safe)
    if fmt == "json":
        return _json(frame)
    if fmt == "parquet":
        return _parquet(frame)
    if fmt == "markdown":
        return _markdown(frame)
    if fmt == "xlsx":
        return _xlsx(frame)
    raise ValueError(f"unknown format {fmt!r}")


def write_file(path: Path, payload: bytes) -> None:
    """Write bytes where ``path`` says (atomically for a file; see ``csmkpi.output.targets``)."""
    from csmkpi.output import targets

    targets.write_path(path, payload)
