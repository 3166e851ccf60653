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
import json
import math
import random
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy.dialects import sqlite
from sqlalchemy.orm import aliased
from sqlalchemy.orm.attributes import set_committed_value

from quizapp.attempts import draws
from quizapp.attempts.models import Attempt, AttemptQuestion, AttemptStatus, FinishReason
from quizapp.attempts.option_ids import OptionIds
from quizapp.auth.models import User
from quizapp.bank.models import Option, Question
from quizapp.contests.models import (Contest, ContestStatus, CountedAttempt, Grant, PredictionMode,
                                     ReviewPolicy, Round, RoundQuota, contest_units)
from quizapp.contests.services import (EntrantLimits, admits, is_eligible, limits_for, review_time_reached,
                                       round_state)
from quizapp.core.arrival import queue_allowance
from quizapp.core.db import UTCDateTime, db, utcnow
from quizapp.core.errors import ServiceError, message_text
from quizapp.leaderboards import standings
from quizapp.leaderboards.models import Standing
from quizapp.units.models import Unit

# Largest answer sequence number a client may send (JavaScript's safe integer).
MAX_SEQ = 2**53 - 1
# Predictions above this are absurd for any contest (counts of entrants).
MAX_PREDICTION = Decimal(10) ** 9
# attempts.prediction is NUMERIC(20, 6): values read back have six decimals.
PREDICTION_SCALE = Decimal("0.000001")


def _text(message) -> str:
    return message_text(message)


def _err(code: str, message, status: int = 400, field: str | None = None) -> ServiceError:
    return ServiceError(code, _text(message), status, field)


def grace() -> timedelta:
    return timedelta(seconds=int(current_app.config.get("ANSWER_GRACE_SECONDS", 5)))


def sweep_after() -> timedelta:
    """How long after its deadline the server itself closes an attempt nobody submitted (and, after
    a round's close, fixes the round's true figure): the grace period, plus, behind a trusted proxy,
    the time a request stamped in time may still queue in front of the workers
    (``core.arrival.queue_allowance``)."""
    return grace() + queue_allowance()


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


@dataclass(frozen=True)
class MyAttempt:
    """One of the entrant's attempts, in any round (past rounds included)."""
    id: int
    round_id: int
    round_title: str
    contest_id: int
    contest_title: str
    number: int
    status: AttemptStatus
    started_at: datetime
    deadline_at: datetime
    submitted_at: datetime | None
    finish_reason: FinishReason | None
    score: int | None
    max_score: int
    duration_ms: int | None
    counted: bool  # the attempt that counts in the round's ranking


def my_attempts(user_id: int) -> list[MyAttempt]:
    """Every attempt of the entrant, newest first (one query)."""
    rows = db.session.execute(
        sa.select(Attempt.id, Attempt.round_id, Round.title.label("round_title"), Contest.id.label("contest_id"),
                  Contest.title.label("contest_title"), Attempt.number, Attempt.status, Attempt.started_at,
                  Attempt.deadline_at, Attempt.submitted_at, Attempt.finish_reason, Attempt.score,
                  Attempt.max_score, Attempt.duration_ms, (Standing.attempt_id == Attempt.id).label("counted"))
        .join(Round, Round.id == Attempt.round_id).join(Contest, Contest.id == Round.contest_id)
        .outerjoin(Standing, (Standing.round_id == Attempt.round_id) & (Standing.user_id == Attempt.user_id))
        .where(Attempt.user_id == user_id)
        .order_by(Attempt.started_at.desc(), Attempt.id.desc())
    ).all()
    return [MyAttempt(**{**r._mapping, "counted": bool(r.counted)}) for r in rows]


# ---------------------------------------------------------------------------
# Starting (or resuming) an attempt
# ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Quota:
    area_id: int
    difficulty: int
    count: int
    group: str = ""  # the entrant category these cells are for ("" = everyone else)

    @classmethod
    def parse(cls, cell: str) -> "Quota":
        """From "area:difficulty:count:group" (the start's one-SELECT aggregate)."""
        area_id, difficulty, count, *group = cell.split(":", 3)
        return cls(int(area_id), int(difficulty), int(count), group[0] if group else "")


