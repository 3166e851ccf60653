"""Rounds an entrant may enter: the entrant's round list and one round's start page facts.

Owns: which published, eligible rounds an entrant sees, and their attempts used/allowed.
Must not: start, save or grade anything (``start``, ``answers``, ``submit``), or decide
eligibility itself (``contests.eligibility.is_eligible`` does).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from quizapp.attempts.clock import grace
from quizapp.attempts.errors import err
from quizapp.attempts.models import Attempt, AttemptStatus
from quizapp.auth.models import User
from quizapp.contests.models import Contest, ContestStatus, Round
from quizapp.contests.eligibility import is_eligible
from quizapp.contests.grants import limits_for
from quizapp.contests.schedule import round_state
from quizapp.core.db import db, utcnow


def get_round_for_entrant(round_id: int, user: User) -> Round:
    """The round, if its contest is published and the entrant may enter it."""
    # The round with its contest and quotas, in one query.
    rnd = db.session.get(Round, round_id, options=[sa.orm.joinedload(Round.contest), sa.orm.selectinload(Round.quotas)])
    if rnd is None or rnd.contest.status != ContestStatus.PUBLISHED:
        raise err("round_not_found", _l("This round does not exist or is not published."), 404)
    if not is_eligible(rnd.contest, user):
        raise err("not_eligible", _l("You are not eligible for this contest."), 403)
    return rnd


@dataclass(frozen=True)
class RoundForEntrant:
    round: Round
    state: str
    attempts_used: int
    attempts_allowed: int
    time_limit_seconds: int
    open_attempt_id: int | None

    @property
    def can_start(self) -> bool:
        return self.state == "open" and (
            self.open_attempt_id is not None or self.attempts_used < self.attempts_allowed
        )


def round_for_entrant(rnd: Round, user: User, now: datetime | None = None) -> RoundForEntrant:
    now = now or utcnow()
    limits = limits_for(rnd, user.id)
    rows = db.session.execute(
        sa.select(Attempt.id, Attempt.status, Attempt.deadline_at)
        .where(Attempt.round_id == rnd.id, Attempt.user_id == user.id)
    ).all()
    open_id = next((r.id for r in rows if r.status == AttemptStatus.IN_PROGRESS
                    and now <= r.deadline_at + grace()), None)
    return RoundForEntrant(
        round=rnd, state=round_state(rnd, now), attempts_used=len(rows),
        attempts_allowed=limits.attempts_allowed,
        time_limit_seconds=int(limits.time_limit.total_seconds()), open_attempt_id=open_id,
    )


def open_rounds_for(user: User, now: datetime | None = None) -> list[RoundForEntrant]:
    """Rounds open now in published contests the entrant is eligible for."""
    now = now or utcnow()
    rounds = db.session.scalars(
        sa.select(Round).join(Contest)
        .where(Contest.status == ContestStatus.PUBLISHED, Round.opens_at <= now, Round.closes_at > now)
        .order_by(Round.closes_at, Round.id)
    ).all()
    return [round_for_entrant(r, user, now) for r in rounds if is_eligible(r.contest, user)]
