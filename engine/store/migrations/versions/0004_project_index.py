"""The project index: one row per instance with what the project lists show; tasks indexed by who completed them.

Existing instances are back-filled from the instance table and the task index (status, open step, its agency
and due date). Plan year, amount and the name of a timer a project waits at live in workflow state, which a
migration does not read: `govflow projects reindex` fills them in.

Revision ID: 0004_project_index
Revises: 0003_task_version
Create Date: 2026-12-02 12:50:00.000000
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = '0004_project_index'
down_revision = '0003_task_version'
branch_labels = None
depends_on = None

_INDEXES = {
    'ix_project_amount': ['amount_key', 'instance_id'],
    'ix_project_bundle_amount': ['bundle', 'amount_key', 'instance_id'],
    'ix_project_bundle_created': ['bundle', 'created_at', 'instance_id'],
    'ix_project_bundle_due': ['bundle', 'due_key', 'instance_id'],
    'ix_project_created': ['created_at', 'instance_id'],
    'ix_project_due': ['due_key', 'instance_id'],
    'ix_project_unit_amount': ['unit', 'amount_key', 'instance_id'],
    'ix_project_unit_created': ['unit', 'created_at', 'instance_id'],
    'ix_project_unit_due': ['unit', 'due_key', 'instance_id'],
}
_BATCH = 1000


def upgrade() -> None:
    """Apply this revision."""
    project = op.create_table('project',
    sa.Column('instance_id', sa.String(length=32), nullable=False),
    sa.Column('bundle', sa.String(length=64), nullable=False),
    sa.Column('process_id', sa.String(length=128), nullable=False),
    sa.Column('process_name', sa.String(length=256), nullable=False),
    sa.Column('business_key', sa.String(length=128), nullable=True),
    sa.Column('project_name', sa.String(length=256), nullable=True),
    sa.Column('unit', sa.String(length=128), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('stage_element', sa.String(length=128), nullable=True),
    sa.Column('stage', sa.String(length=256), nullable=True),
    sa.Column('next_task_id', sa.String(length=36), nullable=True),
    sa.Column('next_step', sa.String(length=256), nullable=True),
    sa.Column('next_agency', sa.String(length=128), nullable=True),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('due_key', sa.DateTime(timezone=True), nullable=False),
    sa.Column('plan_year', sa.Integer(), nullable=True),
    sa.Column('amount', sa.Numeric(precision=12, scale=2), nullable=True),
    sa.Column('amount_key', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['instance_id'], ['instance.id'], name='fk_project_instance_id'),
    sa.PrimaryKeyConstraint('instance_id')
    )
    _backfill(project)
    with op.batch_alter_table('project', schema=None) as batch_op:
        for name, columns in _INDEXES.items():
            batch_op.create_index(name, columns, unique=False)
    with op.batch_alter_table('task', schema=None) as batch_op:
        batch_op.create_index('ix_task_completed_by_status', ['completed_by', 'status'], unique=False)
        batch_op.create_index('ix_task_unit_group_status', ['unit', 'candidate_group', 'status'], unique=False)


def _backfill(project: sa.Table) -> None:
    # What the index tables already hold; the rest comes from `govflow projects reindex`.
    bind = op.get_bind()
    far = datetime(9999, 12, 31) if bind.dialect.name == 'sqlite' else datetime(9999, 12, 31, tzinfo=UTC)
    moment = sa.DateTime(timezone=True)  # typed, so SQLite's stored text comes back as datetimes
    instance = sa.table('instance', *(sa.column(c) for c in (
        'id', 'process_version_id', 'process_id', 'business_key', 'unit', 'project_name', 'status')),
        sa.column('created_at', moment), sa.column('updated_at', moment))
    version = sa.table('process_version', sa.column('id'), sa.column('bundle'), sa.column('name'))
    task = sa.table('task', *(sa.column(c) for c in ('id', 'instance_id', 'spec_id', 'name', 'lane', 'status')),
                    sa.column('due_at', moment), sa.column('created_at', moment))
    open_tasks: dict[str, list[Any]] = {}
    for row in bind.execute(sa.select(task.c.instance_id, task.c.id, task.c.spec_id, task.c.name, task.c.lane,
                                      task.c.due_at).where(task.c.status == 'ready')
                            .order_by(task.c.instance_id, task.c.created_at, task.c.id)):
        open_tasks.setdefault(row.instance_id, []).append(row)
    rows: list[dict[str, Any]] = []
    query = sa.select(instance, version.c.bundle, version.c.name.label('process_name')).join(
        version, version.c.id == instance.c.process_version_id).order_by(instance.c.id)
    for found in bind.execute(query):
        ready = open_tasks.get(found.id, [])
        first = min(ready, key=lambda t: (t.due_at is None, t.due_at or far, t.name, t.id)) if ready else None
        rows.append({
            'instance_id': found.id, 'bundle': found.bundle, 'process_id': found.process_id,
            'process_name': found.process_name, 'business_key': found.business_key,
            'project_name': found.project_name, 'unit': found.unit, 'status': found.status,
            'stage_element': first.spec_id if first else None, 'stage': first.name if first else None,
            'next_task_id': first.id if first else None, 'next_step': first.name if first else None,
            'next_agency': first.lane if first else None, 'due_at': first.due_at if first else None,
            'due_key': (first.due_at if first and first.due_at else far), 'plan_year': None, 'amount': None,
            'amount_key': Decimal('-1'), 'created_at': found.created_at, 'updated_at': found.updated_at})
        if len(rows) >= _BATCH:
            bind.execute(project.insert(), rows)
            rows = []
    if rows:
        bind.execute(project.insert(), rows)


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table('task', schema=None) as batch_op:
        batch_op.drop_index('ix_task_unit_group_status')
        batch_op.drop_index('ix_task_completed_by_status')
    with op.batch_alter_table('project', schema=None) as batch_op:
        for name in _INDEXES:
            batch_op.drop_index(name)
    op.drop_table('project')