@dataclass(frozen=True)
class StartState:
    """What starting an attempt needs to know, read in one statement: the round's
    settings, its contest's status and eligibility rule applied to the entrant,
    the entrant's attempts so far and grants."""
    round_id: int
    opens_at: datetime
    closes_at: datetime
    time_limit_seconds: int
    attempts_allowed: int
    shuffle_questions: bool
    shuffle_options: bool
    prediction_mode: PredictionMode
    published: bool
    eligible: bool
    unit_id: int | None
    category: str | None
    quotas: tuple[Quota, ...]  # the cells this entrant draws from (their group's, else the common ones)
    pool: list[draws.PoolEntry]  # approved questions of the quota's areas
    contest_id: int
    number: int
    fresh_questions: bool  # per-round pool: avoid questions earlier rounds drew
    used: int  # attempts started so far
    open_id: int | None  # the attempt in progress, if any
    limits: EntrantLimits


@dataclass(frozen=True)
class AttemptView:
    """An attempt as its entrant sees it: never an answer key.
    ``questions`` is None once the attempt is submitted."""
    id: int
    round_id: int
    number: int
    status: AttemptStatus
    started_at: datetime
    deadline_at: datetime
    prediction_mode: PredictionMode
    questions: list["ShownQuestion"] | None


def attempt_view(attempt: Attempt) -> AttemptView:
    in_progress = attempt.status == AttemptStatus.IN_PROGRESS
    return AttemptView(attempt.id, attempt.round_id, attempt.number, attempt.status, attempt.started_at,
                       attempt.deadline_at, attempt.round.prediction_mode,
                       shown_questions(attempt) if in_progress else None)


def _colon_joined(*columns):
    """"1:2:3": integer columns as one string, an entry of ``aggregate_strings``."""
    out = sa.cast(columns[0], sa.String)
    for column in columns[1:]:
        out = out + ":" + sa.cast(column, sa.String)
    return out


@functools.cache
def _state_statement():
    """One SELECT for everything the start checks (see StartState).  Eligibility by
    unit is tested in SQL: the entrant's unit path starts with a listed unit's path.
    The quota cells and the question pool come as strings of "a:b:c" entries
    (``aggregate_strings``: string_agg / group_concat), one value instead of
    hundreds of rows."""
    rid, uid = sa.bindparam("p_round_id"), sa.bindparam("p_user_id")
    entrant_unit, listed_unit = aliased(Unit), aliased(Unit)
    mine = (Attempt.round_id == rid, Attempt.user_id == uid)
    granted = (Grant.round_id == rid, Grant.user_id == uid)
    listed = contest_units.c.contest_id == Contest.id
    quota_areas = sa.select(RoundQuota.area_id).where(RoundQuota.round_id == rid)
    return (
        sa.select(
            Round.id, Round.opens_at, Round.closes_at, Round.time_limit_seconds, Round.attempts_allowed,
            Round.shuffle_questions, Round.shuffle_options, Round.prediction_mode, Round.contest_id, Round.number,
            Round.fresh_questions, Contest.status.label("contest_status"), Contest.open_to_all, Contest.eligible_categories,
            User.is_active_account, User.unit_id, User.category,
            sa.exists().where(listed).label("has_units"),
            sa.exists().where(
                listed, listed_unit.id == contest_units.c.unit_id,
                sa.func.substr(entrant_unit.path, 1, sa.func.length(listed_unit.path)) == listed_unit.path,
            ).label("in_units"),
            sa.select(sa.func.aggregate_strings(
                _colon_joined(RoundQuota.area_id, RoundQuota.difficulty, RoundQuota.count)
                + ":" + RoundQuota.entrant_group, ","))
            .where(RoundQuota.round_id == rid)
            .scalar_subquery().label("quotas"),
            sa.select(sa.func.aggregate_strings(
                _colon_joined(Question.id, Question.area_id, Question.difficulty, Question.times_drawn)
                + ":" + sa.func.coalesce(Question.exclusion_group, ""), ","))
            .where(*draws.drawable(quota_areas))
            .scalar_subquery().label("pool"),
            sa.select(sa.func.count()).where(*mine).scalar_subquery().label("used"),
            sa.select(sa.func.max(sa.case((Attempt.status == AttemptStatus.IN_PROGRESS, Attempt.id))))
            .where(*mine).scalar_subquery().label("open_id"),
            sa.select(sa.func.coalesce(sa.func.sum(Grant.extra_minutes), 0)).where(*granted)
            .scalar_subquery().label("extra_minutes"),
            sa.select(sa.func.coalesce(sa.func.sum(Grant.extra_attempts), 0)).where(*granted)
            .scalar_subquery().label("extra_attempts"),
        )
        .select_from(Round)
        .join(Contest, Contest.id == Round.contest_id)
        .outerjoin(User, User.id == uid)
        .outerjoin(entrant_unit, entrant_unit.id == User.unit_id)
        .where(Round.id == rid)
    )


