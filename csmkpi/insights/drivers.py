"""Drivers: which leading indicators go with an account-level outcome (SPEC §8.2).

- Cohort: accounts paying in P's last month (s). Outcome window O: the ``horizon`` months after
  it, e = MRR of O's last month (the ``churn`` metric's own cohort over O). churn: y = 1 when
  e = 0; expansion: y = 1 when e > s; nrr: y = e / s.
- Indicators: KPIs of the config whose metric is a leading indicator (``ELIGIBLE``), each
  computed per account over P from the metric's own unit rows: Σnum/Σden for ratios (empty when
  none or Σden = 0), Σnum for sums (0 when none), the median for medians.
- An indicator empty for more than 20% of the cohort is left out (``sparse``); then accounts
  with any empty indicator are left out; an indicator with sd 0 is left out (``constant``).
- Model: intercept plus each indicator standardised over the n accounts (sd with n - 1):
  logistic regression (churn, expansion) or ordinary least squares (nrr), fitted by
  statsmodels' ``Logit`` (Newton, at most 100 steps) and ``OLS`` on that design matrix.

Associations, not causes (``CAVEAT``): the output always says so.
"""

from __future__ import annotations

import math
import threading
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl

from csmkpi.engine import Kpi, Run, ScoreRequest, configure, load_data, metric_units
from csmkpi.errors import DataError, InputMissingError, Issue, UsageError
from csmkpi.extras import check, require
from csmkpi.metrics.base import Aggregation, Context, MetricError
from csmkpi.metrics.retention import COLUMNS as REVENUE_COLUMNS
from csmkpi.metrics.retention import cohort
from csmkpi.periods import Period, add_months, month_end
from csmkpi.rollup import exact_sum
from csmkpi.suggest import close, find

OUTCOMES = ("churn", "expansion", "nrr")
# The metrics whose KPIs can be indicators, by name: leading, controllable or experience measures an
# account has over P (retention outcomes, book ratios per CSM and costs are not). seat_utilisation,
# adoption_growth and milestone_on_time are the adoption metrics; they match once installed.
ELIGIBLE = frozenset(
    {
        "csat",
        "nps",
        "fcr",
        "expansion_close_rate",
        "sourced_expansion_arr",
        "onboarding_on_time",
        "time_to_value",
        "touch_cadence",
        "activity_coverage",
        "activity_count",
        "referenceable_rate",
        "arr_managed",
        "seat_utilisation",
        "adoption_growth",
        "milestone_on_time",
    }
)
COLUMNS = (
    "period",
    "period_start",
    "period_end",
    "outcome",
    "outcome_start",
    "outcome_end",
    "indicator",
    "label",
    "n",
    "events",
    "mean",
    "sd",
    "coef",
    "std_err",
    "ci_low",
    "ci_high",
    "p_value",
    "odds_ratio",
    "vif",
    "flags",
)
FLAGS = ("sparse", "constant", "collinear", "few-events", "separation", "not-fitted")
CAVEAT = (
    "Associations, not causes: accounts that get more attention differ in size, segment and owner. "
    "Use this to choose what to test. Per one standard deviation, other indicators held fixed; "
    "p-values not adjusted for k tests."
)
SPARSE_SHARE = 0.2  # an indicator empty for more than this share of the cohort is left out
VIF_COLLINEAR = 5.0
EVENTS_PER_INDICATOR = 10
SEPARATION_COEF = 10.0
MAX_NEWTON_STEPS = 100
Z_975 = 1.959964  # the normal quantile of a 95% interval, as SPEC §8.2 writes it
CHECK = "drivers"

_SCHEMA: dict[str, Any] = {
    "period": pl.String,
    "period_start": pl.Date,
    "period_end": pl.Date,
    "outcome": pl.String,
    "outcome_start": pl.Date,
    "outcome_end": pl.Date,
    "indicator": pl.String,
    "label": pl.String,
    "n": pl.Int64,
    "events": pl.Int64,
    **{name: pl.Float64 for name in COLUMNS[10:19]},
    "flags": pl.String,
}


