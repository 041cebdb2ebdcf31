"""The YAML KPI definition (SPEC §5): parse, validate, keep YAML positions for messages.

Loading runs in two layers:

1. YAML. The text is composed into nodes by PyYAML's safe loader (what
   ``yaml.compose(text, Loader=yaml.SafeLoader)`` does), and this module turns the nodes
   into Python values itself, so every value keeps its line and column and no tag is
   ever constructed. Duplicate keys, explicit tags, merge keys (``<<``) and YAML 1.1
   surprises (``NO`` read as false, ``010`` read as 8) are errors. Plain scalars follow
   the YAML 1.2 core schema: ``true``/``false`` (three casings), ``null``/``~``/empty,
   decimal integers and floats (``.5``, ``1e3``, ``.inf``); anything else, dates
   included, is text. Quoted and block scalars are always text. Mapping keys must be
   text. Anchors and aliases are allowed.
2. Pydantic. The values are validated by the strict, frozen models below (nothing is
   coerced but a YAML integer in a float field), then, when the caller passes the
   available metrics, each KPI's ``params`` by its metric's own params model.

Every problem becomes an :class:`~csmkpi.errors.Issue` located at its YAML node (or at
the nearest existing parent when a key is missing); all of them are raised together in
one :class:`~csmkpi.errors.ConfigError`. A value the YAML layer already reported is not
reported again by Pydantic.

The result is a :class:`LoadedConfig`: a :class:`KpiConfig` subclass whose extra,
non-field attributes (``path``, ``data_dir``, ``params`` and ``locate``) are Pydantic
private attributes behind read-only properties.
"""

from __future__ import annotations

import codecs
import errno
import math
import os
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal, get_args

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from csmkpi.errors import ConfigError, InputMissingError, Issue

__all__ = [
    "DEFAULT_CONFIG_PATH",
    "TABLE_NAMES",
    "CalendarConfig",
    "DataConfig",
    "KpiConfig",
    "KpiDef",
    "LimitsConfig",
    "LoadedConfig",
    "Loc",
    "NumberFormat",
    "ReasonsConfig",
    "ScoringConfig",
    "TableConfig",
    "TableName",
    "load_config",
    "parse_config_text",
]

DEFAULT_CONFIG_PATH = Path("configs/kpis.yaml")
CONFIG_ENV = "CSMKPI_CONFIG"
SEARCHED = (DEFAULT_CONFIG_PATH, Path("kpis.yaml"))  # in the current folder, in this order
UNKNOWN_REASON = "(unknown)"

TableName = Literal[
    "accounts",
    "csms",
    "mrr",
    "subscriptions",
    "tickets",
    "surveys",
    "opportunities",
    "activities",
    "assignments",
    "usage",
    "milestones",
]
TABLE_NAMES: tuple[str, ...] = get_args(TableName)

Loc = tuple[str | int, ...]
"""A path into the config as Pydantic reports it: ``("kpis", 1, "params", "window")``."""

# allow_inf_nan=False on top of the brief's extra/strict/frozen: ``.inf`` and ``.nan``
# are YAML floats, and no target, weight or threshold can sensibly be one.
_MODEL_CONFIG = ConfigDict(extra="forbid", strict=True, frozen=True, allow_inf_nan=False)
_DUPLICATE_KPI_ID = "duplicate_kpi_id"
_KPI_ID_PATTERN = r"^[A-Za-z][A-Za-z0-9_]*$"
_MODULE_PATTERN = r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$"
_MAX_NODES = 100_000  # values after alias expansion; stops "billion laughs" documents
# Hostile YAML is a config error in bounded time and memory (SPEC §5). PyYAML composes about 30,000
# values a second, so the size and value caps keep any file under a second or so; a real config has
# a few thousand values and nests 6 levels.
MAX_CONFIG_BYTES = 1 << 20
_MAX_COMPOSED = 20_000  # YAML nodes, aliases counted once
_MAX_DEPTH = 64
_MAX_CAP = 100.0  # scoring.cap: attainment is clamped to [0, cap], so every score stays finite

NonEmptyStr = Annotated[str, Field(min_length=1)]
OneChar = Annotated[str, Field(min_length=1, max_length=1)]


def _located_error(title: str, loc: Loc, error_type: str, message: str, value: Any) -> ValidationError:
    """Build a ValidationError at ``loc``, relative to the model or field raising it."""
    error = PydanticCustomError(error_type, message)
    details = InitErrorDetails(type=error, loc=loc, input=value)
    return ValidationError.from_exception_data(title, [details])


# ---------------------------------------------------------------------------- models


class NumberFormat(BaseModel):
    """How a table writes amounts: ``{thousands: ",", decimal: ".", currency: "$"}``."""

    model_config = _MODEL_CONFIG

    thousands: OneChar | None = None
    decimal: OneChar = "."
    currency: NonEmptyStr | None = None

    @model_validator(mode="after")
    def _separators_differ(self) -> NumberFormat:
        if self.thousands == self.decimal:
            message = "the thousands separator must differ from the decimal separator"
            loc = ("thousands",)
            raise _located_error("NumberFormat", loc, "same_separators", message, self.thousands)
        # Each is removed from (or read in) every amount: a digit or a sign there would change the number, and
        # so would an exponent letter as a separator (a currency may be EUR).
        for name, value, banned in (
            ("thousands", self.thousands, "0123456789+-eE"),
            ("decimal", self.decimal, "0123456789+-eE"),
            ("currency", self.currency, "0123456789+-"),
        ):
            if value is not None and any(c in banned for c in value):
                what = "a digit, a sign or an exponent letter" if "e" in banned else "a digit or a sign"
                message = f"must not hold {what}, not {value!r}"
                raise _located_error("NumberFormat", (name,), "number_character", message, value)
        return self


