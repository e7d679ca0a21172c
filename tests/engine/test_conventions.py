"""The diagram conventions are spelled once: in engine/conventions.py, which the modeler's scripts read from the page."""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import pytest

from engine import conventions
from engine.conventions import article_keys, for_modeler, group_jurisdiction, group_name, group_role

ROOT = Path(__file__).resolve().parents[2]
# The names only a reader or writer of Govflow's diagrams has reason to spell.
SPELLED_ONCE = (
    conventions.BPMN_NS, conventions.BPMN_DI_NS, conventions.DC_NS, conventions.DI_NS, conventions.SPIFF_NS,
    *conventions.DMN_NAMESPACES, conventions.FORM_SCHEMA, conventions.FORM_UI_SCHEMA, conventions.DUE_DATE,
    conventions.COMMITTED_DAYS,
    conventions.CANDIDATE_GROUP, conventions.CALLED_DECISION, *conventions.TIMER_KINDS,
    conventions.FORM_SCHEMA_SUFFIX, conventions.FORM_UI_SCHEMA_SUFFIX,
)
SCRIPTS = sorted(p for p in (ROOT / "frontend" / "src").iterdir() if p.suffix in (".js", ".jsx"))


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


@pytest.mark.parametrize("path", SCRIPTS, ids=lambda p: p.name)
def test_browser_scripts_spell_no_convention(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert not [name for name in SPELLED_ONCE if name in text]


def _read_by_scripts() -> set[str]:
    """Return every name the modeler's scripts read from the conventions their page carries."""
    read: set[str] = set()
    for path in SCRIPTS:
        text = path.read_text(encoding="utf-8")
        read |= set(re.findall(r"\bconventions\.([A-Z][A-Z_]*)\b", text))
        for names in re.findall(r"const\s*\{([^}]*)\}\s*=\s*conventions\b", text):
            read |= {name.strip() for name in names.split(",") if name.strip()}
    return read


def test_every_name_the_modeler_reads_is_sent_with_its_page() -> None:
    read = _read_by_scripts()
    assert {"FORM_SCHEMA", "FORM_UI_SCHEMA", "DUE_DATE", "COMMITTED_DAYS", "CANDIDATE_GROUP", "CALLED_DECISION",
            "TIME_DATE"} <= read
    sent = for_modeler()
    assert read <= set(sent), f"the modeler reads {sorted(read - set(sent))}, which its page does not carry"
    assert all(getattr(conventions, name) == value for name, value in sent.items())


def test_the_modelers_extension_descriptor_uses_the_spiff_namespace() -> None:
    descriptor = json.loads((ROOT / "frontend" / "src" / "spiffworkflow.json").read_text(encoding="utf-8"))
    assert descriptor["uri"] == conventions.SPIFF_NS


def test_groups_join_a_jurisdiction_and_a_role() -> None:
    group = group_name("qingyang", conventions.APPLICANT_ROLE)
    assert group == "qingyang:applicant_unit"
    assert (group_jurisdiction(group), group_role(group)) == ("qingyang", "applicant_unit")
    assert group_role("lonely") == "lonely" and group_jurisdiction("lonely") == "lonely"


def test_article_keys_expand_lists_ranges_and_qualifiers() -> None:
    assert article_keys("Art. 7, 27–29 x; Art. 12 ¶3, 26 ¶2; Art. 8(四); Art. 23*") == [
        "Art. 7", "Art. 27", "Art. 28", "Art. 29", "Art. 12", "Art. 26", "Art. 8", "Art. 23*"]
    assert article_keys("二(二)2 ¶1, 二（四）6 与 三、3") == ["二(二)2", "二(四)6", "三、3"]
