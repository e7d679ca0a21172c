"""The package layout keeps its promises: imports point down the layers, webapp/ sees only the engine's face,
and what the face's use cases return are typed results, never table rows."""

from __future__ import annotations

import ast
import dataclasses
import inspect
import re
from pathlib import Path
from types import ModuleType
from typing import Any, get_args, get_type_hints

import pytest

import engine
from engine.store.models import Base

ROOT = Path(__file__).resolve().parents[1]
PRIMITIVES = {"engine.errors", "engine.settings", "engine.calendar", "engine.clock", "engine.forms", "engine.typerefs",
              "engine.conventions", "engine.regulation", "engine.limits"}
# Each layer may import itself, the layers listed for it, and the primitives.
ALLOWED = {
    "store": {"store"},
    "spiff": {"spiff", "store"},
    "usecases": {"usecases", "spiff", "store"},
    "tools": {"tools", "usecases", "spiff", "store"},
}
# Module names that would say the same thing twice.
SYNONYMS = [{"desk", "tasks", "work"}, {"dmn", "dmn_engine", "decision_tables"},
            {"instance", "instances"}, {"runtime", "engine"}]


def _modules(folder: str) -> list[Path]:
    return sorted(p for p in (ROOT / folder).rglob("*.py") if "static" not in p.parts)


def _imports(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append(node.module)
            found += [f"{node.module}.{alias.name}" for alias in node.names if node.module == "engine"]
    return found


def _layer(dotted: str) -> str | None:
    parts = dotted.split(".")
    return parts[1] if len(parts) > 2 and parts[0] == "engine" else None


@pytest.mark.parametrize("path", _modules("engine"), ids=lambda p: str(p.relative_to(ROOT)))
def test_engine_imports_point_down(path: Path) -> None:
    dotted = ".".join(path.relative_to(ROOT).with_suffix("").parts)
    own = _layer(dotted)
    for name in _imports(path):
        assert not name.startswith(("flask", "webapp")), f"{dotted} imports {name}"
        if not name.startswith("engine.") or name in PRIMITIVES:
            continue
        if own is None and path.name != "__init__.py":
            raise AssertionError(f"primitive {dotted} imports {name}")
        target = _layer(name)
        if own is not None and target is not None:
            assert target in ALLOWED[own], f"{dotted} ({own}/) imports {name} ({target}/)"


@pytest.mark.parametrize("path", _modules("webapp"), ids=lambda p: str(p.relative_to(ROOT)))
def test_webapp_imports_only_the_face(path: Path) -> None:
    for name in _imports(path):
        if name == "engine" or not name.startswith("engine"):
            continue
        leaf = name.removeprefix("engine.")
        assert name.startswith("engine.") and leaf in engine.__all__, f"{path.name} imports {name}"


def test_face_names_exist() -> None:
    assert len(set(engine.__all__)) == len(engine.__all__)
    missing = [name for name in engine.__all__ if not hasattr(engine, name)]
    assert not missing


@pytest.mark.parametrize("path", [p for p in _modules("engine") + _modules("webapp")
                                  if p.parent != ROOT / "engine" / "spiff"], ids=lambda p: str(p.relative_to(ROOT)))
def test_only_the_spiff_layer_imports_spiffworkflow(path: Path) -> None:
    spiff = [name for name in _imports(path) if name.split(".")[0] == "SpiffWorkflow"]
    assert not spiff, f"{path.relative_to(ROOT)} imports {spiff}; put what it needs behind engine/spiff/"


@pytest.mark.parametrize("path", _modules("engine/usecases") + _modules("engine/tools"),
                         ids=lambda p: str(p.relative_to(ROOT)))
def test_use_cases_and_tools_never_reach_into_an_instances_workflow(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    lines = sorted({node.lineno for node in ast.walk(tree) if isinstance(node, ast.Attribute) and node.attr == "workflow"})
    assert not lines, f"{path.relative_to(ROOT)} reads .workflow on lines {lines}; ask the Instance instead"


def test_no_module_names_differ_by_plural_or_synonym() -> None:
    names = {p.stem for p in _modules("engine") if p.stem != "__init__"}
    for name in names:
        singular = re.sub(r"s$", "", name)
        twins = {other for other in names if other != name and re.sub(r"s$", "", other) == singular}
        assert not twins, f"{name} and {twins}"
    for group in SYNONYMS:
        assert len(group & names) <= 1, f"near-synonyms side by side: {sorted(group & names)}"



def _reachable(hint: Any, found: set[type]) -> None:
    """Collect the classes a type hint names: directly, inside generics, or in the fields of a named dataclass."""
    if isinstance(hint, type) and hint not in found:
        found.add(hint)
        if dataclasses.is_dataclass(hint):
            for field_hint in get_type_hints(hint).values():
                _reachable(field_hint, found)
            for _, member in inspect.getmembers(hint, lambda m: isinstance(m, property) and m.fget is not None):
                _reachable(get_type_hints(member.fget).get("return"), found)
    for argument in get_args(hint):
        _reachable(argument, found)


def test_use_cases_of_the_face_hand_out_frozen_typed_results_never_table_rows() -> None:
    modules = [value for value in vars(engine).values()
               if isinstance(value, ModuleType) and value.__name__.startswith("engine.usecases.")]
    assert len(modules) >= 10
    handed_out: set[type] = set()
    for module in modules:
        for name in module.__all__:
            value = getattr(module, name)
            if inspect.isfunction(value):
                _reachable(get_type_hints(value).get("return"), handed_out)
            elif isinstance(value, type) and dataclasses.is_dataclass(value):
                _reachable(value, handed_out)
    assert not [kind.__name__ for kind in handed_out if issubclass(kind, Base)]
    assert not [kind.__name__ for kind in handed_out
                if dataclasses.is_dataclass(kind) and not kind.__dataclass_params__.frozen]
    assert {"TaskInfo", "InstanceInfo", "VersionInfo", "UserInfo", "AuditEntry", "Completion"} <= {
        kind.__name__ for kind in handed_out}