class TableConfig(BaseModel):
    """Per-table reading options (SPEC §2)."""

    model_config = _MODEL_CONFIG

    file: NonEmptyStr | None = None
    columns: dict[str, NonEmptyStr] = Field(default_factory=dict)
    """Canonical column name -> the user's header."""
    date_format: NonEmptyStr | None = None
    encoding: str = "utf-8"
    delimiter: Literal[",", ";", "\t", "|"] | None = None
    """``None`` means auto-detect."""
    number_format: NumberFormat | None = None

    @field_validator("encoding")
    @classmethod
    def _known_encoding(cls, value: str) -> str:
        context = {"encoding": value}
        try:
            codecs.lookup(value)
        except LookupError:
            message = "unknown encoding '{encoding}'"
            raise PydanticCustomError("unknown_encoding", message, context) from None
        try:
            b"a".decode(value)
        except LookupError:  # a codec such as base64 or rot13
            message = "'{encoding}' is not a text encoding"
            raise PydanticCustomError("not_text_encoding", message, context) from None
        except UnicodeError:  # a real text encoding, such as utf-16, for which "a" is short
            pass
        return value


class DataConfig(BaseModel):
    """Where the data lives: ``dir`` (relative to the YAML file) and table options."""

    model_config = _MODEL_CONFIG

    dir: NonEmptyStr = "."
    tables: dict[TableName, TableConfig] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _known_columns(self) -> DataConfig:
        from csmkpi.schemas import table_spec

        for table, options in self.tables.items():
            known = table_spec(table)
            for column in options.columns:
                if column not in known:
                    message = f"unknown column {column!r} of {table}; the columns are: {', '.join(known)}"
                    loc = ("tables", table, "columns", column)
                    raise _located_error("DataConfig", loc, "unknown_column", message, column)
        return self


class CalendarConfig(BaseModel):
    """Fiscal calendar (SPEC §3)."""

    model_config = _MODEL_CONFIG

    fiscal_year_start_month: int = Field(default=1, ge=1, le=12)


class ScoringConfig(BaseModel):
    """Scoring thresholds (SPEC §5)."""

    model_config = _MODEL_CONFIG

    amber_at: float = Field(default=0.9, gt=0, le=1)
    cap: float = Field(default=1.5, ge=1, le=_MAX_CAP)
    min_sample: int = Field(default=5, ge=0)


class LimitsConfig(BaseModel):
    """Control limits of ``trend --limits`` (SPEC §8.1)."""

    model_config = _MODEL_CONFIG

    min_points: int = Field(default=6, ge=2)
    """Usable baseline points a series needs before it gets limits."""
    run_length: int = Field(default=8, ge=2)
    """Successive points on one side of the centre line that make a ``run`` signal."""


def normalise_label(text: str) -> str:
    """A churn reason as ``reasons`` compares it: trimmed, white-space runs made one space, lower-cased."""
    return " ".join(text.split()).lower()


class ReasonsConfig(BaseModel):
    """Churn reasons of ``csmkpi reasons`` (SPEC §8.3)."""

    model_config = _MODEL_CONFIG

    lookback_days: int = Field(default=92, ge=0, le=3660)
    """How far before the period a lost renewal's loss_reason still explains a churn."""
    map: dict[str, str] = Field(default_factory=dict)
    """Reason label -> the label to report instead (keys compared normalised)."""

    @model_validator(mode="after")
    def _distinct_keys(self) -> ReasonsConfig:
        seen: dict[str, str] = {}
        for key in self.map:
            folded = normalise_label(key)
            if folded in seen:
                message = f"{key!r} and {seen[folded]!r} are the same reason once trimmed and lower-cased"
                raise _located_error("ReasonsConfig", ("map", key), "duplicate_reason", message, key)
            seen[folded] = key
        return self

    def label(self, reason: str | None) -> str:
        """The reported label of a raw reason: normalised, mapped, normalised again; empty is ``(unknown)``.

        No reason is ``(unknown)`` before the map, so a map key ``(unknown)`` renames it (SPEC 8.3's order).
        """
        folded = normalise_label(reason or "") or UNKNOWN_REASON
        mapping = {normalise_label(key): value for key, value in self.map.items()}
        if folded in mapping:
            folded = normalise_label(mapping[folded])
        return folded or UNKNOWN_REASON


