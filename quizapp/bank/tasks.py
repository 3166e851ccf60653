"""Large question-bank imports as a job: the same all-or-nothing import service, with a progress bar."""
from __future__ import annotations

from dataclasses import asdict

from flask_babel import lazy_gettext as _l

from quizapp import jobs
from quizapp.bank import importing
from quizapp.bank.models import QuestionStatus
from quizapp.jobs.services import take_upload

IMPORT_JOB = "bank.import"


def run_import(params: dict, progress, output_dir: str) -> dict:
    """params: upload (stashed file), filename, actor_id, status, default_area_id, default_difficulty,
    category_map (Moodle/GIFT category → area code).
    Returns {"report": …} (the same report as the page shows); nothing is written if any row is wrong."""
    content = take_upload(params["upload"])
    report = importing.import_file(
        content, params["filename"], params.get("actor_id"), status=QuestionStatus(params["status"]),
        default_area_id=params.get("default_area_id"), default_difficulty=params.get("default_difficulty", 1),
        progress=lambda _stage, done, total: progress(done, total),
        category_map=params.get("category_map"),
    )
    return {"report": {"ok": report.ok, "created": report.created, "updated": report.updated,
                       "unchanged": report.unchanged, "errors": [asdict(e) for e in report.errors]}}


def import_upload(content: bytes, filename: str, actor_id: int, *, status: str, default_area_id: int | None,
                  default_difficulty: int, category_map: dict | None, threshold: int):
    """Import a question file: while the organiser waits when it is at most ``threshold`` bytes
    (returns the report), else as a job with a progress bar (returns the job; same report at its end)."""
    return jobs.run_or_queue(
        IMPORT_JOB, actor_id, lambda: {
            "upload": jobs.services.stash_upload(content, filename), "filename": filename, "actor_id": actor_id,
            "status": status, "default_area_id": default_area_id, "default_difficulty": default_difficulty,
            "category_map": category_map},
        size=len(content), limit=threshold,
        now=lambda: importing.import_file(content, filename, actor_id, status=QuestionStatus(status),
                                         default_area_id=default_area_id, default_difficulty=default_difficulty,
                                         category_map=category_map))


jobs.register(IMPORT_JOB, run_import, label=_l("Question import"), template="bank/_import_job_result.html")
