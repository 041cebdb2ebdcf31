"""The input data contract (SPEC §2): one Pydantic model per table, declared once.

The models are the single source of truth. ``table_spec`` turns a model into the
column specs that loading and validation use to build vectorised Polars checks,
so no row is ever validated in a Python loop.
"""

from __future__ import annotations

import types
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from functools import cache
from typing import Annotated, Literal, Union, get_args, get_origin

import annotated_types
from pydantic import BaseModel, ConfigDict, Field


class Kind(StrEnum):
    """How a column's text is cast."""

    TEXT = "text"
    ENUM = "enum"
    DATE = "date"
    DATETIME = "datetime"
    MONTH = "month"
    NUMBER = "number"
    INTEGER = "integer"
    BOOL = "bool"


class Month:
    """Marker: a month given as ``YYYY-MM`` or any date in that month."""


class TableSchema(BaseModel):
    """Base of the table models; subclasses set ``unique`` and ``default_file``."""

    model_config = ConfigDict(extra="ignore", frozen=True, defer_build=True)  # only read for its fields


NonNegative = Annotated[float, Field(ge=0)]


class Accounts(TableSchema):
    """accounts.csv: one row per customer account."""

    account_id: str
    account_name: str | None = None
    csm_id: str | None = None
    segment: str | None = None
    region: str | None = None
    contract_start: date | None = None
    onboarded_at: date | None = None
    referenceable: bool | None = None
    churn_reason: str | None = None


class Csms(TableSchema):
    """csms.csv: one row per Customer Success Manager."""

    csm_id: str
    csm_name: str | None = None
    team: str | None = None
    manager: str | None = None
    annual_cost: NonNegative | None = None


class Mrr(TableSchema):
    """mrr.csv: the MRR in force at the end of each month, per account."""

    account_id: str
    month: Annotated[date, Month]
    mrr: NonNegative


class Subscriptions(TableSchema):
    """subscriptions.csv: MRR by subscription date range (alternative to mrr)."""

    account_id: str
    start_date: date
    end_date: date | None = None
    mrr: NonNegative
    subscription_id: str | None = None


class Tickets(TableSchema):
    """tickets.csv: support tickets."""

    ticket_id: str
    account_id: str
    opened_at: datetime
    resolved_at: datetime | None = None
    contacts: Annotated[int, Field(ge=0)] | None = None
    reopened: bool | None = None


class Surveys(TableSchema):
    """surveys.csv: CSAT and NPS responses."""

    response_id: str
    account_id: str
    survey: Literal["csat", "nps"]
    responded_at: datetime
    score: int


class Opportunities(TableSchema):
    """opportunities.csv: expansion, new business and renewal deals."""

    opportunity_id: str
    account_id: str
    type: Literal["expansion", "new_business", "renewal"]
    source: str
    stage: Literal["open", "won", "lost"]
    created_at: date | None = None
    closed_at: date | None = None
    amount: NonNegative | None = None
    loss_reason: str | None = None


class Activities(TableSchema):
    """activities.csv: CSM touches (QBRs, check-ins...)."""

    activity_id: str
    account_id: str
    type: str
    occurred_at: datetime
    csm_id: str | None = None


class Assignments(TableSchema):
    """assignments.csv: account ownership history, inclusive ranges."""

    account_id: str
    csm_id: str
    start_date: date
    end_date: date | None = None


class Usage(TableSchema):
    """usage.csv: product adoption per account and month (a missing row means no usage known)."""

    account_id: str
    month: Annotated[date, Month]
    active_users: Annotated[int, Field(ge=0)]
    licensed_seats: Annotated[int, Field(ge=0)] | None = None


class Milestones(TableSchema):
    """milestones.csv: adoption milestones reached; several rows per account and milestone, the earliest counts."""

    account_id: str
    milestone: str
    achieved_at: date


