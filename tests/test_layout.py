"""The package layout keeps its promises: imports point down the layers and webapp/ sees only the engine's face."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

import engine

ROOT = Path(__file__).resolve().parents[1]
PRIMITIVES = {"engine.errors", "engine.settings", "engine.calendar", "engine.clock", "engine.forms", "engine.typerefs"}
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


def test_no_module_names_differ_by_plural_or_synonym() -> None:
    names = {p.stem for p in _modules("engine") if p.stem != "__init__"}
    for name in names:
        singular = re.sub(r"s$", "", name)
        twins = {other for other in names if other != name and re.sub(r"s$", "", other) == singular}
        assert not twins, f"{name} and {twins}"
    for group in SYNONYMS:
        assert len(group & names) <= 1, f"near-synonyms side by side: {sorted(group & names)}"
