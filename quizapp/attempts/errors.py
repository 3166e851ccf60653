"""The attempts package's refusals: a ServiceError with a translated message, and TimeUp.

Owns: how an attempt rule says "no" (``err``) and the one refusal the callers catch by type
(``TimeUp``, an answer or action after deadline + grace).
Must not: decide any rule itself, read the database or touch request/session.
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from quizapp.core.errors import ServiceError, message_text


def err(code: str, message, status: int = 400, field: str | None = None) -> ServiceError:
    return ServiceError(code, message_text(message), status, field)


class TimeUp(ServiceError):
    """Raised when an answer or action arrives after deadline + grace."""


def time_up(attempt_id: int) -> TimeUp:
    exc = TimeUp("time_up", message_text(_l("Time is up: this attempt is closed.")), 409)
    exc.attempt_id = attempt_id
    return exc
