"""The entrant side of the contest engine: start, save, submit, grade, finalise.

Timing rules (all times are the server's; anything a client sends about time
is ignored):

* deadline = min(start + time limit (+ granted minutes), round close), fixed
  when the attempt starts;
* answers and submissions are accepted until deadline + ANSWER_GRACE_SECONDS
  (network latency); the recorded duration never exceeds deadline - start;
* an attempt still open after deadline + grace is closed by the server
  (finish reason "finalized"): on the next request that touches it and by
  ``flask rounds finalize``; it is graded on what was saved and its finish
  time is the deadline.

Services only add and flush; the request pipeline (or the CLI) commits.
"""
from __future__ import annotations

import functools

import math
import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import aliased

from quizapp.attempts.models import Attempt, AttemptQuestion, AttemptStatus, FinishReason
from quizapp.auth.models import User
from quizapp.bank.models import Option, Question, QuestionStatus
from quizapp.contests.models import (Contest, ContestStatus, CountedAttempt, Grant, PredictionMode, ReviewPolicy,
                                     Round)
from quizapp.contests.services import EntrantLimits, is_eligible, limits_for, round_state
from quizapp.core.db import UTCDateTime, db, utcnow
from quizapp.core.errors import ServiceError, message_text
from quizapp.leaderboards.models import Standing

# Largest answer sequence number a client may send (JavaScript's safe integer).
MAX_SEQ = 2**53 - 1
# Predictions above this are absurd for any contest (counts of entrants).
MAX_PREDICTION = Decimal(10) ** 9


def _text(message) -> str:
    return message_text(message)


def _err(code: str, message, status: int = 400, field: str | None = None) -> ServiceError:
    return ServiceError(code, _text(message), status, field)


def grace() -> timedelta:
    return timedelta(seconds=int(current_app.config.get("ANSWER_GRACE_SECONDS", 5)))


def remaining_ms(attempt: Attempt, now: datetime | None = None) -> int:
    now = now or utcnow()
    return max(0, int((attempt.deadline_at - now).total_seconds() * 1000))


def is_expired(attempt: Attempt, now: datetime | None = None) -> bool:
    """True once deadline + grace has passed (the attempt may then only be finalised)."""
    return (now or utcnow()) > attempt.deadline_at + grace()


# ---------------------------------------------------------------------------
# Rounds an entrant may enter
# ---------------------------------------------------------------------------

def get_round_for_entrant(round_id: int, user: User) -> Round:
    """The round, if its contest is published and the entrant may enter it."""
    # The round with its contest and quotas, in one query.
    rnd = db.session.get(Round, round_id, options=[sa.orm.joinedload(Round.contest), sa.orm.selectinload(Round.quotas)])
    if rnd is None or rnd.contest.status != ContestStatus.PUBLISHED:
        raise _err("round_not_found", _l("This round does not exist or is not published."), 404)
    if not is_eligible(rnd.contest, user):
        raise _err("not_eligible", _l("You are not eligible for this contest."), 403)
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


# ---------------------------------------------------------------------------
# Drawing questions
# ---------------------------------------------------------------------------

