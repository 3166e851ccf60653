"""Vietnam time for organisers' input; UTC for storage.

Organisers type opening and closing times in Vietnam time (Asia/Ho_Chi_Minh,
UTC+7, no daylight saving); the database stores aware UTC datetimes.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

VN_TZ = ZoneInfo("Asia/Ho_Chi_Minh")


def vn_to_utc(value: datetime) -> datetime:
    """A wall-clock time in Vietnam (naive, as a form gives it) → aware UTC."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=VN_TZ)
    return value.astimezone(timezone.utc)


def utc_to_vn(value: datetime) -> datetime:
    """An aware UTC datetime → naive Vietnam wall-clock time (to prefill a form)."""
    return value.astimezone(VN_TZ).replace(tzinfo=None)


def epoch_ms(value: datetime) -> int:
    """Milliseconds since the epoch, for the page's countdown script."""
    return int(value.timestamp() * 1000)


def split_duration(delta: timedelta) -> tuple[int, int, int]:
    """(days, hours, minutes) left, rounded up to the minute, never negative."""
    seconds = max(0, int(delta.total_seconds()))
    minutes = -(-seconds // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    return days, hours, minutes
