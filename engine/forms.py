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
from engine.limits import check_data_depth

__all__ = ["FormValidator", "applicable_properties", "branch_field_problems", "declared_properties", "expand_shared",
           "make_validator", "shared_field_problems", "validate_submission"]

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


def branch_field_problems(document: Mapping[str, Any]) -> list[str]:
    """Return why a form's conditional fields could not be filled in the browser, if they could not."""
    only_in_branches = sorted(set(declared_properties(document)) - set(document.get("properties") or ()))
    if not only_in_branches or "additionalProperties" not in document:
        return []
    # additionalProperties sees only the top `properties`, so the browser's validator would refuse a branch's field.
    names = ", ".join(f"'{name}'" for name in only_in_branches)
    return [f"{names} declared only in a conditional branch: close the form with \"unevaluatedProperties\": false, "
            f"not \"additionalProperties\", which refuses them"]


def make_validator(schema: dict[str, Any]) -> Validator:
    """Compile a form schema once; validators are reused across submissions."""
    return FormValidator(schema, format_checker=_FORMAT_CHECKER)


def validate_submission(schema: dict[str, Any] | Validator, data: Any) -> dict[str, Any]:
    """Return `data` ready for the workflow, or raise InvalidInput listing every bad field.

    Unknown fields are rejected even when the schema forgets `additionalProperties`; so is a field of a
    conditional branch that does not apply to the answers given (the form does not show it, so its value
    would be stored unseen); and decimal numbers become Decimal so money compares exactly.
    """
    if not isinstance(data, dict):
        raise InvalidInput("the submission must be a JSON object", [FieldError("", "应提交一个对象")])
    check_data_depth(data, "the submission")
    validator = make_validator(expand_shared(schema)) if isinstance(schema, dict) else schema
    properties = declared_properties(validator.schema)
    errors = [FieldError(key, f"未知字段「{key}」") for key in data if key not in properties]
    shown = applicable_properties(validator, data)
    errors += [FieldError(key, f"「{_title(properties[key], key)}」不适用于本表当前的选择，不应填写")
               for key in data if key in properties and key not in shown]
    for error in sorted(validator.iter_errors(data), key=lambda e: list(e.absolute_path)):
        if error.validator in ("additionalProperties", "unevaluatedProperties"):
            continue  # already reported per field above
        errors.append(_field_error(error, properties))
    if errors:
        names = ", ".join(sorted({e.field for e in errors}))
        raise InvalidInput(f"the submission has invalid fields: {names}", errors)
    return {key: _coerce(value, properties.get(key, {})) for key, value in data.items()}


def declared_properties(schema: Any) -> dict[str, Any]:
    """Return every field a form declares: at its top and in its conditional branches (the top wins)."""
    if not isinstance(schema, Mapping):
        return {}  # a bare boolean schema declares no fields
    found: dict[str, Any] = {}
    branches = [schema.get(key) for key in ("then", "else")]
    branches += [branch for key in ("allOf", "anyOf", "oneOf") for branch in schema.get(key) or ()]
    dependent = schema.get("dependentSchemas")
    branches += list(dependent.values()) if isinstance(dependent, Mapping) else []
    for branch in branches:
        found.update(declared_properties(branch))
    top = schema.get("properties")
    if isinstance(top, Mapping):
        found.update(top)
    return found


def applicable_properties(validator: Validator, data: Mapping[str, Any]) -> set[str]:
    """Return the fields a form shows for `data`: its top fields and those of every branch that applies.

    A branch applies as the browser's form decides: `then` when `if` holds, `else` when it does not, a
    `dependentSchemas` entry when its field is given, every `allOf` member, an `anyOf`/`oneOf` member that holds.
    """
    return _applicable(validator, validator.schema, data)


