"""events shifts registrations

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

JSON_T = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title_ar", sa.String(length=150), nullable=False),
        sa.Column("title_en", sa.String(length=150), nullable=True),
        sa.Column("description_ar", sa.Text(), nullable=False),
        sa.Column("description_en", sa.Text(), nullable=True),
        sa.Column("type", sa.String(length=16), nullable=False),
        sa.Column("place_name", sa.String(length=150), nullable=False),
        sa.Column("latitude", sa.Float(), nullable=True),
        sa.Column("longitude", sa.Float(), nullable=True),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["created_by"], ["users.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_events_starts_at"), ["starts_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_events_type"), ["type"], unique=False)

    op.create_table(
        "shifts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=False),
        sa.Column("gender", sa.String(length=1), nullable=True),
        sa.Column("skills", JSON_T, nullable=False),
        sa.Column("auto_confirm", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["event_id"], ["events.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("shifts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_shifts_event_id"), ["event_id"], unique=False)

    op.create_table(
        "shift_registrations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("shift_id", sa.Integer(), nullable=False),
        sa.Column("volunteer_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("seat", sa.Integer(), nullable=True),
        sa.Column("queued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("checked_in_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("checked_out_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("rating", sa.Integer(), nullable=True),
        sa.Column("thanked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("details", JSON_T, nullable=False),
        sa.ForeignKeyConstraint(["shift_id"], ["shifts.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["volunteer_id"], ["volunteers.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("shift_registrations", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_shift_registrations_shift_id"), ["shift_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_shift_registrations_volunteer_id"), ["volunteer_id"], unique=False
        )
        batch_op.create_index(
            "uq_registration_live",
            ["shift_id", "volunteer_id"],
            unique=True,
            sqlite_where=sa.text("status IN ('pending','confirmed','waitlisted')"),
            postgresql_where=sa.text("status IN ('pending','confirmed','waitlisted')"),
        )
        batch_op.create_index(
            "uq_registration_seat",
            ["shift_id", "seat"],
            unique=True,
            sqlite_where=sa.text("status = 'confirmed'"),
            postgresql_where=sa.text("status = 'confirmed'"),
        )


def downgrade() -> None:
    with op.batch_alter_table("shift_registrations", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_registration_seat",
            sqlite_where=sa.text("status = 'confirmed'"),
            postgresql_where=sa.text("status = 'confirmed'"),
        )
        batch_op.drop_index(
            "uq_registration_live",
            sqlite_where=sa.text("status IN ('pending','confirmed','waitlisted')"),
            postgresql_where=sa.text("status IN ('pending','confirmed','waitlisted')"),
        )
        batch_op.drop_index(batch_op.f("ix_shift_registrations_volunteer_id"))
        batch_op.drop_index(batch_op.f("ix_shift_registrations_shift_id"))

    op.drop_table("shift_registrations")
    with op.batch_alter_table("shifts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_shifts_event_id"))

    op.drop_table("shifts")
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_events_type"))
        batch_op.drop_index(batch_op.f("ix_events_starts_at"))

    op.drop_table("events")
