"""live certificates: one row per team and member certificate of a live event, verifiable and revocable

Revision ID: 7c3e1a9b5d24
Revises: e5f2a9c31d70
Create Date: 2026-12-06 08:45:00

A live event's certificates (quizapp/live/certificates.py) are records like the campaign's awards:
what they say is copied when issued, the verification code is signed from the id (the campaign kit's
HMAC under its own domain), and taking one back sets revoked_at with a reason.
"""
from alembic import op
import sqlalchemy as sa


revision = "7c3e1a9b5d24"
down_revision = "e5f2a9c31d70"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "live_certificates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("member_no", sa.Integer(), nullable=False),
        sa.Column("member_name", sa.String(length=255), nullable=False),
        sa.Column("team_name", sa.String(length=255), nullable=False),
        sa.Column("unit_name", sa.String(length=255), nullable=False),
        sa.Column("event_title", sa.String(length=255), nullable=False),
        sa.Column("venue", sa.String(length=255), nullable=False),
        sa.Column("held_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("place", sa.Integer(), nullable=False),
        sa.Column("prize", sa.String(length=120), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_reason", sa.String(length=500), nullable=True),
        sa.Column("revoked_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["event_id"], ["live_events.id"], name=op.f("fk_live_certificates_event_id_live_events")),
        sa.ForeignKeyConstraint(["team_id"], ["live_teams.id"], name=op.f("fk_live_certificates_team_id_live_teams")),
        sa.ForeignKeyConstraint(["created_by_id"], ["users.id"], name=op.f("fk_live_certificates_created_by_id_users")),
        sa.ForeignKeyConstraint(["revoked_by_id"], ["users.id"], name=op.f("fk_live_certificates_revoked_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_live_certificates")),
    )
    op.create_index("ix_live_certificates_event_team", "live_certificates", ["event_id", "team_id", "member_no"],
                    unique=False)


def downgrade():
    op.drop_index("ix_live_certificates_event_team", table_name="live_certificates")
    op.drop_table("live_certificates")
