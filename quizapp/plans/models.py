"""Plans: the province plan and its tasks, the managed list of communication forms, each unit's
plan for the year (tasks taken on, planned count per form), activities with their evidence, and
the periodic reports units submit."""
from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Optional

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from quizapp.core.db import TimestampMixin, UTCDateTime, db, enum_column, utcnow


class FormGroup(enum.StrEnum):
    CIVIL_SERVANTS = "civil_servants"  # cán bộ, công chức, viên chức và người lao động
    PUBLIC = "public"  # tổ chức, cá nhân, doanh nghiệp


class Audience(enum.StrEnum):
    CIVIL_SERVANTS = "civil_servants"
    CITIZENS = "citizens"
    BUSINESSES = "businesses"


class ReportKind(enum.StrEnum):
    QUARTER = "quarter"
    HALF = "half"
    YEAR = "year"


class ReportStatus(enum.StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    RETURNED = "returned"


class CommunicationForm(TimestampMixin, db.Model):
    """A form of communication (hình thức tuyên truyền), from section II.2 of the plan.
    ``collects_contests``: contests and rounds held in quizapp count under this form."""

    __tablename__ = "plan_forms"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(32), unique=True)
    name: Mapped[str] = mapped_column(sa.String(255))
    group: Mapped[FormGroup] = enum_column(FormGroup)
    position: Mapped[int] = mapped_column(default=0)
    is_active: Mapped[bool] = mapped_column(default=True)
    collects_contests: Mapped[bool] = mapped_column(default=False)


class ProvincePlan(TimestampMixin, db.Model):
    """The province's plan for a year (Kế hoạch số …/KH-UBND)."""

    __tablename__ = "plan_province_plans"

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(unique=True)
    title: Mapped[str] = mapped_column(sa.String(500))
    number: Mapped[str] = mapped_column(sa.String(64), default="")
    issued_on: Mapped[Optional[date]]
    created_by_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))

    tasks: Mapped[list["PlanTask"]] = relationship(back_populates="plan", order_by="PlanTask.position",
                                                   cascade="all, delete-orphan")