@dataclass(frozen=True)
class TableInfo:
    """A table's model plus the facts a model cannot say by itself."""

    model: type[TableSchema]
    unique: tuple[str, ...] = ()


TABLES: dict[str, TableInfo] = {
    "accounts": TableInfo(Accounts, ("account_id",)),
    "csms": TableInfo(Csms, ("csm_id",)),
    "mrr": TableInfo(Mrr, ("account_id", "month")),
    "subscriptions": TableInfo(Subscriptions),
    "tickets": TableInfo(Tickets, ("ticket_id",)),
    "surveys": TableInfo(Surveys, ("response_id",)),
    "opportunities": TableInfo(Opportunities, ("opportunity_id",)),
    "activities": TableInfo(Activities, ("activity_id",)),
    "assignments": TableInfo(Assignments),
    "usage": TableInfo(Usage, ("account_id", "month")),
    "milestones": TableInfo(Milestones),
}


@dataclass(frozen=True)
class ColumnSpec:
    """One canonical column: how to cast it and what it must satisfy."""

    name: str
    kind: Kind
    required: bool
    ge: float | None = None
    le: float | None = None
    choices: tuple[str, ...] = ()

    @property
    def expected(self) -> str:
        """Describe a valid value, for error messages."""
        text = {
            Kind.TEXT: "text",
            Kind.ENUM: "one of " + ", ".join(self.choices),
            Kind.DATE: "a date (YYYY-MM-DD)",
            Kind.DATETIME: "a date or datetime (YYYY-MM-DD[THH:MM[:SS]])",
            Kind.MONTH: "a month (YYYY-MM) or a date",
            Kind.NUMBER: "a number",
            Kind.INTEGER: "a whole number",
            Kind.BOOL: "true/false, yes/no, 1/0 or y/n",
        }[self.kind]
        if self.ge is not None and self.le is not None:
            text += f" from {self.ge:g} to {self.le:g}"
        elif self.ge is not None:
            text += f" >= {self.ge:g}"
        return text


def _unwrap_optional(annotation: object) -> object:
    if get_origin(annotation) in (Union, types.UnionType):
        args = [a for a in get_args(annotation) if a is not type(None)]
        return args[0]
    return annotation


def _kind_of(annotation: object, metadata: list[object]) -> tuple[Kind, tuple[str, ...]]:
    if Month in metadata:
        return Kind.MONTH, ()
    if get_origin(annotation) is Literal:
        return Kind.ENUM, tuple(str(a) for a in get_args(annotation))
    base = {
        str: Kind.TEXT,
        date: Kind.DATE,
        datetime: Kind.DATETIME,
        float: Kind.NUMBER,
        int: Kind.INTEGER,
        bool: Kind.BOOL,
    }
    return base[annotation], ()  # type: ignore[index]


def _column_spec(name: str, annotation: object, required: bool, metadata: list[object]) -> ColumnSpec:
    inner = _unwrap_optional(annotation)
    if get_origin(inner) is Annotated:
        base, *extra = get_args(inner)
        metadata = [*metadata, *extra]
        for item in extra:
            metadata.extend(getattr(item, "metadata", []))
        inner = base
    kind, choices = _kind_of(inner, metadata)
    ge = next((float(m.ge) for m in metadata if isinstance(m, annotated_types.Ge)), None)  # type: ignore[arg-type]
    le = next((float(m.le) for m in metadata if isinstance(m, annotated_types.Le)), None)  # type: ignore[arg-type]
    return ColumnSpec(name, kind, required, ge, le, choices)


@cache
def table_spec(table: str) -> dict[str, ColumnSpec]:
    """Return the column specs of a table, in contract order."""
    model = TABLES[table].model
    return {
        name: _column_spec(name, field.annotation, field.is_required(), list(field.metadata))
        for name, field in model.model_fields.items()
    }


def default_file(table: str) -> str:
    """Return the default file name of a table."""
    return f"{table}.csv"
