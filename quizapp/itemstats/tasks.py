"""Item statistics on the queue: the organiser's "compute now" is a job (its CSV downloadable
from the job's page), and every 10 minutes the consumer computes the statistics of the rounds
that have closed and have none yet (no cron; ``flask stats compute --pending`` by hand)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from quizapp import jobs
from quizapp.itemstats import services

jobs.register(services.COMPUTE_JOB, services.run_item_statistics, label=_l("Item statistics"),
              template="itemstats/_job_result.html")


@jobs.periodic(jobs.crontab(minute="*/10"))
def compute_pending_statistics() -> None:
    services.compute_pending()