def _start_state(round_id: int, user_id: int) -> StartState | None:
    """None when the round does not exist."""
    r = db.session.connection().execute(
        _state_statement(), {"p_round_id": round_id, "p_user_id": user_id}).one_or_none()
    if r is None:
        return None
    cells = [Quota.parse(cell) for cell in (r.quotas or "").split(",") if cell]
    pool = [draws.PoolEntry.parse(entry) for entry in (r.pool or "").split(",") if entry]
    category = r.category.value if r.category is not None else None
    quotas = tuple(q for q in cells if category and q.group == category) or tuple(q for q in cells if not q.group)
    active = bool(r.is_active_account)
    eligible = active and admits(r.open_to_all, r.eligible_categories, category, r.has_units, bool(r.in_units))
    return StartState(
        round_id=r.id, opens_at=r.opens_at, closes_at=r.closes_at, time_limit_seconds=r.time_limit_seconds,
        attempts_allowed=r.attempts_allowed, shuffle_questions=r.shuffle_questions,
        shuffle_options=r.shuffle_options, prediction_mode=r.prediction_mode,
        published=r.contest_status == ContestStatus.PUBLISHED, eligible=eligible,
        unit_id=r.unit_id, category=category, quotas=quotas, pool=pool, contest_id=r.contest_id, number=r.number,
        fresh_questions=bool(r.fresh_questions), used=int(r.used), open_id=r.open_id,
        limits=EntrantLimits.of(r, r.extra_minutes, r.extra_attempts),
    )


@functools.cache
def _insert_attempt_statement():
    """SQLite (the other supported database; PostgreSQL uses _PG_WRITE_ATTEMPT).
    INSERT ... ON CONFLICT DO NOTHING RETURNING id: a concurrent start of the same
    entrant that took the slot (unique number, one open attempt) yields no row
    instead of an error, so no SAVEPOINT is needed."""
    return sqlite.insert(Attempt.__table__).on_conflict_do_nothing().returning(Attempt.__table__.c.id)


@functools.cache
def _insert_questions_statement():
    shown = AttemptQuestion.__table__
    return sa.insert(shown).returning(shown.c.id, sort_by_parameter_order=True)


def _write_attempt(conn, attempt: dict, question_ids: list[int], orders: list[list[int]]) -> list[int] | None:
    """Insert the attempt and its questions; count the draws once committed.
    Returns [attempt id, attempt-question ids in position order], or None if a
    concurrent start of the same entrant took the slot (nothing is written then)."""
    if conn.dialect.name == "postgresql":
        written = _write_attempt_postgresql(conn, attempt, question_ids, orders)
    else:
        written = _write_attempt_sqlite(conn, attempt, question_ids, orders)
    if written is not None:
        draws.count_draws_at_commit(question_ids)
    return written


def _write_attempt_sqlite(conn, attempt: dict, question_ids: list[int], orders: list[list[int]]):
    attempt_id = conn.execute(_insert_attempt_statement(), attempt).scalar_one_or_none()
    if attempt_id is None:
        return None
    ids = conn.execute(_insert_questions_statement(), [
        {"attempt_id": attempt_id, "question_id": qid, "position": position, "option_order": order,
         "answer_seq": 0}
        for position, (qid, order) in enumerate(zip(question_ids, orders), start=1)
    ]).scalars().all()
    return [attempt_id, *ids]


