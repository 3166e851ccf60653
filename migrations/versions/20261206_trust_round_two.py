"""trust round two: one tagged arrival per (contest, tag, user, kind); the role a job was requested with

Revision ID: e20a7c3d5b10
Revises: c4a7e1f0b2d9
Create Date: 2026-12-06 05:30:00
"""
from alembic import op
import sqlalchemy as sa


revision = "e20a7c3d5b10"
down_revision = "c4a7e1f0b2d9"
branch_labels = None
depends_on = None


def upgrade():
    # Every attempt start recorded an arrival again (issue 20 item 10): keep the first of each.
    op.execute(sa.text(
        "DELETE FROM campaign_arrivals WHERE user_id IS NOT NULL AND id NOT IN ("
        " SELECT keep FROM (SELECT MIN(id) AS keep FROM campaign_arrivals WHERE user_id IS NOT NULL"
        " GROUP BY contest_id, tag, user_id, kind) AS firsts)"))
    with op.batch_alter_table("campaign_arrivals", schema=None) as batch_op:
        batch_op.create_index("uq_campaign_arrivals_once", ["contest_id", "tag", "user_id", "kind"], unique=True)
    # A job's file is downloadable only while its requester still holds this role (item 13).
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("requester_role", sa.String(length=24), nullable=True))


def downgrade():
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.drop_column("requester_role")
    with op.batch_alter_table("campaign_arrivals", schema=None) as batch_op:
        batch_op.drop_index("uq_campaign_arrivals_once")
