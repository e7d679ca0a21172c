"""Tables, database sessions and the unit of work, the audit trail."""

# Every table module joins Base.metadata on import; importing them here means whoever reads the metadata
# (create_all, the migrations, the schema check, the test reset) sees every table.
from engine.store import messaging as _messaging  # noqa: F401
