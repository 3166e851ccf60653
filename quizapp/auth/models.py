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
    UNIT_MANAGER = "unit_manager"
    ORGANISER = "organiser"
    ADMIN = "admin"

    @property
    def rank(self) -> int:
        return _ROLE_RANK[self]


_ROLE_RANK = {Role.PARTICIPANT: 0, Role.UNIT_MANAGER: 1, Role.ORGANISER: 2, Role.ADMIN: 3}


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

    unit: Mapped[Optional[Unit]] = relationship()

    # Flask-Login
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
