"""Read input files as text, exactly as written, with a physical line number per row.

Every column is read as text (casting is validation's job) and only the columns a
run needs are kept. Polars pads short rows and counts records, not lines, so the
file's structure (ragged rows, blank lines, unclosed quotes, multi-line quoted
fields) is checked too (SPEC §2). Two readers share that contract:

- the plain reader, for UTF-8 files without a quote character: one pass over the
  bytes (delimiters counted, quotes and invalid UTF-8 looked for), then Polars' CSV
  reader told there are no quotes; it declines any file it cannot vouch for;
- the careful reader, for everything else (quotes, other encodings, and every
  file the plain reader declines): the whole file is decoded once, then a CSV
  scan and a line-structure scan run side by side.

Both give the same ``RawTable`` for the same file; the careful reader also says
exactly what is wrong with a file that is not a clean table.
"""

from __future__ import annotations

import codecs
import csv
import errno
import io
import os
import stat
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from csmkpi.errors import DataError, InputMissingError, Issue

if TYPE_CHECKING:
    import polars as pl

LINE = "__line"
FIELDS = "__fields"
DELIMITERS = (",", ";", "\t", "|")
_LINE_SEPARATOR = "\x1f"  # a byte no text export uses, so each physical line is one field


@dataclass(frozen=True)
class TableSource:
    """Where a table lives and how its file is written."""

    table: str
    path: Path
    columns: Mapping[str, str] = field(default_factory=dict)  # canonical -> header
    delimiter: str | None = None
    encoding: str = "utf-8"
    stream: bool = False  # a FIFO or device (a pipe, process substitution): it can be read only once
    data: bytes | None = None  # a stream's bytes, once read (``read_stream``)

    @property
    def display(self) -> str:
        """Return the file name used in messages."""
        return str(self.path)


def probe(path: Path, setting: str = "") -> str | None:
    """What a table's path is: ``file``, ``stream`` (a FIFO or device, read once) or None when absent.

    A path that exists but cannot be read as a table (a folder, a dangling link, a link loop, a socket,
    no permission) is ``InputMissingError`` (66) naming the path and why (SPEC §2); ``setting`` says
    where the config named it, if it did.
    """
    where = f" ({setting})" if setting else ""
    try:
        status = os.stat(path)
    except FileNotFoundError:
        if not os.path.islink(path):
            return None
        target = os.readlink(path)
        raise InputMissingError(
            f"{path}: cannot be read: it is a symbolic link to {target}, which does not exist{where}"
        ) from None
    except OSError as exc:
        why = "it is a symbolic link loop" if exc.errno == errno.ELOOP else exc.strerror or str(exc)
        raise InputMissingError(f"{path}: cannot be read: {why}{where}") from None
    if stat.S_ISDIR(status.st_mode):
        raise InputMissingError(f"{path}: cannot be read as a table: it is a folder, not a file{where}")
    if stat.S_ISFIFO(status.st_mode) or stat.S_ISCHR(status.st_mode):
        return "stream"
    if not stat.S_ISREG(status.st_mode):
        kind = "socket" if stat.S_ISSOCK(status.st_mode) else "block device"
        raise InputMissingError(f"{path}: cannot be read as a table: it is a {kind}, not a file{where}")
    if not os.access(path, os.R_OK):
        raise InputMissingError(f"{path}: cannot be read: permission denied{where}")
    return "file"


def read_stream(source: TableSource) -> TableSource:
    """Read a FIFO or device to its end, once, and keep the bytes (every later step reads those)."""
    if not source.stream or source.data is not None:
        return source
    try:
        with source.path.open("rb") as handle:
            data = handle.read()
    except OSError as exc:
        raise InputMissingError(f"{source.display}: cannot read: {exc.strerror or exc}") from exc
    return TableSource(source.table, source.path, source.columns, source.delimiter, source.encoding, True, data)


