"""Plans' long work on the queue: a report (unit or consolidated) with its annex, and the
evidence pack of a unit for a period."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from quizapp import jobs
from quizapp.plans import reporting

REPORT_JOB = "plans.report"
EVIDENCE_JOB = "plans.evidence_pack"

jobs.register(REPORT_JOB, reporting.run_report_job, label=_l("Communication report"))
jobs.register(EVIDENCE_JOB, reporting.run_evidence_pack, label=_l("Evidence pack"))
