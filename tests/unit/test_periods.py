"""Tests for csmkpi.periods (SPEC §3); every expected date is written out by hand."""

from __future__ import annotations

from datetime import date, datetime
from itertools import pairwise

import pytest

from csmkpi.errors import UsageError
from csmkpi.periods import (
    Period,
    add_months,
    month_end,
    parse_date,
    resolve,
    split,
)

D = date
AUG15 = D(2026, 8, 15)


def P(label: str, start: date, end: date, partial: bool, kind: str) -> Period:  # noqa: N802
    """Build an expected Period positionally."""
    return Period(label=label, start=start, end=end, partial=partial, kind=kind)


# fmt: off
# (text, fiscal_year_start_month, as_of, expected)
RESOLVE_CASES = [
    # --- calendar months (fiscal start month never matters) ------------------
    pytest.param(
        "2026-07", 1, AUG15,
        P("2026-07", D(2026, 7, 1), D(2026, 7, 31), False, "month"),
        id="month-past",
    ),
    pytest.param(
        "2026-08", 1, AUG15,
        P("2026-08", D(2026, 8, 1), D(2026, 8, 31), True, "month"),
        id="month-current-partial",
    ),
    pytest.param(
        "2026-12", 1, AUG15,
        P("2026-12", D(2026, 12, 1), D(2026, 12, 31), True, "month"),
        id="month-future-partial",
    ),
    pytest.param(
        "2026-07", 7, AUG15,
        P("2026-07", D(2026, 7, 1), D(2026, 7, 31), False, "month"),
        id="month-fy7-still-calendar",
    ),
    pytest.param(
        "2024-02", 1, AUG15,
        P("2024-02", D(2024, 2, 1), D(2024, 2, 29), False, "month"),
        id="month-leap-feb",
    ),
    pytest.param(
        "2026-02", 4, AUG15,
        P("2026-02", D(2026, 2, 1), D(2026, 2, 28), False, "month"),
        id="month-nonleap-feb",
    ),
    pytest.param(
        "2000-02", 1, AUG15,
        P("2000-02", D(2000, 2, 1), D(2000, 2, 29), False, "month"),
        id="month-leap-feb-2000",
    ),
    pytest.param(
        "2100-02", 1, AUG15,
        P("2100-02", D(2100, 2, 1), D(2100, 2, 28), True, "month"),
        id="month-nonleap-feb-2100",
    ),
    pytest.param(
        "2026-07", 1, D(2026, 7, 31),
        P("2026-07", D(2026, 7, 1), D(2026, 7, 31), False, "month"),
        id="month-ends-on-as-of-not-partial",
    ),
    pytest.param(
        "2026-07", 1, D(2026, 7, 30),
        P("2026-07", D(2026, 7, 1), D(2026, 7, 31), True, "month"),
        id="month-day-before-end-partial",
    ),
    # --- explicit quarters -----------------------------------------------------
    pytest.param(
        "2026-Q1", 1, AUG15,
        P("2026-Q1", D(2026, 1, 1), D(2026, 3, 31), False, "quarter"),
        id="q1-fy1",
    ),
    pytest.param(
        "2026-Q3", 1, AUG15,
        P("2026-Q3", D(2026, 7, 1), D(2026, 9, 30), True, "quarter"),
        id="q3-fy1-partial",
    ),
    pytest.param(
        "2026-Q4", 1, AUG15,
        P("2026-Q4", D(2026, 10, 1), D(2026, 12, 31), True, "quarter"),
        id="q4-fy1-future",
    ),
    pytest.param(
        "2026-Q1", 2, AUG15,
        P("2026-Q1", D(2025, 2, 1), D(2025, 4, 30), False, "quarter"),
        id="q1-fy2",
    ),
    pytest.param(
        "2026-Q3", 2, AUG15,
        P("2026-Q3", D(2025, 8, 1), D(2025, 10, 31), False, "quarter"),
        id="q3-fy2",
    ),
    pytest.param(
        "2026-Q4", 2, AUG15,
        P("2026-Q4", D(2025, 11, 1), D(2026, 1, 31), False, "quarter"),
        id="q4-fy2-crosses-new-year",
    ),
    pytest.param(
        "2025-Q1", 2, AUG15,
        P("2025-Q1", D(2024, 2, 1), D(2024, 4, 30), False, "quarter"),
        id="q1-fy2-leap-feb",
    ),
    pytest.param(
        "2026-Q1", 4, AUG15,
        P("2026-Q1", D(2025, 4, 1), D(2025, 6, 30), False, "quarter"),
        id="q1-fy4",
    ),
    pytest.param(
        "2026-Q3", 4, AUG15,
        P("2026-Q3", D(2025, 10, 1), D(2025, 12, 31), False, "quarter"),
        id="q3-fy4",
    ),
    pytest.param(
        "2024-Q4", 4, AUG15,
        P("2024-Q4", D(2024, 1, 1), D(2024, 3, 31), False, "quarter"),
        id="q4-fy4",
    ),
    pytest.param(
        "2026-Q1", 7, AUG15,
        P("2026-Q1", D(2025, 7, 1), D(2025, 9, 30), False, "quarter"),
        id="q1-fy7-previous-calendar-year",
    ),
    pytest.param(
        "2026-Q2", 7, AUG15,
        P("2026-Q2", D(2025, 10, 1), D(2025, 12, 31), False, "quarter"),
        id="q2-fy7",
    ),
    pytest.param(
        "2026-Q3", 7, AUG15,
        P("2026-Q3", D(2026, 1, 1), D(2026, 3, 31), False, "quarter"),
        id="q3-fy7",
    ),
    pytest.param(
        "2026-Q4", 7, AUG15,
        P("2026-Q4", D(2026, 4, 1), D(2026, 6, 30), False, "quarter"),
        id="q4-fy7",
    ),
    pytest.param(
        "2027-Q1", 7, AUG15,
        P("2027-Q1", D(2026, 7, 1), D(2026, 9, 30), True, "quarter"),
        id="q1-fy7-current-partial",
    ),
    # --- explicit halves -------------------------------------------------------
    pytest.param(
        "2026-H1", 1, AUG15,
        P("2026-H1", D(2026, 1, 1), D(2026, 6, 30), False, "half"),
        id="h1-fy1",
    ),
    pytest.param(
        "2026-H2", 1, AUG15,
        P("2026-H2", D(2026, 7, 1), D(2026, 12, 31), True, "half"),
        id="h2-fy1-partial",
    ),
    pytest.param(
        "2026-H1", 2, AUG15,
        P("2026-H1", D(2025, 2, 1), D(2025, 7, 31), False, "half"),
        id="h1-fy2",
    ),
    pytest.param(
        "2026-H2", 2, AUG15,
        P("2026-H2", D(2025, 8, 1), D(2026, 1, 31), False, "half"),
        id="h2-fy2",
    ),
    pytest.param(
        "2026-H2", 4, AUG15,
        P("2026-H2", D(2025, 10, 1), D(2026, 3, 31), False, "half"),
        id="h2-fy4",
    ),
    pytest.param(
        "2026-H1", 7, AUG15,
        P("2026-H1", D(2025, 7, 1), D(2025, 12, 31), False, "half"),
        id="h1-fy7",
    ),
    pytest.param(
        "2026-H2", 7, AUG15,
        P("2026-H2", D(2026, 1, 1), D(2026, 6, 30), False, "half"),
        id="h2-fy7",
    ),
    # --- fiscal years ----------------------------------------------------------
    pytest.param(
        "2026", 1, AUG15,
        P("2026", D(2026, 1, 1), D(2026, 12, 31), True, "year"),
        id="year-fy1",
    ),
    pytest.param(
        "FY2026", 1, AUG15,
        P("2026", D(2026, 1, 1), D(2026, 12, 31), True, "year"),
        id="fy-prefix-fy1-label-plain",
    ),
    pytest.param(
        "2025", 1, AUG15,
        P("2025", D(2025, 1, 1), D(2025, 12, 31), False, "year"),
        id="year-fy1-past",
    ),
    pytest.param(
        "FY2026", 2, AUG15,
        P("FY2026", D(2025, 2, 1), D(2026, 1, 31), False, "year"),
        id="year-fy2",
    ),
    pytest.param(
        "FY2024", 4, AUG15,
        P("FY2024", D(2023, 4, 1), D(2024, 3, 31), False, "year"),
        id="year-fy4-with-leap-feb",
    ),
    pytest.param(
        "FY2026", 7, AUG15,
        P("FY2026", D(2025, 7, 1), D(2026, 6, 30), False, "year"),
        id="year-fy7",
    ),
    pytest.param(
        "2026", 7, AUG15,
        P("FY2026", D(2025, 7, 1), D(2026, 6, 30), False, "year"),
        id="bare-year-fy7-label-fy",
    ),
    pytest.param(
        "2027", 7, AUG15,
        P("FY2027", D(2026, 7, 1), D(2027, 6, 30), True, "year"),
        id="year-fy7-current-partial",
    ),
    pytest.param(
        "FY0001", 1, AUG15,
        P("0001", D(1, 1, 1), D(1, 12, 31), False, "year"),
        id="year-0001",
    ),
    pytest.param(
        "9999-Q4", 1, AUG15,
        P("9999-Q4", D(9999, 10, 1), D(9999, 12, 31), True, "quarter"),
        id="year-9999-q4",
    ),
    # --- relative Qn / Hn: latest one started on or before as_of ---------------
    pytest.param(
        "Q3", 1, D(2026, 6, 30),
        P("2025-Q3", D(2025, 7, 1), D(2025, 9, 30), False, "quarter"),
        id="rel-q3-fy1-before-start",
    ),
    pytest.param(
        "Q3", 1, D(2026, 7, 1),
        P("2026-Q3", D(2026, 7, 1), D(2026, 9, 30), True, "quarter"),
        id="rel-q3-fy1-on-start",
    ),
    pytest.param(
        "Q3", 1, AUG15,
        P("2026-Q3", D(2026, 7, 1), D(2026, 9, 30), True, "quarter"),
        id="rel-q3-fy1-during",
    ),
    pytest.param(
        "Q3", 1, D(2026, 10, 1),
        P("2026-Q3", D(2026, 7, 1), D(2026, 9, 30), False, "quarter"),
        id="rel-q3-fy1-after",
    ),
    pytest.param(
        "Q4", 1, AUG15,
        P("2025-Q4", D(2025, 10, 1), D(2025, 12, 31), False, "quarter"),
        id="rel-q4-fy1-previous-year",
    ),
    pytest.param(
        "Q1", 1, D(2026, 1, 1),
        P("2026-Q1", D(2026, 1, 1), D(2026, 3, 31), True, "quarter"),
        id="rel-q1-fy1-new-year-day",
    ),
    pytest.param(
        "Q3", 2, D(2026, 7, 31),
        P("2026-Q3", D(2025, 8, 1), D(2025, 10, 31), False, "quarter"),
        id="rel-q3-fy2-before-start",
    ),
    pytest.param(
        "Q3", 2, D(2026, 8, 1),
        P("2027-Q3", D(2026, 8, 1), D(2026, 10, 31), True, "quarter"),
        id="rel-q3-fy2-on-start",
    ),
    pytest.param(
        "Q1", 4, D(2026, 3, 31),
        P("2026-Q1", D(2025, 4, 1), D(2025, 6, 30), False, "quarter"),
        id="rel-q1-fy4-before-start",
    ),
    pytest.param(
        "Q1", 4, D(2026, 4, 1),
        P("2027-Q1", D(2026, 4, 1), D(2026, 6, 30), True, "quarter"),
        id="rel-q1-fy4-on-start",
    ),
    pytest.param(
        "Q3", 7, AUG15,
        P("2026-Q3", D(2026, 1, 1), D(2026, 3, 31), False, "quarter"),
        id="rel-q3-fy7-before-start",
    ),
    pytest.param(
        "Q3", 7, D(2027, 1, 1),
        P("2027-Q3", D(2027, 1, 1), D(2027, 3, 31), True, "quarter"),
        id="rel-q3-fy7-on-start",
    ),
    pytest.param(
        "Q1", 7, D(2026, 6, 30),
        P("2026-Q1", D(2025, 7, 1), D(2025, 9, 30), False, "quarter"),
        id="rel-q1-fy7-before-start",
    ),
    pytest.param(
        "Q1", 7, D(2026, 7, 1),
        P("2027-Q1", D(2026, 7, 1), D(2026, 9, 30), True, "quarter"),
        id="rel-q1-fy7-on-start",
    ),
    pytest.param(
        "H2", 1, D(2026, 3, 1),
        P("2025-H2", D(2025, 7, 1), D(2025, 12, 31), False, "half"),
        id="rel-h2-fy1-before-start",
    ),
    pytest.param(
        "H1", 1, D(2026, 1, 1),
        P("2026-H1", D(2026, 1, 1), D(2026, 6, 30), True, "half"),
        id="rel-h1-fy1-on-start",
    ),
    pytest.param(
        "H2", 7, AUG15,
        P("2026-H2", D(2026, 1, 1), D(2026, 6, 30), False, "half"),
        id="rel-h2-fy7",
    ),
    pytest.param(
        "H1", 7, AUG15,
        P("2027-H1", D(2026, 7, 1), D(2026, 12, 31), True, "half"),
        id="rel-h1-fy7",
    ),
    # --- last-month / this-month -----------------------------------------------
    pytest.param(
        "last-month", 1, AUG15,
        P("2026-07", D(2026, 7, 1), D(2026, 7, 31), False, "month"),
        id="last-month",
    ),
    pytest.param(
        "last-month", 1, D(2026, 1, 10),
        P("2025-12", D(2025, 12, 1), D(2025, 12, 31), False, "month"),
        id="last-month-in-january",
    ),
    pytest.param(
        "last-month", 7, D(2026, 7, 1),
        P("2026-06", D(2026, 6, 1), D(2026, 6, 30), False, "month"),
        id="last-month-fy7-calendar",
    ),
    pytest.param(
        "last-month", 1, D(2024, 3, 31),
        P("2024-02", D(2024, 2, 1), D(2024, 2, 29), False, "month"),
        id="last-month-leap-feb",
    ),
    pytest.param(
        "this-month", 1, AUG15,
        P("2026-08", D(2026, 8, 1), D(2026, 8, 31), True, "month"),
        id="this-month-partial",
    ),
    pytest.param(
        "this-month", 4, D(2026, 8, 31),
        P("2026-08", D(2026, 8, 1), D(2026, 8, 31), False, "month"),
        id="this-month-last-day-not-partial",
    ),
    # --- this-quarter / last-quarter -------------------------------------------
    pytest.param(
        "this-quarter", 1, AUG15,
        P("2026-Q3", D(2026, 7, 1), D(2026, 9, 30), True, "quarter"),
        id="this-quarter-fy1",
    ),
    pytest.param(
        "this-quarter", 1, D(2026, 9, 30),
        P("2026-Q3", D(2026, 7, 1), D(2026, 9, 30), False, "quarter"),
        id="this-quarter-fy1-last-day",
    ),
    pytest.param(
        "last-quarter", 1, AUG15,
        P("2026-Q2", D(2026, 4, 1), D(2026, 6, 30), False, "quarter"),
        id="last-quarter-fy1",
    ),
    pytest.param(
        "last-quarter", 1, D(2026, 2, 10),
        P("2025-Q4", D(2025, 10, 1), D(2025, 12, 31), False, "quarter"),
        id="last-quarter-fy1-in-q1",
    ),
    pytest.param(
        "this-quarter", 2, D(2026, 1, 15),
        P("2026-Q4", D(2025, 11, 1), D(2026, 1, 31), True, "quarter"),
        id="this-quarter-fy2-crosses-new-year",
    ),
    pytest.param(
        "last-quarter", 2, D(2026, 2, 1),
        P("2026-Q4", D(2025, 11, 1), D(2026, 1, 31), False, "quarter"),
        id="last-quarter-fy2-in-q1",
    ),
    pytest.param(
        "this-quarter", 4, D(2026, 3, 31),
        P("2026-Q4", D(2026, 1, 1), D(2026, 3, 31), False, "quarter"),
        id="this-quarter-fy4",
    ),
    pytest.param(
        "last-quarter", 4, D(2026, 4, 1),
        P("2026-Q4", D(2026, 1, 1), D(2026, 3, 31), False, "quarter"),
        id="last-quarter-fy4-in-q1",
    ),
    pytest.param(
        "this-quarter", 7, AUG15,
        P("2027-Q1", D(2026, 7, 1), D(2026, 9, 30), True, "quarter"),
        id="this-quarter-fy7",
    ),
    pytest.param(
        "last-quarter", 7, AUG15,
        P("2026-Q4", D(2026, 4, 1), D(2026, 6, 30), False, "quarter"),
        id="last-quarter-fy7-in-q1",
    ),
    pytest.param(
        "last-quarter", 7, D(2026, 1, 1),
        P("2026-Q2", D(2025, 10, 1), D(2025, 12, 31), False, "quarter"),
        id="last-quarter-fy7-in-q3",
    ),
    # --- ytd -------------------------------------------------------------------
    pytest.param(
        "ytd", 1, AUG15,
        P("2026-YTD", D(2026, 1, 1), D(2026, 8, 15), True, "ytd"),
        id="ytd-fy1-partial",
    ),
    pytest.param(
        "ytd", 1, D(2026, 12, 31),
        P("2026-YTD", D(2026, 1, 1), D(2026, 12, 31), False, "ytd"),
        id="ytd-fy1-last-day-not-partial",
    ),
    pytest.param(
        "ytd", 1, D(2026, 1, 1),
        P("2026-YTD", D(2026, 1, 1), D(2026, 1, 1), True, "ytd"),
        id="ytd-fy1-first-day",
    ),
    pytest.param(
        "ytd", 2, D(2026, 1, 31),
        P("2026-YTD", D(2025, 2, 1), D(2026, 1, 31), False, "ytd"),
        id="ytd-fy2-last-day",
    ),
    pytest.param(
        "ytd", 2, D(2026, 2, 1),
        P("2027-YTD", D(2026, 2, 1), D(2026, 2, 1), True, "ytd"),
        id="ytd-fy2-first-day",
    ),
    pytest.param(
        "ytd", 4, D(2026, 5, 20),
        P("2027-YTD", D(2026, 4, 1), D(2026, 5, 20), True, "ytd"),
        id="ytd-fy4",
    ),
    pytest.param(
        "ytd", 7, AUG15,
        P("2027-YTD", D(2026, 7, 1), D(2026, 8, 15), True, "ytd"),
        id="ytd-fy7-partial",
    ),
    pytest.param(
        "ytd", 7, D(2026, 6, 30),
        P("2026-YTD", D(2025, 7, 1), D(2026, 6, 30), False, "ytd"),
        id="ytd-fy7-last-day-not-partial",
    ),
    # --- case and whitespace ---------------------------------------------------
    pytest.param(
        " 2026-q3 ", 1, AUG15,
        P("2026-Q3", D(2026, 7, 1), D(2026, 9, 30), True, "quarter"),
        id="lowercase-quarter-padded",
    ),
    pytest.param(
        "2026-h1", 7, AUG15,
        P("2026-H1", D(2025, 7, 1), D(2025, 12, 31), False, "half"),
        id="lowercase-half",
    ),
    pytest.param(
        "fy2026", 7, AUG15,
        P("FY2026", D(2025, 7, 1), D(2026, 6, 30), False, "year"),
        id="lowercase-fy",
    ),
    pytest.param(
        "q3", 1, AUG15,
        P("2026-Q3", D(2026, 7, 1), D(2026, 9, 30), True, "quarter"),
        id="lowercase-relative-q",
    ),
    pytest.param(
        "\tLAST-MONTH\n", 1, AUG15,
        P("2026-07", D(2026, 7, 1), D(2026, 7, 31), False, "month"),
        id="uppercase-last-month",
    ),
    pytest.param(
        "YTD", 1, AUG15,
        P("2026-YTD", D(2026, 1, 1), D(2026, 8, 15), True, "ytd"),
        id="uppercase-ytd",
    ),
    pytest.param(
        "This-Quarter", 7, AUG15,
        P("2027-Q1", D(2026, 7, 1), D(2026, 9, 30), True, "quarter"),
        id="mixedcase-this-quarter",
    ),
]
# fmt: on


