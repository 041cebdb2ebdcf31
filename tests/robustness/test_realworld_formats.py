"""Real-world export formats (SPEC §2): every variant of one clean dataset scores byte-identically.

The clean dataset is ``tests/fixtures/realworld/clean/``. Each variant is generated from its CSV text
by a small writer (delimiter, quoting, line endings, encoding, BOM, number, date and boolean
spelling, header names, extra columns), together with the config options that declare it. The
long CSV of ``csmkpi score`` on the variant must equal, byte for byte, the long CSV of the clean
dataset, and ``csmkpi validate`` must accept it.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from csmkpi.cli.app import app

CLEAN = Path(__file__).parents[1] / "fixtures" / "realworld" / "clean"
TABLES = ("accounts", "csms", "mrr", "tickets", "surveys", "opportunities", "activities", "assignments")
PERIOD, AS_OF = "2026-Q3", "2026-10-15"

KPIS = """\
  - {id: nrr, metric: nrr, target: 1.02, weight: 25}
  - {id: grr, metric: grr, target: 0.92, weight: 15}
  - {id: logo_churn, metric: churn, params: {basis: logos}, target: 0.03, better: lower, weight: 10}
  - {id: revenue_churn, metric: churn, params: {basis: revenue}, target: 0.02, better: lower, weight: 10}
  - {id: csat, metric: csat, params: {threshold: 4}, target: 0.9, weight: 10}
  - {id: nps, metric: nps, target: 30, weight: 10}
  - {id: fcr, metric: fcr, target: 0.4, weight: 10}
  - {id: ecr, metric: expansion_close_rate, params: {sources: [csm], weight: count}, target: 0.5, weight: 5}
  - {id: ecr_arr, metric: expansion_close_rate, params: {sources: [csm], weight: amount}, target: 0.5, weight: 5}
