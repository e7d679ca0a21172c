"""Typed results as JSON values and back: for the CLI's output, stored answers and the audit trail."""

from __future__ import annotations

import types
from collections.abc import Mapping
from dataclasses import fields, is_dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, TypeVar, Union, get_args, get_origin, get_type_hints

__all__ = ["from_json", "json_default", "to_json"]

T = TypeVar("T")


def json_default(value: Any) -> Any:
    """Encode Decimal, date and datetime values for json.dumps."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() and "." not in str(value) else str(value)
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def to_json(value: Any) -> Any:
    """Turn a typed result (dataclasses, sequences, mappings, times, decimals) into plain JSON values.

    A dataclass field kept out of the repr (such as a credential stamp) is kept out of the JSON too.
    """
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_json(getattr(value, f.name)) for f in fields(value) if f.repr}
    if isinstance(value, Mapping):
        return {str(key): to_json(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_json(item) for item in value]
    if isinstance(value, (frozenset, set)):
        return sorted(to_json(item) for item in value)
    if value is None or isinstance(value, (str, bool, int, float)):
        return value
    return json_default(value)


def from_json(cls: type[T], data: Mapping[str, Any]) -> T:
    """Rebuild a dataclass written by `to_json`, reading times and tuples back by the field types."""
    hints = get_type_hints(cls)
    values = {f.name: _read(hints[f.name], data[f.name]) for f in fields(cls) if f.name in data}  # type: ignore[arg-type]
    return cls(**values)


def _read(hint: Any, value: Any) -> Any:
    if value is None:
        return None
    origin = get_origin(hint)
    if origin in (Union, types.UnionType):
        kinds = [kind for kind in get_args(hint) if kind is not type(None)]
        return _read(kinds[0], value) if len(kinds) == 1 else value
    if hint is datetime:
        return datetime.fromisoformat(value)
    if origin is tuple:
        return tuple(_read(get_args(hint)[0], item) for item in value)
    if isinstance(hint, type) and is_dataclass(hint):
        return from_json(hint, value)
    return value