@pytest.mark.parametrize(("text", "fy_start", "as_of", "expected"), RESOLVE_CASES)
def test_resolve(text: str, fy_start: int, as_of: date, expected: Period) -> None:
    """Each accepted --period form resolves to hand-computed dates."""
    got = resolve(text, as_of=as_of, fiscal_year_start_month=fy_start)
    assert got == expected


# fmt: off
DEFAULT_CASES = [
    pytest.param(
        1, AUG15,
        P("2026-Q2", D(2026, 4, 1), D(2026, 6, 30), False, "quarter"),
        id="fy1",
    ),
    pytest.param(
        7, AUG15,
        P("2026-Q4", D(2026, 4, 1), D(2026, 6, 30), False, "quarter"),
        id="fy7",
    ),
    pytest.param(
        1, D(2026, 1, 5),
        P("2025-Q4", D(2025, 10, 1), D(2025, 12, 31), False, "quarter"),
        id="fy1-january",
    ),
]
# fmt: on


@pytest.mark.parametrize(("fy_start", "as_of", "expected"), DEFAULT_CASES)
def test_default_is_last_quarter(fy_start: int, as_of: date, expected: Period) -> None:
    """No --period and no --from resolves to last-quarter."""
    got = resolve(None, as_of=as_of, fiscal_year_start_month=fy_start)
    assert got == expected


