"""Campaign kit: where entrants came from, prizes and certificates, per-contest print settings."""
from __future__ import annotations

import enum
from datetime import datetime
from typing import Optional

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from quizapp.core.db import UTCDateTime, db, enum_column, utcnow


class ArrivalKind(enum.StrEnum):
    REGISTRATION = "registration"  # an account was created after following a tagged link
    ATTEMPT = "attempt"  # an attempt was started after following a tagged link


class Arrival(db.Model):
    """A registration or attempt that followed a tagged link (``?u=CODE``: a unit's
    code from its poster, or a channel such as ``zalo``/``facebook`` from a share link)."""

    __tablename__ = "campaign_arrivals"
    __table_args__ = (
        sa.Index("ix_campaign_arrivals_contest_tag", "contest_id", "tag"),
        # One per person, tag and kind: starting a second attempt is not a second arrival (issue 20 item 10).
        sa.Index("uq_campaign_arrivals_once", "contest_id", "tag", "user_id", "kind", unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    contest_id: Mapped[int] = mapped_column(sa.ForeignKey("contests.id", ondelete="CASCADE"))
    round_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("rounds.id", ondelete="CASCADE"))
    user_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("users.id"))
    tag: Mapped[str] = mapped_column(sa.String(32))
    kind: Mapped[ArrivalKind] = enum_column(ArrivalKind)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class AwardKind(enum.StrEnum):
    INDIVIDUAL = "individual"
    UNIT = "unit"
    FINISHER = "finisher"  # a certificate of completion for everyone who took part


class IssuedRecord:
    """Columns of a certificate record, issued once and never deleted: who issued it and when, and, once
    taken back, when, why and by whom (a verify page then says so).  Awards and live certificates."""

    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("users.id"))
    revoked_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    revoked_reason: Mapped[Optional[str]] = mapped_column(sa.String(500))
    revoked_by_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("users.id"))

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None


class Award(IssuedRecord, db.Model):
    """A prize (or a certificate of completion) given from a round's or the contest's ranking.

    Name, unit and achievement are copied when the prize is marked, so a
    certificate and its verify page stay as issued.  The verification code is
    derived from the id (see ``verification.verification_code``), so marking every
    finisher is one INSERT ... SELECT.

    A row, once written, is a record: it is never deleted nor rewritten.  Taking a
    certificate back sets ``revoked_at`` with a reason, and its verify page says so.
    """

    __tablename__ = "campaign_awards"
    __table_args__ = (
        sa.Index("ix_campaign_awards_contest_round", "contest_id", "round_id", "kind"),
        sa.Index("ix_campaign_awards_user", "user_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    contest_id: Mapped[int] = mapped_column(sa.ForeignKey("contests.id", ondelete="CASCADE"))
    round_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("rounds.id", ondelete="CASCADE"))
    kind: Mapped[AwardKind] = enum_column(AwardKind)
    user_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("users.id"))
    unit_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("units.id"))
    recipient_name: Mapped[str] = mapped_column(sa.String(255))
    unit_name: Mapped[str] = mapped_column(sa.String(255), default="")
    prize: Mapped[str] = mapped_column(sa.String(120))
    position: Mapped[int] = mapped_column(default=0)  # order in the ranking when marked
    rank: Mapped[Optional[int]]
    score: Mapped[Optional[int]]
    max_score: Mapped[Optional[int]]


class CampaignSettings(db.Model):
    """What a contest prints on its posters and certificates, and whether its winners are published."""

    __tablename__ = "campaign_settings"

    contest_id: Mapped[int] = mapped_column(sa.ForeignKey("contests.id", ondelete="CASCADE"), primary_key=True)
    organiser: Mapped[str] = mapped_column(sa.String(255), default="")
    issuer: Mapped[str] = mapped_column(sa.String(255), default="")  # e.g. BAN TỔ CHỨC CUỘC THI
    place: Mapped[str] = mapped_column(sa.String(120), default="")
    signer_title: Mapped[str] = mapped_column(sa.String(120), default="")
    signer_name: Mapped[str] = mapped_column(sa.String(120), default="")
    winners_published_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
