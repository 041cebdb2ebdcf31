"""Domain errors and the exit codes they map to (SPEC §6, sysexits)."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum


class ExitCode(IntEnum):
    """Process exit codes; cron jobs branch on these."""

    OK = 0
    UNEXPECTED = 1
    USAGE = 2
    DATA = 65
    NO_INPUT = 66
    UNAVAILABLE = 69  # an optional extra is not installed
    OUT_OF_MEMORY = 71  # sysexits' EX_OSERR: the system could not give the run the memory it needed
    CANNOT_CREATE = 73
    IO = 74
    CONFIG = 78
    HANGUP = 129  # SIGHUP: 128 + 1
    INTERRUPTED = 130  # SIGINT (Ctrl-C): 128 + 2
    TERMINATED = 143  # SIGTERM: 128 + 15


SHOWN = 80  # characters of an offending value (or column name) a message shows (SPEC §6)
LONG_SHOWN = 300  # characters of an issue's message or expectation, which may quote user text too
MESSAGE_SHOWN = 5000  # characters of an error's headline, which names paths (up to 4096 bytes each)


def clip(text: str, limit: int = SHOWN) -> str:
    """``text`` up to ``limit`` characters, then ``… (N more characters)``, so a message stays bounded."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}… ({len(text) - limit} more characters)"


def quoted(text: str, limit: int = SHOWN) -> str:
    """``repr(text)`` of at most ``limit`` characters of it, then ``… (N more characters)``."""
    if len(text) <= limit:
        return repr(text)
    return f"{text[:limit]!r}… ({len(text) - limit} more characters)"


OUT_OF_MEMORY_MESSAGE = (
    "out of memory: the run needs more memory than it may use here; no output was half-written; "
    "raise the limit, or read less (a shorter period, fewer --kpi)"
)


@dataclass(frozen=True)
class Issue:
    """One problem found in the data or the config, with where it is."""

    level: str  # "error" | "warning"
    message: str
    file: str | None = None
    line: int | None = None
    col_no: int | None = None  # character column, for YAML positions
    column: str | None = None
    value: str | None = None
    expected: str | None = None
    check: str | None = None
    more: int = 0  # further rows with the same problem, grouped

    def render(self) -> str:
        """Return the one-line human form: ``file:line: column 'x': value 'v': expected ...``."""
        where = self.file or ""
        if self.line is not None:
            where = f"{where}:{self.line}"
            if self.col_no is not None:
                where = f"{where}:{self.col_no}"
        parts = [where] if where else []
        if self.column is not None:
            parts.append(f"column {quoted(self.column)}")
        if self.value is not None:
            parts.append(f"value {quoted(self.value)}")
        text = ": ".join(parts + [clip(self.message, LONG_SHOWN)])
        if self.expected:
            text += f" (expected {clip(self.expected, LONG_SHOWN)})"
        if self.more:
            text += f" [{self.more} more row{'s' if self.more != 1 else ''} like this]"
        return text


class CsmkpiError(Exception):
    """Base of every error a user can cause; carries its exit code."""

    exit_code: ExitCode = ExitCode.UNEXPECTED

    def __init__(self, message: str, issues: list[Issue] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.issues: list[Issue] = issues or []


class UsageError(CsmkpiError):
    """Bad flags or arguments (bad --period, unknown --kpi...)."""

    exit_code = ExitCode.USAGE


class ConfigError(CsmkpiError):
    """The YAML KPI definition is invalid."""

    exit_code = ExitCode.CONFIG


class DataError(CsmkpiError):
    """The input data breaks the data contract."""

    exit_code = ExitCode.DATA


class InputMissingError(CsmkpiError):
    """An input file or directory is missing or unreadable."""

    exit_code = ExitCode.NO_INPUT


class ExtraMissingError(CsmkpiError):
    """An optional extra a command needs is not installed (``pip install 'csmkpi[stats]'``)."""

    exit_code = ExitCode.UNAVAILABLE


class OutputError(CsmkpiError):
    """The output file cannot be created."""

    exit_code = ExitCode.CANNOT_CREATE


class ResourceError(CsmkpiError):
    """The system will not give the run what it needs (address space for the chart engine)."""

    exit_code = ExitCode.OUT_OF_MEMORY


class WriteError(CsmkpiError):
    """An I/O error happened while writing output."""

    exit_code = ExitCode.IO


@dataclass
class Diagnostics:
    """Warnings gathered during a run, shown on stderr at the end."""

    warnings: list[Issue] = field(default_factory=list)
