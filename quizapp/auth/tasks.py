"""Accounts' jobs, run by the job consumer: the mails (password reset, registration notice) sent
off the request path, and once a day the deletion of the records of logins revoked more than
30 days ago (``flask users prune-sessions`` does the same by hand)."""
from __future__ import annotations

from quizapp import jobs
from quizapp.auth import accounts, recovery, sessions


@jobs.task(retries=2, retry_delay=60)
def password_reset_mail(email: str) -> None:
    """Mail a password-reset link, off the request path (the request only queued the address)."""
    recovery.send_password_reset(email)


@jobs.task(retries=2, retry_delay=60)
def registration_notice_mail(owner_id: int) -> None:
    """Tell an account's owner that someone tried to register with his phone / e-mail / CCCD."""
    accounts.send_registration_notice(owner_id)


@jobs.periodic(jobs.crontab(minute="17", hour="3"))
def prune_login_sessions() -> None:
    sessions.prune_sessions(30)
