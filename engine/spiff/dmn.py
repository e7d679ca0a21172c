"""DMN decisions: what a table needs (checked on its parsed elements) and how it is evaluated, with typed inputs.

SpiffWorkflow's engine compares raw task data: a date that a form submitted as
an ISO string fails against a date cell, and a missing value raises inside a
cell. Here every input is evaluated once per decision, converted by its DMN
`typeRef`, and a cell tested against a missing value (or an input the process has
not collected yet) does not match, as a comparison with null is not true in FEEL,
so the table's catch-all rule answers.
An empty result is an error, never silence; COLLECT with no match gives empty lists.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.dmn.engine.DMNEngine import DMNEngine
from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.spiff.parser import SpiffBpmnParser

from engine.conventions import CALLED_DECISION
from engine.errors import Problem
from engine.spiff.dmn_elements import DecisionFile
from engine.spiff.internals import dmn_engine_of, retype_dmn_engine
from engine.spiff.run_context import DecisionTaken
from engine.spiff.sandbox import SandboxScriptEngine, compile_checked
from engine.typerefs import to_type_ref

__all__ = [
    "TYPE_REFS", "DecisionInfo", "DecisionInput", "NeededInput", "TypedDMNEngine", "cell_expression", "decision_engine",
    "read_decision", "read_names", "typed", "use_typed_engines",
]

TYPE_REFS = frozenset({"number", "integer", "long", "double", "boolean", "string", "date"})
_CATCH_ALL = frozenset({"", "-"})


@dataclass(frozen=True)
class DecisionInput:
    """A typed input a caller supplies by name."""

    name: str
    type_ref: str
    label: str


@dataclass(frozen=True)
class DecisionInfo:
    """The decision of one DMN file."""

    decision_id: str
    name: str
    file: str
    inputs: tuple[DecisionInput, ...]
    outputs: tuple[str, ...]
    rule_count: int


def read_decision(document: DecisionFile) -> tuple[DecisionInfo | None, list[Problem]]:
    """Return the decision of a DMN file and every problem found with it."""
    file_name = document.path
    problems: list[Problem] = []
    found = len(document.decisions)
    if found != 1:
        problems.append(Problem(file_name, f"a DMN file must hold exactly one decision, found {found}"))
        return None, problems
    decision = document.decisions[0]
    if len(decision.tables) != 1:
        problems.append(Problem(file_name, "a decision must hold exactly one decisionTable",
                                line=decision.line, element=decision.id))
        return None, problems
    table = decision.tables[0]
    inputs: list[DecisionInput] = []
    for column in table.inputs:
        if column.expression is None:
            continue
        if column.type_ref not in TYPE_REFS:
            problems.append(Problem(file_name, f"input '{column.label or column.expression}' has typeRef "
                                    f"'{column.type_ref}'; use one of {sorted(TYPE_REFS)}",
                                    line=column.line, element=column.id or None))
        if column.expression.isidentifier():
            inputs.append(DecisionInput(column.expression, column.type_ref, column.label or column.expression))
    # Raw inputs that only feed derived input expressions are declared as inputData; the last declaration counts.
    declared = {data.name: data for data in document.input_data if data.name.isidentifier()}
    for data in declared.values():
        if all(i.name != data.name for i in inputs):
            inputs.append(DecisionInput(data.name, data.type_ref or "string", data.label))
    outputs = tuple(o.name or o.label or "" for o in table.outputs)
    if not table.rules:
        problems.append(Problem(file_name, "the decision table has no rules", line=table.line,
                                element=decision.id))
    elif table.hit_policy != "COLLECT" and any(entry not in _CATCH_ALL for entry in table.rules[-1].inputs):
        # A COLLECT table lists what applies; no match is an empty list, which needs no catch-all.
        last = table.rules[-1]
        problems.append(Problem(
            file_name,
            f"decision {decision.id} must end with a catch-all rule (every input '-'), "
            "so that no input set goes unanswered",
            line=last.line, element=last.id or None))
    info = DecisionInfo(decision.id, decision.name or decision.id, file_name, tuple(inputs), outputs,
                        len(table.rules))
    return info, problems


_VALUE = "dmninputvalue"
# A `?` outside quotes stands for the input value (SpiffWorkflow's syntax).
_QUESTION = re.compile(r"(\?)(?=(?:[^'\"]|['\"][^'\"]*['\"])*$)")


def cell_expression(cell: str) -> str:
    """Return the expression an input entry is evaluated as, with the input value named `dmninputvalue`.

    `?` stands for the value; a cell that is an expression on its own is compared for equality
    (`"A"`, `True`), and one that is not is completed by the value on its left (`>= 500`, `in (1, 2)`).
    """
    expression = _QUESTION.sub(_VALUE, cell)
    if _VALUE in expression:
        return expression
    try:
        compile_checked(cell, "eval")
    except SyntaxError:
        return f"{_VALUE} {cell}"
    return f"({_VALUE}) == ({cell})"


class NeededInput(Exception):
    """A decision evaluated on its own needs an input its caller left out: a rule that could match tests it."""

    def __init__(self, names: frozenset[str], row: int) -> None:
        super().__init__(f"row {row} needs {', '.join(sorted(names))}")
        self.names = names
        self.row = row


class TypedDMNEngine(DMNEngine):  # type: ignore[misc]  # SpiffWorkflow ships no types
    """Evaluate a decision table with typed, once-evaluated inputs.

    `omitted` names the data a caller of a decision on its own left out. A rule whose other cells
    match and that tests an omitted input raises NeededInput, so an omission never quietly
    hands the case to a later rule.
    """

    omitted: frozenset[str] = frozenset()

    def decide(self, task: Any) -> list[Any]:
        """Return the matching rules: the first one, or all of them for COLLECT."""
        collect = self.decision_table.hit_policy == "COLLECT"
        values: dict[str, Any] = {}
        matched = []
        for rule in self.decision_table.rules:
            if self._matches(rule, task, values):
                matched.append(rule)
                if not collect:
                    break
        return matched

    def result(self, task: Any) -> dict[str, Any]:
        """Return the outputs, or raise when no rule matched; log the decision to the task's run."""
        table = self.decision_table
        rules = self.decide(task)
        outputs: dict[str, Any] = {}
        if table.hit_policy == "COLLECT":
            # Every output becomes the list of what the matched rules give; no match gives empty lists.
            for rule in rules:
                for key, value in rule.output_as_dict(task).items():
                    outputs.setdefault(key, []).append(value)
            outputs = outputs or {o.name or o.label: [] for o in table.outputs}
        elif rules:
            outputs = rules[0].output_as_dict(task)
        if not outputs:
            raise WorkflowTaskException(f"decision table {table.name or table.id}: no rule matched", task=task)
        # The business rule task deep-merges outputs into the data: a COLLECT list from an
        # earlier pass would absorb this one. A decision's outputs replace what was there.
        for key in outputs:
            task.data.pop(key, None)
        self._record(task, outputs, rules)
        return outputs

    def _record(self, task: Any, outputs: dict[str, Any], rules: list[Any]) -> None:
        script_engine = task.workflow.script_engine
        if not isinstance(script_engine, SandboxScriptEngine):
            return  # only the engine's own script engines carry a run to log to
        table = self.decision_table
        values: dict[str, Any] = {}
        inputs: list[dict[str, Any]] = []
        for rule in table.rules[:1]:
            for entry in rule.inputEntries:
                try:
                    value = self._input_value(entry, task, values)
                except Exception:  # noqa: BLE001 - the record shows what could not be evaluated
                    value = None
                inputs.append({"label": entry.input.label or entry.input.id,
                               "expression": entry.input.expression, "value": value})
        spec = task.task_spec
        decision_id = (getattr(spec, "extensions", None) or {}).get(CALLED_DECISION) or table.id
        script_engine.run.decisions.append(DecisionTaken(
            spec.bpmn_id or spec.name, decision_id, table.name or decision_id, inputs, dict(outputs),
            tuple(rule.id for rule in rules)))

    def _input_value(self, entry: Any, task: Any, values: dict[str, Any]) -> Any:
        key = entry.input.id
        if key not in values:
            expression = (entry.input.expression or "").strip()
            known = task.workflow.script_engine.environment.globals
            if any(task.data.get(name) is None and name not in known for name in read_names(expression)):
                # A staged decision runs before the process has collected every input: no value yet.
                values[key] = None
            else:
                raw = task.workflow.script_engine.evaluate(task, expression)
                values[key] = to_type_ref(raw, entry.input.typeRef or "")
        return values[key]

    def _matches(self, rule: Any, task: Any, values: dict[str, Any]) -> bool:
        script_engine = task.workflow.script_engine
        needed: frozenset[str] = frozenset()
        for entry in rule.inputEntries:
            for cell in entry.lhs:
                if cell is None or not cell.strip() or cell.strip() == "-":
                    continue
                try:
                    value = self._input_value(entry, task, values)
                    left_out = read_names(entry.input.expression or "") & self.omitted
                    if value is None and left_out:
                        needed |= left_out  # needed only if the rest of the rule matches
                        continue
                    if value is None:
                        return False
                    if not script_engine.evaluate(task, cell_expression(cell), external_context={_VALUE: value}):
                        return False
                except SpiffWorkflowException as exc:
                    exc.add_note(f"Rule failed on row {rule.row_number}")
                    raise
                except Exception as exc:  # a cell that cannot be evaluated names its row
                    error = WorkflowTaskException(str(exc), task=task, exception=exc)
                    error.add_note(f"Failed to execute DMN Rule on row {rule.row_number}")
                    raise error from exc
        if needed:
            raise NeededInput(needed, rule.row_number)
        return True


@lru_cache(maxsize=1024)
def read_names(expression: str) -> frozenset[str]:
    """Return the variable names an expression reads (nothing for one that does not parse)."""
    try:
        tree = ast.parse(expression.strip(), mode="eval")
    except SyntaxError:
        return frozenset()  # let evaluation report the syntax error where it runs
    return frozenset(node.id for node in ast.walk(tree) if isinstance(node, ast.Name)
                     and isinstance(node.ctx, ast.Load))


def typed(engine: Any) -> TypedDMNEngine:
    """Turn a DMN engine built by SpiffWorkflow's parser into the typed engine, in place."""
    return retype_dmn_engine(engine, TypedDMNEngine)


def decision_engine(document: DecisionFile, decision_id: str) -> TypedDMNEngine:
    """Return the typed engine of one decision of a DMN file, to evaluate it outside any process."""
    parser = SpiffBpmnParser()
    parser.add_dmn_xml(document.root, filename=document.path)
    return typed(parser.get_engine(decision_id, None))


def use_typed_engines(specs: list[Any]) -> None:
    """Give every business rule task in these process specs the typed engine."""
    for spec in specs:
        for task_spec in spec.task_specs.values():
            engine = dmn_engine_of(task_spec)
            if engine is not None:
                typed(engine)