# PostgreSQL: the whole write in ONE statement of fixed text (prepared by psycopg
# after a few runs): the attempt, then its questions from two arrays.
_PG_WRITE_ATTEMPT = sa.text("""
WITH new_attempt AS (
    INSERT INTO attempts (round_id, user_id, unit_id, category, number, status, started_at, deadline_at,
                          max_score)
    VALUES (:round_id, :user_id, :unit_id, :category, :number, :status, :started_at, :deadline_at, :max_score)
    ON CONFLICT DO NOTHING
    RETURNING id
), shown AS (
    INSERT INTO attempt_questions (attempt_id, question_id, position, option_order, answer_seq)
    SELECT new_attempt.id, drawn.question_id, drawn.position, CAST(drawn.option_order AS json), 0
    FROM new_attempt,
         unnest(CAST(:question_ids AS integer[]), CAST(:option_orders AS text[]))
             WITH ORDINALITY AS drawn(question_id, option_order, position)
    RETURNING id, position
)
SELECT new_attempt.id AS attempt_id, shown.id
FROM new_attempt JOIN shown ON true
ORDER BY shown.position
""")


def _write_attempt_postgresql(conn, attempt: dict, question_ids: list[int], orders: list[list[int]]):
    rows = conn.execute(_PG_WRITE_ATTEMPT, {
        **attempt, "status": attempt["status"].value, "question_ids": question_ids,
        "option_orders": [json.dumps(order) for order in orders],
    }).all()
    if not rows:
        return None
    return [rows[0].attempt_id, *(r.id for r in rows)]


def begin_attempt(round_id: int, user_id: int, now: datetime | None = None,
                  rng: random.Random | None = None) -> AttemptView:
    """Start an attempt, or resume the one in progress; return it as the entrant sees it.

    The hot path of a contest's opening minutes, so it counts its statements:
    one SELECT of the round, the entrant's eligibility, attempts and grants
    and the question pool (``_start_state``); the drawn questions' texts come
    from the content cache (a SELECT only for questions not seen yet); then the
    write: on PostgreSQL one statement (attempt, questions, draw counts), on
    SQLite the attempt INSERT (ON CONFLICT DO NOTHING), one INSERT of all its
    questions and, just before COMMIT, the ``times_drawn`` UPDATE.  The
    response is built from what was drawn, without reading it back.
    Must be the first write of its transaction (it is, in every caller).
    """
    now = now or utcnow()
    state = _start_state(round_id, user_id)
    if state is None or not state.published:
        raise _err("round_not_found", _l("This round does not exist or is not published."), 404)
    if state.open_id is not None:
        current = db.session.get(Attempt, state.open_id)
        if not is_expired(current, now):
            # Eligibility was judged when it started (its category is stored on it): an
            # admin changing the entrant's category since does not take it away.
            return attempt_view(current)
        close_expired(current, now)
    if not state.eligible:
        raise _err("not_eligible", _l("You are not eligible for this contest."), 403)
    phase = round_state(state, now)
    if phase != "open":
        if phase == "upcoming":
            raise _err("round_not_open", _l("This round has not opened yet."), 409)
        raise _err("round_closed", _l("This round has closed."), 409)
    number = state.used + 1
    if number > state.limits.attempts_allowed:
        raise _err("attempt_limit", _l("You have used all your attempts for this round."), 409)

    rng = rng or draws.fresh_rng()
    avoid = draws.used_in_earlier_rounds(state.contest_id, state.number) if state.fresh_questions else frozenset()
    question_ids = draws.draw_questions(state.quotas, rng, state.pool, avoid)
    if state.shuffle_questions:
        rng.shuffle(question_ids)
    content = draws.question_content(question_ids)
    options = {qid: list(content[qid].options) for qid in question_ids}
    if state.shuffle_options:
        for shown in options.values():
            rng.shuffle(shown)

    deadline = min(now + state.limits.time_limit, state.closes_at)
    written = _write_attempt(db.session.connection(), {
        "round_id": state.round_id, "user_id": user_id, "unit_id": state.unit_id, "category": state.category,
        "number": number, "status": AttemptStatus.IN_PROGRESS, "started_at": now, "deadline_at": deadline,
        "max_score": len(question_ids),
    }, question_ids, [[oid for oid, _ in options[qid]] for qid in question_ids])
    if written is None:
        return _lost_race(state, user_id)
    attempt_id, *aq_ids = written
    shown_id = OptionIds(attempt_id).shown
    return AttemptView(
        attempt_id, state.round_id, number, AttemptStatus.IN_PROGRESS, now, deadline, state.prediction_mode,
        [ShownQuestion(id=aq_id, position=position, text=content[qid].text, multiple=content[qid].multiple,
                       options=[(shown_id(oid), text) for oid, text in options[qid]], selected=[], answer_seq=0)
         for position, (aq_id, qid) in enumerate(zip(aq_ids, question_ids), start=1)],
    )


