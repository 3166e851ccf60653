"""Ranking a round's entrants (their Standing rows) by the contest's ranking order.

Keys (``Contest.ranking_order``, a comma list; default
``score,prediction,duration,submitted_at``):

* ``score``: more correct answers first;
* ``prediction``: smaller |prediction - true figure| first; a missing
  prediction after any given one (skipped when the round has no prediction);
* ``duration``: shorter time taken first;
* ``submitted_at``: earlier submission first.

Entrants equal on every key share a rank (standard competition ranking:
1, 2, 2, 4).  The true figure is stored by ``flask rounds finalize`` once the
round has closed (+ grace).  Until then it is secret: an entrant who saw the
live figure would copy it and win the tie-break, so no ranking uses it (the
order is score and time only), and no page, export, JSON or cache shows it or
anyone's prediction or distance; organisers see the live figure in their own
views, marked confidential (``live_truth``).

Owns: the round's ranking query (``ranked_subquery``, which every page, snapshot and
export ranks by), the true figure (live and final), finalising a round, and the text
form of these figures (``number_text``).  The list of keys is parsed in ``order.py``.
Must not: cache, page, filter or check who may see results (the modules above it do),
and must not be imported by ``standings.py`` (finalising calls it: one way only).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

import sqlalchemy as sa

from quizapp.contests.models import PredictionMode, Round
from quizapp.core.db import db, utcnow
from quizapp.leaderboards.models import Standing
from quizapp.leaderboards.order import ranking_keys
from quizapp.leaderboards.standings import reconsider_best_attempts

_SIX_PLACES = Decimal("0.000001")


@dataclass(frozen=True)
class RankedEntry:
    rank: int
    user_id: int
    unit_id: int | None
    category: str
    attempt_id: int
    attempts_count: int
    score: int
    max_score: int
    duration_ms: int
    prediction: Decimal | None
    prediction_error: Decimal | None  # |prediction - true figure|
    submitted_at: datetime


def number_text(value: Decimal | None) -> str | None:
    """A figure (the true figure, a prediction, a distance, a rate) as text, without trailing
    zeros: 7.000000 → '7', 87.654320 → '87.65432'."""
    if value is None:
        return None
    value = Decimal(value)
    if value == value.to_integral_value():
        return str(value.quantize(Decimal(1)))
    return format(value.normalize(), "f")


def live_truth(rnd: Round) -> Decimal | None:
    """The true figure computed from the standings now (None when the round has no prediction)."""
    mode = rnd.prediction_mode
    if mode == PredictionMode.OFF:
        return None
    entrants, perfect = db.session.execute(
        sa.select(
            sa.func.count(),
            sa.func.coalesce(sa.func.sum(sa.case(
                ((Standing.score == Standing.max_score) & (Standing.max_score > 0), 1), else_=0)), 0),
        ).where(Standing.round_id == rnd.id)
    ).one()
    if mode == PredictionMode.PERFECT_COUNT:
        return Decimal(int(perfect))
    if mode == PredictionMode.ENTRANT_COUNT:
        return Decimal(int(entrants))
    if not entrants:
        return Decimal(0).quantize(_SIX_PLACES)
    return (Decimal(100) * int(perfect) / int(entrants)).quantize(_SIX_PLACES, rounding=ROUND_HALF_UP)


def prediction_truth(rnd: Round) -> Decimal | None:
    """The stored final figure once the round is finalised; None before (the
    ranking then ignores the prediction: see the module docstring)."""
    if rnd.prediction_mode != PredictionMode.OFF and rnd.finalized_at is not None:
        return rnd.prediction_truth
    return None


def is_final(rnd: Round) -> bool:
    return rnd.finalized_at is not None


def _order_by(rnd: Round, truth: Decimal | None):
    error = None
    clauses = []
    for key in ranking_keys(rnd.contest.ranking_order):
        if key == "score":
            clauses.append(Standing.score.desc())
        elif key == "prediction":
            if rnd.prediction_mode == PredictionMode.OFF or truth is None:
                continue
            error = sa.func.abs(Standing.prediction - sa.literal(truth, sa.Numeric(20, 6)))
            clauses.append(sa.case((Standing.prediction.is_(None), 1), else_=0))
            clauses.append(error.asc())
        elif key == "duration":
            clauses.append(Standing.duration_ms.asc())
        elif key == "submitted_at":
            clauses.append(Standing.submitted_at.asc())
    return clauses


def separate_groups(rnd: Round) -> list[str]:
    """Entrant categories ranked on their own in this round (their own quota cells and
    ``rank_groups_separately``); everyone else is ranked together.  Empty: one ranking."""
    return rnd.group_categories if rnd.rank_groups_separately else []


def ranking_group(rnd: Round):
    """SQL: the ranking group of a standing ("" = the common ranking), or None if there is one ranking."""
    groups = separate_groups(rnd)
    if not groups:
        return None
    return sa.case((Standing.category.in_(groups), Standing.category), else_=sa.literal(""))


def ranked_subquery(rnd: Round):
    """The round's standings with a ``rnk`` column (one window query), and the true figure used.
    Entrant groups ranked separately (``separate_groups``) each get their own ranks 1, 2, …"""
    truth = prediction_truth(rnd)
    order = _order_by(rnd, truth)
    group = ranking_group(rnd)
    rank = sa.func.rank().over(order_by=order, partition_by=group).label("rnk")
    sub = sa.select(Standing, rank).where(Standing.round_id == rnd.id).subquery()
    return sub, truth


def _entry(row, truth: Decimal | None) -> RankedEntry:
    pred = row.prediction if truth is not None else None  # predictions are secret until the truth is final
    if pred is not None:
        pred = Decimal(str(pred)).quantize(_SIX_PLACES) if not isinstance(pred, Decimal) else pred
    error = abs(pred - truth) if (pred is not None and truth is not None) else None
    return RankedEntry(
        rank=int(row.rnk), user_id=row.user_id, unit_id=row.unit_id, category=row.category,
        attempt_id=row.attempt_id, attempts_count=row.attempts_count, score=row.score,
        max_score=row.max_score, duration_ms=row.duration_ms, prediction=pred,
        prediction_error=error, submitted_at=row.submitted_at,
    )


def rank_round(round_id: int, *, limit: int | None = None, offset: int = 0) -> list[RankedEntry]:
    """The round's entrants in ranking order (one query plus the true figure)."""
    rnd = db.session.get(Round, round_id)
    if rnd is None:
        return []
    sub, truth = ranked_subquery(rnd)
    stmt = sa.select(sub).order_by(sub.c.rnk, sub.c.user_id).offset(offset)
    if limit is not None:
        stmt = stmt.limit(limit)
    return [_entry(r, truth) for r in db.session.execute(stmt)]


def place_of(round_id: int, user_id: int) -> RankedEntry | None:
    """One entrant's place in the round, or None if they have no submitted attempt."""
    rnd = db.session.get(Round, round_id)
    if rnd is None:
        return None
    sub, truth = ranked_subquery(rnd)
    row = db.session.execute(sa.select(sub).where(sub.c.user_id == user_id)).one_or_none()
    return _entry(row, truth) if row is not None else None


def finalize_round(rnd: Round, now: datetime | None = None) -> bool:
    """Store the final true figure of a closed round once.  Returns True if it did."""
    if rnd.finalized_at is not None:
        return False
    rnd.prediction_truth = live_truth(rnd)
    rnd.finalized_at = now or utcnow()
    db.session.flush()
    reconsider_best_attempts(rnd)  # the truth is fixed: the best attempt may now be another one
    db.session.flush()
    return True