@dataclass(frozen=True)
class RawTable:
    """A table's needed columns as text, plus ``__line`` and ``__fields``."""

    table: str
    source: TableSource
    frame: pl.DataFrame
    header: tuple[str, ...]
    delimiter: str
    mapping: Mapping[str, str]  # canonical -> the file's header
    absent: tuple[str, ...] = ()  # wanted optional columns the file does not have: read as empty
    trimmed: bool = False  # True when no value starts or ends with whitespace (trimming is a no-op)
    plain: bool = False  # read by the plain reader (else the careful one or as Parquet)


def _issue(source: TableSource, message: str, **kw: object) -> Issue:
    return Issue(level="error", message=message, file=source.display, **kw)  # type: ignore[arg-type]


def read_bytes(source: TableSource) -> bytes:
    """Read the file, transcoding a declared non-UTF-8 encoding to UTF-8."""
    data = read_head(source, -1)
    encoding = codecs.lookup(source.encoding).name
    if encoding in ("utf-8", "utf-8-sig"):
        _check_utf8(source, data)
    else:
        try:
            data = data.decode(encoding).encode("utf-8")
        except UnicodeDecodeError as exc:
            line = data[: exc.start].count(b"\n") + 1
            raise DataError(
                f"{source.display}: cannot decode as {source.encoding}",
                [_issue(source, f"byte {data[exc.start]:#04x} cannot be decoded as {source.encoding}", line=line)],
            ) from exc
    _check_nul(source, data)
    return data


def _check_nul(source: TableSource, data: bytes) -> None:
    """A NUL byte is in no text table: a binary, truncated or mis-declared file (SPEC §2)."""
    at = data.find(b"\0")
    if at < 0:
        return
    line = data.count(b"\n", 0, at) + 1
    raise DataError(
        f"{source.display}: a NUL byte in a text file",
        [
            _issue(
                source,
                "a NUL byte (\\x00): a text table has none; the file may be binary, cut off, or UTF-16 "
                f"(then declare it: data.tables.{source.table}.encoding: utf-16)",
                line=line,
            )
        ],
    )


def _check_utf8(source: TableSource, data: bytes) -> None:
    _check_utf16(source, data)
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise DataError(
            f"{source.display}: not valid UTF-8",
            [
                _issue(
                    source,
                    f"byte {data[exc.start]:#04x} is not valid UTF-8; if the file was saved by Excel or "
                    "another Windows program, declare its encoding in the config, e.g. "
                    f"data.tables.{source.table}.encoding: cp1252",
                    line=line,
                )
            ],
        ) from exc


def _check_utf16(source: TableSource, data: bytes) -> None:
    if data[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE):
        raise DataError(
            f"{source.display}: UTF-16 text",
            [
                _issue(
                    source,
                    "the file is UTF-16 (Excel's 'Unicode text'); declare it in the config, e.g. "
                    f"data.tables.{source.table}.encoding: utf-16",
                    line=1,
                )
            ],
        )


def read_head(source: TableSource, size: int = 65536) -> bytes:
    """Read the start of a file (``size`` bytes; -1 for all of it); an empty file is an error."""
    try:
        if source.data is not None:
            data = source.data if size < 0 else source.data[:size]
        else:
            with source.path.open("rb") as handle:
                data = handle.read(size)
    except FileNotFoundError as exc:
        raise InputMissingError(f"{source.display}: file not found") from exc
    except OSError as exc:
        raise InputMissingError(f"{source.display}: cannot read file: {exc.strerror}") from exc
    if not data:
        raise DataError(
            f"{source.display}: the file is empty (0 bytes)",
            [_issue(source, "the file is empty (0 bytes); a valid empty table needs at least a header line")],
        )
    return data


