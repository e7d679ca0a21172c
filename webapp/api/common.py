"""What every API blueprint shares: the argument parser that raises InvalidInput, and paging arguments."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NoReturn

import marshmallow as ma
from flask_smorest import Blueprint as SmorestBlueprint
from webargs.flaskparser import FlaskParser

from engine import FieldError, InvalidInput
from engine.limits import MAX_INTEGER

__all__ = ["Blueprint", "PageArgs", "Whole", "load_arguments"]


class Whole(ma.fields.Integer):
    """A whole number within the range every JSON reader and both databases hold exactly."""

    def __init__(self, **kwargs: Any) -> None:
        bound = ma.validate.Range(min=-MAX_INTEGER, max=MAX_INTEGER,
                                  error=f"应为 -{MAX_INTEGER} 到 {MAX_INTEGER} 之间的整数")
        given = kwargs.pop("validate", None)
        extra = [] if given is None else list(given) if isinstance(given, (list, tuple)) else [given]
        super().__init__(validate=[bound, *extra], **kwargs)


def _flatten(messages: Any, prefix: str = "") -> list[FieldError]:
    if isinstance(messages, Mapping):
        found: list[FieldError] = []
        for key, value in messages.items():
            # webargs nests by location first ("json", "query"): the field path starts below it.
            name = "" if not prefix and key in {"json", "query", "headers", "form", "files"} else \
                f"{prefix}.{key}" if prefix else str(key)
            found.extend(_flatten(value, name))
        return found
    if isinstance(messages, list) and all(isinstance(m, str) for m in messages):
        return [FieldError(prefix, message) for message in messages]
    if isinstance(messages, list):
        return [error for item in messages for error in _flatten(item, prefix)]
    return [FieldError(prefix, str(messages))]


def _invalid(error: ma.ValidationError) -> InvalidInput:
    fields = _flatten(error.messages)
    return InvalidInput("invalid request: " + ", ".join(sorted({f.field or "body" for f in fields})), fields)


def load_arguments(schema: ma.Schema, data: Any) -> dict[str, Any]:
    """Load a JSON body with an API argument schema outside flask-smorest (pages posting JSON)."""
    if not isinstance(data, Mapping):
        raise InvalidInput("send a JSON object", [FieldError("body", "请求体须为 JSON 对象")])
    try:
        return dict(schema.load(data))
    except ma.ValidationError as error:
        raise _invalid(error) from None


class _Parser(FlaskParser):
    """Report bad arguments as InvalidInput naming each field, like every other validation error."""

    def handle_error(self, error: ma.ValidationError, req: Any, schema: ma.Schema, *, error_status_code: int | None,
                     error_headers: Mapping[str, str] | None) -> NoReturn:
        raise _invalid(error)


class Blueprint(SmorestBlueprint):
    """A flask-smorest blueprint whose argument errors are InvalidInput."""

    ARGUMENTS_PARSER = _Parser()


class PageArgs(ma.Schema):
    """Paging of list endpoints."""

    page = Whole(load_default=1, validate=ma.validate.Range(min=1))
    per_page = Whole(load_default=25, validate=ma.validate.Range(min=1, max=200))
