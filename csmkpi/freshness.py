"""Data freshness (SPEC §3): which end snapshot a period may use, and when the data cannot answer it.

A snapshot table (mrr, usage) ends at its *last month*: the latest month with at least one
row. A month after it is missing, not zero. A period whose end snapshot is missing has no
data for the KPIs that need it, with one warning, never 0% NRR and 100% churn. A partial
period (not over at the as-of date) uses the latest month present within it and says so.
Subscriptions are complete up to the as-of date by construction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from csmkpi.errors import Issue
from csmkpi.periods import Period

CHECK = "missing_month"


@dataclass(frozen=True)
class Snapshot:
    """The end snapshot month a period uses for one kind of snapshot data."""

    month: date | None  # None: the data cannot answer the period (its KPIs have no data)
    needed: date  # the period's own last month
    last: date | None = None  # the data's last month
    source: str = ""  # the file, for messages

    @property
    def moved(self) -> bool:
        """True when a partial period uses an earlier month than its own last month."""
        return self.month is not None and self.month < self.needed

    def note(self, what: str, period: Period) -> str | None:
        """``revenue as of 2026-11 (2026-Q4 is not over yet; ...)`` when the month moved, else None."""
        if self.month is None or not self.moved:
            return None
        return f"{what} as of {self.month:%Y-%m} ({period.label} is not over yet; {self.source} ends there)"

    def warning(self, period: Period, kpis: list[str]) -> Issue | None:
        """The one warning for the KPIs left without data, or None when the data answers the period."""
        if self.month is not None or not kpis:
            return None
        ends = f"ends at {self.last:%Y-%m}" if self.last is not None else "has no rows"
        return Issue(
            "warning",
            f"{self.source} {ends}; {period.label} needs {self.needed:%Y-%m}, so "
            f"{_names(kpis)} {'has' if len(kpis) == 1 else 'have'} no data (never read as zeros)",
            check=CHECK,
        )


def end_snapshot(period: Period, last: date | None, source: str) -> Snapshot:
    """The end snapshot month of ``period`` from data whose last month is ``last`` (None: no rows)."""
    needed = period.last_month
    if last is not None and needed <= last:
        return Snapshot(needed, needed, last, source)
    if period.partial and last is not None and last >= period.first_month:
        return Snapshot(last, needed, last, source)
    return Snapshot(None, needed, last, source)


def _names(kpis: list[str], shown: int = 6) -> str:
    """The KPI ids, the first ``shown`` of a long list and how many more (a message stays one short line)."""
    if len(kpis) <= shown:
        return ", ".join(kpis)
    return f"{', '.join(kpis[:shown])} and {len(kpis) - shown} more KPIs"
