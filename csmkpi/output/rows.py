"""Which groups a scorecard shows, in which order: ``--sort``, ``--group`` and ``--top`` (SPEC §6).

The default order is the rank (by composite score, unscored groups last, by name). ``--sort KPI``
orders by that KPI's value, best first (highest, or lowest for ``better: lower``), groups without
a value last. ``--top N`` keeps the first ``ceil(N/2)`` and the last ``floor(N/2)`` groups that
have a sort value and says how many it left out. ``ALL`` is always kept, last.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import polars as pl

from csmkpi.dimensions import ALL
from csmkpi.errors import UsageError
from csmkpi.suggest import did_you_mean, find

if TYPE_CHECKING:
    from csmkpi.engine import Scorecard

GROUP = "group"
TERMINAL_TOP = 50  # --top on a terminal unless given; files get every row
SORTS = ("score", "group", "name")


@dataclass(frozen=True)
class RowChoice:
    """The groups to show, in order (``ALL`` last), and what was left out."""

    groups: tuple[str, ...]
    sort: str  # "score", "group", "name" or a KPI id
    cut_after: int | None = None  # index of the last top row, when rows were left out after it
    left_out: int = 0
    total: int = 0  # groups other than ALL
    note: str | None = None  # "top 25 and bottom 25 of 90 by score; 40 left out (ranks 26-65)"

    def apply(self, frame: pl.DataFrame) -> pl.DataFrame:
        """Keep and order a long or wide frame's rows as chosen (rows of a group keep their order)."""
        order = pl.DataFrame({GROUP: list(self.groups)}).with_row_index("__order")
        columns = frame.columns
        return frame.with_row_index("__row").join(order, on=GROUP).sort("__order", "__row").select(columns)


def sort_key(card: Scorecard, sort: str | None) -> str:
    """The canonical sort: ``score``, ``group``, ``name`` or a KPI id (case-insensitive, with suggestions)."""
    if sort is None:
        return "score"
    kpis = [k.id for k in card.kpis]
    found = find(sort, [*SORTS, *kpis])
    if found is None:
        raise UsageError(
            f"--sort {sort!r}: no such KPI{did_you_mean(sort, [*SORTS, *kpis])} "
            f"Sort by score, group, name or a KPI id: {', '.join(kpis)}"
        )
    return found


def _sorted(card: Scorecard, sort: str) -> tuple[list[str], list[str]]:
    """Groups (ALL aside) with a sort value in order, and those without one (by name)."""
    if sort == "score":
        order = card.group_order()[:-1]
        ranks = dict(card.scores.select(GROUP, "rank").iter_rows())
        return [g for g in order if ranks.get(g) is not None], [g for g in order if ranks.get(g) is None]
    groups = sorted(g for g in card.scores[GROUP].to_list() if g != ALL)
    if sort == "group":
        return groups, []
    if sort == "name":
        return sorted(groups, key=lambda g: ((card.names.get(g) or g).casefold(), g)), []
    kpi = next(k for k in card.kpis if k.id == sort)
    values = dict(card.long.filter(pl.col("kpi") == sort).select(GROUP, "value").iter_rows())
    known = [g for g in groups if values.get(g) is not None]
    lower = kpi.target.better == "lower"
    known.sort(key=lambda g: (values[g] if lower else -values[g], g))
    return known, [g for g in groups if values.get(g) is None]


def choose(
    card: Scorecard, *, sort: str | None = None, groups: Sequence[str] = (), top: int | None = None
) -> RowChoice:
    """The rows to show: ``groups`` (ids, already resolved) or every group, sorted, cut to ``top``."""
    key = sort_key(card, sort)
    valued, unvalued = _sorted(card, key)
    if groups:
        wanted = set(groups)
        valued, unvalued = [g for g in valued if g in wanted], [g for g in unvalued if g in wanted]
    every = [*valued, *unvalued]
    has_all = ALL in set(card.scores[GROUP].to_list())
    tail = (ALL,) if has_all else ()
    if not top or len(every) <= top:
        return RowChoice((*every, *tail), key, total=len(every))
    without = "score" if key == "score" else "value"
    if len(valued) <= top:  # too few with a sort value for a top and a bottom: the first groups by name
        shown = [*valued, *unvalued[: top - len(valued)]]
        left = len(every) - len(shown)
        note = (
            f"first {len(shown)} of {len(every)} groups ({len(valued)} with a {without}, then by name); "
            f"{left} without a {without} left out; --top 0 shows all"
        )
        return RowChoice((*shown, *tail), key, cut_after=len(shown) - 1, left_out=left, total=len(every), note=note)
    head = valued[: (top + 1) // 2]
    bottom = valued[len(valued) - (top - len(head)) :] if top > len(head) else []
    left = len(every) - len(head) - len(bottom)
    first, last = len(head) + 1, len(valued) - len(bottom)
    parts = [f"{'ranks' if key == 'score' else 'places'} {first}–{last}"] if last >= first else []
    if unvalued:
        parts.append(f"{len(unvalued)} without a {without}")
    note = (
        f"top {len(head)} and bottom {len(bottom)} of {len(every)} groups by {key}; "
        f"{left} left out ({', '.join(parts)}); --top 0 shows all"
    )
    return RowChoice(
        (*head, *bottom, *tail),
        key,
        cut_after=len(head) - 1 if head else None,
        left_out=left,
        total=len(every),
        note=note,
    )