class KpiDef(BaseModel):
    """One KPI: its metric and params, target, direction and weight."""

    model_config = _MODEL_CONFIG

    id: str = Field(pattern=_KPI_ID_PATTERN)
    metric: NonEmptyStr
    label: str | None = None
    params: dict[str, Any] = Field(default_factory=dict)
    target: float | None = None
    better: Literal["higher", "lower"] = "higher"
    weight: float = Field(default=1.0, ge=0)
    min_sample: int | None = Field(default=None, ge=0)

    @model_validator(mode="after")
    def _target_sign(self) -> KpiDef:
        if self.target is None:
            return self
        if self.better == "higher" and self.target <= 0:
            message = "target must be > 0 when better is 'higher'"
        elif self.better == "lower" and self.target < 0:
            message = "target must be >= 0 when better is 'lower'"
        else:
            return self
        raise _located_error("KpiDef", ("target",), "target_sign", message, self.target)

    @property
    def display_label(self) -> str:
        """Return the label, or the id when there is none."""
        return self.label if self.label is not None else self.id


def _duplicate_ids(ids: Sequence[object]) -> list[tuple[int, int, str]]:
    """Return ``(index, index of the first, id)`` for each repeated text id, in any case (``--kpi NRR`` is nrr)."""
    first: dict[str, int] = {}
    repeats: list[tuple[int, int, str]] = []
    for index, kpi_id in enumerate(ids):
        if not isinstance(kpi_id, str):
            continue
        if kpi_id.casefold() in first:
            repeats.append((index, first[kpi_id.casefold()], kpi_id))
        else:
            first[kpi_id.casefold()] = index
    return repeats


# The named data checks (validation) a config may set to error or warning.
CHECKS = (
    "missing_value",
    "invalid_value",
    "unknown_value",
    "out_of_range",
    "duplicate_key",
    "ragged_row",
    "resolved_before_opened",
    "closed_at_missing",
    "end_before_start",
    "overlapping_assignment",
)
# Named on warnings too, but always warnings (dataset, freshness): a setting for them would do nothing.
WARNING_ONLY = ("unknown_reference", "missing_month")

# The columns a wide scorecard has besides its KPIs' (and ``name``, which markdown and XLSX add by csm).
RESERVED_IDS = frozenset({"period", "period_start", "period_end", "group_by", "group", "name", "score", "rank"})


class KpiConfig(BaseModel):
    """The whole YAML KPI definition (SPEC §5)."""

    model_config = _MODEL_CONFIG

    version: Literal[1]
    calendar: CalendarConfig = Field(default_factory=CalendarConfig)
    data: DataConfig = Field(default_factory=DataConfig)
    attribution: Literal["period_start", "period_end"] = "period_start"
    scoring: ScoringConfig = Field(default_factory=ScoringConfig)
    kpis: list[KpiDef] = Field(min_length=1)
    plugins: list[Annotated[str, Field(pattern=_MODULE_PATTERN)]] = Field(default_factory=list)
    """Importable module names of local metric plugins."""
    checks: dict[str, Literal["error", "warning"]] = Field(default_factory=dict)
    """Named data checks (``CHECKS``) and the level they report at (to downgrade them)."""
    limits: LimitsConfig = Field(default_factory=LimitsConfig)
    reasons: ReasonsConfig = Field(default_factory=ReasonsConfig)

    @field_validator("version", mode="before")
    @classmethod
    def _version_not_bool(cls, value: Any) -> Any:
        if isinstance(value, bool):  # True == 1 passes Literal[1] even when strict
            raise PydanticCustomError("literal_error", "expected 1, not true or false")
        return value

    @model_validator(mode="after")
    def _known_checks(self) -> KpiConfig:
        for name in self.checks:  # a misspelt check would leave the check at its level without a word
            if name in WARNING_ONLY:
                message = f"{name} is always a warning and cannot be set; checks: {', '.join(CHECKS)}"
                raise _located_error("KpiConfig", ("checks", name), "unknown_check", message, name)
            if name not in CHECKS:
                from csmkpi.suggest import did_you_mean

                message = f"unknown check{did_you_mean(name, CHECKS)} Checks: {', '.join(CHECKS)}"
                raise _located_error("KpiConfig", ("checks", name), "unknown_check", message, name)
        return self

    @field_validator("kpis")
    @classmethod
    def _some_weight(cls, kpis: list[KpiDef]) -> list[KpiDef]:
        # Only a KPI with a target is scored: KPIs without one (weight 1 by default) cannot carry the score.
        scored = [kpi for kpi in kpis if kpi.target is not None]
        if scored and all(kpi.weight == 0 for kpi in scored):
            message = (
                "every KPI with a target has weight 0, so no group would get a score: give at least one a weight"
                " above 0 (weights are relative)"
            )
            raise PydanticCustomError("all_weights_zero", message)
        return kpis

    @field_validator("kpis")
    @classmethod
    def _unique_ids(cls, kpis: list[KpiDef]) -> list[KpiDef]:
        details = [
            InitErrorDetails(
                type=PydanticCustomError(
                    _DUPLICATE_KPI_ID,
                    f"duplicate KPI id {kpi_id!r} (first at kpis.{first})",
                ),
                loc=(index, "id"),
                input=kpi_id,
            )
            for index, first, kpi_id in _duplicate_ids([kpi.id for kpi in kpis])
        ]
        if details:
            raise ValidationError.from_exception_data("kpis", details)
        return kpis