def draw_questions(rnd: Round, rng: random.Random | None = None) -> list[int]:
    """Question ids for one attempt, drawn within the round's quota.

    Only APPROVED questions.  Within each quota cell the least-drawn questions
    are preferred (lowest ``times_drawn``, random among ties, as Moodle does)
    so the whole bank gets used.  Cells with a fixed difficulty are filled
    before "any difficulty" cells of the same area, and a question is never
    drawn twice.
    """
    rng = rng or random.SystemRandom()
    quotas = sorted(rnd.quotas, key=lambda q: (q.difficulty == 0, q.area_id, q.difficulty))
    if not quotas:
        raise _err("round_has_no_questions", _l("This round has no questions yet."), 409)
    areas = {q.area_id for q in quotas}
    pool = db.session.execute(
        sa.select(Question.id, Question.area_id, Question.difficulty, Question.times_drawn)
        .where(Question.area_id.in_(areas), Question.status == QuestionStatus.APPROVED)
    ).all()
    chosen: list[int] = []
    taken: set[int] = set()
    for quota in quotas:
        cell = [r for r in pool if r.area_id == quota.area_id and r.id not in taken
                and (quota.difficulty == 0 or r.difficulty == quota.difficulty)]
        if len(cell) < quota.count:
            raise _err("bank_too_small",
                       _l("The question bank does not have enough approved questions for this round."), 409)
        rng.shuffle(cell)
        cell.sort(key=lambda r: r.times_drawn)  # stable: random among equal counts
        for r in cell[: quota.count]:
            chosen.append(r.id)
            taken.add(r.id)
    return chosen


# ---------------------------------------------------------------------------
# Starting (or resuming) an attempt
# ---------------------------------------------------------------------------

def _open_attempt(round_id: int, user_id: int) -> Attempt | None:
    return db.session.scalar(
        sa.select(Attempt).where(Attempt.round_id == round_id, Attempt.user_id == user_id,
                                 Attempt.status == AttemptStatus.IN_PROGRESS)
    )


def _attempt_count(round_id: int, user_id: int) -> int:
    return db.session.scalar(
        sa.select(sa.func.count()).select_from(Attempt)
        .where(Attempt.round_id == round_id, Attempt.user_id == user_id)
    )


def _entrant_state(rnd: Round, user_id: int) -> tuple[int, int | None, EntrantLimits]:
    """In one query: how many attempts the entrant has in the round, the open one's id,
    and the round's limits plus the entrant's grants (see contests.services.limits_for)."""
    mine = (Attempt.round_id == rnd.id, Attempt.user_id == user_id)
    granted = (Grant.round_id == rnd.id, Grant.user_id == user_id)
    used, open_id, minutes, extra = db.session.execute(sa.select(
        sa.select(sa.func.count()).where(*mine).scalar_subquery(),
        sa.select(sa.func.max(sa.case((Attempt.status == AttemptStatus.IN_PROGRESS, Attempt.id))))
        .where(*mine).scalar_subquery(),
        sa.select(sa.func.coalesce(sa.func.sum(Grant.extra_minutes), 0)).where(*granted).scalar_subquery(),
        sa.select(sa.func.coalesce(sa.func.sum(Grant.extra_attempts), 0)).where(*granted).scalar_subquery(),
    )).one()
    limits = EntrantLimits.of(rnd, minutes, extra)
    return int(used), open_id, limits


