"""Which tables and columns a run needs, and loading them validated.

Every problem in every table is collected before the run stops, so one
``validate`` shows them all. Cross-table checks (unknown accounts, owners who
are not in csms) are warnings: such units roll up as ``(unassigned)``.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl

from csmkpi import progress
from csmkpi.errors import DataError, InputMissingError, Issue
from csmkpi.loading import LINE, ByteScan, TableSource, probe, read_table, scan_ahead
from csmkpi.schemas import TABLES, default_file, table_spec
from csmkpi.validation import RULE_COLUMNS, NumberFormat, TableOptions, validate_table

EXTENSIONS = (".csv", ".tsv", ".txt", ".parquet")
EVENT_TABLES = (
    "mrr",
    "subscriptions",
    "tickets",
    "surveys",
    "opportunities",
    "activities",
    "assignments",
    "usage",
    "milestones",
)


@dataclass
class Dataset:
    """Typed tables of a run (only those present) and the warnings found loading them."""

    tables: dict[str, pl.DataFrame] = field(default_factory=dict)
    warnings: list[Issue] = field(default_factory=list)
    files: dict[str, Path] = field(default_factory=dict)
    folder_files: tuple[Path, ...] = ()  # every file of the data folder, read or not: never an output
    _last_months: dict[str, date | None] = field(default_factory=dict, repr=False)

    def last_month(self, table: str) -> date | None:
        """The latest month of a snapshot table (mrr, usage) with at least one row; None when it has none."""
        if table not in self._last_months:
            self._last_months[table] = self.tables[table]["month"].max()  # type: ignore[assignment]
        return self._last_months[table]

    def lazy(self) -> dict[str, pl.LazyFrame]:
        """Return the tables as LazyFrames without the line column."""
        return {name: frame.drop(LINE).lazy() for name, frame in self.tables.items()}


def dimension_columns(by: str) -> dict[str, set[str]]:
    """Columns needed to attribute units and group them ``by`` a dimension."""
    needed: dict[str, set[str]] = {
        "accounts": {"account_id", "csm_id", "account_name"},
        "csms": {"csm_id", "csm_name"},
        "assignments": {"account_id", "csm_id", "start_date", "end_date"},
    }
    if by in ("team", "manager"):
        needed["csms"].add(by)
    elif by in ("segment", "region"):
        needed["accounts"].add(by)
    return needed


def merge_columns(*needs: Mapping[str, Iterable[str]]) -> dict[str, set[str]]:
    """Union of column needs per table."""
    merged: dict[str, set[str]] = {}
    for need in needs:
        for table, columns in need.items():
            merged.setdefault(table, set()).update(columns)
    return merged


def find_source(table: str, data_dir: Path, options: Any) -> TableSource | None:
    """Find a table's file; None when the table is absent (every table is optional)."""
    if options is not None and options.file:
        path = data_dir / options.file
        kind = probe(path, f"data.tables.{table}.file in the config")
        if kind is None:
            raise InputMissingError(f"{path}: file not found (data.tables.{table}.file in the config)")
    else:
        stem = default_file(table).rsplit(".", 1)[0]
        candidates = [data_dir / f"{stem}{ext}" for ext in EXTENSIONS]
        # The first that exists in any form: a folder or a dangling link named like a table is an error, not absence.
        found = next(((p, k) for p in candidates if (k := probe(p)) is not None), None)
        if found is None:
            return None
        path, kind = found
    return TableSource(
        table=table,
        path=path,
        columns=dict(options.columns) if options is not None else {},
        delimiter=(options.delimiter if options is not None else None) or ("\t" if path.suffix == ".tsv" else None),
        encoding=options.encoding if options is not None else "utf-8",
        stream=kind == "stream",
    )


def _folder_files(data_dir: Path) -> tuple[Path, ...]:
    """Every file of the data folder (never an output); none when the folder cannot be listed (x without r)."""
    try:
        return tuple(p for p in data_dir.iterdir() if p.is_file())
    except OSError:
        return ()


