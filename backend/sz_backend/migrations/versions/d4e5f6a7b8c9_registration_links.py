"""registration links: the one-time page where a chat registration sets its password

Revision ID: d4e5f6a7b8c9
Revises: 645af3d81f09
Create Date: 2026-12-06 18:30:00

"""

from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "d4e5f6a7b8c9"
down_revision: Union[str, Sequence[str], None] = "645af3d81f09"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        "registration_links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("bank_name", sa.String(length=32), nullable=False),
        sa.Column("account_no", sa.String(length=32), nullable=False),
        sa.Column("phone", sa.String(length=20), nullable=False),
        sa.Column("used", sa.Boolean(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["people.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("registration_links", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_registration_links_token_hash"), ["token_hash"], unique=True)


def downgrade() -> None:
    with op.batch_alter_table("registration_links", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_registration_links_token_hash"))
    op.drop_table("registration_links")
