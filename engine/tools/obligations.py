"""Obligations read from a regulation's text, tied to the model and to the tests that check them.

`regulations/<jurisdiction>.obligations.toml` lists them (format in regulations/README.md). Each
quote must stand in the regulation text as published, each `where` must name an element or rule of
the bundle, and each test must exist, so the audit cannot drift from the text or from the suite.
"""

from __future__ import annotations

import ast
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from engine.spiff.bundle import Bundle
from engine.spiff.elements import read_elements

__all__ = ["KINDS", "Obligation", "ObligationError", "check_obligations", "load_obligations"]

KINDS = frozenset({"boundary", "deadline", "refusal", "loop", "routing", "filing", "validity"})
_FIELDS = ("id", "article", "kind", "quote", "reading", "where", "tests")
_SPACE = re.compile(r"\s+")


class ObligationError(ValueError):
    """An obligations file cannot be read; the message names the file and the entry."""


@dataclass(frozen=True)
class Obligation:
    """One checkable obligation of a regulation."""

    id: str
    article: str
    kind: str
    quote: str
    reading: str
    where: tuple[str, ...]  # process/element or decision/rule
    tests: tuple[str, ...]  # pytest node ids, relative to the project root


def load_obligations(path: Path) -> list[Obligation]:
    """Read an obligations file, refusing entries with missing or mistyped fields."""
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ObligationError(f"{path.name}: {exc}") from None
    found = []
    for number, entry in enumerate(document.get("obligation", []), start=1):
        missing = [name for name in _FIELDS if not entry.get(name)]
        if missing:
            raise ObligationError(f"{path.name}: obligation {number} ({entry.get('id', '?')}) lacks {missing}")
        if entry["kind"] not in KINDS:
            raise ObligationError(f"{path.name}: obligation {entry['id']} has kind {entry['kind']!r}; "
                                  f"use one of {sorted(KINDS)}")
        found.append(Obligation(str(entry["id"]), str(entry["article"]), str(entry["kind"]), str(entry["quote"]),
                                str(entry["reading"]), _strings(entry["where"]), _strings(entry["tests"])))
    return found


def check_obligations(obligations: list[Obligation], text: str, bundle: Bundle, root: Path) -> list[str]:
    """Return what is wrong: quotes not in the text, unknown elements or rules, missing tests, duplicate ids."""
    problems: list[str] = []
    known = _known_ids(bundle)
    flat = _SPACE.sub("", text)
    seen: set[str] = set()
    for item in obligations:
        if item.id in seen:
            problems.append(f"{item.id}: the id is used twice")
        seen.add(item.id)
        if _SPACE.sub("", item.quote) not in flat:
            problems.append(f"{item.id}: the quote is not in the regulation text: {item.quote}")
        problems += [f"{item.id}: {where} is no element or rule of bundle {bundle.name}"
                     for where in item.where if where not in known]
        problems += [f"{item.id}: test {test} does not exist" for test in item.tests if not _test_exists(root, test)]
    return problems


def _strings(value: Any) -> tuple[str, ...]:
    return (value,) if isinstance(value, str) else tuple(str(v) for v in value)


def _known_ids(bundle: Bundle) -> set[str]:
    elements = read_elements(bundle).checked()
    known: set[str] = set()
    for process in elements.processes:
        known |= {f"{process.id}/{element.id}" for element in process.elements}
        known |= {f"{process.id}/{flow.id}" for flow in process.flows}
    for decision in elements.decisions:
        known.add(f"{decision.id}/{decision.id}")
        known |= {f"{decision.id}/{rule.id}" for table in decision.tables for rule in table.rules}
    return known


def _test_exists(root: Path, node_id: str) -> bool:
    file_name, _, name = node_id.partition("::")
    path = root / file_name
    if not name or not path.is_file():
        return False
    *classes, function = name.split("[", 1)[0].split("::")
    scope: list[ast.stmt] = ast.parse(path.read_text(encoding="utf-8")).body
    for class_name in classes:
        found = next((n for n in scope if isinstance(n, ast.ClassDef) and n.name == class_name), None)
        if found is None:
            return False
        scope = found.body
    return any(isinstance(n, ast.FunctionDef) and n.name == function for n in scope)
