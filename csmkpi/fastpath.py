"""The validated fast path: prove a clean file valid in one typed read, or leave it to the careful path.

The careful path (``loading.read_table`` then ``validation.validate_table``) reads every value as
text and checks it, and stays the single source of messages with file, line and column. In front of
it, this path reads a file the way a clean export is written and proves every check of the data
contract passes, or declines (returns None) at the first doubt: the careful path then reads the
file and says exactly what is wrong. Both give the same table for a file this path accepts
(``tests/properties/test_fastpath.py`` holds them to it).

- Structure: ``loading``'s pass over the bytes (every line has the header's number of fields, no
  quote, valid UTF-8); so each physical line is a row, and the line number is the row number + 2.
- One read with an explicit positional schema, streamed: numbers and integers parsed by the
  reader (exact for the contract's grammars; inf, nan and overflows are caught by a finiteness
  check), enums, booleans, dates, months and enum-like text as categorical, each distinct value
  then checked once by validation's own parsers; ISO datetimes checked with one calendar-exact
  regular expression and turned into their date while streaming (only those the run keeps); the
  row rules that compare them run there too, on their text when it is canonical
  (``YYYY-MM-DD[THH:MM:SS]``, which sorts as the moments it writes).
- Anything unusual (a declared date or number format, another encoding, a value to trim, a value
  that breaks a rule, a possible duplicate key) declines, for this table only.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import TYPE_CHECKING

import polars as pl

from csmkpi.errors import DataError, InputMissingError
from csmkpi.loading import (
    LINE,
    ByteScan,
    TableSource,
    _check_utf16,
    _is_utf8,
    _scan,
    _stamp,
    read_head,
    read_header,
    resolve_columns,
)
from csmkpi.schemas import TABLES, ColumnSpec, Kind, table_spec
from csmkpi.validation import (
    CASEFOLDED,
    ISO_TIME,
    MAX_NUMBER,
    ROW_RULES,
    RULE_COLUMNS,
    CanonicalText,
    TableOptions,
    Typed,
    date_valid,
    parse_column,
)

if TYPE_CHECKING:
    from csmkpi.validation import Check

# [0-9], not \d, as in validation's grammars: the regex engine's \d takes any script's digits.
# A date of the proleptic Gregorian calendar, as chrono (Polars' parser) accepts it: year 0000 is a leap year.
_LEAP = r"(?:[0-9][0-9](?:0[48]|[2468][048]|[13579][26])|(?:[02468][048]|[13579][26])00)"
_DAY = (
    r"(?:[0-9]{4}-(?:(?:0[13578]|1[02])-(?:0[1-9]|[12][0-9]|3[01])|(?:0[469]|11)-(?:0[1-9]|[12][0-9]|30)"
    r"|02-(?:0[1-9]|1[0-9]|2[0-8]))|" + _LEAP + r"-02-29)"
)
# validation's ISO datetime (ISO_DATETIME) whose date part is a real day: the careful path's verdict in one match.
CALENDAR_DATETIME = "^" + _DAY + ISO_TIME + "$"
# Its canonical subset, whose text sorts as the moments it writes: row rules compare it as text.
CANONICAL_DATETIME = "^" + _DAY + r"(?:T(?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9])?$"
# How the careful path types each kind (validation.cast_column).
DTYPES: dict[Kind, pl.DataType] = {
    Kind.TEXT: pl.String(),
    Kind.ENUM: pl.String(),
    Kind.DATE: pl.Date(),
    Kind.DATETIME: pl.Date(),
    Kind.MONTH: pl.Date(),
    Kind.NUMBER: pl.Float64(),
    Kind.INTEGER: pl.Int64(),
    Kind.BOOL: pl.Boolean(),
}
_FEW = (Kind.ENUM, Kind.BOOL, Kind.DATE, Kind.MONTH)  # few distinct values: read as categorical
_DENSE = 1 << 22  # the largest category code typed through a table indexed by code


def _raw(column: str) -> str:
    return f"__x_{column}"  # as validation names the staged text (its row rules read it)


def _categorical(table: str, spec: ColumnSpec) -> bool:
    return spec.kind in _FEW or (table, spec.name) in CASEFOLDED


def _read_dtype(table: str, spec: ColumnSpec) -> pl.DataType:
    if _categorical(table, spec):
        return pl.Categorical()
    return {Kind.INTEGER: pl.Int64(), Kind.NUMBER: pl.Float64()}.get(spec.kind, pl.String())


def _rules_streamed(table: str, specs: Mapping[str, ColumnSpec], columns: Collection[str]) -> bool | None:
    """Where the table's row rules run: True while streaming, False once its categorical columns are typed.

    Rules that read datetimes need their text, which only streams by; None when a rule reads both
    kinds (the fast path then declines).
    """
    touched = {c for group in RULE_COLUMNS.get(table, ()) for c in group if c in columns}
    streamed = {c for c in touched if specs[c].kind is Kind.DATETIME}
    if streamed and any(_categorical(table, specs[c]) for c in touched):
        return None
    return bool(streamed)


def read_fast(
    source: TableSource,
    wanted: list[str],
    required: Collection[str],
    options: TableOptions,
    scanned: ByteScan | None = None,
    keep: Collection[str] | None = None,
) -> tuple[pl.DataFrame | None, ByteScan | None]:
    """The validated table of a clean file, or None to decline.

    Every wanted column is checked; the table holds ``__line`` and those of them in ``keep``
    (default: all), typed, in ``validate_table``'s order. Also returns the pass over the bytes it
    made (or was given), for the careful path to reuse.
    """
    if source.path.suffix.lower() == ".parquet" or not _is_utf8(source) or source.stream:
        return None, scanned  # a stream (FIFO, device) can be read once: the careful path does
    if options.date_format is not None or options.number_format is not None:
        return None, scanned
    try:
        head = read_head(source)
        _check_utf16(source, head)
        delimiter, header = read_header(source, head)
    except (DataError, InputMissingError):
        return None, scanned  # the careful path says why
    mapping, issues = resolve_columns(source, header, wanted, required)
    width = len(header)
    if issues or width < 2 or len(set(mapping.values())) != len(mapping):
        return None, scanned
    found = scanned
    if found is None or (found.delimiter, found.width, found.stamp) != (delimiter, width, _stamp(source.path)):
        found = _scan(source.path, delimiter, width)
    if found.declines:
        return None, found
    frame = _read(source, header, delimiter, mapping, wanted, options, found, set(wanted if keep is None else keep))
    return frame, found


def _read(
    source: TableSource,
    header: tuple[str, ...],
    delimiter: str,
    mapping: Mapping[str, str],
    wanted: list[str],
    options: TableOptions,
    found: ByteScan,
    keep: set[str],
) -> pl.DataFrame | None:
    table = source.table
    specs = table_spec(table)
    columns = [c for c in wanted if c in mapping]
    rules_streamed = _rules_streamed(table, specs, columns)
    if rules_streamed is None:
        return None
    scan = _scan_plan(source, header, delimiter, mapping, columns)
    texts = CanonicalText({c: pl.col(_raw(c)) for c in columns if specs[c].kind is Kind.DATETIME})
    dates, flags = _datetimes(texts, specs, keep, CANONICAL_DATETIME if rules_streamed else CALENDAR_DATETIME)
    if rules_streamed:
        flags.extend(check.bad.fill_null(False) for check in _rules(table, texts, options))
    others = [c for c in columns if c not in texts]
    try:
        frame = (
            scan.with_row_index(LINE, offset=2)
            .select(
                LINE,
                *(_raw(c) for c in others),
                *(expr.alias(c) for c, expr in dates.items()),
                pl.any_horizontal(flags).alias("__bad") if flags else pl.lit(False).alias("__bad"),
            )
            .collect(engine="streaming")
        )
    except pl.exceptions.PolarsError:  # a value the reader cannot parse as its type, a row Polars cannot place
        return None
    if found.lines != frame.height + 1 or frame["__bad"].any():
        return None
    keys = [c for c in TABLES[table].unique if c in columns] if set(TABLES[table].unique) <= set(columns) else []
    ruled = {c for group in RULE_COLUMNS.get(table, ()) for c in group} if not rules_streamed else set()
    typed = _typed(frame, table, specs, others, options, found, keep | ruled | set(keys))
    if typed is None:
        return None
    frame, named = typed
    named |= {c: pl.col(c) for c in dates}
    for c in wanted:
        if c not in mapping:  # an optional column the file lacks reads as empty (as validation has it)
            named[c] = pl.col(c)
            frame = frame.with_columns(
                pl.lit(None, DTYPES[specs[c].kind]).alias(c), pl.lit(None, pl.String).alias(_raw(c))
            )
    rules = [check.bad.fill_null(False) for check in ([] if rules_streamed else _rules(table, named, options))]
    if rules and frame.select(pl.any_horizontal(rules).any()).item():
        return None
    # Columns are taken, not selected: a query would copy the stream's many chunks into one.
    if keys and not _unique(pl.DataFrame([frame[c] for c in keys])):
        return None
    return pl.DataFrame(
        [frame[c] for c in [LINE, *columns, *(c for c in wanted if c not in mapping)] if c in {LINE, *keep}]
    )


def _unique(keys: pl.DataFrame) -> bool:
    """Whether no two rows have the same key: proved by strictly increasing keys, else by counting them."""
    if keys.height < 2 or any(keys[c].null_count() for c in keys.columns):
        return keys.height < 2
    keys = keys.rechunk()  # a stream's many chunks: comparing shifted views of them is several times slower
    earlier, later = keys.head(keys.height - 1), keys.tail(keys.height - 1)  # views, not copies
    increasing = pl.repeat(False, later.height, eager=True)
    for c in reversed(keys.columns):  # lexicographic: the first column decides, ties go to the next
        increasing = (later[c] > earlier[c]) | ((later[c] == earlier[c]) & increasing)
    if increasing.all():
        return True
    return (keys.n_unique() if keys.width > 1 else keys.to_series().n_unique()) == keys.height


def _scan_plan(
    source: TableSource, header: tuple[str, ...], delimiter: str, mapping: Mapping[str, str], columns: list[str]
) -> pl.LazyFrame:
    """The file's columns by position, each read as its kind says, named as validation stages them."""
    specs = table_spec(source.table)
    position = {user: i for i, user in enumerate(header)}
    names = [f"__field_{i}" for i in range(len(header))]
    schema: dict[str, pl.DataType] = dict.fromkeys(names, pl.String())
    for c in columns:
        schema[names[position[mapping[c]]]] = _read_dtype(source.table, specs[c])
    return pl.scan_csv(
        source.path,
        has_header=False,
        skip_rows=1,  # the header
        separator=delimiter,
        quote_char=None,
        schema=schema,
    ).select(pl.col(names[position[mapping[c]]]).alias(_raw(c)) for c in columns)


