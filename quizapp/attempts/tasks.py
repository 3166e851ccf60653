"""The contest engine's schedules, run by the job consumer (no cron): every minute,
close expired attempts and fix the true prediction figure of rounds closed past
their grace (``flask rounds finalize`` does the same by hand), and add the draws
this process made to the usage counts."""
from __future__ import annotations

from quizapp import jobs
from quizapp.attempts import draws
from quizapp.attempts.sweep import finalize_all


@jobs.periodic(jobs.crontab(minute="*"))
def finalize_rounds() -> None:
    finalize_all()


@jobs.periodic(jobs.crontab(minute="*"))
def flush_draw_counts() -> None:
    draws.flush_draw_counts(force=True)
