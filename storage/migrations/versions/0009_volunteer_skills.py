"""volunteer skills: free text as typed, and its folded search key

Revision ID: 0009_volunteer_skills
Revises: 0008_names_per_language
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009_volunteer_skills"
down_revision = "0008_names_per_language"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # NULL for everyone registered before: they told no skills.
    with op.batch_alter_table("volunteers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("skills", sa.String(length=300), nullable=True))
        batch_op.add_column(sa.Column("skills_key", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("volunteers", schema=None) as batch_op:
        batch_op.drop_column("skills_key")
        batch_op.drop_column("skills")