def _with_rule_columns(table: str, columns: Iterable[str]) -> set[str]:
    """The needed columns plus the table's keys and the partners of any row rule they touch."""
    wanted = set(columns) | set(TABLES[table].unique)
    for group in RULE_COLUMNS.get(table, ()):
        if wanted & group:
            wanted |= group
    return wanted


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:  # read_table reports it
        return 0


def _split_small(
    order: list[tuple[str, TableSource]], share: float = 0.25
) -> tuple[list[tuple[str, TableSource]], list[tuple[str, TableSource]]]:
    """Split tables (largest first) into the large ones and the smallest.

    The small ones together are at most ``share`` of the largest file: little memory on top of
    the peak, whichever moment they load at.
    """
    budget = _size(order[0][1].path) * share if order else 0
    cut = len(order)
    while cut > 1 and _size(order[cut - 1][1].path) <= budget:
        budget -= _size(order[cut - 1][1].path)
        cut -= 1
    return order[:cut], order[cut:]


def _options(options: Any) -> TableOptions:
    if options is None:
        return TableOptions()
    fmt = options.number_format
    return TableOptions(
        date_format=options.date_format,
        number_format=NumberFormat(fmt.thousands, fmt.decimal, fmt.currency) if fmt is not None else None,
    )


def load(
    data_dir: Path,
    needed: Mapping[str, Iterable[str]],
    table_options: Mapping[Any, Any],
    levels: Mapping[str, str] | None = None,
    *,
    all_columns: bool = False,
) -> Dataset:
    """Read and validate the needed tables; raise ``DataError`` listing every error."""
    data_dir = Path(os.path.normpath(data_dir))  # "configs/../sample_data" reads better as "sample_data"
    if not data_dir.is_dir():
        why = "is not a folder" if os.path.lexists(data_dir) else "data directory not found"
        raise InputMissingError(f"{data_dir}: {why} (set data.dir in the config or pass --data)")
    dataset = Dataset(folder_files=_folder_files(data_dir))
    sources = {
        table: source
        for table in TABLES
        if (table in needed or all_columns) and (source := find_source(table, data_dir, table_options.get(table)))
    }
    if not sources:
        _check_not_empty(data_dir, table_options)
    found: dict[str, list[Issue]] = {}
    loaded: dict[str, pl.DataFrame] = {}
    ready = {table: threading.Event() for table in sources}  # set when a table is loaded or has failed
    observer, started, count = progress.current(), [0], len(sources)
    lock = threading.Lock()

    def load_one(table: str, source: TableSource, scanned: ByteScan | None = None) -> None:
        with lock:
            started[0] += 1
            size = progress.file_size(_size(source.path))
            step = f"reading {source.path.name} {size} ({started[0]} of {count} tables)"
        progress.report(step, observer)
        try:
            specs = table_spec(table)
            required = [name for name, spec in specs.items() if spec.required]
            wanted = list(specs) if all_columns else [c for c in specs if c in _with_rule_columns(table, needed[table])]
            try:
                raw = read_table(source, wanted, required, scanned)
            except DataError as exc:
                found[table] = list(exc.issues)
                return
            loaded[table], found[table] = validate_table(raw, _options(table_options.get(table)), levels)
        finally:
            ready[table].set()

    # Largest file first: its read and validation, the peak of memory, then happen before the other
    # tables are held. The small tables load beside the large ones, in a second thread: Polars
    # releases the GIL, and they fill the moments when a large table's work keeps only one core busy.
    # That thread then makes the plain reader's pass over the bytes of each large file but the first,
    # ahead of its turn, and runs the cross-table checks, each as soon as its two tables are loaded.
    order = sorted(sources.items(), key=lambda item: -_size(item[1].path))
    large, small = _split_small(order)
    side = ThreadPoolExecutor(max_workers=1, thread_name_prefix="csmkpi-load")
    pending: list[Future[Any]] = []
    try:
        pending.extend(side.submit(load_one, table, source) for table, source in small)
        ahead = {table: side.submit(scan_ahead, source) for table, source in large[1:]}
        pending.extend(ahead.values())
        pending.append(crossing := side.submit(_cross_check, [t for t, _ in small + large], sources, loaded, ready))
        for table, source in large:
            load_one(table, source, ahead[table].result() if table in ahead else None)
        for job in pending:
            job.result()
        crossed = crossing.result()
    except BaseException:  # Ctrl-C, SIGTERM, a bug: the side thread stops after the table it is on
        for job in pending:
            job.cancel()
        for event in ready.values():  # the cross checks wait for no table that will not come
            event.set()
        # Not waiting for it: it may be blocked for good (reading a FIFO nobody writes), and an
        # interrupted run must end now (the CLI then exits without joining threads).
        side.shutdown(wait=False, cancel_futures=True)
        raise
    side.shutdown()
    issues = [issue for table in sources for issue in found.get(table, [])]  # in table order
    errors = [i for i in issues if i.level == "error"]
    dataset.warnings.extend(i for i in issues if i.level != "error")
    dataset.tables = {table: loaded[table] for table in sources if table in loaded}
    dataset.files = {table: sources[table].path for table in dataset.tables}
    if errors:
        raise DataError(f"the data has {len(errors)} problem{'s' if len(errors) != 1 else ''}", errors)
    dataset.warnings.extend(issue for check in CROSS_CHECKS if (issue := crossed.get(check)) is not None)
    return dataset