def start_attempt(round_id: int, user: User, now: datetime | None = None,
                  rng: random.Random | None = None) -> Attempt:
    """Start an attempt, or resume the one in progress.

    The write is two Core statements (the attempt, then its questions in one
    multi-row INSERT) inside a SAVEPOINT, so a concurrent start of the same
    entrant that wins the unique slot is detected without aborting the request.
    """
    now = now or utcnow()
    rnd = get_round_for_entrant(round_id, user)
    used, open_id, limits = _entrant_state(rnd, user.id)
    if open_id is not None:
        current = db.session.get(Attempt, open_id)
        if not is_expired(current, now):
            return current
        close_expired(current, now)
    state = round_state(rnd, now)
    if state != "open":
        if state == "upcoming":
            raise _err("round_not_open", _l("This round has not opened yet."), 409)
        raise _err("round_closed", _l("This round has closed."), 409)
    number = used + 1
    if number > limits.attempts_allowed:
        raise _err("attempt_limit", _l("You have used all your attempts for this round."), 409)

    question_ids = draw_questions(rnd, rng)
    rng = rng or random.SystemRandom()
    if rnd.shuffle_questions:
        rng.shuffle(question_ids)
    options: dict[int, list[int]] = {qid: [] for qid in question_ids}
    for qid, oid in db.session.execute(
        sa.select(Option.question_id, Option.id).where(Option.question_id.in_(question_ids))
        .order_by(Option.question_id, Option.position)
    ):
        options[qid].append(oid)
    for order in options.values():
        if rnd.shuffle_options:
            rng.shuffle(order)

    attempts, shown = Attempt.__table__, AttemptQuestion.__table__
    try:
        with db.session.begin_nested():
            conn = db.session.connection()  # inside the block, so the SAVEPOINT is emitted first
            attempt_id = conn.execute(
                sa.insert(attempts).values(
                    round_id=rnd.id, user_id=user.id, unit_id=user.unit_id, category=user.category.value,
                    number=number, status=AttemptStatus.IN_PROGRESS, started_at=now,
                    deadline_at=min(now + limits.time_limit, rnd.closes_at), max_score=len(question_ids),
                ).returning(attempts.c.id)
            ).scalar_one()
            # One multi-row INSERT ... VALUES (...), (...): a single round trip.
            conn.execute(sa.insert(shown).values([
                {"attempt_id": attempt_id, "question_id": qid, "position": position,
                 "option_order": options[qid], "answer_seq": 0}
                for position, qid in enumerate(question_ids, start=1)
            ]))
    except sa.exc.IntegrityError:
        # A concurrent start of the same entrant won the slot.
        existing = _open_attempt(rnd.id, user.id)
        if existing is not None:
            return existing
        if _attempt_count(rnd.id, user.id) >= limits.attempts_allowed:
            raise _err("attempt_limit", _l("You have used all your attempts for this round."), 409)
        raise _err("attempt_conflict", _l("Another start of this round is in progress. Please try again."), 409)
    _count_draws_at_commit(question_ids)
    return db.session.get(Attempt, attempt_id)


def _count_draws_at_commit(question_ids: list[int]) -> None:
    """Raise ``times_drawn`` as the very last statement before COMMIT.

    The counters are hot rows: every concurrent start prefers the same
    least-used questions.  Updated in the middle of the start, their row locks
    would be held while the rest of the request runs (drawing, inserting,
    building the response), serialising all starts; updated just before COMMIT
    (the session's ``before_commit``), each lock lasts one short statement.
    The increment still commits or rolls back with the attempt.
    """
    db.session.info.setdefault("quizapp_draws", []).extend(question_ids)


@sa.event.listens_for(sa.orm.Session, "before_commit")
def _flush_draw_counts(session) -> None:
    if session.in_nested_transaction():
        return  # a SAVEPOINT is being released; wait for the real commit
    ids = session.info.pop("quizapp_draws", None)
    if not ids:
        return
    table = Question.__table__
    session.connection().execute(
        sa.update(table).where(table.c.id.in_(sorted(set(ids)))).values(times_drawn=table.c.times_drawn + 1)
    )


@sa.event.listens_for(sa.orm.Session, "after_rollback")
def _forget_draw_counts(session) -> None:
    """The outermost transaction rolled back: its attempts do not exist, nor do their draws."""
    session.info.pop("quizapp_draws", None)


# ---------------------------------------------------------------------------
# Reading an attempt
# ---------------------------------------------------------------------------

def get_attempt(attempt_id: int, user_id: int, now: datetime | None = None) -> Attempt:
    """The entrant's own attempt (404 for anyone else's); closes it if it expired."""
    attempt = db.session.get(Attempt, attempt_id)
    if attempt is None or attempt.user_id != user_id:
        raise _err("attempt_not_found", _l("This attempt does not exist."), 404)
    if attempt.status == AttemptStatus.IN_PROGRESS and is_expired(attempt, now):
        close_expired(attempt, now)
    return attempt


@dataclass(frozen=True)
class ShownQuestion:
    """A question as the entrant sees it during the attempt: no answer key."""
    id: int  # the AttemptQuestion id
    position: int
    text: str
    multiple: bool
    options: list[tuple[int, str]]  # (option id, text) in shown order
    selected: list[int]
    answer_seq: int