"""

# Column kinds of the clean data, for the value rewriters.
NUMBERS = {"csms": ["annual_cost"], "mrr": ["mrr"], "opportunities": ["amount"]}
DATES = {
    "accounts": ["contract_start", "onboarded_at"],
    "opportunities": ["created_at", "closed_at"],
    "assignments": ["start_date", "end_date"],
}
DATETIMES = {"tickets": ["opened_at", "resolved_at"], "surveys": ["responded_at"], "activities": ["occurred_at"]}
BOOLS = {"accounts": ["referenceable"], "tickets": ["reopened"]}


def read_clean(table: str) -> tuple[list[str], list[dict[str, str]]]:
    text = (CLEAN / f"{table}.csv").read_text(encoding="utf-8")
    reader = csv.DictReader(io.StringIO(text, newline=""))
    return list(reader.fieldnames or []), list(reader)


# ------------------------------------------------------------------------------------ value rewriters

Rewrite = Callable[[str, str, str], str]  # (table, column, value) -> value


def _grouped(value: str, thousands: str, decimal: str, currency: str = "") -> str:
    """``12500.5`` -> ``12.500,50`` (or ``$12,500.50``), keeping every digit of the value."""
    if value == "":
        return value
    whole, _, frac = value.partition(".")
    digits = f"{int(whole):,}".replace(",", thousands)
    return f"{currency}{digits}{decimal}{(frac or '').ljust(2, '0')}"


def decimal_comma(table: str, column: str, value: str) -> str:
    return _grouped(value, ".", ",") if column in NUMBERS.get(table, []) else value


def dollars(table: str, column: str, value: str) -> str:
    return _grouped(value, ",", ".", "$") if column in NUMBERS.get(table, []) else value


def us_dates(table: str, column: str, value: str) -> str:
    """Dates as ``%m/%d/%Y``; datetimes as ``%m/%d/%Y %H:%M``; months as the 1st of the month."""
    if value == "":
        return value
    if table == "mrr" and column == "month":
        return date.fromisoformat(value + "-01").strftime("%m/%d/%Y")
    if column in DATES.get(table, []):
        return date.fromisoformat(value).strftime("%m/%d/%Y")
    if column in DATETIMES.get(table, []):
        return datetime.fromisoformat(value).strftime("%m/%d/%Y %H:%M")
    return value


def us_dates_only(table: str, column: str, value: str) -> str:
    """Every date-like column as a bare ``%m/%d/%Y`` date (times dropped: periods are whole days)."""
    if value == "" or not (
        column in DATES.get(table, []) or column in DATETIMES.get(table, []) or (table, column) == ("mrr", "month")
    ):
        return value
    if (table, column) == ("mrr", "month"):
        value += "-01"
    return datetime.fromisoformat(value).strftime("%m/%d/%Y")


def iso_variants(table: str, column: str, value: str) -> str:
    """Other ISO 8601 spellings of the same local date: space separator, no seconds, fraction and offset."""
    if value == "" or column not in DATETIMES.get(table, []):
        return value
    moment = datetime.fromisoformat(value)
    spellings = [
        moment.strftime("%Y-%m-%d %H:%M"),
        moment.strftime("%Y-%m-%dT%H:%M:%S.250+02:00"),
        moment.strftime("%Y-%m-%dT%H:%M:%SZ"),
        moment.strftime("%Y-%m-%dT%H:%M-0800"),
        moment.strftime("%Y-%m-%dT%H:%M:%S,5-05:30"),
    ]
    return spellings[moment.day % len(spellings)]


def euro_suffix(table: str, column: str, value: str) -> str:
    return f"{_grouped(value, '.', ',')} €" if value and column in NUMBERS.get(table, []) else value


def nbsp_thousands(table: str, column: str, value: str) -> str:
    return _grouped(value, "\u00a0", ",") if column in NUMBERS.get(table, []) else value


ENUMS = {("surveys", "survey"), ("opportunities", "type"), ("opportunities", "source"), ("opportunities", "stage")}


def shouting_and_padding(table: str, column: str, value: str) -> str:
    """Enum-like text in other cases, and every text value padded with spaces (text is trimmed)."""
    if value == "":
        return value
    if (table, column) in ENUMS:
        value = value.upper() if len(value) % 2 else value.title()
    return f"  {value} " if column.endswith("_id") or (table, column) in ENUMS else value


def bools(true: str, false: str) -> Rewrite:
    def rewrite(table: str, column: str, value: str) -> str:
        if column in BOOLS.get(table, []) and value:
            return {"true": true, "false": false}[value]
        return value

    return rewrite


def chain(*rewrites: Rewrite) -> Rewrite:
    def rewrite(table: str, column: str, value: str) -> str:
        for r in rewrites:
            value = r(table, column, value)
        return value

    return rewrite


# ------------------------------------------------------------------------------------ the writer


@dataclass
class Variant:
    """How to write every table of the clean dataset, and the config that declares it."""

    delimiter: str = ","
    quoting: int = csv.QUOTE_MINIMAL
    lineterminator: str = "\n"
    encoding: str = "utf-8"
    bom: bool = False
    extension: str = ".csv"
    rewrite: Rewrite | None = None
    headers: Callable[[str, str], str] | None = None  # (table, canonical) -> header written
    extra_columns: dict[str, str] = field(default_factory=dict)  # header -> value, added first and last
    tables: set[str] | None = None  # the tables the options below apply to (None: all)
    options: dict[str, object] = field(default_factory=dict)  # per-table config options
    table_options: Callable[[str], dict[str, object]] | None = None
    map_headers: bool = True  # declare renamed headers in data.tables.<t>.columns

    def write(self, folder: Path) -> dict[str, dict[str, object]]:
        """Write the variant's data files; return ``data.tables`` for the config."""
        folder.mkdir(parents=True, exist_ok=True)
        config: dict[str, dict[str, object]] = {}
        for table in TABLES:
            columns, rows = read_clean(table)
            applies = self.tables is None or table in self.tables
            header = [self.headers(table, c) if (self.headers and applies) else c for c in columns]
            extras = list(self.extra_columns) if applies else []
            first, last = extras[: len(extras) // 2], extras[len(extras) // 2 :]
            out = io.StringIO()
            writer = csv.writer(
                out,
                delimiter=self.delimiter if applies else ",",
                quoting=self.quoting if applies else csv.QUOTE_MINIMAL,
                lineterminator=self.lineterminator if applies else "\n",
            )
            writer.writerow([*first, *header, *last])
            for row in rows:
                values = [self.rewrite(table, c, row[c]) if (self.rewrite and applies) else row[c] for c in columns]
                writer.writerow(
                    [*(self.extra_columns[h] for h in first), *values, *(self.extra_columns[h] for h in last)]
                )
            text = out.getvalue()
            if self.bom and applies:
                text = "\ufeff" + text
            encoding = self.encoding if applies else "utf-8"
            name = f"{table}{self.extension if applies else '.csv'}"
            (folder / name).write_bytes(text.encode(encoding))
            options = dict(self.options) if applies else {}
            if self.table_options is not None and applies:
                options.update(self.table_options(table))
            if applies and self.headers is not None and self.map_headers:
                options.setdefault(
                    "columns", {c: self.headers(table, c) for c in columns if self.headers(table, c) != c}
                )
            if options:
                config[table] = options
        return config


def write_config(path: Path, data_dir: Path, tables: dict[str, dict[str, object]]) -> Path:
    """A config in flow style (JSON is YAML) pointing at ``data_dir``."""
    data = {"dir": str(data_dir), "tables": tables}
    text = (
        "version: 1\n"
        f"data: {json.dumps(data, ensure_ascii=True)}\n"
        "scoring: {amber_at: 0.9, cap: 1.5, min_sample: 1}\n"
        "kpis:\n" + KPIS
    )
    path.write_text(text, encoding="utf-8")
    return path


def invoke(*args: str | Path) -> Result:
    return CliRunner().invoke(app, [str(a) for a in args])


def long_csv(config: Path, by: str = "csm") -> bytes:
    result = invoke(
        "score", "--config", config, "--period", PERIOD, "--as-of", AS_OF, "--by", by,
        "--layout", "long", "--format", "csv", "--no-escape-formulas",
    )  # fmt: skip
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output
    return result.stdout_bytes


@pytest.fixture(scope="module")
def clean_long(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    tmp = tmp_path_factory.mktemp("clean")
    config = write_config(tmp / "kpis.yaml", CLEAN, {})
    return {by: long_csv(config, by) for by in ("csm", "team", "segment")}


def test_the_clean_dataset_is_valid_and_non_trivial(tmp_path: Path, clean_long: dict[str, bytes]) -> None:
    config = write_config(tmp_path / "kpis.yaml", CLEAN, {})
    result = invoke("validate", "--config", config)
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(clean_long["csm"].decode("utf-8"))))
    groups = {r["group"] for r in rows}
    assert {"zoë", "bob", "carol", "(unassigned)", "ALL"} <= groups
    # every KPI has a value on the ALL row, so a variant that drops or misreads rows shows up
    assert all(r["value"] != "" for r in rows if r["group"] == "ALL")


