"""XLSX output (string cells, never formulas; deterministic) and Parquet input (scores like the CSVs)."""

from __future__ import annotations

import zipfile

import polars as pl
from cli_support import AS_OF, CONFIG, PERIOD, SAMPLE

BASE = ("score", "--config", str(CONFIG), "--period", PERIOD, "--as-of", AS_OF, "--quiet")


def test_xlsx_is_deterministic_and_never_a_formula(cli, sample_copy, tmp_path):
    accounts = (sample_copy / "accounts.csv").read_text()
    (sample_copy / "accounts.csv").write_text(accounts.replace(",Enterprise,", ',"=HYPERLINK(""http://x"")",', 1))
    outputs = []
    for name in ("a.xlsx", "b.xlsx"):
        target = tmp_path / name
        result = cli(*BASE, "--data", str(sample_copy), "--by", "segment", "--output", str(target))
        assert result.exit_code == 0, result.output
        outputs.append(target.read_bytes())
    assert outputs[0] == outputs[1]
    with zipfile.ZipFile(tmp_path / "a.xlsx") as book:
        sheet = book.read("xl/worksheets/sheet1.xml").decode()
        strings = book.read("xl/sharedStrings.xml").decode()
    assert "<f>" not in sheet  # no formula cells
    assert "=HYPERLINK" in strings  # the text is kept as a plain string cell
    assert "hyperlink" not in sheet.lower()


def test_parquet_input_scores_identically(cli, tmp_path):
    folder = tmp_path / "pq"
    folder.mkdir()
    for path in SAMPLE.glob("*.csv"):
        pl.read_csv(path, infer_schema=False).write_parquet(folder / f"{path.stem}.parquet")
    from_csv = cli(*BASE, "--layout", "long")
    from_parquet = cli(*BASE, "--layout", "long", "--data", str(folder))
    assert from_parquet.exit_code == 0, from_parquet.output
    assert from_parquet.stdout == from_csv.stdout


def test_parquet_input_errors_name_the_row(cli, tmp_path):
    folder = tmp_path / "pq"
    folder.mkdir()
    for path in SAMPLE.glob("*.csv"):
        frame = pl.read_csv(path, infer_schema=False)
        if path.stem == "mrr":
            frame = frame.with_columns(
                pl.when(pl.int_range(pl.len()) == 2).then(pl.lit("-5")).otherwise("mrr").alias("mrr")
            )
        frame.write_parquet(folder / f"{path.stem}.parquet")
    result = cli("validate", "--config", str(CONFIG), "--data", str(folder))
    assert result.exit_code == 65
    assert "mrr.parquet:4" in result.output and "'-5'" in result.output


def test_subscriptions_equivalent_to_mrr_score_identically(cli, sample_copy):
    """SPEC §3: revenue from subscriptions gives identical results on equivalent data (every KPI, sample data)."""
    mrr = pl.read_csv(sample_copy / "mrr.csv", infer_schema=False).with_columns(pl.col("mrr").cast(pl.Float64))
    start = (pl.col("month") + "-01").str.to_date()
    subscriptions = mrr.filter(pl.col("mrr") > 0).select(
        pl.concat_str(pl.col("account_id"), pl.lit("-"), pl.col("month")).alias("subscription_id"),
        "account_id",
        start.alias("start_date"),
        start.dt.month_end().alias("end_date"),
        "mrr",
    )
    expected = cli(*BASE, "--layout", "long", "--data", str(sample_copy))
    (sample_copy / "mrr.csv").unlink()
    subscriptions.write_csv(sample_copy / "subscriptions.csv")
    result = cli(*BASE, "--layout", "long", "--data", str(sample_copy))
    assert result.exit_code == 0, result.output
    assert result.stdout == expected.stdout
