"""The live in-hall contest (hội thi): events, teams, parts, questions on stage, answers, buzzes,
the score ledger and the judges' score sheets.

Everything the screens show lives here, not in a process: the event row holds the current part,
question and phase with a ``version`` bumped on every change, and the question row holds its
``opened_at`` / ``closes_at`` by the server's clock.  A second app process (or a reload) reads the
same state.  Answers carry the device's own id (``client_id``) and are unique per question and
voter, so a resent answer is recorded once.
"""
from __future__ import annotations

import enum
from datetime import datetime
from typing import Optional

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from quizapp.campaign.models import IssuedRecord
from quizapp.core.db import TimestampMixin, UTCDateTime, db, enum_column, utcnow


class EventStatus(enum.StrEnum):
    DRAFT = "draft"
    RUNNING = "running"
    FINISHED = "finished"


class Phase(enum.StrEnum):
    """What the hall sees right now."""

    LOBBY = "lobby"            # the event's title and teams, before the first question
    INTRO = "intro"            # a part's title card
    OPEN = "open"              # a question is open: teams answer / buzz
    PAUSED = "paused"          # the MC paused an open question (remaining time kept)
    CLOSED = "closed"          # time is up (or the MC closed it): no more answers, key not shown
    REVEALED = "revealed"      # the right answer and the distribution are shown
    SCOREBOARD = "scoreboard"  # the running scoreboard
    JUDGING = "judging"        # a judged part: judges score, the screen shows who is on stage
    PODIUM = "podium"          # final results


class PartKind(enum.StrEnum):
    KNOWLEDGE = "knowledge"
    BUZZER = "buzzer"
    JUDGED = "judged"
    AUDIENCE = "audience"
    TIEBREAK = "tiebreak"


class JudgeMode(enum.StrEnum):
    MEAN = "mean"
    TRIMMED = "trimmed"  # mean without the highest and the lowest


class ItemStatus(enum.StrEnum):
    PENDING = "pending"
    USED = "used"
    SKIPPED = "skipped"


class LiveEvent(TimestampMixin, db.Model):
    __tablename__ = "live_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(sa.String(255))
    venue: Mapped[Optional[str]] = mapped_column(sa.String(255))
    held_on: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    status: Mapped[EventStatus] = enum_column(EventStatus, default=EventStatus.DRAFT)
    phase: Mapped[Phase] = enum_column(Phase, default=Phase.LOBBY)
    # The audience's join code (QR on the projector); team codes are per team.
    audience_code: Mapped[str] = mapped_column(sa.String(12), unique=True)
    current_part_id: Mapped[Optional[int]]  # plain ids: no cycle between the tables
    current_item_id: Mapped[Optional[int]]
    # Team on stage during a judged part.
    stage_team_id: Mapped[Optional[int]]
    # Bumped on every change of what the screens show; every stream message carries it.
    version: Mapped[int] = mapped_column(default=1)
    publish_judges: Mapped[bool] = mapped_column(default=False)
    results_published: Mapped[bool] = mapped_column(default=False)
    # The last audience ticket number issued (``audience.issue_ticket`` bumps it in SQL, so two phones
    # joining at once never get one number).
    audience_tickets: Mapped[int] = mapped_column(default=0, server_default="0")
    created_by_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("users.id"))

    teams: Mapped[list["LiveTeam"]] = relationship(
        back_populates="event", order_by="LiveTeam.position", cascade="all, delete-orphan",
        foreign_keys="LiveTeam.event_id")
    parts: Mapped[list["LivePart"]] = relationship(
        back_populates="event", order_by="LivePart.position", cascade="all, delete-orphan",
        foreign_keys="LivePart.event_id")
    judges: Mapped[list["LiveJudge"]] = relationship(cascade="all, delete-orphan")


