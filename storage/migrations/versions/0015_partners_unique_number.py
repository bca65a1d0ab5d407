"""one standing partner registration per registration number

Revision ID: 0015_partners_unique_number
Revises: 0014_access_features
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015_partners_unique_number"
down_revision = "0014_access_features"
branch_labels = None
depends_on = None

# The same text as storage.models_partners.HOLDS_NUMBER_SQL (a migration does not import the
# models: they change after it).
HOLDS_NUMBER_SQL = "reg_number IS NOT NULL AND status NOT IN ('rejected','withdrawn')"


def upgrade() -> None:
    # The service refused a second registration of a number before; only a race could have
    # let two through. Say which numbers, rather than fail on the index with a bare error:
    # staff decide which registration stands (reject the other), then upgrade again.
    clash = (
        op.get_bind()
        .execute(
            sa.text(
                f"SELECT reg_number FROM partners WHERE {HOLDS_NUMBER_SQL} "
                "GROUP BY reg_number HAVING COUNT(*) > 1"
            )
        )
        .scalars()
        .all()
    )
    if clash:
        raise RuntimeError(
            f"{len(clash)} registration number(s) are held by more than one standing partner "
            "registration; reject the extra ones (see the partners page) and upgrade again"
        )
    with op.batch_alter_table("partners") as batch:
        batch.create_index(
            "uq_partners_reg_number",
            ["reg_number"],
            unique=True,
            sqlite_where=sa.text(HOLDS_NUMBER_SQL),
            postgresql_where=sa.text(HOLDS_NUMBER_SQL),
        )


def downgrade() -> None:
    with op.batch_alter_table("partners") as batch:
        batch.drop_index("uq_partners_reg_number")
