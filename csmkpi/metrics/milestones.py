"""Milestone on time: the share of accounts that reached an adoption milestone by their deadline."""

from __future__ import annotations

import difflib
from datetime import timedelta

import polars as pl
from pydantic import Field, field_validator
from pydantic_core import PydanticCustomError

from csmkpi.metrics.base import Context, Metric, Params, units_frame


class MilestoneParams(Params):
    """Which ``milestone`` (matched trimmed, case-insensitively) and the deadline contract_start + ``days``."""

    milestone: str
    days: int = Field(default=180, ge=0)

    @field_validator("milestone")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise PydanticCustomError("blank_milestone", "name a milestone as milestones.csv has it, e.g. deployed_sso")
        return value


def milestone_units(ctx: Context, params: MilestoneParams) -> pl.LazyFrame:
    """One unit per account whose deadline falls in P: 1 when the milestone's earliest achieved_at is by then.

    Never achieved is late; reached before contract_start is on time; an empty contract_start
    leaves the account out. The unit belongs to the owner on the deadline.
    """
    name = params.milestone.strip().lower()  # milestone names arrive trimmed and lower-cased
    reached = (
        ctx.table("milestones")
        .filter(pl.col("milestone") == name)
        .group_by("account_id")
        .agg(pl.col("achieved_at").min())
    )
    deadline = pl.col("contract_start") + timedelta(days=params.days)
    rows = (
        ctx.table("accounts")
        .filter(pl.col("contract_start").is_not_null())
        .select("account_id", "contract_start", deadline.alias("deadline"))
        .filter(pl.col("deadline").is_between(ctx.period.start, ctx.period.end))
        .join(reached, on="account_id", how="left")
        .with_columns(
            date=pl.col("deadline"),
            numerator=(pl.col("achieved_at") <= pl.col("deadline")).fill_null(False).cast(pl.Float64),
            denominator=pl.lit(1.0),
            sample=pl.lit(1),
        )
    )
    return units_frame(rows, "contract_start", "deadline", "achieved_at")


def unknown_milestone(ctx: Context, params: MilestoneParams) -> list[str]:
    """Warn when no row of the milestones table names the milestone: a typo would read as 0% on time."""
    name = params.milestone.strip().lower()
    names = ctx.table("milestones").select(pl.col("milestone").unique()).collect()["milestone"].drop_nulls()
    if name in names:
        return []
    close = difflib.get_close_matches(name, names.to_list(), n=1)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    return [f"no row of milestones.csv names milestone {params.milestone!r}, so every account is late{hint}"]


METRIC = Metric(
    name="milestone_on_time",
    description="Milestone on time: share of accounts whose milestone deadline falls in P that reached it by then.",
    formula="accounts with contract_start + days in P: count(earliest achieved_at of milestone <= deadline) / count",
    tables=frozenset({"accounts", "milestones"}),
    columns={
        "accounts": frozenset({"account_id", "contract_start"}),
        "milestones": frozenset({"account_id", "milestone", "achieved_at"}),
    },
    params=MilestoneParams,
    units=milestone_units,
    sample="accounts whose deadline is in P",
    details=("contract_start", "deadline", "achieved_at"),
    warnings=unknown_milestone,
)
