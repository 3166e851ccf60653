"""Submitting an attempt: the one locked read, the claim + mark + standing write per engine.

Owns: ``submit`` (the hot path of a round's last minutes: its statement count is pinned
by tests), its slow path, ``ResultView``, and ``submit_form`` (the page without JavaScript).
Must not: decide whether an answer is right (``grading.answer_is_right``) or when the key
may be shown (``contests.review.review_time_reached``), or add a statement to the hot path.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from quizapp.attempts.answers import save_answers_form
from quizapp.attempts.clock import grace, is_expired
from quizapp.attempts.errors import err, time_up
from quizapp.attempts.grading import answer_is_right
from quizapp.attempts.models import Attempt, AttemptQuestion, AttemptStatus, FinishReason
from quizapp.attempts.prediction import PREDICTION_SCALE, parse_prediction
from quizapp.attempts.review import review_visible
from quizapp.attempts.shown import get_attempt
from quizapp.auth.models import User
from quizapp.bank.models import Option
from quizapp.contests.models import Contest, CountedAttempt, PredictionMode, Round
from quizapp.contests.review import review_time_reached
from quizapp.core.db import UTCDateTime, db, utcnow
from quizapp.core.errors import ServiceError
from quizapp.leaderboards import standings


@dataclass(frozen=True)
class ResultView:
    """A submitted attempt as its entrant sees it (what GET /result and the submit answer carry)."""
    id: int
    round_id: int
    status: AttemptStatus
    score: int | None
    max_score: int
    duration_ms: int | None
    started_at: datetime
    deadline_at: datetime
    submitted_at: datetime | None
    finish_reason: FinishReason | None
    prediction: Decimal | None
    review_available: bool


def result_view(attempt: Attempt, now: datetime | None = None) -> ResultView:
    return ResultView(attempt.id, attempt.round_id, attempt.status, attempt.score, attempt.max_score,
                      attempt.duration_ms, attempt.started_at, attempt.deadline_at, attempt.submitted_at,
                      attempt.finish_reason, attempt.prediction, review_visible(attempt, now))


@functools.cache
def _submit_read_statement():
    """The submit's one read: the attempt, its round's settings, the account, and every
    question row with its key (the correct option ids, ``aggregate_strings``), rows
    locked (a save in flight is waited for; a save arriving later finds them graded)."""
    keys = (sa.select(sa.func.aggregate_strings(sa.cast(Option.id, sa.String), ","))
            .where(Option.question_id == AttemptQuestion.question_id, Option.is_correct.is_(True))
            .scalar_subquery())
    return (
        sa.select(Attempt.id, Attempt.status, Attempt.round_id, Attempt.user_id, Attempt.unit_id,
                  Attempt.category, Attempt.started_at, Attempt.deadline_at, Attempt.max_score,
                  Round.prediction_mode, Round.counted_attempt, Round.review_policy, Round.opens_at,
                  Round.closes_at, Round.contest_id, Round.finalized_at, Round.prediction_truth, Contest.ranking_order,
                  User.is_active_account, AttemptQuestion.id.label("aq_id"), AttemptQuestion.selected,
                  keys.label("keys"))
        .select_from(Attempt)
        .join(Round, Round.id == Attempt.round_id)
        .join(Contest, Contest.id == Round.contest_id)
        .join(User, User.id == Attempt.user_id)
        .join(AttemptQuestion, AttemptQuestion.attempt_id == Attempt.id)
        .where(Attempt.id == sa.bindparam("p_attempt_id"), Attempt.user_id == sa.bindparam("p_user_id"))
        .with_for_update(of=[Attempt.__table__, AttemptQuestion.__table__])
    )


_SUBMIT_BINDS = (sa.bindparam("submitted_at", type_=UTCDateTime), sa.bindparam("prediction", type_=sa.Numeric(20, 6)))

_PG_CLAIM = """
WITH claimed AS (
    UPDATE attempts SET status = 'submitted', finish_reason = :finish_reason, submitted_at = :submitted_at,
                        duration_ms = :duration_ms, prediction = :prediction, score = :score
    WHERE id = :attempt_id AND status = 'in_progress'
    RETURNING id, round_id, user_id, unit_id, category, max_score
), marked AS (
    UPDATE attempt_questions SET is_correct = (id = ANY(CAST(:right AS integer[])))
    WHERE attempt_id IN (SELECT id FROM claimed)
    RETURNING id
), standing AS (
    INSERT INTO standings (round_id, user_id, unit_id, category, attempt_id, attempts_count, score, max_score,
                           duration_ms, prediction, submitted_at)
    SELECT round_id, user_id, unit_id, category, id, 1, :score, max_score, :duration_ms, :prediction, :submitted_at
    FROM claimed
    {upsert}
    RETURNING id
)
SELECT count(*) FROM claimed
"""


@functools.cache
def _pg_submit_statement(policy: CountedAttempt, keys: tuple[str, ...]):
    """PostgreSQL: claim, mark every question and upsert the standing in ONE statement."""
    binds = [*_SUBMIT_BINDS, *([sa.bindparam("truth", type_=sa.Numeric(20, 6))] if "prediction" in keys else [])]
    return sa.text(_PG_CLAIM.format(upsert=standings.upsert_sql(policy, keys))).bindparams(*binds)


@functools.cache
def _claim_statement():
    return (sa.update(Attempt.__table__)
            .where(Attempt.__table__.c.id == sa.bindparam("attempt_id"),
                   Attempt.__table__.c.status == AttemptStatus.IN_PROGRESS.value)
            .values(status=AttemptStatus.SUBMITTED.value, finish_reason=sa.bindparam("finish_reason"),
                    submitted_at=sa.bindparam("submitted_at", type_=UTCDateTime),
                    duration_ms=sa.bindparam("duration_ms"), score=sa.bindparam("score"),
                    prediction=sa.bindparam("prediction", type_=sa.Numeric(20, 6))))


def _write_submission(conn, head, values: dict, right: list[int]) -> bool:
    """Claim the attempt, mark its questions, upsert the standing.  False if another
    request claimed it first (nothing written then)."""
    truth = head.prediction_truth if head.finalized_at is not None else None
    keys = standings.comparison_keys(head.ranking_order, head.prediction_mode, truth)
    policy = CountedAttempt(head.counted_attempt)
    if conn.dialect.name == "postgresql":
        params = {**values, "right": right}
        if "prediction" in keys:
            params["truth"] = truth
        return conn.execute(_pg_submit_statement(policy, keys), params).scalar_one() == 1
    if conn.execute(_claim_statement(), values).rowcount != 1:
        return False
    shown = AttemptQuestion.__table__
    conn.execute(sa.update(shown).where(shown.c.attempt_id == values["attempt_id"])
                 .values(is_correct=shown.c.id.in_(right)))
    standings.upsert_standing(conn, {
        "round_id": head.round_id, "user_id": head.user_id, "unit_id": head.unit_id, "category": head.category,
        "attempt_id": head.id, "score": values["score"], "max_score": head.max_score,
        "duration_ms": values["duration_ms"], "prediction": values["prediction"],
        "submitted_at": values["submitted_at"]}, policy, keys, truth)
    return True


def _key(keys: str | None) -> set[int]:
    """The correct option ids from the read's ``aggregate_strings`` ("12,15")."""
    return {int(k) for k in keys.split(",")} if keys else set()


