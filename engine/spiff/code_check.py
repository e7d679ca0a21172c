"""Compile every piece of diagram code at deploy time exactly as the sandbox will at run time.

Scripts, gateway conditions, timer and due-date expressions and DMN cells run under RestrictedPython
(engine.spiff.sandbox). A text the sandbox refuses (`__import__('os')`, a name starting with `_`, a
syntax error) would otherwise deploy and fail the first instance that reaches it; here it is
refused before deployment, at its element or rule and line.
"""

from __future__ import annotations

from collections.abc import Iterator

from engine.conventions import DUE_DATE
from engine.errors import Problem
from engine.spiff.dmn import cell_expression
from engine.spiff.elements import BundleElements
from engine.spiff.sandbox import compile_checked

__all__ = ["code_problems"]

_SKIP = frozenset({"", "-"})


def code_problems(elements: BundleElements) -> list[Problem]:
    """Return a problem for every script, condition, expression and DMN cell the sandbox would refuse."""
    problems: list[Problem] = []
    for file_name, element, line, what, text, mode in _code(elements):
        try:
            compile_checked(text, mode)
        except SyntaxError as exc:
            # The line is the element's or the rule's; the message gives the line within a script.
            problems.append(Problem(file_name, f"{what} cannot run: {exc.msg}", line=line, element=element))
    return problems


def _code(elements: BundleElements) -> Iterator[tuple[str, str, int | None, str, str, str]]:
    for process in elements.processes:
        for node in process.elements:
            if node.script and node.script.strip():
                yield process.file, node.id, node.line, "script", node.script, "exec"
            if node.timer and node.timer.expression and node.timer.expression.strip():
                yield process.file, node.id, node.line, "timer expression", node.timer.expression.strip(), "eval"
            due = (node.properties.get(DUE_DATE) or "").strip()
            if due:
                yield process.file, node.id, node.line, "due-date expression", due, "eval"
        for flow in process.flows:
            if flow.condition and flow.condition.strip():
                yield process.file, flow.id, None, "condition", flow.condition.strip(), "eval"
    for decision in elements.decisions:
        for table in decision.tables:
            for column in table.inputs:
                if column.expression and column.expression.strip():
                    yield (decision.file, column.id, column.line, "input expression", column.expression.strip(),
                           "eval")
            for rule in table.rules:
                for cell in rule.inputs:
                    if cell.strip() not in _SKIP:
                        yield (decision.file, rule.id, rule.line, f"rule {rule.number} input entry",
                               cell_expression(cell.strip()), "eval")
                for cell in rule.outputs:
                    if cell.strip():
                        yield decision.file, rule.id, rule.line, f"rule {rule.number} output", cell.strip(), "eval"
