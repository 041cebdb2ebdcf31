"""The scorecard on a terminal: a layout that fits the width, whatever the number of groups and KPIs.

Three layouts; the first that fits wins (SPEC §6, "For people"):

1. *side by side*: a row per group (rank, id, name, one column per KPI, score), when every KPI
   column fits the width;
2. otherwise the more compact (fewer lines; a tie goes to the first) of
   - *KPIs as rows*: a row per KPI (label, target) and a column per group, a page per few groups,
     score and rank as the last rows (DuckDB's ``.columns``, ``kubectl describe``);
   - *groups as rows, KPIs in pages*: each page repeats rank, id, name and score and shows as many
     KPI columns as fit (where DuckDB's duckbox would hide the middle columns).

Each cell is the machine value formatted for people (``numbers.human``) and its status mark
(``✓ ~ ✗ ?``), so a status reads without colour; colour comes on top when the terminal has it.
With ``--compare`` a cell's second line is the change (``▲ 2.1 pp``). docs/output.md says why.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich.console import Group, RenderableType
from rich.text import Text

from csmkpi.dimensions import ALL, UNASSIGNED
from csmkpi.metrics.base import Unit
from csmkpi.output import numbers
from csmkpi.output.grid import Column, header_height, pages, rich_table, table_width
from csmkpi.output.rows import RowChoice

if TYPE_CHECKING:
    from csmkpi.engine import Kpi, Scorecard

Cells = dict[tuple[str, str], dict[str, Any]]
LABEL_MAX = 30  # a KPI label wraps beyond this


def heading(card: Scorecard) -> Text:
    """``Scorecard 2026-Q3 · 2026-07-01 → 2026-09-30 · by csm · as of 2026-10-15`` (PARTIAL, Δ vs ...)."""
    period = card.period
    text = Text(f"Scorecard {period.label}", style="bold")
    text.append(f" · {period.start} → {period.end}")
    if period.partial:
        text.append(" · PARTIAL (not over yet)", style="bold")
    text.append(f" · by {card.group_by} · as of {card.as_of}")
    if card.compare is not None:
        other = card.compare.period
        text.append(f" · Δ vs {other.label} ({other.start} → {other.end})")
    return text


def legend(card: Scorecard) -> Text:
    """What the marks mean, on one line."""
    amber = numbers.percent(card.amber_at).removesuffix(".0%").removesuffix("%") + "%"
    text = (
        f"✓ target met · ~ close (≥ {amber} of target) · ✗ below · ? sample below min_sample (not scored) · "
        f"{numbers.NONE} no data"
    )
    if card.compare is not None:
        text += f" · ▲▼ change since {card.compare.period.label} (pp: percentage points)"
    return Text(text, style="dim")


def footer(card: Scorecard, choice: RowChoice) -> list[RenderableType]:
    """Legend, what was left out, and the notes a reader must know."""
    parts: list[RenderableType] = [Text(""), legend(card)]
    if choice.note:
        parts.append(Text(f"showing the {choice.note}", style="dim"))
    parts.extend(Text(f"note: {note}") for note in card.notes)
    return parts


def cell(row: dict[str, Any] | None, kpi: Kpi, *, compare: bool = False) -> Text:
    """A KPI value with its status mark (and its change on a second line)."""
    if row is None:
        return Text(numbers.NONE, style="dim")
    status = row["status"] or ""
    mark = numbers.MARKS.get(status, "")
    text = Text(
        numbers.human(row["value"], kpi.unit) + (f" {mark}" if mark else ""), style=numbers.STYLES.get(status, "")
    )
    if compare:
        text.append("\n" + (numbers.change(row.get("change"), kpi.unit) or " "), style="dim")
    return text


class _Scores:
    """Each group's score, rank and (with ``--compare``) the change of its score."""

    def __init__(self, card: Scorecard) -> None:
        self.compare = card.compare is not None
        self.now = dict(card.scores.select("group", "score").iter_rows())
        self.ranks = dict(card.scores.select("group", "rank").iter_rows())
        self.before = dict(card.compare.scores.select("group", "score").iter_rows()) if card.compare else {}

    def score(self, group: str) -> Text:
        now = self.now.get(group)
        text = Text(numbers.score(now))
        if self.compare:
            before = self.before.get(group)
            delta = None if before is None or now is None else now - before
            text.append("\n" + (numbers.change(delta, Unit.POINTS) or " "), style="dim")
        return text

    def rank(self, group: str) -> Text:
        rank = self.ranks.get(group)
        return Text("" if rank is None else str(rank))


