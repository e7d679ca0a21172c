"""A bundle: the BPMN, DMN and form files of one jurisdiction, read into memory."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from engine.errors import DeploymentError, Problem
from engine.limits import MAX_DEPTH, json_text_depth

__all__ = ["Bundle", "BundleFile"]

_KIND_BY_SUFFIX = {".bpmn": "bpmn", ".dmn": "dmn", ".json": "form"}


@dataclass(frozen=True)
class BundleFile:
    """One file of a bundle; `path` is `bpmn/…`, `dmn/…` or `forms/…` inside the bundle."""

    path: str
    content: bytes

    @property
    def kind(self) -> str:
        """Return 'bpmn', 'dmn' or 'form'."""
        return {"bpmn": "bpmn", "dmn": "dmn", "forms": "form"}[self.path.split("/", 1)[0]]

    @property
    def name(self) -> str:
        """Return the file name without its folder, as diagrams reference it."""
        return self.path.split("/", 1)[1]

    def text(self) -> str:
        """Return the content decoded as UTF-8."""
        return self.content.decode("utf-8")


@dataclass(frozen=True)
class Bundle:
    """The files of one jurisdiction (or one folder), in a stable order."""

    name: str
    files: tuple[BundleFile, ...]

    @property
    def content_hash(self) -> str:
        """Return a SHA-256 over every path and content, independent of read order."""
        digest = hashlib.sha256()
        for item in sorted(self.files, key=lambda f: f.path):
            digest.update(item.path.encode("utf-8") + b"\0")
            digest.update(hashlib.sha256(item.content).digest())
        return digest.hexdigest()

    def of_kind(self, kind: str) -> list[BundleFile]:
        """Return the files of one kind."""
        return [f for f in self.files if f.kind == kind]

    def form(self, name: str) -> BundleFile | None:
        """Return the form file called `name`, if the bundle has it."""
        return next((f for f in self.of_kind("form") if f.name == name), None)

    def form_documents(self) -> dict[str, dict[str, Any]]:
        """Return each readable form file as a JSON object by name; the compiler reports the others."""
        found: dict[str, dict[str, Any]] = {}
        for item in self.of_kind("form"):
            if json_text_depth(item.content) > MAX_DEPTH:
                continue
            try:
                document = json.loads(item.content)
            except ValueError:
                continue
            if isinstance(document, dict):
                found[item.name] = document
        return found

    def as_texts(self) -> dict[str, str]:
        """Return {path: text} for storage."""
        return {f.path: f.text() for f in self.files}

    @classmethod
    def from_texts(cls, name: str, texts: dict[str, str]) -> Bundle:
        """Rebuild a bundle from stored {path: text}."""
        files = tuple(BundleFile(path, text.encode("utf-8")) for path, text in sorted(texts.items()))
        return cls(name, files)

    @classmethod
    def from_jurisdiction(cls, root: Path, jurisdiction: str) -> Bundle:
        """Read `bpmn/<j>/`, `dmn/<j>/` and `forms/<j>/` below the project root."""
        files: list[BundleFile] = []
        for folder, suffixes in (("bpmn", {".bpmn"}), ("dmn", {".dmn"}), ("forms", {".json"})):
            base = root / folder / jurisdiction
            if base.is_dir():
                files += _read_tree(base, folder, suffixes)
        if not any(f.kind in ("bpmn", "dmn") for f in files):
            raise DeploymentError([Problem(f"bpmn/{jurisdiction}", "no .bpmn or .dmn files for this jurisdiction")])
        return cls(jurisdiction, tuple(sorted(files, key=lambda f: f.path)))

    @classmethod
    def from_directory(cls, directory: Path, name: str | None = None) -> Bundle:
        """Read one folder holding a bundle's *.bpmn, *.dmn and *.json form files, loose or in bpmn/, dmn/, forms/."""
        if not directory.is_dir():
            raise DeploymentError([Problem(str(directory), "not a directory")])
        files: list[BundleFile] = []
        for path in sorted(directory.rglob("*")):
            kind = _KIND_BY_SUFFIX.get(path.suffix)
            if kind is None or not path.is_file():
                continue
            folder = "forms" if kind == "form" else kind
            parts = path.relative_to(directory).parts
            # A folder laid out like the repository (bpmn/, dmn/, forms/) holds each file under its kind already.
            if len(parts) > 1 and parts[0] == folder:
                parts = parts[1:]
            files.append(BundleFile(f"{folder}/{'/'.join(parts)}", path.read_bytes()))
        if not any(f.kind in ("bpmn", "dmn") for f in files):
            raise DeploymentError([Problem(str(directory), "no .bpmn or .dmn files in this directory")])
        return cls(name or directory.name, tuple(sorted(files, key=lambda f: f.path)))


def _read_tree(base: Path, folder: str, suffixes: set[str]) -> list[BundleFile]:
    return [
        BundleFile(f"{folder}/{path.relative_to(base).as_posix()}", path.read_bytes())
        for path in sorted(base.rglob("*"))
        if path.is_file() and path.suffix in suffixes
    ]
