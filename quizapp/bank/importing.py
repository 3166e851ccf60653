"""Importing question files: all of them or none, with every row's problem reported.

Three steps shared by every format:

1. :func:`quizapp.bank.formats.parse` turns a file into plain
   :class:`QuestionRecord` values with their row or line number;
2. :func:`quizapp.bank.validation.validate` applies every rule once and
   returns clean rows or row errors;
3. :func:`quizapp.bank.versions.plan` matches each clean row to the bank and
   :func:`quizapp.bank.versions.write` bulk-inserts the new rows and versions.

Owns: :class:`ImportReport`, the import entry points (records, files, one
file, a path or folder of the shipped bank), the category map, the batch
row and its audit entry.

Must not: decide whether an import runs inline or as a job
(:mod:`quizapp.bank.tasks`), read a format itself, or commit.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

from flask_babel import lazy_gettext as _l

from quizapp.core import audit
from quizapp.bank import formats
from quizapp.bank.formats.records import QuestionRecord
from quizapp.bank.models import ImportBatch, QuestionStatus
from quizapp.bank.validation import RowError, validate
from quizapp.bank.versions import Progress, plan, write
from quizapp.core.db import db, utcnow
from quizapp.core.errors import ServiceError


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
    filename = "".join(ch for ch in filename if ch.isprintable())  # stored and audited: no NUL for PostgreSQL
    status = QuestionStatus(status)
    if status not in (QuestionStatus.DRAFT, QuestionStatus.APPROVED):
        raise ServiceError("bad_status", str(_l("Imported questions are drafts or approved.")))
    if not records:
        raise ServiceError("file_empty", str(_l(
            "The file holds no questions. In Word or a text file, start each question with “Câu 1:” or “1.” "
            "and each option with “A.”, then a line “Đáp án: B”; in Excel or CSV, put the headings Câu hỏi, "
            "Phương án A, Phương án B and Đáp án đúng in one row above the questions.")))
    if progress:
        progress("validate", 0, len(records))
    clean, errors = validate(records, default_area_id, default_difficulty, category_map=category_map)
    report = ImportReport(errors=errors)
    if errors:
        report.errors.sort(key=lambda e: (e.file, e.row))
        return report
    to_write, errors, report.unchanged = plan(clean)
    if errors:
        report.errors = errors
        return report
    if progress:
        progress("validate", len(records), len(records))
    write(to_write, status, actor_id, progress)
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