@dataclass(frozen=True)
class Drivers:
    """The drivers table of one period, outcome and horizon."""

    period: Period
    outcome_window: Period
    outcome: str
    as_of: date
    rows: pl.DataFrame  # COLUMNS, one row per indicator
    cohort: int  # accounts in the cohort (before any is left out)
    warnings: tuple[Issue, ...] = ()
    notes: tuple[str, ...] = ()
    inputs: tuple[Path, ...] = ()

    def table(self) -> pl.DataFrame:
        """One row per indicator, columns as SPEC §8.2."""
        return self.rows.select(COLUMNS)


@dataclass
class Fit:
    """What the model says about each fitted indicator, and the flags of the whole model."""

    coef: list[float | None] = field(default_factory=list)
    std_err: list[float | None] = field(default_factory=list)
    ci_low: list[float | None] = field(default_factory=list)
    ci_high: list[float | None] = field(default_factory=list)
    p_value: list[float | None] = field(default_factory=list)
    flags: list[str] = field(default_factory=list)


def check_outcome(outcome: str) -> str:
    """The ``--outcome``, or a usage error."""
    if outcome not in OUTCOMES:
        raise UsageError(f"--outcome must be one of {', '.join(OUTCOMES)}, not {outcome!r}")
    return outcome


def outcome_window(period: Period, horizon: int) -> Period:
    """The ``horizon`` whole months after P's last month."""
    first = add_months(period.last_month, 1)
    last = add_months(period.last_month, horizon)
    return Period(f"{first:%Y-%m}_{last:%Y-%m}", first, month_end(last), partial=False, kind="range")


def choose_indicators(kpis: Sequence[Kpi], wanted: Sequence[str]) -> list[Kpi]:
    """The indicator KPIs: those ``wanted`` (in that order), else every eligible KPI in config order."""
    eligible = {kpi.id: kpi for kpi in kpis if kpi.metric.name in ELIGIBLE}
    if not wanted:
        if not eligible:
            raise UsageError(
                "the config has no KPI that can be an indicator; drivers reads KPIs of the metrics "
                + ", ".join(sorted(ELIGIBLE))
            )
        return list(eligible.values())
    known = {kpi.id: kpi.metric.name for kpi in kpis}
    spelled = {w: find(w, known) or w for w in wanted}  # KPI ids in any case, as --kpi (SPEC 6)
    others = [w for w in dict.fromkeys(wanted) if spelled[w] not in eligible]
    if others:
        described = ", ".join(
            f"{w!r} (metric {known[spelled[w]]})" if spelled[w] in known else _maybe(w, eligible) for w in others
        )
        raise UsageError(
            f"not an indicator: {described}; the indicators of the config are: {', '.join(eligible) or '(none)'}"
        )
    return list({spelled[w]: eligible[spelled[w]] for w in wanted}.values())


def _maybe(word: str, eligible: Iterable[str]) -> str:
    found = close(word, eligible, limit=3)
    return f"{word!r} (did you mean {' or '.join(found)}?)" if found else repr(word)


def drivers(request: ScoreRequest, outcome: str = "churn", horizon: int = 6, indicators: Sequence[str] = ()) -> Drivers:
    """Fit the outcome of P's paying accounts over the ``horizon`` months after P on the indicators."""
    check_outcome(outcome)
    if horizon < 1:
        raise UsageError(f"--horizon must be at least 1 month, not {horizon}")
    planned = configure(request)
    window = outcome_window(planned.period, horizon)
    if window.end > planned.as_of:
        raise UsageError(
            f"the outcome window {window.start} → {window.end} (--horizon {horizon} months after "
            f"{planned.period.label}) ends after the as-of date {planned.as_of}; choose an earlier period, "
            "a shorter --horizon or a later --as-of"
        )
    chosen = choose_indicators(planned.kpis, indicators)
    check("statsmodels", "stats", purpose="csmkpi drivers")  # before reading any data
    fitting = Importer()  # statsmodels loads while the data is read
    run = load_data(
        Run(planned.config, planned.period, planned.as_of, chosen, planned.data, planned.warnings),
        request,
        extra=REVENUE_COLUMNS,
    )
    return fit_drivers(run, window, outcome, fitting)


