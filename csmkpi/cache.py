"""The validated cache (SPEC section 9): a decorator on loading, never a second loader.

The loader asks "give me this validated table"; ``Cache.table`` answers from disk or calls the
loader and stores what it returns: the typed table as Parquet (sorted by its event date, so a
period's filter reads few row groups) with the warnings it raised in the file's metadata.

- Key: the file's resolved path, size, mtime_ns, ctime_ns, inode and device; the table's settings
  (mapping, formats, encoding, delimiter, the columns read, the checks downgraded to warnings); the
  csmkpi, Polars and cache-format versions and the size and mtime of the modules that validate. A
  file modified within a few seconds of being cached is also checked by content (xxh3).
- A table is stored on its second sighting unchanged, so a one-shot run (cron, on this month's new
  export) never pays for writing it.
- Entries are written to a private temporary file in the folder (noted in the ledger of
  ``csmkpi.output.targets``, so one a killed run leaves is removed) and renamed into place; an entry's name
  carries the xxh3 of its bytes, checked before use, so a corrupt, truncated, foreign or old entry
  is ignored (and removed) and rebuilt. A table read from the cache holds its entry open (its
  ``handle``), so another run that evicts or clears it never pulls it from under the run.
- The folder (``$CSMKPI_CACHE_DIR``, else the user cache folder) is made 0700 and files 0600; the
  least recently used entries go first when it grows over its limit (2 GiB unless
  ``$CSMKPI_CACHE_SIZE`` says otherwise). A folder that cannot be written costs speed only: one
  message through ``on_problem``, and the run goes on without storing.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import stat
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING

from csmkpi import __version__
from csmkpi.errors import Issue
from csmkpi.output import targets

if TYPE_CHECKING:
    import polars as pl

ENV = "CSMKPI_CACHE_DIR"
SIZE_ENV = "CSMKPI_CACHE_SIZE"
DEFAULT_LIMIT = 2 * 1024**3
FORMAT = 1  # bump when what an entry holds changes
RECENT_NS = 3_000_000_000  # a file modified this close to caching is also checked by content
STALE_TEMP_S = 3600  # temporary files older than this are left-overs of an interrupted run
META = "csmkpi-cache"
ROW_GROUP = 65_536  # rows per Parquet row group: a month of the largest tables spans a few
# The event date each table is stored in order of; tables without one keep the file's order.
SORT_BY = {
    "mrr": "month",
    "usage": "month",
    "subscriptions": "start_date",
    "tickets": "resolved_at",
    "surveys": "responded_at",
    "opportunities": "closed_at",
    "activities": "occurred_at",
    "milestones": "achieved_at",
}
# The modules whose code decides what a validated table is: an edited checkout never reads old entries.
_CODE = ("loading.py", "validation.py", "fastpath.py", "schemas.py", "dataset.py", "cache.py")
_UNITS = {"": 1, "K": 1024, "M": 1024**2, "G": 1024**3, "T": 1024**4}


def default_folder(environ: Mapping[str, str] = os.environ) -> Path:
    """``$CSMKPI_CACHE_DIR``, else the user cache folder (``$XDG_CACHE_HOME/csmkpi`` or ``~/.cache/csmkpi``)."""
    if environ.get(ENV):
        return Path(environ[ENV]).expanduser()
    home = Path.home()
    if sys.platform == "darwin":
        base = home / "Library" / "Caches"
    elif os.name == "nt":
        base = Path(environ.get("LOCALAPPDATA") or home / "AppData" / "Local")
    else:
        xdg = environ.get("XDG_CACHE_HOME", "")
        base = Path(xdg) if os.path.isabs(xdg) else home / ".cache"
    return base / "csmkpi"


def parse_size(text: str) -> int:
    """``2G``, ``500M``, ``1048576``: a size in bytes (K, M, G, T are powers of 1024)."""
    text = text.strip().upper().removesuffix("B").removesuffix("I")
    unit = text[-1:] if text[-1:] in _UNITS and not text[-1:].isdigit() else ""
    number = float(text[: len(text) - len(unit)])
    if number < 0 or not number * _UNITS[unit] < 2**63:  # inf and 1e400 too: int() of them overflows
        raise ValueError(f"not a size in bytes: {text!r}")
    return int(number * _UNITS[unit])


@dataclass(frozen=True)
class FileStamp:
    """What identifies a file's version without reading it."""

    path: str
    size: int
    mtime_ns: int
    ctime_ns: int
    inode: int
    device: int

    @classmethod
    def of(cls, path: Path) -> FileStamp | None:
        """The stamp of a regular file, else None (a pipe, a folder, a missing file: never cached)."""
        try:
            resolved = os.path.realpath(path)
            status = os.stat(resolved)
        except (OSError, ValueError):
            return None
        if not stat.S_ISREG(status.st_mode):
            return None
        return cls(resolved, status.st_size, status.st_mtime_ns, status.st_ctime_ns, status.st_ino, status.st_dev)


