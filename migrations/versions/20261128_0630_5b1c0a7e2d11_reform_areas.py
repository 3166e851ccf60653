"""reform areas: the six areas of NQ 76/NQ-CP and the provincial plan

Revision ID: 5b1c0a7e2d11
Revises: edda84e54494
Create Date: 2026-11-28 06:30:00

Reference data, not schema: the areas every question belongs to.  Organisers
may add more later; these codes are what the shipped question bank uses.
"""
from alembic import op
import sqlalchemy as sa

revision = "5b1c0a7e2d11"
down_revision = "edda84e54494"
branch_labels = None
depends_on = None

AREAS = [
    ("TC", "Cải cách thể chế", 1),
    ("TTHC", "Cải cách thủ tục hành chính", 2),
    ("TCBM", "Cải cách tổ chức bộ máy hành chính nhà nước", 3),
    ("CV", "Cải cách chế độ công vụ", 4),
    ("TCC", "Cải cách tài chính công", 5),
    ("CQS", "Xây dựng, phát triển Chính phủ điện tử, Chính phủ số", 6),
    ("KH", "Kế hoạch tuyên truyền cải cách hành chính của tỉnh", 7),
]

areas = sa.table(
    "reform_areas",
    sa.column("code", sa.String),
    sa.column("name", sa.String),
    sa.column("position", sa.Integer),
)


def upgrade():
    op.bulk_insert(areas, [{"code": c, "name": n, "position": p} for c, n, p in AREAS])


def downgrade():
    op.execute(areas.delete().where(areas.c.code.in_([c for c, _, _ in AREAS])))
