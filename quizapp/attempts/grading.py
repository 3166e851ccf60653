"""Grading: whether an answer is right, and marking a closed attempt's saved answers.

Owns: ``answer_is_right`` (the one answer check: the chosen options are exactly the
correct ones; the submit's SQL path, the server's close and practice all use it) and
``grade_saved`` (the ORM path of the server's close).
Must not: claim or close an attempt (``sweep``, ``submit``) or write standings.
"""
from __future__ import annotations

from collections.abc import Collection, Iterable

import sqlalchemy as sa

from quizapp.attempts.models import Attempt, AttemptQuestion
from quizapp.bank.models import Option
from quizapp.core.db import db


def answer_is_right(selected: Iterable[int] | None, key: Collection[int]) -> bool:
    """True when something was chosen and it is exactly the key (the correct option ids)."""
    return bool(selected) and set(selected) == set(key)


def grade_saved(attempt: Attempt) -> int:
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
    right = [r.id for r in rows if answer_is_right(r.selected, keys[r.question_id])]
    if rows:  # every question marked in one statement: right ones true, the others false
        db.session.execute(
            sa.update(AttemptQuestion).where(AttemptQuestion.attempt_id == attempt.id)
            .values(is_correct=AttemptQuestion.id.in_(right))
            .execution_options(synchronize_session="fetch"))  # loaded rows re-read their marks
    return len(right)
