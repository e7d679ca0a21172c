"""Author BPMN files with complete diagram interchange (DI) from a compact description.

Process owners refine diagrams in the modeler; this gives them a laid-out start:
lanes become horizontal bands, elements are placed in columns by their distance
from the start event, and every sequence flow gets orthogonal waypoints.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from xml.sax.saxutils import escape, quoteattr

from lxml import etree

from engine import conventions
from engine.spiff.xmlsafe import local_name

__all__ = ["DecisionBuilder", "ProcessBuilder", "missing_di"]

_SIZES = {"event": (36, 36), "gateway": (50, 50), "task": (100, 80)}
_COLUMN, _ROW, _LEFT, _TOP, _LANE_PAD = 170, 110, 230, 80, 20


@dataclass
class _Node:
    id: str
    tag: str
    name: str
    lane: str
    doc: str
    body: str = ""
    attrs: dict[str, str] = field(default_factory=dict)
    attached_to: str | None = None

    @property
    def shape(self) -> str:
        if self.tag.endswith("Event"):
            return "event"
        return "gateway" if self.tag.endswith("Gateway") else "task"


@dataclass
class _Flow:
    id: str
    source: str
    target: str
    name: str | None
    condition: str | None


def _props(values: dict[str, str | None]) -> str:
    tag, item = f"spiffworkflow:{conventions.PROPERTIES}", f"spiffworkflow:{conventions.PROPERTY}"
    items = "".join(f"<{item} name={quoteattr(k)} value={quoteattr(v)}/>" for k, v in values.items() if v)
    return f"<{tag}>{items}</{tag}>" if items else ""


class ProcessBuilder:
    """Collect lanes, elements and flows of one process, then write BPMN XML with DI."""

    def __init__(self, process_id: str, name: str, group_prefix: str) -> None:
        self.process_id, self.name, self.group_prefix = process_id, name, group_prefix
        self.lanes: list[tuple[str, str]] = []
        self.nodes: dict[str, _Node] = {}
        self.flows: list[_Flow] = []
        self.defaults: dict[str, str] = {}

    def lane(self, role: str, name: str) -> None:
        """Add a lane (an agency) whose candidate group is `<prefix>:<role>` (conventions.group_name)."""
        self.lanes.append((role, name))

    def _add(self, node: _Node) -> str:
        if node.id in self.nodes:
            raise ValueError(f"duplicate element id {node.id}")
        if node.lane not in {role for role, _ in self.lanes}:
            raise ValueError(f"{node.id}: unknown lane {node.lane}")
        self.nodes[node.id] = node
        return node.id

    def start(self, id: str, name: str, lane: str, doc: str) -> str:
        """Add the start event."""
        return self._add(_Node(id, "startEvent", name, lane, doc))

    def end(self, id: str, name: str, lane: str, doc: str) -> str:
        """Add an end event."""
        return self._add(_Node(id, "endEvent", name, lane, doc))

    def user(self, id: str, name: str, lane: str, doc: str, form: str, due: str | None = None) -> str:
        """Add a user task with its form (`<form>.schema.json` / `.uischema.json`) and optional due date."""
        ext = _props({conventions.FORM_SCHEMA: f"{form}{conventions.FORM_SCHEMA_SUFFIX}",
                      conventions.FORM_UI_SCHEMA: f"{form}{conventions.FORM_UI_SCHEMA_SUFFIX}",
                      conventions.DUE_DATE: due})
        return self._add(_Node(id, "userTask", name, lane, doc, body=f"<bpmn:extensionElements>{ext}"
                                                                     "</bpmn:extensionElements>"))

    def rule(self, id: str, name: str, lane: str, doc: str, decision: str) -> str:
        """Add a business rule task calling a decision."""
        body = (f"<bpmn:extensionElements><spiffworkflow:{conventions.CALLED_DECISION}>"
                f"{escape(decision)}</spiffworkflow:{conventions.CALLED_DECISION}></bpmn:extensionElements>")
        return self._add(_Node(id, "businessRuleTask", name, lane, doc, body=body))

    def script(self, id: str, name: str, lane: str, doc: str, script: str) -> str:
        """Add a script task (restricted Python)."""
        return self._add(_Node(id, "scriptTask", name, lane, doc, body=f"@script@{escape(script)}"))

    def gateway(self, id: str, name: str, lane: str, doc: str) -> str:
        """Add an exclusive gateway; mark its default flow with `flow(..., default=True)`."""
        return self._add(_Node(id, "exclusiveGateway", name, lane, doc))

    def call(self, id: str, name: str, lane: str, doc: str, called: str) -> str:
        """Add a call activity."""
        return self._add(_Node(id, "callActivity", name, lane, doc, attrs={"calledElement": called}))

    def timer(self, id: str, name: str, lane: str, doc: str, *, duration: str | None = None,
              date: str | None = None, attached_to: str | None = None, interrupting: bool = True) -> str:
        """Add an intermediate timer, or a boundary timer when `attached_to` names a task."""
        kind, expression = (conventions.TIME_DURATION, duration) if duration else (conventions.TIME_DATE, date)
        body = f"@timer@<bpmn:timerEventDefinition><bpmn:{kind}>{escape(expression or '')}</bpmn:{kind}>" \
               "</bpmn:timerEventDefinition>"
        if attached_to is None:
            return self._add(_Node(id, "intermediateCatchEvent", name, lane, doc, body=body))
        attrs = {"attachedToRef": attached_to, "cancelActivity": "true" if interrupting else "false"}
        return self._add(_Node(id, "boundaryEvent", name, lane, doc, body=body, attrs=attrs,
                               attached_to=attached_to))

    def flow(self, source: str, target: str, name: str | None = None, condition: str | None = None,
             default: bool = False, id: str | None = None) -> str:
        """Connect two elements; a condition is a Python expression over task data."""
        flow_id = id or f"Flow_{source}_{target}"
        self.flows.append(_Flow(flow_id, source, target, name, condition))
        if default:
            self.defaults[source] = flow_id
        return flow_id

    def to_xml(self) -> str:
        """Return the BPMN document with collaboration, lanes, process and complete DI."""
        layout = _Layout(self)
        parts = [
            '<?xml version="1.0" encoding="UTF-8"?>',
            f'<bpmn:definitions xmlns:bpmn="{conventions.BPMN_NS}" xmlns:bpmndi="{conventions.BPMN_DI_NS}" '
            f'xmlns:dc="{conventions.DC_NS}" xmlns:di="{conventions.DI_NS}" '
            f'xmlns:spiffworkflow="{conventions.SPIFF_NS}" '
            f'id="Definitions_{self.process_id}" targetNamespace="http://govflow/bpmn">',
            f'  <bpmn:collaboration id="Collaboration_{self.process_id}"><bpmn:participant '
            f'id="Participant_{self.process_id}" name={quoteattr(self.name)} processRef="{self.process_id}"/>'
            "</bpmn:collaboration>",
            f'  <bpmn:process id="{self.process_id}" name={quoteattr(self.name)} isExecutable="true">',
            f'    <bpmn:laneSet id="LaneSet_{self.process_id}">',
        ]
        for role, lane_name in self.lanes:
            refs = "".join(f"<bpmn:flowNodeRef>{n.id}</bpmn:flowNodeRef>"
                           for n in self.nodes.values() if n.lane == role)
            ext = _props({conventions.CANDIDATE_GROUP: conventions.group_name(self.group_prefix, role)})
            parts.append(f'      <bpmn:lane id="Lane_{role}" name={quoteattr(lane_name)}>'
                         f"<bpmn:extensionElements>{ext}</bpmn:extensionElements>{refs}</bpmn:lane>")
        parts.append("    </bpmn:laneSet>")
        parts += [self._node_xml(node) for node in self.nodes.values()]
        for f in self.flows:
            name = f" name={quoteattr(f.name)}" if f.name else ""
            cond = (f"<bpmn:conditionExpression>{escape(f.condition)}</bpmn:conditionExpression>"
                    if f.condition else "")
            parts.append(f'    <bpmn:sequenceFlow id="{f.id}"{name} sourceRef="{f.source}" targetRef="{f.target}">'
                         f"{cond}</bpmn:sequenceFlow>")
        parts.append("  </bpmn:process>")
        parts += layout.diagram()
        parts.append("</bpmn:definitions>")
        return "\n".join(parts) + "\n"

    def _node_xml(self, node: _Node) -> str:
        attrs = "".join(f" {k}={quoteattr(v)}" for k, v in node.attrs.items())
        if node.id in self.defaults:
            attrs += f' default="{self.defaults[node.id]}"'
        doc = f"<bpmn:documentation>{escape(node.doc)}</bpmn:documentation>"
        incoming = "".join(f"<bpmn:incoming>{f.id}</bpmn:incoming>" for f in self.flows if f.target == node.id)
        outgoing = "".join(f"<bpmn:outgoing>{f.id}</bpmn:outgoing>" for f in self.flows if f.source == node.id)
        body = node.body
        tail = ""
        if body.startswith("@script@"):
            body, tail = "", f"<bpmn:script>{body[len('@script@'):]}</bpmn:script>"
        elif body.startswith("@timer@"):
            body, tail = "", body[len("@timer@"):]
        return (f'    <bpmn:{node.tag} id="{node.id}" name={quoteattr(node.name)}{attrs}>{doc}{body}'
                f"{incoming}{outgoing}{tail}</bpmn:{node.tag}>")


class _Layout:
    """Columns by longest forward distance from the start; rows stacked within each lane."""

    def __init__(self, builder: ProcessBuilder) -> None:
        self.b = builder
        self.column = self._columns()
        self.bounds: dict[str, tuple[float, float, float, float]] = {}
        self.lane_top: dict[str, float] = {}
        self.lane_height: dict[str, float] = {}
        self._place()

    def _columns(self) -> dict[str, int]:
        nodes = self.b.nodes
        successors: dict[str, list[str]] = {n: [] for n in nodes}
        for f in self.b.flows:
            successors[f.source].append(f.target)
        for node in nodes.values():
            if node.attached_to:
                successors[node.attached_to].append(node.id)
        back: set[tuple[str, str]] = set()
        state: dict[str, int] = {}

        def visit(n: str) -> None:  # depth-first search marks edges back to an open node
            state[n] = 1
            for m in successors[n]:
                if state.get(m) == 1:
                    back.add((n, m))
                elif m not in state:
                    visit(m)
            state[n] = 2

        for n in nodes:
            if n not in state and nodes[n].tag == "startEvent":
                visit(n)
        for n in nodes:
            if n not in state:
                visit(n)
        column = {n: 0 for n in nodes}
        for _ in range(len(nodes)):
            changed = False
            for n, targets in successors.items():
                for m in targets:
                    if (n, m) in back:
                        continue
                    step = 0 if nodes[m].attached_to == n else 1
                    if column[m] < column[n] + step:
                        column[m], changed = column[n] + step, True
            if not changed:
                break
        self.back = back
        return column

    def _place(self) -> None:
        rows: dict[tuple[str, int], int] = {}
        slot: dict[str, int] = {}
        for node in self.b.nodes.values():
            if node.attached_to:
                continue
            key = (node.lane, self.column[node.id])
            slot[node.id] = rows.get(key, 0)
            rows[key] = slot[node.id] + 1
        top = float(_TOP)
        for role, _ in self.b.lanes:
            depth = max([count for (lane, _), count in rows.items() if lane == role] or [1])
            self.lane_top[role], self.lane_height[role] = top, depth * _ROW + 2 * _LANE_PAD
            top += self.lane_height[role]
        for node in self.b.nodes.values():
            if node.attached_to:
                continue
            w, h = _SIZES[node.shape]
            cx = _LEFT + self.column[node.id] * _COLUMN + 50
            cy = self.lane_top[node.lane] + _LANE_PAD + slot[node.id] * _ROW + 40
            self.bounds[node.id] = (cx - w / 2, cy - h / 2, w, h)
        for node in self.b.nodes.values():
            if node.attached_to:
                x, y, _, height = self.bounds[node.attached_to]
                siblings = [n.id for n in self.b.nodes.values() if n.attached_to == node.attached_to]
                offset = 62 - 40 * siblings.index(node.id)
                self.bounds[node.id] = (x + offset, y + height - 18, 36, 36)

    def _edge(self, source: str, target: str) -> list[tuple[float, float]]:
        sx, sy, sw, sh = self.bounds[source]
        tx, ty, tw, th = self.bounds[target]
        if (source, target) in self.back:
            below = max(sy + sh, ty + th) + 15
            return [(sx + sw / 2, sy + sh), (sx + sw / 2, below), (tx + tw / 2, below), (tx + tw / 2, ty + th)]
        if self.b.nodes[source].attached_to:
            return [(sx + sw / 2, sy + sh), (sx + sw / 2, ty + th / 2), (tx, ty + th / 2)]
        start, end = (sx + sw, sy + sh / 2), (tx, ty + th / 2)
        if abs(start[1] - end[1]) < 1:
            return [start, end]
        middle = (start[0] + end[0]) / 2
        return [start, (middle, start[1]), (middle, end[1]), end]

    def diagram(self) -> list[str]:
        pid = self.b.process_id
        right = max(x + w for x, _, w, _ in self.bounds.values()) + 60
        height = sum(self.lane_height.values())
        lines = [f'  <bpmndi:BPMNDiagram id="Diagram_{pid}"><bpmndi:BPMNPlane id="Plane_{pid}" '
                 f'bpmnElement="Collaboration_{pid}">',
                 f'    <bpmndi:BPMNShape id="Participant_{pid}_di" bpmnElement="Participant_{pid}" isHorizontal="true">'
                 f'<dc:Bounds x="120" y="{_TOP}" width="{right - 120:.0f}" height="{height:.0f}"/></bpmndi:BPMNShape>']
        for role, _ in self.b.lanes:
            lines.append(f'    <bpmndi:BPMNShape id="Lane_{role}_di" bpmnElement="Lane_{role}" isHorizontal="true">'
                         f'<dc:Bounds x="150" y="{self.lane_top[role]:.0f}" width="{right - 150:.0f}" '
                         f'height="{self.lane_height[role]:.0f}"/></bpmndi:BPMNShape>')
        for node_id, (x, y, w, h) in self.bounds.items():
            marker = ' isMarkerVisible="true"' if self.b.nodes[node_id].shape == "gateway" else ""
            lines.append(f'    <bpmndi:BPMNShape id="{node_id}_di" bpmnElement="{node_id}"{marker}>'
                         f'<dc:Bounds x="{x:.0f}" y="{y:.0f}" width="{w}" height="{h}"/></bpmndi:BPMNShape>')
        for f in self.b.flows:
            points = "".join(f'<di:waypoint x="{px:.0f}" y="{py:.0f}"/>' for px, py in self._edge(f.source, f.target))
            lines.append(f'    <bpmndi:BPMNEdge id="{f.id}_di" bpmnElement="{f.id}">{points}</bpmndi:BPMNEdge>')
        lines.append("  </bpmndi:BPMNPlane></bpmndi:BPMNDiagram>")
        return lines


def missing_di(root: etree._Element) -> list[str]:
    """Return ids of flow nodes, lanes, participants and flows that have no shape or edge."""
    shapes = (f"{{{conventions.BPMN_DI_NS}}}BPMNShape", f"{{{conventions.BPMN_DI_NS}}}BPMNEdge")
    drawn = {el.get("bpmnElement") for el in root.iter(*shapes)}
    wanted = []
    for el in root.iter(f"{{{conventions.BPMN_NS}}}*"):
        local, element_id = local_name(el), el.get("id")
        if not element_id:
            continue
        if local in {"lane", "participant", "sequenceFlow"} or local.endswith(("Task", "Event", "Gateway")) \
                or local in {"task", "callActivity", "subProcess"}:
            wanted.append(element_id)
    return [element for element in wanted if element not in drawn]


@dataclass
class _Rule:
    entries: list[str]
    outputs: list[str]
    description: str


class DecisionBuilder:
    """Collect a decision table's typed inputs, outputs and rules, then write DMN 1.3 XML.

    Cells are Python, as SpiffWorkflow evaluates them: `>= 500`, `200 <= ? < 500`,
    `"PUBLIC"`, `True`, `-` for any. The last rule must be a catch-all.
    """

    def __init__(self, decision_id: str, name: str, hit_policy: str = "FIRST") -> None:
        self.decision_id, self.name, self.hit_policy = decision_id, name, hit_policy
        self.inputs: list[tuple[str, str, str, str]] = []  # (label, expression, typeRef, id suffix)
        self.raw_inputs: list[tuple[str, str]] = []  # inputData for derived expressions: (name, typeRef)
        self.outputs: list[tuple[str, str, str]] = []  # (label, name, typeRef)
        self.rules: list[_Rule] = []

    def input(self, label: str, expression: str, type_ref: str) -> None:
        """Add an input column; `expression` is a variable name or a derived Python expression."""
        self.inputs.append((label, expression, type_ref, str(len(self.inputs) + 1)))

    def raw_input(self, name: str, type_ref: str) -> None:
        """Declare a raw input that only derived expressions read (an inputData element)."""
        self.raw_inputs.append((name, type_ref))

    def output(self, label: str, name: str, type_ref: str = "string") -> None:
        """Add an output column."""
        self.outputs.append((label, name, type_ref))

    def rule(self, entries: list[str], outputs: list[str], description: str) -> None:
        """Add a rule; `description` cites the article it implements."""
        if len(entries) != len(self.inputs) or len(outputs) != len(self.outputs):
            raise ValueError(f"{self.decision_id}: rule {len(self.rules) + 1} has the wrong number of cells")
        self.rules.append(_Rule(entries, outputs, description))

    def to_xml(self) -> str:
        """Return the DMN document."""
        d = self.decision_id
        lines = ['<?xml version="1.0" encoding="UTF-8"?>',
                 f'<definitions xmlns="{conventions.DMN_NS}" '
                 f'id="Definitions_{d}" name={quoteattr(self.name)} namespace="http://govflow/dmn">']
        for name, type_ref in self.raw_inputs:
            lines.append(f'  <inputData id="InputData_{name}" name="{name}">'
                         f'<variable id="Variable_{name}" name="{name}" typeRef="{type_ref}"/></inputData>')
        lines.append(f'  <decision id="{d}" name={quoteattr(self.name)}>')
        for name, _ in self.raw_inputs:
            lines.append(f'    <informationRequirement id="Requirement_{d}_{name}">'
                         f'<requiredInput href="#InputData_{name}"/></informationRequirement>')
        lines.append(f'    <decisionTable id="Table_{d}" hitPolicy="{self.hit_policy}">')
        for label, expression, type_ref, n in self.inputs:
            lines.append(f'      <input id="Input_{d}_{n}" label={quoteattr(label)}><inputExpression '
                         f'id="InputExpression_{d}_{n}" typeRef="{type_ref}"><text>{escape(expression)}</text>'
                         "</inputExpression></input>")
        for number, (label, name, type_ref) in enumerate(self.outputs, 1):
            lines.append(f'      <output id="Output_{d}_{number}" label={quoteattr(label)} name="{name}" '
                         f'typeRef="{type_ref}"/>')
        for r, rule in enumerate(self.rules, 1):
            cells = "".join(f'<inputEntry id="Rule_{d}_{r}_in{c}"><text>{escape(e)}</text></inputEntry>'
                            for c, e in enumerate(rule.entries, 1))
            cells += "".join(f'<outputEntry id="Rule_{d}_{r}_out{c}"><text>{escape(o)}</text></outputEntry>'
                             for c, o in enumerate(rule.outputs, 1))
            lines.append(f'      <rule id="Rule_{d}_{r}"><description>{escape(rule.description)}</description>'
                         f"{cells}</rule>")
        lines += ["    </decisionTable>", "  </decision>", "</definitions>"]
        return "\n".join(lines) + "\n"
