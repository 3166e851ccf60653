"""Starting (or resuming) an attempt: the one-SELECT start state, the draw, the write per engine.

Owns: ``begin_attempt`` (the hot path of a contest's opening minutes: its statement count
is pinned by tests), the start's SQL on SQLite and PostgreSQL, the lost-race answer.
Must not: choose questions itself (``draws`` does), decide eligibility or limits beyond
applying ``contests.eligibility.admits`` / ``EntrantLimits`` to the columns it reads, or add
a statement to the hot path.
"""
from __future__ import annotations

import functools
import json
import random
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.dialects import sqlite
from sqlalchemy.orm import aliased

from quizapp.attempts import draws
from quizapp.attempts.clock import is_expired
from quizapp.attempts.errors import err
from quizapp.attempts.models import Attempt, AttemptQuestion, AttemptStatus
from quizapp.attempts.option_ids import OptionIds
from quizapp.attempts.shown import AttemptView, ShownQuestion, attempt_view
from quizapp.attempts.sweep import close_expired
from quizapp.auth.models import User
from quizapp.bank.models import Question
from quizapp.contests.models import (Contest, ContestStatus, Grant, PredictionMode, Round, RoundQuota,
                                     contest_units)
from quizapp.contests.eligibility import admits
from quizapp.contests.grants import EntrantLimits
from quizapp.contests.schedule import round_state
from quizapp.core.db import db, utcnow
from quizapp.units.models import Unit


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
        raise err("round_not_found", _l("This round does not exist or is not published."), 404)
    if state.open_id is not None:
        current = db.session.get(Attempt, state.open_id)
        if not is_expired(current, now):
            # Eligibility was judged when it started (its category is stored on it): an
            # admin changing the entrant's category since does not take it away.
            return attempt_view(current)
        close_expired(current, now)
    if not state.eligible:
        raise err("not_eligible", _l("You are not eligible for this contest."), 403)
    phase = round_state(state, now)
    if phase != "open":
        if phase == "upcoming":
            raise err("round_not_open", _l("This round has not opened yet."), 409)
        raise err("round_closed", _l("This round has closed."), 409)
    number = state.used + 1
    if number > state.limits.attempts_allowed:
        raise err("attempt_limit", _l("You have used all your attempts for this round."), 409)

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
        raise err("attempt_limit", _l("You have used all your attempts for this round."), 409)
    raise err("attempt_conflict", _l("Another start of this round is in progress. Please try again."), 409)


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