def read_header(source: TableSource, data: bytes) -> tuple[str, tuple[str, ...]]:
    """Return the delimiter and the header's column names (``data``: the file or its first 64 KiB)."""
    if b"\n" not in data and b"\r" in data:
        raise DataError(
            f"{source.display}: old Mac line endings",
            [_issue(source, "lines end with CR only (old Mac format); save the file with LF or CRLF line endings")],
        )
    head = data[:65536].decode("utf-8", errors="replace").lstrip("\ufeff")
    first_line = head.split("\n", 1)[0]
    delimiter = source.delimiter or max(DELIMITERS, key=first_line.count)
    if not first_line.count(delimiter):
        delimiter = source.delimiter or ","
    reader = csv.reader(io.StringIO(head), delimiter=delimiter)
    try:
        header = tuple(name.strip() for name in next(reader, []))
    except csv.Error as exc:  # a lone CR inside the header line (a line end of another system), a NUL
        raise DataError(
            f"{source.display}: the header cannot be read",
            [
                _issue(
                    source,
                    f"the header line cannot be read ({exc}); save the file with LF or CRLF line endings",
                    line=1,
                )
            ],
        ) from exc
    seen: dict[str, int] = {}
    issues = []
    for position, name in enumerate(header, start=1):
        if name in seen:
            issues.append(_issue(source, f"duplicate column name (also column {seen[name]})", line=1, column=name))
        seen.setdefault(name, position)
    if issues:
        raise DataError(f"{source.display}: duplicate column names", issues)
    return delimiter, header


def resolve_columns(
    source: TableSource, header: tuple[str, ...], wanted: Collection[str], required: Collection[str]
) -> tuple[dict[str, str], list[Issue]]:
    """Map canonical column names onto the file's headers.

    A configured mapping must name an existing header; otherwise the canonical name
    is matched exactly, then trimmed and case-insensitively.
    """
    if not any(name.strip() for name in header):
        # A blank line above the header (some exports start with one): say so, not "missing" for every column.
        return {}, [
            _issue(
                source,
                "the header (line 1) names no column",
                line=1,
                expected="the header on line 1: remove any blank line above it",
            )
        ]
    folded: dict[str, list[str]] = {}
    for name in header:
        folded.setdefault(name.casefold(), []).append(name)
    found: dict[str, str] = {}
    issues: list[Issue] = []

    def by_case(column: str, key: str) -> None:
        # Headers that differ only in case: picking one would read the other's values without a word.
        names = folded[key]
        if len(names) == 1:
            found[column] = names[0]
        else:
            issues.append(
                _issue(
                    source,
                    f"matches the headers {' and '.join(map(repr, names))}, which differ only in case",
                    line=1,
                    column=column,
                    expected=f"one header named {column!r}, or a mapping in data.tables.{source.table}.columns",
                )
            )

    for column in wanted:
        mapped = source.columns.get(column)
        if mapped is not None:
            if mapped in header:
                found[column] = mapped
            elif mapped.strip().casefold() in folded:
                by_case(column, mapped.strip().casefold())
            else:
                issues.append(
                    _issue(
                        source,
                        f"the config maps column {column!r} to header {mapped!r}, which the file does not have",
                        line=1,
                        column=mapped,
                        expected="one of " + ", ".join(header),
                    )
                )
        elif column in header:
            found[column] = column
        elif column.casefold() in folded:
            by_case(column, column.casefold())
        elif column in required:
            issues.append(
                _issue(
                    source,
                    "missing required column",
                    line=1,
                    column=column,
                    expected=f"a header named {column!r} or a mapping in data.tables.{source.table}.columns",
                )
            )
    return found, issues


def _structure(data: bytes, delimiter: str) -> pl.LazyFrame:
    """Per physical line: its number, delimiters outside quotes, quote count."""
    import polars as pl

    text = pl.col("text").fill_null("").str.strip_suffix("\r")
    quotes = text.str.count_matches('"', literal=True)
    opened = ((quotes.cum_sum() - quotes) % 2) == 1  # the line starts inside a quoted field
    unquoted = (
        pl.when(opened)
        .then(text.str.replace(r'^[^"]*(?:"|$)', ""))
        .otherwise(text)
        .str.replace_all(r'"[^"]*(?:"|$)', "")
    )
    return (
        pl.scan_csv(
            data,
            has_header=False,
            separator=_LINE_SEPARATOR,
            quote_char=None,
            schema={"text": pl.String},
            truncate_ragged_lines=True,
            empty_string_is_null=False,
        )
        .with_row_index("line", offset=1)
        .select(
            "line",
            opened.alias("continues"),
            unquoted.str.count_matches(delimiter, literal=True).alias("delims"),
            (text.str.strip_chars() == "").alias("blank"),
            (quotes.sum() % 2 == 1).alias("unclosed"),
        )
    )


