"""Every jurisdiction bundle in the project deploys cleanly and every diagram is fully drawn."""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree

from engine import Bundle
from engine.settings import PROJECT_ROOT
from engine.spiff.compiler import compile_bundle
from engine.tools.authoring import missing_di

JURISDICTIONS = sorted({p.name for kind in ("bpmn", "dmn") if (PROJECT_ROOT / kind).is_dir()
                        for p in (PROJECT_ROOT / kind).iterdir() if p.is_dir()})
DIAGRAMS = sorted((PROJECT_ROOT / "bpmn").glob("*/*.bpmn"))


@pytest.mark.parametrize("jurisdiction", JURISDICTIONS)
def test_bundle_passes_every_deployment_check(jurisdiction: str) -> None:
    compiled = compile_bundle(Bundle.from_jurisdiction(PROJECT_ROOT, jurisdiction))
    assert compiled.decisions or compiled.processes


@pytest.mark.parametrize("path", DIAGRAMS, ids=lambda p: str(Path(p).relative_to(PROJECT_ROOT)))
def test_diagram_has_complete_di_and_chinese_names(path: Path) -> None:
    root = etree.parse(str(path)).getroot()
    assert missing_di(root) == []
    unnamed = [el.get("id") for el in root.iter() if isinstance(el.tag, str) and el.get("id")
               and etree.QName(el.tag).localname.endswith(("Task", "Event", "Gateway", "callActivity"))
               and not any("\u4e00" <= ch <= "\u9fff" for ch in el.get("name") or "")]
    assert unnamed == []


@pytest.mark.parametrize("path", DIAGRAMS, ids=lambda p: str(Path(p).relative_to(PROJECT_ROOT)))
def test_every_element_cites_an_article(path: Path) -> None:
    bpmn = "{http://www.omg.org/spec/BPMN/20100524/MODEL}"
    root = etree.parse(str(path)).getroot()
    missing = [el.get("id") for el in root.iter() if isinstance(el.tag, str) and el.get("id")
               and etree.QName(el.tag).localname.endswith(("Task", "Event", "Gateway"))
               and not "".join(d.text or "" for d in el.iter(f"{bpmn}documentation")).strip()]
    assert missing == []