class _ReadRound:
    """The submit's read as the round ``contests.review.review_time_reached`` reads: the policy
    and times from the columns already read; the contest (a review after the contest needs its
    last closing time, rare) is loaded only if the rule asks for it."""
    __slots__ = ("review_policy", "opens_at", "closes_at", "_contest_id")

    def __init__(self, head) -> None:
        self.review_policy, self.opens_at, self.closes_at = head.review_policy, head.opens_at, head.closes_at
        self._contest_id = head.contest_id

    @property
    def contest(self) -> Contest:
        return db.session.get(Contest, self._contest_id)


def submit(attempt_id: int, user_id: int, prediction=None, *, auto: bool = False,
           now: datetime | None = None, clock: datetime | None = None) -> ResultView:
    """Submit once and return the result.  A second submission (double click, another tab)
    returns the first result.

    After deadline + grace a submission is refused like a save: ``409 time_up``, and the
    attempt is closed by the server (finish reason ``finalized``, graded on the saved
    answers, no prediction).  A submission of an attempt the server already closed that
    way is refused the same.

    ``auto`` is the page submitting itself at the deadline: the prediction may
    then be missing (or is dropped if invalid) rather than keep the attempt open.

    The hot path of a round's last minutes, so it counts its statements: ONE locked read
    (``_submit_read_statement``: attempt, round, account, questions and their keys), then
    the write: on PostgreSQL one statement (claim, mark, standing upsert), on SQLite three.
    Nothing is read back.
    """
    now = now or utcnow()
    db.session.flush()  # Core statements below: anything pending in the session goes first
    conn = db.session.connection()
    rows = conn.execute(_submit_read_statement(), {"p_attempt_id": attempt_id, "p_user_id": user_id}).all()
    head = rows[0] if rows else None
    if head is None or not head.is_active_account or head.status != AttemptStatus.IN_PROGRESS \
            or now > head.deadline_at + grace():
        return _submit_slow(attempt_id, user_id, now)
    mode = PredictionMode(head.prediction_mode)
    if auto and now < head.deadline_at - timedelta(seconds=60):
        auto = False  # too early to be the page's own time-out
    try:
        value = parse_prediction(mode, prediction)
    except ServiceError:
        if not auto:
            raise
        value = None
    right = [r.aq_id for r in rows if r.selected and answer_is_right(r.selected, _key(r.keys))]
    reason = FinishReason.TIMEOUT if auto else FinishReason.SUBMITTED
    # ``now`` (a trusted proxy's arrival stamp) decides only whether the answer came in time; the
    # server's own ``clock`` measures the duration, so a stamp can never shorten it (issue 20 item 3).
    duration = max(0, int((min(max(clock or now, now), head.deadline_at) - head.started_at).total_seconds() * 1000))
    values = {"attempt_id": head.id, "finish_reason": reason.value, "submitted_at": now, "duration_ms": duration,
              "prediction": value, "score": len(right)}
    if not _write_submission(conn, head, values, right):
        return _submit_slow(attempt_id, user_id, now)  # a concurrent submit recorded it first
    visible = review_time_reached(_ReadRound(head), now)  # the contests rule, on the columns already read
    return ResultView(head.id, head.round_id, AttemptStatus.SUBMITTED, len(right), head.max_score, duration,
                      head.started_at, head.deadline_at, now, reason,
                      None if value is None else value.quantize(PREDICTION_SCALE), visible)