def _cells(card: Scorecard) -> Cells:
    return {(row["group"], row["kpi"]): row for row in card.long_table().iter_rows(named=True)}


def _sections(choice: RowChoice) -> list[int]:
    """Rules after the top rows (when rows were left out) and before ALL."""
    breaks = []
    if choice.cut_after is not None and choice.left_out:
        breaks.append(choice.cut_after)
    if len(choice.groups) > 1 and choice.groups[-1] == ALL:
        breaks.append(len(choice.groups) - 2)
    return breaks


def _name(card: Scorecard, group: str) -> str:
    """A group's display name beside its id (CSM names), empty when it would repeat the id."""
    name = card.names.get(group, "") if card.group_by == "csm" else ""
    return "" if group in (ALL, UNASSIGNED) or name.casefold() == group.casefold() else name


def _group_keys(card: Scorecard, choice: RowChoice) -> tuple[list[Column], Column]:
    """Rank, id and (by csm) name columns, and the score column."""
    groups, scores = choice.groups, _Scores(card)
    keys = [
        Column("#", [scores.rank(g) for g in groups]),
        Column(card.group_by, [Text(g) for g in groups], justify="left"),
    ]
    if any(_name(card, g) for g in groups):
        keys.append(Column("name", [Text(_name(card, g)) for g in groups], justify="left", text=True))
    return keys, Column("score", [scores.score(g) for g in groups])


def _kpi_columns(card: Scorecard, choice: RowChoice, cells: Cells) -> list[Column]:
    compare = card.compare is not None
    columns = []
    for kpi in card.kpis:
        target = numbers.target(kpi.target.target, kpi.target.better, kpi.unit)
        header = f"{kpi.label}\n{target}" if target else kpi.label
        values = [cell(cells.get((g, kpi.id)), kpi, compare=compare) for g in choice.groups]
        columns.append(Column(header, values, header_min=0, tag=kpi))
    return columns


def _transposed(card: Scorecard, choice: RowChoice, cells: Cells, width: int) -> list[list[Column]]:
    """KPIs as rows, a column per group; score and rank as the last two rows."""
    compare, scores = card.compare is not None, _Scores(card)
    labels = [Text(k.label) for k in card.kpis] + [Text("score", style="bold"), Text("rank", style="bold")]
    targets = [Text(numbers.target(k.target.target, k.target.better, k.unit)) for k in card.kpis]
    keys = [
        Column("KPI", labels, justify="left", text=True, text_max=LABEL_MAX),
        Column("target", [*targets, Text(""), Text("")]),
    ]
    columns = []
    for group in choice.groups:
        name = _name(card, group)
        values = [cell(cells.get((group, k.id)), k, compare=compare) for k in card.kpis]
        values += [scores.score(group), scores.rank(group)]
        columns.append(Column(f"{group}\n{name}" if name else group, values, header_min=0, tag=group))
    return pages(keys, columns, width)


def layout(card: Scorecard, choice: RowChoice, width: int) -> tuple[str, list[list[Column]]]:
    """The layout's name (``side-by-side``, ``kpis-as-rows``, ``kpi-pages``) and its pages of columns."""
    cells = _cells(card)
    keys, score = _group_keys(card, choice)
    kpi_columns = _kpi_columns(card, choice, cells)
    wide = [*keys, *kpi_columns, score]
    if table_width(wide) <= width:
        return "side-by-side", [wide]
    per_row = 2 if card.compare is not None else 1
    by_kpi = _transposed(card, choice, cells, width)
    paged = pages([*keys, score], kpi_columns, width)
    sections = len(_sections(choice))
    lines_by_kpi = sum(header_height(p) + 2 + (len(card.kpis) + 2) * per_row + 1 for p in by_kpi)
    lines_paged = sum(header_height(p) + 2 + len(choice.groups) * per_row + sections for p in paged)
    if lines_by_kpi <= lines_paged:
        return "kpis-as-rows", by_kpi
    return "kpi-pages", paged


