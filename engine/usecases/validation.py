"""Check a bundle before it is deployed: the compiler's checks plus those that need the running system.

The compiler checks what one bundle says about itself (XSD, forms, decisions, lanes). Here we add
what only the deployment target knows: whether a lane's group is one people actually belong to, and
whether each timer and due-date expression can be evaluated with the helpers and data it will see.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.errors import DeploymentError, Problem
from engine.forms import declared_properties
from engine.spiff.bundle import Bundle
from engine.spiff.compiler import CompiledBundle, compile_bundle
from engine.spiff.expressions import BUILTIN_NAMES, assigned_names, element_expressions, is_timer_value, script_texts
from engine.spiff.runtime import Engine
from engine.store.models import ProcessVersion, UserRow

__all__ = ["Validation", "validate_bundle"]

# Names every expression may use besides task data: Python's safe builtins and our helpers.


@dataclass
class Validation:
    """The outcome of checking a bundle; `compiled` is None when the compiler rejected it."""

    compiled: CompiledBundle | None
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Tell whether the bundle may be deployed."""
        return self.compiled is not None and not self.problems


def validate_bundle(engine: Engine, session: Session, bundle: Bundle) -> Validation:
    """Return every problem that would stop `bundle` from deploying, each at its file and element."""
    try:
        compiled = compile_bundle(bundle, engine.settings.max_file_bytes)
    except DeploymentError as exc:
        return Validation(None, exc.problems)
    problems: list[Problem] = []
    problems += _check_groups(session, bundle, compiled)
    problems += _check_expressions(engine, bundle, compiled)
    return Validation(compiled, problems)


def _check_groups(session: Session, bundle: Bundle, compiled: CompiledBundle) -> list[Problem]:
    # A lane whose group nobody is in would create tasks no clerk ever sees.
    known: set[str] = set()
    for groups in session.scalars(select(UserRow.groups).where(UserRow.active.is_(True))):
        known.update(groups or ())
    for lanes in session.scalars(select(ProcessVersion.lanes).where(ProcessVersion.bundle == bundle.name)):
        for by_lane in (lanes or {}).values():
            known.update(by_lane.values())
    if not known:
        return []  # a first deployment into an empty system: there is nothing to compare with yet
    problems = []
    for process in compiled.processes.values():
        for process_id, by_lane in process.lanes.items():
            for lane, group in sorted(by_lane.items()):
                if group not in known:
                    problems.append(compiled.problem_at(compiled.elements.lane_ids.get(lane, process_id), (
                        f"lane '{lane}' names group '{group}', which no user is in and no deployed version uses")))
    return problems


def _check_expressions(engine: Engine, bundle: Bundle, compiled: CompiledBundle) -> list[Problem]:
    known = _data_names(bundle, compiled) | set(engine.helpers) | BUILTIN_NAMES
    problems: list[Problem] = []
    for expression in element_expressions(compiled):
        problems += _check_expression(engine, compiled, expression.element, expression.what, expression.text, known,
                                      expression.timer)
    return problems


def _check_expression(engine: Engine, compiled: CompiledBundle, element: str, what: str, expression: str | None,
                      known: set[str], timer: bool) -> list[Problem]:
    text = (expression or "").strip()
    try:
        tree = ast.parse(text, mode="eval")
    except SyntaxError as exc:
        return [compiled.problem_at(element, f"{what} expression {text!r} is not valid: {exc.msg}")]
    used = {node.id for node in ast.walk(tree) if isinstance(node, ast.Name)}
    unknown = sorted(used - known)
    if unknown:
        return [compiled.problem_at(element, f"{what} expression {text!r} uses {', '.join(unknown)}, which no form "
                                     f"field, decision output or script of the bundle sets")]
    if used - BUILTIN_NAMES - set(engine.helpers):
        return []  # depends on task data; the names are known, the value is only there at run time
    try:
        value = engine.evaluate(text, {})
    except Exception as exc:  # any failure here is a modelling error to report at the element
        return [compiled.problem_at(element, f"{what} expression {text!r} failed: {type(exc).__name__}: {exc}")]
    if timer and not is_timer_value(value):
        return [compiled.problem_at(element, f"timer expression {text!r} gave {value!r}, not an ISO 8601 date, "
                                     f"duration or cycle (quote literal durations: \"P5D\")")]
    return []


def _data_names(bundle: Bundle, compiled: CompiledBundle) -> set[str]:
    """Return every data name some form, decision or script of the bundle can set."""
    names: set[str] = set()
    for document in bundle.form_documents().values():
        names.update(declared_properties(document))
    for decision in compiled.decisions.values():
        names.update(output.split(".", 1)[0] for output in decision.outputs)
    for script in script_texts(compiled):
        names.update(assigned_names(script))
    return names

