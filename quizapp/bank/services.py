"""Rules of the question bank: import (all-or-nothing), versions, editing, export.

Import runs in three steps shared by every format:

1. ``formats.parse`` turns a file into plain :class:`QuestionRecord` values
   with their row or line number;
2. :func:`validate` applies every rule once (for all formats and for the
   editor's form) and returns clean rows or row errors;
3. :func:`_plan` matches each clean row to the bank (by external id, else by
   the folded text within the area) and :func:`_write` bulk-inserts the new
   rows and versions.

A question row is never changed in place except for its status and review
flag: an edit or a changed import adds a new row with the same ``lineage``
and ``version + 1`` and marks the old one SUPERSEDED, so attempts that point
at the old row keep showing and grading exactly what the entrant saw.
"""
from __future__ import annotations

import hashlib
import json
import re
import uuid
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Callable, Iterable

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from quizapp.audit import services as audit
from quizapp.bank import formats
from quizapp.bank.formats.records import HEADINGS, OptionRecord, QuestionRecord, option_heading
from quizapp.bank.models import ImportBatch, Option, Question, QuestionStatus, ReformArea
from quizapp.core.db import db, utcnow
from quizapp.core.errors import ServiceError
from quizapp.core.text import fold

TEXT_MAX = 1000
OPTION_MAX = 500
EXPLANATION_MAX = 4000
SOURCE_MAX = 500
EXTERNAL_ID_MAX = 64
# Exclusion groups travel in the start's one-SELECT pool string ("id:area:…:group,…"): no ":" or ",".
EXCLUSION_GROUP_MAX = 32
EXCLUSION_GROUP_RE = re.compile(r"[A-Za-z0-9._-]{1,%d}" % EXCLUSION_GROUP_MAX)
NOTE_MAX = 500
MIN_OPTIONS = 2
MAX_OPTIONS = 10
_DIFFICULTY_NAMES = {"de": 1, "trung binh": 2, "kho": 3}
MAX_REPORTED_ERRORS = 1000  # a file with more stops being checked there: the report stays readable and quick
_CHUNK = 1000

Progress = Callable[[str, int, int], None]  # (stage, done, total)


@dataclass
class RowError:
    row: int  # spreadsheet row (heading = row 1) or line number of a text file
    column: str
    message: str
    file: str = ""


@dataclass
class ImportReport:
    errors: list[RowError] = field(default_factory=list)
    created: int = 0  # new questions
    updated: int = 0  # new versions of existing questions
    unchanged: int = 0
    batch_id: int | None = None

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def total(self) -> int:
        return self.created + self.updated + self.unchanged


# --- validation (one validator for every format and the editor) -------------------

def area_index() -> dict[str, ReformArea]:
    """Areas by folded code and folded name."""
    out = {}
    for area in db.session.scalars(sa.select(ReformArea)):
        name = fold(area.name)
        out.setdefault(name.removeprefix("cai cach "), area)  # "Thủ tục hành chính" (a GIFT category)
        out[name] = area
    for area in db.session.scalars(sa.select(ReformArea)):
        out[fold(area.code)] = area
    return out


def _difficulty(raw, default: int) -> int | None:
    if raw is None:
        return default
    if isinstance(raw, bool):
        return None
    if isinstance(raw, (int, float)):
        value = raw
    else:
        text = fold(str(raw))
        if text in _DIFFICULTY_NAMES:
            return _DIFFICULTY_NAMES[text]
        try:
            value = float(text)
        except ValueError:
            return None
    return int(value) if value in (1, 2, 3) else None


def content_hash(row: dict) -> str:
    """What makes two versions the same question (status, review flag and weights aside)."""
    parts = [
        row["area_code"], str(row["difficulty"]), "1" if row["multiple"] else "0", row["text"],
        "\x1f".join(("1" if o.correct else "0") + o.text for o in row["options"]),
        row["explanation"] or "", row["source"] or "",
        row["reference_date"].isoformat() if row["reference_date"] else "",
        row["external_id"] or "",
    ]
    if row.get("exclusion_group"):  # only when set: questions without a group keep their hash
        parts.append("group:" + row["exclusion_group"])
    return hashlib.sha256("\x1e".join(parts).encode()).hexdigest()


