"""listing events say whether they were made as the port's staff

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07 23:40:00.000000
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0006'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('listing_event', schema=None) as batch_op:
        batch_op.add_column(sa.Column('by_staff', sa.Boolean(), nullable=False, server_default=sa.false()))
    # the steps recorded before: made as staff when their maker is a reviewer or administrator now (the
    # roles they had then were not recorded; an administrator's steps for their own organization too)
    op.execute(
        "UPDATE listing_event SET by_staff = TRUE WHERE actor_user_id IN "
        '(SELECT id FROM "user" WHERE is_reviewer OR is_admin)'
    )


def downgrade() -> None:
    with op.batch_alter_table('listing_event', schema=None) as batch_op:
        batch_op.drop_column('by_staff')
