"""The regulation a process implements, and the days on which a project may be started under it.

A process declares its regulation in its own extension properties (see engine.conventions):
its title, its status and the first and last day it applies. A project is started under the
regulation in force on the day of the start, in the jurisdiction's timezone. The last day is
inclusive; a period the regulation states in years ("试行期两年") is written out as a date by the
one roll-over rule of README, "Dates and periods".
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from engine.conventions import REGULATION, REGULATION_FROM, REGULATION_STATUS, REGULATION_UNTIL

__all__ = ["STATUS_NAMES", "Regulation", "RegulationDeclarationError"]

STATUS_NAMES = {
    "in_force": "现行有效",
    "trial": "试行",
    "draft": "草案（未正式施行）",
    "expired": "已失效",
}
"""The statuses a regulation may have, with the words the Chinese interface shows for them."""


class RegulationDeclarationError(ValueError):
    """A process declares its regulation with a missing or malformed property; the message names it."""


@dataclass(frozen=True)
class Regulation:
    """The regulation a process implements: title, status and the days it applies (both inclusive)."""

    title: str
    status: str
    effective_from: date | None
    effective_until: date | None

    @classmethod
    def from_properties(cls, properties: Mapping[str, str]) -> Regulation | None:
        """Return the regulation a process declares, None when it declares none.

        Raises RegulationDeclarationError naming the property that is missing or wrong.
        """
        if not any(name in properties for name in (REGULATION, REGULATION_STATUS, REGULATION_FROM, REGULATION_UNTIL)):
            return None
        title = properties.get(REGULATION, "").strip()
        if not title:
            raise RegulationDeclarationError(f"property {REGULATION!r} must name the regulation")
        status = properties.get(REGULATION_STATUS, "").strip()
        if status not in STATUS_NAMES:
            raise RegulationDeclarationError(
                f"property {REGULATION_STATUS!r} is {status!r}; expected one of {', '.join(STATUS_NAMES)}")
        first, last = _date(properties, REGULATION_FROM), _date(properties, REGULATION_UNTIL)
        if first is not None and last is not None and last < first:
            raise RegulationDeclarationError(f"property {REGULATION_UNTIL!r} ({last}) is before "
                                             f"{REGULATION_FROM!r} ({first})")
        if status != "draft" and first is None:
            raise RegulationDeclarationError(f"a regulation that is {status} needs {REGULATION_FROM!r}")
        if status == "expired" and last is None:
            raise RegulationDeclarationError(f"an expired regulation needs {REGULATION_UNTIL!r}")
        return cls(title, status, first, last)

    def applies_on(self, day: date) -> bool:
        """Tell whether a project may be started under this regulation on `day`."""
        return not ((self.effective_from is not None and day < self.effective_from)
                    or (self.effective_until is not None and day > self.effective_until))

    def refusal(self, day: date) -> str | None:
        """Return why no project may be started under this regulation on `day` (Chinese), or None."""
        first, last = self.effective_from, self.effective_until
        if first is not None and day < first:
            return f"{self.title}自 {first.isoformat()} 起施行，{day.isoformat()} 尚未施行，不能按其新建项目"
        if last is not None and day > last:
            return f"{self.title}已于 {last.isoformat()} 届满失效，{day.isoformat()} 不能再按其新建项目"
        return None

    def describe(self) -> str:
        """Return the regulation, its status and its dates in one Chinese line."""
        parts = [self.title, STATUS_NAMES[self.status]]
        if self.effective_from is not None:
            parts.append(f"自 {self.effective_from.isoformat()} 起施行")
        if self.effective_until is not None:
            parts.append(f"至 {self.effective_until.isoformat()} 止")
        return "，".join(parts)


def _date(properties: Mapping[str, str], name: str) -> date | None:
    text = properties.get(name, "").strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise RegulationDeclarationError(f"property {name!r} is {text!r}, not a date (YYYY-MM-DD)") from None
