"""A restricted Python environment for everything a diagram can evaluate.

SpiffWorkflow evaluates script tasks, gateway conditions, DMN cells and timer
expressions with plain eval/exec. Emptying `__builtins__` is not enough: the
`().__class__.__base__.__subclasses__()` walk reaches `os.system` without any
import. So every expression is compiled with RestrictedPython, which rejects
names and attributes starting with `_` at compile time, and runs with guards on
attribute, item and iteration access.
"""

from __future__ import annotations

import builtins
import copy
import datetime as _datetime
import math
import re
from collections.abc import Mapping
from decimal import Decimal
from functools import lru_cache
from types import CodeType
from typing import Any, cast

from RestrictedPython import compile_restricted_eval, compile_restricted_exec
from RestrictedPython.Eval import default_guarded_getitem, default_guarded_getiter
from RestrictedPython.Guards import (
    full_write_guard,
    guarded_iter_unpack_sequence,
    guarded_unpack_sequence,
    safe_builtins,
    safer_getattr,
)
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine, TaskDataEnvironment

from engine.spiff.internals import SCRIPT_FILENAME, remove_script_globals
from engine.spiff.run_context import RunContext

__all__ = ["RestrictedEnvironment", "SandboxScriptEngine", "compile_checked", "make_script_engine"]

_LINE = re.compile(r"Line (\d+):")

_EXTRA_BUILTINS = {
    name: getattr(builtins, name)
    for name in ("list", "dict", "set", "min", "max", "sum", "sorted", "any", "all", "enumerate", "zip", "map",
                 "filter", "reversed")
}

_INPLACE = {
    "+=": lambda a, b: a + b, "-=": lambda a, b: a - b, "*=": lambda a, b: a * b, "/=": lambda a, b: a / b,
    "//=": lambda a, b: a // b, "%=": lambda a, b: a % b, "**=": lambda a, b: a ** b,
}


def _inplacevar(op: str, left: Any, right: Any) -> Any:
    if op not in _INPLACE:
        raise SyntaxError(f"in-place operator {op} is not allowed")
    return _INPLACE[op](left, right)


def _guards() -> dict[str, Any]:
    allowed = dict(safe_builtins)
    allowed.update(_EXTRA_BUILTINS)
    return {
        "__builtins__": allowed,
        "_getattr_": safer_getattr,
        "_getitem_": default_guarded_getitem,
        "_getiter_": default_guarded_getiter,
        "_iter_unpack_sequence_": guarded_iter_unpack_sequence,
        "_unpack_sequence_": guarded_unpack_sequence,
        "_write_": full_write_guard,
        "_inplacevar_": _inplacevar,
        "Decimal": Decimal,
        "math": math,
        "date": _datetime.date,
        "datetime": _datetime.datetime,
        "timedelta": _datetime.timedelta,
    }


@lru_cache(maxsize=4096)
def _compile(source: str, mode: str) -> CodeType:
    # Compiling is the expensive part of a DMN cell; the same cells run again and again.
    # SCRIPT_FILENAME is the file name SpiffWorkflow looks for to report the failing line of a script.
    result = (compile_restricted_eval if mode == "eval" else compile_restricted_exec)(source, SCRIPT_FILENAME)
    if result.errors:
        found = _LINE.match(result.errors[0])
        line = int(found.group(1)) if found else 1
        lines = source.splitlines() or [""]
        raise SyntaxError("; ".join(result.errors), (SCRIPT_FILENAME, line, 0, lines[min(line, len(lines)) - 1]))
    return cast(CodeType, result.code)  # set whenever there are no errors


def compile_checked(source: str, mode: str) -> CodeType:
    """Compile diagram code as the sandbox runs it ("eval" or "exec"); raise SyntaxError for what it refuses."""
    return _compile(source, mode)


class RestrictedEnvironment(TaskDataEnvironment):  # type: ignore[misc]  # SpiffWorkflow ships no types
    """Evaluate and execute diagram code under RestrictedPython guards."""

    def evaluate(self, expression: str, context: dict[str, Any], external_context: dict[str, Any] | None = None) -> Any:
        """Evaluate an expression against task data without changing the data."""
        scope = copy.copy(self.globals)
        scope.update(external_context or {})
        scope.update(context)
        return eval(_compile(expression, "eval"), scope)  # noqa: S307 - restricted code object

    def execute(self, script: str, context: dict[str, Any], external_context: dict[str, Any] | None = None) -> bool:
        """Run a script whose assignments become task data."""
        self.check_for_overwrite(context, external_context or {})
        code = _compile(script, "exec")
        context.update(self.globals)
        context.update(external_context or {})
        try:
            exec(code, context)  # noqa: S102 - restricted code object
        finally:
            remove_script_globals(self, context, external_context)
        return True


class SandboxScriptEngine(PythonScriptEngine):  # type: ignore[misc]  # SpiffWorkflow ships no types
    """The script engine of one instance: the restricted environment, and the run context it works in."""

    def __init__(self, environment: RestrictedEnvironment, run: RunContext) -> None:
        super().__init__(environment=environment)
        self.run = run


def make_script_engine(helpers: Mapping[str, Any] | None = None, run: RunContext | None = None) -> SandboxScriptEngine:
    """Return a script engine whose globals are the guards plus the allowed helpers.

    Decisions taken through it go to `run`'s log; without a run context they go to a log of their own.
    """
    environment_globals = _guards()
    for name, helper in (helpers or {}).items():
        if not name.isidentifier() or name.startswith("_"):
            raise ValueError(f"helper name {name!r} must be an identifier not starting with '_'")
        environment_globals[name] = helper
    return SandboxScriptEngine(RestrictedEnvironment(environment_globals), run or RunContext())
