"""An attempt's clock: the grace after a deadline, when the server sweeps, the time left.

Timing rules (all times are the server's; anything a client sends about time is ignored):

* deadline = min(start + time limit (+ granted minutes), round close), fixed when the
  attempt starts (``start``);
* answers and submissions are accepted until deadline + ANSWER_GRACE_SECONDS (network
  latency); the recorded duration never exceeds deadline - start;
* an attempt still open after deadline + grace is closed by the server (``sweep``).

Owns: those durations and the two questions every path asks (time left, expired?).
Must not: read or write the database, or close anything (``sweep`` does).
"""
from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app

from quizapp.attempts.models import Attempt
from quizapp.core.arrival import queue_allowance
from quizapp.core.db import utcnow


def grace() -> timedelta:
    return timedelta(seconds=int(current_app.config.get("ANSWER_GRACE_SECONDS", 5)))


def sweep_after() -> timedelta:
    """How long after its deadline the server itself closes an attempt nobody submitted (and, after
    a round's close, fixes the round's true figure): the grace period, plus, behind a trusted proxy,
    the time a request stamped in time may still queue in front of the workers
    (``core.arrival.queue_allowance``)."""
    return grace() + queue_allowance()


def remaining_ms(attempt: Attempt, now: datetime | None = None) -> int:
    now = now or utcnow()
    return max(0, int((attempt.deadline_at - now).total_seconds() * 1000))


def is_expired(attempt: Attempt, now: datetime | None = None) -> bool:
    """True once deadline + grace has passed (the attempt may then only be finalised)."""
    return (now or utcnow()) > attempt.deadline_at + grace()
