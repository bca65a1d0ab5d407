"""a partner representative's own name (people have none elsewhere unless they volunteer)

Revision ID: 0013_partners_member_name
Revises: 0012_partners
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013_partners_member_name"
down_revision = "0012_partners"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("partner_members", sa.Column("name", sa.String(length=100), nullable=True))


def downgrade() -> None:
    op.drop_column("partner_members", "name")
