"""Traceability: which BPMN elements and DMN rules implement each article, and which tests cover them.

Citations are read from element documentation and rule descriptions (`Art. 9 ¶1`,
`二(二)2`, `Art. 23*`). With the jurisdiction's policy file, every article it cites
is listed (unmodelled ones too) and its ambiguities (`**A1** …`) are shown next to
the elements whose documentation records the reading chosen. With a coverage JSON
written by the test suite, each item lists the tests that exercised it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from engine.conventions import article_keys
from engine.regulation import Regulation
from engine.spiff.bundle import Bundle
from engine.spiff.elements import read_elements
from engine.tools.obligations import Obligation

__all__ = ["DATE_RULE", "TraceItem", "trace_markdown"]

DATE_RULE = (
    "Periods count from the day after the triggering day (Civil Code Art. 201, by analogy). A month or year "
    "period ends on the same day of the target month, or on its last day when there is none (Art. 202); "
    "whenever that last day is a statutory holiday or rest day on the State Council's published calendar "
    "(调休 working weekends are working days), the period ends on the next working day (Art. 203). The rule "
    "applies to every month and year period — trial runs, acceptance and rectification deadlines, validity "
    "ends, evaluation windows — and not to periods a regulation counts in natural days (自然日). Working-day "
    "periods count official working days only. A deadline includes its last day.")

_AMBIGUITY = re.compile(r"^- \*\*(A\d+)[^*]*\*\*\s*(.+)$", re.MULTILINE)
_NUMERALS = "一二三四五六七八九十"


@dataclass
class TraceItem:
    """One element or rule with its citation text."""

    kind: str          # "element" or "rule"
    owner: str         # process id or decision id
    id: str
    name: str
    citation: str
    tests: list[str] = field(default_factory=list)


def _sort_key(key: str) -> tuple[int, int, int, str]:
    if key.startswith("Art."):
        return (0, int(re.sub(r"\D", "", key)), 0, key)
    part = _NUMERALS.index(key[0]) + 1 if key[0] in _NUMERALS else 9
    section = re.search(r"[（(]([一二三四五六七八九十]+)", key)
    return (1, part, _NUMERALS.index(section.group(1)[0]) + 1 if section else 0, key)


def _items(bundle: Bundle) -> list[TraceItem]:
    items: list[TraceItem] = []
    elements = read_elements(bundle).checked()
    for process in elements.processes:
        cited = [(process.id, process.name, process.documentation)]
        cited += [(element.id, element.name, element.documentation) for element in process.elements]
        cited += [(flow.id, flow.name, flow.documentation) for flow in process.flows]
        items += [TraceItem("element", process.id, element_id, name or "", citation)
                  for element_id, name, citation in cited if citation is not None]
    for decision in elements.decisions:
        items += [TraceItem("rule", decision.id, rule.id, decision.name or "", rule.description)
                  for rule in decision.rules]
    return items


def trace_markdown(bundle: Bundle, policy_text: str | None = None, coverage: dict[str, Any] | None = None,
                   obligations: list[Obligation] | None = None) -> str:
    """Return the traceability report of a bundle as Markdown."""
    items = _items(bundle)
    tests = (coverage or {}).get("tests", {})
    for item in items:
        item.tests = tests.get(f"{item.owner}/{item.id}", [])
    by_article: dict[str, list[TraceItem]] = {}
    for item in items:
        for key in article_keys(item.citation):
            by_article.setdefault(key, []).append(item)
    articles = set(by_article)
    if policy_text:
        articles |= set(article_keys(policy_text))
    lines = [f"# Traceability: {bundle.name}", "",
             f"{len(items)} cited elements and rules; {len(articles)} articles; "
             f"{'coverage from the test suite' if coverage else 'no coverage file given'}.", ""]
    lines += _regulations(bundle)
    if obligations is not None:
        lines += _obligations(obligations, tests if coverage else None)
    unmodelled = []
    for key in sorted(articles, key=_sort_key):
        implementing = by_article.get(key, [])
        if not implementing:
            unmodelled.append(key)
            continue
        lines += [f"## {key}", "", "| kind | where | id | name | citation | tests |", "|---|---|---|---|---|---|"]
        for item in implementing:
            covered = "<br>".join(t.split("::")[-1] for t in item.tests[:3])
            if len(item.tests) > 3:
                covered += f"<br>(+{len(item.tests) - 3} more)"
            lines.append(f"| {item.kind} | {item.owner} | {item.id} | {item.name} | {_cell(item.citation)} | "
                         f"{covered or '**not covered**'} |")
        lines.append("")
    if unmodelled:
        lines += ["## Articles cited by the policy file with no element or rule", "",
                  ", ".join(unmodelled), ""]
    if policy_text:
        lines += _ambiguities(policy_text, items)
    return "\n".join(lines) + "\n"


def _ambiguities(policy_text: str, items: list[TraceItem]) -> list[str]:
    lines = ["## Ambiguities (policy file §7) and the reading chosen", ""]
    for code, text in _AMBIGUITY.findall(policy_text):
        marker = re.compile(rf"(?<![A-Za-z]){code}(?!\d)")
        readers = [i for i in items if marker.search(i.citation)]
        lines.append(f"- **{code}** {text.strip()}")
        if readers:
            for item in readers:
                lines.append(f"  - reading: {item.owner}/{item.id} ({item.name}): {item.citation}")
        else:
            lines.append("  - reading: not modelled by a specific element")
    lines.append("")
    return lines


def _regulations(bundle: Bundle) -> list[str]:
    lines = ["## Regulation and dates", ""]
    for process in read_elements(bundle).checked().processes:
        regulation = Regulation.from_properties(process.properties)
        lines.append(f"- {process.id}: {regulation.describe() if regulation else 'no regulation declared'}")
    return [*lines, "", f"Date rule: {DATE_RULE}", ""]


def _obligations(obligations: list[Obligation], tests: dict[str, list[str]] | None) -> list[str]:
    lines = [f"## Obligations checked against the regulation text ({len(obligations)})", "",
             "| id | article | kind | quote | reading | where | tests | exercised |",
             "|---|---|---|---|---|---|---|---|"]
    for item in obligations:
        if tests is None:
            exercised = "no coverage file given"
        else:
            missed = [where for where in item.where if not tests.get(where)]
            exercised = "yes" if not missed else "**not exercised**: " + ", ".join(missed)
        checks = "<br>".join(test.split("::")[-1] for test in item.tests)
        lines.append(f"| {item.id} | {item.article} | {item.kind} | {_cell(item.quote)} | {_cell(item.reading)} | "
                     f"{'<br>'.join(item.where)} | {checks} | {exercised} |")
    return [*lines, ""]


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")
