"""Read what the engine needs to know about a DMN decision: inputs, types, rules."""

from __future__ import annotations

from dataclasses import dataclass

from lxml import etree

from engine.errors import Problem

__all__ = ["TYPE_REFS", "DecisionInput", "DecisionInfo", "read_decision"]

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


def _local(tag: object) -> str:
    return etree.QName(tag).localname if isinstance(tag, str) else ""


def _children(node: etree._Element, name: str) -> list[etree._Element]:
    return [child for child in node if _local(child.tag) == name]


def read_decision(root: etree._Element, file_name: str) -> tuple[DecisionInfo | None, list[Problem]]:
    """Return the decision of a DMN document and every problem found with it."""
    problems: list[Problem] = []
    decisions = [n for n in root.iter() if _local(n.tag) == "decision"]
    if len(decisions) != 1:
        problems.append(Problem(file_name, f"a DMN file must hold exactly one decision, found {len(decisions)}"))
        return None, problems
    decision = decisions[0]
    decision_id = decision.get("id", "")
    tables = [n for n in decision.iter() if _local(n.tag) == "decisionTable"]
    if len(tables) != 1:
        problems.append(Problem(file_name, "a decision must hold exactly one decisionTable",
                                line=decision.sourceline, element=decision_id))
        return None, problems
    table = tables[0]
    declared = _declared_inputs(root)
    inputs: list[DecisionInput] = []
    for clause in _children(table, "input"):
        expressions = _children(clause, "inputExpression")
        if not expressions:
            continue
        expression = expressions[0]
        text = "".join(t.text or "" for t in _children(expression, "text")).strip()
        type_ref = (expression.get("typeRef") or "").strip()
        if type_ref not in TYPE_REFS:
            problems.append(Problem(file_name, f"input '{clause.get('label') or text}' has typeRef "
                                    f"'{type_ref}'; use one of {sorted(TYPE_REFS)}",
                                    line=expression.sourceline, element=clause.get("id")))
        if text.isidentifier():
            inputs.append(DecisionInput(text, type_ref, clause.get("label") or text))
    # Raw inputs that only feed derived input expressions are declared as inputData.
    for name, (type_ref, label) in declared.items():
        if all(i.name != name for i in inputs):
            inputs.append(DecisionInput(name, type_ref, label))
    outputs = tuple(o.get("name") or o.get("label") or "" for o in _children(table, "output"))
    rules = _children(table, "rule")
    if not rules:
        problems.append(Problem(file_name, "the decision table has no rules", line=table.sourceline,
                                element=decision_id))
    else:
        last = rules[-1]
        entries = ["".join(t.text or "" for t in _children(e, "text")).strip()
                   for e in _children(last, "inputEntry")]
        if any(entry not in _CATCH_ALL for entry in entries):
            problems.append(Problem(
                file_name,
                f"decision {decision_id} must end with a catch-all rule (every input '-'), "
                "so that no input set goes unanswered",
                line=last.sourceline, element=last.get("id")))
    info = DecisionInfo(decision_id, decision.get("name") or decision_id, file_name, tuple(inputs),
                        outputs, len(rules))
    return info, problems


def _declared_inputs(root: etree._Element) -> dict[str, tuple[str, str]]:
    declared: dict[str, tuple[str, str]] = {}
    for node in root.iter():
        if _local(node.tag) != "inputData":
            continue
        for variable in _children(node, "variable"):
            name = variable.get("name") or node.get("name") or ""
            if name.isidentifier():
                declared[name] = ((variable.get("typeRef") or "string").strip(), node.get("name") or name)
    return declared