def _records(lines: pl.DataFrame) -> pl.DataFrame:
    """Fold physical lines into records: first line, field count, blank."""
    import polars as pl

    if not lines["continues"].any():
        return lines.select("line", (pl.col("delims") + 1).alias("fields"), "blank")
    return (
        lines.with_columns((~pl.col("continues")).cum_sum().alias("record"))
        .group_by("record", maintain_order=True)
        .agg(
            pl.col("line").first(),
            (pl.col("delims").sum() + 1).alias("fields"),
            (pl.col("blank").all() & (pl.len() == 1)).alias("blank"),
        )
        .drop("record")
    )


def _raise_unclosed(source: TableSource, lines: pl.DataFrame) -> None:
    import polars as pl

    if lines.height and lines["unclosed"][0]:
        start = lines.filter(~pl.col("continues"))["line"][-1]
        raise DataError(
            f"{source.display}: unclosed quote",
            [_issue(source, "a quoted field opened here is never closed", line=int(start))],
        )


def read_parquet(source: TableSource, wanted: Collection[str], required: Collection[str]) -> RawTable:
    """Read the wanted columns of a Parquet file, cast to text so validation treats it like a CSV.

    Parquet has no lines: ``__line`` is the row number + 1, as if a header preceded the rows.
    """
    import polars as pl

    try:
        lazy = pl.scan_parquet(source.path) if source.data is None else pl.read_parquet(io.BytesIO(source.data)).lazy()
        header = tuple(lazy.collect_schema().names())
    except (OSError, pl.exceptions.PolarsError) as exc:
        raise DataError(
            f"{source.display}: cannot be read as Parquet", [_issue(source, f"not a readable Parquet file: {exc}")]
        ) from exc
    mapping, issues = resolve_columns(source, header, wanted, required)
    if issues:
        raise DataError(f"{source.display}: columns do not match", issues)
    frame = (
        lazy.select([pl.col(user).cast(pl.String).alias(canonical) for canonical, user in mapping.items()])
        .with_row_index(LINE, offset=2)
        .with_columns(pl.lit(len(header)).alias(FIELDS))
        .collect()
    )
    return RawTable(source.table, source, frame, header, ",", mapping, _absent(wanted, mapping))


def _absent(wanted: Collection[str], mapping: Mapping[str, str]) -> tuple[str, ...]:
    return tuple(c for c in wanted if c not in mapping)


@dataclass
class ByteScan:
    """What the plain reader's pass over a file's bytes found (``_scan``)."""

    delimiter: str
    width: int  # the header's field count: every line must have this many
    stamp: tuple[int, int]  # the file's size and modification time when scanned
    lines: int = 0  # lines with exactly ``width - 1`` delimiters, the header included
    ragged: bool = False  # a line with another number of delimiters (short, long or blank)
    odd: bool = False  # a quote character, a NUL byte, or the byte the careful reader splits lines with
    spaced: bool = False  # a whitespace byte other than the delimiter or CR, or a non-ASCII character
    cr: bool = False  # a carriage return (a Windows export has one at the end of every line)
    invalid: bool = False  # not valid UTF-8

    @property
    def declines(self) -> bool:
        """Whether the plain reader must leave the file to the careful one."""
        return self.ragged or self.odd or self.invalid


