"""The terminal scorecard: it fits every width from 80 columns, never cuts a number, reads without colour.

Snapshots (``tests/golden/terminal/<department>_<width>.txt``) pin what a 80-, 120- and 200-column
terminal shows for departments of 8, 90 and 2,000 CSMs with the bundled 22-KPI config. Rendered with
Rich's ``Console(width=..., record=True)``, colour off. After an intended change:

    UPDATE_GOLDEN=1 python -m pytest tests/output/test_terminal.py

Whatever the snapshot, every rendering must hold: no line wider than the terminal, no ``…``, every
KPI cell of every shown group present with its value formatted from the machine value and its
status mark, and no number that is not a machine value.
"""

from __future__ import annotations

import difflib
import os
import re

import pytest
from departments import ROOT
from rich.cells import cell_len
from rich.console import Console

from csmkpi.dimensions import ALL
from csmkpi.output import numbers, rows
from csmkpi.output.scorecard import layout, render, render_long

GOLDEN = ROOT / "tests" / "golden" / "terminal"
UPDATE = os.environ.get("UPDATE_GOLDEN") == "1"
WIDTHS = (80, 120, 200)


def show(card, width: int, **choose) -> str:  # type: ignore[no-untyped-def]
    choice = rows.choose(card, top=choose.pop("top", rows.TERMINAL_TOP), **choose)
    console = Console(width=width, record=True, color_system=None, force_terminal=False, file=open(os.devnull, "w"))  # noqa: SIM115
    console.print(render(card, choice, width))
    return console.export_text(styles=False)


def assert_fits(text: str, width: int) -> None:
    lines = text.splitlines()
    assert max(cell_len(line) for line in lines) <= width
    assert "…" not in text and "..." not in text
    assert not re.search(r"\de[+-]\d", text), "scientific notation"


def assert_every_cell_shown(card, text: str, choice: rows.RowChoice) -> None:  # type: ignore[no-untyped-def]
    cells = {(r["group"], r["kpi"]): r for r in card.long.iter_rows(named=True)}
    tokens = set(re.split(r"\s{2,}|\n", text))
    for group in choice.groups:
        for kpi in card.kpis:
            row = cells[(group, kpi.id)]
            mark = numbers.MARKS.get(row["status"] or "", "")
            shown = numbers.human(row["value"], kpi.unit) + (f" {mark}" if mark else "")
            assert shown.strip() in {t.strip() for t in tokens}, (group, kpi.id, shown)


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("name", ["small", "csm90", "csm2000"])
def test_snapshot(cards, name, width):
    card = cards[name]
    text = show(card, width)
    assert_fits(text, width)
    choice = rows.choose(card, top=rows.TERMINAL_TOP)
    assert_every_cell_shown(card, text, choice)
    path = GOLDEN / f"{name}_{width}.txt"
    if UPDATE:
        path.write_text(text, encoding="utf-8")
        return
    expected = path.read_text(encoding="utf-8")
    if text != expected:
        diff = "".join(difflib.unified_diff(expected.splitlines(True), text.splitlines(True), str(path), "now"))
        pytest.fail(f"the terminal scorecard changed (UPDATE_GOLDEN=1 rewrites the snapshot):\n{diff[:6000]}")


@pytest.mark.parametrize("width", [80, 100, 120, 160, 200, 300])
@pytest.mark.parametrize("kpis", [1, 3, 8, 30])
@pytest.mark.parametrize("groups", [3, 12, 90, 3000])
def test_fits_from_3_to_3000_groups_and_1_to_30_kpis(cards, width, kpis, groups):
    """Every mix of a few or many groups and KPIs fits, with every shown cell on screen."""
    key = (groups, kpis)
    if key not in SUBSETS:
        SUBSETS[key] = _subset(cards["csm2000"], groups, kpis)
    card = SUBSETS[key]
    text = show(card, width, top=0 if groups <= 90 else 50)
    assert_fits(text, width)
    assert_every_cell_shown(card, text, rows.choose(card, top=0 if groups <= 90 else 50))


SUBSETS: dict[tuple[int, int], object] = {}  # made once, shown at every width


