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
Without a trusted proxy the header is ignored, and with ``PROXY_SECRET`` set it is believed only on a
request carrying that secret (quizapp/core/proxy.py).  The stamp decides only whether an answer arrived
in time: a recorded duration is measured on the server's own clock (issue 20 item 3).
"""
from __future__ import annotations

import math
from datetime import datetime, timedelta, timezone

from flask import current_app, request

from quizapp.core.db import utcnow
from quizapp.core.proxy import from_trusted_proxy


# Epoch seconds between 2001-09-09 and 2286-11-20; the same instant in milli- or microseconds is
# 10^3 / 10^6 times larger.  Anything else (inf, 1e400, NaN, negative, a year 1970 stamp) is refused.
_SECONDS_RANGE = (1e9, 1e10)
_UNITS = (1.0, 1e3, 1e6)  # seconds, milliseconds, microseconds
_MAX_LENGTH = 32  # 't=' + 16 digits + '.' + 6 digits fits easily; a 100,000-digit header does not


def _stamp(raw: str | None) -> float | None:
    """Epoch seconds from ``t=<seconds>`` (nginx's ``${msec}``: 1733320000.123), ``t=<milliseconds>``
    (1733320000123) or ``t=<microseconds>`` (1733320000123456), with or without ``t=``, as New Relic
    accepts them; None for anything else (non-finite, out of range, too long, not a number)."""
    if not raw:
        return None
    value = raw.strip()
    if len(value) > _MAX_LENGTH:
        return None
    if value.startswith("t="):
        value = value[2:]
    try:
        number = float(value)
    except ValueError:
        return None
    if not math.isfinite(number):
        return None
    low, high = _SECONDS_RANGE
    for unit in _UNITS:
        seconds = number / unit
        if low <= seconds < high:
            return seconds
    return None


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
    if not from_trusted_proxy():  # no proxy, or a request that does not carry PROXY_SECRET
        return now
    stamp = _stamp(request.headers.get("X-Request-Start"))
    if stamp is None:
        return now
    arrived = datetime.fromtimestamp(stamp, timezone.utc)
    earliest = now - timedelta(seconds=float(current_app.config.get("REQUEST_START_MAX_SKEW", 90)))
    return min(now, max(arrived, earliest))

