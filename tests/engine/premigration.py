"""A database as Govflow made it before schema migrations existed, kept as rows in a JSON file.

`tests/data/schema/pre-migration.json` holds every row of such a database: the golden stages of all five
jurisdictions restored as running instances, with their versions, tasks and audit trail. `build` recreates it
on any database (SQLite or PostgreSQL) with the baseline schema and no migration stamp, as `init-db` left
it then. Written once, when migrations were introduced (the schema it records never changes):

    python -m tests.engine.premigration
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import DateTime, MetaData, inspect, select, text
from sqlalchemy import Engine as SqlEngine

from engine import FakeClock
from engine.store.models import Base
from engine.store.schema import BASELINE, run_migration
from engine.tools.testing import ProcessHarness

__all__ = ["DUMP", "build", "write"]

DUMP = Path(__file__).resolve().parents[1] / "data" / "schema" / "pre-migration.json"


def build(db: SqlEngine) -> dict[str, int]:
    """Create the baseline schema without a stamp on an empty database, fill it from the dump; count rows."""
    run_migration(db, "upgrade", BASELINE)
    with db.begin() as connection:
        connection.execute(text("DROP TABLE alembic_version"))
    dump = json.loads(DUMP.read_text(encoding="utf-8"))
    tables = MetaData()
    tables.reflect(db)
    with db.begin() as connection:
        for name in [t.name for t in Base.metadata.sorted_tables if t.name in dump]:
            table = tables.tables[name]
            dates = {c.name for c in table.columns if isinstance(c.type, DateTime)}
            rows = [{key: datetime.fromisoformat(value) if key in dates and value else value
                     for key, value in row.items()} for row in dump[name]]
            if rows:
                connection.execute(table.insert(), rows)
    return {name: len(rows) for name, rows in dump.items()}


def write() -> None:
    """Restore every golden stage into a database made by create_all (the baseline) and dump its rows."""
    from tests.jurisdictions.golden import restore, stage_files

    harness = ProcessHarness([], clock=FakeClock(), database_url="sqlite://", reset=False)
    try:
        for path in stage_files():
            restore(harness, path)
        dump: dict[str, list[dict[str, Any]]] = {}
        with harness.db.connect() as connection:
            for table in Base.metadata.sorted_tables:
                if table.name in inspect(harness.db).get_table_names():
                    dump[table.name] = [{k: v.isoformat() if isinstance(v, datetime) else v
                                         for k, v in row._mapping.items()}
                                        for row in connection.execute(select(table))]
        DUMP.parent.mkdir(parents=True, exist_ok=True)
        DUMP.write_text(json.dumps(dump, ensure_ascii=False, indent=0) + "\n", encoding="utf-8")
    finally:
        harness.close()


if __name__ == "__main__":
    write()
