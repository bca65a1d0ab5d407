"""per-shift check-in codes for QR self check-in

Revision ID: 0016_checkin_codes
Revises: 0015_partners_unique_number
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016_checkin_codes"
down_revision = "0015_partners_unique_number"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "shift_checkin_codes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("shift_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("rotated_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["shift_id"], ["shifts.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["rotated_by"], ["users.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("shift_id"),
        sa.UniqueConstraint("code"),
    )


def downgrade() -> None:
    op.drop_table("shift_checkin_codes")
