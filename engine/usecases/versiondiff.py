"""A readable difference between two versions of a process: elements, flows, lanes, DMN rules, form fields."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from engine.conventions import COMMITTED_DAYS, DUE_DATE, FORM_SCHEMA, FORM_UI_SCHEMA
from engine.forms import declared_properties
from engine.spiff.bundle import Bundle
from engine.spiff.dmn_elements import Decision
from engine.spiff.elements import Process, read_elements
from engine.store.models import ProcessVersion
from engine.usecases.access import Actor, check_jurisdiction
from engine.usecases.deployments import get_version

__all__ = ["Change", "VersionDiff", "diff_versions"]

@dataclass(frozen=True)
class Change:
    """One difference; `where` is an element id, a decision rule or a form field."""

    kind: str  # element | flow | lane | rule | field
    change: str  # added | removed | changed
    where: str
    label: str
    details: tuple[str, ...] = ()  # "keyword: before → after", or "keyword: value" for an added or removed one
    # The same as (keyword, before, after), "" where there is no before or after: for pages that name keywords.
    items: tuple[tuple[str, str, str], ...] = ()


@dataclass(frozen=True)
class VersionDiff:
    """Everything that differs from `from_version` to `to_version` of one process."""

    process_id: str
    from_version: int
    to_version: int
    changes: tuple[Change, ...] = ()

    @property
    def elements(self) -> list[str]:
        """Return ids of diagram elements that were added or changed (for highlighting)."""
        return [c.where for c in self.changes if c.kind in ("element", "flow") and c.change != "removed"]

    def of_kind(self, kind: str) -> list[Change]:
        """Return the changes of one kind."""
        return [c for c in self.changes if c.kind == kind]


def diff_versions(session: Session, actor: Actor, process_id: str, from_version: int,
                  to_version: int) -> VersionDiff:
    """Compare two deployed versions of a process."""
    check_jurisdiction(actor, get_version(session, process_id).bundle, f"process {process_id}")
    old = _Model.of(get_version(session, process_id, from_version))
    new = _Model.of(get_version(session, process_id, to_version))
    return VersionDiff(process_id, from_version, to_version, (
        *_compare("element", old.elements, new.elements), *_compare("flow", old.flows, new.flows),
        *_compare("lane", old.lanes, new.lanes), *_compare("rule", old.rules, new.rules),
        *_compare("field", old.fields, new.fields)))


def _compare(kind: str, before: dict[str, dict[str, Any]], after: dict[str, dict[str, Any]]) -> list[Change]:
    changes = []
    for key in sorted(set(before) | set(after)):
        old, new = before.get(key), after.get(key)
        if old == new:
            continue
        label = str((new or old or {}).get("label") or key)
        if old is None:
            items = tuple((name, "", value) for name, value in _describe(new or {}))
            changes.append(Change(kind, "added", key, label, tuple(f"{n}: {v}" for n, _, v in items), items))
        elif new is None:
            items = tuple((name, value, "") for name, value in _describe(old))
            changes.append(Change(kind, "removed", key, label, tuple(f"{n}: {v}" for n, v, _ in items), items))
        else:
            names = [name for name in dict.fromkeys([*old, *new]) if name != "label" and old.get(name) != new.get(name)]
            if old.get("label") != new.get("label"):
                names.insert(0, "label")
            items = tuple((name, _show(old.get(name)), _show(new.get(name))) for name in names)
            changes.append(Change(kind, "changed", key, label, tuple(f"{n}: {b} → {a}" for n, b, a in items), items))
    return changes


def _describe(values: dict[str, Any]) -> list[tuple[str, str]]:
    return [(name, _show(value)) for name, value in values.items() if name != "label" and value not in
            (None, "", [])]


def _show(value: Any) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)


class _Model:
    """The parts of a version a reader compares, keyed by a stable id."""

    def __init__(self) -> None:
        self.elements: dict[str, dict[str, Any]] = {}
        self.flows: dict[str, dict[str, Any]] = {}
        self.lanes: dict[str, dict[str, Any]] = {}
        self.rules: dict[str, dict[str, Any]] = {}
        self.fields: dict[str, dict[str, Any]] = {}

    @classmethod
    def of(cls, version: ProcessVersion) -> _Model:
        model = cls()
        files = version.deployment.files
        elements = read_elements(Bundle.from_texts(version.bundle, files)).checked()
        processes = set(version.lanes) | {version.process_id}
        decisions: set[str] = set()
        forms: set[str] = set()
        for process in elements.processes:
            if process.id in processes:
                model._read_process(process, decisions, forms)
        for decision in elements.decisions:
            if decision.id in decisions:
                model._read_decision(decision)
        for path, text in files.items():
            if path.startswith("forms/") and path.split("/", 1)[1] in forms:
                model._read_form(path.split("/", 1)[1], json.loads(text))
        return model

    def _read_process(self, process: Process, decisions: set[str], forms: set[str]) -> None:
        for lane in process.lanes:
            self.lanes[lane.id] = {"label": lane.label, "group": lane.candidate_group}
        for flow in process.flows:
            self.flows[flow.id] = {"label": flow.name or flow.id, "from": flow.source, "to": flow.target,
                                   "condition": flow.condition}
        for element in process.elements:
            properties = element.properties
            timer = element.timer
            self.elements[element.id] = {
                "label": element.label, "type": element.kind, "lane": element.lane.label if element.lane else None,
                "documentation": element.documentation or None,
                "form": properties.get(FORM_SCHEMA), "uiForm": properties.get(FORM_UI_SCHEMA),
                DUE_DATE: properties.get(DUE_DATE), COMMITTED_DAYS: properties.get(COMMITTED_DAYS),
                "decision": element.called_decision,
                "timer": timer.expression.strip() if timer is not None else None,
                "script": element.script, "default": element.default_flow, **element.behaviour}
            if element.called_decision:
                decisions.add(element.called_decision)
            forms.update(v for k, v in properties.items() if k in (FORM_SCHEMA, FORM_UI_SCHEMA))

    def _read_decision(self, decision: Decision) -> None:
        table = decision.table
        if table is None:
            return
        inputs = [(column.label or column.expression or "?").strip() for column in table.inputs]
        outputs = [column.label or column.name or "?" for column in table.outputs]
        # The table itself: what it reads (an expression may change under an unchanged label) and how it picks.
        self.rules[decision.id] = {
            "label": decision.label, "hitPolicy": table.hit_policy,
            "inputs": [f"{(c.label or '').strip()}: {(c.expression or '').strip()}" for c in table.inputs],
            "outputs": [f"{c.label or ''}: {c.name or ''}" for c in table.outputs]}
        for rule in table.rules:
            cells = zip(inputs, rule.inputs, strict=False)
            when = " 且 ".join(f"{name} {cell}" for name, cell in cells if cell not in ("", "-"))
            then = ", ".join(f"{name} = {cell}" for name, cell in zip(outputs, rule.outputs, strict=False))
            self.rules[f"{decision.id}/{rule.id or rule.number}"] = {
                "label": f"{decision.label} #{rule.number}", "when": when or "(任意)", "then": then,
                "note": rule.description or None}

    def _read_form(self, name: str, document: Any) -> None:
        if not isinstance(document, dict):
            return
        if "properties" not in document and "type" not in document:
            # A uiSchema: one entry per field it shapes (widget, help, order), and one for the whole form.
            for key, options in document.items():
                self.fields[f"{name}#{key}"] = {"label": key, "ui": options}
            return
        required = set(document.get("required") or ())
        for field_name, spec in declared_properties(document).items():
            spec = spec if isinstance(spec, dict) else {}
            values: dict[str, Any] = {"label": spec.get("title") or field_name}
            # Every keyword counts (minLength, pattern, const…): any of them changes what a clerk may enter.
            values.update({key: value for key, value in sorted(spec.items()) if key != "title"})
            values["required"] = field_name in required
            self.fields[f"{name}#{field_name}"] = values
        rest = {key: value for key, value in document.items() if key not in ("properties", "required", "title")}
        if rest:
            self.fields[f"{name}#(form)"] = {"label": document.get("title") or name, **rest}
