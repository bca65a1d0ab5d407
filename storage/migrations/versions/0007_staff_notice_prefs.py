"""staff notice preference

Revision ID: 0007_staff_notice_prefs
Revises: 0006_web_links
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007_staff_notice_prefs"
down_revision = "0006_web_links"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Nullable, no server default: NULL means the default ("each notice as it happens").
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("staff_notices", sa.String(length=8), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("staff_notices")
