"""Names for the codes pages would otherwise show: people, units, groups, jurisdictions, elements and values.

Names come from the deployed bundles (`engine.spiff.labels`) and from the users table; a code
nobody named stays a code, and the deployment checks keep that from happening to decision values.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.conventions import GROUP_SEPARATOR, group_jurisdiction
from engine.errors import NotFound
from engine.spiff.labels import Labels
from engine.spiff.runtime import Engine
from engine.store.models import Deployment, ProcessVersion, UserRow
from engine.usecases.deployments import get_version

__all__ = ["Names", "bundle_labels", "names_for", "version_names"]


@dataclass(frozen=True)
class Names:
    """The names one page needs; `labels` are those of the version the page is about (if any)."""

    labels: Labels = field(default_factory=Labels)
    people: dict[str, str] = field(default_factory=dict)
    units: dict[str, str] = field(default_factory=dict)
    groups: dict[str, str] = field(default_factory=dict)
    jurisdictions: dict[str, str] = field(default_factory=dict)
    processes: dict[str, str] = field(default_factory=dict)  # process id -> name of its current version

    def person(self, username: str | None) -> str:
        """Return a person's display name (the username of someone unknown)."""
        return self.people.get(username or "", username or "")

    def unit(self, unit: str | None) -> str:
        """Return an applicant unit's name."""
        return self.units.get(unit or "", unit or "")

    def group(self, group: str | None) -> str:
        """Return the agency (lane) name of a candidate group."""
        return self.groups.get(group or "") or self.labels.groups.get(group or "", group or "")

    def jurisdiction(self, bundle: str | None) -> str:
        """Return a jurisdiction's name."""
        return self.jurisdictions.get(bundle or "", bundle or "")

    def process(self, process_id: str | None) -> str:
        """Return a process's name."""
        return self.processes.get(process_id or "", process_id or "")

    def element(self, element_id: str | None) -> str:
        """Return an element's name on the page's version (its id when unnamed)."""
        return self.labels.element(element_id) or element_id or ""


def bundle_labels(engine: Engine, session: Session, bundle: str) -> Labels | None:
    """Return the names of a bundle's newest deployment that carries a process (None: never deployed)."""
    version = session.scalar(select(ProcessVersion).join(Deployment, ProcessVersion.deployment_id == Deployment.id)
                             .where(Deployment.bundle == bundle).order_by(Deployment.id.desc()).limit(1))
    return engine.labels(version) if version is not None else None


def names_for(engine: Engine, session: Session, *, process_id: str | None = None, version: int | None = None,
              people: Iterable[str | None] = (), units: Iterable[str | None] = (),
              bundles: Iterable[str | None] = (), groups: Iterable[str | None] = (),
              processes: Iterable[str | None] = ()) -> Names:
    """Collect the names of the given people, units, jurisdictions, groups and processes (and of a version's codes)."""
    row = get_version(session, process_id, version) if process_id is not None else None
    found = version_names(engine, session, row, people=people, units=units, bundles=bundles, groups=groups)
    wanted = sorted({p for p in processes if p})
    if not wanted:
        return found
    named = {}
    for pid in wanted:
        try:
            named[pid] = get_version(session, pid).name
        except NotFound:
            continue
    return replace(found, processes=named)


def version_names(engine: Engine, session: Session, version: ProcessVersion | None, *,
                  people: Iterable[str | None] = (), units: Iterable[str | None] = (),
                  bundles: Iterable[str | None] = (), groups: Iterable[str | None] = ()) -> Names:
    """Collect names as `names_for` does, for a version row a use case holds."""
    labels = engine.labels(version) if version is not None else Labels()
    wanted_people = sorted({p for p in people if p})
    found_people = dict(session.execute(select(UserRow.username, UserRow.display_name)
                                        .where(UserRow.username.in_(wanted_people))).all()) if wanted_people else {}
    unit_list = [u for u in units if u]
    group_list = [g for g in groups if g]
    jurisdictions = {b for b in bundles if b}
    jurisdictions |= {group_jurisdiction(u) for u in unit_list + group_list if GROUP_SEPARATOR in u}
    if version is not None:
        jurisdictions.add(version.bundle)
    by_bundle = {bundle: bundle_labels(engine, session, bundle) for bundle in sorted(jurisdictions)}
    unit_names = {unit: name for unit in unit_list
                  if (found := by_bundle.get(group_jurisdiction(unit))) and (name := found.units.get(unit))}
    group_names = {group: name for group in group_list
                   if (found := by_bundle.get(group_jurisdiction(group))) and (name := found.groups.get(group))}
    return Names(labels, {u: n for u, n in found_people.items() if n}, unit_names, group_names,
                 {b: found.jurisdiction for b, found in by_bundle.items() if found and found.jurisdiction})
