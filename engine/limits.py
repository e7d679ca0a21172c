"""Bounds on what any caller may hand the engine: nesting depth of JSON and of data, size of integers.

A value nested thousands deep is stored fine and then breaks every later read of the instance
(RecursionError restoring its state), so it is refused on the way in, with the field named.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from engine.errors import FieldError, InvalidInput

__all__ = ["MAX_DEPTH", "MAX_INTEGER", "MAX_WORKING_DAYS", "check_data_depth", "json_text_depth"]

MAX_DEPTH = 32
"""Deepest nesting of objects and arrays accepted in a request body, a form file or process data."""

MAX_INTEGER = 2**31 - 1
"""Largest whole number accepted where a count, an id or a version is asked for.

Every such number is compared with an INTEGER column, which holds no more on PostgreSQL; a larger one
would be a database error rather than "not found" or a field error."""

MAX_WORKING_DAYS = 36_500
"""A century of working days: beyond any deadline a regulation sets, and a bound on the day-by-day count."""


def json_text_depth(text: str | bytes, stop_at: int = MAX_DEPTH + 1) -> int:
    """Return how deep objects and arrays nest in a JSON text, scanning it once without parsing it."""
    data = text.decode("utf-8", "replace") if isinstance(text, bytes) else text
    depth = deepest = 0
    in_string = escaped = False
    for char in data:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            if depth > deepest:
                deepest = depth
                if deepest >= stop_at:
                    return deepest
        elif char in "]}":
            depth -= 1
    return deepest


def check_data_depth(data: Mapping[str, Any], what: str) -> None:
    """Refuse data whose fields nest deeper than MAX_DEPTH, naming the first such field."""
    for key, value in data.items():
        pending: list[tuple[Any, int]] = [(value, 2)]
        while pending:
            item, depth = pending.pop()
            if not isinstance(item, (dict, list)):
                continue
            if depth > MAX_DEPTH:
                raise InvalidInput(f"{what}: field {key} nests deeper than {MAX_DEPTH} levels",
                                   [FieldError(str(key), f"嵌套层级超过 {MAX_DEPTH} 层")])
            children = item.values() if isinstance(item, dict) else item
            pending += [(child, depth + 1) for child in children]
