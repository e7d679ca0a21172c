"""What an instance will read ahead of where it stands in another version, and whether it will find it.

A field renamed in a form the instance already passed leaves the decisions and conditions ahead reading a
name the instance never got; the catch-all rule or the default flow would then answer in silence. Migration
asks here first and blocks such an instance, naming the reader, the name and the step that now fills it.
"""

from __future__ import annotations

import ast
import builtins
from collections.abc import Iterable

from engine.conventions import FORM_SCHEMA
from engine.forms import declared_properties
from engine.spiff.bundle import Bundle
from engine.spiff.elements import FlowElement, Process, read_elements
from engine.spiff.runtime import Engine
from engine.store.models import ProcessVersion

__all__ = ["names_missing_ahead"]

_BUILTIN = frozenset(dir(builtins)) | {"datetime", "timedelta", "date", "Decimal", "math"}
_FILLINGS: dict[tuple[str, str], _Filling] = {}


def names_missing_ahead(engine: Engine, source: ProcessVersion, target: ProcessVersion,
                        standing_at: Iterable[str], passed: Iterable[str], data: Iterable[str]) -> list[str]:
    """Return a reason for each name read ahead that the instance lacks because a step it passed now fills it
    under a name that step's form in the instance's own version did not have."""
    process = engine.process_elements(target)
    if process is None:
        return []
    new, old = _filling(target), _filling(source)
    by_id = {element.id: element for element in process.elements}
    old_by_id = {element.id: element for element in (engine.process_elements(source) or process).elements}
    ahead = _reachable(process, set(standing_at))
    known = set(data) | set(engine.helpers) | _BUILTIN
    renamed = {name: by_id[e] for e in passed if e in by_id
               for name in new.filled_by(by_id[e]) - (old.filled_by(old_by_id[e]) if e in old_by_id else set())}
    decisions = new.decisions
    readers: list[tuple[str, set[str]]] = []
    for element in (by_id[e] for e in sorted(ahead) if e in by_id):
        decision = decisions.get(element.called_decision or "")
        if decision is not None:
            read = {n for table in decision.tables for c in table.inputs for n in _read(c.expression)}
            readers.append((f"decision {decision.id} at {element.label}", read))
    readers += [(f"the condition of flow {flow.name or flow.id}", _read(flow.condition))
                for flow in process.flows if flow.source in ahead and flow.condition]
    reasons = []
    for reader, names in readers:
        for name in sorted(names - known):
            if name in renamed:
                reasons.append(f"{reader} reads {name}, which {renamed[name].label} fills in version "
                               f"{target.version} but filled under another name when this instance passed it")
    return sorted(set(reasons))


def _filling(version: ProcessVersion) -> _Filling:
    # A batch asks once per instance; the same deployed content is read once.
    key = (version.bundle, version.deployment.content_hash)
    if key not in _FILLINGS:
        if len(_FILLINGS) >= 32:
            _FILLINGS.pop(next(iter(_FILLINGS)))
        _FILLINGS[key] = _Filling(version)
    return _FILLINGS[key]


class _Filling:
    """What each element of a version fills: its form's fields, its decision's outputs, its script's names."""

    def __init__(self, version: ProcessVersion) -> None:
        bundle = Bundle.from_texts(version.bundle, dict(version.deployment.files))
        self.decisions = {d.id: d for d in read_elements(bundle).decisions}
        self.forms = bundle.form_documents()

    def filled_by(self, element: FlowElement) -> set[str]:
        names = set(declared_properties(self.forms.get(element.properties.get(FORM_SCHEMA, ""), {})))
        decision = self.decisions.get(element.called_decision or "")
        if decision is not None:
            names |= {o.name or "" for table in decision.tables for o in table.outputs}
        return names | _assigned(element.script)


def _reachable(process: Process, start: set[str]) -> set[str]:
    successors: dict[str, set[str]] = {}
    for flow in process.flows:
        successors.setdefault(flow.source, set()).add(flow.target)
    for element in process.elements:
        if element.attached_to:
            successors.setdefault(element.attached_to, set()).add(element.id)
    seen, pending = set(), list(start)
    while pending:
        node = pending.pop()
        if node not in seen:
            seen.add(node)
            pending += successors.get(node, ())
    return seen


def _read(expression: str | None) -> set[str]:
    try:
        tree = ast.parse((expression or "").strip(), mode="eval")
    except SyntaxError:
        return set()
    return {node.id for node in ast.walk(tree) if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load)}


def _assigned(script: str | None) -> set[str]:
    try:
        tree = ast.parse(script or "")
    except SyntaxError:
        return set()
    return {node.id for node in ast.walk(tree) if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store)}