@dataclass
class Validated:
    """A table that passed every check: typed (a Parquet scan when read from the cache) and its warnings."""

    frame: pl.DataFrame | pl.LazyFrame
    issues: list[Issue] = field(default_factory=list)
    key: str | None = None  # the cache key, when the table is in the cache
    # The open entry a scan reads through: keep it as long as the scan may be collected.
    handle: IO[bytes] | None = None
    # What the cross-table checks compare when ``frame`` holds only some rows, by column (csmkpi.dataset).
    checked: dict[str, pl.DataFrame | pl.LazyFrame] = field(default_factory=dict)


@dataclass(frozen=True)
class CacheInfo:
    """What ``csmkpi cache info`` shows."""

    folder: Path
    exists: bool
    entries: int
    bytes: int
    limit: int
    oldest: float | None  # last use, seconds since the epoch
    newest: float | None


def _code_stamp() -> list[tuple[str, int, int]]:
    here = Path(__file__).parent
    found = []
    for name in _CODE:
        with contextlib.suppress(OSError):
            status = (here / name).stat()
            found.append((name, status.st_size, status.st_mtime_ns))
    return found


def content_hash(path: Path | str) -> str:
    """xxh3 (64-bit, hex) of a file's bytes."""
    import xxhash

    digest = xxhash.xxh3_64()
    block = bytearray(1 << 20)
    with open(path, "rb", buffering=0) as handle:
        while read := handle.readinto(block):
            digest.update(memoryview(block)[:read])
    return digest.hexdigest()


def _readable_path(fd: int, path: Path) -> str:
    """A path that opens the file behind ``fd`` even after its name is removed (Linux, macOS)."""
    for folder in ("/proc/self/fd", "/dev/fd"):
        candidate = f"{folder}/{fd}"
        if os.path.exists(candidate):
            return candidate
    return str(path)


