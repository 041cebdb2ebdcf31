"""Config problems in an analyst's words, not the validator's (SPEC §5).

Pydantic says ``Extra inputs are not permitted`` and ``Input should be a valid number``; an
analyst editing ``kpis.yaml`` wants ``unknown key; did you mean target?`` and ``expected a
number, not 'abc'``. :func:`message` turns one Pydantic error into such a sentence; for an
unknown key or value it looks up the allowed ones in the model at that place in the config.
"""

from __future__ import annotations

import re
import types
from collections.abc import Mapping
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel

from csmkpi.suggest import close


def _unwrap(annotation: Any) -> Any:
    """``Annotated[X, ...]`` and ``X | None`` -> X."""
    while True:
        origin = get_origin(annotation)
        if origin is Annotated:
            annotation = get_args(annotation)[0]
        elif origin in (Union, types.UnionType):
            args = [a for a in get_args(annotation) if a is not type(None)]
            if len(args) != 1:
                return annotation
            annotation = args[0]
        else:
            return annotation


def _at(model: Any, loc: tuple[Any, ...]) -> Any:
    """The annotation at ``loc`` below ``model`` (a model, list, dict...), or None when it cannot tell."""
    current = model
    for part in loc:
        current = _unwrap(current)
        origin = get_origin(current)
        if isinstance(current, type) and issubclass(current, BaseModel):
            field = current.model_fields.get(str(part))
            if field is None:
                return None
            current = field.annotation
        elif origin is list and isinstance(part, int):
            current = get_args(current)[0]
        elif origin is dict and part != "[key]":
            current = get_args(current)[1]
        elif origin is dict:
            current = get_args(current)[0]
        else:
            return None
    return _unwrap(current)


def keys_at(model: Any, loc: tuple[Any, ...]) -> list[str]:
    """The keys a mapping at ``loc`` allows (a model's fields), empty when free-form."""
    found = _at(model, loc)
    if isinstance(found, type) and issubclass(found, BaseModel):
        return list(found.model_fields)
    return []


def _suggest(word: str, choices: list[str]) -> str:
    found = close(word, choices, limit=3)
    if not found:
        return ""
    return f"; did you mean {' or '.join(found)}?"


def _shown(value: Any) -> str:
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if value is None:
        return "nothing (an empty value)"
    if isinstance(value, bool):
        return "true" if value else "false"
    return repr(value)


def _bound(value: Any) -> str:
    return str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)


_PATTERNS = {
    "^[A-Za-z][A-Za-z0-9_]*$": "must start with a letter and hold only letters, digits and _ (like nrr_12m)",
    r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$": "must be a Python module name (like my_metrics)",
}


def message(detail: Mapping[str, Any], model: Any = None) -> str:  # noqa: C901 - one plain case per error kind
    """One Pydantic error detail in words (``loc`` is relative to ``model``)."""
    kind, loc, value = detail["type"], tuple(detail["loc"]), detail.get("input")
    ctx = detail.get("ctx") or {}
    if kind == "extra_forbidden":
        allowed = keys_at(model, loc[:-1]) if model is not None else []
        hint = _suggest(str(loc[-1]), allowed) if allowed else ""
        if hint:
            return f"unknown key{hint}"
        return f"unknown key; the keys here are: {', '.join(allowed)}" if allowed else "unknown key"
    if kind == "missing":
        return "missing: this key is required"
    if kind == "literal_error":
        expected = str(ctx.get("expected", ""))
        choices = re.findall(r"'((?:[^'\\]|\\.)*)'", expected) or ([expected] if expected else [])
        if not choices:
            return str(detail["msg"])
        if str(value) in choices and not re.search(r"'", expected):  # version: "1" (text) for 1
            return f"expected {expected}, not {_shown(value)}: write it without quotes"
        hint = _suggest(str(value), choices) if isinstance(value, str) else ""
        shown = [c if re.fullmatch(r"\w[\w-]*", c) else f"'{c}'" for c in choices]  # ',' and '\t' stay quoted
        words = ", ".join(shown[:-1]) + f" or {shown[-1]}" if len(shown) > 1 else shown[0]
        return f"expected {words}, not {_shown(value)}{hint}"
    if kind in ("float_type", "float_parsing"):
        return f"expected a number, not {_shown(value)}"
    if kind in ("int_type", "int_parsing", "int_from_float"):
        return f"expected a whole number, not {_shown(value)}"
    if kind in ("string_type",):
        return f"expected text, not {_shown(value)} (quote it)"
    if kind in ("bool_type", "bool_parsing"):
        return f"expected true or false, not {_shown(value)}"
    if kind in ("dict_type", "model_type", "model_attributes_type"):
        return f"expected a mapping ({{key: value}}), not {_shown(value)}"
    if kind == "list_type":
        return f"expected a list ([a, b]), not {_shown(value)}"
    if kind == "finite_number":
        return "expected a finite number, not .inf or .nan"
    if kind == "greater_than_equal":
        return f"must be at least {_bound(ctx.get('ge'))}, not {_shown(value)}"
    if kind == "greater_than":
        return f"must be more than {_bound(ctx.get('gt'))}, not {_shown(value)}"
    if kind == "less_than_equal":
        return f"must be at most {_bound(ctx.get('le'))}, not {_shown(value)}"
    if kind == "less_than":
        return f"must be less than {_bound(ctx.get('lt'))}, not {_shown(value)}"
    if kind == "too_short":
        return f"needs at least {ctx.get('min_length')} item{'s' if ctx.get('min_length') != 1 else ''}"
    if kind == "string_too_short":
        return "must not be empty"
    if kind == "string_too_long":
        return f"must be at most {ctx.get('max_length')} character{'s' if ctx.get('max_length') != 1 else ''}"
    if kind == "string_pattern_mismatch":
        return _PATTERNS.get(str(ctx.get("pattern")), f"{_shown(value)} is not a valid name here")
    return str(detail["msg"])
