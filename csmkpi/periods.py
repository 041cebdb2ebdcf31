"""Reporting periods: turn ``--period`` text into inclusive date ranges (SPEC §3).

A fiscal year may start in any month and is named after the calendar year it
ends in: with ``fiscal_year_start_month=7``, FY2026 runs 2025-07-01..2026-06-30.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from csmkpi.errors import UsageError

__all__ = [
    "ACCEPTED_FORMS",
    "GRAINS",
    "KINDS",
    "Period",
    "add_months",
    "month_end",
    "parse_date",
    "require_history",
    "resolve",
    "shift",
    "split",
]

ACCEPTED_FORMS = (
    "2026-Q3, Q3, 2026-07, 2026-H1, 2026, FY2026, last-month, this-month, "
    "last-quarter, this-quarter, ytd, or --from/--to"
)
KINDS = ("month", "quarter", "half", "year", "ytd", "range")
GRAINS = ("month", "quarter")
DEFAULT_PERIOD = "last-quarter"
# A period needs the 12 months before it (its start revenue snapshot, trailing-12-month windows),
# so the first one csmkpi can compute starts in year 2; Python's dates end at 9999-12-31.
EARLIEST = date(2, 1, 1)

_MONTH_RE = re.compile(r"([0-9]{4})-([0-9]{2})")
_PART_RE = re.compile(r"([0-9]{4})-([qh])([0-9])")
_RELATIVE_PART_RE = re.compile(r"([qh])([0-9])")
_YEAR_RE = re.compile(r"(?:fy)?([0-9]{4})")
_DATE_RE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


@dataclass(frozen=True)
class Period:
    """An inclusive date range to report on.

    Attributes:
        label: Filename-safe name, e.g. ``2026-Q3`` or ``2026-07-15_2026-08-10``.
        start: First day, inclusive.
        end: Last day, inclusive.
        partial: True when the period is not over at the as-of date.
        kind: One of ``month``, ``quarter``, ``half``, ``year``, ``ytd``, ``range``.
    """

    label: str
    start: date
    end: date
    partial: bool
    kind: str

    def __post_init__(self) -> None:
        """Reject an empty range or an unknown kind."""
        if self.start > self.end:
            raise ValueError(f"period start {self.start} is after its end {self.end}")
        if self.kind not in KINDS:
            raise ValueError(f"unknown period kind {self.kind!r}")

    @property
    def first_month(self) -> date:
        """Return the first day of the start date's month."""
        return self.start.replace(day=1)

    @property
    def last_month(self) -> date:
        """Return the first day of the end date's month (the end MRR snapshot)."""
        return self.end.replace(day=1)

    @property
    def start_snapshot_month(self) -> date:
        """Return the month before the first month (the start MRR snapshot)."""
        return add_months(self.first_month, -1)

    def months(self) -> list[date]:
        """Return the first day of every month from first to last month."""
        result: list[date] = []
        month = self.first_month
        while month <= self.last_month:
            result.append(month)
            month = add_months(month, 1)
        return result

    def contains(self, d: date) -> bool:
        """Return True when ``d`` lies within the inclusive start and end.

        A ``datetime`` is compared by its date part.
        """
        if isinstance(d, datetime):
            d = d.date()
        return self.start <= d <= self.end


def add_months(d: date, n: int) -> date:
    """Return ``d`` moved by ``n`` calendar months.

    Meant for first-of-month dates. Any other day is clamped to the last day of
    the target month (2026-01-31 + 1 month is 2026-02-28).

    Raises:
        ValueError: The result falls outside years 1..9999.
    """
    index = d.year * 12 + (d.month - 1) + n
    year, month0 = divmod(index, 12)
    if not 1 <= year <= 9999:
        raise ValueError(f"date out of range: {d} + {n} months")
    day = min(d.day, calendar.monthrange(year, month0 + 1)[1])
    return date(year, month0 + 1, day)


