"""names per language: an event's place in English; a site's set-up time

Revision ID: 0008_names_per_language
Revises: 0007_staff_notice_prefs
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008_names_per_language"
down_revision = "0007_staff_notice_prefs"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Titles and site names already have an English column; the place of an event did not.
    # NULL means "no English name": readers in English see the Arabic one.
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("place_name_en", sa.String(length=150), nullable=True))
    # When families may set up their stalls (free text staff write, shown in the offer).
    with op.batch_alter_table("sites", schema=None) as batch_op:
        batch_op.add_column(sa.Column("setup_note", sa.String(length=200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("sites", schema=None) as batch_op:
        batch_op.drop_column("setup_note")
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_column("place_name_en")
