"""Fair contests: exclusion groups, per-round pool, quotas per entrant group

Revision ID: f41c7a2e9b01
Revises: c7d2e4f6a8b1
Create Date: 2026-12-04 14:30:00

* questions.exclusion_group: questions that reveal each other share a group
  and are never drawn into one attempt;
* rounds.fresh_questions: the round prefers questions no earlier round of the
  contest has drawn;
* rounds.rank_groups_separately and round_quotas.entrant_group: a round can
  give an entrant category its own quota cells, ranked apart or together
  (the unique key of a quota cell now includes the group).
"""
from alembic import op
import sqlalchemy as sa

revision = "f41c7a2e9b01"
down_revision = "c7d2e4f6a8b1"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("questions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("exclusion_group", sa.String(length=32), nullable=True))
    with op.batch_alter_table("rounds", schema=None) as batch_op:
        batch_op.add_column(sa.Column("fresh_questions", sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column("rank_groups_separately", sa.Boolean(), server_default=sa.false(),
                                      nullable=False))
    with op.batch_alter_table("round_quotas", schema=None) as batch_op:
        batch_op.add_column(sa.Column("entrant_group", sa.String(length=24), server_default="", nullable=False))
        batch_op.drop_constraint("uq_round_quotas_round_id_area_id_difficulty", type_="unique")
        batch_op.create_unique_constraint(
            "uq_round_quotas_round_id_entrant_group_area_id_difficulty",
            ["round_id", "entrant_group", "area_id", "difficulty"])


def downgrade():
    op.execute("DELETE FROM round_quotas WHERE entrant_group <> ''")
    with op.batch_alter_table("round_quotas", schema=None) as batch_op:
        batch_op.drop_constraint("uq_round_quotas_round_id_entrant_group_area_id_difficulty", type_="unique")
        batch_op.create_unique_constraint("uq_round_quotas_round_id_area_id_difficulty",
                                          ["round_id", "area_id", "difficulty"])
        batch_op.drop_column("entrant_group")
    with op.batch_alter_table("rounds", schema=None) as batch_op:
        batch_op.drop_column("rank_groups_separately")
        batch_op.drop_column("fresh_questions")
    with op.batch_alter_table("questions", schema=None) as batch_op:
        batch_op.drop_column("exclusion_group")
