"""The question editor: list and search the bank, create, edit (as a new version), change status, flag.

Owns: :class:`ListFilters` and the list's one SELECT, counts and "is it
used in an attempt", the editable record of a stored question,
:class:`QuestionInvalid` (the form's field errors), create / edit / retire /
restore / approve, and flagging every question that cites a changed
document.

Must not: read files or import (:mod:`quizapp.bank.importing`), bypass the
one validator, or change a question row in place beyond its status and
review flag.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from quizapp.core import audit
from quizapp.bank.formats.records import HEADINGS, OptionRecord, QuestionRecord
from quizapp.bank.models import Question, QuestionStatus, ReformArea
from quizapp.bank.validation import NOTE_MAX, RowError, validate
from quizapp.bank.versions import CHUNK, Current, write
from quizapp.core.db import db
from quizapp.core.errors import ServiceError
from quizapp.core.text import fold


@dataclass
class ListFilters:
    q: str = ""
    area_id: int | None = None
    difficulty: int | None = None
    status: str = "current"  # "current" (not superseded), "all" or a QuestionStatus value
    source: str = ""
    date_from: date | None = None
    date_to: date | None = None
    used: str = ""  # "", "used", "unused"
    flagged: bool = False


def _used_clause():
    from quizapp.attempts.models import AttemptQuestion

    return sa.exists().where(AttemptQuestion.question_id == Question.id)


def list_select(f: ListFilters) -> sa.Select:
    """The editor's list as one SELECT (paginated by the caller).

    Search folds the query like ``search_text`` was folded, so "cai cach"
    finds "cải cách"; it also matches the external id.
    """
    stmt = sa.select(Question)
    if f.status == "current":
        stmt = stmt.where(Question.status != QuestionStatus.SUPERSEDED)
    elif f.status != "all":
        stmt = stmt.where(Question.status == QuestionStatus(f.status))
    needle = fold(f.q)
    if needle:
        stmt = stmt.where(sa.or_(
            Question.search_text.contains(needle, autoescape=True),
            sa.func.lower(Question.external_id).contains(f.q.strip().lower(), autoescape=True),
        ))
    if f.area_id:
        stmt = stmt.where(Question.area_id == f.area_id)
    if f.difficulty:
        stmt = stmt.where(Question.difficulty == f.difficulty)
    if f.source.strip():
        stmt = stmt.where(Question.source.ilike("%" + _like_escape(f.source.strip()) + "%", escape="\\"))
    if f.date_from:
        stmt = stmt.where(Question.reference_date >= f.date_from)
    if f.date_to:
        stmt = stmt.where(Question.reference_date <= f.date_to)
    if f.used == "used":
        stmt = stmt.where(_used_clause())
    elif f.used == "unused":
        stmt = stmt.where(~_used_clause())
    if f.flagged:
        stmt = stmt.where(Question.needs_review)
    return stmt.order_by(Question.area_id, Question.external_id, Question.id)


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def approved_counts() -> dict[tuple[int, int], int]:
    """APPROVED questions per (area_id, difficulty): can a round's quota be met?"""
    rows = db.session.execute(
        sa.select(Question.area_id, Question.difficulty, sa.func.count())
        .where(Question.status == QuestionStatus.APPROVED)
        .group_by(Question.area_id, Question.difficulty)
    )
    return {(area_id, difficulty): n for area_id, difficulty, n in rows}


def areas() -> list[ReformArea]:
    return list(db.session.scalars(sa.select(ReformArea).order_by(ReformArea.position, ReformArea.code)))


def history(question: Question) -> list[Question]:
    return list(db.session.scalars(
        sa.select(Question).where(Question.lineage == question.lineage).order_by(Question.version.desc())
    ))


def is_used(question_id: int) -> bool:
    from quizapp.attempts.models import AttemptQuestion

    return db.session.scalar(sa.select(sa.exists().where(AttemptQuestion.question_id == question_id)))


def used_ids(question_ids: list[int]) -> set[int]:
    """Which of these question rows an attempt has shown (one query for a list page)."""
    from quizapp.attempts.models import AttemptQuestion

    if not question_ids:
        return set()
    return set(db.session.scalars(
        sa.select(AttemptQuestion.question_id).where(AttemptQuestion.question_id.in_(question_ids)).distinct()
    ))


def record_of(question: Question) -> QuestionRecord:
    """A stored question as an editable record (for the edit form)."""
    return QuestionRecord(
        row=0, area=question.area.code, difficulty=question.difficulty, multiple=question.multiple,
        text=question.text, options=[OptionRecord(o.text, o.is_correct, o.weight) for o in question.options],
        explanation=question.explanation or "", source=question.source or "",
        reference_date=question.reference_date, external_id=question.external_id or "",
        exclusion_group=question.exclusion_group or "",
    )


