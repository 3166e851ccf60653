"""Stored item statistics: one row per question per sample, one per test.

A sample is a scope (a round, a contest, or the whole bank across rounds),
with first attempts only or all attempts.  Computing a sample again replaces
its rows in one transaction.
"""
from __future__ import annotations

import enum
from datetime import datetime
from typing import Optional

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from quizapp.core.db import UTCDateTime, db, enum_column


class StatsScope(enum.StrEnum):
    ROUND = "round"
    CONTEST = "contest"
    BANK = "bank"  # every round (scope_id = 0)


class ItemStatistic(db.Model):
    __tablename__ = "item_statistics"
    __table_args__ = (
        sa.UniqueConstraint("scope", "scope_id", "all_attempts", "question_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    scope: Mapped[StatsScope] = enum_column(StatsScope, length=16)
    scope_id: Mapped[int] = mapped_column(default=0)
    all_attempts: Mapped[bool] = mapped_column(default=False)
    question_id: Mapped[int] = mapped_column(sa.ForeignKey("questions.id"), index=True)
    n: Mapped[int] = mapped_column(default=0)
    facility: Mapped[Optional[float]]
    sd: Mapped[Optional[float]]
    random_guess: Mapped[Optional[float]]
    discrimination: Mapped[Optional[float]]
    efficiency: Mapped[Optional[float]]
    # [{option_id, position, correct, share, upper, lower, point_biserial}, ...]
    options: Mapped[list] = mapped_column(sa.JSON, default=list)
    flags: Mapped[str] = mapped_column(sa.String(160), default="")  # comma-separated engine.FLAGS
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime)

    question = relationship("Question")

    @property
    def flag_list(self) -> list[str]:
        return [f for f in self.flags.split(",") if f]


class SampleStatistic(db.Model):
    __tablename__ = "sample_statistics"
    __table_args__ = (sa.UniqueConstraint("scope", "scope_id", "all_attempts"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    scope: Mapped[StatsScope] = enum_column(StatsScope, length=16)
    scope_id: Mapped[int] = mapped_column(default=0)
    all_attempts: Mapped[bool] = mapped_column(default=False)
    n_attempts: Mapped[int] = mapped_column(default=0)
    n_questions: Mapped[Optional[int]]
    mean: Mapped[Optional[float]]
    median: Mapped[Optional[float]]
    sd: Mapped[Optional[float]]
    skewness: Mapped[Optional[float]]
    kurtosis: Mapped[Optional[float]]
    cic: Mapped[Optional[float]]
    error_ratio: Mapped[Optional[float]]
    standard_error: Mapped[Optional[float]]
    cic_approximate: Mapped[bool] = mapped_column(default=False)
    cic_note: Mapped[Optional[str]] = mapped_column(sa.String(40))  # engine.CIC_REASONS: why no CIC
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime)