class LoadedConfig(KpiConfig):
    """A validated :class:`KpiConfig` plus where it came from.

    Built by :func:`load_config` and :func:`parse_config_text`. ``path``, ``data_dir``,
    ``params`` and :meth:`locate` are Pydantic private attributes behind read-only
    properties: not config fields, not serialized, set only by this module. Built
    directly, an instance has path ``kpis.yaml``, data_dir ``.``, no params, and
    :meth:`locate` returns None.
    """

    _path: Path = PrivateAttr(default_factory=lambda: Path("kpis.yaml"))
    _data_dir: Path = PrivateAttr(default_factory=lambda: Path("."))
    _params: dict[str, BaseModel] = PrivateAttr(default_factory=dict)
    _root: Node | None = PrivateAttr(default=None)

    @property
    def path(self) -> Path:
        """The YAML file."""
        return self._path

    @property
    def data_dir(self) -> Path:
        """``data.dir`` joined to the YAML file's folder (``~`` expanded)."""
        return self._data_dir

    @property
    def params(self) -> dict[str, BaseModel]:
        """Validated params model per KPI id; empty when no metrics were given."""
        return self._params

    def locate(self, loc: Loc, *, key: bool = False) -> tuple[int, int] | None:
        """Return the 1-based (line, column) of the YAML node at ``loc``.

        When the path goes further than the YAML, the nearest existing parent is used.

        Args:
            loc: A path such as ``("data", "tables", "accounts", "columns", "csm_id")``.
            key: Point at the last mapping key rather than its value (also the case
                when ``loc`` ends with Pydantic's ``"[key]"``).
        """
        if self._root is None:
            return None
        return _position(_walk(self._root, loc).target(key))


# ---------------------------------------------------------------------------- YAML


class _HostileError(Exception):
    """A document too large or too deeply nested to be a config (SPEC §5: hostile YAML)."""

    def __init__(self, message: str, mark: Any) -> None:
        super().__init__(message)
        self.message = message
        self.mark = mark


