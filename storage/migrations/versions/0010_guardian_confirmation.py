"""guardian confirmation: a minor's guardian confirms by code or by staff; adult family applicants

Revision ID: 0010_guardian_confirmation
Revises: 0009_volunteer_skills
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010_guardian_confirmation"
down_revision = "0009_volunteer_skills"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Minors registered before this stay unconfirmed (NULL): staff confirm them.
    with op.batch_alter_table("volunteers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("guardian_confirmed_at", sa.DateTime(timezone=True)))
        batch_op.add_column(sa.Column("guardian_confirmed_by", sa.String(length=8)))
    # Families registered before this have no adult confirmation: the next correction asks.
    with op.batch_alter_table("families", schema=None) as batch_op:
        batch_op.add_column(sa.Column("adult_confirmed_at", sa.DateTime(timezone=True)))
    op.create_table(
        "guardian_codes",
        sa.Column("volunteer_id", sa.Integer(), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("salt", sa.String(length=32), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("tries", sa.Integer(), nullable=False),
        sa.Column("sends", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["volunteer_id"], ["volunteers.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("volunteer_id"),
    )


def downgrade() -> None:
    op.drop_table("guardian_codes")
    with op.batch_alter_table("families", schema=None) as batch_op:
        batch_op.drop_column("adult_confirmed_at")
    with op.batch_alter_table("volunteers", schema=None) as batch_op:
        batch_op.drop_column("guardian_confirmed_by")
        batch_op.drop_column("guardian_confirmed_at")