def render(card: Scorecard, choice: RowChoice, width: int) -> RenderableType:
    """The whole terminal scorecard: heading, the tables of its layout, legend and notes."""
    name, layout_pages = layout(card, choice, width)
    parts: list[RenderableType] = [heading(card)]
    sections = [len(card.kpis) - 1] if name == "kpis-as-rows" else _sections(choice)
    # Group pages count columns (ALL is one), not groups, which the footer counts without ALL.
    what, total = ("KPIs", len(card.kpis)) if name == "kpi-pages" else ("columns", len(choice.groups))
    done = 0
    for number, columns in enumerate(layout_pages, start=1):
        shown = sum(1 for c in columns if c.tag is not None)
        title = None
        if len(layout_pages) > 1:
            title = f"{what} {done + 1}–{done + shown} of {total} · page {number} of {len(layout_pages)}"
        done += shown
        parts.extend([Text(""), rich_table(columns, sections=sections, title=title)])
    return Group(*parts, *footer(card, choice))


def render_long(card: Scorecard, choice: RowChoice, width: int) -> RenderableType:
    """The long layout on a terminal: a row per group and KPI with its numbers, in pages that fit."""
    cells = _cells(card)
    rows = [cells[(g, k.id)] for g in choice.groups for k in card.kpis if (g, k.id) in cells]
    kpis = {k.id: k for k in card.kpis}
    first = [i == 0 or rows[i - 1]["group"] != row["group"] for i, row in enumerate(rows)]
    keys = [
        Column(
            card.group_by, [Text(r["group"] if f else "") for r, f in zip(rows, first, strict=True)], justify="left"
        ),
        Column("KPI", [Text(r["label"]) for r in rows], justify="left", text=True, text_max=LABEL_MAX),
    ]

    def unit(row: dict[str, Any]) -> Unit:
        return kpis[row["kpi"]].unit

    others = [
        Column("value", [cell(r, kpis[r["kpi"]]) for r in rows]),
        Column("numerator", [Text(numbers.plain(r["numerator"])) for r in rows]),
        Column("denominator", [Text(numbers.plain(r["denominator"])) for r in rows]),
        Column("n", [Text(f"{r['sample_size']:,}") for r in rows]),
        Column("target", [Text(numbers.target(r["target"], kpis[r["kpi"]].target.better, unit(r))) for r in rows]),
        Column("attainment", [Text(numbers.percent(r["attainment"])) for r in rows]),
        Column("status", [_status_word(r["status"]) for r in rows], justify="left"),
    ]
    if card.compare is not None:
        label = card.compare.period.label
        others.append(Column(label, [Text(numbers.human(r["compare_value"], unit(r))) for r in rows]))
        others.append(Column("change", [Text(numbers.change(r["change"], unit(r))) for r in rows]))
    breaks = [i - 1 for i in range(1, len(rows)) if first[i]]
    parts: list[RenderableType] = [heading(card)]
    layout_pages = pages(keys, others, width)
    for number, columns in enumerate(layout_pages, start=1):
        title = f"page {number} of {len(layout_pages)}" if len(layout_pages) > 1 else None
        parts.extend([Text(""), rich_table(columns, sections=breaks, title=title)])
    return Group(*parts, *footer(card, choice))


def _status_word(status: str | None) -> Text:
    if not status:
        return Text("")
    mark = numbers.MARKS.get(status, "")
    return Text(f"{mark} {status}" if mark else status, style=numbers.STYLES.get(status, ""))
