"""When rounds run: a round's state at a moment (upcoming, open, closed) and the
rounds of published contests that are open now or coming, for an entrant or a visitor.

Owns round timing.  Must not hold review visibility (``review``), eligibility itself
(``eligibility``) or time-zone conversion for forms and countdowns (``clock``); it
writes nothing.
"""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from quizapp.auth.models import User
from quizapp.contests.eligibility import is_eligible
from quizapp.contests.models import Contest, ContestStatus, Round
from quizapp.core.db import db, utcnow


def round_state(rnd: Round, now: datetime | None = None) -> str:
    """'upcoming', 'open' or 'closed'."""
    now = now or utcnow()
    if now < rnd.opens_at:
        return "upcoming"
    if now >= rnd.closes_at:
        return "closed"
    return "open"


def _published_rounds(now: datetime, *, open_now: bool) -> list[Round]:
    stmt = sa.select(Round).join(Contest, Contest.id == Round.contest_id).where(
        Contest.status == ContestStatus.PUBLISHED, Round.closes_at > now)
    stmt = stmt.where(Round.opens_at <= now) if open_now else stmt.where(Round.opens_at > now)
    return list(db.session.scalars(stmt.order_by(Round.opens_at, Round.id)))


def open_rounds_for(user: User, now: datetime | None = None) -> list[Round]:
    """Rounds open right now in published contests the user may enter."""
    now = now or utcnow()
    return _eligible_only(_published_rounds(now, open_now=True), user)


def _eligible_only(rounds: list[Round], user: User) -> list[Round]:
    verdicts: dict[int, bool] = {}
    for r in rounds:
        if r.contest_id not in verdicts:
            verdicts[r.contest_id] = is_eligible(r.contest, user)
    return [r for r in rounds if verdicts[r.contest_id]]


def upcoming_rounds_for(user: User | None, now: datetime | None = None, limit: int = 10) -> list[Round]:
    """Rounds not yet open in published contests (the user may enter, if given)."""
    now = now or utcnow()
    rounds = _published_rounds(now, open_now=False)
    if user is not None:
        rounds = _eligible_only(rounds, user)
    return rounds[:limit]


def open_rounds_public(now: datetime | None = None) -> list[Round]:
    """Rounds open right now in any published contest (for visitors)."""
    return _published_rounds(now or utcnow(), open_now=True)
