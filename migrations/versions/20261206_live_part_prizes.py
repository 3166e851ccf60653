"""live part prizes: a part may carry a prize of its own ("Tiểu phẩm hay nhất") for its best team

Revision ID: 3d9a6f1c2b47
Revises: 7c3e1a9b5d24
Create Date: 2026-12-06 12:10:00

The records of a hội thi show the final ranking's prizes and the prizes per part
(``../shared/reference/hoi-thi.md``, "What the records must show").  A part's prize goes to the
team(s) with the most points in it (a poll's: the most audience votes); certificates follow.
"""
from alembic import op
import sqlalchemy as sa


revision = "3d9a6f1c2b47"
down_revision = "7c3e1a9b5d24"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("live_parts") as batch:
        batch.add_column(sa.Column("prize_title", sa.String(length=120), nullable=True))


def downgrade():
    with op.batch_alter_table("live_parts") as batch:
        batch.drop_column("prize_title")
