"""Parse untrusted BPMN/DMN XML without entity expansion, DTDs or network access, and name what was parsed."""

from __future__ import annotations

import re

from lxml import etree

from engine.errors import Problem

__all__ = ["UnsafeXml", "element_ids", "local_name", "parse_xml"]

_DOCTYPE = re.compile(rb"<!DOCTYPE", re.IGNORECASE)


class UnsafeXml(Exception):
    """The document is malformed, too large or declares a DTD."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(str(problem))
        self.problem = problem


def _parser() -> etree.XMLParser:
    # No entity resolution and no DTD loading: an XXE payload must never read a
    # local file or reach the network, even before we reject its DOCTYPE.
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=False,
    )


def parse_xml(content: bytes, file_name: str, max_bytes: int) -> etree._Element:
    """Return the root element of `content`, or raise UnsafeXml naming the file and line."""
    if len(content) > max_bytes:
        raise UnsafeXml(Problem(file_name, f"file is {len(content)} bytes, over the limit of {max_bytes}"))
    doctype = _DOCTYPE.search(content)
    if doctype is not None:
        line = content.count(b"\n", 0, doctype.start()) + 1
        raise UnsafeXml(Problem(file_name, "a DOCTYPE/DTD is not allowed in BPMN or DMN files", line=line))
    try:
        root = etree.fromstring(content, parser=_parser())
    except etree.XMLSyntaxError as exc:
        raise UnsafeXml(Problem(file_name, f"not well-formed XML: {exc.msg}", line=exc.lineno or None)) from None
    if root.getroottree().docinfo.doctype:  # belt and braces: an encoding trick hid it from the scan
        raise UnsafeXml(Problem(file_name, "a DOCTYPE/DTD is not allowed in BPMN or DMN files", line=1))
    for node in root.iter():
        if isinstance(node, etree._Entity):
            raise UnsafeXml(Problem(file_name, "entity references are not allowed", line=node.sourceline))
    return root


def local_name(node: etree._Element) -> str:
    """Return an element's local name; a comment or processing instruction has none."""
    # Their tag is a function, not a name.
    return etree.QName(node.tag).localname if isinstance(node.tag, str) else ""


def element_ids(root: etree._Element) -> tuple[tuple[str, int | None], ...]:
    """Return every id a document defines with its line, in document order."""
    ids = []
    for node in root.iter():
        element_id = node.get("id") if isinstance(node.tag, str) else None
        if element_id:
            ids.append((element_id, node.sourceline))
    return tuple(ids)
