"""The names Govflow's diagrams agree on, each spelled once: namespaces, extension names, citations, groups.

A bundle's BPMN and DMN files carry Govflow's meaning in SpiffWorkflow extension elements
(`<spiffworkflow:properties>` of a task or lane, `<spiffworkflow:calledDecisionId>` of a business
rule task), in timer definitions, in the documentation that cites an article of the regulation,
and in candidate groups named `<jurisdiction>:<role>`. The engine's readers and writers take
these names from here, and the browser modeler receives them with its page (`for_modeler`).
"""

from __future__ import annotations

import re
from typing import Any

__all__ = [
    "APPLICANT_ROLE", "BPMN_DI_NS", "BPMN_NS", "CALLED_DECISION", "CANDIDATE_GROUP", "CITATION", "COMMITTED_DAYS",
    "DC_NS", "DI_NS",
    "DMN_NAMESPACES", "DMN_NS", "DUE_DATE", "FORM_SCHEMA", "FORM_SCHEMA_SUFFIX", "FORM_UI_SCHEMA",
    "FORM_UI_SCHEMA_SUFFIX", "GROUP_SEPARATOR", "MONEY", "PROPERTIES", "PROPERTY", "REGULATION", "REGULATION_FROM",
    "REGULATION_STATUS", "REGULATION_UNTIL", "REVISES", "RULE_CITATION",
    "SHARED_FIELDS", "SHARED_REF_PREFIX", "SPIFF_NS",
    "TIMER_KINDS", "TIME_CYCLE", "TIME_DATE", "TIME_DURATION", "article_keys", "for_modeler", "group_jurisdiction",
    "group_name", "group_role",
    "JURISDICTION_TITLE", "UNIT_LABELS", "VALUE_LABELS",
    "PROJECT_AMOUNT", "PROJECT_FIELD", "PROJECT_FIELD_KINDS", "PROJECT_PLAN_YEAR",
]

# --- XML namespaces -------------------------------------------------------------------------------------------

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
"""BPMN 2.0 model: processes, lanes, tasks, events, gateways and sequence flows."""

BPMN_DI_NS = "http://www.omg.org/spec/BPMN/20100524/DI"
"""BPMN diagram interchange: the shape of each element and the edge of each flow."""

DC_NS = "http://www.omg.org/spec/DD/20100524/DC"
"""Diagram common types: the bounds of a shape."""

DI_NS = "http://www.omg.org/spec/DD/20100524/DI"
"""Diagram interchange: the waypoints of an edge."""

SPIFF_NS = "http://spiffworkflow.org/bpmn/schema/1.0/core"
"""SpiffWorkflow's extension elements, which hold every Govflow-specific setting of a diagram."""

DMN_NS = "https://www.omg.org/spec/DMN/20191111/MODEL/"
"""DMN 1.3, the version Govflow writes its decision tables in."""

DMN_NAMESPACES = (DMN_NS, "http://www.omg.org/spec/DMN/20180521/MODEL/", "http://www.omg.org/spec/DMN/20151101/dmn.xsd")
"""DMN 1.3, 1.2 and 1.1: the versions a decision table may be read from."""

# --- SpiffWorkflow extension elements (children of <bpmn:extensionElements>) ------------------------------------

PROPERTIES = "properties"
"""`<spiffworkflow:properties>`: the element holding an element's named properties, and their key in a
task spec's `extensions`."""

PROPERTY = "property"
"""`<spiffworkflow:property name=… value=…>`: one named property inside PROPERTIES."""

CALLED_DECISION = "calledDecisionId"
"""`<spiffworkflow:calledDecisionId>`: the DMN decision id a business rule task evaluates."""

# --- Govflow's properties (names of PROPERTY elements) ----------------------------------------------------------

FORM_SCHEMA = "formJsonSchemaFilename"
"""Property of a user task: the JSON Schema file (in the bundle's forms/) a clerk fills in."""

FORM_UI_SCHEMA = "formUiSchemaFilename"
"""Property of a user task: the rjsf uiSchema file laying out its form."""

