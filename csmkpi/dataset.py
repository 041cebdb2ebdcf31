"""Which tables and columns a run needs, and loading them validated.

Every problem in every table is collected before the run stops, so one
``validate`` shows them all. Cross-table checks (unknown accounts, owners who
are not in csms) are warnings: such units roll up as ``(unassigned)``.
"""

from __future__ import annotations

import dataclasses
import os
import threading
from collections.abc import Iterable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl

from csmkpi import progress
from csmkpi.cache import Validated
from csmkpi.errors import DataError, InputMissingError, Issue
from csmkpi.fastpath import read_fast
from csmkpi.loading import LINE, ByteScan, TableSource, probe, read_table, scan_ahead
from csmkpi.periods import Period
from csmkpi.reach import Planner, Reach, covers, filtered
from csmkpi.schemas import TABLES, default_file, table_spec
from csmkpi.validation import RULE_COLUMNS, NumberFormat, TableOptions, validate_table

if TYPE_CHECKING:
    from csmkpi.cache import Cache

EXTENSIONS = (".csv", ".tsv", ".txt", ".parquet")
COUNT = "__count"  # rows of a value, in what a narrowed table keeps for its cross-table checks
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


class Tables(Mapping[str, pl.DataFrame]):
    """The typed tables of a run, by name: in memory, or Parquet scans of the cache read on first use.

    Queries should start from ``lazy``, so that a scan reads only the rows and columns they keep.
    """

    def __init__(
        self, frames: Mapping[str, pl.DataFrame | pl.LazyFrame] | None = None, handles: Iterable[object] = ()
    ) -> None:
        """Tables from frames or scans; ``handles``: the open cache entries the scans read through."""
        self._frames: dict[str, pl.DataFrame | pl.LazyFrame] = dict(frames or {})
        self._handles = list(handles)  # kept while the tables live: a scan reads its entry by descriptor

    def __getitem__(self, name: str) -> pl.DataFrame:
        """The whole table in memory (a scan is collected once)."""
        frame = self._frames[name]
        if isinstance(frame, pl.LazyFrame):
            frame = self._frames[name] = frame.collect()
        return frame

    def __contains__(self, name: object) -> bool:
        """Whether the run has this table (without reading it)."""
        return name in self._frames

    def __iter__(self) -> Iterator[str]:
        """Table names, in load order."""
        return iter(self._frames)

    def __len__(self) -> int:
        """How many tables."""
        return len(self._frames)

    def lazy(self, name: str) -> pl.LazyFrame:
        """A table as a LazyFrame (``__line`` included)."""
        return self._frames[name].lazy()

    def height(self, name: str) -> int:
        """A table's row count (a scan reads it from the Parquet metadata)."""
        frame = self._frames[name]
        return frame.height if isinstance(frame, pl.DataFrame) else int(frame.select(pl.len()).collect().item())


@dataclass
class Dataset:
    """Typed tables of a run (only those present) and the warnings found loading them."""

    tables: Tables = field(default_factory=Tables)
    warnings: list[Issue] = field(default_factory=list)
    files: dict[str, Path] = field(default_factory=dict)
    folder_files: tuple[Path, ...] = ()  # every file of the data folder, read or not: never an output
    # When set, the event tables hold only the rows the run's KPIs read over these periods (csmkpi.reach).
    narrowed: tuple[Period, ...] | None = None
    _last_months: dict[str, date | None] = field(default_factory=dict, repr=False)

    def holds(self, period: Period) -> bool:
        """Whether the tables hold every row a KPI reads for ``period`` (always, unless narrowed)."""
        return self.narrowed is None or covers(self.narrowed, period)

    def last_month(self, table: str) -> date | None:
        """The latest month of a snapshot table (mrr, usage) with at least one row; None when it has none."""
        if table not in self._last_months:
            latest = self.tables.lazy(table).select(pl.col("month").max()).collect().item()
            self._last_months[table] = latest
        return self._last_months[table]

    def lazy(self) -> dict[str, pl.LazyFrame]:
        """Return the tables as LazyFrames without the line column."""
        return {name: self.tables.lazy(name).drop(LINE) for name in self.tables}


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


def _settings(
    table: str,
    source: TableSource,
    wanted: list[str],
    keep: set[str] | None,
    options: TableOptions,
    levels: Mapping[str, str] | None,
) -> dict[str, object]:
    """What, besides the file, decides a validated table: the cache's key (SPEC section 9)."""
    return {
        "table": table,
        "columns": sorted(wanted),
        "kept": None if keep is None else sorted(keep),
        "mapping": sorted(source.columns.items()),
        "delimiter": source.delimiter,
        "encoding": source.encoding,
        "date_format": options.date_format,
        "number_format": dataclasses.astuple(options.number_format) if options.number_format else None,
        "levels": sorted((levels or {}).items()),
    }


