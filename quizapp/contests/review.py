"""When a round's answer key may be shown: the review-visibility rules.

Owns the one reading of each ``ReviewPolicy`` (after the attempt, after the round
closes, after the whole contest ends, never), the contest's last closing time they
depend on, and whether anyone may already have seen a round's keys (which freezes
its closing time and the contest's rounds).  Callers ask here rather than switch on
the policy themselves.  Must not render or load attempts' answers (``quizapp.attempts``)
and writes nothing.

The contest's last closing time comes from ``Contest.rounds``.  When that collection is
not loaded yet, it is loaded at once for every contest the session holds without it (one
statement): a page that lists many rounds or attempts asks no statement per row.  So a
round joins or leaves a contest through that collection (as ``rounds`` does), not by its
foreign key alone in a session that already holds the contest.
"""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm.attributes import set_committed_value

from quizapp.attempts.models import Attempt, AttemptStatus
from quizapp.contests.models import Contest, ReviewPolicy, Round
from quizapp.contests.schedule import round_state
from quizapp.core.db import db, utcnow


def review_time_reached(rnd: Round, now: datetime | None = None) -> bool:
    """Whether the round's review policy lets a submitted attempt show its key now."""
    now = now or utcnow()
    policy = rnd.review_policy
    if policy == ReviewPolicy.AFTER_ATTEMPT:
        return True
    if policy == ReviewPolicy.AFTER_CLOSE:
        return round_state(rnd, now) == "closed"
    if policy == ReviewPolicy.AFTER_CONTEST:
        return now >= contest_closes_at(rnd.contest)
    return False


def contest_closes_at(contest: Contest) -> datetime:
    """When the contest's last round closes (its review after the contest opens then).

    Read from ``contest.rounds``: asked once per listed round or attempt, it must not cost
    a statement each time (see ``_load_rounds``)."""
    session = sa.orm.object_session(contest)
    if session is None:  # a detached copy: ask the database
        last = db.session.scalar(sa.select(sa.func.max(Round.closes_at)).where(Round.contest_id == contest.id))
    else:
        if "rounds" in sa.inspect(contest).unloaded:
            _load_rounds(session)
        last = max((r.closes_at for r in contest.rounds), default=None)
    return last if last is not None else datetime.max.replace(tzinfo=utcnow().tzinfo)


def _load_rounds(session) -> None:
    """Load ``Contest.rounds`` of every contest in ``session`` that has not loaded them, in one
    statement (what a ``selectinload`` on the page's query would have done)."""
    waiting = {c.id: c for c in list(session.identity_map.values())
               if isinstance(c, Contest) and "rounds" in sa.inspect(c).unloaded}
    found: dict[int, list[Round]] = {cid: [] for cid in waiting}
    for rnd in session.scalars(sa.select(Round).where(Round.contest_id.in_(list(waiting)))
                               .order_by(Round.contest_id, Round.number)):
        found[rnd.contest_id].append(rnd)
    for cid, contest in waiting.items():
        if "rounds" in sa.inspect(contest).unloaded:  # the query's autoflush may have loaded some
            set_committed_value(contest, "rounds", found[cid])


def review_opened(rnd: Round, now: datetime | None = None) -> bool:
    """Whether anyone may already have seen this round's keys in a review."""
    if not review_time_reached(rnd, now):
        return False
    return bool(db.session.scalar(sa.select(sa.exists().where(
        Attempt.round_id == rnd.id, Attempt.status == AttemptStatus.SUBMITTED))))


def contest_review_opened(contest: Contest, now: datetime | None = None) -> bool:
    """Whether anyone may already have seen keys that open after the whole contest: the
    ``review_opened`` of the contest's after-the-contest rounds, in one statement."""
    ids = [r.id for r in contest.rounds if r.review_policy == ReviewPolicy.AFTER_CONTEST]
    if not ids or (now or utcnow()) < contest_closes_at(contest):
        return False
    return bool(db.session.scalar(sa.select(sa.exists().where(
        Attempt.round_id.in_(ids), Attempt.status == AttemptStatus.SUBMITTED))))
