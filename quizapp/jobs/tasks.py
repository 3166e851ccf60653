"""The queue's own tasks: run a recorded job; prune expired files every hour."""
from __future__ import annotations

from quizapp.jobs import services
from quizapp.jobs.queue import crontab, periodic, task


@task()
def run_job(job_id: int) -> None:
    services.execute(job_id)


@periodic(crontab(minute="7"))
def prune_expired_files() -> None:
    services.prune_expired()