def _submit_slow(attempt_id: int, user_id: int, now: datetime) -> ResultView:
    """Not the common case: someone else's or a missing attempt (404), an inactive account,
    an attempt already submitted (the first result), or time up (409, the attempt closed)."""
    attempt = db.session.get(Attempt, attempt_id, populate_existing=True)
    if attempt is None or attempt.user_id != user_id or not db.session.scalar(
            sa.select(User.is_active_account).where(User.id == user_id)):
        raise err("attempt_not_found", _l("This attempt does not exist."), 404)
    if attempt.status == AttemptStatus.IN_PROGRESS and is_expired(attempt, now):
        raise time_up(attempt_id)  # the caller closes it (close_after_time_up), as for a save
    if attempt.finish_reason == FinishReason.FINALIZED:
        raise time_up(attempt_id)  # the server closed it at its deadline: this submission came too late
    if attempt.status == AttemptStatus.IN_PROGRESS:  # not recorded by anyone: never answer with a result
        raise err("attempt_conflict", _l("Another submission of this attempt is in progress. Please try again."),
                   409)
    return result_view(attempt, now)


def submit_attempt(attempt_id: int, user_id: int, prediction=None, *, auto: bool = False,
                   now: datetime | None = None, clock: datetime | None = None) -> Attempt:
    """``submit`` for callers that want the Attempt itself (pages, CLI, tests)."""
    view = submit(attempt_id, user_id, prediction, auto=auto, now=now, clock=clock)
    db.session.expire_all()  # the Core statements bypassed the identity map
    return db.session.get(Attempt, view.id)


def submit_form(attempt_id: int, user_id: int, answers: dict[int, list[int]], prediction, *,
                auto: bool = False, now: datetime | None = None, clock: datetime | None = None) -> Attempt:
    """The page without JavaScript: check the prediction, save the posted answers, submit."""
    now = now or utcnow()
    attempt = get_attempt(attempt_id, user_id, now)
    if attempt.status != AttemptStatus.IN_PROGRESS:
        return attempt
    if not (auto and now >= attempt.deadline_at - timedelta(seconds=60)):
        parse_prediction(attempt.round.prediction_mode, prediction)  # refuse before writing anything
    save_answers_form(attempt, answers, now)
    return submit_attempt(attempt_id, user_id, prediction, auto=auto, now=now, clock=clock)