def fit_drivers(run: Run, window: Period, outcome: str, fitting: Importer) -> Drivers:
    """Fit a loaded run (its KPIs: the indicators; its period: P; its data with ``REVENUE_COLUMNS``)."""
    _check_revenue(run, window)
    chosen = run.kpis
    tables = run.data.lazy()
    accounts, names, warnings_ = _accounts(run, chosen, window, outcome, tables)
    rows = model_rows(accounts, names, outcome, fitting.result())
    frame = _frame(rows, run.period, window, outcome, {kpi.id: kpi.label for kpi in chosen})
    return Drivers(
        period=run.period,
        outcome_window=window,
        outcome=outcome,
        as_of=run.as_of,
        rows=frame,
        cohort=accounts.height,
        warnings=(*run.warnings, *warnings_, *_flag_warnings(frame)),
        inputs=(run.config.path, *run.data.files.values(), *run.data.folder_files),
    )


class Importer:
    """Import the stats extra in a thread: the data loads meanwhile (Polars releases the GIL)."""

    def __init__(self) -> None:
        self._modules: tuple[Any, Any] | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="csmkpi-stats-import", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            self._modules = (
                require("statsmodels.discrete.discrete_model", "stats", purpose="csmkpi drivers"),
                require("statsmodels.regression.linear_model", "stats", purpose="csmkpi drivers"),
            )
        except BaseException as exc:  # re-raised in the caller's thread
            self._error = exc

    def result(self) -> tuple[Any, Any]:
        """The modules (``Logit``'s and ``OLS``'s); raises what importing them raised."""
        self._thread.join()
        if self._error is not None:
            raise self._error
        assert self._modules is not None
        return self._modules


def _check_revenue(run: Run, window: Period) -> None:
    """Revenue must exist and reach O's last month, or every account would look churned."""
    data = run.data
    if "mrr" in data.tables:
        last = data.last_month("mrr")
        if last is None or last < window.last_month:
            ends = f"ends at {last:%Y-%m}" if last is not None else "has no rows"
            raise DataError(
                f"{data.files['mrr']} {ends}; the outcome window needs {window.last_month:%Y-%m} "
                "(without it every account would look churned)"
            )
    elif "subscriptions" not in data.tables:
        raise InputMissingError("drivers needs revenue data: mrr.csv or subscriptions.csv, neither is in the data")


def _accounts(
    run: Run, chosen: list[Kpi], window: Period, outcome: str, tables: dict[str, pl.LazyFrame]
) -> tuple[pl.DataFrame, list[str], list[Issue]]:
    """One row per cohort account (by account_id): y, then each indicator's value over P."""
    context = Context(window, tables, run.config.attribution, {"revenue": window.last_month})
    start, end = pl.col("start_mrr"), pl.col("end_mrr")
    y = {
        "churn": (end == 0).cast(pl.Float64),
        "expansion": (end > start).cast(pl.Float64),
        "nrr": end / start,
    }[outcome]
    frame = cohort(context, "period").select("account_id", y.alias("__y"))
    issues: list[Issue] = []
    values: list[pl.LazyFrame] = []
    for kpi in chosen:
        try:
            units = metric_units(run, kpi, tables)
        except MetricError as exc:
            issues.append(Issue("warning", f"indicator {kpi.id!r} is not computable: {exc}", check=CHECK))
            values.append(pl.LazyFrame(schema={"account_id": pl.String, kpi.id: pl.Float64}))
            continue
        values.append(per_account(units, kpi.aggregation).rename({"value": kpi.id}))
    collected = pl.collect_all([frame, *values])
    accounts = collected[0]
    for kpi, column in zip(chosen, collected[1:], strict=True):
        accounts = accounts.join(column, on="account_id", how="left")
        if kpi.aggregation is Aggregation.SUM:
            accounts = accounts.with_columns(pl.col(kpi.id).fill_null(0.0))
    return accounts.sort("account_id"), [kpi.id for kpi in chosen], issues


