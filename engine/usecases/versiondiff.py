"""A readable difference between two versions of a process: elements, flows, lanes, DMN rules, form fields."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from lxml import etree
from sqlalchemy.orm import Session

from engine.store.models import ProcessVersion
from engine.usecases.deployments import get_version

__all__ = ["Change", "VersionDiff", "diff_versions"]

_BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
_SPIFF = "http://spiffworkflow.org/bpmn/schema/1.0/core"
_DMN_NAMESPACES = ("https://www.omg.org/spec/DMN/20191111/MODEL/", "http://www.omg.org/spec/DMN/20180521/MODEL/",
                   "http://www.omg.org/spec/DMN/20151101/dmn.xsd")
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True)
_FORM_FIELDS = ("title", "type", "format", "enum", "minimum", "maximum", "maxLength", "required")


@dataclass(frozen=True)
class Change:
    """One difference; `where` is an element id, a decision rule or a form field."""

    kind: str  # element | flow | lane | rule | field
    change: str  # added | removed | changed
    where: str
    label: str
    details: tuple[str, ...] = ()


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


def diff_versions(session: Session, process_id: str, from_version: int, to_version: int) -> VersionDiff:
    """Compare two deployed versions of a process."""
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
            changes.append(Change(kind, "added", key, label, _describe(new or {})))
        elif new is None:
            changes.append(Change(kind, "removed", key, label, _describe(old)))
        else:
            names = [name for name in dict.fromkeys([*old, *new]) if name != "label" and old.get(name) != new.get(name)]
            details = tuple(f"{name}: {_show(old.get(name))} → {_show(new.get(name))}" for name in names)
            if old.get("label") != new.get("label"):
                details = (f"label: {_show(old.get('label'))} → {_show(new.get('label'))}", *details)
            changes.append(Change(kind, "changed", key, label, details))
    return changes


def _describe(values: dict[str, Any]) -> tuple[str, ...]:
    return tuple(f"{name}: {_show(value)}" for name, value in values.items() if name != "label" and value not in
                 (None, "", []))


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
        processes = set(version.lanes) | {version.process_id}
        decisions: set[str] = set()
        forms: set[str] = set()
        for path, text in files.items():
            if not path.endswith(".bpmn"):
                continue
            root = etree.fromstring(text.encode("utf-8"), _PARSER)
            for process in root.iter(f"{{{_BPMN}}}process"):
                if process.get("id") in processes:
                    model._read_process(process, decisions, forms)
        for path, text in files.items():
            if path.endswith(".dmn"):
                model._read_decision(etree.fromstring(text.encode("utf-8"), _PARSER), decisions)
            elif path.startswith("forms/") and path.split("/", 1)[1] in forms:
                model._read_form(path.split("/", 1)[1], json.loads(text))
        return model

    def _read_process(self, process: etree._Element, decisions: set[str], forms: set[str]) -> None:
        lane_of: dict[str, str] = {}
        for lane in process.iter(f"{{{_BPMN}}}lane"):
            name = lane.get("name") or lane.get("id")
            for ref in lane.iter(f"{{{_BPMN}}}flowNodeRef"):
                lane_of[(ref.text or "").strip()] = name
            self.lanes[lane.get("id")] = {"label": name, "group": _properties(lane).get("candidateGroup")}
        for node in process.iter():
            if not isinstance(node.tag, str) or not node.get("id"):
                continue
            kind = etree.QName(node).localname
            if kind in ("lane", "laneSet", "process") or etree.QName(node).namespace != _BPMN:
                continue
            if kind == "sequenceFlow":
                condition = node.find(f"{{{_BPMN}}}conditionExpression")
                self.flows[node.get("id")] = {
                    "label": node.get("name") or node.get("id"), "from": node.get("sourceRef"),
                    "to": node.get("targetRef"),
                    "condition": (condition.text or "").strip() if condition is not None else None}
                continue
            if node.find(f"{{{_BPMN}}}incoming") is None and node.find(f"{{{_BPMN}}}outgoing") is None \
                    and kind not in ("startEvent", "endEvent", "boundaryEvent"):
                continue  # definitions nested in elements (event definitions, data objects)
            properties = _properties(node)
            decision = node.findtext(f".//{{{_SPIFF}}}calledDecisionId")
            timer = node.find(f".//{{{_BPMN}}}timerEventDefinition")
            self.elements[node.get("id")] = {
                "label": node.get("name") or node.get("id"), "type": kind,
                "lane": lane_of.get(node.get("id")),
                "documentation": (node.findtext(f"{{{_BPMN}}}documentation") or "").strip() or None,
                "form": properties.get("formJsonSchemaFilename"), "uiForm": properties.get("formUiSchemaFilename"),
                "dueDate": properties.get("dueDate"), "decision": decision.strip() if decision else None,
                "timer": " ".join(t.strip() for t in timer.itertext() if t.strip()) if timer is not None else None,
                "script": (node.findtext(f"{{{_BPMN}}}script") or "").strip() or None,
                "default": node.get("default")}
            if decision:
                decisions.add(decision.strip())
            forms.update(v for k, v in properties.items() if k in ("formJsonSchemaFilename", "formUiSchemaFilename"))

    def _read_decision(self, root: etree._Element, wanted: set[str]) -> None:
        namespace = etree.QName(root).namespace
        if namespace not in _DMN_NAMESPACES:
            return

        def q(tag: str) -> str:
            return f"{{{namespace}}}{tag}"

        def texts(rule: etree._Element, tag: str) -> list[str]:
            return [(entry.findtext(q("text")) or "").strip() for entry in rule.findall(q(tag))]

        for decision in root.iter(q("decision")):
            table = decision.find(q("decisionTable"))
            if decision.get("id") not in wanted or table is None:
                continue
            inputs = [(i.get("label") or i.findtext(f".//{q('text')}") or "?").strip()
                      for i in table.findall(q("input"))]
            outputs = [o.get("label") or o.get("name") or "?" for o in table.findall(q("output"))]
            for number, rule in enumerate(table.findall(q("rule")), start=1):
                cells = zip(inputs, texts(rule, "inputEntry"), strict=False)
                when = " 且 ".join(f"{name} {cell}" for name, cell in cells if cell not in ("", "-"))
                results = zip(outputs, texts(rule, "outputEntry"), strict=False)
                then = ", ".join(f"{name} = {cell}" for name, cell in results)
                self.rules[f"{decision.get('id')}/{rule.get('id') or number}"] = {
                    "label": f"{decision.get('name') or decision.get('id')} #{number}", "when": when or "(任意)",
                    "then": then, "note": (rule.findtext(q("description")) or "").strip() or None}

    def _read_form(self, name: str, document: Any) -> None:
        if not isinstance(document, dict) or not isinstance(document.get("properties"), dict):
            return
        required = set(document.get("required") or ())
        for field_name, spec in document["properties"].items():
            spec = spec if isinstance(spec, dict) else {}
            values: dict[str, Any] = {"label": spec.get("title") or field_name}
            values.update({key: spec.get(key) for key in _FORM_FIELDS if key != "required"})
            values["required"] = field_name in required
            self.fields[f"{name}#{field_name}"] = values


def _properties(node: etree._Element) -> dict[str, str]:
    return {p.get("name"): p.get("value") for p in node.iter(f"{{{_SPIFF}}}property") if p.get("name")}
