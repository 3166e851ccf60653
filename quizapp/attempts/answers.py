"""Saving answers: one answer (the JSON hot path) or the whole form (the page without JavaScript).

Owns: parsing a posted choice and sequence number, ``check_choice`` (the chosen options
belong to the question; one only for a single-choice question: practice uses it too),
the guarded save UPDATE and why it matched nothing.
Must not: grade (``grading``), close an attempt (``sweep``) or add a statement to
``save_answer``'s one-UPDATE common case.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import aliased

from quizapp.attempts.clock import grace, is_expired
from quizapp.attempts.errors import err, time_up
from quizapp.attempts.models import Attempt, AttemptQuestion, AttemptStatus
from quizapp.attempts.option_ids import OptionIds
from quizapp.auth.models import User
from quizapp.bank.models import Question
from quizapp.core.db import UTCDateTime, db, utcnow

# Largest answer sequence number a client may send (JavaScript's safe integer).
MAX_SEQ = 2**53 - 1


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
        raise err("selected_invalid", _l("The answer must be a list of option ids."), 400, "selected")
    out: list[int] = []
    for v in selected:
        if isinstance(v, bool) or not isinstance(v, int):
            if isinstance(v, str) and v.isdigit():
                v = int(v)
            else:
                raise err("selected_invalid", _l("The answer must be a list of option ids."), 400, "selected")
        if v not in out:
            out.append(v)
    return sorted(out)


def _parse_seq(seq) -> int:
    if isinstance(seq, bool) or not isinstance(seq, int) or not 0 < seq <= MAX_SEQ:
        raise err("seq_invalid", _l("The answer sequence number is missing or invalid."), 400, "seq")
    return seq


def check_choice(selected: list[int], option_order: list, multiple: bool, status: int = 400) -> None:
    """The chosen options belong to the question, and one only for a single-choice question
    (practice uses it too, answering with its own ``status``)."""
    allowed = set(option_order)
    if any(o not in allowed for o in selected):
        raise err("option_not_in_question", _l("An option does not belong to this question."), status, "selected")
    if not multiple and len(selected) > 1:
        raise err("single_choice", _l("This question accepts only one answer."), status, "selected")


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
        check_choice(selected, row.option_order, row.multiple)  # raising rolls the UPDATE back
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
            raise err("question_not_in_attempt", _l("This question is not part of your attempt."), 404)
        raise err("attempt_not_found", _l("This attempt does not exist."), 404)
    if row.user_id != user_id or not db.session.scalar(sa.select(User.is_active_account).where(User.id == user_id)):
        raise err("attempt_not_found", _l("This attempt does not exist."), 404)
    if row.status != AttemptStatus.IN_PROGRESS or row.is_correct is not None:
        raise err("attempt_finished", _l("This attempt has already been submitted."), 409)
    if now > row.deadline_at + grace():
        raise time_up(attempt_id)
    check_choice(selected, row.option_order, row.multiple)
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
        raise err("attempt_finished", _l("This attempt has already been submitted."), 409)
    if is_expired(attempt, now):
        raise time_up(attempt.id)
    by_id = {aq.id: aq for aq in attempt.questions}
    multiple = dict(db.session.execute(
        sa.select(Question.id, Question.multiple).where(Question.id.in_([aq.question_id for aq in by_id.values()]))
    ).all())
    ids = OptionIds(attempt.id)
    for aq_id, raw in answers.items():
        aq = by_id.get(aq_id)
        if aq is None:
            raise err("question_not_in_attempt", _l("This question is not part of your attempt."), 400)
        selected = sorted(ids.real(v) for v in _parse_selected(raw))
        check_choice(selected, aq.option_order, multiple[aq.question_id])
        if selected != sorted(aq.selected or []):
            aq.selected = selected
            aq.answer_seq = aq.answer_seq + 1
            aq.answered_at = now
    db.session.flush()
