"""A DMN file's decisions, parsed once into typed, immutable elements: tables, columns, rules and cells.

Elements are found by local name, so DMN 1.1, 1.2 and 1.3 files read alike; a cell is its
`<text>` as written, since SpiffWorkflow evaluates cells as Python, not FEEL.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from lxml import etree

from engine.conventions import RULE_CITATION
from engine.spiff.xmlsafe import element_ids, local_name, parse_xml

__all__ = [
    "DEFAULT_MAX_BYTES", "Decision", "DecisionFile", "DecisionTable", "InputColumn", "InputData", "OutputColumn",
    "Rule", "read_decision_file",
]

DEFAULT_MAX_BYTES = 10_000_000
"""The size limit of a file read for a report or a diff; deployment checks apply the configured one."""


@dataclass(frozen=True)
class InputColumn:
    """An input of a decision table; `expression` is None when the input has no inputExpression."""

    id: str
    label: str | None
    expression: str | None
    type_ref: str
    line: int | None  # of the input expression, where its typeRef stands


@dataclass(frozen=True)
class OutputColumn:
    """An output of a decision table."""

    id: str
    label: str | None
    name: str | None
    type_ref: str


@dataclass(frozen=True)
class Rule:
    """A row of a decision table: its cells as written and the article its description cites."""

    id: str
    number: int  # 1-based row number, as SpiffWorkflow counts rows
    description: str
    inputs: tuple[str, ...]
    outputs: tuple[str, ...]
    line: int | None


@dataclass(frozen=True)
class DecisionTable:
    """A decision table: hit policy, columns and rules."""

    id: str
    hit_policy: str
    inputs: tuple[InputColumn, ...]
    outputs: tuple[OutputColumn, ...]
    rules: tuple[Rule, ...]
    line: int | None


@dataclass(frozen=True)
class Decision:
    """A DMN decision; a valid one holds exactly one table."""

    id: str
    name: str | None
    file: str
    line: int | None
    tables: tuple[DecisionTable, ...]

    @property
    def label(self) -> str:
        """Return the name, or the id of an unnamed decision."""
        return self.name or self.id

    @property
    def table(self) -> DecisionTable | None:
        """Return the (first) decision table."""
        return self.tables[0] if self.tables else None

    @property
    def rules(self) -> tuple[Rule, ...]:
        """Return the rules of every table of the decision."""
        return tuple(rule for table in self.tables for rule in table.rules)


@dataclass(frozen=True)
class InputData:
    """A raw input declared as inputData, read only by derived input expressions."""

    name: str
    type_ref: str
    label: str


@dataclass(frozen=True)
class DecisionFile:
    """One DMN file: its decisions, declared inputs and every id it defines, with its line."""

    path: str
    root: etree._Element = field(repr=False, compare=False)  # handed to SpiffWorkflow's parser as is
    decisions: tuple[Decision, ...]
    input_data: tuple[InputData, ...]
    ids: tuple[tuple[str, int | None], ...]


def read_decision_file(content: bytes, path: str, max_bytes: int = DEFAULT_MAX_BYTES) -> DecisionFile:
    """Parse one DMN file; raise UnsafeXml when the safe parser refuses it."""
    root = parse_xml(content, path, max_bytes)
    decisions = tuple(_decision(path, node) for node in root.iter() if local_name(node) == "decision")
    input_data = []
    for node in root.iter():
        if local_name(node) == "inputData":
            for variable in _children(node, "variable"):
                name = variable.get("name") or node.get("name") or ""
                input_data.append(InputData(name, (variable.get("typeRef") or "").strip(), node.get("name") or name))
    return DecisionFile(path, root, decisions, tuple(input_data), element_ids(root))


def _children(node: etree._Element, name: str) -> list[etree._Element]:
    return [child for child in node if local_name(child) == name]


def _decision(path: str, node: etree._Element) -> Decision:
    tables = tuple(_table(table) for table in node.iter() if local_name(table) == "decisionTable")
    return Decision(node.get("id") or "", node.get("name"), path, node.sourceline, tables)


def _table(table: etree._Element) -> DecisionTable:
    outputs = tuple(OutputColumn(o.get("id") or "", o.get("label"), o.get("name"), (o.get("typeRef") or "").strip())
                    for o in _children(table, "output"))
    rules = tuple(_rule(number, rule) for number, rule in enumerate(_children(table, "rule"), start=1))
    return DecisionTable(table.get("id") or "", table.get("hitPolicy") or "UNIQUE",
                         tuple(_input(clause) for clause in _children(table, "input")), outputs, rules,
                         table.sourceline)


def _input(clause: etree._Element) -> InputColumn:
    expressions = _children(clause, "inputExpression")
    if not expressions:
        return InputColumn(clause.get("id") or "", clause.get("label"), None, "", clause.sourceline)
    expression = expressions[0]
    return InputColumn(clause.get("id") or "", clause.get("label"), _cell(expression),
                       (expression.get("typeRef") or "").strip(), expression.sourceline)


def _rule(number: int, rule: etree._Element) -> Rule:
    description = " ".join(d.text or "" for d in _children(rule, RULE_CITATION)).strip()
    return Rule(rule.get("id") or "", number, description,
                tuple(_cell(entry) for entry in _children(rule, "inputEntry")),
                tuple(_cell(entry) for entry in _children(rule, "outputEntry")), rule.sourceline)


def _cell(node: etree._Element) -> str:
    """Return the text of an entry or expression: its <text> children, joined and stripped."""
    return "".join(text.text or "" for text in _children(node, "text")).strip()
