"""live audience tickets: a numbered ticket per audience phone, and the audience prizes per question

Revision ID: 8b2e4d6f1a39
Revises: 3d9a6f1c2b47
Create Date: 2026-12-06 11:30:00

The records of a hội thi show the audience prizes (``../shared/reference/hoi-thi.md``): an audience
phone gets a short ticket number when it joins ("Phiếu số 0427"), unique within the event by
construction (the event's counter, bumped in SQL, and a unique constraint), and an audience question
gives its prizes to the first right answers by the server's arrival time.
"""
from alembic import op
import sqlalchemy as sa


revision = "8b2e4d6f1a39"
down_revision = "3d9a6f1c2b47"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("live_events") as batch:
        batch.add_column(sa.Column("audience_tickets", sa.Integer(), server_default="0", nullable=False))
    with op.batch_alter_table("live_parts") as batch:
        batch.add_column(sa.Column("audience_prizes", sa.Integer(), server_default="3", nullable=False))
    op.create_table(
        "live_audience_tickets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("device_id", sa.String(length=20), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["event_id"], ["live_events.id"],
                                name=op.f("fk_live_audience_tickets_event_id_live_events"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_live_audience_tickets")),
        sa.UniqueConstraint("event_id", "device_id", name=op.f("uq_live_audience_tickets_event_id_device_id")),
        sa.UniqueConstraint("event_id", "number", name=op.f("uq_live_audience_tickets_event_id_number")),
    )


def downgrade():
    op.drop_table("live_audience_tickets")
    with op.batch_alter_table("live_parts") as batch:
        batch.drop_column("audience_prizes")
    with op.batch_alter_table("live_events") as batch:
        batch.drop_column("audience_tickets")