def _scan(path: Path, delimiter: str, width: int, size: int = 1 << 20) -> ByteScan:
    """Check every line's delimiter count and look for odd bytes, whitespace and invalid UTF-8.

    Works in blocks that stay in cache. Deleting every byte but the delimiter and LF
    leaves, for a file whose lines all have ``width`` fields, the same short pattern
    repeated: one comparison per block checks every line, so a long row and a short
    one can never cancel out (C speed, about 1.4 GB/s).
    """
    found = ByteScan(delimiter, width, _stamp(path))
    sep = delimiter.encode()
    unit = sep * (width - 1) + b"\n"
    others = bytes(b for b in range(256) if b not in (sep[0], 0x0A))
    spaces = [c for c in (b" ", b"\t", b"\x0b", b"\x0c") if c != sep]
    decoder = codecs.getincrementaldecoder("utf-8")()
    block = bytearray(size)
    pending = b""  # the delimiters of a line that continues in the next block
    with path.open("rb", buffering=0) as handle:
        while read := handle.readinto(block):
            data = block if read == size else block[:read]
            kept = pending + data.translate(None, others)
            cut = kept.rfind(b"\n") + 1
            whole, pending = kept[:cut], bytes(kept[cut:])
            count = len(whole) // len(unit)
            if len(pending) >= len(unit) or whole != unit * count:
                found.ragged = True
                break
            found.lines += count
            found.odd = found.odd or b'"' in data or _LINE_SEPARATOR.encode() in data or b"\0" in data
            found.spaced = found.spaced or any(c in data for c in spaces)
            found.cr = found.cr or b"\r" in data
            if not data.isascii() or decoder.getstate()[0]:  # a character may span two blocks
                found.spaced = True
                try:
                    decoder.decode(data)
                except UnicodeDecodeError:
                    found.invalid = True
                    break
        if not found.declines:
            if pending:  # a last line without a line end
                found.ragged = pending != unit[:-1]
                found.lines += 1
            try:
                decoder.decode(b"", final=True)
            except UnicodeDecodeError:
                found.invalid = True
    return found


def _stamp(path: Path) -> tuple[int, int]:
    status = path.stat()
    return status.st_size, status.st_mtime_ns


def _is_utf8(source: TableSource) -> bool:
    return codecs.lookup(source.encoding).name in ("utf-8", "utf-8-sig")


def scan_ahead(source: TableSource) -> ByteScan | None:
    """The plain reader's pass over a file's bytes, to run ahead of ``read_table`` (in another thread).

    None for a file the plain reader does not take (Parquet, another encoding, a header it
    cannot use) or cannot read: ``read_table`` then finds out again and says why.
    """
    if source.path.suffix.lower() == ".parquet" or not _is_utf8(source) or source.stream:
        return None
    try:
        delimiter, header = read_header(source, read_head(source))
        return _scan(source.path, delimiter, len(header)) if len(header) >= 2 else None
    except (DataError, InputMissingError, OSError):
        return None


def read_plain(
    source: TableSource,
    delimiter: str,
    header: tuple[str, ...],
    mapping: Mapping[str, str],
    scanned: ByteScan | None = None,
) -> tuple[pl.DataFrame, bool] | None:
    """Read a UTF-8 file whose lines are its records, or return None to leave it to the careful reader.

    Returns the frame and whether no value starts or ends with whitespace, so
    validation can skip trimming (which copies every string); a file with any
    whitespace byte or non-ASCII character gets the exact check (CRs alone, a
    check for a CR at either end of a value).

    One pass over the bytes checks that every line has the header's number of
    delimiters and looks for quotes (``scanned``: that pass, already made by
    ``scan_ahead``); then Polars' CSV reader, told there are no quotes, reads the
    needed columns. Polars cannot be asked to check the field counts: it pads short
    rows, and with only some columns read it ignores extra fields. So every row has
    the header's fields, and each physical line is a row. The reader declines (None) a file with a quote character
    (a field may then hold a delimiter or a line break), a NUL byte, a short, long or blank line,
    invalid UTF-8, the byte the careful reader splits lines with, or a one-column
    header (a blank line cannot be told from an empty value there).
    """
    import polars as pl

    width = len(header)
    if width < 2:
        return None
    found = scanned
    if found is None or (found.delimiter, found.width, found.stamp) != (delimiter, width, _stamp(source.path)):
        found = _scan(source.path, delimiter, width)  # none made ahead, or the file changed since
    if found.declines:
        return None
    fields = [f"__field_{i}" for i in range(width)]
    plan = pl.scan_csv(
        source.path,
        has_header=False,
        skip_rows=1,  # the header
        separator=delimiter,
        quote_char=None,
        schema=dict.fromkeys(fields, pl.String),
        empty_string_is_null=False,
    ).select(
        *(pl.col(fields[header.index(user)]).alias(canonical) for canonical, user in mapping.items()),
        (pl.int_range(pl.len(), dtype=pl.UInt32) + 2).alias(LINE),  # the header is line 1
        pl.lit(width, pl.UInt32).alias(FIELDS),
    )
    try:
        frame = plan.collect()
    except pl.exceptions.PolarsError:  # a long row, a blank line Polars cannot place: the careful reader says
        return None
    if found.lines != frame.height + 1:  # Polars placed the lines otherwise than the pass counted them
        return None
    # Only a whitespace byte can start or end a value. When the only ones are CRs (Windows line ends,
    # which the reader drops), a CR at either end is what to look for, at a fraction of the regex's cost.
    if found.spaced:
        edges = [pl.col(c).str.contains(r"^\s|\s$") for c in mapping]
    elif found.cr:
        edges = [pl.col(c).str.starts_with("\r") | pl.col(c).str.ends_with("\r") for c in mapping]
    else:
        edges = []
    spaced = bool(edges) and frame.select(pl.any_horizontal(edges).any()).item()
    return frame, not spaced