def _lost_race(state: StartState, user_id: int) -> AttemptView:
    """A concurrent start of the same entrant took the slot first."""
    existing = _open_attempt(state.round_id, user_id)
    if existing is not None:
        return attempt_view(existing)
    if _attempt_count(state.round_id, user_id) >= state.limits.attempts_allowed:
        raise _err("attempt_limit", _l("You have used all your attempts for this round."), 409)
    raise _err("attempt_conflict", _l("Another start of this round is in progress. Please try again."), 409)


def start_attempt(round_id: int, user: User, now: datetime | None = None,
                  rng: random.Random | None = None) -> Attempt:
    """``begin_attempt`` for callers that want the Attempt itself."""
    return db.session.get(Attempt, begin_attempt(round_id, user.id, now, rng).id)


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
    """A question as the entrant sees it during the attempt: no answer key.
    Option ids are the attempt's shown ids (``option_ids``), never the bank's."""
    id: int  # the AttemptQuestion id
    position: int
    text: str
    multiple: bool
    options: list[tuple[int, str]]  # (shown option id, text) in shown order
    selected: list[int]  # shown option ids
    answer_seq: int


def shown_questions(attempt: Attempt) -> list[ShownQuestion]:
    """The attempt's questions in shown order: one query, texts from the content cache."""
    rows = db.session.execute(
        sa.select(AttemptQuestion.id, AttemptQuestion.position, AttemptQuestion.question_id,
                  AttemptQuestion.option_order, AttemptQuestion.selected, AttemptQuestion.answer_seq)
        .where(AttemptQuestion.attempt_id == attempt.id).order_by(AttemptQuestion.position)
    ).all()
    content = draws.question_content([r.question_id for r in rows])
    shown_id = OptionIds(attempt.id).shown
    shown = []
    for r in rows:
        texts = dict(content[r.question_id].options)
        shown.append(ShownQuestion(
            id=r.id, position=r.position, text=content[r.question_id].text, multiple=content[r.question_id].multiple,
            options=[(shown_id(oid), texts.get(oid, "")) for oid in r.option_order],
            selected=sorted(shown_id(oid) for oid in r.selected or []), answer_seq=r.answer_seq))
    return shown


# ---------------------------------------------------------------------------
# Saving answers
# ---------------------------------------------------------------------------

@dataclass(frozen=True)
class SaveResult:
    saved: bool
    selected: list[int]  # shown option ids
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
    shown = _parse_selected(selected)
    seq = _parse_seq(seq)
    ids = OptionIds(attempt_id)
    selected = sorted(ids.real(v) for v in shown)
    # Core execution on the session's connection: the ORM's bulk-UPDATE layer adds nothing here.
    row = db.session.connection().execute(_save_statement(), {
        "p_aq_id": aq_id, "p_attempt_id": attempt_id, "p_user_id": user_id, "p_seq": seq,
        "p_not_before": now - grace(), "p_selected": selected, "p_now": now,
    }).one_or_none()
    if row is not None:
        _check_choice(selected, row.option_order, row.multiple)  # raising rolls the UPDATE back
        return SaveResult(True, shown, seq, max(0, int((row.deadline_at - now).total_seconds() * 1000)))
    return _unsaved(attempt_id, user_id, aq_id, selected, now, ids)


def _unsaved(attempt_id: int, user_id: int, aq_id: int, selected: list[int], now: datetime,
             ids: OptionIds) -> SaveResult:
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
    return SaveResult(False, sorted(ids.shown(oid) for oid in row.selected or []), row.answer_seq, left)