def _datetimes(
    texts: Mapping[str, pl.Expr], specs: Mapping[str, ColumnSpec], keep: set[str], grammar: str
) -> tuple[dict[str, pl.Expr], list[pl.Expr]]:
    """The dates of the kept datetime columns, and the flags of texts that break ``grammar`` or are missing."""
    dates: dict[str, pl.Expr] = {}
    flags: list[pl.Expr] = []
    for c, text in texts.items():
        flags.append(text.is_not_null() & ~text.str.contains(grammar))
        if specs[c].required:
            flags.append(text.is_null())
        if c in keep:
            dates[c] = text.str.slice(0, 10).str.to_date("%Y-%m-%d", strict=False, cache=False)
    return dates, flags


def _typed(
    frame: pl.DataFrame,
    table: str,
    specs: Mapping[str, ColumnSpec],
    columns: list[str],
    options: TableOptions,
    found: ByteScan,
    used: set[str],
) -> tuple[pl.DataFrame, dict[str, pl.Expr]] | None:
    """Check the columns read as categorical, number or text, and type those ``used``; None at the first doubt."""
    typed: dict[str, pl.Expr] = {}
    checks: list[pl.Expr] = []
    for c in columns:
        spec, raw = specs[c], pl.col(_raw(c))
        expr = _column(frame, table, spec, options, found)
        if expr is None:
            return None
        typed[c] = expr
        if spec.kind is Kind.NUMBER:
            checks.append(~raw.is_finite() | (raw.abs() >= MAX_NUMBER))
        if spec.required:
            checks.append(raw.is_null())  # a categorical's every other value has its typed value
        if spec.ge is not None:
            checks.append(raw < spec.ge)  # numbers and integers: typed as read
        if spec.le is not None:
            checks.append(raw > spec.le)
    if checks and frame.select(pl.any_horizontal(checks).fill_null(False).any()).item():
        return None
    frame = frame.with_columns(expr.alias(c) for c, expr in typed.items() if c in used)
    return frame, {c: pl.col(c) for c in typed if c in used}


