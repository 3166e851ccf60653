"""Accounts' schedule, run by the job consumer (no cron): once a day, delete the records of
logins revoked more than 30 days ago (``flask users prune-sessions`` does the same by hand)."""
from __future__ import annotations

from quizapp import jobs
from quizapp.auth import services


@jobs.periodic(jobs.crontab(minute="17", hour="3"))
def prune_login_sessions() -> None:
    services.prune_sessions(30)
