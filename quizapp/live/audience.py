"""Audience prizes (giải khán giả): a numbered ticket per audience phone and the winners of each
audience question.

* **Tickets.**  When an audience phone first opens the event's page it gets a ticket ("Phiếu số
  0427"), the MC's way to name a winner in the hall.  The number comes from the event's counter
  (``live_events.audience_tickets``), bumped *in SQL*: on PostgreSQL the row lock orders two phones
  joining at once, on SQLite the write lock does, so two phones never get one number; the unique
  constraints (event, number) and (event, device) hold it in the database anyway.  The ticket belongs
  to the device id of the signed audience cookie; nothing a request carries names a ticket.
* **Winners.**  After an audience question (not a poll) is revealed, its first ``audience_prizes``
  right answers from audience phones (never a team's), by the server's arrival time (then the row id),
  are its winners.  Nothing of this goes out before the reveal.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from quizapp.core.db import db
from quizapp.live.models import (EventStatus, ItemStatus, LiveAnswer, LiveAudienceTicket, LiveEvent, LiveItem,
                                 LivePart, PartKind)


def label(number: int) -> str:
    """The ticket as read aloud and printed: at least four digits ("0427")."""
    return f"{number:04d}"


def ticket_of(event_id: int, device_id: str) -> int | None:
    return db.session.scalar(sa.select(LiveAudienceTicket.number).where(
        LiveAudienceTicket.event_id == event_id, LiveAudienceTicket.device_id == device_id))


def issue_ticket(event: LiveEvent, device_id: str, fresh: bool = False) -> int | None:
    """The ticket number of an audience device of a running event, issued on its first visit.
    ``fresh``: the device id was made for this request (no ticket can exist yet: no read first).
    None when the event is not running (a finished event's page issues nothing)."""
    if not fresh:
        number = ticket_of(event.id, device_id)
        if number is not None:
            return number
    if event.status != EventStatus.RUNNING:
        return None
    event_id = event.id
    # The counter moves in SQL (never read-then-write in Python): this row is the one lock two joins meet.
    db.session.execute(sa.update(LiveEvent).where(LiveEvent.id == event_id)
                       .values(audience_tickets=LiveEvent.audience_tickets + 1)
                       .execution_options(synchronize_session=False))
    number = db.session.scalar(sa.select(LiveEvent.audience_tickets).where(LiveEvent.id == event_id))
    db.session.add(LiveAudienceTicket(event_id=event_id, device_id=device_id, number=number))
    try:
        db.session.flush()
    except sa.exc.IntegrityError:
        # The same device's two first requests raced (a double tap): the other one holds its ticket.
        db.session.rollback()
        number = ticket_of(event_id, device_id)
        if number is None:
            raise
    return number


@dataclass(frozen=True)
class Winner:
    ticket: int
    received_at: datetime
    seconds: float | None  # after the question opened (server clock)

    @property
    def label(self) -> str:
        return label(self.ticket)


def gives_prizes(part: LivePart) -> bool:
    return part.kind == PartKind.AUDIENCE and not part.poll and (part.audience_prizes or 0) > 0


def winners(item: LiveItem) -> list[Winner]:
    """The first ``audience_prizes`` right answers to a revealed audience question from audience phones
    holding a ticket, by the server's arrival time; [] before the reveal, for a poll or with 0 prizes."""
    part = item.part
    if item.revealed_at is None or item.question is None or not gives_prizes(part):
        return []
    rows = db.session.execute(
        sa.select(LiveAudienceTicket.number, LiveAnswer.received_at)
        .join(LiveAudienceTicket, sa.and_(LiveAudienceTicket.event_id == part.event_id,
                                          LiveAnswer.voter == sa.literal("d") + LiveAudienceTicket.device_id))
        .where(LiveAnswer.item_id == item.id, LiveAnswer.team_id.is_(None), LiveAnswer.is_correct.is_(True))
        .order_by(LiveAnswer.received_at, LiveAnswer.id).limit(part.audience_prizes)).all()
    opened = item.opened_at
    return [Winner(n, at, round((at - opened).total_seconds(), 2) if opened else None) for n, at in rows]


@dataclass
class QuestionPrizes:
    """An audience question that was asked and revealed, with its winners (for the records)."""
    part_title: str
    number: int  # the question's number in its part
    text: str
    prizes: int
    opened_at: datetime | None
    winners: list[Winner]


def records(event: LiveEvent) -> list[QuestionPrizes]:
    """Every revealed audience question of the event that gives prizes, in the parts' order."""
    out = []
    for part in event.parts:
        if not gives_prizes(part):
            continue
        asked = [i for i in part.items if i.status == ItemStatus.USED and i.opened_at is not None]
        for n, item in enumerate(sorted(asked, key=lambda i: i.opened_at), start=1):
            if item.revealed_at is None or item.question is None:
                continue
            out.append(QuestionPrizes(part.title, n, item.question.text, part.audience_prizes, item.opened_at,
                                      winners(item)))
    return out
