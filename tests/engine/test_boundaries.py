"""Architecture rules: the engine never imports Flask and exports a curated API."""

from __future__ import annotations

import ast
from pathlib import Path

import engine

ENGINE_DIR = Path(engine.__file__).parent


def _imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_engine_never_imports_flask_or_webapp() -> None:
    offenders = {
        path.name: sorted(_imported_modules(path) & {"flask", "werkzeug", "webapp", "flask_smorest"})
        for path in ENGINE_DIR.rglob("*.py")
    }
    assert {name: mods for name, mods in offenders.items() if mods} == {}


def test_engine_exports_exactly_its_curated_api() -> None:
    assert engine.__all__ == sorted(engine.__all__, key=lambda n: (n[0].islower(), n))
    for name in engine.__all__:
        assert hasattr(engine, name), name


def test_every_engine_module_stays_small() -> None:
    sizes = {p.name: len(p.read_text(encoding="utf-8").splitlines()) for p in ENGINE_DIR.rglob("*.py")}
    assert {name: n for name, n in sizes.items() if n > 400} == {}
