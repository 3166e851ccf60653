"""Which attempt counts: the standing upsert of the submit path, and the second look at finalisation.

The rule (stated on the rules page): when a round counts the best attempt, the
attempt that counts is the one that ranks highest under the round's own ranking
order (``Contest.ranking_order``: score, prediction distance when the round has a
prediction, duration, submission time, in the order the contest lists them).

The prediction distance needs the true figure, which is only known once the round
has closed and been finalised.  So:

* while the round is open, each submission upserts the standing comparing on the
  ranking keys WITHOUT the prediction (the live rankings rank by score and time
  only, so the live standing is the best attempt under what is shown);
* ``finalize_round`` (truth fixed) looks again at every entrant with more than one
  submitted attempt and points the standing at the best attempt under the FULL
  order, prediction distance included (``reconsider_best_attempts``);
* a submission recorded after finalisation (an attempt closed late) compares with
  the stored truth directly.

The upsert is ONE statement (``INSERT ... ON CONFLICT (round_id, user_id) DO
UPDATE``) on both databases: no read of the standing, no SAVEPOINT.

Owns: the counted attempt of each entrant (the upsert and the second look).
Must not: rank a round or know the true figure's computation (``ranking.py``, which
calls ``reconsider_best_attempts`` when it finalises); it imports only the ranking
keys (``order.py``), never ``ranking``.
"""
from __future__ import annotations

import functools
from decimal import Decimal

import sqlalchemy as sa

from quizapp.attempts.models import Attempt, AttemptStatus
from quizapp.contests.models import CountedAttempt, PredictionMode, Round
from quizapp.core.db import UTCDateTime, db
from quizapp.leaderboards.models import Standing
from quizapp.leaderboards.order import ranking_keys

_COPIED = ("attempt_id", "unit_id", "category", "score", "max_score", "duration_ms", "prediction", "submitted_at")


def comparison_keys(rnd_order: str | None, prediction_mode: PredictionMode, truth: Decimal | None) -> tuple[str, ...]:
    """The ranking keys attempts are compared on: the prediction only once its truth is known."""
    with_prediction = prediction_mode != PredictionMode.OFF and truth is not None
    return tuple(k for k in ranking_keys(rnd_order) if k != "prediction" or with_prediction)


def _better_sql(keys: tuple[str, ...], new: str, old: str) -> str:
    """SQL: the attempt ``new`` ranks strictly higher than ``old`` (lexicographic on the keys)."""
    terms: list[tuple[str, str]] = []
    for key in keys:
        if key == "score":
            terms.append((f"{new}.score > {old}.score", f"{new}.score = {old}.score"))
        elif key == "prediction":
            nm = f"(CASE WHEN {new}.prediction IS NULL THEN 1 ELSE 0 END)"
            om = f"(CASE WHEN {old}.prediction IS NULL THEN 1 ELSE 0 END)"
            terms.append((f"{nm} < {om}", f"{nm} = {om}"))
            nd = f"COALESCE(ABS({new}.prediction - :truth), 0)"
            od = f"COALESCE(ABS({old}.prediction - :truth), 0)"
            terms.append((f"{nd} < {od}", f"{nd} = {od}"))
        elif key == "duration":
            terms.append((f"{new}.duration_ms < {old}.duration_ms", f"{new}.duration_ms = {old}.duration_ms"))
        elif key == "submitted_at":
            terms.append((f"{new}.submitted_at < {old}.submitted_at", f"{new}.submitted_at = {old}.submitted_at"))
    sql = "false"
    for better, equal in reversed(terms):
        sql = f"({better} OR ({equal} AND {sql}))"
    return sql


@functools.cache
def upsert_sql(policy: CountedAttempt, keys: tuple[str, ...]) -> str:
    """The standing upsert's ON CONFLICT clause for a round's policy and comparison keys.

    The INSERT part (``INSERT INTO standings (...) VALUES/SELECT ...``) is the caller's:
    the submit path feeds it from its claimed attempt in the same statement on PostgreSQL."""
    if policy == CountedAttempt.LAST:
        take = "true"
    elif policy == CountedAttempt.FIRST:
        take = "false"
    else:
        take = _better_sql(keys, "excluded", "standings")
    copies = ", ".join(f"{c} = CASE WHEN {take} THEN excluded.{c} ELSE standings.{c} END" for c in _COPIED)
    return (" ON CONFLICT (round_id, user_id) DO UPDATE SET attempts_count = standings.attempts_count + 1, "
            + copies)


