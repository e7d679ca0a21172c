"""Which databases a benchmark measures: a fresh SQLite file, and PostgreSQL when GOVFLOW_BENCH_POSTGRES_URL is set."""

from __future__ import annotations

import os

__all__ = ["database_targets"]


def database_targets(databases: str, scratch_dir: str, filename: str) -> list[tuple[str, str]]:
    """Return (name, URL) for each of the comma-separated `databases` that can be measured here."""
    wanted = set(databases.split(","))
    targets = []
    if "sqlite" in wanted:
        targets.append(("sqlite", f"sqlite:///{scratch_dir}/{filename}"))
    if "postgresql" in wanted and os.environ.get("GOVFLOW_BENCH_POSTGRES_URL"):
        targets.append(("postgresql", os.environ["GOVFLOW_BENCH_POSTGRES_URL"]))
    return targets
