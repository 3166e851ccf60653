"""Trustworthy accounts: confirmed unit membership, revocable login sessions, reset codes

Revision ID: c7d2e4f6a8b1
Revises: a3f1c9d2b4e6
Create Date: 2026-12-04 14:30:00

* users.unit_confirmed: only confirmed members count toward a unit's participation.
  Existing accounts are marked confirmed (they were accepted under the old rules;
  organisers can review them on the confirmation page).
* users.reset_code_hash / reset_code_expires_at: a one-time password-reset code given
  out by a unit manager or organiser to a phone-only account.
* existing phone numbers and CCCDs are rewritten in their normal form (ASCII digits, phone
  as 0xxxxxxxxx) unless that would collide with another account (such pairs appear in the
  admins' duplicates queue instead).
* login_sessions: one row per login, so logout and "log out everywhere" revoke a
  session on the server.  Existing sessions (cookies carrying a bare user id) are no
  longer accepted: everyone logs in once more after the upgrade.
"""
from alembic import op
import sqlalchemy as sa

revision = "c7d2e4f6a8b1"
down_revision = "a3f1c9d2b4e6"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("unit_confirmed", sa.Boolean(), server_default=sa.true(), nullable=False))
        batch_op.add_column(sa.Column("reset_code_hash", sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column("reset_code_expires_at", sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        "login_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_login_sessions_user_id_users"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_login_sessions")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_login_sessions_token_hash")),
    )
    with op.batch_alter_table("login_sessions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_login_sessions_user_id"), ["user_id"], unique=False)
    _normalise_identifiers()


def _normalise_identifiers():
    from quizapp.auth.identity import normalize_national_id, normalize_phone

    users = sa.table("users", sa.column("id", sa.Integer), sa.column("phone", sa.String),
                     sa.column("national_id", sa.String))
    conn = op.get_bind()
    rows = conn.execute(sa.select(users.c.id, users.c.phone, users.c.national_id)).all()
    for column, normal in (("phone", normalize_phone), ("national_id", normalize_national_id)):
        taken = {getattr(r, column) for r in rows if getattr(r, column)}
        for r in rows:
            value = getattr(r, column)
            new = normal(value) if value else None
            if value and new and new != value and new not in taken and len(new) <= (20 if column == "phone" else 12):
                conn.execute(users.update().where(users.c.id == r.id).values({column: new}))
                taken.add(new)


def downgrade():
    with op.batch_alter_table("login_sessions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_login_sessions_user_id"))
    op.drop_table("login_sessions")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("reset_code_expires_at")
        batch_op.drop_column("reset_code_hash")
        batch_op.drop_column("unit_confirmed")