def _mapped_headers(table: str, column: str) -> str:
    return {("accounts", "account_id"): "Account ID", ("accounts", "csm_id"): "Account Owner"}.get(
        (table, column), column
    )


def _date_formats(table: str) -> dict[str, object]:
    if table in DATETIMES:
        return {"date_format": "%m/%d/%Y %H:%M"}
    if table in DATES or table == "mrr":
        return {"date_format": "%m/%d/%Y"}
    return {}


def _date_only_formats(table: str) -> dict[str, object]:
    return {"date_format": "%m/%d/%Y"} if (table in DATETIMES or table in DATES or table == "mrr") else {}


VARIANTS: dict[str, Variant] = {
    "utf8_bom": Variant(bom=True),
    "crlf": Variant(lineterminator="\r\n"),
    "bom_crlf": Variant(bom=True, lineterminator="\r\n"),
    "declared_cp1252": Variant(encoding="cp1252", options={"encoding": "cp1252"}),
    "semicolon_auto": Variant(delimiter=";"),
    "semicolon_declared": Variant(delimiter=";", options={"delimiter": ";"}),
    "tab_in_csv_auto": Variant(delimiter="\t"),
    "tab_tsv_files": Variant(delimiter="\t", extension=".tsv"),
    "pipe_auto": Variant(delimiter="|"),
    "decimal_comma_semicolon": Variant(
        delimiter=";", rewrite=decimal_comma, options={"number_format": {"decimal": ",", "thousands": "."}}
    ),
    "decimal_comma_comma_delimited": Variant(
        rewrite=decimal_comma, options={"number_format": {"decimal": ",", "thousands": "."}}
    ),
    "currency_dollars": Variant(rewrite=dollars, options={"number_format": {"thousands": ",", "currency": "$"}}),
    "us_dates_with_times": Variant(rewrite=us_dates, table_options=_date_formats),
    "us_dates_only": Variant(rewrite=us_dates_only, table_options=_date_only_formats),
    "euro_suffix": Variant(
        delimiter=";",
        rewrite=euro_suffix,
        options={"number_format": {"decimal": ",", "thousands": ".", "currency": "€"}},
    ),
    "nbsp_thousands": Variant(
        delimiter=";", rewrite=nbsp_thousands, options={"number_format": {"decimal": ",", "thousands": "\u00a0"}}
    ),
    "iso_datetime_spellings": Variant(rewrite=iso_variants),
    "blank_lines": Variant(lineterminator="\n\n"),
    "blank_lines_crlf_whitespace": Variant(lineterminator="\r\n  \r\n"),
    "enum_case_and_padded_text": Variant(rewrite=shouting_and_padding),
    "bool_yes_no": Variant(rewrite=bools("yes", "no")),
    "bool_Y_N": Variant(rewrite=bools("Y", "N")),
    "bool_1_0_upper": Variant(rewrite=bools("1", "0")),
    "bool_TRUE_FALSE": Variant(rewrite=bools("TRUE", "FALSE")),
    "salesforce_quote_all": Variant(quoting=csv.QUOTE_ALL, lineterminator="\r\n"),
    "header_case_differs": Variant(
        headers=lambda t, c: c.upper() if t != "accounts" else c.capitalize(), map_headers=False
    ),
    "mapped_headers": Variant(headers=_mapped_headers),
    "mapped_headers_other_case": Variant(
        headers=_mapped_headers,
        table_options=lambda t: (
            {"columns": {"account_id": "account id", "csm_id": "ACCOUNT OWNER"}} if t == "accounts" else {}
        ),
    ),
    "extra_unmapped_columns": Variant(
        extra_columns={"Row Id": "x-1", "Created By": "=HYPERLINK(1)", "Notes": 'said "hi", left', "ratio": "n/a"}
    ),
    "everything_at_once": Variant(
        delimiter=";",
        quoting=csv.QUOTE_ALL,
        lineterminator="\r\n",
        encoding="cp1252",
        headers=_mapped_headers,
        extra_columns={"Last Modified": "07/01/2026", "Owner Email": "x@example.com"},
        rewrite=chain(decimal_comma, us_dates, bools("Y", "N")),
        options={"encoding": "cp1252", "number_format": {"decimal": ",", "thousands": "."}},
        table_options=_date_formats,
    ),
    "only_some_tables_declared": Variant(
        tables={"mrr", "opportunities"},
        delimiter=";",
        rewrite=decimal_comma,
        options={"number_format": {"decimal": ",", "thousands": "."}, "delimiter": ";"},
    ),
}