class _Loader(yaml.SafeLoader):
    """PyYAML's safe loader, noting nodes with an explicit tag (``!!str``, ``!x``)."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.tagged: set[int] = set()
        self._composed = 0
        self._depth = 0

    def compose_node(self, parent: Node | None, index: Any) -> Node:
        """Compose one node, refusing documents too large or too deeply nested to be a config."""
        self._composed += 1
        self._depth += 1
        try:
            if self._composed > _MAX_COMPOSED:
                raise _HostileError(f"the config has more than {_MAX_COMPOSED} values", self._mark())
            if self._depth > _MAX_DEPTH:
                raise _HostileError(f"the config nests more than {_MAX_DEPTH} levels deep", self._mark())
            node: Node = super().compose_node(parent, index)  # type: ignore[assignment]
            return node
        finally:
            self._depth -= 1

    def _mark(self) -> Any:
        peek: Callable[[], Any] = self.peek_event
        return getattr(peek(), "start_mark", None)

    def _next_is_tagged(self) -> bool:
        peek: Callable[[], Any] = self.peek_event  # untyped in types-PyYAML
        return getattr(peek(), "tag", None) is not None

    def compose_scalar_node(self, anchor: Any) -> ScalarNode:
        tagged = self._next_is_tagged()
        node = super().compose_scalar_node(anchor)
        if tagged:
            self.tagged.add(id(node))
        return node

    def compose_sequence_node(self, anchor: Any) -> SequenceNode:
        tagged = self._next_is_tagged()
        node = super().compose_sequence_node(anchor)
        if tagged:
            self.tagged.add(id(node))
        return node

    def compose_mapping_node(self, anchor: Any) -> MappingNode:
        tagged = self._next_is_tagged()
        node = super().compose_mapping_node(anchor)
        if tagged:
            self.tagged.add(id(node))
        return node


_NULLS = frozenset({"", "~", "null", "Null", "NULL"})
_BOOLS = {
    "true": True,
    "True": True,
    "TRUE": True,
    "false": False,
    "False": False,
    "FALSE": False,
}
# YAML 1.1 booleans (its spec includes y/n; PyYAML's resolver does not, others do).
_YAML11_BOOLS = frozenset("yes Yes YES no No NO on On ON off Off OFF y Y n N".split())
_INT = re.compile(r"[-+]?(?:0|[1-9][0-9]*)")
_FLOAT = re.compile(r"[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?")
_INF = re.compile(r"([-+]?)\.(?:inf|Inf|INF)")
_NAN = re.compile(r"\.(?:nan|NaN|NAN)")
_RADIX = {"x": 16, "o": 8, "b": 2}
_PREFIXED_INT = re.compile(r"0([xX])[0-9a-fA-F_]+|0([oO])[0-7_]+|0([bB])[01_]+")
_SEXAGESIMAL = re.compile(r"[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?")
_DIGITS = re.compile(r"[0-9][0-9_]*")
_UNDERSCORE_FLOAT = re.compile(r"(?:[0-9][0-9_]*)?\.[0-9_]*(?:[eE][-+]?[0-9]+)?")


def _yaml11_number(body: str) -> int | float | None:
    """Return the number an unsigned YAML 1.1-only numeral stands for, else None.

    ``010`` gives 10 (what its writer means; YAML 1.1 reads 8), ``0x1F`` 31, ``1_000``
    1000, ``1:30`` (base 60) 90.
    """
    if match := _PREFIXED_INT.fullmatch(body):
        radix = _RADIX[(match.group(1) or match.group(2) or match.group(3)).lower()]
        digits = body[2:].replace("_", "")
        return int(digits, radix) if digits else None
    if _SEXAGESIMAL.fullmatch(body):
        *head, last = body.replace("_", "").split(":")
        total: int | float = 0
        for part in head:
            total = total * 60 + int(part)
        return total * 60 + (float(last) if "." in last else int(last))
    if _DIGITS.fullmatch(body) and (body.startswith("0") or "_" in body):
        digits = body.replace("_", "")
        return int(digits) if digits else None
    if _UNDERSCORE_FLOAT.fullmatch(body) and "_" in body:
        try:
            return float(body.replace("_", ""))
        except ValueError:
            return None
    return None


def _ambiguous_number(text: str) -> str | None:
    """Return the error for a numeral YAML 1.1 and YAML 1.2 read differently."""
    sign = text[:1] if text[:1] in ("+", "-") else ""
    value = _yaml11_number(text[len(sign) :])
    if value is None:
        return None
    written = f"-{value}" if sign == "-" else str(value)
    return f"ambiguous number {text!r}: quote it or write {written}"


def _resolve_plain(text: str) -> tuple[Any, str | None]:
    """Return the value of a plain (unquoted) scalar, and the error for a surprise."""
    if text in _NULLS:
        return None, None
    if text in _BOOLS:
        return _BOOLS[text], None
    if text in _YAML11_BOOLS:
        return text, f"ambiguous YAML 1.1 boolean {text!r}: quote it or write true/false"
    if _INT.fullmatch(text):
        return int(text), None
    problem = _ambiguous_number(text)
    if problem is not None:
        return text, problem
    if _FLOAT.fullmatch(text):
        return float(text), None
    if match := _INF.fullmatch(text):
        return (-math.inf if match.group(1) == "-" else math.inf), None
    if _NAN.fullmatch(text):
        return math.nan, None
    return text, None


class _TooLargeError(Exception):
    """The document expands, through aliases, into more values than a config has."""


class _Builder:
    """Turn composed YAML nodes into Python values, recording problems by node.

    A node with a problem is kept as its text (or its built children) and its id goes
    into ``bad``, so Pydantic errors about the same value can be dropped.
    """

    def __init__(self, tagged: set[int]) -> None:
        self.tagged = tagged
        self.problems: list[tuple[Node, str]] = []
        self.bad: set[int] = set()
        self.incomplete: set[int] = set()  # mappings with a key left out (merge, non-text)
        self._reported: set[tuple[int, str]] = set()
        self._active: set[int] = set()
        self._count = 0

    def problem(self, node: Node, path: Loc, message: str) -> None:
        self.bad.add(id(node))
        if (id(node), message) in self._reported:  # met again through an alias
            return
        self._reported.add((id(node), message))
        self.problems.append((node, f"{_dotted(path)}: {message}" if path else message))

    def build(self, node: Node, path: Loc) -> Any:
        if id(node) in self._active:
            self.problem(node, path, "recursive YAML alias")
            return None
        self._count += 1
        if self._count > _MAX_NODES:
            raise _TooLargeError
        if id(node) in self.tagged:
            self.problem(node, path, "YAML tags are not allowed")
        self._active.add(id(node))
        try:
            if isinstance(node, MappingNode):
                return self._mapping(node, path)
            if isinstance(node, SequenceNode):
                items = enumerate(node.value)
                return [self.build(child, (*path, index)) for index, child in items]
            return self._scalar(node, path)
        finally:
            self._active.discard(id(node))

    def _scalar(self, node: Node, path: Loc) -> Any:
        plain = isinstance(node, ScalarNode) and node.style is None
        if not plain or id(node) in self.tagged:
            return node.value  # quoted and block scalars are text
        try:
            value, problem = _resolve_plain(node.value)
        except ValueError:  # more digits than int() converts (sys.set_int_max_str_digits)
            value, problem = node.value, f"number {node.value[:20]!r}... has too many digits"
        if problem is not None:
            self.problem(node, path, problem)
        return value

    def _key(self, node: Node, path: Loc) -> str | None:
        if not isinstance(node, ScalarNode):
            self.problem(node, path, "mapping keys must be text, not a list or mapping")
            return None
        if node.style is None and node.value == "<<":
            self.problem(node, path, "YAML merge keys ('<<') are not allowed")
            return None
        value = self.build(node, path)
        if id(node) in self.bad:
            return None
        if not isinstance(value, str):
            self.problem(node, path, f"mapping key {node.value!r} must be text: quote it")
            return None
        return value

    def _mapping(self, node: MappingNode, path: Loc) -> dict[str, Any]:
        result: dict[str, Any] = {}
        first: dict[str, Node] = {}
        for key_node, value_node in node.value:
            key = self._key(key_node, path)
            value = self.build(value_node, path if key is None else (*path, key))
            if key is None:
                self.incomplete.add(id(node))
                continue
            if key in first:  # keep the first, as _child finds it
                line = first[key].start_mark.line + 1
                message = f"duplicate key {key!r} (first at line {line})"
                self.problem(key_node, path, message)
                continue
            first[key] = key_node
            result[key] = value
        return result


@dataclass(frozen=True)
class _Walk:
    """The nodes met following a path from the root, and the last key node."""

    chain: list[Node]
    key_node: Node | None
    complete: bool
    on_key: bool = False  # the path ended with Pydantic's "[key]"

    def target(self, key: bool = False) -> Node:
        """Return the node to report at: the key when asked for and found, else the last."""
        if (key or self.on_key) and self.complete and self.key_node is not None:
            return self.key_node
        return self.chain[-1]

    def passes_through(self, bad: set[int], key: bool = False) -> bool:
        """Tell whether the walk meets a node in ``bad`` (not counting a value whose key is the target)."""
        nodes = self.chain
        if self.target(key) is self.key_node:
            nodes = nodes[:-1]
        return any(id(node) in bad for node in nodes)


def _child(node: Node, part: str | int) -> tuple[Node | None, Node] | None:
    """Return ``(key node, value node)`` of the child ``part`` of ``node``, or None."""
    if isinstance(node, MappingNode) and isinstance(part, str):
        for key_node, value_node in node.value:
            if isinstance(key_node, ScalarNode) and key_node.value == part:
                return key_node, value_node
    if isinstance(node, SequenceNode) and isinstance(part, int):
        if 0 <= part < len(node.value):
            return None, node.value[part]
    return None


def _walk(root: Node, loc: Loc) -> _Walk:
    """Follow ``loc`` from ``root`` as far as the YAML goes."""
    chain = [root]
    key_node: Node | None = None
    for index, part in enumerate(loc):
        if part == "[key]":
            return _Walk(chain, key_node, index == len(loc) - 1, on_key=True)
        found = _child(chain[-1], part)
        if found is None:
            return _Walk(chain, None, complete=False)
        key_node, node = found
        chain.append(node)
    return _Walk(chain, key_node, complete=True)


def _position(node: Node) -> tuple[int, int] | None:
    """Return the 1-based (line, column) where ``node`` starts."""
    mark = node.start_mark
    return None if mark is None else (mark.line + 1, mark.column + 1)


def _dotted(loc: Loc) -> str:
    """Render a path as ``kpis.1.params.window``, leaving out Pydantic's ``[key]``."""
    return ".".join(str(part) for part in loc if part != "[key]")