_EMPTY_MESSAGES = {
    "text": lambda: _l("The question text is empty."),
    "option": lambda: _l("The option is empty."),
}


def _length_error(value: str, limit: int, column: str, errs: list, empty: str | None = None) -> None:
    if not value:
        if empty is not None:
            errs.append((column, str(_EMPTY_MESSAGES[empty]())))
    elif len(value) > limit:
        errs.append((column, str(_l("The text is longer than %(n)d characters (%(len)d).", n=limit, len=len(value)))))


def validate(
    records: list[QuestionRecord],
    default_area_id: int | None = None,
    default_difficulty: int = 1,
    areas: dict[str, ReformArea] | None = None,
    category_map: dict[str, str] | None = None,
) -> tuple[list[dict], list[RowError]]:
    """Every rule a question must meet, for every format: (clean rows, errors).

    ``category_map`` maps Moodle category names (a path or its last part) to
    area codes or names, for GIFT and Moodle XML files whose categories are
    not named after the areas.
    """
    areas = area_index() if areas is None else areas
    categories = {fold(k): v for k, v in (category_map or {}).items()}
    by_id = {a.id: a for a in areas.values()}
    default_area = by_id.get(default_area_id) if default_area_id else None
    errors: list[RowError] = []
    clean: list[dict] = []
    seen_ext: dict[str, QuestionRecord] = {}
    seen_text: dict[tuple, QuestionRecord] = {}

    for r in records:
        if len(errors) >= MAX_REPORTED_ERRORS:
            errors.append(RowError(r.row, "", str(_l(
                "More than %(n)d errors: the rows from here on were not checked. Correct the errors above and "
                "import again.", n=MAX_REPORTED_ERRORS)), r.file))
            break
        errs: list[tuple[str, str]] = list(r.errors)
        if r.rejected:
            errors.extend(RowError(r.row, column, message, r.file) for column, message in errs)
            continue

        text = (r.text or "").strip()
        _length_error(text, TEXT_MAX, HEADINGS["text"], errs, "text")
        _length_error(r.explanation, EXPLANATION_MAX, HEADINGS["explanation"], errs)
        _length_error(r.source, SOURCE_MAX, HEADINGS["source"], errs)
        _length_error(r.external_id, EXTERNAL_ID_MAX, HEADINGS["external_id"], errs)
        exclusion_group = (r.exclusion_group or "").strip() or None
        if exclusion_group and not EXCLUSION_GROUP_RE.fullmatch(exclusion_group):
            errs.append((HEADINGS["exclusion_group"], str(_l(
                "Write the exclusion group as up to %(n)d letters, digits, dots, dashes or underscores "
                "(e.g. TCBM-037), without spaces.", n=EXCLUSION_GROUP_MAX))))

        area = None
        if r.area:
            area = areas.get(fold(r.area))
            if area is None:
                errs.append((HEADINGS["area"], str(_l("Unknown reform area “%(area)s”.", area=r.area))))
        elif r.category:
            names = formats.category_names(r.category)
            mapped = next((categories[fold(n)] for n in names if fold(n) in categories), None)
            if mapped is not None:
                area = areas.get(fold(mapped))
                if area is None:
                    errs.append((HEADINGS["area"], str(_l("Unknown reform area “%(area)s”.", area=mapped))))
            else:
                area = next((areas[fold(n)] for n in names if fold(n) in areas), None) or default_area
            if area is None and mapped is None:
                errs.append((HEADINGS["area"], str(_l(
                    "The Moodle category “%(category)s” names no reform area: map it to an area "
                    "(“%(category)s = area code”) or choose a default area.",
                    category=names[-1] if names else r.category))))
        elif default_area is not None:
            area = default_area
        else:
            errs.append((HEADINGS["area"], str(_l("The reform area is missing."))))

        difficulty = _difficulty(r.difficulty, default_difficulty)
        if difficulty is None:
            errs.append((HEADINGS["difficulty"], str(_l("The difficulty must be 1, 2 or 3."))))

        try:
            reference_date = formats.parse_date(r.reference_date)
        except ValueError:
            reference_date = None
            errs.append((HEADINGS["reference_date"], str(_l(
                "“%(value)s” is not a date (use YYYY-MM-DD or DD/MM/YYYY).", value=str(r.reference_date)))))

        options: list[OptionRecord] = []
        seen_options: dict[str, int] = {}
        for i, o in enumerate(r.options[:MAX_OPTIONS + 1]):  # past the limit one error says it all
            column = option_heading(min(i, 25))
            o_text = (o.text or "").strip()
            _length_error(o_text, OPTION_MAX, column, errs, "option")
            # Case and spacing do not make options different; diacritics do ("Sở" ≠ "Số").
            key = " ".join(o_text.split()).casefold()
            if key and key in seen_options:
                errs.append((column, str(_l("The option repeats option %(letter)s.",
                                             letter=formats.LETTERS[seen_options[key]]))))
            seen_options.setdefault(key, i)
            options.append(OptionRecord(o_text, bool(o.correct), o.weight))
        if len(options) < MIN_OPTIONS:
            errs.append((option_heading(len(options)), str(_l("A question needs at least %(n)d options.", n=MIN_OPTIONS))))
        elif len(r.options) > MAX_OPTIONS:
            errs.append((option_heading(MAX_OPTIONS), str(_l("A question has at most %(n)d options.", n=MAX_OPTIONS))))
        n_correct = sum(o.correct for o in options)
        multiple = r.multiple if r.multiple is not None else n_correct > 1
        if options and n_correct == 0:
            errs.append((HEADINGS["correct"], str(_l("No option is marked correct."))))
        elif n_correct > 1 and not multiple:
            errs.append((HEADINGS["correct"], str(_l(
                "%(n)d options are marked correct but the question takes a single answer.", n=n_correct))))

        external_id = (r.external_id or "").strip() or None
        search_text = fold(text)
        if external_id:
            first = seen_ext.setdefault(external_id, r)
            if first is not r:
                errs.append((HEADINGS["external_id"], str(_l(
                    "The question id %(id)s is already used at %(where)s.", id=external_id, where=_where(first, r)))))
        if area is not None and search_text:
            first = seen_text.setdefault((area.id, search_text), r)
            if first is not r:
                errs.append((HEADINGS["text"], str(_l(
                    "The same question is already at %(where)s.", where=_where(first, r)))))

        if errs:
            errors.extend(RowError(r.row, column, message, r.file) for column, message in errs)
            continue
        row = {
            "row": r.row, "file": r.file, "area_id": area.id, "area_code": area.code,
            "difficulty": difficulty, "multiple": multiple, "text": text, "search_text": search_text,
            "options": options, "explanation": (r.explanation or "").strip() or None,
            "source": (r.source or "").strip() or None, "reference_date": reference_date,
            "external_id": external_id, "exclusion_group": exclusion_group,
        }
        row["content_hash"] = content_hash(row)
        clean.append(row)
    return clean, errors