def month_end(d: date) -> date:
    """Return the last day of ``d``'s month."""
    return d.replace(day=calendar.monthrange(d.year, d.month)[1])


def parse_date(text: str) -> date:
    """Parse a strict ISO ``YYYY-MM-DD`` date (for ``--from``, ``--to``, ``--as-of``).

    Raises:
        UsageError: The text is not a valid ``YYYY-MM-DD`` date.
    """
    if _DATE_RE.fullmatch(text):
        try:
            return date.fromisoformat(text)
        except ValueError:
            pass
    raise UsageError(f"invalid date {text!r}: expected YYYY-MM-DD, e.g. 2026-07-15")


def resolve(
    text: str | None,
    *,
    start: date | None = None,
    end: date | None = None,
    as_of: date,
    fiscal_year_start_month: int = 1,
) -> Period:
    """Resolve ``--period`` text, or ``--from``/``--to`` dates, to a Period.

    Args:
        text: The ``--period`` value (case-insensitive), or None.
        start: The ``--from`` date; only allowed when ``text`` is None.
        end: The ``--to`` date; defaults to ``as_of`` when ``start`` is given.
        as_of: The date the report is run for; decides relative and partial periods.
        fiscal_year_start_month: First month (1..12) of the fiscal year.

    Returns:
        The resolved period. With neither text nor dates, ``last-quarter``.

    Raises:
        UsageError: The text is not an accepted form, the dates conflict, or the
            period falls outside the supported date range.
        ValueError: ``fiscal_year_start_month`` is not in 1..12.
    """
    _check_fy_start(fiscal_year_start_month)
    if text is not None and (start is not None or end is not None):
        raise UsageError("use either --period or --from/--to, not both")
    if text is None:
        if start is not None:
            return _range(start, as_of if end is None else end, as_of)
        if end is not None:
            raise UsageError("--to needs --from")
        text = DEFAULT_PERIOD
    try:
        period = _parse(text.strip().lower(), as_of, fiscal_year_start_month)
    except (ValueError, OverflowError) as exc:
        if "out of range" in str(exc):  # add_months' or date()'s (year 0, year 10000)
            raise UsageError(
                f"invalid period {text!r}: as of {as_of.isoformat()} it falls outside the years 1 to 9999; "
                f"expected {ACCEPTED_FORMS}"
            ) from None
        period = None
    if period is None:
        raise UsageError(f"invalid period {text!r}: expected {ACCEPTED_FORMS}")
    return period


def require_history(period: Period) -> None:
    """Refuse a period whose KPIs cannot be computed: one starting before ``EARLIEST``.

    Raises:
        UsageError: The period starts before year 2 (SPEC §6: periods from year 1 to 9999 work or are
            a usage error).
    """
    if period.start < EARLIEST:
        raise UsageError(
            f"period {period.label} starts {period.start.isoformat()}: every KPI needs the 12 months before a "
            f"period, so periods start on {EARLIEST.isoformat()} or later"
        )


def split(
    period: Period,
    grain: str,
    *,
    as_of: date,
    fiscal_year_start_month: int = 1,
) -> list[Period]:
    """Split a period into consecutive months or fiscal quarters.

    Each piece is clipped to the period's start and end and keeps the label of
    the month (``2026-07``) or quarter (``2026-Q3``) it belongs to. A piece is
    partial when its end is after ``as_of``; for a ``ytd`` period, whose end is
    ``as_of`` itself, the last piece is partial when its whole month or quarter
    is not over yet.

    Args:
        period: The period to split.
        grain: ``month`` or ``quarter`` (case-insensitive).
        as_of: The date the report is run for.
        fiscal_year_start_month: First month (1..12) of the fiscal year.

    Returns:
        The pieces in date order, covering the period exactly.

    Raises:
        UsageError: Unknown grain.
        ValueError: ``fiscal_year_start_month`` is not in 1..12.
    """
    _check_fy_start(fiscal_year_start_month)
    g = grain.strip().lower()
    if g not in GRAINS:
        raise UsageError(f"invalid grain {grain!r}: expected month or quarter")
    pieces: list[Period] = []
    if g == "month":
        bucket = _month(period.first_month, as_of)
    else:
        bucket = _quarter_containing(period.start, as_of, fiscal_year_start_month)
    while True:
        pieces.append(_clip(bucket, period, as_of))
        if bucket.end >= period.end:
            return pieces
        if g == "month":
            bucket = _month(add_months(bucket.start, 1), as_of)
        else:
            bucket = _quarter_containing(add_months(bucket.start, 3), as_of, fiscal_year_start_month)


