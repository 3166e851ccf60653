"""units: a unit's own report settings; the last decision on each membership (who, when, from where)

Revision ID: 5b8d21e7a3f6
Revises: 5b1e3c9d7a20
Create Date: 2026-12-06 06:20:00
"""
from alembic import op
import sqlalchemy as sa


revision = "5b8d21e7a3f6"
down_revision = '5b1e3c9d7a20'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "unit_report_settings",
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("organiser", sa.String(length=255), nullable=False),
        sa.Column("issuer", sa.String(length=255), nullable=False),
        sa.Column("number_code", sa.String(length=40), nullable=False),
        sa.Column("place", sa.String(length=120), nullable=False),
        sa.Column("signer_title", sa.String(length=120), nullable=False),
        sa.Column("signer_name", sa.String(length=120), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["unit_id"], ["units.id"], name=op.f("fk_unit_report_settings_unit_id_units"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("unit_id", name=op.f("pk_unit_report_settings")),
    )
    op.create_table(
        "membership_confirmations",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=True),
        sa.Column("decision", sa.Enum("confirmed", "rejected", "struck", name="membershipdecision",
                                      native_enum=False, create_constraint=False, length=24), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("address", sa.String(length=64), nullable=False),
        sa.Column("reviewed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reviewed_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_membership_confirmations_user_id_users"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["unit_id"], ["units.id"], name=op.f("fk_membership_confirmations_unit_id_units"),
                                ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["decided_by_id"], ["users.id"],
                                name=op.f("fk_membership_confirmations_decided_by_id_users"), ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["reviewed_by_id"], ["users.id"],
                                name=op.f("fk_membership_confirmations_reviewed_by_id_users"), ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_membership_confirmations")),
    )
    op.create_index("ix_membership_confirmations_unit_decided", "membership_confirmations",
                    ["unit_id", "decided_at"], unique=False)


def downgrade():
    op.drop_index("ix_membership_confirmations_unit_decided", table_name="membership_confirmations")
    op.drop_table("membership_confirmations")
    op.drop_table("unit_report_settings")
