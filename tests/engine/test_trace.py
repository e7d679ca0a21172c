"""Traceability report: articles → elements and rules → tests, ambiguities with the chosen reading."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from engine import Bundle
from engine.settings import PROJECT_ROOT
from engine.tools.cli import main
from engine.tools.trace import trace_markdown

POLICY = """# Demo
### S1 — Art. 7, Art. 99
## 7. Ambiguities
- **A1** Whether acceptance loops is not stated.
- **A2** Nobody knows.
"""


def test_report_lists_articles_tests_unmodelled_and_ambiguities(tmp_path: Path) -> None:
    folder = tmp_path / "demo"
    (folder).mkdir()
    (folder / "accept.bpmn").write_text((Path(__file__).parent.parent / "data/bundles/smoke/acceptance.bpmn")
                                        .read_text(encoding="utf-8").replace("Demo Art. 7", "Art. 7 假设（A1）"))
    for name in ("check.schema.json", "accept.schema.json", "rectify.schema.json"):
        (folder / name).write_text((Path(__file__).parent.parent / "data/bundles/smoke" / name).read_text())
    coverage = {"tests": {"smoke_acceptance/Task_Submit": ["tests/x.py::test_submit"]}}
    report = trace_markdown(Bundle.from_directory(folder), POLICY, coverage)
    assert "## Art. 7" in report
    assert "| element | smoke_acceptance | Task_Submit | 提交验收申请 | Art. 7 假设（A1） | test_submit |" in report
    assert "Art. 99" in report.split("with no element or rule")[1]
    assert "- **A1** Whether acceptance loops is not stated.\n  - reading: smoke_acceptance/Task_Submit" in report
    assert "- **A2** Nobody knows.\n  - reading: not modelled by a specific element" in report


def test_cli_writes_the_report_for_a_jurisdiction(tmp_path: Path) -> None:
    coverage = tmp_path / "cov.json"
    coverage.write_text(json.dumps({"tests": {}}), encoding="utf-8")
    out = tmp_path / "trace.md"
    result = CliRunner().invoke(main, ["--database-url", f"sqlite:///{tmp_path / 'g.sqlite'}", "trace", "datong",
                                       "--coverage", str(coverage), "--output", str(out)])
    assert result.exit_code == 0, result.output
    text = out.read_text(encoding="utf-8")
    assert text.startswith("# Traceability: datong")
    assert "**not covered**" in text  # the empty coverage file covers nothing
    assert (PROJECT_ROOT / "bpmn" / "datong").is_dir()


def test_report_reads_elements_and_rules_that_hold_xml_comments() -> None:
    smoke = Path(__file__).parent.parent / "data/bundles/smoke"
    bpmn = (smoke / "acceptance.bpmn").read_text(encoding="utf-8").replace(
        "<bpmn:documentation>Demo Art. 7", "<!-- reviewed 2025 --><bpmn:documentation>Art. 7")
    dmn = (smoke / "DT_S_01.dmn").read_text(encoding="utf-8").replace(
        '<rule id="R2">', '<rule id="R2"><!-- reviewed 2025 --><description>Art. 9</description>')
    assert bpmn.count("<!-- reviewed 2025 -->") == 1 and dmn.count("<!-- reviewed 2025 -->") == 1
    report = trace_markdown(Bundle.from_texts("smoke", {"bpmn/acceptance.bpmn": bpmn, "dmn/DT_S_01.dmn": dmn}),
                            POLICY)
    assert "| element | smoke_acceptance | Task_Submit | 提交验收申请 | Art. 7 |" in report
    assert "| rule | DT_S_01 | R2 | 路径 | Art. 9 |" in report
