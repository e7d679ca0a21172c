"""Group leaders, delegations (委托), and whom an audited action was done on behalf of.

Revision ID: 0006_delegation
Revises: 0003_task_version
Create Date: 2026-12-02 13:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0006_delegation'
down_revision = '0005_notifications'
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table('app_user', schema=None) as batch_op:
        # Existing users lead no group until one is named leader.
        batch_op.add_column(sa.Column('leads', sa.JSON(), nullable=False, server_default='[]'))
    with op.batch_alter_table('app_user', schema=None) as batch_op:
        batch_op.alter_column('leads', server_default=None)
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.add_column(sa.Column('on_behalf_of', sa.String(length=64), nullable=True))
    op.create_table(
        'delegation',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('delegator', sa.String(length=64), nullable=False),
        sa.Column('delegate', sa.String(length=64), nullable=False),
        sa.Column('starts_on', sa.Date(), nullable=False),
        sa.Column('ends_on', sa.Date(), nullable=False),
        sa.Column('bundle', sa.String(length=64), nullable=True),
        sa.Column('process_id', sa.String(length=128), nullable=True),
        sa.Column('note', sa.Text(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('ended_by', sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_delegation_delegator', 'delegation', ['delegator'], unique=False)
    op.create_index('ix_delegation_delegate_period', 'delegation', ['delegate', 'starts_on', 'ends_on'], unique=False)


def downgrade() -> None:
    """Revert this revision."""
    op.drop_index('ix_delegation_delegate_period', table_name='delegation')
    op.drop_index('ix_delegation_delegator', table_name='delegation')
    op.drop_table('delegation')
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.drop_column('on_behalf_of')
    with op.batch_alter_table('app_user', schema=None) as batch_op:
        batch_op.drop_column('leads')
