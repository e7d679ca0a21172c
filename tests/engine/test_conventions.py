"""The diagram conventions are spelled once, in engine/conventions.py."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from engine import conventions
from engine.conventions import article_keys, group_jurisdiction, group_name, group_role

ROOT = Path(__file__).resolve().parents[2]
# The names only a reader or writer of Govflow's diagrams has reason to spell.
SPELLED_ONCE = (
    conventions.BPMN_NS, conventions.BPMN_DI_NS, conventions.DC_NS, conventions.DI_NS, conventions.SPIFF_NS,
    *conventions.DMN_NAMESPACES, conventions.FORM_SCHEMA, conventions.FORM_UI_SCHEMA, conventions.DUE_DATE,
    conventions.CANDIDATE_GROUP, conventions.CALLED_DECISION, *conventions.TIMER_KINDS,
    conventions.FORM_SCHEMA_SUFFIX, conventions.FORM_UI_SCHEMA_SUFFIX,
)


def _strings(path: Path) -> list[tuple[int, str]]:
    """Return (line, text) of every string constant of a module except docstrings."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                docstrings.add(id(first.value))
    return [(node.lineno, node.value) for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings]


def _python_modules() -> list[Path]:
    modules = [*(ROOT / "engine").rglob("*.py"), *(ROOT / "webapp").rglob("*.py")]
    return sorted(p for p in modules if p != ROOT / "engine" / "conventions.py" and "static" not in p.parts)


@pytest.mark.parametrize("path", _python_modules(), ids=lambda p: str(p.relative_to(ROOT)))
def test_python_modules_take_the_names_from_conventions(path: Path) -> None:
    spelled = [f"line {line}: {name!r}" for line, text in _strings(path) for name in SPELLED_ONCE if name in text]
    assert not spelled, f"{path.name} spells what engine/conventions.py names: {spelled}"


def test_groups_join_a_jurisdiction_and_a_role() -> None:
    group = group_name("qingyang", conventions.APPLICANT_ROLE)
    assert group == "qingyang:applicant_unit"
    assert (group_jurisdiction(group), group_role(group)) == ("qingyang", "applicant_unit")
    assert group_role("lonely") == "lonely" and group_jurisdiction("lonely") == "lonely"


def test_article_keys_expand_lists_ranges_and_qualifiers() -> None:
    assert article_keys("Art. 7, 27–29 x; Art. 12 ¶3, 26 ¶2; Art. 8(四); Art. 23*") == [
        "Art. 7", "Art. 27", "Art. 28", "Art. 29", "Art. 12", "Art. 26", "Art. 8", "Art. 23*"]
    assert article_keys("二(二)2 ¶1, 二（四）6 与 三、3") == ["二(二)2", "二(四)6", "三、3"]
