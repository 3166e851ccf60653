"""Attempts: the questions drawn for each, the option order shown, the answers given."""
from __future__ import annotations

import enum
from datetime import datetime
from decimal import Decimal
from typing import Optional

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from quizapp.core.db import UTCDateTime, db, enum_column


class AttemptStatus(enum.StrEnum):
    IN_PROGRESS = "in_progress"
    SUBMITTED = "submitted"


class FinishReason(enum.StrEnum):
    SUBMITTED = "submitted"  # the entrant pressed submit
    TIMEOUT = "timeout"  # the page submitted at the deadline
    FINALIZED = "finalized"  # the server closed an expired attempt


class Attempt(db.Model):
    """One lượt thi.

    ``unit_id`` and ``category`` are copied from the entrant when the attempt
    starts, so results stay with the unit the entrant belonged to then.
    ``number`` is unique per user and round: two concurrent starts cannot
    both take the same slot, so the attempt limit holds under concurrency.
    """

    __tablename__ = "attempts"
    __table_args__ = (
        sa.UniqueConstraint("round_id", "user_id", "number"),
        sa.Index(
            "uq_attempts_one_open_per_user_round",
            "round_id",
            "user_id",
            unique=True,
            sqlite_where=sa.text("status = 'in_progress'"),
            postgresql_where=sa.text("status = 'in_progress'"),
        ),
        sa.Index("ix_attempts_status_deadline", "status", "deadline_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(sa.ForeignKey("rounds.id"))
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    unit_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("units.id"), index=True)
    category: Mapped[str] = mapped_column(sa.String(24))
    number: Mapped[int] = mapped_column(default=1)
    status: Mapped[AttemptStatus] = enum_column(AttemptStatus, default=AttemptStatus.IN_PROGRESS)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    deadline_at: Mapped[datetime] = mapped_column(UTCDateTime)
    submitted_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    finish_reason: Mapped[Optional[FinishReason]] = enum_column(FinishReason, nullable=True)
    score: Mapped[Optional[int]]
    max_score: Mapped[int] = mapped_column(default=0)
    duration_ms: Mapped[Optional[int]] = mapped_column(sa.BigInteger)
    prediction: Mapped[Optional[Decimal]] = mapped_column(sa.Numeric(20, 6))

    round = relationship("Round")
    user = relationship("User")
    unit = relationship("Unit")
    questions: Mapped[list["AttemptQuestion"]] = relationship(
        back_populates="attempt", order_by="AttemptQuestion.position", cascade="all, delete-orphan"
    )


class AttemptQuestion(db.Model):
    """A question drawn for an attempt, the option order shown and the answer given.

    Saving an answer is one UPDATE of this row, guarded by ``answer_seq`` so a
    stale or replayed save never overwrites a newer one.
    """

    __tablename__ = "attempt_questions"
    __table_args__ = (
        sa.UniqueConstraint("attempt_id", "position"),
        sa.UniqueConstraint("attempt_id", "question_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_id: Mapped[int] = mapped_column(sa.ForeignKey("attempts.id", ondelete="CASCADE"))
    question_id: Mapped[int] = mapped_column(sa.ForeignKey("questions.id"), index=True)
    position: Mapped[int]
    # Option ids in the order shown, e.g. [12, 10, 13, 11].
    option_order: Mapped[list] = mapped_column(sa.JSON)
    # Selected option ids (None = not answered yet).
    selected: Mapped[Optional[list]] = mapped_column(sa.JSON)
    answer_seq: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    answered_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    is_correct: Mapped[Optional[bool]]

    attempt: Mapped[Attempt] = relationship(back_populates="questions")
    question = relationship("Question")


class RegradeChange(db.Model):
    """One attempt's score changed by a re-grade (``attempts.regrade``): the entrant's
    history shows it, and the organiser sees which certificates it concerns."""

    __tablename__ = "regrade_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_id: Mapped[int] = mapped_column(sa.ForeignKey("attempts.id", ondelete="CASCADE"), index=True)
    question_id: Mapped[int] = mapped_column(sa.ForeignKey("questions.id"))
    mode: Mapped[str] = mapped_column(sa.String(16))  # key | void_all | void_drop
    old_score: Mapped[int]
    new_score: Mapped[int]
    old_max_score: Mapped[int]
    new_max_score: Mapped[int]
    actor_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
