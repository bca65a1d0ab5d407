"""families sites stall requests

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

JSON_T = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "families",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("family_name", sa.String(length=100), nullable=False),
        sa.Column("applicant_name", sa.String(length=100), nullable=False),
        sa.Column("applicant_gender", sa.String(length=1), nullable=False),
        sa.Column("national_id", sa.String(length=10), nullable=False),
        sa.Column("mobile", sa.String(length=16), nullable=False),
        sa.Column("district", sa.String(length=48), nullable=False),
        sa.Column("categories", JSON_T, nullable=False),
        sa.Column("other_category", sa.String(length=100), nullable=True),
        sa.Column("freelance_doc_number", sa.String(length=32), nullable=False),
        sa.Column("freelance_doc_expiry", sa.Date(), nullable=False),
        sa.Column("health_cert_number", sa.String(length=32), nullable=True),
        sa.Column("health_cert_expiry", sa.Date(), nullable=True),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("photos", JSON_T, nullable=False),
        sa.Column("needs", JSON_T, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("national_id"),
        sa.UniqueConstraint("user_id"),
    )
    op.create_table(
        "sites",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name_ar", sa.String(length=120), nullable=False),
        sa.Column("name_en", sa.String(length=120), nullable=True),
        sa.Column("district", sa.String(length=48), nullable=False),
        sa.Column("latitude", sa.Float(), nullable=True),
        sa.Column("longitude", sa.Float(), nullable=True),
        sa.Column("food_stalls", sa.Integer(), nullable=False),
        sa.Column("nonfood_stalls", sa.Integer(), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=False),
        sa.Column("deadline", sa.DateTime(timezone=True), nullable=False),
        sa.Column("fee", sa.String(length=12), nullable=False),
        sa.Column("fee_note", sa.String(length=200), nullable=True),
        sa.Column("saudi_only", sa.Boolean(), nullable=False),
        sa.Column("women_only", sa.Boolean(), nullable=False),
        sa.Column("is_open", sa.Boolean(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["created_by"], ["users.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "stall_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("family_id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("stall_type", sa.String(length=8), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("stall_number", sa.Integer(), nullable=True),
        sa.Column("offer_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reject_reason", sa.String(length=32), nullable=True),
        sa.Column("reject_note", sa.String(length=500), nullable=True),
        sa.Column("info_request", sa.String(length=500), nullable=True),
        sa.Column("info_reply", sa.String(length=1000), nullable=True),
        sa.Column("waitlisted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["family_id"], ["families.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["site_id"], ["sites.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("stall_requests", schema=None) as batch_op:
        batch_op.create_index("ix_stall_requests_queue", ["status", "created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_stall_requests_site_id"), ["site_id"], unique=False)
        batch_op.create_index(
            "uq_stall_allocated",
            ["site_id", "stall_type", "stall_number"],
            unique=True,
            sqlite_where=sa.text("status IN ('approved','confirmed')"),
            postgresql_where=sa.text("status IN ('approved','confirmed')"),
        )
        batch_op.create_index(
            "uq_stall_request_active",
            ["family_id", "site_id"],
            unique=True,
            sqlite_where=sa.text(
                "status IN ('submitted','under_review','needs_info',"
                "'waitlisted','approved','confirmed')"
            ),
            postgresql_where=sa.text(
                "status IN ('submitted','under_review','needs_info',"
                "'waitlisted','approved','confirmed')"
            ),
        )

    op.create_table(
        "stall_request_history",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("from_status", sa.String(length=16), nullable=True),
        sa.Column("to_status", sa.String(length=16), nullable=False),
        sa.Column("actor", sa.String(length=80), nullable=False),
        sa.Column("note", sa.String(length=500), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["request_id"], ["stall_requests.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("stall_request_history", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_stall_request_history_request_id"), ["request_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("stall_request_history", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_stall_request_history_request_id"))

    op.drop_table("stall_request_history")
    with op.batch_alter_table("stall_requests", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_stall_request_active",
            sqlite_where=sa.text(
                "status IN ('submitted','under_review','needs_info',"
                "'waitlisted','approved','confirmed')"
            ),
            postgresql_where=sa.text(
                "status IN ('submitted','under_review','needs_info',"
                "'waitlisted','approved','confirmed')"
            ),
        )
        batch_op.drop_index(
            "uq_stall_allocated",
            sqlite_where=sa.text("status IN ('approved','confirmed')"),
            postgresql_where=sa.text("status IN ('approved','confirmed')"),
        )
        batch_op.drop_index(batch_op.f("ix_stall_requests_site_id"))
        batch_op.drop_index("ix_stall_requests_queue")

    op.drop_table("stall_requests")
    op.drop_table("sites")
    op.drop_table("families")
