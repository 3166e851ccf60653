"""fair results: live results per round, the practice study set, regrades

Revision ID: e5f2a9c31d70
Revises: 5b8d21e7a3f6
Create Date: 2026-12-06 06:10:00
"""
from alembic import op
import sqlalchemy as sa


revision = "e5f2a9c31d70"
down_revision = '5b8d21e7a3f6'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("rounds") as batch:
        batch.add_column(sa.Column("live_results", sa.Boolean(), server_default=sa.true(), nullable=False))
    with op.batch_alter_table("questions") as batch:
        batch.add_column(sa.Column("for_practice", sa.Boolean(), server_default=sa.false(), nullable=False))
    with op.batch_alter_table("practice_settings") as batch:
        batch.add_column(sa.Column("whole_bank", sa.Boolean(), server_default=sa.false(), nullable=False))
    op.create_table(
        "regrade_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("attempt_id", sa.Integer(), nullable=False),
        sa.Column("question_id", sa.Integer(), nullable=False),
        sa.Column("mode", sa.String(length=16), nullable=False),
        sa.Column("old_score", sa.Integer(), nullable=False),
        sa.Column("new_score", sa.Integer(), nullable=False),
        sa.Column("old_max_score", sa.Integer(), nullable=False),
        sa.Column("new_max_score", sa.Integer(), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["attempt_id"], ["attempts.id"], name=op.f("fk_regrade_changes_attempt_id_attempts"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["question_id"], ["questions.id"], name=op.f("fk_regrade_changes_question_id_questions")),
        sa.ForeignKeyConstraint(["actor_id"], ["users.id"], name=op.f("fk_regrade_changes_actor_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_regrade_changes")),
    )
    op.create_index(op.f("ix_regrade_changes_attempt_id"), "regrade_changes", ["attempt_id"], unique=False)


def downgrade():
    op.drop_index(op.f("ix_regrade_changes_attempt_id"), table_name="regrade_changes")
    op.drop_table("regrade_changes")
    with op.batch_alter_table("practice_settings") as batch:
        batch.drop_column("whole_bank")
    with op.batch_alter_table("questions") as batch:
        batch.drop_column("for_practice")
    with op.batch_alter_table("rounds") as batch:
        batch.drop_column("live_results")
