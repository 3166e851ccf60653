"""The campaign's long work on the queue: the jury's certificates ZIP, the certificates of
completion of a large contest, and the periodic report (its .docx and .xlsx annex in one ZIP).
The pages run small batches while the organiser waits and start these jobs beyond the
``CAMPAIGN_INLINE_*`` limits, decided here by ``jobs.run_or_queue`` (never in a view);
``flask campaign …`` runs the same functions by hand."""
from __future__ import annotations

import tempfile
from datetime import date
from pathlib import Path

from flask import current_app
from flask_babel import lazy_gettext as _l

from quizapp import jobs
from quizapp.campaign import certificates, prizes, reports

CERTIFICATES_JOB = "campaign.certificates"
FINISHERS_JOB = "campaign.finishers"
REPORT_JOB = "campaign.report"

jobs.register(CERTIFICATES_JOB, certificates.run_certificates_zip, label=_l("Certificates (ZIP)"),
              template="campaign/_certificates_job_result.html")
jobs.register(FINISHERS_JOB, certificates.run_mark_finishers, label=_l("Certificates of completion"),
              template="campaign/_finishers_job_result.html")
jobs.register(REPORT_JOB, reports.run_periodic_report_zip, label=_l("Periodic report"))


def _limit(key: str, default: int) -> int:
    return int(current_app.config.get(key, default))


def finishers_or_job(contest, round_id: int | None, actor_id: int | None, prize: str):
    """Certificates of completion for every finisher: issued now (returns how many) up to
    ``CAMPAIGN_INLINE_FINISHERS`` finishers, else by a job (returns the started ``Job``)."""
    return jobs.run_or_queue(
        FINISHERS_JOB, actor_id, {"contest_id": contest.id, "round_id": round_id, "prize": prize, "actor_id": actor_id},
        size=prizes.finisher_count(contest, round_id), limit=_limit("CAMPAIGN_INLINE_FINISHERS", 20000),
        now=lambda: prizes.mark_finishers(contest, round_id, actor_id, prize))


def certificates_fit_inline(total: int) -> bool:
    """Whether the ZIP of ``total`` certificates is built while the organiser waits (the page
    offers the download) or by a job (the page offers the button that starts it)."""
    return jobs.runs_inline(total, _limit("CAMPAIGN_INLINE_CERTIFICATES", 300))


def certificates_zip_now(contest_id: int, round_id: int | None, base_url: str, actor_id: int | None = None):
    """``(data, filename, count)`` of the certificates ZIP built now, up to ``CAMPAIGN_INLINE_CERTIFICATES``;
    else ``JobNeeded`` (the download is a GET and starts nothing: the page offers the job)."""
    return jobs.run_or_queue(
        CERTIFICATES_JOB, actor_id,
        {"contest_id": contest_id, "round_id": round_id, "base_url": base_url, "actor_id": actor_id},
        size=certificates.count_certificates(contest_id, round_id), limit=_limit("CAMPAIGN_INLINE_CERTIFICATES", 300),
        now=lambda: certificates.certificates_zip_bytes(contest_id, round_id, base_url, actor_id), queue=False)


def report_now(params: dict, annex: bool):
    """``(data, filename, mimetype)`` of the periodic report (or its .xlsx annex) built now, up to
    ``CAMPAIGN_INLINE_REPORT_ENTRANTS`` results; else ``JobNeeded`` with the size (the download is a
    GET and starts nothing: the page offers the job)."""
    period = reports.Period(date.fromisoformat(params["start"]), date.fromisoformat(params["end"]), params["label"])

    def build():
        with tempfile.TemporaryDirectory() as tmp:
            result = reports.run_periodic_report(params, lambda done, total: None, tmp)
            chosen = result["annex"] if annex else result
            return Path(chosen["path"]).read_bytes(), chosen["filename"], chosen["mimetype"]

    return jobs.run_or_queue(
        REPORT_JOB, None, params, size=reports.scope_size(params["unit_id"], period, params["contest_id"]),
        limit=_limit("CAMPAIGN_INLINE_REPORT_ENTRANTS", 20000), now=build, queue=False)
