"""Drivers (SPEC §8.2): a planted driver and a planted null, statsmodels equality, flags, errors, formats.

The planted company: accounts pay 1000 from 2025-12 to 2026-03 (the cohort of P = 2026-Q1); about half
get a QBR in P (``coverage`` = activity_coverage of qbr: 1 or 0), about 30% are referenceable at random
(``referenceable``: the null). A covered account churns in the 6 months after P with probability 0.15,
an uncovered one with 0.30: coverage halves churn, referenceability changes nothing.
"""

from __future__ import annotations

import csv
import io
import json
import math
import random
import sys
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from statsmodels.discrete.discrete_model import Logit
from statsmodels.regression.linear_model import OLS
from typer.testing import CliRunner

from csmkpi import engine
from csmkpi.cli.app import app
from csmkpi.insights.drivers import CAVEAT, COLUMNS, ELIGIBLE, drivers

P_MONTHS = ["2025-12", "2026-01", "2026-02", "2026-03"]
O_MONTHS = [f"2026-{m:02d}" for m in range(4, 10)]
AS_OF = date(2026, 10, 15)
KPIS = """
version: 1
data: {dir: data}
scoring: {amber_at: 0.9, cap: 1.5, min_sample: 1}
kpis:
  - {id: nrr, metric: nrr, target: 1.0}
  - {id: coverage, metric: activity_coverage, label: QBR coverage, params: {types: [qbr]}}
  - {id: referenceable, metric: referenceable_rate, label: Referenceable}
"""


@dataclass
class Company:
    """Rows of a planted company, and what each account really is."""

    accounts: list[dict] = field(default_factory=list)
    mrr: list[dict] = field(default_factory=list)
    activities: list[dict] = field(default_factory=list)
    truth: dict[str, dict] = field(default_factory=dict)

    def write(self, root: Path, kpis: str = KPIS) -> Path:
        data = root / "data"
        data.mkdir(parents=True, exist_ok=True)
        for name, rows in (("accounts", self.accounts), ("mrr", self.mrr), ("activities", self.activities)):
            if not rows:
                continue
            out = io.StringIO()
            writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\n")
            writer.writeheader()
            writer.writerows(rows)
            (data / f"{name}.csv").write_text(out.getvalue(), encoding="utf-8")
        config = root / "kpis.yaml"
        config.write_text(kpis, encoding="utf-8")
        return config


def planted(n: int = 2000, seed: int = 20261015, *, churn=(0.30, 0.15), expand: float = 0.0) -> Company:
    rng = random.Random(seed)
    company = Company()
    for i in range(n):
        account = f"A{i:05d}"
        covered = rng.random() < 0.5
        referenceable = rng.random() < 0.3
        churns = rng.random() < churn[1 if covered else 0]
        end = 0.0 if churns else (1000.0 * (1.5 if rng.random() < expand else 1.0))
        company.accounts.append(
            {"account_id": account, "csm_id": "alice", "referenceable": "true" if referenceable else "false"}
        )
        company.mrr += [{"account_id": account, "month": m, "mrr": "1000"} for m in P_MONTHS]
        if not churns:
            company.mrr += [{"account_id": account, "month": m, "mrr": f"{end:g}"} for m in O_MONTHS]
        if covered:
            company.activities.append(
                {"activity_id": f"V{i}", "account_id": account, "type": "qbr", "occurred_at": "2026-02-10T10:00:00"}
            )
        company.truth[account] = {"covered": covered, "referenceable": referenceable, "churned": churns, "end": end}
    return company


def run(config: Path, outcome: str = "churn", **options):
    request = engine.ScoreRequest(config=config, period="2026-Q1", as_of=AS_OF, use_entry_points=False)
    return drivers(request, outcome, options.get("horizon", 6), options.get("indicators", ()))


def rows(result) -> dict[str, dict]:
    return {row["indicator"]: row for row in result.table().iter_rows(named=True)}


@pytest.fixture(scope="module")
def planted_company(tmp_path_factory):
    company = planted()
    return company, company.write(tmp_path_factory.mktemp("planted"))