def _check_not_empty(data_dir: Path, table_options: Mapping[Any, Any]) -> None:
    """Raise when the data folder holds none of the tables (SPEC §2, "Files that are not tables")."""
    looked: list[str] = []
    for table in TABLES:
        options = table_options.get(table)
        try:
            if find_source(table, data_dir, options) is not None:
                return
        except InputMissingError:
            pass
        if options is not None and options.file:
            looked.append(options.file)
        else:
            looked.append(default_file(table))
    raise InputMissingError(
        f"{data_dir}: none of the tables is in this folder (looked for {', '.join(looked)}; "
        f"also .tsv, .txt or .parquet); set data.dir in the config or pass --data"
    )


def _cross_check(
    order: list[str],
    sources: Mapping[str, TableSource],
    loaded: Mapping[str, pl.DataFrame],
    ready: Mapping[str, threading.Event],
) -> dict[CrossCheck, Issue | None]:
    """Run each cross-table check whose tables are present as soon as both are loaded (``order``: expected)."""
    position = {table: i for i, table in enumerate(order)}
    present = [c for c in CROSS_CHECKS if c.table in sources and c.known in sources]
    crossed: dict[CrossCheck, Issue | None] = {}
    for check in sorted(present, key=lambda c: max(position[c.table], position[c.known])):
        ready[check.table].wait()
        ready[check.known].wait()
        if check.table in loaded and check.known in loaded:
            crossed[check] = check.run(loaded[check.table], loaded[check.known], sources[check.table])
    return crossed


@dataclass(frozen=True)
class CrossCheck:
    """Values of ``table.column`` missing from ``known.column``: a warning (such units roll up as unassigned)."""

    table: str
    column: str
    known: str
    message: str

    def run(self, frame: pl.DataFrame, known: pl.DataFrame, source: TableSource) -> Issue | None:
        """The warning for the unknown values of ``frame`` (first one and how many more), or None."""
        if self.column not in frame.columns:
            return None
        column = pl.col(self.column)
        unknown = frame.filter(column.is_not_null() & ~column.is_in(known[self.column].implode()))
        if unknown.is_empty():
            return None
        first = unknown.row(0, named=True)
        return Issue(
            level="warning",
            message=self.message,
            file=str(source.path),
            line=first[LINE],
            column=self.column,
            value=str(first[self.column]),
            check="unknown_reference",
            more=unknown.height - 1,
        )


_UNKNOWN_ACCOUNT = (
    "account_id is not in accounts; its rows roll up as (unassigned) unless assignments name an owner, "
    "and never to a segment or region"
)
_UNKNOWN_CSM = "csm_id is not in csms; it is its own group by csm, and (unassigned) by team or manager"
# In the order their warnings are reported.
CROSS_CHECKS = (
    *(CrossCheck(table, "account_id", "accounts", _UNKNOWN_ACCOUNT) for table in EVENT_TABLES),
    *(CrossCheck(table, "csm_id", "csms", _UNKNOWN_CSM) for table in ("accounts", "assignments")),
)
