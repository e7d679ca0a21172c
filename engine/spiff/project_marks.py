"""The figures a bundle marks for the project lists (`x-govflow-project`), checked when it is deployed.

A form field marked as the plan year must be a whole number and one marked as the amount an amount (the
shared `govflow:money` field or a number); a process marks at most one field per figure, so the lists never
pick between two readings of the same project.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from engine.conventions import FORM_SCHEMA, MONEY, PROJECT_AMOUNT, PROJECT_FIELD, PROJECT_FIELD_KINDS
from engine.errors import Problem
from engine.spiff.bundle import Bundle
from engine.spiff.elements import BundleElements

__all__ = ["project_mark_problems"]


def project_mark_problems(bundle: Bundle, elements: BundleElements) -> list[Problem]:
    """Return every malformed, mistyped or doubled figure mark of the bundle's forms."""
    forms = bundle.form_documents()
    marks = {name: _marks(document) for name, document in forms.items()}
    problems: list[Problem] = []
    for form, found in marks.items():
        for field, (kind, definition) in found.items():
            if kind not in PROJECT_FIELD_KINDS:
                problems.append(Problem(f"forms/{form}", f"field '{field}': \"{PROJECT_FIELD}\" must be one of "
                                                         f"{', '.join(PROJECT_FIELD_KINDS)}, not {kind!r}"))
            elif not _fits(kind, definition):
                what = f"an amount ({{\"$ref\": \"{MONEY}\"}})" if kind == PROJECT_AMOUNT else "an integer"
                problems.append(Problem(f"forms/{form}", f"field '{field}' is marked as the project's {kind} "
                                                         f"but is not {what}"))
    for process in elements.processes:
        chosen: dict[str, set[str]] = {}
        for element in process.elements:
            for field, (kind, _) in marks.get(element.properties.get(FORM_SCHEMA) or "", {}).items():
                chosen.setdefault(str(kind), set()).add(field)
        problems += [Problem(process.file, f"process {process.id} marks several fields as its {kind}: "
                                           f"{', '.join(sorted(fields))}; mark one", element=process.id)
                     for kind, fields in sorted(chosen.items()) if len(fields) > 1]
    return problems


def _marks(schema: Mapping[str, Any]) -> dict[str, tuple[object, Mapping[str, Any]]]:
    properties = schema.get("properties")
    if not isinstance(properties, dict):
        return {}
    return {name: (definition[PROJECT_FIELD], definition) for name, definition in properties.items()
            if isinstance(definition, dict) and PROJECT_FIELD in definition}


def _fits(kind: object, definition: Mapping[str, Any]) -> bool:
    if kind == PROJECT_AMOUNT:
        return definition.get("$ref") == MONEY or definition.get("type") in ("number", "integer")
    return definition.get("type") == "integer"