def test_finds_the_planted_driver_and_not_the_null(planted_company):
    _, config = planted_company
    found = rows(run(config))
    assert list(found) == ["coverage", "referenceable"]  # config order; nrr is not an indicator
    assert found["coverage"]["p_value"] < 0.01 and found["coverage"]["coef"] < 0
    assert found["coverage"]["odds_ratio"] < 1
    assert found["referenceable"]["p_value"] > 0.05
    assert found["coverage"]["flags"] is None and found["referenceable"]["flags"] is None


def design(company: Company, outcome: str) -> tuple[np.ndarray, np.ndarray, list[float], list[float]]:
    """The design matrix built from the planted truth, without csmkpi: intercept, z(coverage), z(referenceable)."""
    ids = sorted(company.truth)
    raw = np.array([[company.truth[a]["covered"], company.truth[a]["referenceable"]] for a in ids], dtype=float)
    mean, sd = raw.mean(axis=0), raw.std(axis=0, ddof=1)
    x = np.column_stack([np.ones(len(ids)), (raw - mean) / sd])
    if outcome == "churn":
        y = np.array([company.truth[a]["churned"] for a in ids], dtype=float)
    elif outcome == "expansion":
        y = np.array([company.truth[a]["end"] > 1000 for a in ids], dtype=float)
    else:
        y = np.array([company.truth[a]["end"] / 1000 for a in ids])
    return x, y, list(mean), list(sd)


def test_logit_estimates_equal_statsmodels_on_the_same_design(planted_company):
    company, config = planted_company
    x, y, mean, sd = design(company, "churn")
    fitted = Logit(y, x).fit(method="newton", maxiter=100, disp=0)
    found = rows(run(config))
    for j, name in enumerate(["coverage", "referenceable"], start=1):
        row = found[name]
        assert row["n"] == len(y) and row["events"] == int(y.sum())
        assert row["mean"] == pytest.approx(mean[j - 1], abs=1e-12) and row["sd"] == pytest.approx(sd[j - 1], abs=1e-12)
        assert abs(row["coef"] - fitted.params[j]) < 1e-8
        assert abs(row["std_err"] - fitted.bse[j]) < 1e-8
        assert abs(row["p_value"] - fitted.pvalues[j]) < 1e-8
        assert row["ci_low"] == pytest.approx(fitted.params[j] - 1.959964 * fitted.bse[j], abs=1e-8)
        assert row["ci_high"] == pytest.approx(fitted.params[j] + 1.959964 * fitted.bse[j], abs=1e-8)
        assert row["odds_ratio"] == pytest.approx(math.exp(fitted.params[j]), rel=1e-8)
    r = np.corrcoef(x[:, 1], x[:, 2])[0, 1]
    assert found["coverage"]["vif"] == pytest.approx(1 / (1 - r**2), rel=1e-9)


def test_nrr_is_least_squares_with_t_intervals(tmp_path):
    company = planted(600, seed=5, churn=(0.2, 0.1), expand=0.3)
    config = company.write(tmp_path)
    x, y, _, _ = design(company, "nrr")
    fitted = OLS(y, x).fit()
    found = rows(run(config, "nrr"))
    interval = fitted.conf_int(alpha=0.05)
    for j, name in enumerate(["coverage", "referenceable"], start=1):
        row = found[name]
        assert abs(row["coef"] - fitted.params[j]) < 1e-8
        assert abs(row["std_err"] - fitted.bse[j]) < 1e-8
        assert abs(row["p_value"] - fitted.pvalues[j]) < 1e-8
        assert row["ci_low"] == pytest.approx(interval[j, 0], abs=1e-8)
        assert row["ci_high"] == pytest.approx(interval[j, 1], abs=1e-8)
        assert row["events"] is None and row["odds_ratio"] is None


def test_expansion_counts_accounts_paying_more(tmp_path):
    company = planted(400, seed=9, churn=(0.1, 0.1), expand=0.4)
    x, y, _, _ = design(company, "expansion")
    found = rows(run(company.write(tmp_path), "expansion"))
    fitted = Logit(y, x).fit(method="newton", maxiter=100, disp=0)
    assert found["coverage"]["events"] == int(y.sum())
    assert abs(found["coverage"]["coef"] - fitted.params[1]) < 1e-8


# --- flags ---------------------------------------------------------------------------------------


def small(tmp_path: Path, n: int, seed: int = 3, **kwargs) -> tuple[Company, Path]:
    company = planted(n, seed=seed, **kwargs)
    return company, company.write(tmp_path)