def save_answers_form(attempt: Attempt, answers: dict[int, list[int]], now: datetime | None = None) -> None:
    """The page without JavaScript posts every answer at once: the form is the page's state
    (``answers``: attempt-question id → shown option ids).

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
    ids = OptionIds(attempt.id)
    for aq_id, raw in answers.items():
        aq = by_id.get(aq_id)
        if aq is None:
            raise _err("question_not_in_attempt", _l("This question is not part of your attempt."), 400)
        selected = sorted(ids.real(v) for v in _parse_selected(raw))
        _check_choice(selected, aq.option_order, multiple[aq.question_id])
        if selected != sorted(aq.selected or []):
            aq.selected = selected
            aq.answer_seq = aq.answer_seq + 1
            aq.answered_at = now
    db.session.flush()


# ---------------------------------------------------------------------------
# Prediction
# ---------------------------------------------------------------------------

# Vietnamese thousands grouping: "1.000.000" (dots between groups of three digits),
# optionally followed by a decimal comma: "1.234,5".
_GROUPED = re.compile(r"\d{1,3}(\.\d{3})+(,\d+)?")


def _prediction_text(mode: PredictionMode, text: str) -> str:
    """The number as Python reads it: Vietnamese grouping and decimal comma undone."""
    def invalid():
        return _err("prediction_invalid", _l("The prediction must be a number."), 400, "prediction")
    if "e" in text.lower() and text.lower() not in ("inf", "infinity", "nan"):
        raise invalid()  # no exponents ("1e3"): write the number out
    if _GROUPED.fullmatch(text) and ("," in text or mode != PredictionMode.PERFECT_PERCENT):
        # "1.000.000" (a count) or "1.234,5": dots group thousands.  In a percentage
        # (at most 100) a lone dot is a decimal point: "12.345" is 12.345 %.
        return text.replace(".", "").replace(",", ".")
    if "," in text:
        if "." in text or text.count(",") > 1:
            raise invalid()
        return text.replace(",", ".")  # Vietnamese decimal comma: 87,65 → 87.65
    return text


def parse_prediction(mode: PredictionMode, raw) -> Decimal | None:
    """A non-negative number: an integer for counts, up to 6 decimals for a percentage.

    Strings may group thousands the Vietnamese way ("1.000.000") and use a decimal
    comma ("87,65"); a dot alone is a decimal point ("87.65"), except that in a count a
    dot followed by groups of three digits groups thousands ("12.345" = 12345).
    Exponents ("1e3") are refused.  JSON numbers are taken as they are."""
    if mode == PredictionMode.OFF:
        return None
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        raise _err("prediction_missing", _l("Enter your prediction."), 400, "prediction")
    if isinstance(raw, bool):
        raise _err("prediction_invalid", _l("The prediction must be a number."), 400, "prediction")
    text = raw.strip().replace(" ", "").replace("\u00a0", "") if isinstance(raw, str) else raw
    if isinstance(text, str):
        text = _prediction_text(mode, text)
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
        if value != value.quantize(PREDICTION_SCALE):
            raise _err("prediction_precision", _l("Use at most 6 decimal places."), 400, "prediction")
        return value.quantize(PREDICTION_SCALE)
    if value > MAX_PREDICTION:
        raise _err("prediction_too_large", _l("The prediction is unrealistically large."), 400, "prediction")
    if value != value.to_integral_value():
        raise _err("prediction_not_integer", _l("The prediction must be a whole number."), 400, "prediction")
    return value.quantize(Decimal(1))


# ---------------------------------------------------------------------------
# Submitting, grading, closing
# ---------------------------------------------------------------------------

def _grade(attempt: Attempt) -> int:
    """Grade the saved answers of a closed-by-the-server attempt (ORM path of ``close_expired``).

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
    right = [r.id for r in rows if r.selected and set(r.selected) == keys[r.question_id]]
    if rows:  # every question marked in one statement: right ones true, the others false
        db.session.execute(
            sa.update(AttemptQuestion).where(AttemptQuestion.attempt_id == attempt.id)
            .values(is_correct=AttemptQuestion.id.in_(right))
            .execution_options(synchronize_session="fetch"))  # loaded rows re-read their marks
    return len(right)


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
    attempt.score = _grade(attempt)
    db.session.flush()
    record_standing(attempt)
    return True


