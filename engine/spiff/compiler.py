"""Check a bundle and turn it into process specs; every failed check becomes a Problem."""

from __future__ import annotations

import ast
import json
from dataclasses import dataclass, field
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError
from lxml import etree
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.spiff.parser import VALIDATOR, SpiffBpmnParser

from engine.errors import DeploymentError, Problem
from engine.spiff.bundle import Bundle, BundleFile
from engine.spiff.dmn import DecisionInfo, read_decision
from engine.spiff.xmlsafe import UnsafeXml, parse_xml

__all__ = ["CompiledBundle", "CompiledProcess", "compile_bundle", "iter_task_specs"]

_BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
_SPIFF_NS = "http://spiffworkflow.org/bpmn/schema/1.0/core"
# SpiffWorkflow names its own start and end task specs so; a BPMN element with
# such an id silently replaces them and the process loses its body.
_RESERVED_IDS = frozenset({"Start", "End", "Root"})


@dataclass
class CompiledProcess:
    """One executable process of a bundle with everything a version row stores."""

    process_id: str
    name: str
    spec: Any
    subprocess_specs: dict[str, Any]
    lanes: dict[str, dict[str, str]]
    forms: list[str]


@dataclass
class CompiledBundle:
    """A bundle that passed every check."""

    bundle: Bundle
    processes: dict[str, CompiledProcess] = field(default_factory=dict)
    decisions: dict[str, DecisionInfo] = field(default_factory=dict)
    # Where each element id stands (file, line), and each lane's id by its name, for later checks' problems.
    locations: dict[str, tuple[str, int | None]] = field(default_factory=dict)
    lane_ids: dict[str, str] = field(default_factory=dict)

    def problem_at(self, element: str | None, message: str) -> Problem:
        """Return a problem located at an element of the bundle (its first diagram when unknown)."""
        diagrams = self.bundle.of_kind("bpmn")
        fallback = (diagrams[0].path if diagrams else self.bundle.name, None)
        file_name, line = self.locations.get(element or "", fallback)
        return Problem(file_name, message, line=line, element=element)


def iter_task_specs(spec: Any, subprocess_specs: dict[str, Any]) -> list[tuple[str, Any]]:
    """Return (process id, task spec) for a process and every process it calls."""
    pairs = [(spec.name, t) for t in spec.task_specs.values()]
    for name, sub in subprocess_specs.items():
        pairs += [(name, t) for t in sub.task_specs.values()]
    return pairs


class _Checker:
    def __init__(self, bundle: Bundle, max_bytes: int) -> None:
        self.bundle = bundle
        self.max_bytes = max_bytes
        self.problems: list[Problem] = []
        self.roots: dict[str, etree._Element] = {}
        self.lines: dict[str, tuple[str, int | None]] = {}
        self.lane_ids: dict[str, str] = {}

    def parse(self, item: BundleFile) -> etree._Element | None:
        try:
            root = parse_xml(item.content, item.path, self.max_bytes)
        except UnsafeXml as exc:
            self.problems.append(exc.problem)
            return None
        self.roots[item.path] = root
        for node in root.iter():
            if isinstance(node.tag, str) and node.get("id"):
                self.lines.setdefault(node.get("id"), (item.path, node.sourceline))
                if etree.QName(node).localname == "lane" and node.get("name"):
                    self.lane_ids.setdefault(node.get("name"), node.get("id"))
        return root

    def from_spiff(self, exc: SpiffWorkflowException, default_file: str) -> Problem:
        element = getattr(exc, "id", None) or None
        task_spec = getattr(exc, "task_spec", None)
        if element is None and task_spec is not None:
            element = getattr(task_spec, "bpmn_id", None)
        file_name = getattr(exc, "file_name", "") or default_file
        line = getattr(exc, "line_number", None) or None
        if element and element in self.lines:
            file_name, line = self.lines[element][0], line or self.lines[element][1]
        message = str(exc).split("\n")[0]
        return Problem(file_name, message, line=int(line) if line else None, element=element)

    def problem_at(self, element: str, message: str, default_file: str = "") -> Problem:
        file_name, line = self.lines.get(element, (default_file, None))
        return Problem(file_name, message, line=line, element=element)


