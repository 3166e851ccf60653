"""The campaign's long work on the queue: the jury's certificates ZIP, the certificates of
completion of a large contest, and the periodic report (its .docx and .xlsx annex in one ZIP).
The pages run small batches while the organiser waits and start these jobs beyond the
``CAMPAIGN_INLINE_*`` limits; ``flask campaign …`` runs the same functions by hand."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from quizapp import jobs
from quizapp.campaign import certificates, reports

CERTIFICATES_JOB = "campaign.certificates"
FINISHERS_JOB = "campaign.finishers"
REPORT_JOB = "campaign.report"

jobs.register(CERTIFICATES_JOB, certificates.run_certificates_zip, label=_l("Certificates (ZIP)"),
              template="campaign/_certificates_job_result.html")
jobs.register(FINISHERS_JOB, certificates.run_mark_finishers, label=_l("Certificates of completion"),
              template="campaign/_finishers_job_result.html")
jobs.register(REPORT_JOB, reports.run_periodic_report_zip, label=_l("Periodic report"))
