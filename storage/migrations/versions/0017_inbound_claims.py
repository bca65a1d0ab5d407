"""claims on stored webhook bodies: the worker holding one, its lease, the sender's lane

Revision ID: 0017_inbound_claims
Revises: 0016_checkin_codes
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017_inbound_claims"
down_revision = "0016_checkin_codes"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # NULL for bodies stored before: unclaimed, and in no lane (never made to wait).
    with op.batch_alter_table("inbound_work") as batch:
        batch.add_column(sa.Column("claimed_by", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("lane", sa.String(length=32), nullable=True))
        batch.create_index("ix_inbound_work_lane", ["channel", "lane", "id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("inbound_work") as batch:
        batch.drop_index("ix_inbound_work_lane")
        batch.drop_column("lane")
        batch.drop_column("lease_until")
        batch.drop_column("claimed_by")