def compile_bundle(bundle: Bundle, max_bytes: int = 2_000_000) -> CompiledBundle:
    """Check every file of `bundle` and parse its processes, or raise DeploymentError."""
    checker = _Checker(bundle, max_bytes)
    parser = SpiffBpmnParser(validator=VALIDATOR)
    compiled = CompiledBundle(bundle)
    _check_forms(bundle, checker)
    for item in bundle.of_kind("dmn"):
        root = checker.parse(item)
        if root is None:
            continue
        info, problems = read_decision(root, item.path)
        checker.problems += problems
        if info is None:
            continue
        if info.decision_id in compiled.decisions:
            checker.problems.append(Problem(item.path, f"decision id {info.decision_id} is defined twice"))
        try:
            parser.add_dmn_xml(root, filename=item.path)
        except SpiffWorkflowException as exc:
            checker.problems.append(checker.from_spiff(exc, item.path))
            continue
        compiled.decisions[info.decision_id] = info
    lanes: dict[str, dict[str, str]] = {}
    for item in bundle.of_kind("bpmn"):
        root = checker.parse(item)
        if root is None:
            continue
        lanes.update(_lane_groups(root))
        for node in root.iter():
            if isinstance(node.tag, str) and node.get("id") in _RESERVED_IDS:
                checker.problems.append(Problem(item.path, f"id '{node.get('id')}' is reserved by the engine; "
                                                "rename the element", line=node.sourceline, element=node.get("id")))
        try:
            parser.add_bpmn_xml(root, filename=item.path)
        except SpiffWorkflowException as exc:
            checker.problems.append(checker.from_spiff(exc, item.path))
    if checker.problems:
        raise DeploymentError(checker.problems)
    for process_id in parser.get_process_ids():
        try:
            spec = parser.get_spec(process_id)
            subprocess_specs = parser.get_subprocess_specs(process_id)
        except (ValidationException, SpiffWorkflowException) as exc:
            checker.problems.append(checker.from_spiff(exc, ""))
            continue
        forms = _check_tasks(spec, subprocess_specs, lanes, bundle, checker)
        involved = [process_id, *subprocess_specs]
        compiled.processes[process_id] = CompiledProcess(
            process_id, spec.description or process_id, spec, subprocess_specs,
            {pid: lanes[pid] for pid in involved if lanes.get(pid)}, forms)
    if checker.problems:
        raise DeploymentError(checker.problems)
    compiled.locations, compiled.lane_ids = checker.lines, checker.lane_ids
    return compiled


def _lane_groups(root: etree._Element) -> dict[str, dict[str, str]]:
    """Return {process id: {lane name: candidate group}}; lane names are only unique per process."""
    groups: dict[str, dict[str, str]] = {}
    for process in root.iter(f"{{{_BPMN_NS}}}process"):
        lanes = groups.setdefault(process.get("id"), {})
        for lane in process.iter(f"{{{_BPMN_NS}}}lane"):
            for prop in lane.iter(f"{{{_SPIFF_NS}}}property"):
                if prop.get("name") == "candidateGroup" and prop.get("value"):
                    lanes[lane.get("name") or lane.get("id")] = prop.get("value")
    return groups


def _check_tasks(spec: Any, subprocess_specs: dict[str, Any], lanes: dict[str, dict[str, str]], bundle: Bundle,
                 checker: _Checker) -> list[str]:
    forms: set[str] = set()
    for process_id, task_spec in iter_task_specs(spec, subprocess_specs):
        process_lanes = lanes.get(process_id, {})
        element = getattr(task_spec, "bpmn_id", None)
        if element is None:
            continue
        properties = (getattr(task_spec, "extensions", None) or {}).get("properties", {})
        event = getattr(task_spec, "event_definition", None)
        if isinstance(event, TimerEventDefinition):
            _check_expression(event.expression, element, "timer expression", checker)
        if not getattr(task_spec, "manual", False):
            continue
        if not task_spec.lane:
            checker.problems.append(checker.problem_at(element, "a user task must sit in a lane (an agency)"))
        elif task_spec.lane not in process_lanes:
            checker.problems.append(checker.problem_at(
                element, f"lane '{task_spec.lane}' has no candidateGroup property"))
        schema_name = properties.get("formJsonSchemaFilename")
        if not schema_name:
            checker.problems.append(checker.problem_at(element, "user task has no formJsonSchemaFilename"))
        for key in ("formJsonSchemaFilename", "formUiSchemaFilename"):
            name = properties.get(key)
            if not name:
                continue
            if bundle.form(name) is None:
                checker.problems.append(checker.problem_at(element, f"{key} names '{name}', not in the bundle"))
            forms.add(name)
        if properties.get("dueDate"):
            _check_expression(properties["dueDate"], element, "dueDate expression", checker)
    return sorted(forms)


def _check_expression(expression: str | None, element: str, what: str, checker: _Checker) -> None:
    try:
        ast.parse(expression or "", mode="eval")
    except SyntaxError as exc:
        checker.problems.append(checker.problem_at(element, f"{what} {expression!r} is not valid: {exc.msg}"))


def _check_forms(bundle: Bundle, checker: _Checker) -> None:
    for item in bundle.of_kind("form"):
        try:
            document = json.loads(item.content)
        except (ValueError, UnicodeDecodeError) as exc:
            line = getattr(exc, "lineno", None)
            checker.problems.append(Problem(item.path, f"not valid JSON: {exc}", line=line))
            continue
        if not isinstance(document, dict):
            checker.problems.append(Problem(item.path, "a form file must hold a JSON object"))
            continue
        if item.name.endswith(".schema.json"):
            try:
                Draft202012Validator.check_schema(document)
            except SchemaError as exc:
                where = "/".join(str(p) for p in exc.path) or "(root)"
                checker.problems.append(Problem(item.path, f"not a valid JSON Schema at {where}: {exc.message}"))
                continue
            if document.get("type") != "object":
                checker.problems.append(Problem(item.path, 'a form schema must have "type": "object"'))
