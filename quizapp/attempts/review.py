"""Review: the submitted attempt with its key, when the round's review policy allows.

Owns: ``review_visible`` and ``review`` (questions, the entrant's choices, the key,
explanations and sources, in shown ids).
Must not: decide when a review opens: that is the contests rule
(``contests.review.review_time_reached``), called here and by ``submit``.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from quizapp.attempts.models import Attempt, AttemptQuestion, AttemptStatus
from quizapp.attempts.option_ids import OptionIds
from quizapp.bank.models import Option, Question
from quizapp.contests.review import review_time_reached
from quizapp.core.db import db


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