def shown_questions(attempt: Attempt) -> list[ShownQuestion]:
    """The attempt's questions in shown order, in two queries."""
    rows = db.session.execute(
        sa.select(AttemptQuestion, Question.text, Question.multiple)
        .join(Question, Question.id == AttemptQuestion.question_id)
        .where(AttemptQuestion.attempt_id == attempt.id).order_by(AttemptQuestion.position)
    ).all()
    qids = [r[0].question_id for r in rows]
    texts = dict(db.session.execute(sa.select(Option.id, Option.text).where(Option.question_id.in_(qids))).all())
    return [
        ShownQuestion(id=aq.id, position=aq.position, text=text, multiple=multiple,
                      options=[(oid, texts.get(oid, "")) for oid in aq.option_order],
                      selected=list(aq.selected or []), answer_seq=aq.answer_seq)
        for aq, text, multiple in rows
    ]


# ---------------------------------------------------------------------------
# Saving answers
# ---------------------------------------------------------------------------

@dataclass(frozen=True)
class SaveResult:
    saved: bool
    selected: list[int]
    seq: int
    remaining_ms: int


def _parse_selected(selected) -> list[int]:
    if selected is None:
        return []
    if not isinstance(selected, list) or len(selected) > 50:
        raise _err("selected_invalid", _l("The answer must be a list of option ids."), 400, "selected")
    out: list[int] = []
    for v in selected:
        if isinstance(v, bool) or not isinstance(v, int):
            if isinstance(v, str) and v.isdigit():
                v = int(v)
            else:
                raise _err("selected_invalid", _l("The answer must be a list of option ids."), 400, "selected")
        if v not in out:
            out.append(v)
    return sorted(out)


def _parse_seq(seq) -> int:
    if isinstance(seq, bool) or not isinstance(seq, int) or not 0 < seq <= MAX_SEQ:
        raise _err("seq_invalid", _l("The answer sequence number is missing or invalid."), 400, "seq")
    return seq


def _check_choice(selected: list[int], option_order: list, multiple: bool) -> None:
    allowed = set(option_order)
    if any(o not in allowed for o in selected):
        raise _err("option_not_in_question", _l("An option does not belong to this question."), 400, "selected")
    if not multiple and len(selected) > 1:
        raise _err("single_choice", _l("This question accepts only one answer."), 400, "selected")


class TimeUp(ServiceError):
    """Raised when an answer or action arrives after deadline + grace."""


def _time_up(attempt_id: int) -> TimeUp:
    exc = TimeUp("time_up", _text(_l("Time is up: this attempt is closed.")), 409)
    exc.attempt_id = attempt_id
    return exc


@functools.cache
def _save_statement():
    """The save UPDATE, built once: constructing it costs more than running it.

    SQLite's RETURNING cannot name the UPDATE's FROM tables, so the shown
    option ids, the single/multiple flag and the deadline are read through
    subqueries.
    """
    a2, q2 = aliased(Attempt), aliased(Question)
    return (
        sa.update(AttemptQuestion)
        .where(AttemptQuestion.id == sa.bindparam("p_aq_id"),
               AttemptQuestion.attempt_id == sa.bindparam("p_attempt_id"),
               AttemptQuestion.answer_seq < sa.bindparam("p_seq"), AttemptQuestion.is_correct.is_(None),
               Attempt.id == AttemptQuestion.attempt_id, Attempt.user_id == sa.bindparam("p_user_id"),
               Attempt.status == AttemptStatus.IN_PROGRESS,
               Attempt.deadline_at >= sa.bindparam("p_not_before", type_=UTCDateTime),
               # The caller may not have loaded the user: the account must still be active.
               sa.exists().where(User.id == Attempt.user_id, User.is_active_account))
        .values(selected=sa.bindparam("p_selected", type_=sa.JSON), answer_seq=sa.bindparam("p_seq"),
                answered_at=sa.bindparam("p_now", type_=UTCDateTime))
        .returning(
            AttemptQuestion.option_order,
            sa.select(q2.multiple).where(q2.id == AttemptQuestion.question_id).scalar_subquery().label("multiple"),
            sa.select(a2.deadline_at).where(a2.id == AttemptQuestion.attempt_id).scalar_subquery()
            .label("deadline_at"),
        )
    )


