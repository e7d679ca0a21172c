"""The regulation audits: every obligation quotes its regulation, names real elements and real tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine import Bundle
from engine.settings import PROJECT_ROOT
from engine.tools.obligations import KINDS, ObligationError, check_obligations, load_obligations
from engine.tools.trace import trace_markdown

JURISDICTIONS = ("qingyang", "yunfu", "datong", "xichuan", "fengxian")
REGULATIONS = Path(PROJECT_ROOT) / "regulations"
AT_LEAST = 12


@pytest.mark.parametrize("jurisdiction", JURISDICTIONS)
def test_each_obligation_quotes_the_text_and_names_real_elements_and_tests(jurisdiction: str) -> None:
    obligations = load_obligations(REGULATIONS / f"{jurisdiction}.obligations.toml")
    text = (REGULATIONS / f"{jurisdiction}.txt").read_text(encoding="utf-8")
    bundle = Bundle.from_jurisdiction(Path(PROJECT_ROOT), jurisdiction)
    assert check_obligations(obligations, text, bundle, Path(PROJECT_ROOT)) == []
    assert len(obligations) >= AT_LEAST
    assert {item.kind for item in obligations} <= KINDS


@pytest.mark.parametrize("jurisdiction", JURISDICTIONS)
def test_the_trace_report_lists_the_obligations_the_regulation_and_the_date_rule(jurisdiction: str) -> None:
    obligations = load_obligations(REGULATIONS / f"{jurisdiction}.obligations.toml")
    report = trace_markdown(Bundle.from_jurisdiction(Path(PROJECT_ROOT), jurisdiction), obligations=obligations)
    assert f"## Obligations checked against the regulation text ({len(obligations)})" in report
    assert all(f"| {item.id} | {item.article} |" in report for item in obligations)
    assert "## Regulation and dates" in report and "Art. 203" in report
    assert "no regulation declared" not in report


def test_a_misquote_an_unknown_element_and_a_missing_test_are_each_named(tmp_path: Path) -> None:
    listed = tmp_path / "x.obligations.toml"
    listed.write_text('''
[[obligation]]
id = "X-01"
article = "Art. 19"
kind = "deadline"
quote = "合同签订后三十日内"
reading = "made up"
where = ["datong_project/Task_Nowhere"]
tests = ["tests/test_obligations.py::test_that_does_not_exist"]

[[obligation]]
id = "X-01"
article = "Art. 39"
kind = "validity"
quote = "本办法自印发之日起施行。"
reading = "in force from issue"
where = ["datong_project/StartEvent_Need"]
tests = ["tests/test_obligations.py::test_a_misquote_an_unknown_element_and_a_missing_test_are_each_named"]
''', encoding="utf-8")
    text = (REGULATIONS / "datong.txt").read_text(encoding="utf-8")
    bundle = Bundle.from_jurisdiction(Path(PROJECT_ROOT), "datong")
    problems = check_obligations(load_obligations(listed), text, bundle, Path(PROJECT_ROOT))
    assert problems == [
        "X-01: the quote is not in the regulation text: 合同签订后三十日内",
        "X-01: datong_project/Task_Nowhere is no element or rule of bundle datong",
        "X-01: test tests/test_obligations.py::test_that_does_not_exist does not exist",
        "X-01: the id is used twice",
    ]


def test_an_entry_without_a_field_or_with_an_unknown_kind_is_refused(tmp_path: Path) -> None:
    listed = tmp_path / "y.obligations.toml"
    listed.write_text('[[obligation]]\nid = "Y-01"\narticle = "Art. 1"\nkind = "wish"\nquote = "q"\n'
                      'reading = "r"\nwhere = ["a/b"]\ntests = ["t::u"]\n', encoding="utf-8")
    with pytest.raises(ObligationError, match="kind 'wish'"):
        load_obligations(listed)
    listed.write_text('[[obligation]]\nid = "Y-02"\narticle = "Art. 1"\nkind = "loop"\n', encoding="utf-8")
    with pytest.raises(ObligationError, match=r"lacks \['quote', 'reading', 'where', 'tests'\]"):
        load_obligations(listed)