STANDING_COLUMNS = ("round_id", "user_id", "unit_id", "category", "attempt_id", "attempts_count", "score",
                    "max_score", "duration_ms", "prediction", "submitted_at")


@functools.cache
def _upsert_values_statement(policy: CountedAttempt, keys: tuple[str, ...]):
    values = ", ".join(f":{c}" for c in STANDING_COLUMNS)
    return sa.text(f"INSERT INTO standings ({', '.join(STANDING_COLUMNS)}) VALUES ({values})"
                   + upsert_sql(policy, keys)).bindparams(
        sa.bindparam("submitted_at", type_=UTCDateTime), sa.bindparam("prediction", type_=sa.Numeric(20, 6)),
        *([sa.bindparam("truth", type_=sa.Numeric(20, 6))] if "prediction" in keys else []))


def upsert_standing(conn, values: dict, policy: CountedAttempt, keys: tuple[str, ...],
                    truth: Decimal | None) -> None:
    """Record one newly submitted attempt in its entrant's standing (one statement).

    ``values``: round_id, user_id, unit_id, category, attempt_id, score, max_score,
    duration_ms, prediction, submitted_at.  Must be called once per attempt (the
    submission's claim guarantees it): the count of submitted attempts goes up by one."""
    params = {**values, "attempts_count": 1}
    if "prediction" in keys:
        params["truth"] = truth
    conn.execute(_upsert_values_statement(policy, keys), params)


def attempt_sort_key(keys: tuple[str, ...], truth: Decimal | None):
    """Python twin of ``_better_sql``: smaller sorts first (ranks higher)."""
    def key(a) -> tuple:
        out: list = []
        for k in keys:
            if k == "score":
                out.append(-(a.score or 0))
            elif k == "prediction":
                missing = a.prediction is None
                out += [1 if missing else 0, Decimal(0) if missing else abs(Decimal(a.prediction) - truth)]
            elif k == "duration":
                out.append(a.duration_ms)
            elif k == "submitted_at":
                out.append(a.submitted_at)
        return tuple(out)
    return key


def reconsider_best_attempts(rnd: Round) -> int:
    """At finalisation (truth fixed): point each standing with several submitted attempts
    at the best one under the round's full ranking order.  Returns how many changed."""
    if rnd.counted_attempt != CountedAttempt.BEST:
        return 0
    keys = comparison_keys(rnd.contest.ranking_order, rnd.prediction_mode, rnd.prediction_truth)
    several = sa.select(Standing.user_id).where(Standing.round_id == rnd.id, Standing.attempts_count > 1)
    rows = db.session.execute(
        sa.select(Attempt.id, Attempt.user_id, Attempt.unit_id, Attempt.category, Attempt.score, Attempt.max_score,
                  Attempt.duration_ms, Attempt.prediction, Attempt.submitted_at)
        .where(Attempt.round_id == rnd.id, Attempt.status == AttemptStatus.SUBMITTED,
               Attempt.user_id.in_(several))
    ).all()
    best: dict[int, object] = {}
    sort_key = attempt_sort_key(keys, rnd.prediction_truth)
    for row in sorted(rows, key=lambda r: (r.user_id, sort_key(r), r.id)):
        best.setdefault(row.user_id, row)
    current = dict(db.session.execute(
        sa.select(Standing.user_id, Standing.attempt_id).where(Standing.round_id == rnd.id,
                                                               Standing.user_id.in_(several))).all())
    changed = [row for user_id, row in best.items() if current.get(user_id) != row.id]
    for row in changed:
        db.session.execute(
            sa.update(Standing).where(Standing.round_id == rnd.id, Standing.user_id == row.user_id)
            .values(attempt_id=row.id, unit_id=row.unit_id, category=row.category, score=row.score,
                    max_score=row.max_score, duration_ms=row.duration_ms, prediction=row.prediction,
                    submitted_at=row.submitted_at)
            .execution_options(synchronize_session=False))
    return len(changed)
