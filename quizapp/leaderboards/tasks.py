"""Leaderboard work on the queue: the jury exports (a job kind) and snapshot recomputation."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from quizapp import jobs
from quizapp.leaderboards import exports

EXPORT_JOB = "leaderboards.export"

jobs.register(EXPORT_JOB, exports.run_export, label=_l("Results export"))
