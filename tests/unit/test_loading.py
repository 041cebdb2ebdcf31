"""Loading and validation: structure, line numbers, casts and named checks."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from csmkpi import loading
from csmkpi.errors import DataError
from csmkpi.loading import TableSource, read_table
from csmkpi.schemas import table_spec
from csmkpi.validation import NumberFormat, TableOptions, validate_table


def load(tmp_path: Path, table: str, content: bytes, options: TableOptions | None = None, **source: object):
    path = tmp_path / f"{table}.csv"
    path.write_bytes(content)
    spec = table_spec(table)
    raw = read_table(TableSource(table, path, **source), list(spec), [c for c, s in spec.items() if s.required])  # type: ignore[arg-type]
    return validate_table(raw, options or TableOptions())


def by_check(issues):  # type: ignore[no-untyped-def]
    return {(i.check, i.column): i for i in issues}


def test_blank_lines_bom_crlf_and_multiline_fields_keep_physical_lines(tmp_path: Path) -> None:
    content = (
        b"\xef\xbb\xbfaccount_id,account_name,csm_id\r\n"
        b'A1,"Smith, Barnes & Co.",alice\r\n'
        b"\r\n"
        b'A2,"two\nline ""quoted"" name",bob\r\n'
        b"   \r\n"
        b"A3,Third,\r\n"
    )
    frame, issues = load(tmp_path, "accounts", content)
    assert issues == []
    assert frame["account_id"].to_list() == ["A1", "A2", "A3"]
    assert frame["__line"].to_list() == [2, 4, 7]
    assert frame["account_name"][1] == 'two\nline "quoted" name'
    assert frame["csm_id"][2] is None  # empty text means missing


def test_short_and_long_rows_are_errors_with_their_line(tmp_path: Path) -> None:
    frame, issues = load(tmp_path, "accounts", b"account_id,account_name,csm_id\nA1,x\nA2,y,z\nA3,a,b,c\n")
    long, short = [i for i in issues if i.check == "ragged_row"]  # two problems: each has its own line
    assert (long.line, long.value, long.more) == (4, "4 fields", 0)
    assert (short.line, short.value, short.more) == (2, "2 fields", 0)
    assert "3 fields" in (short.expected or "") and "more fields" in long.message and "fewer" in short.message


def test_unclosed_quote_names_the_line(tmp_path: Path) -> None:
    with pytest.raises(DataError) as err:
        load(tmp_path, "accounts", b'account_id,account_name\nA1,ok\nA2,"never closed\nA3,x\n')
    assert err.value.issues[0].line == 3
    assert "never closed" in err.value.issues[0].message


def test_undeclared_non_utf8_suggests_the_encoding_option(tmp_path: Path) -> None:
    with pytest.raises(DataError) as err:
        load(tmp_path, "accounts", b"account_id,account_name\nA1,ok\nA2,M\xfcller\n")
    issue = err.value.issues[0]
    assert issue.line == 3
    assert "encoding: cp1252" in issue.message


def test_declared_cp1252_and_semicolons(tmp_path: Path) -> None:
    frame, issues = load(
        tmp_path, "accounts", "account_id;account_name\nA1;Müller\n".encode("cp1252"), encoding="cp1252"
    )
    assert issues == []
    assert frame["account_name"].to_list() == ["Müller"]


def test_empty_file_is_an_error_and_header_only_is_an_empty_table(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="empty"):
        load(tmp_path, "accounts", b"")
    frame, issues = load(tmp_path, "accounts", b"account_id,csm_id\n")
    assert frame.height == 0 and issues == []


def test_duplicate_header_and_missing_required_column(tmp_path: Path) -> None:
    with pytest.raises(DataError) as err:
        load(tmp_path, "accounts", b"account_id,csm_id,csm_id\nA1,a,b\n")
    assert err.value.issues[0].column == "csm_id"
    with pytest.raises(DataError) as err:
        load(tmp_path, "mrr", b"account_id,mrr\nA1,5\n")
    assert (err.value.issues[0].column, err.value.issues[0].line) == ("month", 1)


def test_mapped_headers_and_case_insensitive_canonical_names(tmp_path: Path) -> None:
    frame, issues = load(
        tmp_path,
        "accounts",
        b"Account ID,ACCOUNT OWNER,Segment\nA1,alice,SMB\n",
        columns={"account_id": "Account ID", "csm_id": "Account Owner"},
    )
    assert issues == []
    row = frame.row(0, named=True)
    assert (row["account_id"], row["csm_id"], row["segment"]) == ("A1", "alice", "SMB")
    with pytest.raises(DataError) as err:
        load(tmp_path, "accounts", b"id\nA1\n", columns={"account_id": "Account Id"})
    assert "Account Id" in err.value.issues[0].message


def test_a_header_ended_by_a_lone_cr_is_a_data_error(tmp_path: Path) -> None:
    # The csv module's "new-line character seen in unquoted field" was an internal error (exit 1).
    with pytest.raises(DataError) as err:
        load(tmp_path, "surveys", b"response_id,account_id,survey,responded_at,score\rR1,A1,csat,2026-08-05,5\nR2\n")
    assert err.value.issues[0].line == 1 and "LF or CRLF" in err.value.issues[0].message


@pytest.mark.parametrize("above", [b"\n", b"\r\n", b"   \n", b"\xef\xbb\xbf\n"])
def test_a_blank_line_above_the_header_is_named_once(tmp_path: Path, above: bytes) -> None:
    # It was "missing required column" once per column, which sent people to their headers, not the blank line.
    with pytest.raises(DataError) as err:
        load(
            tmp_path, "surveys", above + b"response_id,account_id,survey,responded_at,score\nR1,A1,csat,2026-08-05,5\n"
        )
    (issue,) = err.value.issues
    assert issue.line == 1 and "names no column" in issue.message and "blank line" in (issue.expected or "")


def test_headers_that_differ_only_in_case_are_an_error_not_a_choice(tmp_path: Path) -> None:
    # The last of Score and SCORE was read without a word (every CSAT became 0, exit 0).
    survey = b"response_id,account_id,survey,responded_at,Score,SCORE\nR1,A1,csat,2026-08-05,5,1\n"
    with pytest.raises(DataError) as err:
        load(tmp_path, "surveys", survey)
    issue = err.value.issues[0]
    assert (issue.column, issue.line) == ("score", 1)
    assert "'Score' and 'SCORE'" in issue.message
    with pytest.raises(DataError):
        load(tmp_path, "surveys", survey, columns={"score": "score"})
    frame, _ = load(tmp_path, "surveys", survey, columns={"score": "Score"})  # a mapping names one
    assert frame["score"].to_list() == [5]
    frame, _ = load(tmp_path, "surveys", survey.replace(b"Score,", b"score,"))  # an exact name wins
    assert frame["score"].to_list() == [5]


def test_tickets_casts_and_every_check(tmp_path: Path) -> None:
    content = b"""ticket_id,account_id,opened_at,resolved_at,contacts,reopened
