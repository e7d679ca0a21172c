"""Check a bundle and turn it into process specs; every failed check becomes a Problem."""

from __future__ import annotations

import ast
import json
from dataclasses import dataclass, field
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.spiff.parser import VALIDATOR, SpiffBpmnParser

from engine.conventions import CANDIDATE_GROUP, DUE_DATE, FORM_SCHEMA, FORM_SCHEMA_SUFFIX, FORM_UI_SCHEMA, PROPERTIES
from engine.errors import DeploymentError, Problem
from engine.forms import branch_field_problems, expand_shared, shared_field_problems
from engine.limits import MAX_DEPTH, json_text_depth
from engine.spiff.bundle import Bundle
from engine.spiff.bundle_rules import bundle_rule_problems
from engine.spiff.code_check import code_problems
from engine.spiff.dmn import DecisionInfo, read_decision
from engine.spiff.elements import BundleElements, read_elements
from engine.spiff.labels import label_problems

__all__ = ["CompiledBundle", "CompiledProcess", "compile_bundle", "iter_task_specs"]

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
    elements: BundleElements  # what later checks read, and where their problems stand
    processes: dict[str, CompiledProcess] = field(default_factory=dict)
    decisions: dict[str, DecisionInfo] = field(default_factory=dict)

    def problem_at(self, element: str | None, message: str) -> Problem:
        """Return a problem located at an element of the bundle (its first diagram when unknown)."""
        diagrams = self.bundle.of_kind("bpmn")
        fallback = (diagrams[0].path if diagrams else self.bundle.name, None)
        file_name, line = self.elements.locations.get(element or "", fallback)
        return Problem(file_name, message, line=line, element=element)


def iter_task_specs(spec: Any, subprocess_specs: dict[str, Any]) -> list[tuple[str, Any]]:
    """Return (process id, task spec) for a process and every process it calls."""
    pairs = [(spec.name, t) for t in spec.task_specs.values()]
    for name, sub in subprocess_specs.items():
        pairs += [(name, t) for t in sub.task_specs.values()]
    return pairs


class _Checker:
    def __init__(self, elements: BundleElements) -> None:
        self.problems: list[Problem] = []
        self.lines = elements.locations

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
    elements = read_elements(bundle, max_bytes)
    checker = _Checker(elements)
    parser = SpiffBpmnParser(validator=VALIDATOR)
    compiled = CompiledBundle(bundle, elements)
    _check_forms(bundle, checker)
    for item in bundle.of_kind("dmn"):
        document = elements.decision_file(item.path)
        if document is None:
            checker.problems.append(elements.unreadable[item.path])
            continue
        info, problems = read_decision(document)
        checker.problems += problems
        if info is None:
            continue
        if info.decision_id in compiled.decisions:
            checker.problems.append(Problem(item.path, f"decision id {info.decision_id} is defined twice"))
        try:
            parser.add_dmn_xml(document.root, filename=item.path)
        except SpiffWorkflowException as exc:
            checker.problems.append(checker.from_spiff(exc, item.path))
            continue
        compiled.decisions[info.decision_id] = info
    lanes: dict[str, dict[str, str]] = {}
    for item in bundle.of_kind("bpmn"):
        diagram = elements.diagram(item.path)
        if diagram is None:
            checker.problems.append(elements.unreadable[item.path])
            continue
        # Lane names are only unique per process.
        lanes.update({process.id: process.lane_groups for process in diagram.processes})
        for element_id, line in diagram.ids:
            if element_id in _RESERVED_IDS:
                checker.problems.append(Problem(item.path, f"id '{element_id}' is reserved by the engine; "
                                                "rename the element", line=line, element=element_id))
        try:
            parser.add_bpmn_xml(diagram.root, filename=item.path)
        except SpiffWorkflowException as exc:
            checker.problems.append(checker.from_spiff(exc, item.path))
    checker.problems += bundle_rule_problems(bundle, elements)
    checker.problems += label_problems(bundle, elements)
    checker.problems += code_problems(elements)
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
    return compiled


def _check_tasks(spec: Any, subprocess_specs: dict[str, Any], lanes: dict[str, dict[str, str]], bundle: Bundle,
                 checker: _Checker) -> list[str]:
    forms: set[str] = set()
    for process_id, task_spec in iter_task_specs(spec, subprocess_specs):
        process_lanes = lanes.get(process_id, {})
        element = getattr(task_spec, "bpmn_id", None)
        if element is None:
            continue
        properties = (getattr(task_spec, "extensions", None) or {}).get(PROPERTIES, {})
        event = getattr(task_spec, "event_definition", None)
        if isinstance(event, TimerEventDefinition):
            _check_expression(event.expression, element, "timer expression", checker)
        if not getattr(task_spec, "manual", False):
            continue
        if not task_spec.lane:
            checker.problems.append(checker.problem_at(element, "a user task must sit in a lane (an agency)"))
        elif task_spec.lane not in process_lanes:
            checker.problems.append(checker.problem_at(
                element, f"lane '{task_spec.lane}' has no {CANDIDATE_GROUP} property"))
        schema_name = properties.get(FORM_SCHEMA)
        if not schema_name:
            checker.problems.append(checker.problem_at(element, f"user task has no {FORM_SCHEMA}"))
        for key in (FORM_SCHEMA, FORM_UI_SCHEMA):
            name = properties.get(key)
            if not name:
                continue
            if bundle.form(name) is None:
                checker.problems.append(checker.problem_at(element, f"{key} names '{name}', not in the bundle"))
            forms.add(name)
        if properties.get(DUE_DATE):
            _check_expression(properties[DUE_DATE], element, f"{DUE_DATE} expression", checker)
    return sorted(forms)


def _check_expression(expression: str | None, element: str, what: str, checker: _Checker) -> None:
    try:
        ast.parse(expression or "", mode="eval")
    except SyntaxError as exc:
        checker.problems.append(checker.problem_at(element, f"{what} {expression!r} is not valid: {exc.msg}"))


def _check_forms(bundle: Bundle, checker: _Checker) -> None:
    for item in bundle.of_kind("form"):
        if json_text_depth(item.content) > MAX_DEPTH:
            checker.problems.append(Problem(item.path, f"nests deeper than {MAX_DEPTH} levels"))
            continue
        try:
            document = json.loads(item.content)
        except (ValueError, UnicodeDecodeError) as exc:
            line = getattr(exc, "lineno", None)
            checker.problems.append(Problem(item.path, f"not valid JSON: {exc}", line=line))
            continue
        if not isinstance(document, dict):
            checker.problems.append(Problem(item.path, "a form file must hold a JSON object"))
            continue
        if item.name.endswith(FORM_SCHEMA_SUFFIX):
            shared = shared_field_problems(document)
            if shared:
                checker.problems += [Problem(item.path, problem) for problem in shared]
                continue
            document = expand_shared(document)
            try:
                Draft202012Validator.check_schema(document)
            except SchemaError as exc:
                where = "/".join(str(p) for p in exc.path) or "(root)"
                checker.problems.append(Problem(item.path, f"not a valid JSON Schema at {where}: {exc.message}"))
                continue
            if document.get("type") != "object":
                checker.problems.append(Problem(item.path, 'a form schema must have "type": "object"'))
            checker.problems += [Problem(item.path, problem) for problem in branch_field_problems(document)]