def _applicable(validator: Validator, schema: Any, data: Mapping[str, Any]) -> set[str]:
    if not isinstance(schema, Mapping):
        return set()
    shown = set(schema.get("properties") or ())
    if "if" in schema:
        branch = schema.get("then") if _holds(validator, schema["if"], data) else schema.get("else")
        shown |= _applicable(validator, branch, data)
    dependent = schema.get("dependentSchemas")
    for key, branch in (dependent.items() if isinstance(dependent, Mapping) else ()):
        if key in data:
            shown |= _applicable(validator, branch, data)
    for branch in schema.get("allOf") or ():
        shown |= _applicable(validator, branch, data)
    for branch in [*(schema.get("anyOf") or ()), *(schema.get("oneOf") or ())]:
        if _holds(validator, branch, data):
            shown |= _applicable(validator, branch, data)
    return shown


def _holds(validator: Validator, schema: Any, data: Mapping[str, Any]) -> bool:
    # evolve keeps the form's validator class (exact multipleOf), format checks and reference resolution.
    return bool(validator.evolve(schema=schema).is_valid(data))


def _title(spec: Any, key: str) -> str:
    return str(spec.get("title") or key) if isinstance(spec, Mapping) else key


def _field_error(error: ValidationError, properties: dict[str, Any]) -> FieldError:
    path = [str(p) for p in error.absolute_path]
    if error.validator in ("required", "dependentRequired"):
        missing = str(error.message).split("'")[1] if "'" in error.message else ""
        path.append(missing)
    field = ".".join(path)
    top = properties.get(path[0], {}) if path else {}
    title = (top.get("title") if isinstance(top, Mapping) else None) or field
    return FieldError(field, _message(error, title))


_TYPE_NAMES = {"number": "数字", "integer": "整数", "string": "文字", "boolean": "是或否", "array": "列表",
               "object": "一组字段", "null": "空值"}
_FORMAT_NAMES = {"date": "日期（如 2025-09-30）", "date-time": "日期时间", "email": "电子邮箱地址",
                 "uri": "网址", "time": "时间"}


def _message(error: ValidationError, title: str) -> str:
    """Word a validation error in Chinese, naming the field by its title; never the validator's English."""
    keyword, expected = str(error.validator), error.validator_value
    if keyword == "multipleOf":
        return _multiple_message(title, expected)
    if keyword == "const":
        return f"请勾选「{title}」" if expected is True else f"「{title}」应为 {_shown(expected)}"
    if keyword == "enum" and isinstance(expected, list):
        return f"「{title}」应为以下之一：{'、'.join(_shown(v) for v in expected)}"
    if keyword == "type":
        kinds = expected if isinstance(expected, list) else [expected]
        return f"「{title}」应填写{'或'.join(_TYPE_NAMES.get(str(k), str(k)) for k in kinds)}"
    templates = {
        "required": f"「{title}」为必填项",
        "dependentRequired": f"「{title}」为必填项",
        "minimum": f"「{title}」不得小于 {_shown(expected)}",
        "maximum": f"「{title}」不得大于 {_shown(expected)}",
        "exclusiveMinimum": f"「{title}」应大于 {_shown(expected)}",
        "exclusiveMaximum": f"「{title}」应小于 {_shown(expected)}",
        "minLength": f"「{title}」至少 {expected} 个字符",
        "maxLength": f"「{title}」至多 {expected} 个字符",
        "minItems": f"「{title}」至少选择 {expected} 项",
        "maxItems": f"「{title}」至多选择 {expected} 项",
        "uniqueItems": f"「{title}」中不能有重复项",
        "format": f"「{title}」应为{_FORMAT_NAMES.get(str(expected), '规定的格式')}",
        "pattern": f"「{title}」格式不正确",
    }
    return templates.get(keyword, f"「{title}」填写不符合要求")


def _shown(value: Any) -> str:
    # A clerk reads 是/否 and plain numbers, never a Python or JSON literal.
    if isinstance(value, bool):
        return "是" if value else "否"
    if value is None:
        return "空"
    return str(value)


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
