"""When a round's answer key may be shown: the review-visibility rules.

Owns the one reading of each ``ReviewPolicy`` (after the attempt, after the round
closes, after the whole contest ends, never), the contest's last closing time they
depend on, and whether anyone may already have seen a round's keys (which freezes
its closing time and the contest's rounds).  Every page and the submit path ask here
rather than switch on the policy themselves.  Must not render or load attempts' answers
(``quizapp.attempts``) and writes nothing.

The contest's last closing time comes from ``Contest.rounds``, which is loaded for
every listed contest in one batch (``lazy="selectin"``): a page that lists many
rounds or attempts asks no extra statement per row.
"""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

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

    Read from ``contest.rounds``, loaded with the contest (no statement of its own): asked
    once per listed round or attempt, it must not cost a query each time."""
    last = max((r.closes_at for r in contest.rounds), default=None)
    return last if last is not None else datetime.max.replace(tzinfo=utcnow().tzinfo)


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