@pytest.mark.parametrize("name", sorted(VARIANTS))
def test_variant_scores_identically_to_the_clean_data(name: str, tmp_path: Path, clean_long: dict[str, bytes]) -> None:
    variant = VARIANTS[name]
    data = tmp_path / "data"
    tables = variant.write(data)
    config = write_config(tmp_path / "kpis.yaml", data, tables)
    checked = invoke("validate", "--config", config)
    assert checked.exit_code == 0, checked.output
    assert "Traceback" not in checked.output
    assert "warning" not in checked.stderr.lower(), checked.stderr  # the clean data has no warnings either
    assert long_csv(config) == clean_long["csm"]


@pytest.mark.parametrize("name", ["everything_at_once", "mapped_headers", "declared_cp1252"])
@pytest.mark.parametrize("by", ["team", "segment"])
def test_variant_scores_identically_by_other_dimensions(
    name: str, by: str, tmp_path: Path, clean_long: dict[str, bytes]
) -> None:
    variant = VARIANTS[name]
    data = tmp_path / "data"
    config = write_config(tmp_path / "kpis.yaml", data, variant.write(data))
    assert long_csv(config, by) == clean_long[by]


def test_the_variants_really_differ_from_the_clean_files(tmp_path: Path) -> None:
    """Guard against a generator that silently writes the clean text back."""
    clean = {table: (CLEAN / f"{table}.csv").read_bytes() for table in TABLES}
    for name, variant in VARIANTS.items():
        folder = tmp_path / name
        variant.write(folder)
        written = {path.name.rsplit(".", 1)[0]: path.read_bytes() for path in folder.iterdir()}
        assert sorted(written) == sorted(TABLES), name
        assert any(written[table] != clean[table] for table in TABLES), name


