"""Writing questions as versions: match each clean row to the bank, supersede, bulk-insert.

A question row is never changed in place except for its status and review
flag: an edit or a changed import adds a new row with the same ``lineage``
and ``version + 1`` and marks the old one SUPERSEDED, so attempts that point
at the old row keep showing and grading exactly what the entrant saw.

Owns: :func:`plan` (pair each row with the current version by external id,
else by folded text within the area) and :func:`write` (bulk INSERT on
SQLite, COPY on PostgreSQL), shared by the import and the editor.

Must not: validate (rows come from :mod:`quizapp.bank.validation`), record
audit entries or commit (the callers do), or read files.
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Callable

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from quizapp.bank.formats.records import HEADINGS
from quizapp.bank.models import Option, Question, QuestionStatus
from quizapp.bank.validation import RowError
from quizapp.core.db import db, utcnow

CHUNK = 1000
Progress = Callable[[str, int, int], None]  # (stage, done, total)


@dataclass
class Current:
    id: int
    lineage: str
    version: int
    external_id: str | None
    area_id: int
    search_text: str
    content_hash: str


def current_rows() -> list[Current]:
    cols = (Question.id, Question.lineage, Question.version, Question.external_id, Question.area_id,
            Question.search_text, Question.content_hash)
    rows = db.session.execute(sa.select(*cols).where(Question.status != QuestionStatus.SUPERSEDED))
    return [Current(*row) for row in rows]


def plan(clean: list[dict]) -> tuple[list[tuple[dict, Current | None]], list[RowError], int]:
    """Pair each row with the bank's current version of the same question.

    Returns (rows to write with their match, errors, unchanged count).
    """
    current = current_rows()
    by_ext = {c.external_id: c for c in current if c.external_id}
    by_text = {(c.area_id, c.search_text): c for c in current}
    to_write, errors, unchanged = [], [], 0
    claimed: dict[str, dict] = {}
    for row in clean:
        match = by_ext.get(row["external_id"]) if row["external_id"] else None
        if match is None:
            candidate = by_text.get((row["area_id"], row["search_text"]))
            if candidate is not None and candidate.external_id in (None, row["external_id"]):
                match = candidate
        if match is not None:
            first = claimed.setdefault(match.lineage, row)
            if first is not row:
                errors.append(RowError(row["row"], HEADINGS["text"], str(_l(
                    "This row and row %(row)d change the same question of the bank.", row=first["row"])), row["file"]))
                continue
            if match.content_hash == row["content_hash"]:
                unchanged += 1
                continue
        to_write.append((row, match))
    return to_write, errors, unchanged


def write(
    to_write: list[tuple[dict, Current | None]],
    status: QuestionStatus,
    actor_id: int | None,
    progress: Progress | None = None,
) -> list[int]:
    """Supersede the matched rows, bulk-insert the new rows and their options; new ids in order."""
    now = utcnow()
    old_ids = [m.id for _, m in to_write if m is not None]
    for i in range(0, len(old_ids), CHUNK):
        db.session.execute(
            sa.update(Question).where(Question.id.in_(old_ids[i:i + CHUNK]))
            .values(status=QuestionStatus.SUPERSEDED, updated_at=now)
            .execution_options(synchronize_session=False)
        )
    table, option_table = Question.__table__, Option.__table__
    new_ids: list[int] = []
    total = len(to_write)
    for start in range(0, total, CHUNK):
        chunk = to_write[start:start + CHUNK]
        params = [{
            "lineage": m.lineage if m else str(uuid.uuid4()),
            "version": m.version + 1 if m else 1,
            "external_id": row["external_id"], "area_id": row["area_id"], "difficulty": row["difficulty"],
            "multiple": row["multiple"], "status": status, "text": row["text"], "search_text": row["search_text"],
            "explanation": row["explanation"], "source": row["source"], "reference_date": row["reference_date"],
            "content_hash": row["content_hash"], "needs_review": False, "review_note": None, "times_drawn": 0,
            "exclusion_group": row["exclusion_group"],
            "created_by_id": actor_id, "created_at": now, "updated_at": now,
        } for row, m in chunk]
        ids = _insert_questions(table, params)
        option_params = [
            {"question_id": qid, "position": pos, "text": o.text, "is_correct": o.correct, "weight": o.weight}
            for qid, (row, _m) in zip(ids, chunk)
            for pos, o in enumerate(row["options"], start=1)
        ]
        _bulk_insert(option_table, option_params)
        new_ids.extend(ids)
        if progress:
            progress("write", min(start + CHUNK, total), total)
    db.session.expire_all()
    return new_ids


def _insert_questions(table: sa.Table, params: list[dict]) -> list[int]:
    """Insert question rows in bulk; their new ids in the order given."""
    if db.session.get_bind().dialect.name == "postgresql":
        # Take the ids from the sequence in one query, then COPY the rows.
        ids = list(db.session.scalars(
            sa.text("SELECT nextval(pg_get_serial_sequence('questions', 'id')) FROM generate_series(1, :n)"),
            {"n": len(params)},
        ))
        for p, qid in zip(params, ids):
            p["id"] = qid
        _bulk_insert(table, params)
        return ids
    # RETURNING (lineage, version) lets SQLAlchemy batch the rows in any order
    # (insertmanyvalues); each id is found by the row's unique key.
    returned = db.session.execute(table.insert().returning(table.c.id, table.c.lineage, table.c.version), params)
    id_of = {(lineage, version): qid for qid, lineage, version in returned}
    return [id_of[(p["lineage"], p["version"])] for p in params]


def _bulk_insert(table: sa.Table, params: list[dict]) -> None:
    """executemany on SQLite; COPY on PostgreSQL.

    psycopg re-parses every large multi-row INSERT in Python, which made a
    10,000-question import three times slower than reading the file; COPY
    streams the rows instead.
    """
    if not params:
        return
    connection = db.session.connection()
    if connection.dialect.name != "postgresql":
        connection.execute(table.insert(), params)
        return
    columns = list(params[0])
    enum_values = {c for c in columns if isinstance(table.c[c].type, sa.Enum)}
    names = ", ".join(f'"{c}"' for c in columns)
    cursor = connection.connection.driver_connection.cursor()
    with cursor.copy(f'COPY "{table.name}" ({names}) FROM STDIN') as copy:
        for p in params:
            copy.write_row([p[c].value if c in enum_values else p[c] for c in columns])

