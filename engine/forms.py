"""Validate submitted task data against the task's JSON Schema, on the server, always."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from decimal import Decimal
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker, validators
from jsonschema.exceptions import ValidationError
from jsonschema.protocols import Validator

from engine.conventions import SHARED_FIELDS, SHARED_REF_PREFIX
from engine.errors import FieldError, InvalidInput

__all__ = ["FormValidator", "expand_shared", "make_validator", "shared_field_problems",
           "validate_submission"]

# A field using a shared definition may narrow its range or add a title, never change what the value is.
_FIXED_KEYWORDS = ("type", "multipleOf")

_FORMAT_CHECKER = FormatChecker()


def _exact_multiple_of(validator: Validator, divisor: Any, instance: Any,
                       schema: dict[str, Any]) -> Iterator[ValidationError]:
    # Float division refuses 150.01 as a multiple of 0.01; a JSON number's shortest text is what the clerk
    # typed, so the quotient is taken in decimal and a money amount with two places always passes.
    if not validator.is_type(instance, "number"):
        return
    quotient = Decimal(str(instance)) / Decimal(str(divisor))
    if quotient != quotient.to_integral_value():
        yield ValidationError(f"{instance!r} is not a multiple of {divisor!r}")


# Draft 2020-12 with an exact multipleOf: the form validator of every submission.
FormValidator: type[Validator] = validators.extend(  # type: ignore[no-untyped-call]  # unannotated upstream
    Draft202012Validator, {"multipleOf": _exact_multiple_of})


def expand_shared(document: Any) -> Any:
    """Return a form schema with every `{"$ref": "govflow:…"}` replaced by the shared definition plus its siblings."""
    if isinstance(document, list):
        return [expand_shared(item) for item in document]
    if not isinstance(document, dict):
        return document
    expanded = {key: expand_shared(value) for key, value in document.items()}
    shared = SHARED_FIELDS.get(str(document.get("$ref", "")))
    if shared is None:
        return expanded
    del expanded["$ref"]
    return {**shared, **expanded}


def shared_field_problems(document: Any, where: str = "") -> list[str]:
    """Return what is wrong with the shared-definition references in a form schema, each at its JSON path."""
    problems: list[str] = []
    if isinstance(document, list):
        for index, item in enumerate(document):
            problems += shared_field_problems(item, f"{where}/{index}")
    elif isinstance(document, dict):
        ref = document.get("$ref")
        if isinstance(ref, str) and ref.startswith(SHARED_REF_PREFIX):
            at = where or "/"
            if ref not in SHARED_FIELDS:
                known = ", ".join(sorted(SHARED_FIELDS))
                problems.append(f"{at}: unknown shared definition {ref!r} (known: {known})")
            else:
                problems += [f"{at}: a field using {ref} may not redefine {keyword!r}"
                             for keyword in _FIXED_KEYWORDS if keyword in document]
        for key, value in document.items():
            problems += shared_field_problems(value, f"{where}/{key}")
    return problems


def make_validator(schema: dict[str, Any]) -> Validator:
    """Compile a form schema once; validators are reused across submissions."""
    return FormValidator(schema, format_checker=_FORMAT_CHECKER)


def validate_submission(schema: dict[str, Any] | Validator, data: Any) -> dict[str, Any]:
    """Return `data` ready for the workflow, or raise InvalidInput listing every bad field.

    Unknown fields are rejected even when the schema forgets `additionalProperties`,
    and decimal numbers become Decimal so money compares exactly.
    """
    if not isinstance(data, dict):
        raise InvalidInput("the submission must be a JSON object", [FieldError("", "应提交一个对象")])
    validator = make_validator(expand_shared(schema)) if isinstance(schema, dict) else schema
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
    if keyword == "multipleOf":
        return _multiple_message(title, expected)
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
        "pattern": f"「{title}」格式不正确",
    }
    return templates.get(str(keyword), f"「{title}」{error.message}")


def _multiple_message(title: str, divisor: Any) -> str:
    step = Decimal(str(divisor))
    exponent = step.normalize().as_tuple().exponent
    if isinstance(exponent, int) and exponent < 0 and step == Decimal(1).scaleb(exponent):
        return f"「{title}」最多保留 {-exponent} 位小数"
    return f"「{title}」应为 {divisor} 的整数倍"


def _coerce(value: Any, schema: dict[str, Any]) -> Any:
    # JSON numbers arrive as floats; 0.1 + 0.2 style error at a 15% boundary is not acceptable.
    if schema.get("type") == "number" and isinstance(value, float):
        return Decimal(repr(value))
    if schema.get("type") == "number" and isinstance(value, int) and not isinstance(value, bool):
        return Decimal(value)
    return value