DUE_DATE = "dueDate"
"""Property of a user task: a Python expression over task data giving its statutory due date or date-time."""

COMMITTED_DAYS = "committedWorkingDays"
"""Property of a user task: its committed handling time (承诺办理时限), a whole number of official working days
counted from the day after the task opens; with a statutory DUE_DATE as well, the earlier deadline holds."""

REGULATION = "regulation"
"""Property of a process: the title (and document number) of the regulation it implements."""

REGULATION_STATUS = "regulationStatus"
"""Property of a process: its regulation's status, one of engine.regulation.STATUS_NAMES."""

REGULATION_FROM = "regulationEffectiveFrom"
"""Property of a process: the first day (YYYY-MM-DD) projects may be started under its regulation."""

REGULATION_UNTIL = "regulationEffectiveUntil"
"""Property of a process: the last day (inclusive) projects may be started under its regulation; none: open."""

CANDIDATE_GROUP = "candidateGroup"
"""Property of a lane (an agency): the candidate group `<jurisdiction>:<role>` whose clerks work its tasks."""

FORM_SCHEMA_SUFFIX = ".schema.json"
"""How a form's JSON Schema file name ends."""

FORM_UI_SCHEMA_SUFFIX = ".uischema.json"
"""How a form's uiSchema file name ends."""

SHARED_REF_PREFIX = "govflow:"
"""How a `$ref` to one of the engine's shared field definitions begins (`{"$ref": "govflow:money"}`)."""

MONEY = "govflow:money"
"""The shared definition of an amount in 万元: at most two decimal places, 0.00 to 99,999,999.99."""

SHARED_FIELDS: dict[str, dict[str, Any]] = {
    # 万元 to the yuan's hundred; the top is the largest amount a form may hold.
    MONEY: {"type": "number", "minimum": 0, "maximum": 99999999.99, "multipleOf": 0.01},
}
"""The field definitions every form shares, by the `$ref` that names them (engine.forms expands them)."""

REVISES = "x-govflow-revises"
"""Keyword of a form field: the id of the earlier step whose value of that field this step revises.

Process data is one namespace; a field that a later step writes again must say whose value it replaces."""

VALUE_LABELS = "labels.schema.json"
"""The form file of a bundle that names every coded value its decisions give or test.

It is a JSON Schema like any form (the modeler edits it with a live preview): each property is a
variable, each `oneOf` entry a value (`const`) with its name (`title`). Fields of the bundle's forms
with `enum` and `ui:enumNames` (or `oneOf` with titles) name their values too."""

JURISDICTION_TITLE = "x-govflow-jurisdiction"
"""Keyword of the labels file: the jurisdiction's name (青阳县) shown for the bundle's own name."""

UNIT_LABELS = "unit"
"""The property of the labels file naming the applicant units (`qingyang:demo_unit`) of the jurisdiction."""
PROJECT_FIELD = "x-govflow-project"
"""Keyword of a form field: which project figure the field holds (PROJECT_PLAN_YEAR or PROJECT_AMOUNT).

The project lists show and filter by these figures; each bundle marks the fields of its own forms, so no
field name of one jurisdiction is spelled in the engine. A process marks at most one field per figure."""

PROJECT_PLAN_YEAR = "planYear"
"""PROJECT_FIELD value: the field holds the project's plan (or budget) year, a whole number."""

PROJECT_AMOUNT = "amount"
"""PROJECT_FIELD value: the field holds the project's amount in 万元 (a `govflow:money` field)."""

PROJECT_FIELD_KINDS = (PROJECT_PLAN_YEAR, PROJECT_AMOUNT)
"""Every figure a form field may be marked as with PROJECT_FIELD."""

# --- Timers --------------------------------------------------------------------------------------------------------

TIME_DATE = "timeDate"
"""Timer kind: fires at a date-time (an ISO string or a `deadline(...)` helper)."""

TIME_DURATION = "timeDuration"
"""Timer kind: fires after an ISO 8601 duration, quoted as a Python string (`"P5D"`)."""

TIME_CYCLE = "timeCycle"
"""Timer kind: fires repeatedly by an ISO 8601 recurrence (`"R3/PT1H"`)."""