# ---------------------------------------------------------------------------- issues


class _Issues:
    """Collect the issues of one config file, located through its YAML nodes."""

    def __init__(self, file: str, root: Node | None = None, builder: _Builder | None = None) -> None:
        self.file = file
        self.root = root
        self.bad = builder.bad if builder is not None else set()
        self.incomplete = builder.incomplete if builder is not None else set()
        self.items: list[Issue] = []

    def at(self, position: tuple[int, int | None] | None, message: str) -> None:
        line, col = position if position is not None else (None, None)
        issue = Issue(level="error", message=message, file=self.file, line=line, col_no=col)
        self.items.append(issue)

    def at_node(self, node: Node, message: str) -> None:
        self.at(_position(node), message)

    def at_loc(self, loc: Loc, message: str, *, key: bool = False, missing: bool = False) -> None:
        """Add ``loc: message`` at the node of ``loc``, unless the YAML layer caused it.

        That is when the path meets a node YAML already reported, or when a key is
        ``missing`` from a mapping that had a key left out (say, a merge key).
        """
        position = None
        if self.root is not None:
            walk = _walk(self.root, loc)
            if walk.passes_through(self.bad, key):
                return
            if missing and not walk.complete and id(walk.chain[-1]) in self.incomplete:
                return
            position = _position(walk.target(key))
        self.at(position, f"{_dotted(loc)}: {message}" if loc else message)

    def add_validation_error(self, error: ValidationError, prefix: Loc = (), model: Any = None) -> None:
        """Add Pydantic's errors in an analyst's words (``model``: what ``detail["loc"]`` starts from)."""
        from csmkpi.config_words import message

        for detail in error.errors(include_url=False):
            if detail["type"] == _DUPLICATE_KPI_ID:
                continue  # reported from the raw values, see _check_duplicate_ids
            key = detail["type"] == "extra_forbidden"
            missing = detail["type"] == "missing"
            self.at_loc((*prefix, *detail["loc"]), message(detail, model), key=key, missing=missing)

    def error(self) -> ConfigError:
        issues = sorted(self.items, key=lambda issue: (issue.line or 0, issue.col_no or 0))
        message = f"invalid config {self.file}: {len(issues)} problem(s)"
        return ConfigError(message, issues=issues)


def _single(file: str, position: tuple[int, int | None] | None, message: str) -> ConfigError:
    """Return a ConfigError with one issue."""
    issues = _Issues(file)
    issues.at(position, message)
    return issues.error()