COMPARES = ("previous", "year")
_MONTHS = {"month": 1, "quarter": 3, "half": 6, "year": 12}


def shift(period: Period, compare: str, *, as_of: date, fiscal_year_start_month: int = 1) -> Period:
    """The period ``--compare`` sets beside ``period``: the previous one of the same length, or a year earlier.

    A month, quarter, half or year moves by its own number of months (``previous`` of 2026-Q3 is
    2026-Q2, of 2026-07 is 2026-06) and keeps its kind and label form. ``year`` moves any period
    12 months back (2026-Q3 -> 2025-Q3; a ytd to the same days of the year before). Any other
    period (``--from/--to``, ``previous`` of a ytd) moves back by its own number of days.

    Raises:
        UsageError: Unknown ``compare``, or the result falls before year 1.
    """
    _check_fy_start(fiscal_year_start_month)
    if compare not in COMPARES:
        raise UsageError(f"--compare must be previous or year, not {compare!r}")
    months = 12 if compare == "year" else _MONTHS.get(period.kind)
    try:
        if months is not None and period.kind in _MONTHS:
            return _containing(period.kind, add_months(period.start, -months), as_of, fiscal_year_start_month)
        if months is not None:  # a ytd or a --from/--to range, a year earlier
            start, end = add_months(period.start, -12), add_months(period.end, -12)
            if period.kind == "ytd":
                label = f"{_fy_of(end, fiscal_year_start_month):04d}-YTD"
                return Period(label=label, start=start, end=end, partial=end > as_of, kind="ytd")
            return _range(start, end, as_of)
        length = period.end - period.start + timedelta(days=1)
        return _range(period.start - length, period.start - timedelta(days=1), as_of)
    except (ValueError, OverflowError):
        raise UsageError(f"--compare {compare}: {period.label} has no earlier period in years 1-9999") from None


