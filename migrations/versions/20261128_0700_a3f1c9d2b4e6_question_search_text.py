"""questions.search_text: the question text folded (no diacritics, lower case)

Revision ID: a3f1c9d2b4e6
Revises: 5b1c0a7e2d11
Create Date: 2026-11-28 07:00:00

The bank editor searches "cai cach" and finds "cải cách" with a SQL LIKE on
this column (so the list paginates in SQL), and the importer matches a
question by its normalised text within its area without folding the whole
bank on each import.  Existing rows are backfilled with quizapp.core.text.fold.
"""
from alembic import op
import sqlalchemy as sa

revision = "a3f1c9d2b4e6"
down_revision = "5b1c0a7e2d11"
branch_labels = None
depends_on = None

questions = sa.table(
    "questions",
    sa.column("id", sa.Integer),
    sa.column("text", sa.Text),
    sa.column("search_text", sa.Text),
)


def upgrade():
    with op.batch_alter_table("questions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("search_text", sa.Text(), server_default="", nullable=False))

    from quizapp.core.text import fold

    conn = op.get_bind()
    rows = conn.execute(sa.select(questions.c.id, questions.c.text)).all()
    for qid, text in rows:
        conn.execute(questions.update().where(questions.c.id == qid).values(search_text=fold(text)))


def downgrade():
    with op.batch_alter_table("questions", schema=None) as batch_op:
        batch_op.drop_column("search_text")
