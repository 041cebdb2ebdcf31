"""``trend``: the scorecard of each month or quarter of a range, from one load of the data."""

from __future__ import annotations

import contextvars
import dataclasses
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, timedelta

import polars as pl

from csmkpi import periods
from csmkpi.config import LimitsConfig
from csmkpi.engine import Run, Scorecard, ScoreRequest, context, needs, owners_for, prepare, score_run, snapshots
from csmkpi.errors import UsageError
from csmkpi.metrics.base import PERIOD, MetricError


@dataclass(frozen=True)
class Trend:
    """One scorecard per sub-period, in order."""

    range: periods.Period
    grain: str
    cards: tuple[Scorecard, ...]
    limits: LimitsConfig = field(default_factory=LimitsConfig)  # the config's settings for control limits
    min_sample: int = 5  # scoring.min_sample: the sample a point needs to be usable in control limits (SPEC 8.1)

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
    runs = [dataclasses.replace(run, period=piece) for piece in pieces]
    shared = shared_units(runs)
    owners = owners_for(run.data.lazy(), by)  # numbered once for every sub-period
    cards = _at_once(lambda i: score_run(runs[i], by, shared[i], owners), len(runs))
    return Trend(run.period, grain, cards, run.config.limits, run.config.scoring.min_sample)


# Sub-periods scored at the same time. A month's joins and pools keep about one core busy, so two
# fill the two cores of a small machine; more would only hold more months' unit rows in memory.
AT_ONCE = 2


def _at_once(score: Callable[[int], Scorecard], count: int) -> tuple[Scorecard, ...]:
    """``score(0) .. score(count - 1)`` in order, AT_ONCE at a time (Polars releases the GIL)."""
    pool = ThreadPoolExecutor(max_workers=AT_ONCE, thread_name_prefix="csmkpi-trend")
    jobs: list[Future[Scorecard]] = []
    try:
        # Each job in a copy of this context, so progress reaches the caller's observer.
        jobs = [pool.submit(contextvars.copy_context().run, score, i) for i in range(count)]
        cards = tuple(job.result() for job in jobs)
    except BaseException:  # Ctrl-C, SIGTERM, a bug: no new sub-period starts, and the run ends now
        for job in jobs:
            job.cancel()
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown()
    return cards


def shared_units(runs: list[Run]) -> list[dict[str, pl.LazyFrame]]:
    """Per run (one per sub-period), the unit rows of the KPIs whose metric yields many periods in one plan.

    A metric with ``periods_units`` computes the sub-periods where the KPI has its data in one plan
    (``mrr_movements``: first paid months read once, not once a month); the others, and a metric that
    cannot compute, are left to ``score_run``, which computes them (and words their warnings) per
    sub-period as ever.
    """
    shared: list[dict[str, pl.LazyFrame]] = [{} for _ in runs]
    if not runs:
        return shared
    tables = runs[0].data.lazy()
    found = [snapshots(each) for each in runs]
    plans: dict[str, tuple[list[int], pl.LazyFrame]] = {}
    for kpi in runs[0].kpis:
        if kpi.metric.periods_units is None:
            continue
        # The sub-periods whose snapshot data the KPI has (the others warn and show nothing, in score_run).
        at = [i for i, snaps in enumerate(found) if all(s.month is not None for k, s in snaps.items() if needs(kpi, k))]
        if not at:
            continue
        try:
            plan_ = kpi.metric.periods_units([context(runs[i], tables, found[i]) for i in at], kpi.params)
        except MetricError:
            continue
        plans[kpi.id] = (at, plan_)
    frames = pl.collect_all([plan_ for _, plan_ in plans.values()])
    for (kpi_id, (at, _)), frame in zip(plans.items(), frames, strict=True):
        parts = frame.partition_by(PERIOD, as_dict=True, include_key=False)
        empty = frame.drop(PERIOD).clear()
        for index, i in enumerate(at):
            shared[i][kpi_id] = parts.get((index,), empty).lazy()
    return shared


def trend(request: ScoreRequest, grain: str = "month") -> Trend:
    """Score each month or quarter of the request's period (default: the last 12 complete months)."""
    run, pieces = plan(request, grain)
    return score_pieces(run, pieces, request.by, grain)