class Cache:
    """Validated tables kept as Parquet in a private folder (see the module's docstring)."""

    def __init__(
        self,
        folder: Path,
        *,
        limit: int = DEFAULT_LIMIT,
        on_problem: Callable[[str], None] | None = None,
        clock: Callable[[], int] = time.time_ns,
    ) -> None:
        """A cache in ``folder`` (made on first write) holding at most ``limit`` bytes of entries."""
        self.folder = Path(folder)
        self.limit = limit
        self._on_problem = on_problem
        self._clock = clock
        self._lock = threading.Lock()
        self._warned = False

    @classmethod
    def from_environment(
        cls, environ: Mapping[str, str] = os.environ, on_problem: Callable[[str], None] | None = None
    ) -> Cache:
        """The cache of ``$CSMKPI_CACHE_DIR`` (else the user cache folder), sized by ``$CSMKPI_CACHE_SIZE``."""
        limit = DEFAULT_LIMIT
        if environ.get(SIZE_ENV):
            try:
                limit = parse_size(environ[SIZE_ENV])
            except ValueError:
                if on_problem is not None:
                    on_problem(f"{SIZE_ENV}={environ[SIZE_ENV]!r} is not a size (like 500M or 2G); using 2G")
        return cls(default_folder(environ), limit=limit, on_problem=on_problem)

    # ---------------------------------------------------------------------------------------- tables

    def table(self, path: Path, settings: Mapping[str, object], load: Callable[[], Validated]) -> Validated:
        """The validated table of ``path`` read with ``settings``: from the cache, else ``load()`` (then stored).

        ``load`` may raise (a table that fails its checks is never stored); a result with
        errors among its issues is not stored either.
        """
        stamp = FileStamp.of(path)
        if stamp is None:
            return load()
        key = self.key(stamp, settings)
        found = self._read(key, stamp, str(path))
        if found is not None:
            return found
        seen = self._sighted(key)
        recent = self._recent(stamp)
        before = _try_hash(stamp.path) if seen and recent else None
        result = load()
        if not seen or any(issue.level == "error" for issue in result.issues):
            return result
        if FileStamp.of(path) != stamp or (recent and (before is None or _try_hash(stamp.path) != before)):
            return result  # the file changed while it was read: the next run reads it again
        if self._write(key, stamp, result, before, str(settings.get("table", ""))):
            result.key = key
        return result

    def stored(self, path: Path, settings: Mapping[str, object]) -> bool:
        """Whether an entry for this file version and settings is in the folder (not yet checked)."""
        stamp = FileStamp.of(path)
        return stamp is not None and bool(self._entries(self.key(stamp, settings)))

    def key(self, stamp: FileStamp, settings: Mapping[str, object]) -> str:
        """The entry name of a file version read with these settings."""
        import polars as pl

        material = {
            "format": FORMAT,
            "csmkpi": __version__,
            "polars": pl.__version__,
            "code": _code_stamp(),
            "file": asdict(stamp),
            "settings": settings,
        }
        text = json.dumps(material, sort_keys=True, default=str)
        return hashlib.sha256(text.encode()).hexdigest()[:40]

    def _recent(self, stamp: FileStamp) -> bool:
        return self._clock() - max(stamp.mtime_ns, stamp.ctime_ns) < RECENT_NS

    def _entries(self, key: str | None = None) -> list[Path]:
        """Entry files (of one key), newest use first; names are ``<key>.<xxh3 of the bytes>.parquet``."""
        folder = self.folder / "tables"
        try:
            names = os.listdir(folder)
        except OSError:
            return []
        found = []
        for name in names:
            parts = name.split(".")
            if len(parts) == 3 and parts[2] == "parquet" and len(parts[1]) == 16 and (key is None or parts[0] == key):
                found.append(folder / name)
        return sorted(found, key=_mtime, reverse=True)

    def _read(self, key: str, stamp: FileStamp, display: str) -> Validated | None:
        """The stored table of ``key``, or None; entries that do not check out are removed.

        Its warnings name the file as this run spells it (``display``), not as the run that stored it
        did: the key is the resolved path, which ``data/x.csv``, ``./data/x.csv`` and a link share.
        """
        import polars as pl

        for entry in self._entries(key):
            try:
                handle = open(entry, "rb")  # noqa: SIM115 - the table keeps it open (Validated.handle)
            except OSError:
                continue
            readable = _readable_path(handle.fileno(), entry)
            try:
                if content_hash(readable) != entry.name.split(".")[1]:
                    raise ValueError("bytes do not match the entry's name")
                meta = json.loads(pl.read_parquet_metadata(readable)[META])
                if meta["format"] != FORMAT or meta["key"] != key:
                    raise ValueError("another entry")
                if meta["hash"] is not None and _try_hash(stamp.path) != meta["hash"]:
                    raise ValueError("the file's content changed")
                issues = [Issue(**{**issue, "file": display if issue["file"] else None}) for issue in meta["issues"]]
                frame = pl.scan_parquet(readable)
            except Exception:  # corrupt, truncated, foreign, stale: ignored and rebuilt
                handle.close()
                with contextlib.suppress(OSError):
                    entry.unlink()
                continue
            with contextlib.suppress(OSError):
                os.utime(entry)  # last use, for the size bound
            return Validated(frame, issues, key, handle)
        return None

    def _sighted(self, key: str) -> bool:
        """Whether the cache saw this file version before; records this sighting."""
        marker = self.folder / "seen" / key
        if marker.exists():
            return True
        with self._writing():
            self._folder("seen")
            os.close(os.open(marker, os.O_WRONLY | os.O_CREAT, 0o600))
        return False

    def _write(self, key: str, stamp: FileStamp, result: Validated, file_hash: str | None, table: str) -> bool:
        """Store a validated table; True when it is now in the cache."""
        import polars as pl

        frame = result.frame
        if not isinstance(frame, pl.DataFrame):
            return False
        meta = {
            "format": FORMAT,
            "key": key,
            "table": table,
            "file": asdict(stamp),
            "hash": file_hash,
            "issues": [asdict(issue) for issue in result.issues],
        }
        order = SORT_BY.get(table)
        if order in frame.columns:
            frame = frame.sort(order, nulls_last=True, maintain_order=True)
        with self._writing():
            folder = self._folder("tables")
            with _temporary(folder, f"{key}.parquet") as (fd, temp):
                os.close(fd)  # Polars writes by name, into the private file made here
                frame.write_parquet(
                    temp,
                    compression="lz4",
                    statistics=True,
                    row_group_size=ROW_GROUP,
                    metadata={META: json.dumps(meta)},
                )
                os.replace(temp, folder / f"{key}.{content_hash(temp)}.parquet")
            with contextlib.suppress(OSError):
                (self.folder / "seen" / key).unlink()
            self._evict()
            return any(True for _ in self._entries(key))
        return False

    # ---------------------------------------------------------------------------------------- cross checks

    def crossed(
        self, name: str, keys: tuple[str, str], compute: Callable[[], Issue | None], display: str
    ) -> Issue | None:
        """A cross-table check's result for two cached tables: stored, else ``compute()`` (then stored).

        ``display``: the checked table's file as this run spells it, which a stored warning names.
        """
        digest = hashlib.sha256(json.dumps([FORMAT, name, *keys]).encode()).hexdigest()[:40]
        path = self.folder / "checks" / f"{digest}.json"
        with contextlib.suppress(OSError, ValueError, TypeError, KeyError):
            stored = json.loads(path.read_text(encoding="utf-8"))
            if stored["check"] == [name, *keys]:
                issue = stored["issue"]
                return None if issue is None else Issue(**{**issue, "file": display if issue["file"] else None})
        issue = compute()
        with self._writing():
            folder = self._folder("checks")
            with _temporary(folder, path.name) as (fd, temp), os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump({"check": [name, *keys], "issue": None if issue is None else asdict(issue)}, handle)
                handle.close()
                os.replace(temp, path)
        return issue

    # ---------------------------------------------------------------------------------------- housekeeping

    def info(self) -> CacheInfo:
        """The folder, how many entries it holds, their size and the limit."""
        entries = self._entries()
        used = [_mtime(e) for e in entries]
        return CacheInfo(
            folder=self.folder,
            exists=self.folder.is_dir(),
            entries=len(entries),
            bytes=sum(_size(e) for e in entries),
            limit=self.limit,
            oldest=min(used) if used else None,
            newest=max(used) if used else None,
        )

    def clear(self) -> tuple[int, int]:
        """Remove every entry, sighting and stored check; return (entries removed, their bytes)."""
        entries = self._entries()
        removed = sum(_size(e) for e in entries)
        for path in [*entries, *self._files("seen"), *self._files("checks"), *self._leftovers()]:
            with contextlib.suppress(OSError):
                path.unlink()
        return len(entries), removed

    def _files(self, sub: str, suffix: str = "") -> list[Path]:
        folder = self.folder / sub
        try:
            return [folder / name for name in os.listdir(folder) if name.endswith(suffix)]
        except OSError:
            return []

    def _leftovers(self) -> list[Path]:
        """Temporary files of the entry and check folders (a run writing now, or one that was killed)."""
        found = [*self._files("tables", targets.TEMP_SUFFIX), *self._files("checks", targets.TEMP_SUFFIX)]
        return [path for path in found if path.name.startswith(".")]

    def _evict(self) -> None:
        """Drop the least recently used entries until the folder fits its limit, and old left-overs."""
        entries = self._entries()  # newest use first
        total = sum(_size(e) for e in entries)
        while entries and total > self.limit:
            oldest = entries.pop()
            total -= _size(oldest)
            with contextlib.suppress(OSError):
                oldest.unlink()
        now = time.time()
        for leftover in self._leftovers():
            if now - _mtime(leftover) > STALE_TEMP_S:
                with contextlib.suppress(OSError):
                    leftover.unlink()

    def _folder(self, sub: str) -> Path:
        """A sub-folder of the cache, made (with the cache folder) private to the user."""
        for folder in (self.folder, self.folder / sub):
            if not folder.is_dir():
                folder.mkdir(mode=0o700, parents=True, exist_ok=True)
                os.chmod(folder, 0o700)
        return self.folder / sub

    @contextlib.contextmanager
    def _writing(self) -> Iterator[None]:
        """Run a write; a failure to write says so once and leaves the run going (never a source of failure)."""
        try:
            yield
        except Exception as exc:
            with self._lock:
                first, self._warned = not self._warned, True
            if first and self._on_problem is not None:
                reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else f"{type(exc).__name__}: {exc}"
                self._on_problem(
                    f"the cache folder {self.folder} cannot be written ({reason}); tables are read from the files "
                    f"every run (set {ENV}, or pass --no-cache)"
                )


@contextlib.contextmanager
def _temporary(folder: Path, name: str) -> Iterator[tuple[int, Path]]:
    """A new private (0600) temporary file in ``folder``, open for writing: rename it into place inside the block.

    Removed on any failure or interruption; noted in the ledger of temp files before it exists and
    once it is gone (``csmkpi.output.targets``), so the process watching the run removes it if the
    run is killed while writing.
    """
    temp = folder / targets.temp_name(name, folder)
    targets.note_temp(temp)
    try:
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0), 0o600)
        yield fd, temp
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise
    finally:
        targets.forget_temp(temp)


def _try_hash(path: str) -> str | None:
    try:
        return content_hash(path)
    except OSError:
        return None


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0