def _validate_one(record: QuestionRecord, exclude_lineage: str | None = None) -> dict:
    clean, errors = validate([record])
    if errors:
        raise QuestionInvalid(errors)
    row = clean[0]
    if row["external_id"]:
        clash = db.session.scalar(sa.select(Question.id).where(
            Question.external_id == row["external_id"], Question.status != QuestionStatus.SUPERSEDED,
            Question.lineage != (exclude_lineage or ""),
        ))
        if clash:
            raise QuestionInvalid([RowError(0, HEADINGS["external_id"], str(_l(
                "The question id %(id)s is already used by another question.", id=row["external_id"])))])
    return row


class QuestionInvalid(ServiceError):
    """The editor's form broke a rule; ``errors`` name the fields."""

    def __init__(self, errors: list[RowError]):
        super().__init__("question_invalid", "; ".join(f"{e.column}: {e.message}" for e in errors), 422)
        self.errors = errors


def create_question(record: QuestionRecord, actor_id: int | None,
                    status: QuestionStatus = QuestionStatus.DRAFT) -> Question:
    row = _validate_one(record)
    (new_id,) = write([(row, None)], QuestionStatus(status), actor_id)
    audit.record(actor_id, "bank.create", "question", new_id, status=QuestionStatus(status).value)
    return db.session.get(Question, new_id)


def edit_question(question: Question, record: QuestionRecord, actor_id: int | None) -> Question:
    """Save an edit as a new version (the old row, maybe used in attempts, is left as it was)."""
    if question.status == QuestionStatus.SUPERSEDED:
        raise ServiceError("question_superseded", str(_l("This is an old version; edit the latest version.")), 409)
    row = _validate_one(record, exclude_lineage=question.lineage)
    if row["content_hash"] == question.content_hash:
        return question
    match = Current(question.id, question.lineage, question.version, question.external_id,
                     question.area_id, question.search_text, question.content_hash)
    status = question.status
    (new_id,) = write([(row, match)], status, actor_id)
    audit.record(actor_id, "bank.edit", "question", new_id, previous=question.id, lineage=question.lineage)
    return db.session.get(Question, new_id)


def _set_status(question: Question, allowed: tuple, new: QuestionStatus, action: str, actor_id) -> None:
    if question.status not in allowed:
        raise ServiceError("question_status", str(_l("This action does not apply to a question in this state.")), 409)
    question.status = new
    audit.record(actor_id, action, "question", question.id, status=new.value)


def retire(question: Question, actor_id: int | None = None) -> None:
    _set_status(question, (QuestionStatus.DRAFT, QuestionStatus.APPROVED), QuestionStatus.RETIRED,
                "bank.retire", actor_id)


def restore(question: Question, actor_id: int | None = None) -> None:
    """A retired question comes back as APPROVED (drawable again)."""
    _set_status(question, (QuestionStatus.RETIRED,), QuestionStatus.APPROVED, "bank.restore", actor_id)


def approve(question: Question, actor_id: int | None = None) -> None:
    _set_status(question, (QuestionStatus.DRAFT,), QuestionStatus.APPROVED, "bank.approve", actor_id)


def flag_document(document: str, note: str | None = None, actor_id: int | None = None) -> int:
    """Flag for review every current question whose source cites ``document``; returns how many."""
    needle = fold(document)
    if len(needle) < 3:
        raise ServiceError("flag_document_short", str(_l("Enter the document number, e.g. 61/2018/NĐ-CP.")),
                           field="document")
    note = (note or "").strip() or str(_l("The cited document %(doc)s has changed: check this question.",
                                          doc=document.strip()))
    rows = db.session.execute(
        sa.select(Question.id, Question.source)
        .where(Question.status != QuestionStatus.SUPERSEDED, Question.source.is_not(None))
    )
    ids = [qid for qid, source in rows if needle in fold(source)]
    for i in range(0, len(ids), CHUNK):
        db.session.execute(
            sa.update(Question).where(Question.id.in_(ids[i:i + CHUNK]))
            .values(needs_review=True, review_note=note[:NOTE_MAX])
            .execution_options(synchronize_session=False)
        )
    db.session.expire_all()
    audit.record(actor_id, "bank.flag", "question", None, document=document.strip()[:200], count=len(ids))
    return len(ids)


def clear_flag(question: Question, actor_id: int | None = None) -> None:
    question.needs_review = False
    question.review_note = None
    audit.record(actor_id, "bank.unflag", "question", question.id)

