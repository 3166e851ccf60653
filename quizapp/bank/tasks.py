"""Large question-bank imports as a job: the same all-or-nothing import service, with a progress bar."""
from __future__ import annotations

from dataclasses import asdict

from flask_babel import lazy_gettext as _l

from quizapp import jobs
from quizapp.bank import services
from quizapp.bank.models import QuestionStatus
from quizapp.jobs.services import take_upload

IMPORT_JOB = "bank.import"


def run_import(params: dict, progress, output_dir: str) -> dict:
    """params: upload (stashed file), filename, actor_id, status, default_area_id, default_difficulty,
    category_map (Moodle/GIFT category → area code).
    Returns {"report": …} (the same report as the page shows); nothing is written if any row is wrong."""
    content = take_upload(params["upload"])
    report = services.import_file(
        content, params["filename"], params.get("actor_id"), status=QuestionStatus(params["status"]),
        default_area_id=params.get("default_area_id"), default_difficulty=params.get("default_difficulty", 1),
        progress=lambda _stage, done, total: progress(done, total),
        category_map=params.get("category_map"),
    )
    return {"report": {"ok": report.ok, "created": report.created, "updated": report.updated,
                       "unchanged": report.unchanged, "errors": [asdict(e) for e in report.errors]}}


jobs.register(IMPORT_JOB, run_import, label=_l("Question import"), template="bank/_import_job_result.html")