def _compose(text: str, file: str) -> tuple[Node | None, set[int]]:
    """Compose the text into its root node (None if empty) and the tagged nodes' ids."""
    loader = None
    try:
        loader = _Loader(text)  # PyYAML's reader checks every character here (a NUL byte, say)
        return loader.get_single_node(), loader.tagged
    except _HostileError as exc:
        position = None if exc.mark is None else (exc.mark.line + 1, exc.mark.column + 1)
        raise _single(file, position, exc.message) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        position = None if mark is None else (mark.line + 1, mark.column + 1)
        problem = exc.problem or exc.context or "syntax error"
        context = ""
        if exc.problem and exc.context:
            where = exc.context_mark
            at = f" at line {where.line + 1}" if where is not None and where is not mark else ""
            context = f" ({exc.context}{at})"
        raise _single(file, position, f"invalid YAML: {problem}{context}") from None
    except yaml.YAMLError as exc:  # ReaderError: a character YAML does not allow
        offset = getattr(exc, "position", None)
        position = None
        if isinstance(offset, int):
            line = text.count("\n", 0, offset) + 1
            position = (line, offset - text.rfind("\n", 0, offset))
        raise _single(file, position, f"invalid YAML: {exc}") from None
    finally:
        if loader is not None:
            loader.dispose()


def _build(text: str, file: str) -> tuple[MappingNode, dict[str, Any], _Builder]:
    """Parse the text into its root mapping and values; raise for an unusable document."""
    root, tagged = _compose(text, file)
    if root is None or (isinstance(root, ScalarNode) and root.style is None and root.value in _NULLS):
        message = "the config is empty: expected a mapping with 'version' and 'kpis'"
        raise _single(file, None, message)
    if not isinstance(root, MappingNode):
        kind = "a list" if isinstance(root, SequenceNode) else f"the value {root.value!r}"
        message = f"the top level must be a mapping of settings, not {kind}"
        raise _single(file, _position(root), message)
    builder = _Builder(tagged)
    try:
        data = builder.build(root, ())
    except _TooLargeError:
        message = f"the config expands to more than {_MAX_NODES} values through aliases"
        raise _single(file, None, message) from None
    return root, data, builder


def _raw_kpis(data: Mapping[str, Any]) -> list[tuple[int, Mapping[str, Any]]]:
    """Return ``(index, entry)`` for the KPI entries that are mappings, unvalidated."""
    kpis = data.get("kpis")
    if not isinstance(kpis, list):
        return []
    return [(index, item) for index, item in enumerate(kpis) if isinstance(item, dict)]


def _check_duplicate_ids(issues: _Issues, root: Node, data: Mapping[str, Any]) -> None:
    """Report each repeated KPI id at the repeat, even when other entries are invalid."""
    kpis = _raw_kpis(data)
    for index, first, kpi_id in _duplicate_ids([item.get("id") for _, item in kpis]):
        first_loc = ("kpis", kpis[first][0], "id")
        first_at = _position(_walk(root, first_loc).target())
        where = f"line {first_at[0]}" if first_at else _dotted(first_loc)
        message = f"duplicate KPI id {kpi_id!r} (first at {where})"
        issues.at_loc(("kpis", kpis[index][0], "id"), message)


def _check_reserved_ids(issues: _Issues, data: Mapping[str, Any]) -> None:
    """Report a KPI id that is also a column of the wide layout (two columns of one name)."""
    for index, item in _raw_kpis(data):
        kpi_id = item.get("id")
        if isinstance(kpi_id, str) and kpi_id.casefold() in RESERVED_IDS:
            reserved = ", ".join(sorted(RESERVED_IDS))
            message = f"{kpi_id!r} is a column of the scorecard; choose another id (reserved: {reserved})"
            issues.at_loc(("kpis", index, "id"), message)


def _check_metrics(
    issues: _Issues, data: Mapping[str, Any], metrics: Mapping[str, type[BaseModel]]
) -> dict[str, BaseModel]:
    """Check each KPI's metric name and params; return the params models per KPI id."""
    params: dict[str, BaseModel] = {}
    available = ", ".join(sorted(metrics)) or "(none)"
    for index, item in _raw_kpis(data):
        name = item.get("metric")
        if not isinstance(name, str):
            continue  # Pydantic reports it
        model = metrics.get(name)
        if model is None:
            from csmkpi.suggest import did_you_mean

            message = f"unknown metric {name!r}{did_you_mean(name, metrics)} Available: {available}"
            issues.at_loc(("kpis", index, "metric"), message)
            continue
        raw = item.get("params", {})
        if not isinstance(raw, dict):
            continue  # Pydantic reports it
        try:
            validated = model.model_validate(raw)
        except ValidationError as exc:
            issues.add_validation_error(exc, prefix=("kpis", index, "params"), model=model)
            continue
        kpi_id = item.get("id")
        if isinstance(kpi_id, str):
            params.setdefault(kpi_id, validated)
    return params


def _parse(
    text: str,
    file: str,
    path: Path,
    base_dir: Path,
    metrics: Mapping[str, type[BaseModel]] | None,
) -> LoadedConfig:
    """Parse and validate config text named ``file``; ``data.dir`` is under base_dir."""
    root, data, builder = _build(text, file)
    issues = _Issues(file, root, builder)
    for node, message in builder.problems:
        issues.at_node(node, message)
    config: LoadedConfig | None = None
    try:
        config = LoadedConfig.model_validate(data)
    except ValidationError as exc:
        issues.add_validation_error(exc, model=KpiConfig)
    _check_duplicate_ids(issues, root, data)
    _check_reserved_ids(issues, data)
    params = {} if metrics is None else _check_metrics(issues, data, metrics)
    if config is None and not issues.items:  # cannot happen; never pass silently
        issues.at(None, "invalid config")
    if issues.items or config is None:
        raise issues.error()
    config._path = path
    config._data_dir = base_dir / Path(config.data.dir).expanduser()
    config._params = params
    config._root = root
    return config


