"""What an instance will read ahead of where it stands in another version, and whether it will find it.

A field renamed in a form the instance already passed leaves the decisions and conditions ahead reading a
name the instance never got; the catch-all rule or the default flow would then answer in silence. Migration
asks here first and blocks such an instance, naming the reader, the name and the step that now fills it.
"""

from __future__ import annotations

from collections.abc import Iterable

from engine.conventions import FORM_SCHEMA
from engine.forms import declared_properties
from engine.spiff.dmn import read_names
from engine.spiff.dmn_elements import Decision
from engine.spiff.elements import FlowElement
from engine.spiff.expressions import BUILTIN_NAMES, assigned_names
from engine.spiff.runtime import Engine
from engine.store.models import ProcessVersion
from engine.usecases.migration_reasons import Reason

__all__ = ["names_missing_ahead"]


def names_missing_ahead(engine: Engine, source: ProcessVersion, target: ProcessVersion,
                        standing_at: Iterable[str], passed: Iterable[str], data: Iterable[str]) -> list[Reason]:
    """Return a reason for each name read ahead that the instance lacks because a step it passed now fills it
    under a name that step's form in the instance's own version did not have."""
    process = engine.process_elements(target)
    if process is None:
        return []
    by_id = {element.id: element for element in process.elements}
    old_by_id = {element.id: element for element in (engine.process_elements(source) or process).elements}
    ahead = process.reachable_from(standing_at)
    known = set(data) | set(engine.helpers) | BUILTIN_NAMES
    decisions = _decisions(engine, target)
    old_decisions = _decisions(engine, source)
    renamed = {name: by_id[e] for e in passed if e in by_id
               for name in _filled_by(engine, target, decisions, by_id[e])
               - (_filled_by(engine, source, old_decisions, old_by_id[e]) if e in old_by_id else set())}
    readers: list[tuple[str, str, set[str]]] = []  # (English, Chinese, names read)
    for element in (by_id[e] for e in sorted(ahead) if e in by_id):
        decision = decisions.get(element.called_decision or "")
        if decision is not None:
            read = {n for table in decision.tables for c in table.inputs for n in read_names(c.expression or "")}
            readers.append((f"decision {decision.id} at {element.label}", f"「{element.label}」的决策", read))
    by_element = {element.id: element.label for element in process.elements}
    readers += [(f"the condition of flow {flow.name or flow.id}",
                 f"「{by_element.get(flow.source, flow.source)}」之后"
                 f"{'「' + flow.name + '」' if flow.name else ''}连线的条件", set(read_names(flow.condition or "")))
                for flow in process.flows if flow.source in ahead and flow.condition]
    reasons: dict[str, Reason] = {}
    for reader_en, reader_zh, names in readers:
        for name in sorted(names - known):
            if name in renamed:
                filler = renamed[name]
                title = _title(engine, target, filler, name)
                text = (f"{reader_en} reads {name}, which {filler.label} fills in version {target.version} "
                        f"but filled under another name when this instance passed it")
                reasons[text] = Reason(
                    "renamed_ahead", text,
                    f"{reader_zh}要读取「{title}」：版本 {target.version} 由「{filler.label}」填写它，"
                    f"而本实例办理该环节时它还叫另一个名字", {"field": name, "element": filler.id})
    return [reasons[text] for text in sorted(reasons)]


def _title(engine: Engine, version: ProcessVersion, element: FlowElement, name: str) -> str:
    """Return a field's title in the element's form, or the name when the form gives none."""
    form = element.properties.get(FORM_SCHEMA)
    properties = engine.form(version, form).get("properties", {}) if form else {}
    return str((properties.get(name) or {}).get("title") or name)


def _decisions(engine: Engine, version: ProcessVersion) -> dict[str, Decision]:
    return {decision.id: decision for decision in engine.deployment_elements(version).decisions}


def _filled_by(engine: Engine, version: ProcessVersion, decisions: dict[str, Decision],
               element: FlowElement) -> set[str]:
    """Return what an element of a version fills: its form's fields, its decision's outputs, its script's names."""
    form = element.properties.get(FORM_SCHEMA)
    names = set(declared_properties(engine.form(version, form))) if form else set()
    decision = decisions.get(element.called_decision or "")
    if decision is not None:
        names |= {o.name or "" for table in decision.tables for o in table.outputs}
    return names | assigned_names(element.script)