def per_account(units: pl.LazyFrame, aggregation: Aggregation) -> pl.LazyFrame:
    """An indicator's value per account from its unit rows (account_id, value)."""
    numerator, denominator = exact_sum("numerator"), exact_sum("denominator")
    if aggregation is Aggregation.SUM:
        value = numerator
    elif aggregation is Aggregation.MEDIAN:
        value = pl.col("numerator").median()
    else:  # a ratio of sums
        value = pl.when(denominator != 0).then(numerator / denominator)
    return units.filter(pl.col("account_id").is_not_null()).group_by("account_id").agg(value.alias("value"))


@dataclass(frozen=True)
class Design:
    """The accounts and indicators that enter the model, after leaving out what cannot."""

    names: list[str]  # every indicator, in output order
    sparse: list[str]  # empty for more than 20% of the cohort
    constant: list[str]  # sd 0 over the n accounts
    fitted: list[str]  # the k indicators in the model
    y: Any  # numpy vector of the n outcomes
    z: Any  # numpy matrix n x k of the standardised indicators
    stats: dict[str, tuple[float | None, float | None]]  # mean and sd (n - 1) of each kept indicator

    @property
    def n(self) -> int:
        """Accounts modelled."""
        return int(self.y.shape[0])


def design(accounts: pl.DataFrame, names: Sequence[str]) -> Design:
    """Leave out sparse indicators, then accounts with any empty one, then constant indicators; standardise."""
    import numpy as np

    size = accounts.height
    sparse = [name for name in names if size and accounts[name].null_count() / size > SPARSE_SHARE]
    kept = [name for name in names if name not in sparse]
    modelled = accounts.drop_nulls(kept) if kept else accounts
    n = modelled.height
    columns = {name: modelled[name].to_numpy().astype(float) for name in kept}
    stats = {
        name: (float(values.mean()) if n else None, float(values.std(ddof=1)) if n >= 2 else None)
        for name, values in columns.items()
    }
    # Every value the same, compared exactly: a computed sd of 0.8 repeated is 2e-16, not 0.
    constant = [name for name in kept if n >= 2 and bool((columns[name] == columns[name][0]).all())]
    fitted = [name for name in kept if name not in constant and stats[name][1] is not None]
    z = np.empty((n, 0))
    if fitted:
        z = np.column_stack([(columns[name] - stats[name][0]) / stats[name][1] for name in fitted])  # type: ignore[operator]
    y = modelled["__y"].to_numpy().astype(float)
    return Design(list(names), sparse, constant, [*fitted], y, z, stats)


def model_rows(
    accounts: pl.DataFrame, names: Sequence[str], outcome: str, models: tuple[Any, Any]
) -> list[dict[str, Any]]:
    """The numbers of every indicator row: leave out, standardise, fit, flag."""
    chosen = design(accounts, names)
    n, k, binary = chosen.n, len(chosen.fitted), outcome != "nrr"
    events = int(chosen.y.sum()) if binary else None
    # With n <= k + 1 every fit of one z on the others is perfect: no VIF, but 1 with one indicator (SPEC).
    vifs = _vifs(chosen.z) if k == 1 or (k and n > k + 1) else None
    fit = _fit(chosen.y, chosen.z, binary, events, models)
    rows = []
    for name in chosen.names:
        own = ["sparse"] if name in chosen.sparse else ["constant"] if name in chosen.constant else []
        row: dict[str, Any] = {"indicator": name, "n": n, "events": events}
        if name in chosen.fitted:
            j = chosen.fitted.index(name)
            vif = vifs[j] if vifs is not None else None
            if vifs is not None and (vif is None or vif > VIF_COLLINEAR):
                own.append("collinear")
            mean, sd = chosen.stats[name]
            row |= {"mean": mean, "sd": sd, "vif": vif}
            if fit.coef:
                row |= _estimates(fit, j, binary)
        row["flags"] = ";".join(flag for flag in FLAGS if flag in own or flag in fit.flags) or None
        rows.append(row)
    return rows