def _subset(card, groups: int, kpis: int):  # type: ignore[no-untyped-def]
    """The first ``kpis`` KPIs (repeated past 26) of the first ``groups`` groups (2,000 CSMs: padded by copies)."""
    import dataclasses

    import polars as pl

    chosen = [k for k in card.kpis][: min(kpis, len(card.kpis))]
    extra = []
    while len(chosen) + len(extra) < kpis:  # 30 KPIs: copies under new ids
        source = card.kpis[len(extra) % len(card.kpis)]
        extra.append(dataclasses.replace(source, id=f"{source.id}_copy{len(extra)}", label=f"{source.label} (copy)"))
    names = [g for g in card.group_order() if g != ALL]
    long = card.long
    if groups > len(names):  # more groups than the department: copies under new ids
        copies = [
            long.filter(pl.col("group") != ALL).with_columns(pl.concat_str(pl.col("group"), pl.lit(f"_{i}")).alias("group"))
            for i in range(1, -(-groups // len(names)))
        ]
        long = pl.concat([long, *copies])
    keep = [*sorted(set(long["group"].to_list()) - {ALL})[:groups], ALL]
    parts = [long.filter(pl.col("group").is_in(keep) & pl.col("kpi").is_in([k.id for k in chosen]))]
    for copy in extra:
        original = copy.id.rsplit("_copy", 1)[0]
        parts.append(long.filter(pl.col("group").is_in(keep) & (pl.col("kpi") == original)).with_columns(pl.lit(copy.id).alias("kpi")))
    long = pl.concat(parts)
    from csmkpi.scoring import composite

    every = [*chosen, *extra]
    return dataclasses.replace(card, kpis=tuple(every), long=long, scores=composite(long, [k.target for k in every]))


def test_top_shows_the_top_and_bottom_and_says_how_many_it_left_out(cards):
    card = cards["csm90"]
    choice = rows.choose(card, top=10)
    order = card.group_order()
    assert choice.groups == (*order[:5], *_ranked(card)[-5:], ALL)
    text = show(card, 200, top=10)
    scored = len(_ranked(card))
    assert f"top 5 and bottom 5 of 90 groups by score; 80 left out (ranks 6–{scored - 5}" in text.replace("\n", " ")
    assert "--top 0 shows all" in text


def _ranked(card) -> list[str]:  # type: ignore[no-untyped-def]
    ranks = dict(card.scores.select("group", "rank").iter_rows())
    return [g for g in card.group_order() if ranks.get(g) is not None]


def test_top_defaults_to_50_on_a_terminal_and_every_group_in_files(cards):
    card = cards["csm2000"]
    assert len(rows.choose(card, top=rows.TERMINAL_TOP).groups) == 51
    assert len(rows.choose(card).groups) == 2001


def test_sort_by_a_kpi_best_first(cards):
    card = cards["csm90"]
    choice = rows.choose(card, sort="logo_churn")  # better: lower
    values = dict(card.long.filter(card.long["kpi"] == "logo_churn").select("group", "value").iter_rows())
    known = [values[g] for g in choice.groups[:-1] if values[g] is not None]
    assert known == sorted(known)
    nrr = rows.choose(card, sort="NRR")  # any case
    values = dict(card.long.filter(card.long["kpi"] == "nrr").select("group", "value").iter_rows())
    known = [values[g] for g in nrr.groups[:-1] if values[g] is not None]
    assert known == sorted(known, reverse=True) and nrr.sort == "nrr"


def test_chosen_groups_keep_all(cards):
    card = cards["small"]
    choice = rows.choose(card, groups=["bob", "alice"])
    assert set(choice.groups) == {"alice", "bob", ALL} and choice.groups[-1] == ALL


def test_names_beside_ids(cards):
    text = show(cards["small"], 200)
    assert "Alice" in text and "Johnson" in text and "alice" in text
    text = show(cards["csm90"], 120)
    card = cards["csm90"]
    first = card.group_order()[0]
    assert card.names[first].split()[0] in text


def test_status_reads_without_colour(cards):
    text = show(cards["small"], 200)
    assert "✓" in text and "✗" in text and "~" in text
    assert "✓ target met" in text and "✗ below" in text


def test_side_by_side_when_the_kpis_fit(cards):
    card = _subset(cards["small"], 9, 3)
    name, pages = layout(card, rows.choose(card), 120)
    assert name == "side-by-side" and len(pages) == 1


def test_long_layout_on_a_terminal_never_uses_scientific_notation(cards):
    """The former long table printed ``7.182e+04`` for a numerator of 71,819.04."""
    card = cards["small"]
    console = Console(width=120, record=True, color_system=None, file=open(os.devnull, "w"))  # noqa: SIM115
    console.print(render_long(card, rows.choose(card, groups=["dave"]), 120))
    text = console.export_text(styles=False)
    assert_fits(text, 120)
    assert "71,819.04" in text and "e+0" not in text


def test_compare_shows_the_change_with_arrows_in_points(cards, departments):
    from departments import AS_OF, CONFIG

    from csmkpi import engine

    card = engine.score(
        engine.ScoreRequest(config=CONFIG, period="2026-Q3", as_of=AS_OF, data=departments["small"],
                            use_entry_points=False, compare="previous")
    )  # fmt: skip
    text = show(card, 200)
    assert_fits(text, 200)
    assert "Δ vs 2026-Q2 (2026-04-01 → 2026-06-30)" in text
    row = card.long_table().filter((card.long_table()["group"] == ALL) & (card.long_table()["kpi"] == "nrr")).row(0, named=True)
    assert numbers.change(row["change"], card.kpis[0].unit) in text
    assert " pp" in text and ("▲" in text or "▼" in text)
