"""Sign-in failures and server-side sign-in sessions.

Revision ID: 0002_sign_in
Revises: 0001_baseline
Create Date: 2026-12-02 00:25:30.264702
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0002_sign_in'
down_revision = '0001_baseline'
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table('sign_in_failure',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('subject', sa.String(length=200), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('sign_in_failure', schema=None) as batch_op:
        batch_op.create_index('ix_sign_in_failure_subject_at', ['subject', 'at'], unique=False)

    op.create_table('sign_in_session',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('username', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('credential_stamp', sa.String(length=16), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('sign_in_session', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sign_in_session_username'), ['username'], unique=False)


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table('sign_in_session', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sign_in_session_username'))

    op.drop_table('sign_in_session')
    with op.batch_alter_table('sign_in_failure', schema=None) as batch_op:
        batch_op.drop_index('ix_sign_in_failure_subject_at')

    op.drop_table('sign_in_failure')
