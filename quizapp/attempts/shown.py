"""An attempt as its entrant sees it while answering: never an answer key.

Owns: fetching the entrant's own attempt (404 for anyone else's), the shown questions with
the attempt's shown option ids (``option_ids``), and ``AttemptView``.
Must not: write answers (``answers``), grade (``grading``) or show a key (``review``).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from quizapp.attempts import draws
from quizapp.attempts.clock import is_expired
from quizapp.attempts.errors import err
from quizapp.attempts.models import Attempt, AttemptQuestion, AttemptStatus
from quizapp.attempts.option_ids import OptionIds
from quizapp.attempts.sweep import close_expired
from quizapp.contests.models import PredictionMode
from quizapp.core.db import db


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


def get_attempt(attempt_id: int, user_id: int, now: datetime | None = None) -> Attempt:
    """The entrant's own attempt (404 for anyone else's); closes it if it expired."""
    attempt = db.session.get(Attempt, attempt_id)
    if attempt is None or attempt.user_id != user_id:
        raise err("attempt_not_found", _l("This attempt does not exist."), 404)
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
