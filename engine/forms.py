"""Validate submitted task data against the task's JSON Schema, on the server, always."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import ValidationError

from engine.errors import FieldError, InvalidInput

__all__ = ["make_validator", "validate_submission"]

_FORMAT_CHECKER = FormatChecker()


def make_validator(schema: dict[str, Any]) -> Draft202012Validator:
    """Compile a form schema once; validators are reused across submissions."""
    return Draft202012Validator(schema, format_checker=_FORMAT_CHECKER)


def validate_submission(schema: dict[str, Any] | Draft202012Validator, data: Any) -> dict[str, Any]:
    """Return `data` ready for the workflow, or raise InvalidInput listing every bad field.

    Unknown fields are rejected even when the schema forgets `additionalProperties`,
    and decimal numbers become Decimal so money compares exactly.
    """
    if not isinstance(data, dict):
        raise InvalidInput("the submission must be a JSON object", [FieldError("", "应提交一个对象")])
    validator = schema if isinstance(schema, Draft202012Validator) else make_validator(schema)
    # A schema may be a bare boolean, which declares no fields at all.
    declared = validator.schema
    properties: dict[str, Any] = declared.get("properties", {}) if isinstance(declared, Mapping) else {}
    errors = [FieldError(key, f"未知字段「{key}」") for key in data if key not in properties]
    for error in sorted(validator.iter_errors(data), key=lambda e: list(e.absolute_path)):
        if error.validator == "additionalProperties":
            continue  # already reported per field above
        errors.append(_field_error(error, properties))
    if errors:
        names = ", ".join(sorted({e.field for e in errors}))
        raise InvalidInput(f"the submission has invalid fields: {names}", errors)
    return {key: _coerce(value, properties.get(key, {})) for key, value in data.items()}


def _field_error(error: ValidationError, properties: dict[str, Any]) -> FieldError:
    path = [str(p) for p in error.absolute_path]
    if error.validator == "required":
        missing = str(error.message).split("'")[1] if "'" in error.message else ""
        path.append(missing)
    field = ".".join(path)
    top = properties.get(path[0], {}) if path else {}
    title = top.get("title") or field
    return FieldError(field, _message(error, title))


def _message(error: ValidationError, title: str) -> str:
    keyword, expected = error.validator, error.validator_value
    templates = {
        "required": f"「{title}」为必填项",
        "type": f"「{title}」的类型应为 {expected}",
        "minimum": f"「{title}」不得小于 {expected}",
        "maximum": f"「{title}」不得大于 {expected}",
        "exclusiveMinimum": f"「{title}」应大于 {expected}",
        "exclusiveMaximum": f"「{title}」应小于 {expected}",
        "minLength": f"「{title}」至少 {expected} 个字符",
        "maxLength": f"「{title}」至多 {expected} 个字符",
        "enum": f"「{title}」应为以下之一：{expected}",
        "format": f"「{title}」格式应为 {expected}",
        "multipleOf": f"「{title}」最多保留到 {expected}",
        "pattern": f"「{title}」格式不正确",
    }
    return templates.get(str(keyword), f"「{title}」{error.message}")


def _coerce(value: Any, schema: dict[str, Any]) -> Any:
    # JSON numbers arrive as floats; 0.1 + 0.2 style error at a 15% boundary is not acceptable.
    if schema.get("type") == "number" and isinstance(value, float):
        return Decimal(repr(value))
    if schema.get("type") == "number" and isinstance(value, int) and not isinstance(value, bool):
        return Decimal(value)
    return value
