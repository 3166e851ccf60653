"""The unit tree: province → departments / districts → communes, any depth."""
from __future__ import annotations

import enum
from typing import Optional

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from quizapp.core.db import TimestampMixin, db, enum_column


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
