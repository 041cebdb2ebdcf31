"""Attainment, status, composite score and rank (SPEC §5)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import polars as pl

from csmkpi.dimensions import ALL
from csmkpi.rollup import GROUP

COUNTED = ("green", "amber", "red")


@dataclass(frozen=True)
class Target:
    """What a KPI is scored against."""

    kpi: str
    target: float | None
    better: str  # "higher" | "lower"
    weight: float
    min_sample: int


def attainment(value: pl.Expr, target: Target, cap: float) -> pl.Expr:
    """Value / target (higher is better) or target / value (lower is better), clamped to [0, cap]."""
    if target.target is None:
        return pl.lit(None, pl.Float64)
    goal = pl.col("target")  # score_rows adds it as a real column, see there
    if target.better == "lower":
        raw = pl.when(value <= 0).then(cap).otherwise(goal / value)
    else:
        raw = pl.when(value < 0).then(0.0).otherwise(value / goal)
    return pl.when(value.is_not_null()).then(raw.clip(0.0, cap))


def status(value: pl.Expr, sample: pl.Expr, reached: pl.Expr, target: Target, amber_at: float) -> pl.Expr:
    """no-data, low-n, then green / amber / red by attainment (empty without a target)."""
    return (
        pl.when(value.is_null())
        .then(pl.lit("no-data"))
        .when(sample < target.min_sample)
        .then(pl.lit("low-n"))
        .when(reached.is_null())
        .then(pl.lit(None, pl.String))
        .when(reached >= 1)
        .then(pl.lit("green"))
        .when(reached >= amber_at)
        .then(pl.lit("amber"))
        .otherwise(pl.lit("red"))
    )


def score_rows(rows: pl.DataFrame, target: Target, *, cap: float, amber_at: float) -> pl.DataFrame:
    """Add target, attainment and status to one KPI's rolled-up rows."""
    return (
        # A materialised column, not a literal: Polars divides by a literal or a broadcast scalar as a
        # multiplication by its reciprocal, and 0.95 * (1 / 0.95) is 0.9999999999999999 (amber, not green).
        rows.with_columns(pl.Series("target", [target.target] * rows.height, dtype=pl.Float64))
        .with_columns(attainment(pl.col("value"), target, cap).alias("attainment"))
        .with_columns(
            status(pl.col("value"), pl.col("sample_size"), pl.col("attainment"), target, amber_at).alias("status")
        )
    )


def composite(long: pl.DataFrame, targets: Sequence[Target]) -> pl.DataFrame:
    """Return group, score (0-100 × cap) and rank; ALL gets a score but no rank.

    Each group's weights are first divided by a power of two near their largest, so that no finite
    weight can overflow the sums (1e308 twice is inf, and inf / inf NaN): the largest becomes 1 to 4,
    and the score is bit for bit what the plain formula gives whenever that formula is finite.
    """
    weights = pl.DataFrame({"kpi": [t.kpi for t in targets], "weight": [float(t.weight) for t in targets]})
    counted = long.join(weights, on="kpi").filter(pl.col("status").is_in(COUNTED) & (pl.col("weight") > 0))
    # log2 may round up (log2 of the largest float is 1024.0): one power lower, kept within normal floats.
    exponent = (pl.col("weight").max().over(GROUP).log(2).floor() - 1).clip(-1022, 1023)
    scale = pl.lit(2.0).pow(exponent)
    counted = counted.with_columns((pl.col("weight") / scale).alias("weight"))
    scores = counted.group_by(GROUP).agg(
        (100 * (pl.col("weight") * pl.col("attainment")).sum() / pl.col("weight").sum()).alias("score")
    )
    groups = long.select(GROUP).unique(maintain_order=True)
    scored = groups.join(scores, on=GROUP, how="left")
    rank = pl.when(pl.col(GROUP) != ALL).then(pl.col("score")).rank("min", descending=True).cast(pl.Int64)
    return scored.with_columns(pl.when(pl.col(GROUP) != ALL).then(rank).alias("rank"))
