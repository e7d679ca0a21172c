"""Show values in plain words: named codes, 是/否, periods in words, amounts in 万元, bilingual labels split."""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from flask import Flask, g

from engine import GovflowError, InvalidInput, Labels, is_period_or_date, naming

from .db import get_engine, get_session
from .i18n import MESSAGES, language, translate

__all__ = ["error_text", "form_value", "init_app", "label_text", "name_of", "period_text", "person", "plain_value"]

_PERIOD = re.compile(r"^P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?$")
_UNITS = (("period_years", 1), ("period_months", 2), ("period_weeks", 3), ("period_days", 4))
# "审批步骤 approvalSteps", "审批文件路径 Approval document path": Chinese first, then the English or the code.
_BILINGUAL = re.compile(r"^(?P<zh>.*[\u3000-\u9fff\uff00-\uffef].*?)\s+(?P<en>[A-Za-z][\x20-\x7e]*)$")
# An "English" part that is a variable's name (investmentWan, trial_run) is no English: keep the Chinese.
_CODE = re.compile(r"^(?:[a-z]+[A-Z0-9][A-Za-z0-9]*|\w*_\w*)$")


def label_text(label: str | None) -> str:
    """Return the part of a bilingual label ("审批步骤 approvalSteps") in the interface language."""
    text = (label or "").strip()
    found = _BILINGUAL.match(text)
    if not found:
        return text
    if language() == "en" and not _CODE.match(found["en"]):
        return found["en"]
    return found["zh"].strip()


def period_text(value: str) -> str | None:
    """Return an ISO period in words (P3M → 3个月), or None when it is not a plain one."""
    found = _PERIOD.match(value)
    if not found or not any(found.groups()):
        return None
    parts = [translate(key, n=int(found.group(index))) for key, index in _UNITS if found.group(index)]
    return ("" if language() == "zh" else " ").join(parts)


def _is_amount(variable: str | None, label: str | None) -> bool:
    return bool(variable and variable.endswith("Wan")) or "万元" in (label or "")


def _amount(value: Any) -> str | None:
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None
    return f"{number:,.2f} {translate('wan_yuan')}"


def plain_value(value: Any, variable: str | None = None, labels: Labels | None = None,
                label: str | None = None) -> str:
    """Return a value as a clerk reads it: a code by its name, a flag as 是/否, a period in words, an amount in 万元."""
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return translate("yes" if value else "no")
    if isinstance(value, list | tuple):
        return "、".join(plain_value(item, variable, labels, label) for item in value) or "—"
    if isinstance(value, Mapping):
        return "；".join(f"{key}：{plain_value(item, None, labels)}" for key, item in value.items())
    if _is_amount(variable, label) and not isinstance(value, str) or (
            isinstance(value, str) and _is_amount(variable, label) and _amount(value)):
        return _amount(value) or str(value)
    if isinstance(value, str):
        named = labels.value(variable, value) if labels is not None else None
        if named:
            return named
        if is_period_or_date(value):
            return period_text(value) or value.replace("T", " ")[:16]
    return str(value)


def form_value(value: Any, field: str, schema: Mapping[str, Any] | None, ui_schema: Mapping[str, Any] | None) -> str:
    """Return a submitted value as its form shows it: a choice by its name (`ui:enumNames`), the rest plainly."""
    definition = ((schema or {}).get("properties") or {}).get(field) or {}
    own_ui = (ui_schema or {}).get(field)
    names = own_ui.get("ui:enumNames") if isinstance(own_ui, Mapping) else None
    enum = definition.get("enum") if isinstance(definition, Mapping) else None
    if isinstance(enum, list) and isinstance(names, list) and value in enum and enum.index(value) < len(names):
        return str(names[enum.index(value)])
    return plain_value(value, field, label=definition.get("title") if isinstance(definition, Mapping) else None)


def person(names: naming.Names | None, username: str | None) -> str:
    """Return who acted: a person's display name, or the system in words."""
    if username and username.split(":", 1)[0] == "system":
        key = "actor_" + username.replace(":", "_")
        return translate(key if key in MESSAGES else "actor_system")
    if names is not None and username in names.people:
        return names.person(username)
    return name_of("person", username)


def name_of(kind: str, code: str | None) -> str:
    """Return the name of a unit, group, jurisdiction, process or person for this request (looked up once per code)."""
    if not code:
        return ""
    cache: dict[tuple[str, str], str] = g.setdefault("govflow_names", {})
    if (kind, code) not in cache:
        found = naming.names_for(get_engine(), get_session(), people=[code] if kind == "person" else [],
                                 units=[code] if kind == "unit" else [], groups=[code] if kind == "group" else [],
                                 bundles=[code] if kind == "jurisdiction" else [],
                                 processes=[code] if kind == "process" else [])
        cache[(kind, code)] = {"person": found.person, "unit": found.unit, "group": found.group,
                               "jurisdiction": found.jurisdiction, "process": found.process}[kind](code)
    return cache[(kind, code)]


def _param(name: str, value: str) -> str:
    if name == "user":
        return person(None, value)
    if name == "group":
        return name_of("group", value)
    if name == "bundle":
        return name_of("jurisdiction", value)
    if name in ("status", "role"):
        words = [translate(f"{name}_{part}") for part in value.split(" / ")]
        return " / ".join(words)
    return value


def error_text(error: GovflowError) -> str:
    """Word a domain error for people: by its message key, else by its class; field problems follow."""
    params = {name: _param(name, value) for name, value in error.params.items()}
    keys = [error.key] if error.key else []
    keys += ["error_" + kind.__name__ for kind in type(error).__mro__ if issubclass(kind, GovflowError)]
    key = next((k for k in keys if k in MESSAGES), None)
    if key is None or (language() == "en" and not error.key):
        text = error.message  # the engine's own words are English
    else:
        text = translate(key, **params)
    if isinstance(error, InvalidInput) and error.errors and language() != "en":
        text += "：" + "；".join(e.message for e in error.errors)
    return text


def init_app(app: Flask) -> None:
    """Make the helpers available in templates."""
    app.jinja_env.globals.update(plain_value=plain_value, label_text=label_text, person=person, name_of=name_of,
                                 error_text=error_text, form_value=form_value)
