"""Convert raw values (CLI strings, JSON, task data) to DMN typeRef types."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from engine.calendar import parse_date
from engine.errors import GovflowError

__all__ = ["to_type_ref"]

_TRUE = {"true", "1", "yes", "是", "y"}
_FALSE = {"false", "0", "no", "否", "n"}


def to_type_ref(value: Any, kind: str) -> Any:
    """Return `value` as the typeRef's type; None or an empty string is no value. Raises ValueError."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        if kind in ("number", "double"):
            if isinstance(value, bool):
                raise ValueError(value)
            result = Decimal(str(value).strip())
            if not result.is_finite():
                raise ValueError(value)
            return result
        if kind in ("integer", "long"):
            if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
                raise ValueError(value)
            return int(value) if isinstance(value, (int, float)) else int(str(value).strip())
        if kind == "boolean":
            if isinstance(value, bool):
                return value
            text = str(value).strip().lower()
            if text in _TRUE or text in _FALSE:
                return text in _TRUE
            raise ValueError(value)
        if kind == "date":
            return parse_date(value)
        if kind == "string":
            return str(value)
        return value  # no or unknown typeRef: leave the expression's value as it is
    except (InvalidOperation, GovflowError) as exc:
        raise ValueError(value) from exc