def test_sparse_indicator_is_left_out_before_accounts_are(tmp_path):
    """Surveys for 30% of the cohort: csat is empty for 70% (> 20%): sparse, and no account is dropped for it."""
    company, config = small(tmp_path, 300)
    surveys = [
        {"response_id": f"R{i}", "account_id": a, "survey": "csat", "responded_at": "2026-02-01T10:00:00", "score": "5"}
        for i, a in enumerate(sorted(company.truth)[:90])
    ]
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(surveys[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(surveys)
    (tmp_path / "data" / "surveys.csv").write_text(out.getvalue())
    config.write_text(KPIS + "  - {id: csat, metric: csat}\n")
    found = rows(run(config))
    assert found["csat"]["flags"] == "sparse"
    assert found["csat"]["n"] == 300 and found["csat"]["mean"] is None and found["csat"]["coef"] is None
    assert found["coverage"]["coef"] is not None


def test_an_indicator_empty_for_exactly_20_percent_is_kept_and_those_accounts_dropped(tmp_path):
    company, config = small(tmp_path, 100)
    answered = sorted(company.truth)[:80]
    lines = ["response_id,account_id,survey,responded_at,score"]
    lines += [f"R{i},{a},csat,2026-02-01T10:00:00,{5 if i % 3 else 2}" for i, a in enumerate(answered)]
    (tmp_path / "data" / "surveys.csv").write_text("\n".join(lines) + "\n")
    config.write_text(KPIS + "  - {id: csat, metric: csat}\n")
    found = rows(run(config))
    assert "sparse" not in (found["csat"]["flags"] or "")
    assert found["csat"]["n"] == 80


def test_constant_indicator(tmp_path):
    company, config = small(tmp_path, 200)
    for row in company.accounts:
        row["referenceable"] = "true"
    company.write(tmp_path)
    found = rows(run(config))
    assert found["referenceable"]["flags"] == "constant"
    assert found["referenceable"]["mean"] is None and found["referenceable"]["vif"] is None
    assert found["coverage"]["vif"] == 1.0  # the only indicator fitted


def test_an_indicator_with_one_non_round_value_for_every_account_is_constant(tmp_path):
    """CSAT 4 of 5 (0.8) for every account: numpy's sd of 0.8 x 100 is 2e-16, yet sd = 0 (SPEC 8.2)."""
    company, config = small(tmp_path, 100)
    lines = ["response_id,account_id,survey,responded_at,score"]
    for a in sorted(company.truth):
        lines += [f"{a}-{j},{a},csat,2026-02-01T10:00:00,{2 if j == 0 else 5}" for j in range(5)]
    (tmp_path / "data" / "surveys.csv").write_text("\n".join(lines) + "\n")
    config.write_text(KPIS + "  - {id: csat, metric: csat}\n")
    found = rows(run(config))
    assert found["csat"]["flags"] == "constant"
    assert found["csat"]["mean"] is None and found["csat"]["sd"] is None and found["csat"]["coef"] is None
    assert found["coverage"]["coef"] is not None and "not-fitted" not in (found["coverage"]["flags"] or "")


def test_collinear_indicators(tmp_path):
    """Activities of all types = QBRs plus a check-in on 5 accounts: nearly the same indicator (VIF > 5)."""
    company = planted(300, seed=11)
    extra = [a for a in sorted(company.truth)][:5]
    company.activities += [
        {"activity_id": f"X{i}", "account_id": a, "type": "check_in", "occurred_at": "2026-03-01T10:00:00"}
        for i, a in enumerate(extra)
    ]
    config = company.write(tmp_path)
    config.write_text(
        KPIS.replace("  - {id: coverage, metric: activity_coverage, label: QBR coverage, params: {types: [qbr]}}\n", "")
        + "  - {id: qbrs, metric: activity_count, params: {types: [qbr]}}\n"
        "  - {id: touches, metric: activity_count}\n"
    )
    found = rows(run(config))
    assert "collinear" in found["qbrs"]["flags"] and "collinear" in found["touches"]["flags"]
    assert found["qbrs"]["vif"] > 5


def test_exactly_collinear_indicators_have_no_vif_and_no_fit(tmp_path):
    company, config = small(tmp_path, 200)
    config.write_text(KPIS + "  - {id: qbrs, metric: activity_count, params: {types: [qbr]}}\n")
    found = rows(run(config))  # coverage (0/1) and the count of QBRs (0/1) are the same numbers
    assert found["qbrs"]["vif"] is None and found["coverage"]["vif"] is None
    assert found["qbrs"]["flags"] == "collinear;not-fitted"
    assert found["referenceable"]["flags"] == "not-fitted" and found["referenceable"]["coef"] is None


def test_few_events(tmp_path):
    """60 accounts, about 13 churn: min(events, n - events) < 10 k = 20."""
    _, config = small(tmp_path, 60)
    found = rows(run(config))
    assert {row["flags"] for row in found.values()} == {"few-events"}
    assert found["coverage"]["coef"] is not None


def test_separation_when_an_indicator_predicts_the_outcome_perfectly(tmp_path):
    _, config = small(tmp_path, 200, churn=(1.0, 0.0))
    found = rows(run(config))
    assert {row["flags"] for row in found.values()} == {"separation;not-fitted"}
    assert all(row["coef"] is None for row in found.values())
    assert found["coverage"]["mean"] is not None


def test_separation_flags_an_nrr_coefficient_above_10(tmp_path):
    """nrr 50 for covered accounts, 1 (or 0) for the others: about 24 per sd of coverage, |coef| > 10 (SPEC 8.2)."""
    company = planted(200, seed=3)
    for row in company.mrr:
        if row["month"] in O_MONTHS and company.truth[row["account_id"]]["covered"]:
            row["mrr"] = "50000"
    found = rows(run(company.write(tmp_path), "nrr"))
    assert found["coverage"]["coef"] > 10 and "separation" in found["coverage"]["flags"].split(";")
    assert "not-fitted" not in found["coverage"]["flags"] and found["coverage"]["std_err"] is not None


def test_not_fitted_when_nobody_churns(tmp_path):
    _, config = small(tmp_path, 200, churn=(0.0, 0.0))
    found = rows(run(config))
    assert [row["flags"] for row in found.values()] == ["few-events;not-fitted"] * 2  # 0 events < 10 k
    assert all(row["coef"] is None and row["events"] == 0 for row in found.values())


def test_not_fitted_when_n_is_at_most_k_plus_1(tmp_path):
    company = planted(2, seed=1, churn=(1.0, 0.0))
    company.activities = [
        {"activity_id": "V0", "account_id": "A00000", "type": "qbr", "occurred_at": "2026-02-10T10:00:00"}
    ]
    found = rows(run(company.write(tmp_path), indicators=("coverage",)))
    assert found["coverage"]["n"] == 2 and found["coverage"]["sd"] is not None
    assert found["coverage"]["flags"] == "few-events;not-fitted"
    assert found["coverage"]["vif"] == 1.0 and found["coverage"]["coef"] is None  # 1 with one indicator


def test_no_indicator_fitted_is_not_fitted_on_every_row(tmp_path):
    company, config = small(tmp_path, 50)
    for row in company.accounts:
        row["referenceable"] = "true"
    company.activities.clear()
    company.write(tmp_path)
    (tmp_path / "data" / "activities.csv").write_text("activity_id,account_id,type,occurred_at\n")
    found = rows(run(config))
    assert [row["flags"] for row in found.values()] == ["constant;not-fitted", "constant;not-fitted"]


def test_indicator_values_per_account_follow_the_aggregation(tmp_path):
    """Σnum/Σden (empty when none), Σnum for sums (0 when none), the median for medians."""
    from csmkpi.insights.drivers import per_account
    from csmkpi.metrics.base import Aggregation

    units = pl.LazyFrame(
        {"account_id": ["a", "a", "b", "c", "c", "c"], "numerator": [1.0, 0.0, 0.0, 5.0, 1.0, 9.0],
         "denominator": [1.0, 1.0, 0.0, 1.0, 1.0, 1.0]}
    )  # fmt: skip
    ratio = dict(per_account(units, Aggregation.RATIO).collect().sort("account_id").iter_rows())
    assert ratio == {"a": 0.5, "b": None, "c": 5 / 1}
    total = dict(per_account(units, Aggregation.SUM).collect().sort("account_id").iter_rows())
    assert total == {"a": 1.0, "b": 0.0, "c": 15.0}
    median = dict(per_account(units, Aggregation.MEDIAN).collect().sort("account_id").iter_rows())
    assert median == {"a": 0.5, "b": 0.0, "c": 5.0}


def test_eligible_metrics_are_declared_by_name():
    assert {"seat_utilisation", "adoption_growth", "milestone_on_time", "touch_cadence", "csat"} <= ELIGIBLE
    assert not {"nrr", "grr", "churn", "arr_per_csm", "cost_to_serve", "mrr_movements"} & ELIGIBLE


# --- CLI -----------------------------------------------------------------------------------------


def cli(config: Path, *args: str, env=None):
    base = ["drivers", "-c", str(config), "-p", "2026-Q1", "--as-of", "2026-10-15"]
    return CliRunner().invoke(app, [*base, *args], env=env)


def test_cli_csv_equals_the_library_and_ends_with_the_caveat(planted_company):
    _, config = planted_company
    result = cli(config, "--quiet")
    assert result.exit_code == 0, result.output
    frame = pl.read_csv(result.stdout_bytes)
    assert frame.columns == list(COLUMNS)
    assert frame["coef"].to_list() == run(config).table()["coef"].to_list()
    assert result.stderr.strip().endswith(CAVEAT)  # always, even with --quiet


@pytest.mark.parametrize("fmt", ["csv", "tsv", "json", "parquet", "xlsx", "markdown"])
def test_every_format(planted_company, tmp_path, fmt):
    _, config = planted_company
    ext = {"markdown": "md"}.get(fmt, fmt)
    out = tmp_path / f"drivers-{{period}}.{ext}"
    result = cli(config, "-o", str(out))
    assert result.exit_code == 0, result.output
    written = tmp_path / f"drivers-2026-Q1.{ext}"
    assert written.exists() and CAVEAT in result.stderr
    if fmt == "json":
        data = json.loads(written.read_text())
        assert [d["indicator"] for d in data] == ["coverage", "referenceable"]
    if fmt == "parquet":
        assert pl.read_parquet(written)["n"].to_list() == [2000, 2000]


def test_terminal_table_has_the_caveat_as_footer(planted_company):
    _, config = planted_company
    result = cli(config, "-f", "table", env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "QBR coverage" in result.stdout and "Associations, not causes" in result.stdout


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["--outcome", "revenue"], 2, "--outcome must be one of churn, expansion, nrr"),
        (["--indicator", "nrr"], 2, "not an indicator: 'nrr' (metric nrr)"),
        (["--indicator", "nope"], 2, "not an indicator: 'nope'"),
        (["--indicator", "coverag"], 2, "not an indicator: 'coverag' (did you mean coverage?)"),
        (["--horizon", "0"], 2, "--horizon"),
        (["--horizon", "7"], 2, "ends after the as-of date 2026-10-15"),
        (["--strict"], 65, "--strict"),
    ],
)
def test_usage_errors(tmp_path, args, code, message):
    _, config = small(tmp_path, 60)
    result = cli(config, *args)
    assert result.exit_code == code, result.output
    assert message in result.output