def _containing(kind: str, d: date, as_of: date, fy_start_month: int) -> Period:
    """The month, fiscal quarter, half or year containing ``d``."""
    if kind == "month":
        return _month(d.replace(day=1), as_of)
    if kind == "quarter":
        return _quarter_containing(d, as_of, fy_start_month)
    fy = _fy_of(d, fy_start_month)
    if kind == "half":
        return _part(fy, "h", (d.month - fy_start_month) % 12 // 6 + 1, fy_start_month, as_of)
    return _year(fy, fy_start_month, as_of)


# --- helpers ---------------------------------------------------------------


def _check_fy_start(month: int) -> None:
    if not 1 <= month <= 12:
        raise ValueError(f"fiscal_year_start_month must be 1..12, got {month!r}")


def _fy_start(fy: int, fy_start_month: int) -> date:
    """Return the first day of fiscal year ``fy`` (named after the year it ends in)."""
    if fy_start_month == 1:
        return date(fy, 1, 1)
    return date(fy - 1, fy_start_month, 1)


def _fy_of(d: date, fy_start_month: int) -> int:
    """Return the name of the fiscal year containing ``d``."""
    if fy_start_month > 1 and d.month >= fy_start_month:
        return d.year + 1
    return d.year


def _make(label: str, start: date, end: date, kind: str, as_of: date) -> Period:
    return Period(label=label, start=start, end=end, partial=end > as_of, kind=kind)


def _month(first: date, as_of: date) -> Period:
    return _make(f"{first:%Y-%m}", first, month_end(first), "month", as_of)


def _part(fy: int, part: str, n: int, fy_start_month: int, as_of: date) -> Period:
    """Return quarter (part 'q') or half (part 'h') ``n`` of fiscal year ``fy``."""
    size = 3 if part == "q" else 6
    first = add_months(_fy_start(fy, fy_start_month), size * (n - 1))
    last = month_end(add_months(first, size - 1))
    kind = "quarter" if part == "q" else "half"
    return _make(f"{fy:04d}-{part.upper()}{n}", first, last, kind, as_of)


def _quarter_containing(d: date, as_of: date, fy_start_month: int) -> Period:
    fy = _fy_of(d, fy_start_month)
    n = (d.month - fy_start_month) % 12 // 3 + 1
    return _part(fy, "q", n, fy_start_month, as_of)


def _year(fy: int, fy_start_month: int, as_of: date) -> Period:
    first = _fy_start(fy, fy_start_month)
    last = month_end(add_months(first, 11))
    label = f"{fy:04d}" if fy_start_month == 1 else f"FY{fy:04d}"
    return _make(label, first, last, "year", as_of)


def _ytd(as_of: date, fy_start_month: int) -> Period:
    year = _year(_fy_of(as_of, fy_start_month), fy_start_month, as_of)
    label = f"{_fy_of(as_of, fy_start_month):04d}-YTD"
    return Period(label=label, start=year.start, end=as_of, partial=as_of < year.end, kind="ytd")


def _range(start: date, end: date, as_of: date) -> Period:
    if start > end:
        raise UsageError(f"--from {start.isoformat()} is after --to {end.isoformat()}")
    label = f"{start.isoformat()}_{end.isoformat()}"
    return _make(label, start, end, "range", as_of)


def _clip(bucket: Period, period: Period, as_of: date) -> Period:
    start = max(bucket.start, period.start)
    end = min(bucket.end, period.end)
    partial = end > as_of
    if period.kind == "ytd" and end == period.end:
        # A ytd period ends at as_of; its last piece is over only with its bucket.
        partial = bucket.end > as_of
    return Period(label=bucket.label, start=start, end=end, partial=partial, kind=bucket.kind)


def _relative(text: str, as_of: date, fy_start_month: int) -> Period | None:
    if text == "this-month":
        return _month(as_of.replace(day=1), as_of)
    if text == "last-month":
        return _month(add_months(as_of.replace(day=1), -1), as_of)
    if text == "this-quarter":
        return _quarter_containing(as_of, as_of, fy_start_month)
    if text == "last-quarter":
        current = _quarter_containing(as_of, as_of, fy_start_month)
        return _quarter_containing(add_months(current.start, -3), as_of, fy_start_month)
    if text == "ytd":
        return _ytd(as_of, fy_start_month)
    return None


def _parse(text: str, as_of: date, fy_start_month: int) -> Period | None:
    """Return the period for lower-cased ``text``, or None if it is not a known form."""
    if m := _MONTH_RE.fullmatch(text):
        return _month(date(int(m[1]), int(m[2]), 1), as_of)
    if m := _PART_RE.fullmatch(text):
        if not _valid_part(m[2], int(m[3])):
            return None
        return _part(int(m[1]), m[2], int(m[3]), fy_start_month, as_of)
    if m := _RELATIVE_PART_RE.fullmatch(text):
        part, n = m[1], int(m[2])
        if not _valid_part(part, n):
            return None
        fy = _fy_of(as_of, fy_start_month)
        candidate = _part(fy, part, n, fy_start_month, as_of)
        if candidate.start > as_of:
            candidate = _part(fy - 1, part, n, fy_start_month, as_of)
        return candidate
    if m := _YEAR_RE.fullmatch(text):
        return _year(int(m[1]), fy_start_month, as_of)
    return _relative(text, as_of, fy_start_month)


def _valid_part(part: str, n: int) -> bool:
    return 1 <= n <= (4 if part == "q" else 2)
