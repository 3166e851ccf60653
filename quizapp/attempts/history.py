"""An entrant's own history ("Bài thi của tôi", page and ``GET /api/v1/attempts``) and the reviews
that opened for them.

Owns: ``my_attempts``, the one list of an entrant's attempts both the page and the API show,
and ``reviews_opened`` (the home page's notice).
Must not: decide when a review opens (``review.review_visible`` / the contests rule) or rank
(the place comes from ``leaderboards.places.own_place``).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from quizapp.attempts.models import Attempt, AttemptStatus
from quizapp.attempts.review import review_visible
from quizapp.contests.models import Contest, ReviewPolicy, Round
from quizapp.core.db import db, utcnow

REVIEW_NOTICE_DAYS = 14  # how long the home page says that a round's answers were published


@dataclass(frozen=True)
class HistoryItem:
    attempt: Attempt
    round: Round
    contest: Contest
    place: int | None  # the entrant's place in the round (for the counted attempt), if results are shown
    counted: bool  # this attempt is the one the round's ranking counts
    review: bool  # the right answers may be shown now
    place_detail: object = None  # leaderboards.places.Place behind ``place`` (rank among how many, final)
    regrades: tuple = ()  # RegradeChange rows: the score was changed after a key correction


def _counted_and_places(user, round_ids: set[int],
                        places_wanted: bool = True) -> tuple[dict[int, int], dict]:
    """(round id → counted attempt id, round id → ``Place``); a place only where the
    entrant may see the round's results (and none unless ``places_wanted``)."""
    from quizapp.leaderboards.models import Standing
    from quizapp.leaderboards.places import own_place

    counted = dict(db.session.execute(
        sa.select(Standing.round_id, Standing.attempt_id)
        .where(Standing.user_id == user.id, Standing.round_id.in_(round_ids))).all()) if round_ids else {}
    places: dict = {}
    # The place the results pages show, from the cached snapshot (no row query).
    for round_id in counted if places_wanted else ():
        place = own_place(round_id, user)
        if place is not None:
            places[round_id] = place
    return counted, places


def my_attempts(user, now: datetime | None = None, places: bool = True) -> list[HistoryItem]:
    """Every attempt of ``user``, newest first (by submission, else start), with score, time,
    place (unless ``places`` is false) and whether the review may
    be shown."""
    now = now or utcnow()
    attempts = db.session.scalars(
        sa.select(Attempt).options(joinedload(Attempt.round).joinedload(Round.contest))
        .where(Attempt.user_id == user.id)
        .order_by(sa.func.coalesce(Attempt.submitted_at, Attempt.started_at).desc(), Attempt.id.desc())
    ).all()
    counted, found = _counted_and_places(user, {a.round_id for a in attempts
                                                if a.status == AttemptStatus.SUBMITTED}, places)
    from quizapp.attempts.regrade import changes_of_attempts

    regraded = changes_of_attempts([a.id for a in attempts])
    items = []
    for a in attempts:
        is_counted = counted.get(a.round_id) == a.id
        place = found.get(a.round_id) if is_counted else None
        items.append(HistoryItem(a, a.round, a.round.contest, place.rank if place is not None else None,
                                 is_counted, review_visible(a, now), place, tuple(regraded.get(a.id, ()))))
    return items


def attempt_place(user, attempt: Attempt):
    """The entrant's place (rank, entrants, final) shown on the result page of ``attempt``: only
    for the attempt the round's ranking counts, and only where the entrant may see the results."""
    from quizapp.leaderboards.models import Standing
    from quizapp.leaderboards.places import own_place

    if attempt.status != AttemptStatus.SUBMITTED:
        return None
    counted = db.session.scalar(sa.select(Standing.attempt_id).where(
        Standing.user_id == user.id, Standing.round_id == attempt.round_id))
    return own_place(attempt.round_id, user) if counted == attempt.id else None


def reviews_opened(user, now: datetime | None = None, days: int = REVIEW_NOTICE_DAYS) -> list[tuple[Round, int]]:
    """(round, the entrant's latest submitted attempt id) for the rounds whose answers were
    published when the round closed within the last ``days`` days and that the entrant took."""
    now = now or utcnow()
    rows = db.session.execute(
        sa.select(Round, sa.func.max(Attempt.id))
        .join(Attempt, Attempt.round_id == Round.id)
        .where(Attempt.user_id == user.id, Attempt.status == AttemptStatus.SUBMITTED,
               Round.review_policy == ReviewPolicy.AFTER_CLOSE,
               Round.closes_at <= now, Round.closes_at > now - timedelta(days=days))
        .group_by(Round.id).order_by(Round.closes_at.desc())
    ).all()
    return [(rnd, attempt_id) for rnd, attempt_id in rows]