def _where(first: QuestionRecord, current: QuestionRecord) -> str:
    if first.file and first.file != current.file:
        return f"{first.row} ({first.file})"
    return str(first.row)


# --- matching and writing ----------------------------------------------------------------

@dataclass
class _Current:
    id: int
    lineage: str
    version: int
    external_id: str | None
    area_id: int
    search_text: str
    content_hash: str


def _current_rows() -> list[_Current]:
    cols = (Question.id, Question.lineage, Question.version, Question.external_id, Question.area_id,
            Question.search_text, Question.content_hash)
    rows = db.session.execute(sa.select(*cols).where(Question.status != QuestionStatus.SUPERSEDED))
    return [_Current(*row) for row in rows]


def _plan(clean: list[dict]) -> tuple[list[tuple[dict, _Current | None]], list[RowError], int]:
    """Pair each row with the bank's current version of the same question.

    Returns (rows to write with their match, errors, unchanged count).
    """
    current = _current_rows()
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


def _write(
    to_write: list[tuple[dict, _Current | None]],
    status: QuestionStatus,
    actor_id: int | None,
    progress: Progress | None = None,
) -> list[int]:
    """Supersede the matched rows, bulk-insert the new rows and their options; new ids in order."""
    now = utcnow()
    old_ids = [m.id for _, m in to_write if m is not None]
    for i in range(0, len(old_ids), _CHUNK):
        db.session.execute(
            sa.update(Question).where(Question.id.in_(old_ids[i:i + _CHUNK]))
            .values(status=QuestionStatus.SUPERSEDED, updated_at=now)
            .execution_options(synchronize_session=False)
        )
    table, option_table = Question.__table__, Option.__table__
    new_ids: list[int] = []
    total = len(to_write)
    for start in range(0, total, _CHUNK):
        chunk = to_write[start:start + _CHUNK]
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
            progress("write", min(start + _CHUNK, total), total)
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


