"""``trend``: the scorecard of each month or quarter of a range, from one load of the data."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import date, timedelta

import polars as pl

from csmkpi import periods
from csmkpi.config import LimitsConfig
from csmkpi.engine import Run, Scorecard, ScoreRequest, prepare, score_run
from csmkpi.errors import UsageError


@dataclass(frozen=True)
class Trend:
    """One scorecard per sub-period, in order."""

    range: periods.Period
    grain: str
    cards: tuple[Scorecard, ...]
    limits: LimitsConfig = field(default_factory=LimitsConfig)  # the config's settings for control limits

    def long_table(self) -> pl.DataFrame:
        """Every sub-period's long rows, one after the other."""
        return pl.concat([card.long_table() for card in self.cards])

    def wide_table(self) -> pl.DataFrame:
        """Every sub-period's wide rows, one after the other."""
        return pl.concat([card.wide_table() for card in self.cards], how="diagonal_relaxed")


def default_range(as_of: date) -> tuple[date, date]:
    """The last 12 complete months before the as-of date's month."""
    this_month = as_of.replace(day=1)
    try:
        return periods.add_months(this_month, -12), this_month - timedelta(days=1)
    except ValueError:
        raise UsageError(f"no 12 months before --as-of {as_of.isoformat()}: give --period or --from/--to") from None


def plan(request: ScoreRequest, grain: str = "month") -> tuple[Run, list[periods.Period]]:
    """Load the run of the request's period (default: the last 12 complete months) and split it."""
    if request.period is None and request.start is None:
        start, end = default_range(request.as_of or date.today())
        request = dataclasses.replace(request, start=start, end=end)

    def split(run: Run) -> list[periods.Period]:
        fiscal = run.config.calendar.fiscal_year_start_month
        return periods.split(run.period, grain, as_of=run.as_of, fiscal_year_start_month=fiscal)

    run = prepare(request, scored=split)  # the event tables keep the rows of these sub-periods only
    return run, split(run)


def score_pieces(run: Run, pieces: list[periods.Period], by: str, grain: str = "month") -> Trend:
    """Score each sub-period of a prepared run."""
    cards = tuple(score_run(dataclasses.replace(run, period=piece), by) for piece in pieces)
    return Trend(run.period, grain, cards, run.config.limits)


def trend(request: ScoreRequest, grain: str = "month") -> Trend:
    """Score each month or quarter of the request's period (default: the last 12 complete months)."""
    run, pieces = plan(request, grain)
    return score_pieces(run, pieces, request.by, grain)