def close_expired(attempt: Attempt, now: datetime | None = None) -> bool:
    """Close an attempt whose deadline + grace has passed: grade what was saved."""
    if attempt.status != AttemptStatus.IN_PROGRESS or not is_expired(attempt, now):
        return False
    return _finish(attempt, FinishReason.FINALIZED, attempt.deadline_at, attempt.deadline_at, None)


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
                  Round.closes_at, Round.finalized_at, Round.prediction_truth, Contest.ranking_order,
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

    ``now`` decides whether the submission arrived in time (a trusted proxy's arrival stamp);
    ``clock`` (the server's own clock, default ``now``) measures the recorded duration, so an
    arrival stamp can never shorten it (issue 20 item 3).

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
    right = [r.aq_id for r in rows
             if r.selected and r.keys and set(r.selected) == {int(k) for k in r.keys.split(",")}]
    reason = FinishReason.TIMEOUT if auto else FinishReason.SUBMITTED
    duration = max(0, int((min(max(clock or now, now), head.deadline_at) - head.started_at).total_seconds() * 1000))
    values = {"attempt_id": head.id, "finish_reason": reason.value, "submitted_at": now, "duration_ms": duration,
              "prediction": value, "score": len(right)}
    if not _write_submission(conn, head, values, right):
        return _submit_slow(attempt_id, user_id, now)  # a concurrent submit recorded it first
    policy = ReviewPolicy(head.review_policy)
    if policy == ReviewPolicy.AFTER_CONTEST:  # rare: needs the contest's last closing time
        visible = review_time_reached(db.session.get(Round, head.round_id), now)
    else:
        visible = policy == ReviewPolicy.AFTER_ATTEMPT or (
            policy == ReviewPolicy.AFTER_CLOSE and round_state(head, now) == "closed")
    return ResultView(head.id, head.round_id, AttemptStatus.SUBMITTED, len(right), head.max_score, duration,
                      head.started_at, head.deadline_at, now, reason,
                      None if value is None else value.quantize(PREDICTION_SCALE), visible)


def _submit_slow(attempt_id: int, user_id: int, now: datetime) -> ResultView:
    """Not the common case: someone else's or a missing attempt (404), an inactive account,
    an attempt already submitted (the first result), or time up (409, the attempt closed)."""
    attempt = db.session.get(Attempt, attempt_id, populate_existing=True)
    if attempt is None or attempt.user_id != user_id or not db.session.scalar(
            sa.select(User.is_active_account).where(User.id == user_id)):
        raise _err("attempt_not_found", _l("This attempt does not exist."), 404)
    if attempt.status == AttemptStatus.IN_PROGRESS and is_expired(attempt, now):
        raise _time_up(attempt_id)  # the caller closes it (close_after_time_up), as for a save
    if attempt.finish_reason == FinishReason.FINALIZED:
        raise _time_up(attempt_id)  # the server closed it at its deadline: this submission came too late
    if attempt.status == AttemptStatus.IN_PROGRESS:  # not recorded by anyone: never answer with a result
        raise _err("attempt_conflict", _l("Another submission of this attempt is in progress. Please try again."),
                   409)
    return result_view(attempt, now)


def submit_attempt(attempt_id: int, user_id: int, prediction=None, *, auto: bool = False,
                   now: datetime | None = None, clock: datetime | None = None) -> Attempt:
    """``submit`` for callers that want the Attempt itself (pages, CLI, tests)."""
    view = submit(attempt_id, user_id, prediction, auto=auto, now=now, clock=clock)
    db.session.expire_all()  # the Core statements bypassed the identity map
    return db.session.get(Attempt, view.id)


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


# ---------------------------------------------------------------------------
# Standings (one row per entrant and round, kept current on every submission)
# ---------------------------------------------------------------------------

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


# ---------------------------------------------------------------------------
# Results and review
# ---------------------------------------------------------------------------

def review_visible(attempt: Attempt, now: datetime | None = None) -> bool:
    """Whether the entrant may see the right answers, explanations and sources."""
    if attempt.status != AttemptStatus.SUBMITTED:
        return False
    return review_time_reached(attempt.round, now)


@dataclass(frozen=True)
class ReviewedQuestion:
    position: int
    text: str
    multiple: bool
    options: list[tuple[int, str, bool]]  # (shown id, text, is_correct) in shown order
    selected: list[int]  # shown ids
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
    shown_id = OptionIds(attempt.id).shown
    return [
        ReviewedQuestion(
            position=aq.position, text=q.text, multiple=q.multiple,
            options=[(shown_id(oid), opts[oid].text, opts[oid].is_correct) for oid in aq.option_order if oid in opts],
            selected=sorted(shown_id(oid) for oid in aq.selected or []), is_correct=bool(aq.is_correct),
            explanation=q.explanation, source=q.source,
        )
        for aq, q in rows
    ]


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
