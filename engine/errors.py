"""Domain errors raised by the engine.

Every error the engine raises on purpose derives from one root, so a host maps
them to its transport in a single place. None of them carries an HTTP code::

    GovflowError
     ├── NotFound            a deployment, process, instance, task or decision does not exist
     ├── Conflict            the state changed under the caller (task already completed, stale version)
     ├── NotAuthenticated    no valid credentials were given
     │    └── TooManyAttempts    sign-in refused for a while after repeated failures
     ├── PermissionDenied    the actor may not act on this task
     ├── InvalidInput        submitted data is wrong; carries one FieldError per field
     ├── DeploymentError     a bundle failed a check; carries one Problem per file/line/element
     ├── ProcessError        a script, condition, timer or decision failed while an instance ran
     │    └── StateFormatError   an instance's stored state is in a format this engine cannot read
     └── DecisionError       a decision could not produce a result (no rule matched, bad cell)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Self

__all__ = [
    "Conflict",
    "DecisionError",
    "DeploymentError",
    "FieldError",
    "GovflowError",
    "InvalidInput",
    "NotAuthenticated",
    "NotFound",
    "PermissionDenied",
    "Problem",
    "ProcessError",
    "StateFormatError",
    "TooManyAttempts",
]


class GovflowError(Exception):
    """Root of every error the engine raises on purpose.

    `message` is for logs, the API and the command line; `key` and `params` let a host word the error
    for people in their language (the web app's message table has a text per key). An error without a
    key is worded by its class.
    """

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
        self.key: str | None = None
        self.params: dict[str, str] = {}

    def keyed(self, key: str, **params: object) -> Self:
        """Attach the message key and arguments people read this error by; return the error."""
        self.key = key
        self.params = {name: str(value) for name, value in params.items()}
        return self

    def to_dict(self) -> dict[str, object]:
        """Describe the error as plain data for logs, JSON and the CLI."""
        return {"error": type(self).__name__, "message": self.message}


class NotFound(GovflowError):
    """A named object does not exist."""


class Conflict(GovflowError):
    """The state changed under the caller; retrying with fresh state may succeed."""


class NotAuthenticated(GovflowError):
    """The caller is not signed in, or the credentials are wrong."""


class TooManyAttempts(NotAuthenticated):
    """Sign-in is refused for a while: too many failures for this account or from this address."""

    def __init__(self, message: str, retry_after_seconds: int) -> None:
        super().__init__(message)
        self.retry_after_seconds = retry_after_seconds

    def to_dict(self) -> dict[str, object]:
        """Describe the error, with how long to wait."""
        return {**super().to_dict(), "retry_after": self.retry_after_seconds}


class PermissionDenied(GovflowError):
    """The actor is not allowed to perform this action."""


@dataclass(frozen=True)
class FieldError:
    """One problem with one submitted field; `field` is a JSON-pointer-like dotted path."""

    field: str
    message: str


class InvalidInput(GovflowError):
    """Submitted data failed validation; nothing was changed."""

    def __init__(self, message: str, errors: list[FieldError] | None = None) -> None:
        super().__init__(message)
        self.errors = list(errors or [])

    def to_dict(self) -> dict[str, object]:
        data = super().to_dict()
        data["fields"] = [{"field": e.field, "message": e.message} for e in self.errors]
        return data


@dataclass(frozen=True)
class Problem:
    """One failed check of a bundle file, located as precisely as the check allows."""

    file: str
    message: str
    line: int | None = None
    element: str | None = None

    def __str__(self) -> str:
        where = self.file
        if self.line is not None:
            where += f":{self.line}"
        if self.element:
            where += f" [{self.element}]"
        return f"{where}: {self.message}"


class DeploymentError(GovflowError):
    """A bundle failed one or more checks; nothing was deployed."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("; ".join(str(p) for p in problems) or "deployment rejected")
        self.problems = list(problems)

    def to_dict(self) -> dict[str, object]:
        data = super().to_dict()
        data["problems"] = [
            {"file": p.file, "line": p.line, "element": p.element, "message": p.message}
            for p in self.problems
        ]
        return data


class ProcessError(GovflowError):
    """An instance failed at a BPMN element while running."""

    def __init__(self, message: str, element_id: str | None = None, line: int | None = None) -> None:
        super().__init__(message)
        self.element_id = element_id
        self.line = line

    def to_dict(self) -> dict[str, object]:
        data = super().to_dict()
        data.update(element=self.element_id, line=self.line)
        return data


class StateFormatError(ProcessError):
    """An instance's state is stored in a format this engine neither reads nor can upgrade."""

    def __init__(self, instance_id: str, state_format: str, reason: str) -> None:
        super().__init__(f"instance {instance_id} is stored in state format {state_format!r}, "
                         f"which cannot be loaded: {reason}")
        self.instance_id = instance_id
        self.state_format = state_format

    def to_dict(self) -> dict[str, object]:
        data = super().to_dict()
        data.update(instance=self.instance_id, state_format=self.state_format)
        return data


class DecisionError(GovflowError):
    """A decision produced no result."""

    def __init__(self, message: str, decision_id: str | None = None) -> None:
        super().__init__(message)
        self.decision_id = decision_id

    def to_dict(self) -> dict[str, object]:
        data = super().to_dict()
        data["decision"] = self.decision_id
        return data
