"""Standings kept current in the submit transaction: one row per entrant and round."""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Optional

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from quizapp.core.db import UTCDateTime, db


class Standing(db.Model):
    """The counted attempt of one entrant in one round (best, first or last)."""

    __tablename__ = "standings"
    __table_args__ = (
        sa.UniqueConstraint("round_id", "user_id"),
        sa.Index("ix_standings_rank", "round_id", "score", "duration_ms"),
        sa.Index("ix_standings_round_unit", "round_id", "unit_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(sa.ForeignKey("rounds.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    unit_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("units.id"))
    category: Mapped[str] = mapped_column(sa.String(24))
    attempt_id: Mapped[int] = mapped_column(sa.ForeignKey("attempts.id"))
    attempts_count: Mapped[int] = mapped_column(default=1)
    score: Mapped[int]
    max_score: Mapped[int]
    duration_ms: Mapped[int] = mapped_column(sa.BigInteger)
    prediction: Mapped[Optional[Decimal]] = mapped_column(sa.Numeric(20, 6))
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime)