def _estimates(fit: Fit, j: int, binary: bool) -> dict[str, float | None]:
    coef = fit.coef[j]
    odds = _finite(math.exp(min(coef, 700.0))) if binary and coef is not None else None
    return {
        "coef": coef,
        "std_err": fit.std_err[j],
        "ci_low": fit.ci_low[j],
        "ci_high": fit.ci_high[j],
        "p_value": fit.p_value[j],
        "odds_ratio": odds,
    }


def _vifs(z: Any) -> list[float | None]:
    """VIF = 1 / (1 - R²) of each z on the others (with an intercept); None when R² = 1, 1 with one indicator."""
    import numpy as np

    n, k = z.shape
    if k == 1:
        return [1.0]
    result: list[float | None] = []
    for j in range(k):
        target = z[:, j]
        others = np.column_stack([np.ones(n), np.delete(z, j, axis=1)])
        beta, *_ = np.linalg.lstsq(others, target, rcond=None)
        residual = target - others @ beta
        total = float(((target - target.mean()) ** 2).sum())
        r2 = 1.0 - float(residual @ residual) / total if total else 1.0
        result.append(None if r2 >= 1.0 - 1e-12 else 1.0 / (1.0 - r2))
    return result


def _fit(y: Any, z: Any, binary: bool, events: int | None, models: tuple[Any, Any]) -> Fit:
    """Fit the model with statsmodels, or say why not (flags)."""
    import numpy as np

    n, k = z.shape
    fit = Fit()
    smaller = min(events, n - events) if binary and events is not None else n
    if k and smaller < EVENTS_PER_INDICATOR * k:
        fit.flags.append("few-events")
    if k == 0 or n <= k + 1 or bool((y == y[0]).all()):
        fit.flags.append("not-fitted")
        return fit
    design = np.column_stack([np.ones(n), z])
    if np.linalg.matrix_rank(design) < k + 1:
        fit.flags.append("not-fitted")  # an indicator is an exact combination of others
        return fit
    discrete, linear = models
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if binary:
                result = discrete.Logit(y, design).fit(method="newton", maxiter=MAX_NEWTON_STEPS, disp=0)
            else:
                result = linear.OLS(y, design).fit()
    except np.linalg.LinAlgError:
        fit.flags.append("not-fitted")
        return fit
    if binary and not result.mle_retvals.get("converged", False):
        fit.flags.extend(["separation", "not-fitted"])
        return fit
    params, errors, pvalues = result.params[1:], result.bse[1:], result.pvalues[1:]
    if binary:
        low, high = params - Z_975 * errors, params + Z_975 * errors
    else:
        interval = result.conf_int(alpha=0.05)[1:]
        low, high = interval[:, 0], interval[:, 1]
    fit.coef = [_finite(v) for v in params]
    fit.std_err = [_finite(v) for v in errors]
    fit.p_value = [_finite(v) for v in pvalues]
    fit.ci_low = [_finite(v) for v in low]
    fit.ci_high = [_finite(v) for v in high]
    if any(c is not None and abs(c) > SEPARATION_COEF for c in fit.coef):  # nrr too: SPEC 8.2 names no model
        fit.flags.append("separation")
    return fit


def _finite(value: Any) -> float | None:
    number = float(value)
    return number if math.isfinite(number) else None


def _frame(
    rows: list[dict[str, Any]], period: Period, window: Period, outcome: str, labels: dict[str, str]
) -> pl.DataFrame:
    full = [
        {
            "period": period.label,
            "period_start": period.start,
            "period_end": period.end,
            "outcome": outcome,
            "outcome_start": window.start,
            "outcome_end": window.end,
            "label": labels[row["indicator"]],
            **row,
        }
        for row in rows
    ]
    return pl.DataFrame(full, schema=_SCHEMA, orient="row") if full else pl.DataFrame(schema=_SCHEMA)


def _flag_warnings(frame: pl.DataFrame) -> list[Issue]:
    """One warning per flagged indicator (flags never fail a run without --strict)."""
    return [
        Issue("warning", f"drivers: {row['indicator']}: {row['flags']}", check=CHECK)
        for row in frame.iter_rows(named=True)
        if row["flags"]
    ]