T1,A1,2026-07-01T10:00:00,2026-07-01T09:00:00,1,no
T2,A1,2026-07-01,2026-07-02 10:00,x,maybe
T2,,2026-02-30,,-1,TRUE
T4,A2,2026-7-1,,1,
T5,A2,2026-07-01T25:00,,1,Y
T6,A3,2026-07-01T23:59:59.5+02:00,2026-07-02,0,n
"""
    frame, issues = load(tmp_path, "tickets", content)
    found = by_check(issues)
    assert found[("resolved_before_opened", "resolved_at")].line == 2
    assert found[("invalid_value", "contacts")].value == "x"
    assert found[("invalid_value", "reopened")].value == "maybe"
    assert found[("missing_value", "account_id")].line == 4
    assert found[("duplicate_key", "ticket_id")].line == 4
    assert found[("out_of_range", "contacts")].value == "-1"
    dates = found[("invalid_value", "opened_at")]
    assert (dates.line, dates.value, dates.more) == (4, "2026-02-30", 2)  # also 2026-7-1 and hour 25
    last = frame.filter(frame["ticket_id"] == "T6").row(0, named=True)
    assert last["opened_at"] == date(2026, 7, 1)  # the local date written, offset ignored
    assert last["reopened"] is False


@pytest.mark.parametrize(
    ("opened", "resolved", "before"),
    [
        ("2026-07-01T10:00:00", "2026-07-01T09:59:59", True),
        ("2026-07-01T10:00:00", "2026-07-01 10:00:00", False),  # T or a space: the same moment
        ("2026-07-01 10:00", "2026-07-01T09:30:00", True),
        ("2026-07-01T10:00", "2026-07-01T10:00:00", False),
        ("2026-07-01T10:00:00", "2026-07-01", True),  # a date alone is the start of its day
        ("2026-07-01", "2026-07-01T00:00:00", False),
        ("2026-07-01T23:00:00+02:00", "2026-07-01T22:00:00Z", True),  # offsets are ignored: local times
        ("2026-07-01T10:00:00.900", "2026-07-01T10:00:00.100", False),  # within the second: not before
        ("2026-06-30T23:59:59", "2026-07-01T00:00:00", False),
        ("2026-07-02", "2026-07-01T23:59:59", True),
    ],
)
def test_resolved_before_opened_compares_local_timestamps(
    tmp_path: Path, opened: str, resolved: str, before: bool
) -> None:
    content = f"ticket_id,account_id,opened_at,resolved_at\nT1,A1,{opened},{resolved}\n".encode()
    _, issues = load(tmp_path, "tickets", content)
    assert [i.check for i in issues] == (["resolved_before_opened"] if before else [])


def test_booleans_in_any_letter_case(tmp_path: Path) -> None:
    words = ["true", "TRUE", "True", "tRuE", "yes", "YES", "Y", "y", "1", "false", "FALSE", "No", "N", "n", "0"]
    rows = "".join(f"T{i},A1,2026-07-01,{word}\n" for i, word in enumerate(words))
    frame, issues = load(
        tmp_path, "tickets", f"ticket_id,account_id,opened_at,reopened\n{rows}T99,A1,2026-07-01,tru\n".encode()
    )
    assert frame["reopened"].to_list()[: len(words)] == [True] * 9 + [False] * 6
    (bad,) = issues
    assert (bad.check, bad.value) == ("invalid_value", "tru")


@pytest.mark.parametrize(
    ("rows", "duplicate_line"),
    [
        (["A1,2026-01", "A1,2026-02", "A2,2026-01"], None),  # sorted by the key: proven unique cheaply
        (["A2,2026-01", "A1,2026-02", "A1,2026-01"], None),  # unsorted, unique: the hash proof
        (["A1,2026-01", "A1,2026-01", "A2,2026-01"], 3),  # sorted with a duplicate
        (["A2,2026-01", "A1,2026-01", "A2,2026-01"], 4),  # unsorted duplicate
        (["A1,2026-01", "A1,2026-01-15", "A2,2026-01"], 3),  # the same month written two ways
        (["A1,2026-01", ",2026-02", ",2026-02"], 4),  # missing keys are also duplicates of each other
    ],
)
def test_duplicate_keys_sorted_or_not(tmp_path: Path, rows: list[str], duplicate_line: int | None) -> None:
    content = ("account_id,month,mrr\n" + "".join(f"{row},10\n" for row in rows)).encode()
    _, issues = load(tmp_path, "mrr", content)
    duplicates = [i for i in issues if i.check == "duplicate_key"]
    assert [i.line for i in duplicates] == ([duplicate_line] if duplicate_line else [])


def test_numbers_reject_nan_inf_and_overflow_and_accept_number_format(tmp_path: Path) -> None:
    _, issues = load(
        tmp_path, "mrr", b"account_id,month,mrr\nA1,2026-07,NaN\nA2,2026-07,inf\nA3,2026-07,1e999\nA4,2026-07,1 200\n"
    )
    bad = by_check(issues)[("invalid_value", "mrr")]
    assert (bad.line, bad.more) == (2, 3)
    fmt = TableOptions(number_format=NumberFormat(thousands=".", decimal=",", currency="€"))
    frame, issues = load(tmp_path, "mrr", "account_id;month;mrr\nA1;2026-07;€1.200,50\n".encode(), fmt)
    assert issues == [] and frame["mrr"].to_list() == [1200.5]


def test_month_accepts_yyyy_mm_and_any_date_in_the_month(tmp_path: Path) -> None:
    frame, issues = load(tmp_path, "mrr", b"account_id,month,mrr\nA1,2026-07,1\nA1,2026-08-31,2\n")
    assert issues == []
    assert frame["month"].to_list() == [date(2026, 7, 1), date(2026, 8, 1)]
    _, issues = load(tmp_path, "mrr", b"account_id,month,mrr\nA1,2026-07,1\nA1,2026-07-15,2\n")
    assert by_check(issues)[("duplicate_key", "month")].line == 3


def test_us_dates_through_date_format(tmp_path: Path) -> None:
    options = TableOptions(date_format="%m/%d/%Y %H:%M")
    frame, issues = load(
        tmp_path,
        "surveys",
        b"response_id,account_id,survey,responded_at,score\nR1,A1,CSAT,07/31/2026 13:05,5\n",
        options,
    )
    assert issues == []
    assert frame.row(0, named=True)["responded_at"] == date(2026, 7, 31)
    assert frame.row(0, named=True)["survey"] == "csat"


def test_survey_scores_and_enums(tmp_path: Path) -> None:
    content = b"response_id,account_id,survey,responded_at,score\nR1,A1,csat,2026-07-01,7\nR2,A1,nps,2026-07-01,11\nR3,A1,ces,2026-07-01,3\nR4,A1,nps,2026-07-01,4.5\n"
    _, issues = load(tmp_path, "surveys", content)
    found = by_check(issues)
    assert found[("out_of_range", "score")].more == 1
    assert found[("unknown_value", "survey")].value == "ces"
    assert found[("invalid_value", "score")].value == "4.5"


def test_won_without_closed_at_and_overlapping_assignments(tmp_path: Path) -> None:
    _, issues = load(
        tmp_path,
        "opportunities",
        b"opportunity_id,account_id,type,source,stage,closed_at\nO1,A1,expansion,csm,won,\nO2,A1,expansion,csm,open,\n",
    )
    assert by_check(issues)[("closed_at_missing", "closed_at")].line == 2
    _, issues = load(
        tmp_path,
        "assignments",
        b"account_id,csm_id,start_date,end_date\nA1,bob,2026-01-01,2026-07-31\nA1,carol,2026-07-31,\nA2,bob,2026-01-01,2026-06-30\nA2,carol,2026-07-01,\nA3,x,2026-05-01,2026-04-01\n",
    )
    found = by_check(issues)
    assert found[("overlapping_assignment", "start_date")].line == 3
    assert found[("overlapping_assignment", "start_date")].more == 0
    assert found[("end_before_start", "end_date")].line == 6


def raw_mrr(tmp_path: Path, content: bytes) -> loading.RawTable:
    """mrr.csv read, not yet validated."""
    path = tmp_path / "mrr.csv"
    path.write_bytes(content)
    return read_table(TableSource("mrr", path), list(table_spec("mrr")), ["account_id", "month", "mrr"])


def test_downgraded_check_sets_rows_aside(tmp_path: Path) -> None:
    raw = raw_mrr(tmp_path, b"account_id,month,mrr\nA1,2026-07,10\nA2,2026-07,oops\n")
    frame, issues = validate_table(raw, TableOptions(), {"invalid_value": "warning"})
    assert frame["account_id"].to_list() == ["A1"]
    assert issues[0].level == "warning" and "1 row set aside" in issues[0].message


def test_ragged_rows_as_a_warning_are_set_aside_before_any_other_check(tmp_path: Path) -> None:
    # A short row's padded columns were "missing value" errors, so ragged_row: warning still failed the run;
    # a row set aside must not make a later row with its key a duplicate either.
    raw = raw_mrr(tmp_path, b"account_id,month,mrr\nA1,2026-07,10\nA2,2026-07\nA3,2026-07,5,extra\nA2,2026-07,7\n")
    frame, issues = validate_table(raw, TableOptions(), {"ragged_row": "warning"})
    assert frame["account_id"].to_list() == ["A1", "A2"] and frame["mrr"].to_list() == [10, 7]
    assert sorted((i.level, i.line, i.check) for i in issues) == [
        ("warning", 3, "ragged_row"),
        ("warning", 4, "ragged_row"),
    ]
    _, issues = validate_table(raw, TableOptions())  # as errors, as before: both rows and the padded value
    assert {(i.level, i.line, i.check) for i in issues} == {
        ("error", 3, "ragged_row"),
        ("error", 4, "ragged_row"),
        ("error", 3, "missing_value"),
        ("error", 5, "duplicate_key"),
    }


# --- the plain reader's pass over the bytes ----------------------------------------


def scan(tmp_path: Path, content: bytes, delimiter: str = ",", size: int = 4, width: int = 0) -> loading.ByteScan:
    path = tmp_path / "t.csv"
    path.write_bytes(content)
    width = width or content.split(b"\n", 1)[0].count(delimiter.encode()) + 1
    return loading._scan(path, delimiter, width, size=size)  # tiny blocks: every boundary case is crossed


def test_scan_counts_lines_across_blocks(tmp_path: Path) -> None:
    found = scan(tmp_path, b"a,b,c\n1,2,3\n4,,\n")
    assert (found.lines, found.ragged, found.odd, found.spaced, found.invalid) == (3, False, False, False, False)
    assert scan(tmp_path, b"a\tb\n1\t2\n", delimiter="\t").lines == 2
    assert scan(tmp_path, b"a,b\n1,2\n3,4").lines == 3  # no line end after the last line


@pytest.mark.parametrize("size", [4, 7, 1 << 20])
@pytest.mark.parametrize(
    "content",
    [
        b"a,b,c\n1,2,3,4\n5,6\n7,8,9\n",  # one field too many and one too few: the total is right
        b"a,b,c\n1,2\n5,6,7,8\n",
        b"a,b,c\n1,2,3\n\n4,5,6,\n",  # a blank line and a long one
        b"a,b,c\n1,2,3\n4,5",  # a short last line without a line end
        b"a,b,c\n1,2,3\n4,5,6,7",
        b"a,b,c\n1,2,3\n\n",  # a blank line at the end
    ],
)
def test_scan_finds_every_line_with_another_field_count(tmp_path: Path, content: bytes, size: int) -> None:
    assert scan(tmp_path, content, size=size).ragged


@pytest.mark.parametrize(
    ("content", "delimiter", "odd", "spaced", "cr"),
    [
        (b'a,b\n"1",2\n', ",", True, False, False),
        (b"a,b\n1\x1f,2\n", ",", True, False, False),  # the careful reader's line separator
        (b"a,b\n1 x,2\n", ",", False, True, False),
        (b"a,b\r\n1,2\r\n", ",", False, False, True),  # CRs are noted apart from other whitespace
        (b"a,b\r\n1 ,2\r\n", ",", False, True, True),
        (b"a\tb\n1\t2\n", "\t", False, False, False),  # the delimiter is no whitespace to trim
        (b"a;b\n1\t;2\n", ";", False, True, False),
        (b"a,b\n1,\xc3\xa9\n", ",", False, True, False),  # non-ASCII: may be a Unicode space
    ],
)
def test_scan_finds_quotes_and_whitespace(
    tmp_path: Path, content: bytes, delimiter: str, odd: bool, spaced: bool, cr: bool
) -> None:
    found = scan(tmp_path, content, delimiter)
    assert (found.odd, found.spaced, found.cr, found.invalid) == (odd, spaced, cr, False)


@pytest.mark.parametrize(
    ("content", "values", "trimmed"),
    [
        (b"account_id,month,mrr\r\nA1,2026-07,10\r\nA2,2026-07,\r\n", ["10", ""], True),  # Windows line ends
        (b"account_id,month,mrr\nA1,2026-07,10\nA2,2026-07,20\r", ["10", "20"], True),  # a last CR alone
        (b"account_id,month,mrr\r\nA1,2026-07,10\r\r\nA2,2026-07,2\r0\r\n", ["10\r", "2\r0"], False),
        (b"account_id,month,mrr\r\nA1,2026-07,\r1\r\nA2,2026-07,2\r0\r\n", ["\r1", "2\r0"], False),
        (b"account_id,month,mrr\r\nA1,2026-07,1\r0\r\n", ["1\r0"], True),  # inside a value: nothing to trim
    ],
)
def test_trimming_is_skipped_unless_a_value_keeps_a_carriage_return_at_an_end(
    tmp_path: Path, content: bytes, values: list[str], trimmed: bool
) -> None:
    path = tmp_path / "mrr.csv"
    path.write_bytes(content)
    wanted = ["account_id", "month", "mrr"]
    raw = read_table(TableSource("mrr", path), wanted, wanted)
    assert raw.plain and raw.frame["mrr"].to_list() == values
    assert raw.trimmed is trimmed


@pytest.mark.parametrize(
    ("content", "invalid"),
    [
        (b"ab\xc3\xa9cd", False),  # a 2-byte character across a block boundary (blocks of 4)
        (b"abc\xe2\x82\xac", False),  # a 3-byte one
        (b"abc\xc3", True),  # cut off at the end of the file
        (b"abc\xc3def", True),  # followed by ASCII in the next block
        (b"a\xff", True),
    ],
)
def test_scan_checks_utf8_across_blocks(tmp_path: Path, content: bytes, invalid: bool) -> None:
    assert scan(tmp_path, content).invalid is invalid


def test_a_pass_made_ahead_reads_the_same_and_a_stale_one_is_not_used(tmp_path: Path) -> None:
    path = tmp_path / "mrr.csv"
    path.write_text("account_id,month,mrr\nA1,2026-07,10\nA2,2026-07,20\n", encoding="utf-8")
    source = TableSource("mrr", path)
    wanted = ["account_id", "month", "mrr"]
    ahead = loading.scan_ahead(source)
    assert ahead is not None and ahead.lines == 3
    assert read_table(source, wanted, wanted, ahead).frame.equals(read_table(source, wanted, wanted).frame)

    path.write_text("account_id,month,mrr\nA1,2026-07\nA2,2026-07,20\n", encoding="utf-8")  # rewritten: a short row
    assert not read_table(source, wanted, wanted, ahead).plain  # the old pass would have vouched for it
    assert not read_table(source, wanted, wanted, loading.ByteScan(";", 3, ahead.stamp, 3)).plain


@pytest.mark.parametrize(
    ("name", "content", "encoding"),
    [
        ("t.parquet", b"PAR1", "utf-8"),
        ("t.csv", b"a,b\n1,2\n", "cp1252"),
        ("t.csv", b"a\n1\n", "utf-8"),  # one column: the plain reader declines it anyway
        ("t.csv", b"", "utf-8"),  # empty: read_table says so
    ],
)
def test_no_pass_ahead_where_the_plain_reader_does_not_go(
    tmp_path: Path, name: str, content: bytes, encoding: str
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    assert loading.scan_ahead(TableSource("mrr", path, encoding=encoding)) is None
    assert loading.scan_ahead(TableSource("mrr", tmp_path / "missing.csv")) is None