# ------------------------------------------------------------------------------------ former gaps (fixed)


def test_headers_with_stray_spaces_are_trimmed(tmp_path: Path, clean_long: dict[str, bytes]) -> None:
    """Headers such as ' account_id ' match their canonical name (they failed with exit 65 'unable to find column')."""
    variant = Variant(headers=lambda t, c: f" {c} " if t in ("mrr", "accounts") else f"{c} ", map_headers=False)
    data = tmp_path / "data"
    variant.write(data)
    config = write_config(tmp_path / "kpis.yaml", data, {})  # no mapping: the canonical names, padded
    result = invoke(
        "score", "--config", config, "--period", PERIOD, "--as-of", AS_OF, "--layout", "long", "--format", "csv",
        "--no-escape-formulas",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert result.stdout_bytes == clean_long["csm"]


def _score_folder(tmp_path: Path, data: Path) -> Result:
    config = write_config(tmp_path / "kpis.yaml", data, {})
    return invoke(
        "score", "--config", config, "--period", PERIOD, "--as-of", AS_OF, "--layout", "long", "--format", "csv",
        "--no-escape-formulas",
    )  # fmt: skip


def test_parquet_text_tables_are_read(tmp_path: Path, clean_long: dict[str, bytes]) -> None:
    """SPEC §2: 'CSV, TSV and Parquet are read' (here mrr as Parquet with text columns; mrr.parquet was ignored)."""
    import polars as pl

    data = tmp_path / "data"
    Variant().write(data)
    (data / "mrr.csv").unlink()
    columns, rows = read_clean("mrr")
    pl.DataFrame({c: [r[c] for r in rows] for c in columns}, schema={c: pl.String for c in columns}).write_parquet(
        data / "mrr.parquet"
    )
    result = _score_folder(tmp_path, data)
    assert result.exit_code == 0, result.output
    assert result.stdout_bytes == clean_long["csm"]


def _typed_parquet(table: str, data: Path) -> None:
    """Write a table as Parquet with native types: dates, datetimes, floats, integers, booleans, nulls."""
    import polars as pl

    columns, rows = read_clean(table)
    frame = pl.DataFrame({c: [r[c] or None for r in rows] for c in columns}, schema={c: pl.String for c in columns})
    casts = []
    for c in columns:
        if c in NUMBERS.get(table, []):
            casts.append(pl.col(c).cast(pl.Float64))
        elif c in DATES.get(table, []):
            casts.append(pl.col(c).str.to_date("%Y-%m-%d"))
        elif c in DATETIMES.get(table, []):
            casts.append(pl.col(c).str.to_datetime("%Y-%m-%dT%H:%M:%S"))
        elif c in BOOLS.get(table, []):
            casts.append(pl.col(c).replace_strict({"true": True, "false": False}, return_dtype=pl.Boolean))
        elif (table, c) in (("tickets", "contacts"), ("surveys", "score")):
            casts.append(pl.col(c).cast(pl.Int64))
    frame.with_columns(casts).write_parquet(data / f"{table}.parquet")


def test_parquet_typed_tables_score_identically(tmp_path: Path, clean_long: dict[str, bytes]) -> None:
    """Parquet exports carry native types; read as text they must still mean the same values."""
    data = tmp_path / "data"
    data.mkdir()
    for table in TABLES:
        _typed_parquet(table, data)
    result = _score_folder(tmp_path, data)
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output
    assert result.stdout_bytes == clean_long["csm"]


def test_cr_only_line_endings_are_not_an_internal_error(tmp_path: Path, clean_long: dict[str, bytes]) -> None:
    """Old-Mac CR-only files used to raise _csv.Error in read_header (internal error, exit 1)."""
    data = tmp_path / "data"
    Variant(lineterminator="\r", tables={"csms"}).write(data)
    config = write_config(tmp_path / "kpis.yaml", data, {})
    for command in (["validate"], ["score", "--period", PERIOD, "--as-of", AS_OF, "--layout", "long"]):
        result = invoke(*command, "--config", config)
        assert "internal error" not in result.output
        # Either read it (universal newlines) or reject it as data naming the file; never exit 1.
        assert result.exit_code in (0, 65), result.output
        if result.exit_code == 65:
            assert "csms.csv" in result.stderr
