"""Contest rules shared by the organiser's builder and the attempt engine.

Read-side rules live here (who may enter, whether a round is open, the
limits that apply to one entrant after individual grants).  The builder's
write-side rules (create, validate, publish, grant) are added beside them.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa

from quizapp.auth.models import User
from quizapp.contests.models import Contest, ContestStatus, Grant, Round, contest_units
from quizapp.core.db import db, utcnow
from quizapp.units.models import Unit


def categories_of(contest: Contest) -> set[str]:
    return {c for c in (contest.eligible_categories or "").split(",") if c}


def is_eligible(contest: Contest, user: User) -> bool:
    """All registered users, or members of the chosen units (with sub-units)
    and/or of the chosen entrant categories."""
    if contest.status != ContestStatus.PUBLISHED or not user.is_active:
        return False
    if contest.open_to_all:
        return True
    categories = categories_of(contest)
    if categories and user.category.value not in categories:
        return False
    unit_paths = db.session.scalars(
        sa.select(Unit.path).join(contest_units, contest_units.c.unit_id == Unit.id)
        .where(contest_units.c.contest_id == contest.id)
    ).all()
    if not unit_paths:
        return bool(categories)
    if user.unit is None:
        return False
    return any(user.unit.path.startswith(p) for p in unit_paths)


def round_state(rnd: Round, now: datetime | None = None) -> str:
    """'upcoming', 'open' or 'closed'."""
    now = now or utcnow()
    if now < rnd.opens_at:
        return "upcoming"
    if now >= rnd.closes_at:
        return "closed"
    return "open"


@dataclass(frozen=True)
class EntrantLimits:
    attempts_allowed: int
    time_limit: timedelta


def limits_for(rnd: Round, user_id: int) -> EntrantLimits:
    """The round's limits plus every grant made to this entrant."""
    extra_minutes, extra_attempts = db.session.execute(
        sa.select(sa.func.coalesce(sa.func.sum(Grant.extra_minutes), 0),
                  sa.func.coalesce(sa.func.sum(Grant.extra_attempts), 0))
        .where(Grant.round_id == rnd.id, Grant.user_id == user_id)
    ).one()
    return EntrantLimits(
        attempts_allowed=rnd.attempts_allowed + int(extra_attempts),
        time_limit=timedelta(seconds=rnd.time_limit_seconds, minutes=int(extra_minutes)),
    )
