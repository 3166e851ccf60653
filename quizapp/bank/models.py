"""The question bank: reform areas, questions (versioned) and their options."""
from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Optional

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from quizapp.core.db import TimestampMixin, UTCDateTime, db, enum_column


class ReformArea(db.Model):
    """One of the reform areas of NQ 76/NQ-CP (plus any an organiser adds)."""

    __tablename__ = "reform_areas"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(16), unique=True)
    name: Mapped[str] = mapped_column(sa.String(255))
    position: Mapped[int] = mapped_column(default=0)


class QuestionStatus(enum.StrEnum):
    DRAFT = "draft"
    APPROVED = "approved"
    RETIRED = "retired"
    SUPERSEDED = "superseded"  # an older version of an edited question


class Question(TimestampMixin, db.Model):
    """One version of a question.

    Editing a question creates a new row with the same ``lineage`` and a
    higher ``version``; the old row becomes SUPERSEDED.  Attempts point at
    the exact row they showed, so they keep showing and grading what the
    entrant saw.
    """

    __tablename__ = "questions"
    __table_args__ = (
        sa.UniqueConstraint("lineage", "version"),
        sa.CheckConstraint("difficulty BETWEEN 1 AND 3", name="difficulty_range"),
        sa.Index("ix_questions_draw", "area_id", "difficulty", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    lineage: Mapped[str] = mapped_column(sa.String(36), index=True)
    version: Mapped[int] = mapped_column(default=1)
    external_id: Mapped[Optional[str]] = mapped_column(sa.String(64), index=True)
    area_id: Mapped[int] = mapped_column(sa.ForeignKey("reform_areas.id"))
    difficulty: Mapped[int] = mapped_column(sa.SmallInteger, default=1)
    multiple: Mapped[bool] = mapped_column(default=False)
    status: Mapped[QuestionStatus] = enum_column(QuestionStatus, default=QuestionStatus.DRAFT)
    text: Mapped[str] = mapped_column(sa.Text)
    # fold(text): lower-case, no diacritics.  Lets the editor search "cai cach"
    # in SQL (LIKE) with pagination, and the importer match a question by its
    # normalised text without folding the whole bank on every import.
    search_text: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    explanation: Mapped[Optional[str]] = mapped_column(sa.Text)
    source: Mapped[Optional[str]] = mapped_column(sa.String(500))
    reference_date: Mapped[Optional[date]]
    content_hash: Mapped[str] = mapped_column(sa.String(64), index=True)
    needs_review: Mapped[bool] = mapped_column(default=False)
    review_note: Mapped[Optional[str]] = mapped_column(sa.String(500))
    times_drawn: Mapped[int] = mapped_column(default=0)
    # Questions that reveal each other share a group: an attempt never draws two of one group.
    exclusion_group: Mapped[Optional[str]] = mapped_column(sa.String(32))
    # In the practice study set (``practice.services``): contest rounds never draw it.
    for_practice: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    created_by_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("users.id"))

    area: Mapped[ReformArea] = relationship()
    options: Mapped[list["Option"]] = relationship(
        back_populates="question", order_by="Option.position", cascade="all, delete-orphan"
    )

    @property
    def correct_option_ids(self) -> set[int]:
        return {o.id for o in self.options if o.is_correct}


class Option(db.Model):
    __tablename__ = "options"
    __table_args__ = (sa.UniqueConstraint("question_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(
        sa.ForeignKey("questions.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int]
    text: Mapped[str] = mapped_column(sa.String(500))
    is_correct: Mapped[bool] = mapped_column(default=False)
    # Moodle-style fraction kept from GIFT imports, for reference only.
    weight: Mapped[Optional[float]]

    question: Mapped[Question] = relationship(back_populates="options")


class ImportBatch(db.Model):
    """A record of one accepted import (file name, hash, counts)."""

    __tablename__ = "import_batches"

    id: Mapped[int] = mapped_column(primary_key=True)
    filename: Mapped[str] = mapped_column(sa.String(255))
    file_hash: Mapped[str] = mapped_column(sa.String(64), index=True)
    created: Mapped[int] = mapped_column(default=0)
    updated: Mapped[int] = mapped_column(default=0)
    unchanged: Mapped[int] = mapped_column(default=0)
    imported_by_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("users.id"))
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime)
