"""The expressions and scripts a compiled bundle's elements run, read from their specs, and what a timer accepts."""

from __future__ import annotations

import ast
import builtins
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition

from engine.conventions import DUE_DATE, PROPERTIES
from engine.spiff.compiler import CompiledBundle, iter_task_specs

__all__ = ["BUILTIN_NAMES", "TIMER", "ElementExpression", "assigned_names", "element_expressions", "is_timer_value",
           "script_texts"]

TIMER = "timer"

# Names diagram code may use without any step setting them (the sandbox's own helpers come from the engine).
BUILTIN_NAMES = frozenset(dir(builtins)) | {"datetime", "timedelta", "date", "Decimal", "math"}


def assigned_names(script: str | None) -> set[str]:
    """Return the variable names a script sets (nothing for one that does not parse)."""
    try:
        tree = ast.parse(script or "")
    except SyntaxError:
        return set()
    return {node.id for node in ast.walk(tree) if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store)}


@dataclass(frozen=True)
class ElementExpression:
    """An expression one element evaluates at run time: its timer's (`TIMER`) or its due date's (`DUE_DATE`)."""

    element: str
    what: str
    text: str | None

    @property
    def timer(self) -> bool:
        """Tell whether the expression gives a timer its date, duration or cycle."""
        return self.what == TIMER


def element_expressions(compiled: CompiledBundle) -> list[ElementExpression]:
    """Return every timer and due-date expression of the bundle's processes, element by element."""
    found: list[ElementExpression] = []
    for process in compiled.processes.values():
        for _, task_spec in iter_task_specs(process.spec, process.subprocess_specs):
            element = getattr(task_spec, "bpmn_id", None)
            if element is None:
                continue
            event = getattr(task_spec, "event_definition", None)
            if isinstance(event, TimerEventDefinition):
                found.append(ElementExpression(element, TIMER, event.expression))
            due = ((getattr(task_spec, "extensions", None) or {}).get(PROPERTIES) or {}).get(DUE_DATE)
            if due:
                found.append(ElementExpression(element, DUE_DATE, due))
    return found


def script_texts(compiled: CompiledBundle) -> list[str]:
    """Return every script, prescript and postscript of the bundle's processes."""
    texts: list[str] = []
    for process in compiled.processes.values():
        for _, task_spec in iter_task_specs(process.spec, process.subprocess_specs):
            for script in (getattr(task_spec, "script", None), getattr(task_spec, "prescript", None),
                           getattr(task_spec, "postscript", None)):
                if script:
                    texts.append(script)
    return texts


def is_timer_value(value: Any) -> bool:
    """Tell whether a timer expression's value is one SpiffWorkflow can wait for: an ISO date, duration or cycle."""
    if isinstance(value, datetime):
        return True
    if not isinstance(value, str) or not value:
        return False
    if value[0] in "PR":
        try:
            if value.startswith("R"):
                TimerEventDefinition.parse_iso_recurring_time(value)
            else:
                TimerEventDefinition.parse_iso_duration(value)
            return True
        except Exception:  # the parser raises plain exceptions on bad input
            return False
    try:
        datetime.fromisoformat(value)
        return True
    except ValueError:
        return False