# fmt: off
RANGE_CASES = [
    pytest.param(
        D(2026, 7, 15), D(2026, 8, 10), D(2026, 9, 1),
        P("2026-07-15_2026-08-10", D(2026, 7, 15), D(2026, 8, 10), False, "range"),
        id="past",
    ),
    pytest.param(
        D(2026, 7, 15), D(2026, 8, 10), D(2026, 8, 10),
        P("2026-07-15_2026-08-10", D(2026, 7, 15), D(2026, 8, 10), False, "range"),
        id="ends-on-as-of",
    ),
    pytest.param(
        D(2026, 7, 15), D(2026, 8, 10), D(2026, 8, 9),
        P("2026-07-15_2026-08-10", D(2026, 7, 15), D(2026, 8, 10), True, "range"),
        id="partial",
    ),
    pytest.param(
        D(2026, 7, 15), None, D(2026, 8, 10),
        P("2026-07-15_2026-08-10", D(2026, 7, 15), D(2026, 8, 10), False, "range"),
        id="end-defaults-to-as-of",
    ),
    pytest.param(
        D(2026, 7, 15), D(2026, 7, 15), AUG15,
        P("2026-07-15_2026-07-15", D(2026, 7, 15), D(2026, 7, 15), False, "range"),
        id="single-day",
    ),
    pytest.param(
        D(2026, 1, 1), D(2026, 3, 31), AUG15,
        P("2026-01-01_2026-03-31", D(2026, 1, 1), D(2026, 3, 31), False, "range"),
        id="month-aligned-still-range",
    ),
    pytest.param(
        D(2025, 12, 20), D(2026, 1, 10), AUG15,
        P("2025-12-20_2026-01-10", D(2025, 12, 20), D(2026, 1, 10), False, "range"),
        id="crosses-new-year",
    ),
    pytest.param(
        D(2027, 1, 1), D(2027, 2, 1), AUG15,
        P("2027-01-01_2027-02-01", D(2027, 1, 1), D(2027, 2, 1), True, "range"),
        id="future",
    ),
]
# fmt: on


