"""Why an instance cannot move to another version, and what moving does besides moving, in two languages.

Each reason carries a code and its parts as data (for the API and the audit trail) and one sentence in
English (the CLI, logs) and one in Chinese (the clerk-facing pages). Elements are named by their names in
the diagram, fields by their form titles, agencies by their lane names: never by ids.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from engine.spiff.migrating import ElementChange, WorkflowChanges

__all__ = ["Reason", "attribute_words", "blocking_changes", "element_kind_words"]

_HISTORY_ONLY = frozenset({"bpmn_name", "description", "documentation", "extensions", "lane"})
# What changes in an element (a gateway, say) when only the step after it was replaced.
_FLOWS_OUT = frozenset({"outputs", "cond_task_specs", "default_task_spec"})


@dataclass(frozen=True)
class Reason:
    """One reason (or note) about one instance's migration: a code, its parts, and a sentence per language."""

    code: str
    text: str  # English
    text_zh: str
    values: Mapping[str, Any] = field(default_factory=dict)

    def __str__(self) -> str:
        return self.text

    def in_language(self, language: str) -> str:
        """Return the sentence in `language` ("zh" or "en")."""
        return self.text if language == "en" else self.text_zh

    def to_json(self) -> dict[str, Any]:
        """Return the reason as plain data for the audit trail."""
        return {"code": self.code, "text": self.text, "text_zh": self.text_zh, "values": dict(self.values)}


# SpiffWorkflow's attribute names, as the person reading a blocked migration would name the change.
_ATTRIBUTES: dict[str, tuple[str, str]] = {
    "cond_task_specs": ("branch conditions", "分支条件"),
    "default_task_spec": ("default flow", "默认流向"),
    "inputs": ("incoming flows", "进入的连线"),
    "outputs": ("outgoing flows", "后续连线"),
    "event_definition": ("event (timer, message or error)", "事件（计时器、消息或错误）"),
    "script": ("script", "脚本"),
    "prescript": ("script before it", "前置脚本"),
    "postscript": ("script after it", "后置脚本"),
    "cancel_activity": ("interrupting setting", "是否中断"),
    "typename": ("element type", "环节类型"),
    "manual": ("element type", "环节类型"),
    "decision_table": ("decision", "决策"),
    "definition": ("definition", "定义"),
}

_KINDS: dict[str, tuple[str, str]] = {
    "scriptTask": ("script task", "脚本任务"),
    "serviceTask": ("service task", "服务任务"),
    "businessRuleTask": ("decision task", "决策任务"),
    "sendTask": ("send task", "发送任务"),
    "receiveTask": ("receive task", "接收任务"),
    "task": ("task without a clerk", "无人办理的任务"),
    "callActivity": ("call of another process", "子流程调用"),
    "subProcess": ("sub-process", "子流程"),
    "exclusiveGateway": ("gateway", "网关"),
    "parallelGateway": ("gateway", "网关"),
    "inclusiveGateway": ("gateway", "网关"),
    "eventBasedGateway": ("gateway", "网关"),
    "intermediateCatchEvent": ("event", "事件"),
    "intermediateThrowEvent": ("event", "事件"),
    "endEvent": ("end event", "结束事件"),
}


def attribute_words(attributes: Iterable[str]) -> tuple[str, str]:
    """Name changed SpiffWorkflow attributes in English and Chinese, each word once, in a stable order."""
    words = sorted({_ATTRIBUTES.get(name, (name.replace("_", " "), "定义")) for name in attributes})
    return ", ".join(dict.fromkeys(en for en, _ in words)), "、".join(dict.fromkeys(zh for _, zh in words))


def element_kind_words(kind: str) -> tuple[str, str]:
    """Name a BPMN element kind in English and Chinese."""
    return _KINDS.get(kind, (kind, "自动执行的环节"))


def blocking_changes(changes: WorkflowChanges) -> list[Reason]:
    """Return why the changes to elements an instance ran or stands at keep it from moving."""
    if changes.missing:
        return [Reason("called_process_gone", f"called process {changes.process_id} is gone in the new version",
                       "新版本中已没有该实例调用的子流程", {"process": changes.process_id})]
    reasons = []
    for change in changes.changes:
        if change.removed:
            where_en, where_zh = ("ran at", "已经过") if change.ran else ("stands at", "正停在")
            reasons.append(Reason("removed", f"the instance {where_en} {change.label}, which the new version removes",
                                  f"该实例{where_zh}「{change.name}」，新版本删除了这个环节",
                                  {"element": change.label}))
            continue
        attributes = change.attributes - _HISTORY_ONLY
        if not attributes:
            continue
        if "decision_table" in attributes:
            reasons.append(Reason("decision_changed", f"decision of {change.label} changed after it ran",
                                  f"「{change.name}」已作出决策，新版本修改了这个决策", {"element": change.label}))
        elif attributes <= _FLOWS_OUT and change.next_before != change.next_after:
            # The element itself is unchanged: what changed is the step it leads to. Name that step.
            reasons.append(_next_changed(change))
        else:
            words_en, words_zh = attribute_words(attributes)
            reasons.append(Reason("changed_after_it_ran", f"{change.label} already ran and its {words_en} changed",
                                  f"「{change.name}」已经办过，新版本修改了它的{words_zh}",
                                  {"element": change.label, "changed": sorted(attributes)}))
    return sorted({reason.text: reason for reason in reasons}.values(), key=lambda reason: reason.text)


def _next_changed(change: ElementChange) -> Reason:
    gone = [name for name in change.next_before if name not in change.next_after]
    new = [name for name in change.next_after if name not in change.next_before]
    quoted_gone, quoted_new = "「" + "」「".join(gone) + "」", "「" + "」「".join(new) + "」"
    if gone and new:
        en, zh = f"{', '.join(gone)} is replaced by {', '.join(new)}", f"把它之后的{quoted_gone}换成了{quoted_new}"
    elif new:
        en, zh = f"{', '.join(new)} is added after it", f"在它之后增加了{quoted_new}"
    else:
        en, zh = f"{', '.join(gone)} is no longer after it", f"去掉了它之后的{quoted_gone}"
    return Reason("next_changed", f"{change.label} already ran and its outgoing flows changed: {en}",
                  f"「{change.name}」已经办过，新版本{zh}",
                  {"element": change.label, "before": list(change.next_before), "after": list(change.next_after)})
