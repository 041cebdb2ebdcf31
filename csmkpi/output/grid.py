"""Tables that fit the terminal: columns sized to their content, split into pages, never a cut number.

Rich squeezes a table wider than the terminal and cuts its cells with ``…``. Here every column is
as wide as its widest cell, headers wrap at word boundaries, and when the columns do not fit side
by side they are dealt onto pages, each repeating the *key* columns (a group's id and name, a KPI's
label) so every page reads on its own. Only free text (names, labels) may wrap; numbers never do.
"""

from __future__ import annotations

import dataclasses
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property

from rich import box
from rich.cells import cell_len
from rich.table import Table
from rich.text import Text

GAP = 2  # columns are separated by two spaces (no vertical rules: more room for numbers)
HEADER_MIN = 12  # a KPI header may widen a narrow column up to this, to wrap onto fewer lines
TEXT_MAX = 24  # free text wraps beyond this width (unless the column says otherwise)


def wrap(text: str, width: int) -> list[str]:
    """Lines of ``text`` no wider than ``width``, broken at spaces (a longer word stays whole)."""
    lines: list[str] = []
    for part in text.split("\n"):
        lines.extend(textwrap.wrap(part, width, break_long_words=False, break_on_hyphens=False) or [""])
    return lines


@dataclass
class Column:
    """One column: a header (may wrap) and one cell per row (a cell may hold several lines)."""

    header: str
    cells: list[Text] = field(default_factory=list)
    justify: str = "right"
    key: bool = False  # repeated on every page
    text: bool = False  # free text: wraps at ``text_max`` instead of widening the column
    header_min: int = HEADER_MIN  # a long header may widen the column up to this
    text_max: int = TEXT_MAX
    header_style: str = "bold"
    tag: object = None  # what the column shows (a KPI, a group), for page titles

    @cached_property
    def width(self) -> int:
        """The column's width: its widest cell line, widened a little for a long header."""
        cells = max((cell_len(line) for cell in self.cells for line in cell.plain.split("\n")), default=0)
        if self.text:  # wraps at spaces: as wide as its longest word at least
            word = max((cell_len(w) for cell in self.cells for w in cell.plain.split()), default=0)
            cells = max(min(cells, self.text_max), word)
        words = max((cell_len(word) for word in self.header.split()), default=0)
        header = min(cell_len(self.header.replace("\n", " ")), max(self.header_min, cells))
        return max(cells, words, header, 1)

    def header_lines(self) -> list[str]:
        """The header wrapped to the column's width."""
        return wrap(self.header, self.width)


def table_width(columns: Sequence[Column]) -> int:
    """The printed width of a table of these columns."""
    return sum(c.width for c in columns) + GAP * max(len(columns) - 1, 0)


def pages(keys: Sequence[Column], others: Sequence[Column], width: int, *, shrink: bool = False) -> list[list[Column]]:
    """Deal ``others`` onto pages of at most ``width`` columns, the ``keys`` at the left of each.

    As few pages as the width allows, with the columns spread evenly over them (9 groups on 3
    pages: 3, 3 and 3, not 4, 4 and 1). A page always takes at least one column, so a terminal
    narrower than the keys and one column still shows everything (Rich then wraps the text).
    With ``shrink``, free text wraps narrower (down to 12 characters) when that saves a page.
    """
    best = _pages(keys, others, width)
    if shrink and len(best) > 1 and any(c.text for c in [*keys, *others]):
        for narrower in (20, 16, 12):
            keys, others = _narrow(keys, narrower), _narrow(others, narrower)
            tried = _pages(keys, others, width)
            if len(tried) < len(best):
                return tried
    return best


def _narrow(columns: Sequence[Column], most: int) -> list[Column]:
    return [dataclasses.replace(c, text_max=min(c.text_max, most)) if c.text else c for c in columns]


def _pages(keys: Sequence[Column], others: Sequence[Column], width: int) -> list[list[Column]]:
    greedy = _deal(keys, others, width, len(others) or 1)
    if len(greedy) > 1:
        even = _deal(keys, others, width, -(-len(others) // len(greedy)))
        if len(even) == len(greedy):
            return even
    return greedy


def _deal(keys: Sequence[Column], others: Sequence[Column], width: int, most: int) -> list[list[Column]]:
    """Fill pages left to right, at most ``most`` columns each."""
    result: list[list[Column]] = []
    page: list[Column] = []
    for column in others:
        if page and (len(page) >= most or table_width([*keys, *page, column]) > width):
            result.append([*keys, *page])
            page = []
        page.append(column)
    if page or not result:
        result.append([*keys, *page])
    return result


def header_height(columns: Sequence[Column]) -> int:
    """Lines the header of these columns takes."""
    return max((len(c.header_lines()) for c in columns), default=1)


def rich_table(columns: Sequence[Column], *, sections: Sequence[int] = (), title: str | None = None) -> Table:
    """A Rich table of the columns, each exactly its width; a rule after each row index in ``sections``."""
    table = Table(
        box=box.HORIZONTALS,
        show_edge=False,
        pad_edge=False,
        collapse_padding=True,
        title=title,
        title_justify="left",
        title_style="bold",
        header_style="",
    )
    for column in columns:
        table.add_column(
            Text("\n".join(column.header_lines()), style=column.header_style),
            justify=column.justify,  # type: ignore[arg-type]
            width=column.width,
            no_wrap=not column.text,
            overflow="fold",
        )
    rows = max((len(c.cells) for c in columns), default=0)
    breaks = set(sections)
    for index in range(rows):
        table.add_row(*(c.cells[index] for c in columns), end_section=index in breaks)
    return table