def read_validated(
    source: TableSource,
    wanted: list[str],
    required: list[str],
    options: TableOptions,
    levels: Mapping[str, str] | None,
    scanned: ByteScan | None = None,
    keep: set[str] | None = None,
) -> Validated:
    """Read one table and run every check on its ``wanted`` columns; keep those in ``keep`` (default: all).

    The fast path proves a clean file valid in one typed read; any doubt, and the careful path
    reads it and says exactly what is wrong. Raises ``DataError`` when the file cannot be read
    as a table.
    """
    frame, scanned = read_fast(source, wanted, required, options, scanned, keep)
    if frame is not None:
        return Validated(frame)
    raw = read_table(source, wanted, required, scanned)
    frame, issues = validate_table(raw, options, levels)
    if keep is not None:
        frame = frame.select(c for c in frame.columns if c == LINE or c in keep)
    return Validated(frame, issues)


@dataclass(frozen=True)
class _Plan:
    """How a run reads one table: the columns it checks and keeps, the options, the cache's settings."""

    wanted: list[str]
    required: list[str]
    keep: set[str] | None
    options: TableOptions
    settings: dict[str, object]
    rows: pl.Expr | None = None  # the rows the run reads (the others are checked, then dropped)


def _plan(
    table: str,
    source: TableSource,
    needed: Mapping[str, Iterable[str]],
    table_options: Mapping[Any, Any],
    levels: Mapping[str, str] | None,
    all_columns: bool,
    reached: Reach | None = None,
) -> _Plan:
    specs = table_spec(table)
    wanted = list(specs) if all_columns else [c for c in specs if c in _with_rule_columns(table, needed[table])]
    keep = _kept(table, needed, all_columns)
    if keep is not None and reached is not None and reached.columns is not None:
        keep = set(reached.columns) | {c.column for c in CROSS_CHECKS if table in (c.table, c.known)}
    options = _options(table_options.get(table))
    required = [name for name, spec in specs.items() if spec.required]
    settings = _settings(table, source, wanted, keep, options, levels)
    return _Plan(wanted, required, keep, options, settings, None if reached is None else reached.rows)


def _narrowed(table: str, validated: Validated, rows: pl.Expr) -> Validated:
    """The rows a run reads of a checked table; its cross-table checks keep what they compare of every row.

    A scan keeps itself (lazy: it costs nothing); a table in memory keeps, per checked column, each
    distinct value with its count and first line.
    """
    frame = validated.frame
    checked: dict[str, pl.DataFrame | pl.LazyFrame] = {}
    for column in {c.column for c in CROSS_CHECKS if c.table == table}:
        if isinstance(frame, pl.LazyFrame):
            checked[column] = frame
        elif column in frame.columns:
            checked[column] = (
                frame.lazy()
                .filter(pl.col(column).is_not_null())
                .group_by(column)
                .agg(pl.len().alias(COUNT), pl.col(LINE).min())
                .collect()
            )
    return dataclasses.replace(validated, frame=filtered(frame, rows), checked=checked)


def _read_planned(
    source: TableSource, plan: _Plan, levels: Mapping[str, str] | None, scanned: ByteScan | None, cache: Cache | None
) -> Validated:
    """A table read and checked as planned: from the cache when given (which reads the file when it must)."""

    def read() -> Validated:
        return read_validated(source, plan.wanted, plan.required, plan.options, levels, scanned, plan.keep)

    return read() if cache is None else cache.table(source.path, plan.settings, read)


def _kept(table: str, needed: Mapping[str, Iterable[str]], all_columns: bool) -> set[str] | None:
    """The columns a run keeps of a table once checked: what it reads, and what cross-table checks compare."""
    if all_columns:
        return None
    crossed = {c.column for c in CROSS_CHECKS if table in (c.table, c.known)}
    return set(needed.get(table, ())) | crossed