# --- import entry points ---------------------------------------------------------------------

def import_records(
    records: list[QuestionRecord],
    filename: str,
    file_hash: str,
    actor_id: int | None = None,
    status: QuestionStatus = QuestionStatus.APPROVED,
    default_area_id: int | None = None,
    default_difficulty: int = 1,
    progress: Progress | None = None,
    category_map: dict[str, str] | None = None,
) -> ImportReport:
    """Validate, match and write parsed records: all of them or none."""
    status = QuestionStatus(status)
    if status not in (QuestionStatus.DRAFT, QuestionStatus.APPROVED):
        raise ServiceError("bad_status", str(_l("Imported questions are drafts or approved.")))
    if not records:
        raise ServiceError("file_empty", str(_l("The file holds no questions.")))
    if progress:
        progress("validate", 0, len(records))
    clean, errors = validate(records, default_area_id, default_difficulty, category_map=category_map)
    report = ImportReport(errors=errors)
    if errors:
        report.errors.sort(key=lambda e: (e.file, e.row))
        return report
    to_write, errors, report.unchanged = _plan(clean)
    if errors:
        report.errors = errors
        return report
    if progress:
        progress("validate", len(records), len(records))
    _write(to_write, status, actor_id, progress)
    report.updated = sum(1 for _, m in to_write if m is not None)
    report.created = len(to_write) - report.updated
    batch = ImportBatch(filename=filename[:255], file_hash=file_hash, created=report.created, updated=report.updated,
                        unchanged=report.unchanged, imported_by_id=actor_id, imported_at=utcnow())
    db.session.add(batch)
    db.session.flush()
    report.batch_id = batch.id
    audit.record(actor_id, "bank.import", "import_batch", batch.id, filename=filename[:255], status=status.value,
                 created=report.created, updated=report.updated, unchanged=report.unchanged)
    return report


def import_files(
    files: Iterable[tuple[str, bytes]],
    actor_id: int | None = None,
    status: QuestionStatus = QuestionStatus.APPROVED,
    default_area_id: int | None = None,
    default_difficulty: int = 1,
    fmt: str | None = None,
    progress: Progress | None = None,
    category_map: dict[str, str] | None = None,
) -> ImportReport:
    """Import one or several files as ONE all-or-nothing import.

    ``progress`` is called as ``progress(stage, done, total)``; a job queue
    that wants ``progress(done, total)`` wraps it (see ``bank.tasks.run_import``).
    """
    records: list[QuestionRecord] = []
    digest = hashlib.sha256()
    names = []
    for name, content in files:
        if progress:
            progress("read", 0, 1)
        records.extend(formats.parse(content, name, fmt))
        digest.update(hashlib.sha256(content).digest())
        names.append(name)
    if len(records) > formats.MAX_QUESTIONS:
        raise ServiceError("file_too_many_rows", str(_l("The file has more than %(n)d questions.", n=formats.MAX_QUESTIONS)))
    return import_records(records, ", ".join(names), digest.hexdigest(), actor_id, status,
                          default_area_id, default_difficulty, progress, category_map)


