"""When a request arrived: the server's clock, or a trusted front proxy's.

Under a deadline peak, requests wait in front of busy workers (in the proxy or in
the listen queue) before any code runs; an answer sent in time must not be refused
``time_up`` because it waited there.  When the app sits behind a trusted proxy
(``TRUSTED_PROXY_HOPS`` > 0, the same setting that enables ProxyFix) that stamps
every request with ``X-Request-Start: t=<epoch seconds>`` (nginx: ``"t=${msec}"``,
see deploy/nginx.conf), the deadline checks use that time instead.

The stamp is clamped: never later than the server's own clock, never earlier than
``REQUEST_START_MAX_SKEW`` seconds (default 90: the longest nginx waits for a worker, proxy_connect_timeout
+ proxy_read_timeout in deploy/quizapp-proxy.conf) before it, so a proxy with a wrong
clock (or a client header the proxy failed to overwrite) can buy at most that much.
Without a trusted proxy the header is ignored.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from flask import current_app, request

from quizapp.core.db import utcnow


def _stamp(raw: str | None) -> float | None:
    """'t=1733320000.123' (seconds), also milli-/microseconds as New Relic accepts them."""
    if not raw:
        return None
    value = raw.strip()
    if value.startswith("t="):
        value = value[2:]
    try:
        number = float(value)
    except ValueError:
        return None
    if number != number or number <= 0:  # NaN
        return None
    while number > 1e11:  # milliseconds or microseconds
        number /= 1000
    return number


def queue_allowance() -> timedelta:
    """How long a request the trusted proxy stamped may still be on its way to a worker
    (``REQUEST_START_MAX_SKEW``), or nothing without a trusted proxy.  What closes attempts
    and rounds on its own (the sweep) waits this much longer, so an answer that reached the
    proxy in time is never beaten to its attempt by the sweep while it queues."""
    if int(current_app.config.get("TRUSTED_PROXY_HOPS") or 0) <= 0:
        return timedelta(0)
    return timedelta(seconds=float(current_app.config.get("REQUEST_START_MAX_SKEW", 90)))


def arrival_time(now: datetime | None = None) -> datetime:
    """The time the request reached the trusted proxy, or the server's clock."""
    now = now or utcnow()
    if int(current_app.config.get("TRUSTED_PROXY_HOPS") or 0) <= 0:
        return now
    stamp = _stamp(request.headers.get("X-Request-Start"))
    if stamp is None:
        return now
    arrived = datetime.fromtimestamp(stamp, timezone.utc)
    earliest = now - timedelta(seconds=float(current_app.config.get("REQUEST_START_MAX_SKEW", 90)))
    return min(now, max(arrived, earliest))

