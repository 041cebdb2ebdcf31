"""Cast raw text to typed columns and check every rule of the data contract.

Each check is a named, vectorised Polars expression that flags bad rows. A
check's findings become one grouped ``Issue`` (first offending row plus a count
of the rest). A config may downgrade a named check to a warning; the rows it
flags are then set aside and counted instead of failing the run.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from itertools import product

import polars as pl

from csmkpi.errors import Issue
from csmkpi.loading import FIELDS, LINE, RawTable
from csmkpi.schemas import TABLES, ColumnSpec, Kind, table_spec

# [0-9], not \d: the regex engine's \d takes any script's digits, which no date parser reads (SPEC §2: ISO only).
# The optional time of day and offset of an ISO datetime (fastpath builds its calendar-exact form from it).
ISO_TIME = (
    r"(?:[T ](?:[01][0-9]|2[0-3]):[0-5][0-9](?::[0-5][0-9](?:[.,][0-9]{1,9})?)?"
    r"(?:Z|[+-](?:[01][0-9]|2[0-3]):?[0-5][0-9])?)?"
)
ISO_DATE = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
ISO_DATETIME = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}" + ISO_TIME + "$"
ISO_MONTH = r"^[0-9]{4}-[0-9]{2}$"
# The number grammars of the data contract (SPEC §2); validation leans on Polars' casts reading exactly these.
NUMBER = r"^[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$"
INTEGER = r"^[+-]?[0-9]+$"
BOOLEANS = {"true": True, "false": False, "yes": True, "no": False, "1": True, "0": False, "y": True, "n": False}
# Every spelling of every case ("True", "FALSE", "yEs"): one hash lookup instead of lower-casing each value.
_BOOLEANS_ANY_CASE = {
    "".join(spelling): value
    for word, value in BOOLEANS.items()
    for spelling in product(*({c, c.upper()} for c in word))
}
MAX_NUMBER = 1e18
# Enum-like free text (SPEC §4), and milestone names (SPEC §2): matched trimmed and case-insensitively.
CASEFOLDED = {("opportunities", "source"), ("activities", "type"), ("milestones", "milestone")}


@dataclass(frozen=True)
class NumberFormat:
    """How amounts are written: ``$1,200.00`` or ``1.200,00``."""

    thousands: str | None = None
    decimal: str = "."
    currency: str | None = None


@dataclass(frozen=True)
class TableOptions:
    """Per-table parsing options from the config."""

    date_format: str | None = None
    number_format: NumberFormat | None = None


@dataclass(frozen=True)
class Check:
    """A named rule: ``bad`` is true on the rows that break it."""

    name: str
    column: str | None
    bad: pl.Expr
    message: str
    expected: str | None = None
    value: pl.Expr | None = None  # what to show as the offending value (default: the raw column)


def _text(column: str, trimmed: bool = False) -> pl.Expr:
    """Trimmed text, with empty meaning missing (``trimmed``: the reader found no value to trim)."""
    text = pl.col(column) if trimmed else pl.col(column).str.strip_chars()
    return pl.when(text == "").then(None).otherwise(text)


def _trimmed(column: str) -> pl.Expr:
    """The trimmed text of a column as ``validate_table`` stages it (row rules read it)."""
    return pl.col(f"__x_{column}")


def _date(text: pl.Expr, kind: Kind, date_format: str | None) -> tuple[pl.Expr, pl.Expr]:
    """Return (parsed Date, text is valid) for a date, datetime or month column."""
    if date_format is None:
        if kind is Kind.MONTH:
            month = text.str.contains(ISO_MONTH)
            padded = pl.when(month).then(text + "-01").otherwise(text)
            return padded.str.slice(0, 10).str.to_date("%Y-%m-%d", strict=False).dt.month_start(), (
                month | text.str.contains(ISO_DATETIME)
            )
        # The time of day never changes which period an event is in, so only the date is parsed;
        # the regex still insists the whole text is an ISO date or datetime.
        return text.str.slice(0, 10).str.to_date("%Y-%m-%d", strict=False, cache=False), text.str.contains(ISO_DATETIME)
    has_time = any(code in date_format for code in ("%H", "%I", "%M", "%S", "%T", "%R"))
    if has_time:
        parsed = text.str.to_datetime(date_format, strict=False).dt.date()
    else:
        parsed = text.str.to_date(date_format, strict=False)
    if kind is Kind.MONTH:
        iso = text.str.contains(ISO_MONTH)
        parsed = pl.when(iso).then((text + "-01").str.to_date("%Y-%m-%d", strict=False)).otherwise(parsed)
        return parsed.dt.month_start(), pl.lit(True)
    return parsed, pl.lit(True)


def _number(text: pl.Expr, fmt: NumberFormat | None) -> pl.Expr:
    if fmt is not None:
        if fmt.currency:
            text = text.str.replace_all(fmt.currency, "", literal=True).str.strip_chars()
        if fmt.thousands:
            text = text.str.replace_all(fmt.thousands, "", literal=True)
        if fmt.decimal != ".":
            text = text.str.replace_all(fmt.decimal, ".", literal=True)
    # Polars' cast reads exactly the NUMBER grammar, plus spellings of inf and nan, which the
    # finiteness check rejects: the same verdicts as matching NUMBER first, at a third of the cost
    # (tests/properties/test_number_grammar.py holds Polars to it).
    return text.cast(pl.Float64, strict=False)


def parse_column(table: str, spec: ColumnSpec, options: TableOptions, text: pl.Expr) -> pl.Expr:
    """The value parsed from trimmed text (null where it does not parse; numbers may still be inf or huge)."""
    if spec.kind in (Kind.DATE, Kind.DATETIME, Kind.MONTH):
        return _date(text, spec.kind, options.date_format)[0]
    if spec.kind is Kind.NUMBER:
        return _number(text, options.number_format)
    if spec.kind is Kind.INTEGER:
        return text.cast(pl.Int64, strict=False)  # reads exactly INTEGER (see _number)
    if spec.kind is Kind.BOOL:
        return text.replace_strict(_BOOLEANS_ANY_CASE, default=None, return_dtype=pl.Boolean)
    if spec.kind is Kind.ENUM or (table, spec.name) in CASEFOLDED:
        return text.str.to_lowercase()
    return text


def date_valid(spec: ColumnSpec, options: TableOptions, text: pl.Expr) -> pl.Expr:
    """Whether trimmed text is written as the date column expects (the ISO shape when no format is set)."""
    return _date(text, spec.kind, options.date_format)[1]


def _few_values(spec: ColumnSpec) -> bool:
    """Whether to parse each distinct value once and look it up: dates and months, few and costly.

    Not enums: lower-casing a value costs about as much as looking it up.
    """
    return spec.kind in (Kind.DATE, Kind.MONTH)


def _parsed_once_per_value(table: str, spec: ColumnSpec, options: TableOptions, text: pl.Series) -> list[pl.Expr]:
    """``__p_`` and ``__v_`` of a date or month column, parsed on its distinct values and looked up."""
    distinct = pl.DataFrame({"x": text.drop_nulls().unique()})
    outputs = {"p": parse_column(table, spec, options, pl.col("x")), "v": date_valid(spec, options, pl.col("x"))}
    lookup = distinct.with_columns(expr.alias(key) for key, expr in outputs.items())
    return [
        pl.col(text.name)
        .replace_strict(lookup["x"], lookup[key], default=None, return_dtype=lookup.schema[key])
        .alias(f"__{key}_{spec.name}")
        for key in outputs
    ]


def cast_column(
    table: str,
    spec: ColumnSpec,
    options: TableOptions,
    text: pl.Expr | None = None,
    parsed: pl.Expr | None = None,
    valid: pl.Expr | None = None,
) -> tuple[pl.Expr, list[Check]]:
    """Return the typed expression of a column and the checks on its values.

    ``text`` (trimmed, empty = null), ``parsed`` (``parse_column``) and, for dates,
    ``valid`` (``date_valid``) may be given as already materialised columns, so each
    check reads them instead of parsing again.
    """
    name = spec.name
    text = _text(name) if text is None else text
    present = text.is_not_null()
    checks: list[Check] = []
    if spec.required:
        checks.append(Check("missing_value", name, text.is_null(), "missing value in a required column", "a value"))
    if spec.kind in (Kind.DATE, Kind.DATETIME, Kind.MONTH):
        typed, written_well = _date(text, spec.kind, options.date_format)
        typed = typed if parsed is None else parsed
        valid = written_well if valid is None else valid
        expected = f"a date in the format {options.date_format}" if options.date_format else spec.expected
        checks.append(Check("invalid_value", name, present & (typed.is_null() | ~valid), "not a valid date", expected))
    elif spec.kind is Kind.NUMBER:
        typed = _number(text, options.number_format) if parsed is None else parsed
        checks.append(
            Check(
                "invalid_value", name, present & (typed.is_null() | ~typed.is_finite()), "not a number", spec.expected
            )
        )
        # Sums are exact decimals (rollup.exact_sum); from 1e18 on a number is an export glitch, not money.
        too_large = typed.is_finite() & (typed.abs() >= MAX_NUMBER)
        checks.append(Check("invalid_value", name, too_large, "number too large", "a number below 1e18"))
        typed = pl.when(typed.is_finite() & (typed.abs() < MAX_NUMBER)).then(typed)
    elif spec.kind is Kind.INTEGER:
        typed = parse_column(table, spec, options, text) if parsed is None else parsed
        checks.append(Check("invalid_value", name, present & typed.is_null(), "not a whole number", spec.expected))
    elif spec.kind is Kind.BOOL:
        typed = parse_column(table, spec, options, text) if parsed is None else parsed
        checks.append(Check("invalid_value", name, present & typed.is_null(), "not a boolean", spec.expected))
    elif spec.kind is Kind.ENUM:
        typed = parse_column(table, spec, options, text) if parsed is None else parsed
        checks.append(
            Check("unknown_value", name, present & ~typed.is_in(spec.choices), "unknown value", spec.expected)
        )
    else:
        typed = parse_column(table, spec, options, text) if parsed is None else parsed
    if spec.ge is not None:
        checks.append(Check("out_of_range", name, typed < spec.ge, "out of range", spec.expected))
    if spec.le is not None:
        checks.append(Check("out_of_range", name, typed > spec.le, "out of range", spec.expected))
    return typed.alias(name), checks


Typed = Mapping[str, pl.Expr]


class CanonicalText(dict[str, pl.Expr]):
    """Typed columns whose date and datetime columns are their text, all ``YYYY-MM-DD[THH:MM:SS]``.

    Such text sorts as the moments it writes, so a row rule compares it as it is (the fast path's).
    """


def _before(t: Typed, later: str, earlier: str, options: TableOptions) -> pl.Expr:
    """``later`` is before ``earlier``, comparing timestamps as written (local time; an offset is ignored)."""
    if isinstance(t, CanonicalText):
        return t[later] < t[earlier]
    if options.date_format is None:
        # ISO: the dates are parsed already; on the same day "HH:MM:SS" orders the times as text
        # (a date alone sorts before any time of its day).
        same_day = t[later] == t[earlier]
        clock = [_trimmed(c).str.slice(11, 8) for c in (later, earlier)]
        return (t[later] < t[earlier]) | (same_day & (clock[0] < clock[1]))
    moments = [_trimmed(c).str.to_datetime(options.date_format, strict=False) for c in (later, earlier)]
    return moments[0] < moments[1]


def _rules_surveys(t: Typed, options: TableOptions) -> list[Check]:
    if not {"survey", "score"} <= t.keys():
        return []
    survey, score = t["survey"], t["score"]
    bad = ((survey == "csat") & ~score.is_between(1, 5)) | ((survey == "nps") & ~score.is_between(0, 10))
    return [Check("out_of_range", "score", bad, "score out of range for its survey", "csat 1-5, nps 0-10")]


def _rules_tickets(t: Typed, options: TableOptions) -> list[Check]:
    if not {"opened_at", "resolved_at"} <= t.keys():
        return []
    bad = _before(t, "resolved_at", "opened_at", options)
    return [
        Check(
            "resolved_before_opened",
            "resolved_at",
            bad & t["opened_at"].is_not_null() & t["resolved_at"].is_not_null(),
            "resolved before it was opened",
            "resolved_at on or after opened_at",
        )
    ]


def _rules_opportunities(t: Typed, options: TableOptions) -> list[Check]:
    if not {"stage", "closed_at"} <= t.keys():
        return []
    return [
        Check(
            "closed_at_missing",
            "closed_at",
            t["stage"].is_in(["won", "lost"]) & _trimmed("closed_at").is_null(),  # a bad date is reported once
            "a won or lost opportunity has no closed_at",
            "a close date for won/lost opportunities",
        )
    ]


def _end_before_start(t: Typed, options: TableOptions) -> list[Check]:
    if not {"start_date", "end_date"} <= t.keys():
        return []
    return [
        Check(
            "end_before_start",
            "end_date",
            t["end_date"] < t["start_date"],
            "ends before it starts",
            "end_date on or after start_date",
        )
    ]


def _rules_assignments(t: Typed, options: TableOptions) -> list[Check]:
    rules = _end_before_start(t, options)
    if {"account_id", "start_date", "end_date"} <= t.keys():
        # In start order per account, a range overlaps when it starts on or before the latest end so far.
        end = t["end_date"].fill_null(pl.date(9999, 12, 31))
        latest_end = end.cum_max().shift(1).over(t["account_id"], order_by=[t["start_date"], end])
        rules.append(
            Check(
                "overlapping_assignment",
                "start_date",
                t["start_date"] <= latest_end,
                "overlaps another assignment of the same account",
                "no overlapping date ranges per account",
            )
        )
    return rules


# Columns a row rule reads together: a run that reads one of them reads all, so the rule always runs.
RULE_COLUMNS: dict[str, tuple[frozenset[str], ...]] = {
    "surveys": (frozenset({"survey", "score"}),),
    "tickets": (frozenset({"opened_at", "resolved_at"}),),
    "opportunities": (frozenset({"stage", "closed_at"}),),
    "subscriptions": (frozenset({"start_date", "end_date"}),),
    "assignments": (frozenset({"account_id", "start_date", "end_date"}),),
}
ROW_RULES: dict[str, Callable[[Typed, TableOptions], list[Check]]] = {
    "surveys": _rules_surveys,
    "tickets": _rules_tickets,
    "opportunities": _rules_opportunities,
    "subscriptions": _end_before_start,
    "assignments": _rules_assignments,
}


def _strictly_increasing(keys: list[pl.Expr]) -> pl.Expr:
    """Whether every row's key is greater than the previous row's, in key order (a null is not)."""
    later = keys[-1] > keys[-1].shift(1)
    for key in reversed(keys[:-1]):
        later = (key > key.shift(1)) | ((key == key.shift(1)) & later)
    return later.slice(1).fill_null(False).all()


def _unique_check(table: str, t: Typed, staged: pl.DataFrame) -> list[Check]:
    keys = TABLES[table].unique
    if not keys or not set(keys) <= t.keys():
        return []
    key = t[keys[0]] if len(keys) == 1 else pl.struct([t[k].alias(k) for k in keys])
    # Cheap proofs first, as locating duplicates is costly: exports are often sorted by their key,
    # and strictly increasing keys are unique; else, when every 64-bit hash differs there is no
    # duplicate. Equal hashes (a duplicate or a collision) run the exact check.
    if staged.height < 2 or staged.select(_strictly_increasing([t[k] for k in keys])).item():
        return []
    if staged.select(key.hash().n_unique()).item() == staged.height:
        return []
    return [
        Check(
            "duplicate_key",
            keys[0] if len(keys) == 1 else keys[-1],
            ~key.is_first_distinct(),
            f"duplicate {' + '.join(keys)}: an earlier row has the same value",
            f"unique {' + '.join(keys)}",
        )
    ]


def _flagged(
    raw: RawTable,
    raw_frame: pl.DataFrame,
    staged: pl.LazyFrame,
    checks: list[Check],
    levels: Mapping[str, str],
    typed: Iterable[pl.Expr],
) -> tuple[pl.DataFrame, list[Issue]]:
    """Run ``checks`` in one pass: the typed frame without the rows a downgraded check sets aside, and the issues."""
    flags = [c.bad.fill_null(False).alias(f"__bad{i}") for i, c in enumerate(checks)]
    frame = staged.select(LINE, *typed, *flags).collect()
    counts = frame.select(pl.col(f"__bad{i}").sum() for i in range(len(checks))).row(0) if checks else ()
    issues: list[Issue] = []
    set_aside: pl.Expr | None = None  # rows flagged by a downgraded check
    for i, (check, count) in enumerate(zip(checks, counts, strict=True)):
        if not count:
            continue
        level = levels.get(check.name, "error")
        first = int(frame[f"__bad{i}"].arg_true()[0])
        shown = raw_frame.select(check.value if check.value is not None else pl.col(check.column or FIELDS))
        message = check.message
        if level == "warning":
            set_aside = pl.col(f"__bad{i}") if set_aside is None else set_aside | pl.col(f"__bad{i}")
            message += f"; {count} row{'s' if count != 1 else ''} set aside (check {check.name!r} is a warning)"
        issues.append(
            Issue(
                level=level,
                message=message,
                file=raw.source.display,
                line=int(frame[LINE][first]),
                column=raw.mapping.get(check.column, check.column) if check.column else None,
                value=str(shown.item(first, 0)) if check.column or check.value is not None else None,
                expected=check.expected,
                check=check.name,
                more=count - 1,
            )
        )
    if set_aside is not None:  # a filter copies every column: only when rows go
        frame = frame.filter(~set_aside)
    return frame, issues


def validate_table(
    raw: RawTable, options: TableOptions, levels: Mapping[str, str] | None = None
) -> tuple[pl.DataFrame, list[Issue]]:
    """Cast a raw table and run every check on it in one pass.

    Returns the typed frame (``__line`` kept) and the issues found. Rows flagged
    by a check that ``levels`` downgrades to ``"warning"`` are set aside.
    """
    levels = levels or {}
    specs = table_spec(raw.table)
    # An optional column the file lacks reads as empty everywhere (every optional column may be empty), so
    # metrics and row rules see the same schema whatever the export included.
    raw_frame = raw.frame.with_columns(pl.lit(None, pl.String).alias(c) for c in raw.absent if c in specs)
    columns = [c for c in raw_frame.columns if c in specs]
    typed: dict[str, pl.Expr] = {}
    # Rows with too many fields and rows with too few are two problems, each shown with its first line.
    checks = [
        Check(
            "ragged_row",
            None,
            bad,
            f"the row has {kind} than the header's {len(raw.header)} fields",
            f"{len(raw.header)} fields separated by {raw.delimiter!r}",
            value=pl.col(FIELDS).cast(pl.String) + " fields",
        )
        for kind, bad in (
            ("more fields", pl.col(FIELDS) > len(raw.header)),
            ("fewer fields", pl.col(FIELDS) < len(raw.header)),
        )
    ]
    issues: list[Issue] = []
    if levels.get("ragged_row") == "warning":
        # Set aside before any other check reads them: a short row's padded columns, a long row's
        # shifted values would be errors of their own (missing value, invalid date), failing the run.
        _, issues = _flagged(raw, raw_frame, raw_frame.lazy(), checks, levels, ())
        if issues:
            raw_frame = raw_frame.filter(pl.col(FIELDS) == len(raw.header))
        checks = []
    # Trim and parse each column once into materialised columns; the checks then compare those
    # instead of re-deriving them from the text in every flag expression.
    staged = raw_frame.with_columns(_text(c, raw.trimmed).alias(f"__x_{c}") for c in columns)
    parsed: list[pl.Expr] = []
    for c in columns:
        if _few_values(specs[c]):
            parsed.extend(_parsed_once_per_value(raw.table, specs[c], options, staged[f"__x_{c}"]))
        else:
            parsed.append(parse_column(raw.table, specs[c], options, pl.col(f"__x_{c}")).alias(f"__p_{c}"))
    staged = staged.with_columns(parsed)
    for name in columns:
        text, value = pl.col(f"__x_{name}"), pl.col(f"__p_{name}")
        valid = pl.col(f"__v_{name}") if f"__v_{name}" in staged.columns else None
        typed[name], column_checks = cast_column(raw.table, specs[name], options, text, value, valid)
        checks.extend(column_checks)
    checks.extend(_unique_check(raw.table, typed, staged))
    checks.extend(ROW_RULES.get(raw.table, lambda t, o: [])(typed, options))
    frame, more = _flagged(raw, raw_frame, staged.lazy(), checks, levels, typed.values())
    issues.extend(more)
    return frame.select(LINE, *typed.keys()), issues
