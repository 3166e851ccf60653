"""Contests, their rounds, quotas, eligibility and individual exceptions."""
from __future__ import annotations

import enum
from datetime import datetime
from decimal import Decimal
from typing import Optional

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from quizapp.core.db import TimestampMixin, UTCDateTime, db, enum_column


class ContestStatus(enum.StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    ARCHIVED = "archived"


class ResultsVisibility(enum.StrEnum):
    PUBLIC = "public"
    LOGGED_IN = "logged_in"
    ORGANISERS = "organisers"


class ContestAggregate(enum.StrEnum):
    SUM = "sum"  # contest score = sum of the rounds' counted attempts
    BEST = "best"  # contest score = best round


class CountedAttempt(enum.StrEnum):
    BEST = "best"
    FIRST = "first"
    LAST = "last"


class PredictionMode(enum.StrEnum):
    OFF = "off"
    PERFECT_COUNT = "perfect_count"  # how many entrants answer every question correctly
    ENTRANT_COUNT = "entrant_count"  # how many entrants take part in the round
    PERFECT_PERCENT = "perfect_percent"  # percentage of entrants with all correct


class ReviewPolicy(enum.StrEnum):
    AFTER_ATTEMPT = "after_attempt"
    AFTER_CLOSE = "after_close"
    AFTER_CONTEST = "after_contest"  # once the contest's last round has closed
    NEVER = "never"


# Default individual ranking order (most common in Vietnamese contests).
DEFAULT_RANKING_ORDER = "score,prediction,duration,submitted_at"
DEFAULT_UNIT_RANKING = "participation,average"


contest_units = sa.Table(
    "contest_units",
    db.metadata,
    sa.Column("contest_id", sa.ForeignKey("contests.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("unit_id", sa.ForeignKey("units.id"), primary_key=True),
)


class Contest(TimestampMixin, db.Model):
    __tablename__ = "contests"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(sa.String(80), unique=True)
    title: Mapped[str] = mapped_column(sa.String(255))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    rules: Mapped[str] = mapped_column(sa.Text, default="")
    status: Mapped[ContestStatus] = enum_column(ContestStatus, default=ContestStatus.DRAFT)
    # Eligibility: everyone, or the listed units with their sub-units and/or
    # the listed entrant categories (comma-separated EntrantCategory values).
    open_to_all: Mapped[bool] = mapped_column(default=True)
    eligible_categories: Mapped[str] = mapped_column(sa.String(255), default="")
    # Unit blocs (khối) competing for collective prizes, comma-separated.
    blocs: Mapped[str] = mapped_column(sa.String(255), default="")
    ranking_order: Mapped[str] = mapped_column(sa.String(128), default=DEFAULT_RANKING_ORDER)
    aggregate: Mapped[ContestAggregate] = enum_column(ContestAggregate, default=ContestAggregate.SUM)
    unit_ranking_order: Mapped[str] = mapped_column(sa.String(128), default=DEFAULT_UNIT_RANKING)
    min_participation_rate: Mapped[Decimal] = mapped_column(sa.Numeric(5, 2), default=0)
    results_visibility: Mapped[ResultsVisibility] = enum_column(
        ResultsVisibility, default=ResultsVisibility.PUBLIC
    )
    published_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    created_by_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("users.id"))

    rounds: Mapped[list["Round"]] = relationship(
        back_populates="contest", order_by="Round.number", cascade="all, delete-orphan"
    )
    units = relationship("Unit", secondary=contest_units)


class Round(TimestampMixin, db.Model):
    """A round (vòng thi; older documents say tuần thi / đợt thi) of a contest."""

    __tablename__ = "rounds"
    __table_args__ = (
        sa.UniqueConstraint("contest_id", "number"),
        sa.CheckConstraint("closes_at > opens_at", name="closes_after_opens"),
        sa.CheckConstraint("time_limit_seconds > 0", name="time_limit_positive"),
        sa.CheckConstraint("attempts_allowed > 0", name="attempts_allowed_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    contest_id: Mapped[int] = mapped_column(sa.ForeignKey("contests.id", ondelete="CASCADE"))
    number: Mapped[int]
    title: Mapped[str] = mapped_column(sa.String(255))
    opens_at: Mapped[datetime] = mapped_column(UTCDateTime)
    closes_at: Mapped[datetime] = mapped_column(UTCDateTime)
    time_limit_seconds: Mapped[int] = mapped_column(default=20 * 60)
    attempts_allowed: Mapped[int] = mapped_column(default=3)
    counted_attempt: Mapped[CountedAttempt] = enum_column(CountedAttempt, default=CountedAttempt.BEST)
    shuffle_questions: Mapped[bool] = mapped_column(default=True)
    shuffle_options: Mapped[bool] = mapped_column(default=True)
    one_page: Mapped[bool] = mapped_column(default=True)
    prediction_mode: Mapped[PredictionMode] = enum_column(
        PredictionMode, default=PredictionMode.PERFECT_COUNT
    )
    review_policy: Mapped[ReviewPolicy] = enum_column(ReviewPolicy, default=ReviewPolicy.AFTER_CLOSE)
    # Per-round pool: prefer questions no attempt of an earlier round of the
    # contest has drawn (falling back to used ones only when too few remain).
    fresh_questions: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    # Entrant groups with their own quotas (RoundQuota.entrant_group) are
    # ranked each on their own (True) or all together (False).
    rank_groups_separately: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    # A round without a prediction question shows its results live while it is open (True)
    # or publishes them when it is finalised (False); a round with one always waits
    # (``leaderboards.visibility.release``).
    live_results: Mapped[bool] = mapped_column(default=True, server_default=sa.true())
    # The true figure for the prediction once the round has closed.
    prediction_truth: Mapped[Optional[Decimal]] = mapped_column(sa.Numeric(20, 6))
    finalized_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)

    contest: Mapped[Contest] = relationship(back_populates="rounds")
    quotas: Mapped[list["RoundQuota"]] = relationship(
        back_populates="round", cascade="all, delete-orphan"
    )

    def quotas_for(self, category: str | None = None) -> list["RoundQuota"]:
        """The quota cells an entrant of ``category`` draws from: their group's own
        cells if the round gives the category some, else the common cells."""
        own = [q for q in self.quotas if category and q.entrant_group == category]
        return own or [q for q in self.quotas if not q.entrant_group]

    def question_count(self, category: str | None = None) -> int:
        return sum(q.count for q in self.quotas_for(category))

    @property
    def group_categories(self) -> list[str]:
        """Entrant categories with their own quota cells."""
        return sorted({q.entrant_group for q in self.quotas if q.entrant_group})


class RoundQuota(db.Model):
    """How many questions a round draws from one area (and difficulty; 0 = any).

    ``entrant_group`` is an entrant category (``EntrantCategory`` value) whose
    entrants draw from the cells of their group instead of the common cells
    (``""``, everyone else)."""

    __tablename__ = "round_quotas"
    __table_args__ = (
        sa.UniqueConstraint("round_id", "entrant_group", "area_id", "difficulty"),
        sa.CheckConstraint("difficulty BETWEEN 0 AND 3", name="difficulty_range"),
        sa.CheckConstraint("count > 0", name="count_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(sa.ForeignKey("rounds.id", ondelete="CASCADE"))
    area_id: Mapped[int] = mapped_column(sa.ForeignKey("reform_areas.id"))
    difficulty: Mapped[int] = mapped_column(sa.SmallInteger, default=0)
    count: Mapped[int]
    entrant_group: Mapped[str] = mapped_column(sa.String(24), default="", server_default="")

    round: Mapped[Round] = relationship(back_populates="quotas")
    area = relationship("ReformArea")


class Grant(db.Model):
    """An individual exception: extra minutes or attempts for one entrant."""

    __tablename__ = "grants"
    __table_args__ = (
        sa.CheckConstraint("extra_minutes >= 0 AND extra_attempts >= 0", name="non_negative"),
        sa.Index("ix_grants_round_user", "round_id", "user_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(sa.ForeignKey("rounds.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    extra_minutes: Mapped[int] = mapped_column(default=0)
    extra_attempts: Mapped[int] = mapped_column(default=0)
    reason: Mapped[str] = mapped_column(sa.Text)
    granted_by_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
