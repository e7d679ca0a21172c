"""Names for what a bundle spells as codes: coded values, elements, candidate groups and units.

A clerk reads names, never codes. A bundle names them once:

- coded values (what a decision gives or tests, `"FEASIBILITY_THEN_DESIGN"`) in its labels file
  (`conventions.VALUE_LABELS`), a JSON Schema whose properties are variables and whose `oneOf`
  entries pair a value (`const`) with its name (`title`); a form field with `enum` and
  `ui:enumNames` (or `oneOf` with titles) names the values of its variable too;
- applicant units in the labels file's `conventions.UNIT_LABELS` property, the same way;
- elements by their names, candidate groups by the names of the lanes that carry them.

Deploying refuses a string a decision gives or tests that has no name (`label_problems`), at its
file, table and rule. ISO durations and dates need none: they are shown in words.
"""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from engine.conventions import (
    FORM_SCHEMA_SUFFIX,
    FORM_UI_SCHEMA_SUFFIX,
    JURISDICTION_TITLE,
    UNIT_LABELS,
    VALUE_LABELS,
)
from engine.errors import Problem
from engine.spiff.bundle import Bundle
from engine.spiff.dmn_elements import Decision, DecisionTable
from engine.spiff.elements import BundleElements

__all__ = ["DecisionNames", "Labels", "is_period_or_date", "label_problems", "read_labels"]

_DURATION = re.compile(r"^P(?!$)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+S)?)?$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}([T ][\d:.]+([+-]\d{2}:?\d{2}|Z)?)?$")
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def is_period_or_date(value: str) -> bool:
    """Tell whether a string is an ISO 8601 duration or date, which is shown in words without a label."""
    return bool(_DURATION.match(value) or _DATE.match(value))


@dataclass(frozen=True)
class DecisionNames:
    """A decision's name and the labels of its input and output columns, by expression and output name."""

    name: str
    inputs: Mapping[str, str]
    outputs: Mapping[str, str]


@dataclass(frozen=True)
class Labels:
    """The names a deployed bundle gives to its codes."""

    values: Mapping[str, Mapping[str, str]] = field(default_factory=dict)  # variable -> value -> name
    units: Mapping[str, str] = field(default_factory=dict)
    groups: Mapping[str, str] = field(default_factory=dict)  # candidate group -> lane name
    elements: Mapping[str, str] = field(default_factory=dict)  # element id -> name
    decisions: Mapping[str, DecisionNames] = field(default_factory=dict)
    jurisdiction: str | None = None
    titles: Mapping[str, str] = field(default_factory=dict)  # form field -> its title, the first form's

    def value(self, variable: str | None, value: str) -> str | None:
        """Return the name of a coded value of a variable; a value named once for the bundle answers for any."""
        if variable is not None and value in self.values.get(variable, {}):
            return self.values[variable][value]
        names = {found[value] for found in self.values.values() if value in found}
        return names.pop() if len(names) == 1 else None

    def element(self, element_id: str | None) -> str | None:
        """Return an element's name (None when it has none)."""
        return self.elements.get(element_id or "")


def read_labels(bundle: Bundle, elements: BundleElements) -> Labels:
    """Collect every name the bundle gives (unreadable files give none; the compiler reports them)."""
    documents = bundle.form_documents()
    values: dict[str, dict[str, str]] = {}
    titles: dict[str, str] = {}
    for name, document in documents.items():
        if not name.endswith(FORM_SCHEMA_SUFFIX):
            continue
        if name != VALUE_LABELS:
            titles.update({k: v for k, v in _field_titles(document).items() if k not in titles})
        ui = documents.get(name[: -len(FORM_SCHEMA_SUFFIX)] + FORM_UI_SCHEMA_SUFFIX, {})
        for variable, named in _field_value_names(document, ui):
            values.setdefault(variable, {}).update(named)
    units = values.pop(UNIT_LABELS, {}) if VALUE_LABELS in documents else {}
    own = dict(_field_value_names(documents.get(VALUE_LABELS, {}), {}))
    values.update({variable: {**values.get(variable, {}), **named} for variable, named in own.items()
                   if variable != UNIT_LABELS})
    element_names: dict[str, str] = {}
    groups: dict[str, str] = {}
    for process in elements.processes:
        if process.name:
            element_names.setdefault(process.id, process.name)
        for lane in process.lanes:
            if lane.candidate_group and lane.name:
                groups.setdefault(lane.candidate_group, lane.name)
            if lane.name:
                element_names.setdefault(lane.id, lane.name)
        for element in process.elements:
            if element.name:
                element_names.setdefault(element.id, element.name)
    title = documents.get(VALUE_LABELS, {}).get(JURISDICTION_TITLE)
    return Labels(values, units, groups, element_names,
                  {decision.id: _decision_names(decision) for decision in elements.decisions},
                  title if isinstance(title, str) else None, titles)


def _field_titles(schema: Mapping[str, Any]) -> dict[str, str]:
    found: dict[str, str] = {}
    for key in ("then", "else"):
        if isinstance(schema.get(key), dict):
            found.update(_field_titles(schema[key]))
    for key in ("allOf", "anyOf", "oneOf"):
        for branch in schema.get(key) or ():
            if isinstance(branch, dict):
                found.update(_field_titles(branch))
    properties = schema.get("properties")
    if isinstance(properties, dict):
        found.update({name: d["title"] for name, d in properties.items()
                      if isinstance(d, dict) and isinstance(d.get("title"), str)})
    return found