class LiveTeam(db.Model):
    __tablename__ = "live_teams"
    __table_args__ = (sa.UniqueConstraint("event_id", "unit_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(sa.ForeignKey("live_events.id", ondelete="CASCADE"), index=True)
    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("units.id"))
    name: Mapped[str] = mapped_column(sa.String(255))
    members: Mapped[list] = mapped_column(sa.JSON, default=list)  # 1–5 names
    position: Mapped[int] = mapped_column(default=0)
    join_code: Mapped[str] = mapped_column(sa.String(12), unique=True)
    # Bumped when the organiser issues a new code: devices joined with the old one are out.
    code_generation: Mapped[int] = mapped_column(default=1)

    event: Mapped[LiveEvent] = relationship(back_populates="teams", foreign_keys=[event_id])


class LivePart(db.Model):
    __tablename__ = "live_parts"
    __table_args__ = (sa.CheckConstraint("seconds BETWEEN 3 AND 600", name="seconds_range"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(sa.ForeignKey("live_events.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    kind: Mapped[PartKind] = enum_column(PartKind)
    title: Mapped[str] = mapped_column(sa.String(255))
    seconds: Mapped[int] = mapped_column(default=20)
    points: Mapped[float] = mapped_column(sa.Float, default=10)
    # Knowledge: up to this many extra points for a right answer, falling linearly to 0 at the close.
    speed_bonus: Mapped[float] = mapped_column(sa.Float, default=0)
    # Buzzer: points lost on a wrong answer, and whether the question then opens to the others.
    wrong_penalty: Mapped[float] = mapped_column(sa.Float, default=0)
    pass_on: Mapped[bool] = mapped_column(default=True)
    judge_mode: Mapped[JudgeMode] = enum_column(JudgeMode, default=JudgeMode.MEAN)
    rubric: Mapped[list] = mapped_column(sa.JSON, default=list)  # [{"name": str, "max": number}]
    # Audience: a poll (vote for a team) instead of a question with a right answer.
    poll: Mapped[bool] = mapped_column(default=False)
    # A prize of the part's own ("Tiểu phẩm hay nhất") for the team(s) with the most points in it (a
    # poll: the most audience votes); None: no such prize.
    prize_title: Mapped[Optional[str]] = mapped_column(sa.String(120))
    # Audience question (not a poll): how many audience prizes each question gives (its first right
    # answers by the server's arrival time); 0: none.
    audience_prizes: Mapped[int] = mapped_column(default=3, server_default="3")

    event: Mapped[LiveEvent] = relationship(back_populates="parts", foreign_keys=[event_id])
    items: Mapped[list["LiveItem"]] = relationship(
        back_populates="part", order_by="(LiveItem.is_reserve, LiveItem.position)", cascade="all, delete-orphan")


class LiveItem(db.Model):
    """One question of a part (or a reserve for ties and skips), with its timing by the server's clock."""

    __tablename__ = "live_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    part_id: Mapped[int] = mapped_column(sa.ForeignKey("live_parts.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    question_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("questions.id"))  # None: a poll
    is_reserve: Mapped[bool] = mapped_column(default=False)
    status: Mapped[ItemStatus] = enum_column(ItemStatus, default=ItemStatus.PENDING)
    opened_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    closes_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    closed_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    revealed_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    paused_remaining_ms: Mapped[Optional[int]]
    # Buzzer: the team holding the right to answer now.
    buzz_holder_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("live_teams.id"))

    part: Mapped[LivePart] = relationship(back_populates="items")
    question = relationship("Question")


class LiveAnswer(db.Model):
    """A team's or an audience device's answer.  ``voter`` is ``t<team id>`` or ``d<device id>``:
    one answer per question and voter; a resend with the same ``client_id`` is the same answer."""

    __tablename__ = "live_answers"
    __table_args__ = (sa.UniqueConstraint("item_id", "voter"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(sa.ForeignKey("live_items.id", ondelete="CASCADE"), index=True)
    voter: Mapped[str] = mapped_column(sa.String(40))
    team_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("live_teams.id", ondelete="CASCADE"))
    client_id: Mapped[str] = mapped_column(sa.String(40))
    option_id: Mapped[Optional[int]]  # an option of the question, or a team id in a poll
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    is_correct: Mapped[Optional[bool]]


class LiveAudienceTicket(db.Model):
    """An audience phone's ticket ("Phiếu số 0427"): one per device id of the signed audience cookie,
    numbered 1, 2, 3… within the event (the event's counter), read aloud by the MC to name a winner."""

    __tablename__ = "live_audience_tickets"
    __table_args__ = (sa.UniqueConstraint("event_id", "number"), sa.UniqueConstraint("event_id", "device_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(sa.ForeignKey("live_events.id", ondelete="CASCADE"))
    device_id: Mapped[str] = mapped_column(sa.String(20))
    number: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class LiveBuzz(db.Model):
    """A press of the buzzer, ordered by the server's arrival (its id), one per team and question."""

    __tablename__ = "live_buzzes"
    __table_args__ = (sa.UniqueConstraint("item_id", "team_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(sa.ForeignKey("live_items.id", ondelete="CASCADE"), index=True)
    team_id: Mapped[int] = mapped_column(sa.ForeignKey("live_teams.id", ondelete="CASCADE"))
    client_id: Mapped[str] = mapped_column(sa.String(40))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # None while waiting; True right, False wrong (marked by the MC).
    verdict: Mapped[Optional[bool]]


class ScoreKind(enum.StrEnum):
    ANSWER = "answer"          # a right answer in a knowledge part
    SPEED = "speed"            # its speed bonus
    BUZZER = "buzzer"          # a buzzer mark (right: points, wrong: penalty)
    TIEBREAK = "tiebreak"      # counted apart: only breaks ties
    CORRECTION = "correction"  # the MC's or jury's correction, with a reason


class LiveScore(db.Model):
    """The score ledger: every point a team earned or lost, with who gave it.  A correction voids
    an entry (``voided_at``, never deleted) and adds one with its reason."""

    __tablename__ = "live_scores"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(sa.ForeignKey("live_events.id", ondelete="CASCADE"), index=True)
    team_id: Mapped[int] = mapped_column(sa.ForeignKey("live_teams.id", ondelete="CASCADE"), index=True)
    part_id: Mapped[int] = mapped_column(sa.ForeignKey("live_parts.id", ondelete="CASCADE"))
    item_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("live_items.id", ondelete="CASCADE"))
    kind: Mapped[ScoreKind] = enum_column(ScoreKind)
    points: Mapped[float] = mapped_column(sa.Float)
    reason: Mapped[Optional[str]] = mapped_column(sa.String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("users.id"))
    voided_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    voided_by_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("users.id"))


class LiveJudge(db.Model):
    __tablename__ = "live_judges"
    __table_args__ = (sa.UniqueConstraint("event_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(sa.ForeignKey("live_events.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    position: Mapped[int] = mapped_column(default=0)

    user = relationship("User")


class LiveJudgeScore(db.Model):
    """One judge's score sheet for one team in one judged part (criterion scores and their total)."""

    __tablename__ = "live_judge_scores"
    __table_args__ = (sa.UniqueConstraint("part_id", "team_id", "judge_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    part_id: Mapped[int] = mapped_column(sa.ForeignKey("live_parts.id", ondelete="CASCADE"), index=True)
    team_id: Mapped[int] = mapped_column(sa.ForeignKey("live_teams.id", ondelete="CASCADE"))
    judge_id: Mapped[int] = mapped_column(sa.ForeignKey("live_judges.id", ondelete="CASCADE"))
    scores: Mapped[list] = mapped_column(sa.JSON, default=list)
    total: Mapped[float] = mapped_column(sa.Float)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class LiveCertificate(IssuedRecord, db.Model):
    """A certificate of a live event: one for a team (``member_no`` 0) and one for each of its
    members (1–5, in the team's order), issued from the results the organiser published.

    What it says is copied when it is issued (event, venue, date, team, unit, member, place, prize),
    so the certificate and its verify page stay as issued.  The verification code is signed from the
    id (``certificates.code_of``: the campaign kit's HMAC under its own domain).  A row, once written,
    is a record: never deleted nor rewritten; taking a certificate back sets ``revoked_at`` with a
    reason, and ``/verify/<code>`` says so."""

    __tablename__ = "live_certificates"
    __table_args__ = (sa.Index("ix_live_certificates_event_team", "event_id", "team_id", "member_no"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(sa.ForeignKey("live_events.id"))
    team_id: Mapped[int] = mapped_column(sa.ForeignKey("live_teams.id"))
    member_no: Mapped[int] = mapped_column(default=0)
    member_name: Mapped[str] = mapped_column(sa.String(255), default="")
    team_name: Mapped[str] = mapped_column(sa.String(255))
    unit_name: Mapped[str] = mapped_column(sa.String(255), default="")
    event_title: Mapped[str] = mapped_column(sa.String(255))
    venue: Mapped[str] = mapped_column(sa.String(255), default="")
    held_at: Mapped[datetime] = mapped_column(UTCDateTime)  # the event's date (its end when none was set)
    place: Mapped[int]
    prize: Mapped[str] = mapped_column(sa.String(120))

    @property
    def recipient(self) -> str:
        return self.member_name if self.member_no else self.team_name
