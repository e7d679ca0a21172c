"""Evaluate a deployed DMN decision directly by id, with inputs typed by their typeRef."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from engine.errors import DecisionError, FieldError, InvalidInput
from engine.spiff.dmn import DecisionInfo, DecisionInput, NeededInput, decision_engine, read_decision
from engine.spiff.dmn_elements import read_decision_file
from engine.spiff.internals import detached_task
from engine.spiff.runtime import Engine
from engine.typerefs import to_type_ref
from engine.usecases.deployments import latest_decision

__all__ = ["DecisionResult", "convert_input", "evaluate_decision"]



@dataclass(frozen=True)
class DecisionResult:
    """The outputs of one evaluation and what produced them."""

    decision_id: str
    version: int
    inputs: dict[str, Any]
    outputs: dict[str, Any]


def convert_input(spec: DecisionInput, value: Any) -> Any:
    """Convert a raw value (a CLI string or JSON value) to the input's typeRef; empty means no value."""
    try:
        return to_type_ref(value, spec.type_ref)
    except ValueError:
        raise InvalidInput(f"input {spec.name} must be a {spec.type_ref}, got {value!r}",
                           [FieldError(spec.name, f"expected a {spec.type_ref}, got {value!r}")]) from None


def evaluate_decision(engine: Engine, session: Session, decision_id: str, raw: dict[str, Any]) -> DecisionResult:
    """Evaluate the latest version of a decision with named inputs.

    An input no rule needs for the case may be left out; when a rule that could match tests one that
    was left out, the evaluation is refused naming that input and the rule's row.
    """
    row = latest_decision(session, decision_id)
    text = row.deployment.files[row.file_path].encode("utf-8")
    document = read_decision_file(text, row.file_path, engine.settings.max_file_bytes)
    info, _ = read_decision(document)
    assert info is not None  # it passed the same checks when deployed
    inputs = _typed_inputs(info, raw)
    dmn_engine = decision_engine(document, decision_id)
    dmn_engine.omitted = frozenset(i.name for i in info.inputs if i.name not in inputs)
    # Decisions taken on their own go to a run of their own, whose subscribers (coverage) hear of them.
    task = detached_task(inputs, engine.script_engine(), decision_id)
    try:
        outputs = dmn_engine.result(task)
    except NeededInput as needed:
        raise InvalidInput(f"decision {decision_id} needs {', '.join(sorted(needed.names))} for this case",
                           [FieldError(name, f"规则第 {needed.row} 行需要此输入才能判断本例")
                            for name in sorted(needed.names)]) from None
    except Exception as exc:  # a cell raised or no rule matched: the decision's failure, with the rule
        raise DecisionError(f"decision {decision_id} failed: {exc}", decision_id) from exc
    return DecisionResult(decision_id, row.version, inputs, dict(outputs))


def _typed_inputs(info: DecisionInfo, raw: dict[str, Any]) -> dict[str, Any]:
    known = {i.name: i for i in info.inputs}
    errors = [FieldError(name, f"decision {info.decision_id} has no input {name}; inputs: {sorted(known)}")
              for name in raw if name not in known]
    # An input left out is no value: the rules that would need it for this case say so when evaluated.
    if errors:
        raise InvalidInput(f"wrong inputs for decision {info.decision_id}", errors)
    typed: dict[str, Any] = {}
    problems: list[FieldError] = []
    for name, spec in known.items():
        if name not in raw:
            continue
        try:
            typed[name] = convert_input(spec, raw[name])
        except InvalidInput as exc:
            problems += exc.errors
    if problems:
        raise InvalidInput(f"wrong input types for decision {info.decision_id}", problems)
    return typed

