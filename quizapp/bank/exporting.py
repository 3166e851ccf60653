"""Exporting the bank (Excel, CSV, GIFT, Moodle XML) and the downloadable import templates.

Owns: the current questions as plain dicts (:func:`export_rows`), the
export in each format, and the Excel and Word templates.

Must not: write to the database, or hold a format's own layout (the writers
live in :mod:`quizapp.bank.formats`).
"""
from __future__ import annotations

from typing import Iterable

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from quizapp.bank.formats.gift import to_gift
from quizapp.bank.formats.moodle_xml import to_moodle_xml
from quizapp.bank.formats.records import TEMPLATE_EXAMPLE
from quizapp.bank.formats.word import template_docx as word_template
from quizapp.bank.formats.xlsx_csv import to_frame
from quizapp.bank.models import Question, QuestionStatus, ReformArea
from quizapp.core.db import db
from quizapp.core.errors import ServiceError


def export_rows(statuses: Iterable[QuestionStatus] | None = None) -> list[dict]:
    """Current questions as plain dicts (area code, options in order)."""
    from sqlalchemy.orm import selectinload

    statuses = list(statuses) if statuses else [QuestionStatus.DRAFT, QuestionStatus.APPROVED]
    questions = db.session.scalars(
        sa.select(Question).where(Question.status.in_(statuses))
        .options(selectinload(Question.options), selectinload(Question.area))
        .join(ReformArea).order_by(ReformArea.position, Question.external_id, Question.id)
    )
    return [{
        "external_id": q.external_id, "area": q.area.code, "difficulty": q.difficulty, "multiple": q.multiple,
        "text": q.text, "explanation": q.explanation, "source": q.source, "reference_date": q.reference_date,
        "exclusion_group": q.exclusion_group,
        "options": [{"text": o.text, "correct": o.is_correct} for o in q.options],
    } for q in questions]


def export(fmt: str, statuses: Iterable[QuestionStatus] | None = None) -> bytes:
    from quizapp.core.spreadsheet import frame_to_csv, frame_to_xlsx

    rows = export_rows(statuses)
    if fmt == "gift":
        return to_gift(rows).encode("utf-8")
    if fmt == "xml":
        return to_moodle_xml(rows).encode("utf-8")
    frame = to_frame(rows)
    if fmt == "csv":
        return frame_to_csv(frame)
    if fmt == "xlsx":
        return frame_to_xlsx(frame, sheet_name="Câu hỏi")
    raise ServiceError("unknown_format", str(_l("Unknown format.")), 404)


def template_xlsx() -> bytes:
    """The import template: Vietnamese headings and one example row."""
    from quizapp.core.spreadsheet import frame_to_xlsx

    return frame_to_xlsx(to_frame([TEMPLATE_EXAMPLE]), sheet_name="Câu hỏi")


def template_docx() -> bytes:
    """The Word import template: instructions and example questions that import as they are."""
    return word_template(TEMPLATE_EXAMPLE)
