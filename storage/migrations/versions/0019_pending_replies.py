"""conversations: pending_replies (the latest update's replies until they have gone out)

A worker killed after its transaction committed but before the replies were sent left the
update answered by nobody: the platform re-delivers it, and deduplication drops it. The
replies are now saved with the state, and a re-delivery sends them (bot/core/replay.py).

Revision ID: 0019_pending_replies
Revises: 0018_certificate_columns
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0019_pending_replies"
down_revision = "0018_certificate_columns"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("conversations") as batch:
        batch.add_column(
            sa.Column(
                "pending_replies", sa.JSON().with_variant(JSONB(), "postgresql"), nullable=True
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("conversations") as batch:
        batch.drop_column("pending_replies")