def read_table(
    source: TableSource, wanted: Collection[str], required: Collection[str], scanned: ByteScan | None = None
) -> RawTable:
    """Read the wanted canonical columns of one CSV/TSV (or Parquet) file as text.

    Blank lines are removed; ``__line`` (physical line) and ``__fields`` (field
    count, for the ragged-row check) are added. ``scanned`` is ``scan_ahead``'s
    pass over the file, if one ran. A stream (FIFO, device) is read once, into
    memory. Raises ``DataError`` when the file cannot be read as a table at all.
    """
    source = read_stream(source)
    if source.path.suffix.lower() == ".parquet":
        return read_parquet(source, wanted, required)
    head = read_head(source)
    if _is_utf8(source) and source.data is None:  # a stream's bytes are in memory: the careful reader takes them
        _check_utf16(source, head)
        _check_nul(source, head)  # before the header is read: a NUL there is the problem, not the header
        delimiter, header = read_header(source, head)
        mapping, issues = resolve_columns(source, header, wanted, required)
        if issues:
            raise DataError(f"{source.display}: columns do not match", issues)
        plain = read_plain(source, delimiter, header, mapping, scanned)
        if plain is not None:
            frame, trimmed = plain
            return RawTable(
                source.table, source, frame, header, delimiter, mapping, _absent(wanted, mapping), trimmed, plain=True
            )
    return read_careful(source, wanted, required)


def read_careful(source: TableSource, wanted: Collection[str], required: Collection[str]) -> RawTable:
    """Read a CSV file whatever its quoting and encoding, and say exactly what is wrong with a bad one."""
    import polars as pl

    data = read_bytes(source)
    delimiter, header = read_header(source, data)
    mapping, issues = resolve_columns(source, header, wanted, required)
    if issues:
        raise DataError(f"{source.display}: columns do not match", issues)
    main = pl.scan_csv(
        data,
        separator=delimiter,
        infer_schema=False,
        truncate_ragged_lines=True,
        empty_string_is_null=False,
        with_column_names=lambda names: [name.strip() for name in names],  # as read_header sees them
    ).select([pl.col(user).alias(canonical) for canonical, user in mapping.items()])
    structure = _structure(data, delimiter)
    try:
        frame, lines = pl.collect_all([main, structure])
    except pl.exceptions.PolarsError as exc:
        _raise_unclosed(source, structure.collect())
        raise DataError(
            f"{source.display}: cannot be read as {delimiter!r}-delimited text",
            [_issue(source, f"cannot be parsed: {str(exc).splitlines()[0]}")],
        ) from exc
    _raise_unclosed(source, lines)
    records = _records(lines).slice(1)  # the header is record 0
    if records.height != frame.height:
        raise DataError(
            f"{source.display}: cannot be read as {delimiter!r}-delimited text",
            [_issue(source, f"found {records.height} records but parsed {frame.height} rows; check quoting")],
        )
    frame = frame.with_columns(records["line"].alias(LINE), records["fields"].alias(FIELDS))
    return RawTable(
        source.table, source, frame.filter(~records["blank"]), header, delimiter, mapping, _absent(wanted, mapping)
    )