def _column(
    frame: pl.DataFrame, table: str, spec: ColumnSpec, options: TableOptions, found: ByteScan
) -> pl.Expr | None:
    """The typed expression of a column read as categorical, number or text; None when it needs the careful path."""
    raw = pl.col(_raw(spec.name))
    if _categorical(table, spec):
        lookup = _lookup(table, spec, options, frame[_raw(spec.name)])
        if lookup is None:
            return None
        codes, values = lookup["code"], lookup["value"]
        if codes.len() and codes.max() < _DENSE:  # type: ignore[operator]
            # Categories are numbered process-wide: a table indexed by code types each row in one gather.
            table_ = pl.Series([None] * (int(codes.max()) + 1), dtype=values.dtype).scatter(codes, values)  # type: ignore[arg-type]
            return pl.lit(table_).gather(raw.to_physical())
        return raw.to_physical().replace_strict(codes, values, default=None, return_dtype=DTYPES[spec.kind])
    if spec.kind is Kind.TEXT and (found.spaced or found.cr) and frame.select(_edges(raw, found).any()).item():
        return None  # a value to trim
    return raw  # numbers and integers as the reader parsed them; text as written


def _rules(table: str, typed: Typed, options: TableOptions) -> list[Check]:
    rules = ROW_RULES.get(table)
    return [] if rules is None else rules(typed, options)


