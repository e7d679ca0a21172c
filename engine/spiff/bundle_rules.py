"""Rules a bundle keeps beyond what SpiffWorkflow checks, each reported at its file, line and element.

- Each step owns its data. Process data is one namespace: when a later step's form has a field an
  earlier step's form already filled, the earlier agency's value is replaced. A later step may do so
  only when its form says whose value it revises (`"x-govflow-revises": "<earlier step id>"`). Steps
  on alternative paths never overwrite each other, and one form shared by several steps is one kind
  of answer given at each (every step's submission stays in the task index as that step's record).
- A declared regulation is well formed (engine.regulation).
- One date rule: month and year periods always roll over rest days, so `add_months`/`add_years`
  take no third argument.
- A committed handling time (承诺办理时限) belongs to a user task and is a whole number of working days.
- The project figures a bundle marks (`x-govflow-project`) are well typed and one per process
  (engine.spiff.project_marks).
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator, Mapping
from typing import Any

from engine.conventions import COMMITTED_DAYS, DUE_DATE, FORM_SCHEMA, REVISES
from engine.deadlines import committed_days
from engine.errors import Problem
from engine.regulation import Regulation, RegulationDeclarationError
from engine.spiff.bundle import Bundle
from engine.spiff.elements import BundleElements, Process
from engine.spiff.project_marks import project_mark_problems

__all__ = ["bundle_rule_problems"]

_BRANCHES = ("allOf", "anyOf", "oneOf")
_PERIOD_HELPERS = frozenset({"add_months", "add_years"})


def bundle_rule_problems(bundle: Bundle, elements: BundleElements) -> list[Problem]:
    """Return every broken rule of the module docstring."""
    problems: list[Problem] = []
    fields = _form_fields(bundle)
    for process in elements.processes:
        problems += _regulation_problems(process)
        problems += _overwrite_problems(process, fields)
        problems += _period_problems(process)
        problems += _committed_problems(process)
    problems += _decision_period_problems(elements)
    problems += project_mark_problems(bundle, elements)
    return problems


def _regulation_problems(process: Process) -> list[Problem]:
    try:
        Regulation.from_properties(process.properties)
    except RegulationDeclarationError as exc:
        return [Problem(process.file, f"process {process.id}: {exc}", line=process.line, element=process.id)]
    return []


# --- each step owns its data ---------------------------------------------------------------------------------------

def _form_fields(bundle: Bundle) -> dict[str, dict[str, tuple[str, ...]]]:
    """Return {form file: {field: ids of the steps whose value it declares it revises}}."""
    return {name: dict(_fields(document)) for name, document in bundle.form_documents().items()}


def _fields(schema: Mapping[str, Any]) -> Iterator[tuple[str, tuple[str, ...]]]:
    # A field may be declared at the top or in a conditional branch (if/then, allOf…); each writes it.
    properties = schema.get("properties")
    if isinstance(properties, dict):
        for name, definition in properties.items():
            revises = definition.get(REVISES) if isinstance(definition, dict) else None
            yield name, (revises,) if isinstance(revises, str) else tuple(revises or ())
    for key in ("then", "else"):
        if isinstance(schema.get(key), dict):
            yield from _fields(schema[key])
    dependent = schema.get("dependentSchemas")
    branches = [*(dependent.values() if isinstance(dependent, dict) else ())]
    branches += [branch for key in _BRANCHES for branch in schema.get(key) or ()]
    for branch in branches:
        if isinstance(branch, dict):
            yield from _fields(branch)


def _overwrite_problems(process: Process, fields: dict[str, dict[str, tuple[str, ...]]]) -> list[Problem]:
    steps = {element.id: element.properties[FORM_SCHEMA] for element in process.elements
             if element.properties.get(FORM_SCHEMA) in fields}
    successors = process.successors()
    later = {element: process.reachable_from(successors[element], successors) for element in successors}
    problems: list[Problem] = []
    for step, form in steps.items():
        for name, revises in fields[form].items():
            writers = {other for other, other_form in steps.items() if name in fields[other_form]}
            for earlier in sorted(writers - {step}):
                if steps[earlier] == form or step not in later[earlier] or earlier in revises:
                    continue
                problems.append(Problem(f"forms/{form}", (
                    f"field '{name}' of step {step} replaces the value step {earlier} entered with "
                    f"forms/{steps[earlier]}; rename it, or declare \"{REVISES}\": \"{earlier}\" on it if this step "
                    f"revises that value"), element=step))
            problems += [Problem(f"forms/{form}", (
                f"field '{name}' declares it revises step {claimed}, which does not fill '{name}' in process "
                f"{process.id}"), element=step) for claimed in revises if claimed not in writers - {step}]
    return problems


# --- committed handling time -------------------------------------------------------------------------------------

def _committed_problems(process: Process) -> list[Problem]:
    problems = []
    for element in process.elements:
        text = element.properties.get(COMMITTED_DAYS)
        if text is None:
            continue
        if element.kind != "userTask":
            problems.append(Problem(process.file, f"{element.kind} {element.id} has {COMMITTED_DAYS}, which only a "
                                    f"user task may have", line=element.line, element=element.id))
            continue
        try:
            committed_days(text)
        except ValueError as exc:
            problems.append(Problem(process.file, f"{COMMITTED_DAYS} of {element.id}: {exc}", line=element.line,
                                    element=element.id))
    return problems


# --- dates --------------------------------------------------------------------------------------------------------

def _period_problems(process: Process) -> list[Problem]:
    texts: list[tuple[str, str]] = []
    for element in process.elements:
        texts += [(element.id, text) for text in (element.script, element.properties.get(DUE_DATE),
                                                  element.timer.expression if element.timer else None) if text]
    texts += [(flow.id, flow.condition) for flow in process.flows if flow.condition]
    problems = []
    for element_id, text in texts:
        for helper in _period_calls_with_switch(text):
            problems.append(Problem(process.file, (
                f"{helper}(...) takes no third argument: every month and year period ends on the next working "
                f"day when its last day is a rest day (README, \"Dates and periods\")"), element=element_id))
    return problems


def _decision_period_problems(elements: BundleElements) -> list[Problem]:
    return [Problem(decision.file, (f"decision {decision.id}, rule {rule.number}: {helper}(...) takes no third "
                                    f"argument: every month and year period rolls over rest days"),
                    line=rule.line, element=rule.id)
            for decision in elements.decisions for table in decision.tables for rule in table.rules
            for cell in (*rule.inputs, *rule.outputs) for helper in _period_calls_with_switch(cell)]


def _period_calls_with_switch(text: str) -> list[str]:
    try:
        tree = ast.parse(text)
    except SyntaxError:
        # Not Python on its own (the compiler reports real syntax errors); look for the call by its text.
        return [name for name in _PERIOD_HELPERS if re.search(rf"\b{name}\([^()]*,[^()]*,", text)]
    return [node.func.id for node in ast.walk(tree)
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in _PERIOD_HELPERS
            and len(node.args) + len(node.keywords) > 2]