class PlanTask(db.Model):
    """A task of the plan's appendix: task, lead unit, coordinating units, timeline, expected output.
    ``due_on`` is read from the timeline ("Quý II" → 30/6) so an unfinished task shows overdue."""

    __tablename__ = "plan_tasks"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(sa.ForeignKey("plan_province_plans.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    name: Mapped[str] = mapped_column(sa.String(1000))
    lead_unit: Mapped[str] = mapped_column(sa.String(255), default="")
    coordinating_units: Mapped[str] = mapped_column(sa.String(1000), default="")
    timeline: Mapped[str] = mapped_column(sa.String(120), default="")
    due_on: Mapped[Optional[date]]
    expected_output: Mapped[str] = mapped_column(sa.String(1000), default="")

    plan: Mapped[ProvincePlan] = relationship(back_populates="tasks")


unit_plan_tasks = sa.Table(
    "plan_unit_plan_tasks", db.metadata,
    sa.Column("unit_plan_id", sa.ForeignKey("plan_unit_plans.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("task_id", sa.ForeignKey("plan_tasks.id", ondelete="CASCADE"), primary_key=True),
)


class UnitPlan(TimestampMixin, db.Model):
    """A unit's own communication plan for a year: the province tasks it takes on and a planned
    count per form."""

    __tablename__ = "plan_unit_plans"
    __table_args__ = (sa.UniqueConstraint("unit_id", "year", name="uq_plan_unit_plans_unit_year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("units.id", ondelete="CASCADE"), index=True)
    year: Mapped[int]
    note: Mapped[str] = mapped_column(sa.Text, default="")

    tasks: Mapped[list[PlanTask]] = relationship(secondary=unit_plan_tasks, order_by="PlanTask.position")
    targets: Mapped[list["PlanTarget"]] = relationship(cascade="all, delete-orphan", back_populates="unit_plan")


class PlanTarget(db.Model):
    __tablename__ = "plan_targets"
    __table_args__ = (sa.CheckConstraint("planned >= 0", name="planned_non_negative"),)

    unit_plan_id: Mapped[int] = mapped_column(sa.ForeignKey("plan_unit_plans.id", ondelete="CASCADE"),
                                              primary_key=True)
    form_id: Mapped[int] = mapped_column(sa.ForeignKey("plan_forms.id", ondelete="CASCADE"), primary_key=True)
    planned: Mapped[int] = mapped_column(default=0)

    unit_plan: Mapped[UnitPlan] = relationship(back_populates="targets")


class Activity(TimestampMixin, db.Model):
    """A communication activity a unit carried out (logged by its staff, often from a phone)."""

    __tablename__ = "plan_activities"
    __table_args__ = (
        sa.CheckConstraint("reached >= 0", name="reached_non_negative"),
        sa.Index("ix_plan_activities_unit_held_on", "unit_id", "held_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("units.id", ondelete="CASCADE"))
    held_on: Mapped[date]
    form_id: Mapped[int] = mapped_column(sa.ForeignKey("plan_forms.id"), index=True)
    title: Mapped[str] = mapped_column(sa.String(255))
    audience: Mapped[Audience] = enum_column(Audience, default=Audience.CIVIL_SERVANTS)
    reached: Mapped[int] = mapped_column(default=0)
    task_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("plan_tasks.id", ondelete="SET NULL"),
                                                   index=True)
    link: Mapped[Optional[str]] = mapped_column(sa.String(500))
    created_by_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))

    form: Mapped[CommunicationForm] = relationship()
    task: Mapped[Optional[PlanTask]] = relationship()
    evidence: Mapped[list["Evidence"]] = relationship(back_populates="activity", cascade="all, delete-orphan",
                                                      order_by="Evidence.id")


class Evidence(db.Model):
    """A file proving an activity: a photo (re-encoded, no metadata) or a PDF; ``stored`` is
    relative to EVIDENCE_DIR."""

    __tablename__ = "plan_evidence"

    id: Mapped[int] = mapped_column(primary_key=True)
    activity_id: Mapped[int] = mapped_column(sa.ForeignKey("plan_activities.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(sa.String(8))  # photo | pdf
    filename: Mapped[str] = mapped_column(sa.String(255))
    stored: Mapped[str] = mapped_column(sa.String(255), unique=True)
    size: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    activity: Mapped[Activity] = relationship(back_populates="evidence")


class UnitReport(TimestampMixin, db.Model):
    """A unit's report for a period: the narrative parts it types; the figures come from the records."""

    __tablename__ = "plan_reports"
    __table_args__ = (sa.UniqueConstraint("unit_id", "year", "kind", "number", name="uq_plan_reports_period"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("units.id", ondelete="CASCADE"), index=True)
    year: Mapped[int]
    kind: Mapped[ReportKind] = enum_column(ReportKind)
    number: Mapped[int] = mapped_column(default=1)  # quarter 1-4, half 1-2, year 1
    doc_number: Mapped[str] = mapped_column(sa.String(40), default="")
    situation: Mapped[str] = mapped_column(sa.Text, default="")
    evaluation: Mapped[str] = mapped_column(sa.Text, default="")
    difficulties: Mapped[str] = mapped_column(sa.Text, default="")
    proposals: Mapped[str] = mapped_column(sa.Text, default="")
    signer_title: Mapped[str] = mapped_column(sa.String(120), default="")
    signer_name: Mapped[str] = mapped_column(sa.String(120), default="")
    status: Mapped[ReportStatus] = enum_column(ReportStatus, default=ReportStatus.DRAFT)
    submitted_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    submitted_by_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    returned_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    return_reason: Mapped[str] = mapped_column(sa.String(1000), default="")

    changes: Mapped[list["ReportChange"]] = relationship(cascade="all, delete-orphan",
                                                         order_by="ReportChange.id")


class ReportChange(db.Model):
    """A change to a submitted report's records (or its return), shown on the report's page;
    the audit log has the same entry."""

    __tablename__ = "plan_report_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(sa.ForeignKey("plan_reports.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(sa.String(64))
    summary: Mapped[str] = mapped_column(sa.String(500), default="")

    actor = relationship("User")
