"""The report as one self-contained HTML page: a Jinja2 template (autoescaped) fed with ready-made cells.

Every number on the page is a :class:`Num`: its text as people read it (``csmkpi.output.numbers``, as
the terminal and XLSX show it) and, in data attributes, the machine value it was made from and where
that value is in the machine formats of the same run (``data-src`` score|trend|reasons|drivers,
``data-kpi``, ``data-group``, ``data-field``...). Tests and readers can check one against the other.

The page is cut into sheets: each prints on one page (A4 or Letter) and a chart never splits, so the
page count is known before printing: :func:`sheet_count`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from csmkpi import __version__
from csmkpi.dimensions import ALL
from csmkpi.metrics.base import Unit
from csmkpi.output import numbers

if TYPE_CHECKING:
    from csmkpi.engine import Kpi, Scorecard
    from csmkpi.report.build import Report

DEPARTMENT_ROWS = 36  # KPI rows of the department's table on one printed page
GROUPS_PER_TABLE = 4  # group columns of one scorecard table (fits A4 portrait and Letter)
ROWS_PER_TABLE = 24  # KPI rows of one scorecard table (one printed page)
CHARTS_PER_SHEET = 6  # trend charts per printed page (two columns of three)
DRIVERS_ROWS = 18  # indicator rows of the drivers table on one printed page
REASONS_CHARTED = 12  # reasons a Pareto chart shows (the table shows every one)
REASONS_FIRST = 12  # reasons in the table under the charts; the rest on pages of REASONS_ROWS
REASONS_ROWS = 40
STATUS_WORDS = {"green": "met", "amber": "close", "red": "below", "low-n": "low n", "no-data": "no data"}
SIGNAL_WORDS = {"limit": "beyond a limit", "range": "abrupt jump", "run": "in a run", "near": "near a limit"}


@dataclass(frozen=True)
class Num:
    """A number on the page: ``text`` shown; ``raw`` the machine value; ``attrs`` where it comes from."""

    text: str
    raw: float | int | None
    attrs: dict[str, str] = field(default_factory=dict)
    scale: int = 1  # 100 when the text is a percentage of raw

    @property
    def raw_text(self) -> str:
        """The machine value as text (``repr`` of the float: every digit), "" when empty."""
        if self.raw is None or (isinstance(self.raw, float) and not math.isfinite(self.raw)):
            return ""
        return repr(self.raw)


def _ratio_scale(unit: Unit) -> int:
    return 100 if unit is Unit.RATIO else 1


def value(raw: float | None, unit: Unit, **attrs: str) -> Num:
    """A KPI value as the scorecard shows it."""
    return Num(numbers.human(raw, unit), raw, attrs, _ratio_scale(unit))


def change(raw: float | None, unit: Unit, **attrs: str) -> Num:
    """A change vs the previous period (``▲ 2.1 pp``)."""
    return Num(numbers.change(raw, unit), raw, attrs, _ratio_scale(unit))


def plain(raw: float | int | None, decimals: int | None = None, **attrs: str) -> Num:
    """A count or amount with thousands separators, or a statistic with ``decimals`` decimals."""
    if raw is None or (isinstance(raw, float) and not math.isfinite(raw)):
        return Num(numbers.NONE, None, attrs)
    if decimals is None:
        return Num(numbers.plain(raw), raw, attrs)
    return Num(f"{round(float(raw), decimals) + 0.0:,.{decimals}f}", raw, attrs)


def share(raw: float | None, **attrs: str) -> Num:
    """A share as a percentage (``52.7%``)."""
    return Num(numbers.percent(raw) or numbers.NONE, raw, attrs, 100)


@dataclass(frozen=True)
class Cell:
    """A scorecard cell: the value with its status, and the change vs the previous period."""

    value: Num
    status: str | None
    change: Num | None

    @property
    def mark(self) -> str:
        """The status symbol (✓ ~ ✗ ?)."""
        return numbers.MARKS.get(self.status or "", "")

    @property
    def word(self) -> str:
        """The status in words, for the title attribute and print."""
        return STATUS_WORDS.get(self.status or "", "")


@dataclass(frozen=True)
class Row:
    """A KPI row of a scorecard table."""

    kpi: str
    label: str
    target: Num | None
    cells: list[Cell]


def _long(card: Scorecard) -> dict[tuple[str, str], dict[str, Any]]:
    return {(r["group"], r["kpi"]): r for r in card.long_table().iter_rows(named=True)}


def _cell(row: dict[str, Any] | None, kpi: Kpi, group: str, compared: bool) -> Cell:
    unit = kpi.unit
    if row is None:
        return Cell(value(None, unit), None, None)
    attrs = {"src": "score", "kpi": kpi.id, "group": group}
    moved = change(row.get("change"), unit, **attrs, field="change") if compared else None
    return Cell(value(row["value"], unit, **attrs, field="value"), row["status"], moved)


def _target(kpi: Kpi) -> Num | None:
    goal = kpi.target.target
    if goal is None:
        return None
    text = numbers.target(goal, kpi.target.better, kpi.unit)
    return Num(text, goal, {"src": "score", "kpi": kpi.id, "field": "target"}, _ratio_scale(kpi.unit))


def department_rows(card: Scorecard) -> list[dict[str, Any]]:
    """ALL's row per KPI: target, value and status, the previous period's value, the change."""
    rows = _long(card)
    out = []
    for kpi in card.kpis:
        row = rows.get((ALL, kpi.id))
        cell = _cell(row, kpi, ALL, card.compare is not None)
        before = None
        if card.compare is not None and row is not None:
            attrs = {"src": "score", "kpi": kpi.id, "group": ALL, "field": "compare_value"}
            before = value(row.get("compare_value"), kpi.unit, **attrs)
        out.append({"kpi": kpi.id, "label": kpi.label, "target": _target(kpi), "cell": cell, "before": before})
    return out


def chunks(items: Sequence[Any], size: int) -> list[Sequence[Any]]:
    """``items`` in runs of ``size`` (the last may be shorter); one empty run when there are none."""
    return [items[i : i + size] for i in range(0, len(items), size)] or [[]]


def group_tables(card: Scorecard, groups: Sequence[str]) -> list[dict[str, Any]]:
    """The scorecard of ``groups`` (ALL left out: the department table has it) in tables that print on a page."""
    rows = _long(card)
    scores = {r["group"]: r for r in card.scores.iter_rows(named=True)}
    shown = [g for g in groups if g != ALL]
    tables = []
    for part in chunks(shown, GROUPS_PER_TABLE):
        heads = [{"id": g, "name": card.names.get(g, "")} for g in part]
        body = [
            Row(
                kpi.id,
                kpi.label,
                _target(kpi),
                [_cell(rows.get((g, kpi.id)), kpi, g, card.compare is not None) for g in part],
            )
            for kpi in card.kpis
        ]
        score_row = [plain(scores.get(g, {}).get("score"), 1, src="score", group=g, field="score") for g in part]
        rank_row = [plain(scores.get(g, {}).get("rank"), None, src="score", group=g, field="rank") for g in part]
        kpi_parts = chunks(body, ROWS_PER_TABLE)
        for i, kpi_part in enumerate(kpi_parts):
            last = i == len(kpi_parts) - 1
            tables.append(
                {
                    "groups": heads,
                    "rows": kpi_part,
                    "score": score_row if last else None,
                    "rank": rank_row if last else None,
                }
            )
    return tables if shown else []


def sheet_count(kpis: int, groups: int, *, report: bool = True, indicators: int = 0, reasons: int = 0) -> int:
    """Printed pages of a report (or of ``score --format html``).

    Args:
        kpis: KPI rows of the scorecard.
        groups: Groups the scorecard by group shows (ALL not counted).
        report: The whole report (else the scorecard part alone).
        indicators: Rows of the drivers table (0: no table, a line says why).
        reasons: Rows of the churn-reason table (department-wide).
    """
    tables = math.ceil(groups / GROUPS_PER_TABLE) * math.ceil(kpis / ROWS_PER_TABLE) if groups else 0
    pages = max(1, math.ceil(kpis / DEPARTMENT_ROWS)) + tables
    if report:  # the trends, the waterfall, the reasons, the drivers
        pages += math.ceil(kpis / CHARTS_PER_SHEET) + 1 + max(1, math.ceil(indicators / DRIVERS_ROWS))
        pages += 1 + math.ceil(max(0, reasons - REASONS_FIRST) / REASONS_ROWS)
    return pages


def _environment() -> Any:
    from csmkpi.extras import require

    jinja2 = require("jinja2", "report", purpose="the HTML report")
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("csmkpi.report", "templates"),
        autoescape=True,  # every text from the data is escaped; only the drawn SVG is marked safe
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
    )
    from markupsafe import Markup  # Jinja2's own dependency

    env.globals["safe_svg"] = Markup
    return env


def _about(card: Scorecard, as_of_shown: bool) -> dict[str, Any]:
    period = card.period
    compare = card.compare.period if card.compare is not None else None
    return {
        "period": period,
        "partial": period.partial,
        "as_of": card.as_of.isoformat() if as_of_shown else None,
        "by": card.group_by,
        "compare": compare,
        "version": __version__,
        "amber_at": numbers.percent(card.amber_at),
    }


def render_scorecard(card: Scorecard, groups: Sequence[str], *, as_of_shown: bool, left_out: str = "") -> bytes:
    """``score --format html``: the report's first part (title, department table, the groups' tables).

    ``left_out`` says which groups ``--top`` left out, if any.
    """
    env = _environment()
    page = env.get_template("report.html.j2").render(
        kind="scorecard",
        about=_about(card, as_of_shown),
        title=f"Scorecard {card.period.label}",
        department_parts=chunks(department_rows(card), DEPARTMENT_ROWS),
        tables=group_tables(card, groups),
        left_out=left_out,
        notes=list(card.notes),
        marks=_legend(),
        sheets=sheet_count(len(card.kpis), len([g for g in groups if g != ALL]), report=False),
    )
    return page.encode("utf-8")


def _legend() -> list[tuple[str, str, str]]:
    return [(status, numbers.MARKS[status], numbers.WORDS[status]) for status in ("green", "amber", "red", "low-n")]


def render_report(report: Report, *, top: int = 20) -> bytes:
    """The whole report as UTF-8 HTML bytes (the same report, the same bytes).

    The scorecard by group shows the top and bottom ``top`` groups by score (0: every group), as the
    terminal does: a report is read by people, and a thousand CSMs would be fifty pages of tables.
    """
    from csmkpi.output.rows import choose
    from csmkpi.report import sections

    card = report.card
    choice = choose(card, top=top or None)
    groups = [g for g in choice.groups if g != ALL]
    env = _environment()
    page = env.get_template("report.html.j2").render(
        kind="report",
        about=_about(card, report.as_of_shown),
        title=f"Customer Success report {card.period.label}",
        department_parts=chunks(department_rows(card), DEPARTMENT_ROWS),
        tables=group_tables(card, groups),
        left_out=choice.note or "",
        notes=list(report.notes),
        marks=_legend(),
        trend=sections.trend(report),
        waterfall=sections.waterfall(report),
        reasons=sections.reasons(report),
        drivers=sections.drivers(report),
        waterfall_note=report.waterfall_note,
        reasons_note=report.reasons_note,
        drivers_note=report.drivers_note,
        sheets=sheet_count(
            len(card.kpis),
            len(groups),
            indicators=report.drivers.rows.height if report.drivers is not None else 0,
            reasons=report.reasons_by_logos.height if report.reasons_by_logos is not None else 0,
        ),
    )
    return page.encode("utf-8")
