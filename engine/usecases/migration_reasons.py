"""Why an instance cannot move to another version, and what moving does besides moving, in two languages.

Each reason carries a code and its parts as data (for the API and the audit trail) and one sentence in
English (the CLI, logs) and one in Chinese (the clerk-facing pages). Elements are named by their names in
the diagram, fields by their form titles, agencies by their lane names: never by ids.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Reason", "attribute_words", "element_kind_words"]


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
