"""record count as bigint

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-24 10:00:00.000000
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0005'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A dataset's record count may be as large as 2**63 - 1 (the input allows it). SQLite's INTEGER
    # holds 64 bits already (and a batch alter would rebuild the table); PostgreSQL's integer holds 32.
    if op.get_bind().dialect.name == "postgresql":
        op.alter_column('dataset', 'record_count', existing_type=sa.Integer(), type_=sa.BigInteger(), existing_nullable=True)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.alter_column('dataset', 'record_count', existing_type=sa.BigInteger(), type_=sa.Integer(), existing_nullable=True)