def save_answer(attempt_id: int, user_id: int, aq_id: int, selected, seq,
                now: datetime | None = None) -> SaveResult:
    """Save one answer.

    The common case is ONE statement: an UPDATE of the question row guarded by
    owner, status, deadline + grace, ``answer_seq < seq`` and "not graded yet",
    returning the shown option ids and the single/multiple flag, which are then
    checked.  A refused answer raises a ServiceError, and the request pipeline
    rolls the UPDATE back (callers outside a request must roll back too).
    When the UPDATE matches nothing, one SELECT tells why: a stale or replayed
    save (``saved=False`` with the stored answer), someone else's attempt, a
    finished attempt, or time up.
    """
    now = now or utcnow()
    selected = _parse_selected(selected)
    seq = _parse_seq(seq)
    # Core execution on the session's connection: the ORM's bulk-UPDATE layer adds nothing here.
    row = db.session.connection().execute(_save_statement(), {
        "p_aq_id": aq_id, "p_attempt_id": attempt_id, "p_user_id": user_id, "p_seq": seq,
        "p_not_before": now - grace(), "p_selected": selected, "p_now": now,
    }).one_or_none()
    if row is not None:
        _check_choice(selected, row.option_order, row.multiple)  # raising rolls the UPDATE back
        return SaveResult(True, selected, seq, max(0, int((row.deadline_at - now).total_seconds() * 1000)))
    return _unsaved(attempt_id, user_id, aq_id, selected, now)


def _unsaved(attempt_id: int, user_id: int, aq_id: int, selected: list[int], now: datetime) -> SaveResult:
    """Why the guarded UPDATE matched nothing."""
    row = db.session.execute(
        sa.select(Attempt.user_id, Attempt.status, Attempt.deadline_at,
                  AttemptQuestion.option_order, AttemptQuestion.selected, AttemptQuestion.answer_seq,
                  AttemptQuestion.is_correct, Question.multiple)
        .select_from(AttemptQuestion)
        .join(Attempt, Attempt.id == AttemptQuestion.attempt_id)
        .join(Question, Question.id == AttemptQuestion.question_id)
        .where(AttemptQuestion.id == aq_id, AttemptQuestion.attempt_id == attempt_id)
    ).one_or_none()
    if row is None:
        if db.session.scalar(sa.select(Attempt.user_id).where(Attempt.id == attempt_id)) == user_id:
            raise _err("question_not_in_attempt", _l("This question is not part of your attempt."), 404)
        raise _err("attempt_not_found", _l("This attempt does not exist."), 404)
    if row.user_id != user_id or not db.session.scalar(sa.select(User.is_active_account).where(User.id == user_id)):
        raise _err("attempt_not_found", _l("This attempt does not exist."), 404)
    if row.status != AttemptStatus.IN_PROGRESS or row.is_correct is not None:
        raise _err("attempt_finished", _l("This attempt has already been submitted."), 409)
    if now > row.deadline_at + grace():
        raise _time_up(attempt_id)
    _check_choice(selected, row.option_order, row.multiple)
    # Stale or replayed: report what is stored.
    left = max(0, int((row.deadline_at - now).total_seconds() * 1000))
    return SaveResult(False, list(row.selected or []), row.answer_seq, left)


