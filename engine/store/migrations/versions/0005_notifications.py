"""Notifications: users' e-mail addresses, in-app notices, preferences, the e-mail outbox and due reminders.

Revision ID: 0005_notifications
Revises: 0003_task_version
Create Date: 2026-12-02 12:55:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0005_notifications'
down_revision = '0004_project_index'
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table('app_user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('email', sa.String(length=254), nullable=True))
    op.create_table(
        'notification',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('username', sa.String(length=64), nullable=False),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('task_id', sa.String(length=36), nullable=False),
        sa.Column('instance_id', sa.String(length=32), nullable=False),
        sa.Column('project', sa.String(length=256), nullable=False),
        sa.Column('step', sa.String(length=256), nullable=False),
        sa.Column('agency', sa.String(length=256), nullable=True),
        sa.Column('due_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('in_app', sa.Boolean(), nullable=False),
        sa.Column('read_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('digest_pending', sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('username', 'task_id', 'kind', name='uq_notification_user_task_kind'),
    )
    op.create_index('ix_notification_user_read', 'notification', ['username', 'read_at'], unique=False)
    op.create_index('ix_notification_digest_pending', 'notification', ['digest_pending'], unique=False)
    op.create_table(
        'notification_preference',
        sa.Column('username', sa.String(length=64), nullable=False),
        sa.Column('in_app', sa.JSON(), nullable=False),
        sa.Column('email', sa.JSON(), nullable=False),
        sa.Column('digest', sa.Boolean(), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('username'),
    )
    op.create_table(
        'mail_message',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('dedupe_key', sa.String(length=160), nullable=False),
        sa.Column('username', sa.String(length=64), nullable=False),
        sa.Column('address', sa.String(length=254), nullable=False),
        sa.Column('subject', sa.String(length=300), nullable=False),
        sa.Column('body', sa.Text(), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('claimed_by', sa.String(length=64), nullable=True),
        sa.Column('lease_until', sa.DateTime(timezone=True), nullable=True),
        sa.Column('last_error', sa.Text(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('dedupe_key'),
    )
    op.create_index('ix_mail_message_status_next', 'mail_message', ['status', 'next_attempt_at'], unique=False)
    op.create_index('ix_mail_message_username', 'mail_message', ['username'], unique=False)
    op.create_table(
        'task_reminder',
        sa.Column('task_id', sa.String(length=36), nullable=False),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('task_id', 'kind'),
    )


def downgrade() -> None:
    """Revert this revision."""
    op.drop_table('task_reminder')
    op.drop_index('ix_mail_message_username', table_name='mail_message')
    op.drop_index('ix_mail_message_status_next', table_name='mail_message')
    op.drop_table('mail_message')
    op.drop_table('notification_preference')
    op.drop_index('ix_notification_digest_pending', table_name='notification')
    op.drop_index('ix_notification_user_read', table_name='notification')
    op.drop_table('notification')
    with op.batch_alter_table('app_user', schema=None) as batch_op:
        batch_op.drop_column('email')
