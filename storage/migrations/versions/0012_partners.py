"""partner organisations, representatives, initiatives and agreements

Revision ID: 0012_partners
Revises: 0011_certificates
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0012_partners"
down_revision = "0011_certificates"
branch_labels = None
depends_on = None

JSON_T = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def _review_columns() -> list[sa.Column[object]]:
    return [
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("info_request", sa.String(length=500), nullable=True),
        sa.Column("info_reply", sa.String(length=1000), nullable=True),
        sa.Column("reject_note", sa.String(length=500), nullable=True),
        sa.Column("reviewed_by", sa.Integer(), nullable=True),
        sa.Column("reviewed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "partners",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name_ar", sa.String(length=150), nullable=False),
        sa.Column("name_en", sa.String(length=150), nullable=True),
        sa.Column("type", sa.String(length=16), nullable=False),
        sa.Column("id_kind", sa.String(length=8), nullable=False),
        sa.Column("reg_number", sa.String(length=10), nullable=True),
        sa.Column("department", sa.String(length=150), nullable=True),
        sa.Column("contact_name", sa.String(length=100), nullable=False),
        sa.Column("contact_mobile", sa.String(length=16), nullable=False),
        sa.Column("areas", JSON_T, nullable=False),
        *_review_columns(),
        sa.ForeignKeyConstraint(["reviewed_by"], ["users.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_partners_type", "partners", ["type"])
    op.create_index("ix_partners_reg_number", "partners", ["reg_number"])
    op.create_index("ix_partners_status", "partners", ["status"])

    op.create_table(
        "partner_members",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("partner_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("decided_by", sa.Integer(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["partner_id"], ["partners.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["decided_by"], ["users.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("partner_id", "user_id", name="uq_partner_member"),
    )
    op.create_index("ix_partner_members_partner_id", "partner_members", ["partner_id"])
    op.create_index("ix_partner_members_user_id", "partner_members", ["user_id"])

    op.create_table(
        "initiatives",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("partner_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=150), nullable=False),
        sa.Column("category", sa.String(length=16), nullable=False),
        sa.Column("district", sa.String(length=48), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=False),
        sa.Column("volunteers_wanted", sa.Integer(), nullable=False),
        sa.Column("partner_provides", sa.Text(), nullable=False),
        sa.Column("proposed_by", sa.Integer(), nullable=True),
        *_review_columns(),
        sa.ForeignKeyConstraint(["partner_id"], ["partners.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["proposed_by"], ["users.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["reviewed_by"], ["users.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_initiatives_partner_id", "initiatives", ["partner_id"])
    op.create_index("ix_initiatives_status", "initiatives", ["status"])

    # batch mode: SQLite adds a foreign key by copying the table.
    with op.batch_alter_table("events") as batch:
        batch.add_column(sa.Column("initiative_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            "fk_events_initiative_id", "initiatives", ["initiative_id"], ["id"], ondelete="SET NULL"
        )
        batch.create_index("ix_events_initiative_id", ["initiative_id"])
    with op.batch_alter_table("sites") as batch:
        batch.add_column(sa.Column("event_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            "fk_sites_event_id", "events", ["event_id"], ["id"], ondelete="SET NULL"
        )
        batch.create_index("ix_sites_event_id", ["event_id"])

    op.create_table(
        "agreements",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("partner_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("target_volunteers", sa.Integer(), nullable=True),
        sa.Column("target_hours", sa.Float(), nullable=True),
        sa.Column("target_events", sa.Integer(), nullable=True),
        sa.Column("target_families", sa.Integer(), nullable=True),
        sa.Column("note", sa.String(length=1000), nullable=True),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["partner_id"], ["partners.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["created_by"], ["users.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_agreements_partner_id", "agreements", ["partner_id"])
    op.create_index("ix_agreements_end_date", "agreements", ["end_date"])


def downgrade() -> None:
    with op.batch_alter_table("sites") as batch:
        batch.drop_index("ix_sites_event_id")
        batch.drop_constraint("fk_sites_event_id", type_="foreignkey")
        batch.drop_column("event_id")
    with op.batch_alter_table("events") as batch:
        batch.drop_index("ix_events_initiative_id")
        batch.drop_constraint("fk_events_initiative_id", type_="foreignkey")
        batch.drop_column("initiative_id")
    op.drop_table("agreements")
    op.drop_table("initiatives")
    op.drop_table("partner_members")
    op.drop_table("partners")