@pytest.mark.parametrize(("start", "end", "as_of", "expected"), RANGE_CASES)
def test_resolve_range(
    start: date, end: date | None, as_of: date, expected: Period
) -> None:
    """--from/--to give a range labelled start_end."""
    assert resolve(None, start=start, end=end, as_of=as_of) == expected


@pytest.mark.parametrize(
    "text",
    [
        "2026-00",
        "2026-13",
        "2026-7",
        "26-07",
        "2026/07",
        "2026-07-15",
        "0000-01",
        "2026-Q0",
        "2026-Q5",
        "2026-Q",
        "2026-Q10",
        "2026-H0",
        "2026-H3",
        "Q0",
        "Q5",
        "H0",
        "H3",
        "Q",
        "0000",
        "FY26",
        "FY 2026",
        "FY2026-Q3",
        "20261",
        "\uff12\uff10\uff12\uff16",  # full-width digits
        "\u0662\u0660\u0662\u0666-Q3",  # Arabic-Indic digits
        "",
        "   ",
        "last-year",
        "next-quarter",
        "last_month",
        "lastmonth",
        "yesterday",
        "ytd2026",
        "2026-YTD",
    ],
)
def test_resolve_rejects_bad_text(text: str) -> None:
    """Unknown forms raise UsageError quoting the value and listing the forms."""
    with pytest.raises(UsageError) as info:
        resolve(text, as_of=AUG15)
    message = info.value.message
    assert repr(text) in message
    assert (
        "2026-Q3, Q3, 2026-07, 2026-H1, 2026, FY2026, last-month, this-month, "
        "last-quarter, this-quarter, ytd, or --from/--to"
    ) in message