def _edges(text: pl.Expr, found: ByteScan) -> pl.Expr:
    """Whether a value starts or ends with whitespace (CRs alone: a CR at either end), as loading checks it."""
    if found.spaced:
        return text.str.contains(r"^\s|\s$")
    return text.str.starts_with("\r") | text.str.ends_with("\r")


def _lookup(table: str, spec: ColumnSpec, options: TableOptions, column: pl.Series) -> pl.DataFrame | None:
    """Each distinct value of a categorical column checked once: its code and typed value, or None."""
    distinct = column.unique().drop_nulls()
    text = pl.col("text")
    values = pl.DataFrame({"code": distinct.to_physical(), "text": distinct.cast(pl.String)}).with_columns(
        parse_column(table, spec, options, text).alias("value")
    )
    valid = text == text.str.strip_chars()  # a value to trim: the careful path trims it
    if spec.kind in (Kind.DATE, Kind.MONTH):
        valid &= pl.col("value").is_not_null() & date_valid(spec, options, text)
    elif spec.kind is Kind.BOOL:
        valid &= pl.col("value").is_not_null()
    elif spec.kind is Kind.ENUM:
        valid &= pl.col("value").is_in(spec.choices)
    if not values.select(valid.all()).item():
        return None
    return values.select("code", pl.col("value").cast(DTYPES[spec.kind]))