def save_answers_form(attempt: Attempt, answers: dict[int, list[int]], now: datetime | None = None) -> None:
    """The page without JavaScript posts every answer at once: the form is the page's state.

    Each changed answer is written with the next sequence number, so it wins
    over anything saved before it.
    """
    now = now or utcnow()
    if attempt.status != AttemptStatus.IN_PROGRESS:
        raise _err("attempt_finished", _l("This attempt has already been submitted."), 409)
    if is_expired(attempt, now):
        raise _time_up(attempt.id)
    by_id = {aq.id: aq for aq in attempt.questions}
    multiple = dict(db.session.execute(
        sa.select(Question.id, Question.multiple).where(Question.id.in_([aq.question_id for aq in by_id.values()]))
    ).all())
    for aq_id, raw in answers.items():
        aq = by_id.get(aq_id)
        if aq is None:
            raise _err("question_not_in_attempt", _l("This question is not part of your attempt."), 400)
        selected = _parse_selected(raw)
        _check_choice(selected, aq.option_order, multiple[aq.question_id])
        if selected != sorted(aq.selected or []):
            aq.selected = selected
            aq.answer_seq = aq.answer_seq + 1
            aq.answered_at = now
    db.session.flush()


# ---------------------------------------------------------------------------
# Prediction
# ---------------------------------------------------------------------------

def parse_prediction(mode: PredictionMode, raw) -> Decimal | None:
    """A non-negative number: an integer for counts, up to 6 decimals for a percentage."""
    if mode == PredictionMode.OFF:
        return None
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        raise _err("prediction_missing", _l("Enter your prediction."), 400, "prediction")
    if isinstance(raw, bool):
        raise _err("prediction_invalid", _l("The prediction must be a number."), 400, "prediction")
    text = raw.strip().replace(" ", "") if isinstance(raw, str) else raw
    if isinstance(text, str) and "," in text:
        # Vietnamese decimal comma: 87,65 → 87.65 (a thousands separator is not accepted).
        if "." in text:
            raise _err("prediction_invalid", _l("The prediction must be a number."), 400, "prediction")
        text = text.replace(",", ".")
    if isinstance(text, float) and not math.isfinite(text):
        raise _err("prediction_invalid", _l("The prediction must be a number."), 400, "prediction")
    try:
        value = Decimal(str(text)) if not isinstance(text, Decimal) else text
    except (InvalidOperation, ValueError):
        raise _err("prediction_invalid", _l("The prediction must be a number."), 400, "prediction")
    if not value.is_finite():
        raise _err("prediction_invalid", _l("The prediction must be a number."), 400, "prediction")
    if value < 0:
        raise _err("prediction_negative", _l("The prediction cannot be negative."), 400, "prediction")
    if mode == PredictionMode.PERFECT_PERCENT:
        if value > 100:
            raise _err("prediction_too_large", _l("A percentage cannot exceed 100."), 400, "prediction")
        if value != value.quantize(Decimal("0.000001")):
            raise _err("prediction_precision", _l("Use at most 6 decimal places."), 400, "prediction")
        return value.quantize(Decimal("0.000001"))
    if value > MAX_PREDICTION:
        raise _err("prediction_too_large", _l("The prediction is unrealistically large."), 400, "prediction")
    if value != value.to_integral_value():
        raise _err("prediction_not_integer", _l("The prediction must be a whole number."), 400, "prediction")
    return value.quantize(Decimal(1))


# ---------------------------------------------------------------------------
# Submitting, grading, closing
# ---------------------------------------------------------------------------