@pytest.mark.parametrize(
    ("text", "fy_start", "as_of"),
    [
        pytest.param("FY0001", 7, AUG15, id="fy-starts-in-year-0"),
        pytest.param("0001-Q1", 2, AUG15, id="quarter-in-year-0"),
        pytest.param("ytd", 7, D(9999, 8, 1), id="fy-10000"),
        pytest.param("this-quarter", 2, D(9999, 12, 1), id="quarter-into-year-10000"),
        pytest.param("last-month", 1, D(1, 1, 15), id="month-before-year-1"),
    ],
)
def test_resolve_rejects_out_of_range(text: str, fy_start: int, as_of: date) -> None:
    """Periods outside years 1..9999 are usage errors, not crashes."""
    with pytest.raises(UsageError):
        resolve(text, as_of=as_of, fiscal_year_start_month=fy_start)


# fmt: off
RANGE_ERROR_CASES = [
    pytest.param(
        None, D(2026, 8, 10), D(2026, 7, 15), AUG15, "after", id="start-after-end"
    ),
    pytest.param(
        None, D(2026, 9, 1), None, AUG15, "after", id="start-after-default-end"
    ),
    pytest.param(
        "2026-Q3", D(2026, 7, 1), None, AUG15, "not both", id="text-and-start"
    ),
    pytest.param(
        "2026-Q3", None, D(2026, 7, 1), AUG15, "not both", id="text-and-end"
    ),
    pytest.param(
        "ytd", D(2026, 1, 1), D(2026, 2, 1), AUG15, "not both", id="text-and-both"
    ),
    pytest.param(None, None, D(2026, 7, 1), AUG15, "--from", id="end-only"),
]
# fmt: on


@pytest.mark.parametrize(
    ("text", "start", "end", "as_of", "fragment"), RANGE_ERROR_CASES
)
def test_resolve_range_errors(
    text: str | None,
    start: date | None,
    end: date | None,
    as_of: date,
    fragment: str,
) -> None:
    """Conflicting or inverted --period/--from/--to raise UsageError."""
    with pytest.raises(UsageError, match=fragment):
        resolve(text, start=start, end=end, as_of=as_of)


@pytest.mark.parametrize("fy_start", [0, 13, -1])
def test_bad_fiscal_year_start_month(fy_start: int) -> None:
    """fiscal_year_start_month outside 1..12 is a ValueError."""
    with pytest.raises(ValueError, match="fiscal_year_start_month"):
        resolve("2026-Q1", as_of=AUG15, fiscal_year_start_month=fy_start)
    period = P("2026-07", D(2026, 7, 1), D(2026, 7, 31), False, "month")
    with pytest.raises(ValueError, match="fiscal_year_start_month"):
        split(period, "month", as_of=AUG15, fiscal_year_start_month=fy_start)


