"""The server closing attempts nobody submitted, and finalising closed rounds.

Owns: ``close_expired`` (one attempt past deadline + grace: graded on what was saved,
finish reason ``finalized``, finish time the deadline), ``finalize_expired``,
``finalize_all`` (what ``flask rounds finalize`` and the minute job run) and the ORM
standing upsert ``record_standing``.
Must not: accept anything from the entrant (``answers``, ``submit``) or rank
(``leaderboards.ranking`` fixes a round's true figure).
"""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm.attributes import set_committed_value

from quizapp.attempts.clock import is_expired, sweep_after
from quizapp.attempts.grading import grade_saved
from quizapp.attempts.models import Attempt, AttemptStatus, FinishReason
from quizapp.attempts.prediction import PREDICTION_SCALE
from quizapp.contests.models import Round
from quizapp.core.db import db, utcnow
from quizapp.leaderboards import standings


def _finish(attempt: Attempt, reason: FinishReason, finished_at: datetime, submitted_at: datetime,
            prediction: Decimal | None) -> bool:
    """Record the submission once: False if another request recorded it first."""
    duration = int((min(finished_at, attempt.deadline_at) - attempt.started_at).total_seconds() * 1000)
    claimed = db.session.execute(
        sa.update(Attempt).where(Attempt.id == attempt.id, Attempt.status == AttemptStatus.IN_PROGRESS)
        .values(status=AttemptStatus.SUBMITTED, finish_reason=reason, submitted_at=submitted_at,
                duration_ms=max(0, duration), prediction=prediction)
        .execution_options(synchronize_session=False)
    ).rowcount
    if claimed != 1:
        db.session.refresh(attempt)  # another request recorded it: show what it recorded
        return False
    for name, value in (("status", AttemptStatus.SUBMITTED), ("finish_reason", reason),
                        ("submitted_at", submitted_at), ("duration_ms", max(0, duration)),
                        ("prediction", None if prediction is None else prediction.quantize(PREDICTION_SCALE))):
        set_committed_value(attempt, name, value)  # what the UPDATE wrote, without reading it back
    attempt.score = grade_saved(attempt)
    db.session.flush()
    record_standing(attempt)
    return True


def close_expired(attempt: Attempt, now: datetime | None = None) -> bool:
    """Close an attempt whose deadline + grace has passed: grade what was saved."""
    if attempt.status != AttemptStatus.IN_PROGRESS or not is_expired(attempt, now):
        return False
    return _finish(attempt, FinishReason.FINALIZED, attempt.deadline_at, attempt.deadline_at, None)


def finalize_expired(now: datetime | None = None) -> int:
    """Close every attempt whose deadline + ``sweep_after()`` has passed.  Idempotent."""
    now = now or utcnow()
    ids = db.session.scalars(
        sa.select(Attempt.id).where(Attempt.status == AttemptStatus.IN_PROGRESS,
                                    Attempt.deadline_at < now - sweep_after())
        .order_by(Attempt.id)
    ).all()
    closed = 0
    for attempt_id in ids:
        attempt = db.session.get(Attempt, attempt_id)
        if attempt is not None and close_expired(attempt, now):
            closed += 1
    return closed


def record_standing(attempt: Attempt) -> None:
    """Upsert the entrant's standing for the round after a submission (one statement;
    which attempt counts: ``quizapp.leaderboards.standings``)."""
    rnd = attempt.round
    truth = rnd.prediction_truth if rnd.finalized_at is not None else None
    keys = standings.comparison_keys(rnd.contest.ranking_order, rnd.prediction_mode, truth)
    standings.upsert_standing(db.session.connection(), {
        "round_id": attempt.round_id, "user_id": attempt.user_id, "unit_id": attempt.unit_id,
        "category": attempt.category, "attempt_id": attempt.id, "score": attempt.score,
        "max_score": attempt.max_score, "duration_ms": attempt.duration_ms, "prediction": attempt.prediction,
        "submitted_at": attempt.submitted_at}, rnd.counted_attempt, keys, truth)


def finalize_all(now: datetime | None = None) -> tuple[int, int]:
    """What ``flask rounds finalize`` does: close expired attempts, then store the
    true figure of every round closed for longer than ``sweep_after()``."""
    from quizapp.leaderboards.ranking import finalize_round

    now = now or utcnow()
    closed = finalize_expired(now)
    rounds = db.session.scalars(
        sa.select(Round).where(Round.finalized_at.is_(None), Round.closes_at < now - sweep_after())
        .order_by(Round.id)
    ).all()
    done = sum(1 for rnd in rounds if finalize_round(rnd, now))
    return closed, done