def load(
    data_dir: Path,
    needed: Mapping[str, Iterable[str]],
    table_options: Mapping[Any, Any],
    levels: Mapping[str, str] | None = None,
    *,
    all_columns: bool = False,
    cache: Cache | None = None,
    reach: Planner | None = None,
) -> Dataset:
    """Read and validate the needed tables; raise ``DataError`` listing every error.

    ``cache`` keeps validated tables between runs; ``reach`` (given the tables present) says which
    columns and rows of the event tables the run reads: every row is checked, those are kept.
    """
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
    loaded: dict[str, Validated] = {}
    ready = {table: threading.Event() for table in sources}  # set when a table is loaded or has failed
    reached = reach(list(sources)) if reach is not None and not all_columns else {}
    plans = {t: _plan(t, s, needed, table_options, levels, all_columns, reached.get(t)) for t, s in sources.items()}
    observer, started, count = progress.current(), [0], len(sources)
    lock = threading.Lock()

    def load_one(table: str, source: TableSource, scanned: ByteScan | None = None) -> None:
        plan = plans[table]
        with lock:
            started[0] += 1
            size = progress.file_size(_size(source.path))
            step = f"reading {source.path.name} {size} ({started[0]} of {count} tables)"
        progress.report(step, observer)
        try:
            try:
                loaded[table] = _read_planned(source, plan, levels, scanned, cache)
            except DataError as exc:
                found[table] = list(exc.issues)
                return
            found[table] = loaded[table].issues
            if plan.rows is not None:  # the cross-table checks still see every row
                loaded[table] = _narrowed(table, loaded[table], plan.rows)
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
        ahead = {
            table: side.submit(scan_ahead, source)
            for table, source in large[1:]
            if cache is None or not cache.stored(source.path, plans[table].settings)  # a stored table is not read
        }
        pending.extend(ahead.values())
        crossing = side.submit(_cross_check, [t for t, _ in small + large], sources, loaded, ready, cache)
        pending.append(crossing)
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
    dataset.tables = Tables(
        {table: loaded[table].frame for table in sources if table in loaded},
        [v.handle for v in loaded.values() if v.handle is not None],
    )
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
    loaded: Mapping[str, Validated],
    ready: Mapping[str, threading.Event],
    cache: Cache | None = None,
) -> dict[CrossCheck, Issue | None]:
    """Run each cross-table check whose tables are present as soon as both are loaded (``order``: expected).

    When both tables are in the cache, so is the check's result.
    """
    position = {table: i for i, table in enumerate(order)}
    present = [c for c in CROSS_CHECKS if c.table in sources and c.known in sources]
    crossed: dict[CrossCheck, Issue | None] = {}
    for check in sorted(present, key=lambda c: max(position[c.table], position[c.known])):
        ready[check.table].wait()
        ready[check.known].wait()
        if check.table not in loaded or check.known not in loaded:
            continue
        table, known = loaded[check.table], loaded[check.known]

        def run(check: CrossCheck = check, table: Validated = table, known: Validated = known) -> Issue | None:
            return check.run(table.checked.get(check.column, table.frame), known.frame, sources[check.table])

        if cache is not None and table.key is not None and known.key is not None:
            name, keys = f"{check.table}.{check.column}", (table.key, known.key)
            crossed[check] = cache.crossed(name, keys, run, str(sources[check.table].path))
        else:
            crossed[check] = run()
    return crossed


@dataclass(frozen=True)
class CrossCheck:
    """Values of ``table.column`` missing from ``known.column``: a warning (such units roll up as unassigned)."""

    table: str
    column: str
    known: str
    message: str

    def run(
        self, frame: pl.DataFrame | pl.LazyFrame, known: pl.DataFrame | pl.LazyFrame, source: TableSource
    ) -> Issue | None:
        """The warning for the unknown values of ``frame`` (the first by line, and how many more), or None.

        ``frame``: the table, or its distinct values of the column with their count and first
        line (``_narrowed``). The first by line, not by row: a table read from the cache is in
        event-date order.
        """
        names = frame.lazy().collect_schema().names()
        if self.column not in names:
            return None
        column = pl.col(self.column)
        ids = known.lazy().select(self.column).collect()[self.column]
        count = pl.col(COUNT).sum() if COUNT in names else pl.len()
        summary = (
            frame.lazy()
            .filter(column.is_not_null() & ~column.is_in(ids.implode()))
            .select(count.alias("count"), pl.col(LINE).min().alias("line"), column.sort_by(LINE).first())
            .collect()
            .row(0, named=True)
        )
        if not summary["count"]:
            return None
        return Issue(
            level="warning",
            message=self.message,
            file=str(source.path),
            line=summary["line"],
            column=self.column,
            value=str(summary[self.column]),
            check="unknown_reference",
            more=summary["count"] - 1,
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