def _grade(attempt: Attempt) -> int:
    """Grade the saved answers; a question scores when the selected set equals the key exactly.

    The attempt's question rows are locked first (waiting for a save in
    flight), and grading marks every row, which makes any later save's
    guarded UPDATE match nothing.
    """
    rows = db.session.execute(
        sa.select(AttemptQuestion.id, AttemptQuestion.question_id, AttemptQuestion.selected)
        .where(AttemptQuestion.attempt_id == attempt.id).with_for_update()
    ).all()
    keys: dict[int, set[int]] = {r.question_id: set() for r in rows}
    for qid, oid in db.session.execute(
        sa.select(Option.question_id, Option.id)
        .where(Option.question_id.in_(list(keys)), Option.is_correct.is_(True))
    ):
        keys[qid].add(oid)
    marks = [{"id": r.id, "is_correct": bool(r.selected) and set(r.selected) == keys[r.question_id]}
             for r in rows]
    if marks:
        db.session.execute(sa.update(AttemptQuestion), marks)
    return sum(1 for m in marks if m["is_correct"])


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
    db.session.refresh(attempt)
    if claimed != 1:
        return False
    attempt.score = _grade(attempt)
    db.session.flush()
    record_standing(attempt)
    return True


def close_expired(attempt: Attempt, now: datetime | None = None) -> bool:
    """Close an attempt whose deadline + grace has passed: grade what was saved."""
    if attempt.status != AttemptStatus.IN_PROGRESS or not is_expired(attempt, now):
        return False
    return _finish(attempt, FinishReason.FINALIZED, attempt.deadline_at, attempt.deadline_at, None)


def submit_attempt(attempt_id: int, user_id: int, prediction=None, *, auto: bool = False,
                   now: datetime | None = None) -> Attempt:
    """Submit once.  A second submission (double click, another tab) returns the first result.

    ``auto`` is the page submitting itself at the deadline: the prediction may
    then be missing (or is dropped if invalid) rather than keep the attempt open.
    """
    now = now or utcnow()
    attempt = get_attempt(attempt_id, user_id, now)  # closes it if expired
    if attempt.status != AttemptStatus.IN_PROGRESS:
        return attempt
    mode = attempt.round.prediction_mode
    if auto and now < attempt.deadline_at - timedelta(seconds=60):
        auto = False  # too early to be the page's own time-out
    try:
        value = parse_prediction(mode, prediction)
    except ServiceError:
        if not auto:
            raise
        value = None
    reason = FinishReason.TIMEOUT if auto else FinishReason.SUBMITTED
    _finish(attempt, reason, now, now, value)
    return attempt


def finalize_expired(now: datetime | None = None) -> int:
    """Close every attempt whose deadline + grace has passed.  Idempotent."""
    now = now or utcnow()
    ids = db.session.scalars(
        sa.select(Attempt.id).where(Attempt.status == AttemptStatus.IN_PROGRESS,
                                    Attempt.deadline_at < now - grace())
        .order_by(Attempt.id)
    ).all()
    closed = 0
    for attempt_id in ids:
        attempt = db.session.get(Attempt, attempt_id)
        if attempt is not None and close_expired(attempt, now):
            closed += 1
    return closed


# ---------------------------------------------------------------------------
# Standings (one row per entrant and round, kept current on every submission)
# ---------------------------------------------------------------------------

def _better(attempt: Attempt, standing: Standing) -> bool:
    return (attempt.score, -attempt.duration_ms) > (standing.score, -standing.duration_ms)


def _copy(attempt: Attempt, standing: Standing) -> None:
    standing.attempt_id = attempt.id
    standing.unit_id = attempt.unit_id
    standing.category = attempt.category
    standing.score = attempt.score
    standing.max_score = attempt.max_score
    standing.duration_ms = attempt.duration_ms
    standing.prediction = attempt.prediction
    standing.submitted_at = attempt.submitted_at


def _standing(round_id: int, user_id: int) -> Standing | None:
    return db.session.scalar(
        sa.select(Standing).where(Standing.round_id == round_id, Standing.user_id == user_id).with_for_update()
    )