# fmt: off
# (period, first_month, last_month, start_snapshot_month, months)
SNAPSHOT_CASES = [
    pytest.param(
        resolve("2026-Q3", as_of=AUG15),
        D(2026, 7, 1),
        D(2026, 9, 1),
        D(2026, 6, 1),
        [D(2026, 7, 1), D(2026, 8, 1), D(2026, 9, 1)],
        id="2026-Q3",
    ),
    pytest.param(
        resolve(None, start=D(2026, 7, 15), end=D(2026, 8, 10), as_of=AUG15),
        D(2026, 7, 1),
        D(2026, 8, 1),
        D(2026, 6, 1),
        [D(2026, 7, 1), D(2026, 8, 1)],
        id="range-not-month-aligned",
    ),
    pytest.param(
        resolve("2026-01", as_of=AUG15),
        D(2026, 1, 1),
        D(2026, 1, 1),
        D(2025, 12, 1),
        [D(2026, 1, 1)],
        id="january-snapshot-in-december",
    ),
    pytest.param(
        resolve("2026-Q4", as_of=AUG15, fiscal_year_start_month=2),
        D(2025, 11, 1),
        D(2026, 1, 1),
        D(2025, 10, 1),
        [D(2025, 11, 1), D(2025, 12, 1), D(2026, 1, 1)],
        id="fy2-q4-crosses-new-year",
    ),
    pytest.param(
        resolve("FY2026", as_of=AUG15, fiscal_year_start_month=7),
        D(2025, 7, 1),
        D(2026, 6, 1),
        D(2025, 6, 1),
        [
            D(2025, 7, 1), D(2025, 8, 1), D(2025, 9, 1), D(2025, 10, 1),
            D(2025, 11, 1), D(2025, 12, 1), D(2026, 1, 1), D(2026, 2, 1),
            D(2026, 3, 1), D(2026, 4, 1), D(2026, 5, 1), D(2026, 6, 1),
        ],
        id="fy7-year",
    ),
    pytest.param(
        resolve("ytd", as_of=D(2026, 3, 5), fiscal_year_start_month=1),
        D(2026, 1, 1),
        D(2026, 3, 1),
        D(2025, 12, 1),
        [D(2026, 1, 1), D(2026, 2, 1), D(2026, 3, 1)],
        id="ytd-mid-month",
    ),
    pytest.param(
        resolve(None, start=D(2026, 3, 31), end=D(2026, 3, 31), as_of=AUG15),
        D(2026, 3, 1),
        D(2026, 3, 1),
        D(2026, 2, 1),
        [D(2026, 3, 1)],
        id="single-day-range",
    ),
]
# fmt: on


@pytest.mark.parametrize(
    ("period", "first", "last", "snapshot", "months"), SNAPSHOT_CASES
)
def test_snapshot_months(
    period: Period, first: date, last: date, snapshot: date, months: list[date]
) -> None:
    """Revenue snapshot months: the month before the first, and the last month."""
    assert period.first_month == first
    assert period.last_month == last
    assert period.start_snapshot_month == snapshot
    assert period.months() == months


@pytest.mark.parametrize(
    ("d", "inside"),
    [
        (D(2026, 6, 30), False),
        (D(2026, 7, 1), True),
        (D(2026, 8, 15), True),
        (D(2026, 9, 30), True),
        (D(2026, 10, 1), False),
        (datetime(2026, 9, 30, 23, 59, 59), True),
        (datetime(2026, 6, 30, 23, 59, 59), False),
        (datetime(2026, 7, 1, 0, 0), True),
    ],
)
def test_contains(d: date, inside: bool) -> None:
    """Events belong to a period when their date is within start..end inclusive."""
    period = P("2026-Q3", D(2026, 7, 1), D(2026, 9, 30), True, "quarter")
    assert period.contains(d) is inside


def test_period_rejects_inverted_dates_and_unknown_kind() -> None:
    """A Period cannot end before it starts or have an unknown kind."""
    with pytest.raises(ValueError, match="after"):
        P("x", D(2026, 2, 1), D(2026, 1, 31), False, "range")
    with pytest.raises(ValueError, match="kind"):
        P("x", D(2026, 1, 1), D(2026, 1, 7), False, "week")


def test_period_is_frozen() -> None:
    """Periods are immutable values."""
    period = P("2026-07", D(2026, 7, 1), D(2026, 7, 31), False, "month")
    with pytest.raises(AttributeError):
        period.partial = True  # type: ignore[misc]


@pytest.mark.parametrize(
    ("d", "n", "expected"),
    [
        (D(2026, 1, 1), 0, D(2026, 1, 1)),
        (D(2026, 1, 1), 1, D(2026, 2, 1)),
        (D(2026, 1, 1), -1, D(2025, 12, 1)),
        (D(2026, 12, 1), 1, D(2027, 1, 1)),
        (D(2026, 7, 1), 11, D(2027, 6, 1)),
        (D(2026, 7, 1), -19, D(2024, 12, 1)),
        (D(2026, 3, 1), 24, D(2028, 3, 1)),
        (D(2026, 3, 1), -24, D(2024, 3, 1)),
        (D(2024, 1, 31), 1, D(2024, 2, 29)),  # clamped, leap year
        (D(2026, 1, 31), 1, D(2026, 2, 28)),  # clamped
        (D(2026, 3, 31), -1, D(2026, 2, 28)),  # clamped
        (D(2026, 5, 31), 1, D(2026, 6, 30)),  # clamped
        (D(2026, 7, 15), 2, D(2026, 9, 15)),
    ],
)
def test_add_months(d: date, n: int, expected: date) -> None:
    """add_months moves by calendar months across year boundaries."""
    assert add_months(d, n) == expected


@pytest.mark.parametrize(("d", "n"), [(D(9999, 12, 1), 1), (D(1, 1, 1), -1)])
def test_add_months_out_of_range(d: date, n: int) -> None:
    """add_months beyond years 1..9999 raises ValueError."""
    with pytest.raises(ValueError, match="out of range"):
        add_months(d, n)


@pytest.mark.parametrize(
    ("d", "expected"),
    [
        (D(2026, 1, 1), D(2026, 1, 31)),
        (D(2026, 2, 1), D(2026, 2, 28)),
        (D(2024, 2, 10), D(2024, 2, 29)),
        (D(2000, 2, 15), D(2000, 2, 29)),
        (D(2100, 2, 1), D(2100, 2, 28)),
        (D(2026, 4, 30), D(2026, 4, 30)),
        (D(2026, 6, 1), D(2026, 6, 30)),
        (D(2026, 12, 5), D(2026, 12, 31)),
    ],
)
def test_month_end(d: date, expected: date) -> None:
    """month_end returns the last day of the month, leap years included."""
    assert month_end(d) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-07-15", D(2026, 7, 15)),
        ("2024-02-29", D(2024, 2, 29)),
        ("2026-12-31", D(2026, 12, 31)),
        ("0001-01-01", D(1, 1, 1)),
    ],
)
def test_parse_date(text: str, expected: date) -> None:
    """parse_date accepts strict YYYY-MM-DD."""
    assert parse_date(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "2026-02-29",
        "2026-13-01",
        "2026-00-10",
        "2026-07-32",
        "2026-07-00",
        "2026-7-15",
        "2026-07-5",
        "20260715",
        "2026-W28-1",
        "2026-07-15T00:00",
        "2026-07-15 00:00",
        "15/07/2026",
        "07/15/2026",
        "2026-07",
        " 2026-07-15",
        "",
        "today",
        "\uff12\uff10\uff12\uff16-07-15",
    ],
)
def test_parse_date_rejects(text: str) -> None:
    """parse_date raises UsageError quoting the bad value."""
    with pytest.raises(UsageError) as info:
        parse_date(text)
    assert repr(text) in info.value.message
    assert "YYYY-MM-DD" in info.value.message


