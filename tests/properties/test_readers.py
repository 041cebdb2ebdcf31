"""The plain reader either declines a file or reads exactly what the careful reader reads.

``loading.read_plain`` is the fast path for UTF-8 files without quotes; ``loading.read_careful``
is the reference. Random files mix clean rows with the things the plain reader must decline
(quotes, short, long and blank lines, whitespace-only lines, invalid UTF-8, the separator
byte) and things it must read the same way (CRLF, BOM, empty fields, spaces, non-ASCII text).
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import polars as pl
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from csmkpi.errors import DataError
from csmkpi.loading import TableSource, read_careful, read_head, read_header, read_plain, resolve_columns

HEADER = ("account_id", "month", "mrr")
CLEAN = st.sampled_from(["A1", "2026-07", "10.5", "", " x ", "é", "\t", "A 2", "y\u00a0", "\u2003z"])
ODD = st.sampled_from(['"q"', "a\x1fb", "<BAD>", "1,5", "1;5", "1\r", "\r"])  # <BAD>: a byte that is never valid UTF-8


@st.composite
def files(draw: st.DrawFn) -> bytes:
    """A header and rows of 3 cells, up to two of them odd (wrong width, blank, quoted, bad bytes)."""
    newline = draw(st.sampled_from(["\n", "\r\n"]))  # mixed endings come from the odd "\r" cells
    delimiter = draw(st.sampled_from([",", ";"]))
    good = st.lists(CLEAN, min_size=3, max_size=3)
    odd = (
        st.lists(CLEAN, min_size=0, max_size=4)
        | st.lists(CLEAN, min_size=2, max_size=2)
        | st.lists(CLEAN, min_size=4, max_size=4)
        | st.tuples(CLEAN, ODD, CLEAN).map(list)
        | st.tuples(CLEAN, CLEAN, ODD).map(list)
        | st.sampled_from([["   "], [""], ["\t"]])
    )
    rows = draw(st.lists(good, max_size=6))
    for _ in range(draw(st.integers(0, 2))):  # two odd rows: a long one and a short one must not cancel out
        rows.insert(draw(st.integers(0, len(rows))), draw(odd))
    lines = [delimiter.join(HEADER)] + [delimiter.join(row) for row in rows]
    text = newline.join(lines) + draw(st.sampled_from(["", newline]))
    bom = b"\xef\xbb\xbf" if draw(st.booleans()) else b""
    return bom + text.encode("utf-8").replace(b"<BAD>", b"\xff")


@given(content=files(), wanted=st.sampled_from([HEADER, HEADER[:2], HEADER[1:], HEADER[:1]]))
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_plain_reader_declines_or_matches_the_careful_reader(content: bytes, wanted: tuple[str, ...]) -> None:
    """Some columns only, too, as ``score`` reads them: Polars then ignores a row's extra fields."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "mrr.csv"
        path.write_bytes(content)
        source = TableSource("mrr", path)
        head = read_head(source)
        delimiter, header = read_header(source, head)
        mapping, issues = resolve_columns(source, header, wanted, wanted)
        assert not issues
        plain = read_plain(source, delimiter, header, mapping)
        try:
            careful = read_careful(source, wanted, wanted).frame
        except DataError:
            assert plain is None  # the careful reader rejects the file: the plain one must not accept it
            return
        event("plain reader accepted" if plain is not None else "plain reader declined")
        if plain is not None:
            frame, trimmed = plain
            assert frame.equals(careful), (frame, careful)
            assert frame.schema == careful.schema
            columns = pl.col(wanted)
            spaced = careful.select(pl.any_horizontal(columns != columns.str.strip_chars()).any()).item()
            event("values to trim" if spaced else "nothing to trim")
            assert trimmed is not spaced