TIMER_KINDS = (TIME_DATE, TIME_DURATION, TIME_CYCLE)
"""Every timer kind, in the order SpiffWorkflow looks for them in a timer event definition."""

# --- Article citations ----------------------------------------------------------------------------------------------

CITATION = "documentation"
"""`<bpmn:documentation>`: where an element cites the article it implements and records readings (`（A1）`)."""

RULE_CITATION = "description"
"""`<dmn:description>`: where a decision rule cites the article it implements."""

_ARTICLE = re.compile(r"Art\.\s*([\d\s,，、¶*–\-()一二三四五六七八九十（）]+)")
_NUMBER = re.compile(r"(\d+)(\*?)(?:\s*[–-]\s*(\d+)\*?)?")
_QUALIFIER = re.compile(r"¶\s*\d+|[（(][一二三四五六七八九十]+[)）]")
_PART = re.compile(r"([一二三四五六])[（(]([一二三四五六七八九十]+)[)）](\d+)?")
_PART_ITEM = re.compile(r"([一二三四五六])、(\d+)")


def article_keys(text: str) -> list[str]:
    """Return the article keys cited in `text`, e.g. ['Art. 9', '二(二)2', '三、3'].

    A citation is `Art. 9` (with `¶1` paragraphs, `27–31` ranges, lists and a `*` for an inferred
    reading) for numbered articles, or `二(二)2` / `三、3` for a policy's part, section and item.
    """
    keys = []
    for run in _ARTICLE.findall(text):
        # "Art. 7, 27–31" and "Art. 11, 12 ¶3, 26 ¶2" cite several articles and ranges.
        for first, star, last in _NUMBER.findall(_QUALIFIER.sub(" ", run)):
            keys += [f"Art. {n}{star}" for n in range(int(first), int(last or first) + 1)]
    keys += [f"{part}({section}){item}" for part, section, item in _PART.findall(text)]
    keys += [f"{part}、{item}" for part, item in _PART_ITEM.findall(text)]
    return list(dict.fromkeys(keys))


# --- Candidate groups -----------------------------------------------------------------------------------------------

GROUP_SEPARATOR = ":"
"""Joins a jurisdiction and a role into a candidate group (`qingyang:data_bureau`) or a unit (`qingyang:demo_unit`)."""

APPLICANT_ROLE = "applicant_unit"
"""The role of a jurisdiction's applicant units; their tasks are seen only by the unit owning the project."""


def group_name(jurisdiction: str, role: str) -> str:
    """Return the candidate group of a role in a jurisdiction."""
    return f"{jurisdiction}{GROUP_SEPARATOR}{role}"


def group_jurisdiction(group: str) -> str:
    """Return the jurisdiction a candidate group belongs to."""
    return group.split(GROUP_SEPARATOR, 1)[0]


def group_role(group: str) -> str:
    """Return the role part of a candidate group (the whole name when it has no jurisdiction)."""
    return group.split(GROUP_SEPARATOR, 1)[-1]


def for_modeler() -> dict[str, Any]:
    """Return the names the browser modeler reads and writes, under the names they have here.

    The page embeds them and the modeler's scripts read `conventions.FORM_SCHEMA` and so on, so no
    script spells a name itself.
    """
    return {
        "FORM_SCHEMA": FORM_SCHEMA, "FORM_UI_SCHEMA": FORM_UI_SCHEMA, "DUE_DATE": DUE_DATE,
        "COMMITTED_DAYS": COMMITTED_DAYS,
        "CANDIDATE_GROUP": CANDIDATE_GROUP, "CALLED_DECISION": CALLED_DECISION,
        "FORM_SCHEMA_SUFFIX": FORM_SCHEMA_SUFFIX, "FORM_UI_SCHEMA_SUFFIX": FORM_UI_SCHEMA_SUFFIX,
        "TIME_DURATION": TIME_DURATION, "TIME_DATE": TIME_DATE, "TIME_CYCLE": TIME_CYCLE,
        "SHARED_FIELDS": SHARED_FIELDS,
    }
