"""Practice (thi thử / ôn tập): sessions and their answers, kept apart from contests.

Nothing here is read by rankings, participation or item statistics.
"""
from __future__ import annotations

from datetime import datetime
from typing import Optional

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from quizapp.core.db import UTCDateTime, db


class PracticeSettings(db.Model):
    """The organiser's practice settings (one row, id 1)."""

    __tablename__ = "practice_settings"

    id: Mapped[int] = mapped_column(primary_key=True)
    open_to_anonymous: Mapped[bool] = mapped_column(default=False)
    # The organiser published the whole approved bank for study (instead of the study set).
    whole_bank: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    updated_by_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("users.id"))
    updated_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)


class PracticeSession(db.Model):
    """One practice set.  ``user_id`` is empty for an anonymous visitor, who
    holds the session through ``token`` kept in their signed cookie."""

    __tablename__ = "practice_sessions"
    __table_args__ = (sa.CheckConstraint("size > 0", name="size_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(sa.String(43), unique=True)
    user_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("users.id"), index=True)
    area_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("reform_areas.id"))
    difficulty: Mapped[int] = mapped_column(sa.SmallInteger, default=0)  # 0 = any
    size: Mapped[int]
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    deadline_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)  # None = untimed
    finished_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)

    area = relationship("ReformArea")
    answers: Mapped[list["PracticeAnswer"]] = relationship(
        back_populates="session", order_by="PracticeAnswer.position", cascade="all, delete-orphan"
    )


class PracticeAnswer(db.Model):
    __tablename__ = "practice_answers"
    __table_args__ = (
        sa.UniqueConstraint("session_id", "position"),
        sa.UniqueConstraint("session_id", "question_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(sa.ForeignKey("practice_sessions.id", ondelete="CASCADE"))
    question_id: Mapped[int] = mapped_column(sa.ForeignKey("questions.id"), index=True)
    position: Mapped[int]
    option_order: Mapped[list] = mapped_column(sa.JSON)
    selected: Mapped[Optional[list]] = mapped_column(sa.JSON)
    is_correct: Mapped[Optional[bool]]
    answered_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)

    session: Mapped[PracticeSession] = relationship(back_populates="answers")
    question = relationship("Question")
