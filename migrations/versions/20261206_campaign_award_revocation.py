"""campaign awards: certificates are revoked with a reason, never deleted

Revision ID: 5b1e3c9d7a20
Revises: 5e1c7a9d3b20
Create Date: 2026-12-06 06:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = "5b1e3c9d7a20"
down_revision = '5e1c7a9d3b20'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("campaign_awards", schema=None) as batch_op:
        batch_op.add_column(sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("revoked_reason", sa.String(length=500), nullable=True))
        batch_op.add_column(sa.Column("revoked_by_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f("fk_campaign_awards_revoked_by_id_users"), "users",
                                    ["revoked_by_id"], ["id"])


def downgrade():
    with op.batch_alter_table("campaign_awards", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_campaign_awards_revoked_by_id_users"), type_="foreignkey")
        batch_op.drop_column("revoked_by_id")
        batch_op.drop_column("revoked_reason")
        batch_op.drop_column("revoked_at")
