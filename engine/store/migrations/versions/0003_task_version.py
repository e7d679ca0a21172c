"""Task rows remember the version whose forms they were worked with.

Revision ID: 0003_task_version
Revises: 0002_sign_in
Create Date: 2026-12-02 01:35:45.677571
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0003_task_version'
down_revision = '0002_sign_in'
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table('task', schema=None) as batch_op:
        batch_op.add_column(sa.Column('process_version_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key('fk_task_process_version_id', 'process_version', ['process_version_id'], ['id'])
    # Rows indexed before stay empty: their instance's version stands in for them.


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table('task', schema=None) as batch_op:
        batch_op.drop_constraint('fk_task_process_version_id', type_='foreignkey')
        batch_op.drop_column('process_version_id')

