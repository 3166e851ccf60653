"""Accounts: people who enter contests, manage units, organise and administer."""
from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Optional

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship

from quizapp.core.db import TimestampMixin, UTCDateTime, db, enum_column
from quizapp.units.models import Unit


class Role(enum.StrEnum):
    PARTICIPANT = "participant"
    REFORM_OFFICER = "reform_officer"  # cán bộ đầu mối CCHC: logs the unit's communication activities
    UNIT_MANAGER = "unit_manager"
    ORGANISER = "organiser"
    ADMIN = "admin"

    @property
    def rank(self) -> int:
        return _ROLE_RANK[self]


_ROLE_RANK = {Role.PARTICIPANT: 0, Role.REFORM_OFFICER: 1, Role.UNIT_MANAGER: 2, Role.ORGANISER: 3, Role.ADMIN: 4}


class EntrantCategory(enum.StrEnum):
    CIVIL_SERVANT = "civil_servant"  # cán bộ, công chức
    PUBLIC_EMPLOYEE = "public_employee"  # viên chức
    WORKER = "worker"  # người lao động
    ARMED_FORCES = "armed_forces"  # lực lượng vũ trang
    CITIZEN = "citizen"  # người dân
    STUDENT = "student"  # học sinh, sinh viên


class User(UserMixin, TimestampMixin, db.Model):
    """A person.  Identity fields (name, date of birth, phone, e-mail, CCCD)
    are locked after registration; only an admin changes them."""

    __tablename__ = "users"
    __table_args__ = (
        sa.CheckConstraint("phone IS NOT NULL OR email IS NOT NULL", name="phone_or_email"),
    )

    IDENTITY_FIELDS = ("full_name", "date_of_birth", "phone", "email", "national_id")

    id: Mapped[int] = mapped_column(primary_key=True)
    full_name: Mapped[str] = mapped_column(sa.String(120))
    date_of_birth: Mapped[Optional[date]]
    phone: Mapped[Optional[str]] = mapped_column(sa.String(20), unique=True)
    email: Mapped[Optional[str]] = mapped_column(sa.String(254), unique=True)
    national_id: Mapped[Optional[str]] = mapped_column(sa.String(12), unique=True)
    unit_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("units.id"), index=True)
    position: Mapped[Optional[str]] = mapped_column(sa.String(120))
    category: Mapped[EntrantCategory] = enum_column(
        EntrantCategory, default=EntrantCategory.CIVIL_SERVANT
    )
    role: Mapped[Role] = enum_column(Role, default=Role.PARTICIPANT)
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    is_active_account: Mapped[bool] = mapped_column(default=True)
    last_login_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    # Membership of ``unit`` confirmed by a unit manager (or an organiser): only confirmed
    # members count toward a unit's participation and unit prizes.  Self-registration
    # creates an unconfirmed member; accounts made by admins, imports and the demo are confirmed.
    unit_confirmed: Mapped[bool] = mapped_column(default=True, server_default=sa.true())
    # A one-time password-reset code handed out by a unit manager or organiser (hash only).
    reset_code_hash: Mapped[Optional[str]] = mapped_column(sa.String(255))
    reset_code_expires_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)

    unit: Mapped[Optional[Unit]] = relationship()

    # Flask-Login.  The id Flask-Login keeps in the session and the remember-me cookie is
    # "<user id>:<login session token>" (see LoginSession), so every login gets its own
    # cookie value and a session can be revoked on the server.
    login_token = None  # set per request by the auth services (not a column)

    def get_id(self) -> str:
        return f"{self.id}:{self.login_token}" if self.login_token else str(self.id)

    @property
    def is_active(self) -> bool:  # type: ignore[override]
        return self.is_active_account

    def has_role(self, role: Role) -> bool:
        return self.role.rank >= role.rank

    @property
    def login_name(self) -> str:
        return self.phone or self.email or ""

    def __repr__(self) -> str:  # pragma: no cover - never log personal data
        return f"<User {self.id}>"


class LoginSession(db.Model):
    """One login (one browser): the hash of its random token, until logout or revocation.

    Logging out revokes this row; changing the password or "log out everywhere" revokes
    every row of the user, so a copied session or remember-me cookie stops working."""

    __tablename__ = "login_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
