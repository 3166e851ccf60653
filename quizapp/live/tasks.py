"""The live contest's long work on the queue: the certificates of an event (a ZIP of PDFs)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from quizapp import jobs
from quizapp.live import certificates

CERTIFICATES_JOB = "live.certificates"

jobs.register(CERTIFICATES_JOB, certificates.run_certificates, label=_l("Live contest certificates (ZIP)"))