# fmt: off
# (period, grain, fy_start, as_of, expected pieces)
SPLIT_CASES = [
    pytest.param(
        P("2026-Q3", D(2026, 7, 1), D(2026, 9, 30), True, "quarter"),
        "month", 1, AUG15,
        [
            P("2026-07", D(2026, 7, 1), D(2026, 7, 31), False, "month"),
            P("2026-08", D(2026, 8, 1), D(2026, 8, 31), True, "month"),
            P("2026-09", D(2026, 9, 1), D(2026, 9, 30), True, "month"),
        ],
        id="quarter-by-month-partial",
    ),
    pytest.param(
        P("2024-H1", D(2024, 1, 1), D(2024, 6, 30), False, "half"),
        "month", 1, AUG15,
        [
            P("2024-01", D(2024, 1, 1), D(2024, 1, 31), False, "month"),
            P("2024-02", D(2024, 2, 1), D(2024, 2, 29), False, "month"),
            P("2024-03", D(2024, 3, 1), D(2024, 3, 31), False, "month"),
            P("2024-04", D(2024, 4, 1), D(2024, 4, 30), False, "month"),
            P("2024-05", D(2024, 5, 1), D(2024, 5, 31), False, "month"),
            P("2024-06", D(2024, 6, 1), D(2024, 6, 30), False, "month"),
        ],
        id="half-by-month-leap-feb",
    ),
    pytest.param(
        P("2026-Q4", D(2025, 11, 1), D(2026, 1, 31), False, "quarter"),
        "month", 2, AUG15,
        [
            P("2025-11", D(2025, 11, 1), D(2025, 11, 30), False, "month"),
            P("2025-12", D(2025, 12, 1), D(2025, 12, 31), False, "month"),
            P("2026-01", D(2026, 1, 1), D(2026, 1, 31), False, "month"),
        ],
        id="fy2-q4-by-month-crosses-new-year",
    ),
    pytest.param(
        P("FY2026", D(2025, 7, 1), D(2026, 6, 30), False, "year"),
        "quarter", 7, AUG15,
        [
            P("2026-Q1", D(2025, 7, 1), D(2025, 9, 30), False, "quarter"),
            P("2026-Q2", D(2025, 10, 1), D(2025, 12, 31), False, "quarter"),
            P("2026-Q3", D(2026, 1, 1), D(2026, 3, 31), False, "quarter"),
            P("2026-Q4", D(2026, 4, 1), D(2026, 6, 30), False, "quarter"),
        ],
        id="fy7-year-by-quarter",
    ),
    pytest.param(
        P("FY2027", D(2026, 7, 1), D(2027, 6, 30), True, "year"),
        "quarter", 7, AUG15,
        [
            P("2027-Q1", D(2026, 7, 1), D(2026, 9, 30), True, "quarter"),
            P("2027-Q2", D(2026, 10, 1), D(2026, 12, 31), True, "quarter"),
            P("2027-Q3", D(2027, 1, 1), D(2027, 3, 31), True, "quarter"),
            P("2027-Q4", D(2027, 4, 1), D(2027, 6, 30), True, "quarter"),
        ],
        id="fy7-current-year-by-quarter-partial",
    ),
    pytest.param(
        P("2026", D(2026, 1, 1), D(2026, 12, 31), True, "year"),
        "quarter", 1, D(2026, 6, 30),
        [
            P("2026-Q1", D(2026, 1, 1), D(2026, 3, 31), False, "quarter"),
            P("2026-Q2", D(2026, 4, 1), D(2026, 6, 30), False, "quarter"),
            P("2026-Q3", D(2026, 7, 1), D(2026, 9, 30), True, "quarter"),
            P("2026-Q4", D(2026, 10, 1), D(2026, 12, 31), True, "quarter"),
        ],
        id="fy1-year-by-quarter-as-of-q2-end",
    ),
    pytest.param(
        P("2026-07-15_2026-08-10", D(2026, 7, 15), D(2026, 8, 10), True, "range"),
        "month", 1, D(2026, 8, 5),
        [
            P("2026-07", D(2026, 7, 15), D(2026, 7, 31), False, "month"),
            P("2026-08", D(2026, 8, 1), D(2026, 8, 10), True, "month"),
        ],
        id="range-by-month-clipped",
    ),
    pytest.param(
        P("2026-07-15_2026-08-10", D(2026, 7, 15), D(2026, 8, 10), False, "range"),
        "month", 1, D(2026, 8, 20),
        [
            P("2026-07", D(2026, 7, 15), D(2026, 7, 31), False, "month"),
            P("2026-08", D(2026, 8, 1), D(2026, 8, 10), False, "month"),
        ],
        id="range-by-month-clipped-piece-over-before-its-month",
    ),
    pytest.param(
        P("2026-07-15_2026-07-20", D(2026, 7, 15), D(2026, 7, 20), False, "range"),
        "month", 1, AUG15,
        [P("2026-07", D(2026, 7, 15), D(2026, 7, 20), False, "month")],
        id="range-inside-one-month",
    ),
    pytest.param(
        P("2026-07-15_2026-07-20", D(2026, 7, 15), D(2026, 7, 20), False, "range"),
        "quarter", 1, AUG15,
        [P("2026-Q3", D(2026, 7, 15), D(2026, 7, 20), False, "quarter")],
        id="range-inside-one-quarter",
    ),
    pytest.param(
        P("2026-02-15_2026-08-10", D(2026, 2, 15), D(2026, 8, 10), False, "range"),
        "quarter", 1, D(2026, 12, 31),
        [
            P("2026-Q1", D(2026, 2, 15), D(2026, 3, 31), False, "quarter"),
            P("2026-Q2", D(2026, 4, 1), D(2026, 6, 30), False, "quarter"),
            P("2026-Q3", D(2026, 7, 1), D(2026, 8, 10), False, "quarter"),
        ],
        id="range-by-quarter-fy1-clipped",
    ),
    pytest.param(
        P("2026-02-15_2026-08-10", D(2026, 2, 15), D(2026, 8, 10), False, "range"),
        "quarter", 4, D(2026, 12, 31),
        [
            P("2026-Q4", D(2026, 2, 15), D(2026, 3, 31), False, "quarter"),
            P("2027-Q1", D(2026, 4, 1), D(2026, 6, 30), False, "quarter"),
            P("2027-Q2", D(2026, 7, 1), D(2026, 8, 10), False, "quarter"),
        ],
        id="range-by-quarter-fy4-clipped",
    ),
    pytest.param(
        P("2026-07", D(2026, 7, 1), D(2026, 7, 31), False, "month"),
        "quarter", 1, D(2026, 7, 31),
        [P("2026-Q3", D(2026, 7, 1), D(2026, 7, 31), False, "quarter")],
        id="month-by-quarter-clipped-not-partial",
    ),
    pytest.param(
        P("2027-YTD", D(2026, 7, 1), D(2026, 8, 15), True, "ytd"),
        "month", 7, AUG15,
        [
            P("2026-07", D(2026, 7, 1), D(2026, 7, 31), False, "month"),
            P("2026-08", D(2026, 8, 1), D(2026, 8, 15), True, "month"),
        ],
        id="ytd-by-month-last-piece-partial",
    ),
    pytest.param(
        P("2027-YTD", D(2026, 7, 1), D(2026, 8, 15), True, "ytd"),
        "quarter", 7, AUG15,
        [P("2027-Q1", D(2026, 7, 1), D(2026, 8, 15), True, "quarter")],
        id="ytd-by-quarter-partial",
    ),
    pytest.param(
        P("2026-YTD", D(2026, 1, 1), D(2026, 3, 31), True, "ytd"),
        "month", 1, D(2026, 3, 31),
        [
            P("2026-01", D(2026, 1, 1), D(2026, 1, 31), False, "month"),
            P("2026-02", D(2026, 2, 1), D(2026, 2, 28), False, "month"),
            P("2026-03", D(2026, 3, 1), D(2026, 3, 31), False, "month"),
        ],
        id="ytd-on-month-end-last-piece-complete",
    ),
    pytest.param(
        P("2026-YTD", D(2026, 1, 1), D(2026, 12, 31), False, "ytd"),
        "quarter", 1, D(2026, 12, 31),
        [
            P("2026-Q1", D(2026, 1, 1), D(2026, 3, 31), False, "quarter"),
            P("2026-Q2", D(2026, 4, 1), D(2026, 6, 30), False, "quarter"),
            P("2026-Q3", D(2026, 7, 1), D(2026, 9, 30), False, "quarter"),
            P("2026-Q4", D(2026, 10, 1), D(2026, 12, 31), False, "quarter"),
        ],
        id="ytd-full-year-by-quarter",
    ),
    pytest.param(
        P("9999-12", D(9999, 12, 1), D(9999, 12, 31), True, "month"),
        "month", 1, AUG15,
        [P("9999-12", D(9999, 12, 1), D(9999, 12, 31), True, "month")],
        id="last-representable-month",
    ),
]
# fmt: on


