"""accessibility features of events, shifts and sites; reserved stalls; access needs

Revision ID: 0014_access_features
Revises: 0013_partners_member_name
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0014_access_features"
down_revision = "0013_partners_member_name"
branch_labels = None
depends_on = None

JSON_T = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    # NULL everywhere before: nothing was stated, nothing reserved, nothing consented to.
    with op.batch_alter_table("events") as batch:
        batch.add_column(sa.Column("access", JSON_T, nullable=True))
    with op.batch_alter_table("shifts") as batch:
        batch.add_column(sa.Column("access", JSON_T, nullable=True))
    with op.batch_alter_table("sites") as batch:
        batch.add_column(sa.Column("access", JSON_T, nullable=True))
        batch.add_column(sa.Column("reserved_stalls", sa.Integer(), nullable=True))
    with op.batch_alter_table("stall_requests") as batch:
        batch.add_column(sa.Column("disability_consent_at", sa.DateTime(timezone=True)))
        batch.add_column(sa.Column("disability_proof", sa.String(length=40), nullable=True))
        batch.add_column(sa.Column("disability_verified_at", sa.DateTime(timezone=True)))
    with op.batch_alter_table("volunteers") as batch:
        batch.add_column(sa.Column("access_needs", sa.String(length=300), nullable=True))
        batch.add_column(sa.Column("access_consent_at", sa.DateTime(timezone=True)))
        batch.add_column(sa.Column("access_consent_version", sa.String(length=16)))


def downgrade() -> None:
    with op.batch_alter_table("volunteers") as batch:
        batch.drop_column("access_consent_version")
        batch.drop_column("access_consent_at")
        batch.drop_column("access_needs")
    with op.batch_alter_table("stall_requests") as batch:
        batch.drop_column("disability_verified_at")
        batch.drop_column("disability_proof")
        batch.drop_column("disability_consent_at")
    with op.batch_alter_table("sites") as batch:
        batch.drop_column("reserved_stalls")
        batch.drop_column("access")
    with op.batch_alter_table("shifts") as batch:
        batch.drop_column("access")
    with op.batch_alter_table("events") as batch:
        batch.drop_column("access")
