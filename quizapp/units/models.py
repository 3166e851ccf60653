"""The unit tree: province → departments / districts → communes, any depth."""
from __future__ import annotations

import enum
from datetime import datetime
from typing import Optional

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from quizapp.core.db import TimestampMixin, UTCDateTime, db, enum_column


class UnitKind(enum.StrEnum):
    PROVINCE = "province"
    DEPARTMENT = "department"  # sở, ban, ngành
    AGENCY = "agency"  # cơ quan, đơn vị sự nghiệp
    DISTRICT = "district"  # huyện, thị xã, thành phố thuộc tỉnh (before 1/7/2025)
    COMMUNE = "commune"  # xã, phường, đặc khu
    OTHER = "other"


class Unit(TimestampMixin, db.Model):
    """A unit of the administration.

    ``path`` is a materialised path of ids (``/1/4/17/``) kept current by the
    units service, so "this unit and every sub-unit" is one indexed LIKE.
    Units are archived, never deleted, so past attempts keep their unit.
    """

    __tablename__ = "units"
    __table_args__ = (
        sa.CheckConstraint("headcount >= 0", name="headcount_non_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(32), unique=True)
    name: Mapped[str] = mapped_column(sa.String(255))
    kind: Mapped[UnitKind] = enum_column(UnitKind, default=UnitKind.OTHER)
    bloc: Mapped[Optional[str]] = mapped_column(sa.String(64))
    headcount: Mapped[int] = mapped_column(default=0)
    parent_id: Mapped[Optional[int]] = mapped_column(
        sa.ForeignKey("units.id", ondelete="RESTRICT"), index=True
    )
    path: Mapped[str] = mapped_column(sa.String(512), default="/", index=True)
    is_active: Mapped[bool] = mapped_column(default=True)
    merged_into_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("units.id"))

    parent: Mapped[Optional["Unit"]] = relationship(
        remote_side="Unit.id", foreign_keys=[parent_id], back_populates="children"
    )
    children: Mapped[list["Unit"]] = relationship(
        foreign_keys=[parent_id], back_populates="parent", order_by="Unit.name"
    )
    merged_into: Mapped[Optional["Unit"]] = relationship(
        remote_side="Unit.id", foreign_keys=[merged_into_id]
    )

    @property
    def depth(self) -> int:
        return self.path.count("/") - 2

    def __repr__(self) -> str:  # pragma: no cover
        return f"<Unit {self.code}>"


class UnitReportSettings(db.Model):
    """How a unit's own periodic report is issued (``units.report_settings``): the governing body
    above it, the issuing unit's name, the number's code, place and signer.  A unit without a row
    gets defaults from the unit tree; a blank signer is warned about on the report form."""

    __tablename__ = "unit_report_settings"

    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("units.id", ondelete="CASCADE"), primary_key=True)
    organiser: Mapped[str] = mapped_column(sa.String(255), default="")  # e.g. ỦY BAN NHÂN DÂN TỈNH ...
    issuer: Mapped[str] = mapped_column(sa.String(255), default="")  # e.g. SỞ NỘI VỤ
    number_code: Mapped[str] = mapped_column(sa.String(40), default="")  # e.g. BC-SNV → "Số: …/BC-SNV"
    place: Mapped[str] = mapped_column(sa.String(120), default="")
    signer_title: Mapped[str] = mapped_column(sa.String(120), default="")
    signer_name: Mapped[str] = mapped_column(sa.String(120), default="")
    updated_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)


class MembershipDecision(enum.StrEnum):
    CONFIRMED = "confirmed"  # a unit manager (or an organiser) confirmed the membership
    REJECTED = "rejected"  # a unit manager said the person is not one of his (“Từ chối”)
    STRUCK = "struck"  # an organiser struck a confirmation on review: the member no longer counts


class MembershipConfirmation(db.Model):
    """The last decision on a person's membership of his unit: who decided, when, from which
    address (as the app derives it, behind the trusted proxies), and an organiser's review.
    Every decision is also in the audit log; this row is what the review page reads."""

    __tablename__ = "membership_confirmations"
    __table_args__ = (sa.Index("ix_membership_confirmations_unit_decided", "unit_id", "decided_at"),)

    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    unit_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("units.id", ondelete="SET NULL"))
    decision: Mapped[MembershipDecision] = enum_column(MembershipDecision, default=MembershipDecision.CONFIRMED)
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime)
    decided_by_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    address: Mapped[str] = mapped_column(sa.String(64), default="")
    reviewed_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)  # an organiser accepted it
    reviewed_by_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