def test_indicators_are_named_in_any_case_as_kpis_are(tmp_path):
    _, config = small(tmp_path, 60)
    assert [
        row["indicator"] for row in run(config, indicators=("REFERENCEABLE", "Coverage")).table().iter_rows(named=True)
    ] == [
        "referenceable",
        "coverage",
    ]


def test_mrr_ending_before_the_outcome_window_is_65(tmp_path):
    company = planted(100, seed=2)
    company.mrr = [row for row in company.mrr if row["month"] < "2026-09"]
    result = cli(company.write(tmp_path))
    assert result.exit_code == 65, result.output
    assert "mrr.csv ends at 2026-08; the outcome window needs 2026-09" in result.output


def test_no_revenue_data_is_66(tmp_path):
    company = planted(50, seed=2)
    company.mrr = []
    result = cli(company.write(tmp_path))
    assert result.exit_code == 66, result.output
    assert "mrr.csv or subscriptions.csv" in result.output


def test_without_the_stats_extra_exit_69_names_it(tmp_path, monkeypatch):
    _, config = small(tmp_path, 30)
    monkeypatch.setitem(sys.modules, "statsmodels", None)  # as if it were not installed
    result = cli(config)
    assert result.exit_code == 69, result.output
    assert "pip install 'csmkpi[stats]'" in result.output