def _decision_names(decision: Decision) -> DecisionNames:
    table = decision.table
    inputs = {c.expression: c.label for c in table.inputs if c.expression and c.label} if table else {}
    outputs = {(c.name or c.label or ""): c.label for c in table.outputs if c.label} if table else {}
    return DecisionNames(decision.label, inputs, outputs)


def _field_value_names(schema: Mapping[str, Any], ui: Mapping[str, Any]) -> Iterator[tuple[str, dict[str, str]]]:
    properties = schema.get("properties")
    if isinstance(properties, dict):
        for variable, definition in properties.items():
            if isinstance(definition, dict):
                own_ui = ui.get(variable)
                named = _named_values(definition, own_ui if isinstance(own_ui, dict) else {})
                if named:
                    yield variable, named
    for key in ("then", "else"):
        if isinstance(schema.get(key), dict):
            yield from _field_value_names(schema[key], ui)
    for key in ("allOf", "anyOf", "oneOf"):
        for branch in schema.get(key) or ():
            if isinstance(branch, dict):
                yield from _field_value_names(branch, ui)


def _named_values(definition: Mapping[str, Any], ui: Mapping[str, Any]) -> dict[str, str]:
    named: dict[str, str] = {}
    for option in definition.get("oneOf") or definition.get("anyOf") or ():
        if isinstance(option, dict) and isinstance(option.get("const"), str) and isinstance(option.get("title"), str):
            named[option["const"]] = option["title"]
    enum, names = definition.get("enum"), ui.get("ui:enumNames")
    if isinstance(definition.get("items"), dict):  # a list of choices names its items' values
        items_ui = ui.get("items")
        named.update(_named_values(definition["items"], items_ui if isinstance(items_ui, dict) else {}))
    if isinstance(enum, list) and isinstance(names, list):
        named.update({value: str(name) for value, name in zip(enum, names, strict=False) if isinstance(value, str)})
    return named


# --- the deployment check -------------------------------------------------------------------------------------------

def label_problems(bundle: Bundle, elements: BundleElements) -> list[Problem]:
    """Return a problem for every coded string a decision gives or tests without a name in the bundle."""
    labels = read_labels(bundle, elements)
    problems: list[Problem] = []
    for decision in elements.decisions:
        for table in decision.tables:
            problems += _table_problems(decision, table, labels)
    problems += _labels_file_problems(bundle)
    return problems


def _table_problems(decision: Decision, table: DecisionTable, labels: Labels) -> list[Problem]:
    problems: list[Problem] = []
    hint = f"name it in forms/{VALUE_LABELS}"
    for rule in table.rules:
        where = f"decision {decision.id}, table {table.id}, rule {rule.number} ({rule.id})"
        for column, cell in zip(table.outputs, rule.outputs, strict=False):
            variable = column.name or column.label or ""
            for value in _literal_strings(cell, output=True):
                if labels.values.get(variable, {}).get(value) is None:
                    problems.append(Problem(decision.file, f"{where}: output {variable} value {value!r} has no "
                                            f"label; {hint} under {variable!r}", line=rule.line, element=rule.id))
        for input_column, cell in zip(table.inputs, rule.inputs, strict=False):
            if input_column.type_ref != "string" or not _NAME.match(input_column.expression or ""):
                continue
            variable = input_column.expression or ""
            for value in _literal_strings(cell, output=False):
                if labels.values.get(variable, {}).get(value) is None:
                    problems.append(Problem(decision.file, f"{where}: input {variable} value {value!r} has no "
                                            f"label; {hint} or the form field {variable!r}",
                                            line=rule.line, element=rule.id))
    return problems


def _literal_strings(cell: str, *, output: bool) -> list[str]:
    """Return the coded strings a cell spells: an output that is one string, the strings an input tests."""
    text = cell.strip()
    if not text or text == "-":
        return []
    try:
        tree = ast.parse(text.replace("?", "_value_"), mode="eval")
    except SyntaxError:
        return []  # the code check reports it
    if output:
        body = tree.body
        found = [body.value] if isinstance(body, ast.Constant) and isinstance(body.value, str) else []
    else:
        found = [node.value for node in ast.walk(tree)
                 if isinstance(node, ast.Constant) and isinstance(node.value, str)]
    return [value for value in found if value and not is_period_or_date(value)]


def _labels_file_problems(bundle: Bundle) -> list[Problem]:
    item = bundle.form(VALUE_LABELS)
    if item is None:
        return []
    try:
        document = json.loads(item.content)
    except ValueError:
        return []  # the form check reports it
    problems: list[Problem] = []
    for variable, definition in (document.get("properties") or {}).items() if isinstance(document, dict) else ():
        options = definition.get("oneOf") if isinstance(definition, dict) else None
        if not isinstance(options, list):
            problems.append(Problem(item.path, f"{variable}: name its values as \"oneOf\": "
                                    '[{"const": value, "title": name}, …]'))
            continue
        for option in options:
            if not (isinstance(option, dict) and isinstance(option.get("const"), str)
                    and isinstance(option.get("title"), str) and option["title"].strip()):
                problems.append(Problem(item.path, f"{variable}: every entry needs a string \"const\" and a "
                                        f"non-empty \"title\", not {json.dumps(option, ensure_ascii=False)}"))
    return problems