@pytest.mark.parametrize(
    ("period", "grain", "fy_start", "as_of", "expected"), SPLIT_CASES
)
def test_split(
    period: Period, grain: str, fy_start: int, as_of: date, expected: list[Period]
) -> None:
    """Split returns clipped, labelled, consecutive pieces with own partial flags."""
    pieces = split(period, grain, as_of=as_of, fiscal_year_start_month=fy_start)
    assert pieces == expected


@pytest.mark.parametrize(
    ("text", "fy_start", "grain"),
    [
        ("2026-Q3", 1, "month"),
        ("FY2026", 2, "month"),
        ("FY2026", 4, "quarter"),
        ("2026-H1", 7, "quarter"),
        ("ytd", 7, "month"),
    ],
)
def test_split_covers_period_without_gaps(text: str, fy_start: int, grain: str) -> None:
    """Pieces start at the period start, end at its end and leave no gap."""
    period = resolve(text, as_of=AUG15, fiscal_year_start_month=fy_start)
    pieces = split(period, grain, as_of=AUG15, fiscal_year_start_month=fy_start)
    assert pieces[0].start == period.start
    assert pieces[-1].end == period.end
    for before, after in pairwise(pieces):
        assert (after.start - before.end).days == 1


def test_split_grain_is_case_insensitive() -> None:
    """Grain names ignore case and surrounding whitespace."""
    period = P("2026-07", D(2026, 7, 1), D(2026, 7, 31), False, "month")
    assert split(period, " Month ", as_of=AUG15) == [period]


@pytest.mark.parametrize("grain", ["week", "months", "year", "", "q"])
def test_split_rejects_unknown_grain(grain: str) -> None:
    """An unknown grain raises UsageError naming it."""
    period = P("2026-07", D(2026, 7, 1), D(2026, 7, 31), False, "month")
    with pytest.raises(UsageError) as info:
        split(period, grain, as_of=AUG15)
    assert repr(grain) in info.value.message
