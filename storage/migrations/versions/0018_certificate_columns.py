"""certificates: drop locale and all_hours (written when issued, never read)

The paper's language matters only while the PDF is drawn, at issue time; verifying, listing
and revoking never need it. Whether "all my hours" was asked is already in the stored period
(the first and last day attended). Downgrade brings the columns back with the values they
always had for new rows ("ar"; false).

Revision ID: 0018_certificate_columns
Revises: 0014_access_features
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0018_certificate_columns"
down_revision = "0017_inbound_claims"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("certificates") as batch:
        batch.drop_column("locale")
        batch.drop_column("all_hours")


def downgrade() -> None:
    with op.batch_alter_table("certificates") as batch:
        batch.add_column(
            sa.Column("all_hours", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch.add_column(
            sa.Column("locale", sa.String(length=8), nullable=False, server_default="ar")
        )
