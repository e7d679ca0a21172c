"""Coverage of BPMN flow nodes, sequence flows and DMN rules exercised by tests.

No peer engine ships this: a tester sees which branches of a regulation's
diagram and which rows of its decision tables no test has walked yet.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine.spiff.bundle import Bundle
from engine.spiff.elements import read_elements
from engine.spiff.run_context import DecisionTaken
from engine.spiff.workflow import Instance

__all__ = ["CoverageRecorder"]

@dataclass
class _ProcessModel:
    nodes: dict[str, str] = field(default_factory=dict)          # id -> name
    flows: dict[tuple[str, str], str] = field(default_factory=dict)  # (source, target) -> flow id


@dataclass
class _DecisionModel:
    rules: dict[str, str] = field(default_factory=dict)          # rule id -> description


class CoverageRecorder:
    """Collect what instances executed and which decision rules matched."""

    def __init__(self) -> None:
        self.processes: dict[str, _ProcessModel] = {}
        self.decisions: dict[str, _DecisionModel] = {}
        self.hit_nodes: dict[str, set[str]] = {}
        self.hit_flows: dict[str, set[str]] = {}
        self.hit_rules: dict[str, set[str]] = {}
        # Which tests exercised an item ("process/element", "process/flow", "decision/rule").
        self.current_test: str | None = None
        self.tests: dict[str, set[str]] = {}

    def _credit(self, item: str) -> None:
        if self.current_test is not None:
            self.tests.setdefault(item, set()).add(self.current_test)

    def add_bundle(self, bundle: Bundle) -> None:
        """Register the elements and rules of a bundle as the universe to cover."""
        elements = read_elements(bundle).checked()
        for process in elements.processes:
            model = self.processes.setdefault(process.id, _ProcessModel())
            model.nodes.update((element.id, element.label) for element in process.elements)
            model.flows.update(((flow.source, flow.target), flow.id) for flow in process.flows)
        for decision in elements.decisions:
            rules = self.decisions.setdefault(decision.id, _DecisionModel()).rules
            rules.update((rule.id, rule.description) for rule in decision.rules)

    def observe(self, instance: Instance) -> None:
        """Record the nodes reached and flows taken so far by an instance."""
        known = {process_id: model.nodes for process_id, model in self.processes.items()}
        for reached in instance.reached_elements(known):
            process_id, element = reached.process_id, reached.element_id
            flows = self.processes[process_id].flows
            self.hit_nodes.setdefault(process_id, set()).add(element)
            self._credit(f"{process_id}/{element}")
            if reached.source is not None and (reached.source, element) in flows:
                self.hit_flows.setdefault(process_id, set()).add(flows[(reached.source, element)])
                self._credit(f"{process_id}/{flows[(reached.source, element)]}")

    def observe_decision(self, decision: DecisionTaken) -> None:
        """Record the rules a decision matched; subscribe it to the engine's decision logs."""
        model = self.decisions.get(decision.decision_id)
        if model is None:
            return
        # Only rules of the registered table count: a changed deployment may carry rules it never had.
        matched = [rule for rule in decision.rules if rule in model.rules]
        self.hit_rules.setdefault(decision.decision_id, set()).update(matched)
        for rule in matched:
            self._credit(f"{decision.decision_id}/{rule}")

    def summary(self) -> dict[str, Any]:
        """Return covered and missing items per process and decision."""
        processes = {}
        for process_id, model in sorted(self.processes.items()):
            nodes, flows = self.hit_nodes.get(process_id, set()), self.hit_flows.get(process_id, set())
            processes[process_id] = {
                "nodes": {"covered": len(nodes & set(model.nodes)), "total": len(model.nodes),
                          "missing": sorted(set(model.nodes) - nodes)},
                "flows": {"covered": len(flows), "total": len(model.flows),
                          "missing": sorted(set(model.flows.values()) - flows)},
            }
        decisions = {}
        for decision_id, dmodel in sorted(self.decisions.items()):
            hit = self.hit_rules.get(decision_id, set())
            decisions[decision_id] = {"covered": len(hit & set(dmodel.rules)), "total": len(dmodel.rules),
                                      "missing": sorted(set(dmodel.rules) - hit)}
        tests = {item: sorted(names) for item, names in sorted(self.tests.items())}
        return {"processes": processes, "decisions": decisions, "tests": tests}

    def report(self) -> str:
        """Return a printable coverage table."""
        data = self.summary()
        lines = ["Govflow coverage", f"{'process / decision':40} {'nodes':>9} {'flows':>9} {'rules':>9}"]
        for process_id, item in data["processes"].items():
            nodes, flows = item["nodes"], item["flows"]
            lines.append(f"{process_id:40} {nodes['covered']:>4}/{nodes['total']:<4} "
                         f"{flows['covered']:>4}/{flows['total']:<4} {'':>9}")
            if flows["missing"]:
                lines.append(f"  flows not taken: {', '.join(flows['missing'])}")
        for decision_id, item in data["decisions"].items():
            lines.append(f"{decision_id:40} {'':>9} {'':>9} {item['covered']:>4}/{item['total']:<4}")
            if item["missing"]:
                lines.append(f"  rules not matched: {', '.join(item['missing'])}")
        return "\n".join(lines)

    def write_json(self, path: Path) -> None:
        """Write the summary as JSON."""
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(self.summary(), indent=2, ensure_ascii=False), encoding="utf-8")
