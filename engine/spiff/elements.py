"""A bundle's diagrams and decision tables, parsed once into typed, immutable elements.

The compiler's checks and problem locations, version diffs, coverage, traceability and the
decision reader all work on these objects; none of them walks the XML itself. Every file is
parsed by the safe parser (`xmlsafe`); a file it refuses is listed in `unreadable` and has no
elements. BPMN elements are read here, DMN decisions in `dmn_elements`. The reading follows
SpiffWorkflow's where it has one (a task's properties and called decision, its lane, a timer's
kind), so what a report shows is what the engine runs.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from lxml import etree

from engine.conventions import (
    BPMN_NS,
    CALLED_DECISION,
    CANDIDATE_GROUP,
    CITATION,
    PROPERTIES,
    PROPERTY,
    SPIFF_NS,
    TIMER_KINDS,
)
from engine.errors import DeploymentError, Problem
from engine.spiff.bundle import Bundle
from engine.spiff.dmn_elements import DEFAULT_MAX_BYTES, Decision, DecisionFile, read_decision_file
from engine.spiff.xmlsafe import UnsafeXml, element_ids, local_name, parse_xml

__all__ = [
    "FLOW_NODE_KINDS", "BundleElements", "Diagram", "FlowElement", "Lane", "Location", "Process", "SequenceFlow",
    "Timer", "read_elements",
]

FLOW_NODE_KINDS = frozenset({
    "task", "userTask", "manualTask", "scriptTask", "serviceTask", "businessRuleTask", "sendTask", "receiveTask",
    "callActivity", "subProcess", "transaction", "adHocSubProcess", "startEvent", "endEvent",
    "intermediateCatchEvent", "intermediateThrowEvent", "boundaryEvent", "exclusiveGateway", "parallelGateway",
    "inclusiveGateway", "eventBasedGateway", "complexGateway"})
"""BPMN local names of the flow nodes: the activities, events and gateways a token can stand at."""

Location = tuple[str, int | None]
"""Where an element stands: its file in the bundle and its line (None when the parser does not know)."""


@dataclass(frozen=True)
class Timer:
    """A timer event definition: its kind (a conventions.TIMER_KINDS name, None if it has none) and expression."""

    kind: str | None
    expression: str


@dataclass(frozen=True)
class Lane:
    """A lane (an agency) and the candidate group whose clerks work its tasks."""

    id: str
    name: str | None
    candidate_group: str | None
    line: int | None

    @property
    def label(self) -> str:
        """Return the name, or the id of an unnamed lane."""
        return self.name or self.id


@dataclass(frozen=True)
class FlowElement:
    """An activity, event or gateway of a process (or of a subprocess inside it)."""

    id: str
    kind: str  # the BPMN local name: userTask, businessRuleTask, exclusiveGateway, boundaryEvent…
    name: str | None
    process_id: str
    lane: Lane | None
    documentation: str | None  # the article citation; None when the element has no documentation
    properties: Mapping[str, str]
    called_decision: str | None
    timer: Timer | None
    script: str | None
    default_flow: str | None
    line: int | None
    attached_to: str | None = None  # the activity a boundary event sits on
    # Other XML that changes behaviour: cancelActivity, event definitions, multi-instance markers.
    behaviour: Mapping[str, str] = field(default_factory=dict)

    @property
    def label(self) -> str:
        """Return the name, or the id of an unnamed element."""
        return self.name or self.id


@dataclass(frozen=True)
class SequenceFlow:
    """A sequence flow with its condition (None when unconditional)."""

    id: str
    name: str | None
    source: str
    target: str
    condition: str | None
    documentation: str | None
    line: int | None


@dataclass(frozen=True)
class Process:
    """A process of a diagram: its lanes, flow elements and sequence flows in document order."""

    id: str
    name: str | None
    file: str
    line: int | None
    documentation: str | None
    lanes: tuple[Lane, ...]
    elements: tuple[FlowElement, ...]
    flows: tuple[SequenceFlow, ...]
    properties: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))  # the process's own

    @property
    def lane_groups(self) -> dict[str, str]:
        """Return {lane label: candidate group} of the lanes that name one."""
        return {lane.label: lane.candidate_group for lane in self.lanes if lane.candidate_group}

    def successors(self) -> dict[str, set[str]]:
        """Return, for each element, where one step leads: its outgoing flows and its boundary events."""
        found: dict[str, set[str]] = {element.id: set() for element in self.elements}
        for flow in self.flows:
            found.setdefault(flow.source, set()).add(flow.target)
        for element in self.elements:
            if element.attached_to:
                found.setdefault(element.attached_to, set()).add(element.id)
        return found

    def reachable_from(self, start: Iterable[str], successors: Mapping[str, set[str]] | None = None) -> set[str]:
        """Return `start` and every element some path leads to from it (pass `successors` when asking often)."""
        step = self.successors() if successors is None else successors
        seen: set[str] = set()
        pending = list(start)
        while pending:
            node = pending.pop()
            if node not in seen:
                seen.add(node)
                pending += step.get(node, ())
        return seen


@dataclass(frozen=True)
class Diagram:
    """One BPMN file: its processes and every id it defines, with its line, in document order."""

    path: str
    root: etree._Element = field(repr=False, compare=False)  # handed to SpiffWorkflow's parser as is
    processes: tuple[Process, ...]
    ids: tuple[tuple[str, int | None], ...]


@dataclass(frozen=True)
class BundleElements:
    """Every readable diagram and decision file of a bundle, and where each element id stands."""

    diagrams: tuple[Diagram, ...]
    decision_files: tuple[DecisionFile, ...]
    unreadable: Mapping[str, Problem]  # file path -> why the safe parser refused it
    locations: Mapping[str, Location]  # the first place each id stands, decision files first
    lane_ids: Mapping[str, str]  # the first lane id of each lane name

    @property
    def processes(self) -> tuple[Process, ...]:
        """Return the processes of every diagram."""
        return tuple(process for diagram in self.diagrams for process in diagram.processes)

    @property
    def decisions(self) -> tuple[Decision, ...]:
        """Return the decisions of every decision file."""
        return tuple(decision for document in self.decision_files for decision in document.decisions)

    def diagram(self, path: str) -> Diagram | None:
        """Return the diagram read from `path`, if it was readable."""
        return next((d for d in self.diagrams if d.path == path), None)

    def decision_file(self, path: str) -> DecisionFile | None:
        """Return the decision file read from `path`, if it was readable."""
        return next((d for d in self.decision_files if d.path == path), None)

    def checked(self) -> BundleElements:
        """Return the elements, or raise DeploymentError when a file could not be read."""
        if self.unreadable:
            raise DeploymentError(list(self.unreadable.values()))
        return self


def read_elements(bundle: Bundle, max_bytes: int = DEFAULT_MAX_BYTES) -> BundleElements:
    """Parse every BPMN and DMN file of `bundle` once; files over `max_bytes` or unsafe are unreadable."""
    unreadable: dict[str, Problem] = {}
    decision_files: list[DecisionFile] = []
    diagrams: list[Diagram] = []
    for item in bundle.of_kind("dmn"):
        try:
            decision_files.append(read_decision_file(item.content, item.path, max_bytes))
        except UnsafeXml as exc:
            unreadable[item.path] = exc.problem
    for item in bundle.of_kind("bpmn"):
        try:
            root = parse_xml(item.content, item.path, max_bytes)
        except UnsafeXml as exc:
            unreadable[item.path] = exc.problem
            continue
        processes = tuple(_process(item.path, node) for node in root.iter(_bpmn("process")))
        diagrams.append(Diagram(item.path, root, processes, element_ids(root)))
    locations: dict[str, Location] = {}
    # Decision files first, the order the compiler reads them in: an id defined twice stands where it always did.
    for path, ids in [*((d.path, d.ids) for d in decision_files), *((d.path, d.ids) for d in diagrams)]:
        for element_id, line in ids:
            locations.setdefault(element_id, (path, line))
    lane_ids: dict[str, str] = {}
    for diagram in diagrams:
        for process in diagram.processes:
            for lane in process.lanes:
                if lane.name:
                    lane_ids.setdefault(lane.name, lane.id)
    return BundleElements(tuple(diagrams), tuple(decision_files), MappingProxyType(unreadable),
                          MappingProxyType(locations), MappingProxyType(lane_ids))


def _bpmn(tag: str) -> str:
    return f"{{{BPMN_NS}}}{tag}"


def _spiff(tag: str) -> str:
    return f"{{{SPIFF_NS}}}{tag}"


def _citation(node: etree._Element) -> str | None:
    """Return the documentation of an element (where it cites its article); None when it has none."""
    texts = [child.text or "" for child in node.findall(_bpmn(CITATION))]
    return " ".join(texts).strip() if texts else None


def _text(node: etree._Element | None) -> str | None:
    return (node.text or "").strip() if node is not None else None


def _extensions(node: etree._Element) -> dict[str, etree._Element]:
    """Return the SpiffWorkflow extension elements of a node by local name, as SpiffWorkflow reads them."""
    found: dict[str, etree._Element] = {}
    for container in node.findall(_bpmn("extensionElements")):
        for child in container.iterchildren(_spiff("*")):
            found[local_name(child)] = child
    return found


def _properties(extensions: dict[str, etree._Element]) -> Mapping[str, str]:
    container = extensions.get(PROPERTIES)
    values: dict[str, str] = {}
    if container is not None:
        for prop in container.iter(_spiff(PROPERTY)):
            name = prop.get("name")
            if name:
                values[name] = prop.get("value") or ""
    return MappingProxyType(values)


def _process(path: str, process: etree._Element) -> Process:
    process_id = process.get("id") or ""
    lanes: list[Lane] = []
    lane_of: dict[str, Lane] = {}
    for node in process.iter(_bpmn("lane")):
        group = _properties(_extensions(node)).get(CANDIDATE_GROUP) or None
        lane = Lane(node.get("id") or "", node.get("name"), group, node.sourceline)
        lanes.append(lane)
        # An inner lane comes later in document order, so the innermost lane holding a node wins.
        for ref in node.findall(_bpmn("flowNodeRef")):
            lane_of[(ref.text or "").strip()] = lane
    elements: list[FlowElement] = []
    flows: list[SequenceFlow] = []
    for node in process.iter(_bpmn("*")):
        element_id = node.get("id")
        if not element_id:
            continue
        kind = local_name(node)
        if kind == "sequenceFlow":
            flows.append(SequenceFlow(
                element_id, node.get("name"), node.get("sourceRef") or "", node.get("targetRef") or "",
                _text(node.find(_bpmn("conditionExpression"))), _citation(node), node.sourceline))
        elif kind in FLOW_NODE_KINDS:
            elements.append(_flow_element(node, element_id, kind, process_id, lane_of.get(element_id)))
    return Process(process_id, process.get("name"), path, process.sourceline, _citation(process), tuple(lanes),
                   tuple(elements), tuple(flows), _properties(_extensions(process)))


def _flow_element(node: etree._Element, element_id: str, kind: str, process_id: str, lane: Lane | None) -> FlowElement:
    extensions = _extensions(node)
    return FlowElement(
        element_id, kind, node.get("name"), process_id, lane, _citation(node), _properties(extensions),
        _text(extensions.get(CALLED_DECISION)) or None, _timer(node), _text(node.find(_bpmn("script"))) or None,
        node.get("default"), node.sourceline, node.get("attachedToRef"), _behaviour(node, kind))


def _behaviour(node: etree._Element, kind: str) -> dict[str, str]:
    found: dict[str, str] = {}
    if kind == "boundaryEvent":
        found["cancelActivity"] = node.get("cancelActivity", "true")
    events = sorted(local_name(child) for child in node if local_name(child).endswith("EventDefinition"))
    if events:
        found["events"] = ", ".join(events)
    loop = node.find(_bpmn("multiInstanceLoopCharacteristics"))
    if loop is not None:
        found["multiInstance"] = "sequential" if loop.get("isSequential") == "true" else "parallel"
        for part in ("loopCardinality", "completionCondition"):
            if loop.find(_bpmn(part)) is not None:
                found[part] = _text(loop.find(_bpmn(part))) or ""
    if node.find(_bpmn("standardLoopCharacteristics")) is not None:
        found["loop"] = "standard"
    return found


def _timer(node: etree._Element) -> Timer | None:
    definition = node.find(_bpmn("timerEventDefinition"))
    if definition is None:
        return None
    for kind in TIMER_KINDS:
        expression = definition.find(_bpmn(kind))
        if expression is not None:
            return Timer(kind, expression.text or "")
    return Timer(None, "")