def record_standing(attempt: Attempt) -> Standing:
    """Upsert the entrant's standing for the round after a submission."""
    standing = _standing(attempt.round_id, attempt.user_id)
    if standing is None:
        standing = Standing(round_id=attempt.round_id, user_id=attempt.user_id, attempts_count=1)
        _copy(attempt, standing)
        try:
            with db.session.begin_nested():
                db.session.add(standing)
                db.session.flush()
            return standing
        except sa.exc.IntegrityError:
            standing = _standing(attempt.round_id, attempt.user_id)
    if standing.attempt_id == attempt.id:
        return standing
    standing.attempts_count = db.session.scalar(
        sa.select(sa.func.count()).select_from(Attempt)
        .where(Attempt.round_id == attempt.round_id, Attempt.user_id == attempt.user_id,
               Attempt.status == AttemptStatus.SUBMITTED)
    )
    policy = attempt.round.counted_attempt
    if policy == CountedAttempt.LAST or (policy == CountedAttempt.BEST and _better(attempt, standing)):
        _copy(attempt, standing)
    db.session.flush()
    return standing


# ---------------------------------------------------------------------------
# Results and review
# ---------------------------------------------------------------------------

def review_visible(attempt: Attempt, now: datetime | None = None) -> bool:
    """Whether the entrant may see the right answers, explanations and sources."""
    if attempt.status != AttemptStatus.SUBMITTED:
        return False
    policy = attempt.round.review_policy
    if policy == ReviewPolicy.AFTER_ATTEMPT:
        return True
    if policy == ReviewPolicy.AFTER_CLOSE:
        return round_state(attempt.round, now) == "closed"
    return False


@dataclass(frozen=True)
class ReviewedQuestion:
    position: int
    text: str
    multiple: bool
    options: list[tuple[int, str, bool]]  # (id, text, is_correct) in shown order
    selected: list[int]
    is_correct: bool
    explanation: str | None
    source: str | None


def review(attempt: Attempt) -> list[ReviewedQuestion]:
    """The questions with the key: only call when ``review_visible`` is true."""
    rows = db.session.execute(
        sa.select(AttemptQuestion, Question)
        .join(Question, Question.id == AttemptQuestion.question_id)
        .where(AttemptQuestion.attempt_id == attempt.id).order_by(AttemptQuestion.position)
    ).all()
    qids = [q.id for _aq, q in rows]
    opts = {o.id: o for o in db.session.scalars(sa.select(Option).where(Option.question_id.in_(qids)))}
    return [
        ReviewedQuestion(
            position=aq.position, text=q.text, multiple=q.multiple,
            options=[(oid, opts[oid].text, opts[oid].is_correct) for oid in aq.option_order if oid in opts],
            selected=list(aq.selected or []), is_correct=bool(aq.is_correct),
            explanation=q.explanation, source=q.source,
        )
        for aq, q in rows
    ]


def finalize_all(now: datetime | None = None) -> tuple[int, int]:
    """What ``flask rounds finalize`` does: close expired attempts, then store the
    true figure of every round closed for longer than the grace period."""
    from quizapp.leaderboards.ranking import finalize_round

    now = now or utcnow()
    closed = finalize_expired(now)
    rounds = db.session.scalars(
        sa.select(Round).where(Round.finalized_at.is_(None), Round.closes_at < now - grace()).order_by(Round.id)
    ).all()
    done = sum(1 for rnd in rounds if finalize_round(rnd, now))
    return closed, done


def submit_form(attempt_id: int, user_id: int, answers: dict[int, list[int]], prediction, *,
                auto: bool = False, now: datetime | None = None) -> Attempt:
    """The page without JavaScript: check the prediction, save the posted answers, submit."""
    now = now or utcnow()
    attempt = get_attempt(attempt_id, user_id, now)
    if attempt.status != AttemptStatus.IN_PROGRESS:
        return attempt
    if not (auto and now >= attempt.deadline_at - timedelta(seconds=60)):
        parse_prediction(attempt.round.prediction_mode, prediction)  # refuse before writing anything
    save_answers_form(attempt, answers, now)
    return submit_attempt(attempt_id, user_id, prediction, auto=auto, now=now)
