"""campaign kit: tagged arrivals, prizes/certificates, per-contest print settings

Revision ID: c4a7e1f0b2d9
Revises: 7d2e9b40c1a5
Create Date: 2026-12-04 14:40:00
"""
from alembic import op
import sqlalchemy as sa


revision = "c4a7e1f0b2d9"
down_revision = "7d2e9b40c1a5"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "campaign_arrivals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("contest_id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=True),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("tag", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["contest_id"], ["contests.id"], name=op.f("fk_campaign_arrivals_contest_id_contests"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["round_id"], ["rounds.id"], name=op.f("fk_campaign_arrivals_round_id_rounds"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_campaign_arrivals_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaign_arrivals")),
    )
    op.create_index("ix_campaign_arrivals_contest_tag", "campaign_arrivals", ["contest_id", "tag"], unique=False)
    op.create_table(
        "campaign_awards",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("contest_id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("unit_id", sa.Integer(), nullable=True),
        sa.Column("recipient_name", sa.String(length=255), nullable=False),
        sa.Column("unit_name", sa.String(length=255), nullable=False),
        sa.Column("prize", sa.String(length=120), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("rank", sa.Integer(), nullable=True),
        sa.Column("score", sa.Integer(), nullable=True),
        sa.Column("max_score", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["contest_id"], ["contests.id"], name=op.f("fk_campaign_awards_contest_id_contests"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["round_id"], ["rounds.id"], name=op.f("fk_campaign_awards_round_id_rounds"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_campaign_awards_user_id_users")),
        sa.ForeignKeyConstraint(["unit_id"], ["units.id"], name=op.f("fk_campaign_awards_unit_id_units")),
        sa.ForeignKeyConstraint(["created_by_id"], ["users.id"], name=op.f("fk_campaign_awards_created_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaign_awards")),
    )
    op.create_index("ix_campaign_awards_contest_round", "campaign_awards", ["contest_id", "round_id", "kind"], unique=False)
    op.create_index("ix_campaign_awards_user", "campaign_awards", ["user_id"], unique=False)
    op.create_table(
        "campaign_settings",
        sa.Column("contest_id", sa.Integer(), nullable=False),
        sa.Column("organiser", sa.String(length=255), nullable=False),
        sa.Column("issuer", sa.String(length=255), nullable=False),
        sa.Column("place", sa.String(length=120), nullable=False),
        sa.Column("signer_title", sa.String(length=120), nullable=False),
        sa.Column("signer_name", sa.String(length=120), nullable=False),
        sa.Column("winners_published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["contest_id"], ["contests.id"], name=op.f("fk_campaign_settings_contest_id_contests"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("contest_id", name=op.f("pk_campaign_settings")),
    )


def downgrade():
    op.drop_table("campaign_settings")
    op.drop_index("ix_campaign_awards_user", table_name="campaign_awards")
    op.drop_index("ix_campaign_awards_contest_round", table_name="campaign_awards")
    op.drop_table("campaign_awards")
    op.drop_index("ix_campaign_arrivals_contest_tag", table_name="campaign_arrivals")
    op.drop_table("campaign_arrivals")
