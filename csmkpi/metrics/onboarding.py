"""Onboarding metrics: on time against a deadline, and time to value."""

from __future__ import annotations

from datetime import timedelta

import polars as pl
from pydantic import Field

from csmkpi.metrics.base import Aggregation, Context, Metric, NoParams, Params, Unit, units_frame

COLUMNS = {"accounts": frozenset({"account_id", "contract_start", "onboarded_at"})}


class OnTimeParams(Params):
    """The deadline is contract_start + ``days``."""

    days: int = Field(default=30, ge=0)


def on_time_units(ctx: Context, params: OnTimeParams) -> pl.LazyFrame:
    """One unit per account whose deadline falls in P: 1 when onboarded on or before it (empty = late)."""
    deadline = pl.col("contract_start") + timedelta(days=params.days)
    rows = (
        ctx.table("accounts")
        .filter(pl.col("contract_start").is_not_null())
        .with_columns(deadline.alias("deadline"))
        .filter(pl.col("deadline").is_between(ctx.period.start, ctx.period.end))
        .with_columns(
            date=pl.col("deadline"),
            numerator=(pl.col("onboarded_at") <= pl.col("deadline")).fill_null(False).cast(pl.Float64),
            denominator=pl.lit(1.0),
            sample=pl.lit(1),
        )
    )
    return units_frame(rows, "contract_start", "deadline", "onboarded_at")


def time_to_value_units(ctx: Context, params: NoParams) -> pl.LazyFrame:
    """One unit per account onboarded in P with a contract_start: numerator = days from contract to onboarding."""
    rows = (
        ctx.events("accounts", "onboarded_at")
        .filter(pl.col("contract_start").is_not_null())
        .with_columns(
            date=pl.col("onboarded_at"),
            numerator=(pl.col("onboarded_at") - pl.col("contract_start")).dt.total_days().cast(pl.Float64),
            sample=pl.lit(1),
        )
    )
    return units_frame(rows, "contract_start", "onboarded_at")


ONBOARDING_ON_TIME = Metric(
    name="onboarding_on_time",
    description="Onboarding on time: share of accounts whose onboarding deadline falls in P that met it.",
    formula="accounts with contract_start + days in P: count(onboarded_at <= deadline) / count",
    tables=frozenset({"accounts"}),
    columns=COLUMNS,
    params=OnTimeParams,
    units=on_time_units,
    sample="accounts whose deadline is in P",
    details=("contract_start", "deadline", "onboarded_at"),
)

TIME_TO_VALUE = Metric(
    name="time_to_value",
    description="Time to value: median days from contract start to onboarded, over accounts onboarded in P.",
    formula="median(onboarded_at − contract_start) in days, accounts onboarded in P",
    tables=frozenset({"accounts"}),
    columns=COLUMNS,
    params=NoParams,
    units=time_to_value_units,
    aggregation=Aggregation.MEDIAN,
    unit=Unit.DAYS,
    sample="accounts onboarded in P",
    details=("contract_start", "onboarded_at"),
)

METRICS = [ONBOARDING_ON_TIME, TIME_TO_VALUE]
