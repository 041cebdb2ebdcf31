"""The validated fast path and the careful path accept and reject the same files, and give the same tables.

``fastpath.read_fast`` proves a clean file valid in one typed read or declines; the careful path
(``loading.read_table`` then ``validation.validate_table``) is the reference. Random files of
several tables mix values the contract accepts with every kind it rejects or that needs care:
numbers in every spelling (exponents, signs, ``.5``, ``inf``, ``nan``, ``1e400``, spaces, digits
of other scripts), whole numbers out of range, dates and months that are not days (``2026-02-29``),
datetimes in every ISO form (offsets, fractions, a space, ``24:00``, a leap second), enums and
booleans in any case or padded, empty and blank required values, duplicate keys, rows that break
a row rule, optional columns left out and extra columns. The properties:

- when the careful path finds any problem (error or warning), the fast path declines;
- when the fast path accepts a file, its table equals the careful path's (values, types, order,
  ``__line``), keeping the columns asked for;
- on clean files written the way exports write them, the fast path does accept.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import polars as pl
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from csmkpi.errors import DataError
from csmkpi.fastpath import read_fast
from csmkpi.loading import TableSource, read_table
from csmkpi.schemas import Kind, table_spec
from csmkpi.validation import TableOptions, validate_table

_SCALE = int(os.environ.get("CSMKPI_PROPERTY_SCALE", "1"))
TABLES = ("mrr", "tickets", "surveys", "opportunities", "assignments", "activities", "usage", "accounts")

GOOD = {
    Kind.TEXT: ["A1", "A2", "A3", "T 9", "x-1", "Ünïcode"],
    Kind.ENUM: ["csat", "nps", "expansion", "renewal", "new_business", "won", "lost", "open"],
    Kind.BOOL: ["true", "false", "yes", "no", "1", "0", "y", "n", "TRUE", "No", "Y"],
    Kind.DATE: ["2026-07-01", "2026-02-28", "2024-02-29", "2026-12-31", "2026-07-01T10:00:00"],
    Kind.MONTH: ["2026-07", "2026-08", "2026-09-15", "2025-12"],
    Kind.DATETIME: ["2026-07-01T09:00:00", "2026-07-01T18:30:00", "2026-07-02", "2026-08-31T23:59:59"],
    Kind.NUMBER: ["0", "1", "12.5", "100", "0.1", "7e2", "3.14159", "1000000"],
    Kind.INTEGER: ["0", "1", "3", "10", "5", "42"],
}
ODD = {
    Kind.TEXT: ["", "   ", " A1", "A1 ", "\tA", "A\u00a0"],
    Kind.ENUM: ["CSAT", " nps", "Won ", "xyz", "", "wön", "renewal", "csat"],  # another enum's value: unknown
    Kind.BOOL: ["t", "f", "", " yes", "maybe", "2", "TrUe"],
    Kind.DATE: ["2026-02-29", "2026-7-1", "20260701", "2026/07/01", " 2026-07-01", "", "2026-13-01", "0000-02-29"],
    Kind.MONTH: ["2026-13", "2026-7", "202607", "2026-02-30", "", " 2026-07"],
    Kind.DATETIME: [
        "2026-07-01 09:00:00",
        "2026-07-01T09:00",
        "2026-07-01T09:00:00Z",
        "2026-07-01T09:00:00+02:00",
        "2026-07-01T09:00:00.250",
        "2026-07-01T24:00:00",
        "2026-07-01T23:59:60",
        "2026-02-29T09:00:00",
        "2026-07-01t09:00:00",
        "",
        " 2026-07-01T09:00:00",
        "+026-07-01T09:00:00",
        "2026-06-30T23:00:00",
        "\u0662\u0660\u0662\u0666-08-05T12:37:00",  # Arabic-Indic digits: no date parser reads them
        "2026-08-1\u0665T09:00:00",
        "2026-08-2\uff15",  # a full-width digit
        "2026-07-01T1\u0662:00:00",
        "2026-07-01T09:00:00+0\u0665:30",
    ],  # fmt: skip
    Kind.NUMBER: [
        "",
        "+5",
        "-3",
        ".5",
        "5.",
        "1e400",
        "inf",
        "NaN",
        "-inf",
        " 5",
        "5 ",
        "abc",
        "0x10",
        "1_000",
        "1e18",
        "١٢",
        "1,5",
        "00012",
        "-0",
        "1E-5",
        "9" * 30,
    ],  # fmt: skip
    Kind.INTEGER: ["", "+7", "-1", "007", "7.0", "9" * 20, " 3", "3 ", "x", "-0", "1e3"],
}


@st.composite
def tables(draw: st.DrawFn, odd_share: float | None = None) -> tuple[str, str, list[str], set[str] | None]:
    """(table, CSV text, wanted columns, kept columns)."""
    table = draw(st.sampled_from(TABLES))
    specs = table_spec(table)
    columns = [c for c in specs if specs[c].required or draw(st.booleans())]  # optional columns may be absent
    extra = draw(st.booleans())
    header = [*columns, "note"] if extra else list(columns)
    if draw(st.booleans()):  # any column order
        header = draw(st.permutations(header))
    share = draw(st.sampled_from([0.0, 0.0, 0.02, 0.1])) if odd_share is None else odd_share
    rows = []
    for index in range(draw(st.integers(0, 12))):
        row = []
        for name in header:
            if name == "note":
                row.append(draw(st.sampled_from(["", "n", "x y"])))
                continue
            spec = specs[name]
            if spec.kind is Kind.ENUM:
                good = list(spec.choices)
            elif name in ("ticket_id", "response_id", "opportunity_id", "activity_id") or (
                table == "accounts" and name == "account_id"
            ):
                good = [f"K{index:03d}"]  # unique keys, in order, unless an odd value makes a duplicate
            else:
                good = GOOD[spec.kind]
            odd = ODD[spec.kind] + (["K001", "K000"] if good[0].startswith("K") else [])
            pick = draw(st.floats(0, 1)) < share
            row.append(draw(st.sampled_from(odd if pick else good)))
        rows.append(row)
    delimiter = draw(st.sampled_from([",", ",", ";", "\t"]))
    newline = draw(st.sampled_from(["\n", "\n", "\r\n"]))
    lines = [delimiter.join(r) for r in [header, *rows]]
    damage = draw(st.sampled_from(["none"] * 6 + ["blank", "short", "long", "quote", "bom"])) if share else "none"
    if damage in ("blank", "short", "long", "quote") and len(lines) > 1:
        at = draw(st.integers(1, len(lines) - 1))
        cut = lines[at].rsplit(delimiter, 1)[0]
        lines[at] = {"blank": "", "short": cut, "long": lines[at] + delimiter, "quote": '"' + lines[at]}[damage]
    text = newline.join(lines) + draw(st.sampled_from([newline, ""]))
    if damage == "bom":
        text = "\ufeff" + text
    wanted = list(specs)
    keep = None if draw(st.booleans()) else set(draw(st.lists(st.sampled_from(wanted), unique=True)))
    return table, text, wanted, keep


def careful(path: Path, table: str, wanted: list[str]) -> tuple[pl.DataFrame | None, int]:
    specs = table_spec(table)
    required = [c for c in wanted if specs[c].required]
    try:
        frame, issues = validate_table(read_table(TableSource(table, path), wanted, required), TableOptions())
    except DataError:
        return None, 1
    return frame, len(issues)


def fast(path: Path, table: str, wanted: list[str], keep: set[str] | None) -> pl.DataFrame | None:
    specs = table_spec(table)
    required = [c for c in wanted if specs[c].required]
    return read_fast(TableSource(table, path), wanted, required, TableOptions(), None, keep)[0]


@given(case=tables())
@settings(max_examples=400 * _SCALE, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_the_fast_path_declines_or_reads_what_the_careful_path_reads(
    case: tuple[str, str, list[str], set[str] | None],
) -> None:
    table, text, wanted, keep = case
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"{table}.csv"
        path.write_text(text, encoding="utf-8")
        reference, problems = careful(path, table, wanted)
        mine = fast(path, table, wanted, keep)
    event(f"careful: {'rejects' if reference is None else 'problems' if problems else 'accepts'}")
    event(f"fast: {'declines' if mine is None else 'accepts'}")
    if reference is None or problems:
        assert mine is None, (text, reference)
        return
    if mine is not None:
        expected = (
            reference if keep is None else reference.select(c for c in reference.columns if c == "__line" or c in keep)
        )
        assert mine.schema == expected.schema, (mine.schema, expected.schema)
        assert mine.equals(expected), (text, mine, expected)


@given(case=tables(odd_share=0.0))
@settings(max_examples=100 * _SCALE, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_the_fast_path_accepts_clean_exports(case: tuple[str, str, list[str], set[str] | None]) -> None:
    """Values as exports write them, spaces and non-ASCII letters inside free text included."""
    table, text, wanted, keep = case
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"{table}.csv"
        path.write_text(text, encoding="utf-8")
        reference, problems = careful(path, table, wanted)
        mine = fast(path, table, wanted, keep)
    if reference is None or problems:
        return  # a clean draw can still break a row rule (an end before its start, an overlap)
    one_column = not any(d in (text.splitlines() or [""])[0] for d in ",;\t")
    assert mine is not None or one_column, text  # a one-column file: a blank line cannot be told from an empty value