def parse_config_text(
    text: str,
    filename: str,
    base_dir: Path,
    metrics: Mapping[str, type[BaseModel]] | None = None,
) -> LoadedConfig:
    """Parse and validate YAML config text (for tests and embedding).

    Args:
        text: The YAML.
        filename: Names the file in messages (``Issue.file``); the result's ``path``
            is ``base_dir`` joined with its last part.
        base_dir: The folder ``data.dir`` is relative to.
        metrics: Metric name -> params model. When given, metric names and params are
            checked too and the validated params land in ``params``.

    Raises:
        ConfigError: With one issue per problem found.
    """
    path = base_dir / Path(filename).name
    return _parse(text, filename, path, base_dir, metrics)


def read_config(path: Path) -> bytes:
    """Read the config file once (a pipe or ``<(...)`` cannot be read twice), at most ``MAX_CONFIG_BYTES``.

    Raises:
        InputMissingError: The file is missing or cannot be read (a folder, a dangling link, a loop...).
        ConfigError: The file is larger than a config can be.
    """
    if os.path.islink(path) and not os.path.exists(path):
        raise InputMissingError(f"cannot read config file {path}: it is a symbolic link to a missing file")
    try:
        with path.open("rb") as handle:
            raw = handle.read(MAX_CONFIG_BYTES + 1)
    except FileNotFoundError:
        raise InputMissingError(f"config file not found: {path}") from None
    except IsADirectoryError:
        raise InputMissingError(f"config path is a directory: {path}") from None
    except OSError as exc:
        reason = "a symbolic link loop" if exc.errno == errno.ELOOP else exc.strerror or str(exc)
        raise InputMissingError(f"cannot read config file {path}: {reason}") from None
    if len(raw) > MAX_CONFIG_BYTES:
        message = f"the config is larger than {MAX_CONFIG_BYTES >> 20} MiB; a KPI definition is a few KiB"
        raise _single(str(path), None, message)
    return raw


def load_config(
    path: Path, metrics: Mapping[str, type[BaseModel]] | None = None, *, raw: bytes | None = None
) -> LoadedConfig:
    """Read, parse and validate the YAML KPI definition at ``path``.

    Args:
        path: The YAML file (UTF-8, with or without BOM); messages name it as given. ``data.dir``
            is relative to its folder, or to the current folder for ``/dev/stdin`` and the like.
        metrics: Metric name -> params model. When given, metric names and params are
            checked too and the validated params land in ``params``.
        raw: The file's bytes when already read (``read_config``).

    Raises:
        InputMissingError: The file is missing or unreadable.
        ConfigError: With one issue per problem found.
    """
    if raw is None:
        raw = read_config(path)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        message = "the config is not valid UTF-8 text"
        raise _single(str(path), (line, None), message) from None
    return _parse(text, str(path), path, Path(".") if _is_stream(path) else path.parent, metrics)


def find_config(given: Path | None, environ: Mapping[str, str]) -> Path:
    """Where the config is (SPEC §5): ``--config``, ``$CSMKPI_CONFIG``, ``configs/kpis.yaml`` or ``kpis.yaml``.

    Raises:
        InputMissingError: ``$CSMKPI_CONFIG`` names a file that does not exist.
        UsageError: None of them is there; the message says how to make one.
    """
    from csmkpi.errors import UsageError

    if given is not None:
        return given
    if named := environ.get(CONFIG_ENV, "").strip():
        path = Path(named).expanduser()
        if not path.exists():
            raise InputMissingError(f"config file not found: {path} (from ${CONFIG_ENV})")
        return path
    for path in SEARCHED:
        if path.is_file():
            return path
    raise UsageError(
        f"no config found: no --config, no ${CONFIG_ENV}, and neither {' nor '.join(map(str, SEARCHED))} "
        f"in {Path.cwd()}; make one with `csmkpi init .` (a starter kpis.yaml and sample data to edit), "
        "or pass --config PATH"
    )


def _is_stream(path: Path) -> bool:
    """``/dev/stdin``, ``<(...)``'s ``/dev/fd/63``, ``/proc/self/fd/N``: no folder to take ``data.dir`` relative to.

    A named FIFO elsewhere keeps its folder, as a file there would.
    """
    return str(path).startswith(("/dev/", "/proc/"))


def peek_plugins(path: Path, raw: bytes | None = None) -> list[str]:
    """Read only the ``plugins`` list, so plugin metrics are known before the one full validation.

    Any problem here is ignored: the full ``load_config`` reports it with its line. ``raw``: the
    file's bytes when already read.
    """
    try:
        if raw is None:
            raw = read_config(path)
        text = raw.decode("utf-8-sig")
        if "plugins" not in text:
            return []
        root, _ = _compose(text, str(path))  # with the same bounds as the full load
    except (UnicodeDecodeError, InputMissingError, ConfigError):
        return []
    found = _child(root, "plugins") if root is not None else None
    plugins = found[1] if found is not None else None
    if not isinstance(plugins, SequenceNode):
        return []
    return [item.value for item in plugins.value if isinstance(item, ScalarNode)]
