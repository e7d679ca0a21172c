"""Bounds on every request before a view sees it: body size, JSON nesting, whole numbers in URLs and forms."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask, request
from werkzeug.routing import IntegerConverter

from engine import FieldError, InvalidInput
from engine.limits import MAX_DEPTH, MAX_INTEGER, json_text_depth

__all__ = ["BoundedIntegerConverter", "init_app", "whole_number"]


class BoundedIntegerConverter(IntegerConverter):
    """`<int:…>` in a URL: a number no database column holds matches no route (404), never a crash."""

    def __init__(self, map: Any, *args: Any, **kwargs: Any) -> None:  # noqa: A002  (Werkzeug's name)
        kwargs.setdefault("max", MAX_INTEGER)
        super().__init__(map, *args, **kwargs)


def whole_number(values: Mapping[str, str], name: str, default: int) -> int:
    """Read a whole number from query or form values; refuse anything else, naming the field."""
    raw = values.get(name)
    if raw is None or raw == "":
        return default
    text = raw.strip()
    if not text.lstrip("-").isdigit() or len(text) > 17 or abs(int(text)) > MAX_INTEGER:
        raise InvalidInput(f"{name} must be a whole number", [FieldError(name, "应为整数")])
    return int(text)


def _check_json_depth() -> None:
    if not request.is_json:
        return
    # Parsed, a body nested thousands deep exhausts the recursion limit in every JSON reader after it.
    if json_text_depth(request.get_data(cache=True)) > MAX_DEPTH:
        raise InvalidInput(f"the request body nests deeper than {MAX_DEPTH} levels",
                           [FieldError("", f"请求内容嵌套层级超过 {MAX_DEPTH} 层")])


def init_app(app: Flask) -> None:
    """Bound request bodies (size and nesting) and whole numbers in URLs."""
    app.url_map.converters["int"] = BoundedIntegerConverter
    app.before_request(_check_json_depth)