def import_file(content: bytes, filename: str, actor_id: int | None = None, **kw) -> ImportReport:
    """The import entry point for one uploaded file: the report (errors, or what was written)."""
    return import_files([(filename, content)], actor_id, **kw)


def parse_category_map(text: str) -> dict[str, str]:
    """Lines "Moodle category = area code" (as typed in the import form or given to --category)."""
    out = {}
    for number, line in enumerate((text or "").splitlines(), start=1):
        if not line.strip():
            continue
        name, sep, area = line.rpartition("=")
        if not sep or not name.strip() or not area.strip():
            raise ServiceError("category_map", str(_l(
                "Line %(line)d of the category map must read “Moodle category = area code”.", line=number)),
                field="category_map")
        out[name.strip()] = area.strip()
    return out


def import_path(
    path: str | Path,
    status: QuestionStatus = QuestionStatus.APPROVED,
    actor_id: int | None = None,
    **kw,
) -> ImportReport:
    """Import a file, or a folder's .yaml files as one import (the shipped bank)."""
    path = Path(path)
    if path.is_dir():
        paths = sorted(p for p in path.iterdir() if p.suffix.lower() in (".yaml", ".yml") and p.is_file())
        if not paths:
            raise ServiceError("file_empty", str(_l("The folder holds no .yaml files.")))
    else:
        paths = [path]
    return import_files([(p.name, p.read_bytes()) for p in paths], actor_id, status, **kw)


# --- the editor -------------------------------------------------------------------------------

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
    (new_id,) = _write([(row, None)], QuestionStatus(status), actor_id)
    audit.record(actor_id, "bank.create", "question", new_id, status=QuestionStatus(status).value)
    return db.session.get(Question, new_id)


def edit_question(question: Question, record: QuestionRecord, actor_id: int | None) -> Question:
    """Save an edit as a new version (the old row, maybe used in attempts, is left as it was)."""
    if question.status == QuestionStatus.SUPERSEDED:
        raise ServiceError("question_superseded", str(_l("This is an old version; edit the latest version.")), 409)
    row = _validate_one(record, exclude_lineage=question.lineage)
    if row["content_hash"] == question.content_hash:
        return question
    match = _Current(question.id, question.lineage, question.version, question.external_id,
                     question.area_id, question.search_text, question.content_hash)
    status = question.status
    (new_id,) = _write([(row, match)], status, actor_id)
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
    for i in range(0, len(ids), _CHUNK):
        db.session.execute(
            sa.update(Question).where(Question.id.in_(ids[i:i + _CHUNK]))
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


# --- export -------------------------------------------------------------------------------------

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
        return formats.to_gift(rows).encode("utf-8")
    if fmt == "xml":
        from quizapp.bank.formats.moodle_xml import to_moodle_xml

        return to_moodle_xml(rows).encode("utf-8")
    frame = formats.to_frame(rows)
    if fmt == "csv":
        return frame_to_csv(frame)
    if fmt == "xlsx":
        return frame_to_xlsx(frame, sheet_name="Câu hỏi")
    raise ServiceError("unknown_format", str(_l("Unknown format.")), 404)


def template_xlsx() -> bytes:
    """The import template: Vietnamese headings and one example row."""
    from quizapp.core.spreadsheet import frame_to_xlsx

    return frame_to_xlsx(formats.to_frame([formats.TEMPLATE_EXAMPLE]), sheet_name="Câu hỏi")


def template_docx() -> bytes:
    """The Word import template: instructions and example questions that import as they are."""
    from quizapp.bank.formats.word import template_docx as build

    return build(formats.TEMPLATE_EXAMPLE)
