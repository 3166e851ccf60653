"""Individual exceptions (grants): extra minutes or attempts for one entrant on one
round, for a stated reason, and the limits that apply to that entrant once every grant
is added to the round's own.

Owns the grants table and the entrant search the grant form uses.  Every grant is
audited (ids and figures only; the reason stays in the table).  Must not start or
time attempts (``quizapp.attempts`` reads ``limits_for``).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from quizapp.core import audit
from quizapp.auth.models import User
from quizapp.contests.contests import refuse_if_archived
from quizapp.contests.models import Grant, Round
from quizapp.contests.schedule import round_state
from quizapp.contests.settings import MAX_EXTRA_ATTEMPTS, MAX_EXTRA_MINUTES, refusal
from quizapp.core.db import db, utcnow


@dataclass(frozen=True)
class EntrantLimits:
    attempts_allowed: int
    time_limit: timedelta

    @classmethod
    def of(cls, rnd: Round, extra_minutes, extra_attempts) -> "EntrantLimits":
        """The round's limits plus the minutes and attempts granted to one entrant."""
        return cls(attempts_allowed=rnd.attempts_allowed + int(extra_attempts),
                   time_limit=timedelta(seconds=rnd.time_limit_seconds, minutes=int(extra_minutes)))


def limits_for(rnd: Round, user_id: int) -> EntrantLimits:
    """The round's limits plus every grant made to this entrant."""
    extra_minutes, extra_attempts = db.session.execute(
        sa.select(sa.func.coalesce(sa.func.sum(Grant.extra_minutes), 0),
                  sa.func.coalesce(sa.func.sum(Grant.extra_attempts), 0))
        .where(Grant.round_id == rnd.id, Grant.user_id == user_id)
    ).one()
    return EntrantLimits.of(rnd, extra_minutes, extra_attempts)


# --- individual exceptions ---------------------------------------------------

def find_entrants(q: str, limit: int = 20) -> list[User]:
    """Entrants matching a name, a phone number (any usual spelling) or an e-mail."""
    from quizapp.auth.accounts import search_users
    from quizapp.auth.identity import normalize_email, normalize_phone

    q = (q or "").strip()[:100]
    if not q:
        return []
    if "@" in q:
        q = normalize_email(q) or q
    elif re.fullmatch(r"[+\d\s.\-()]{6,}", q):
        q = normalize_phone(q) or q
    return list(search_users(q, limit=limit))


def mask_phone(phone: str | None) -> str:
    """'0912345678' → '09******78': enough to tell two namesakes apart."""
    if not phone:
        return ""
    return phone[:2] + "*" * max(len(phone) - 4, 0) + phone[-2:]


def grant(rnd: Round, user_id: int, extra_minutes: int, extra_attempts: int, reason: str,
          actor_id: int | None) -> Grant:
    """Give one entrant extra minutes and/or attempts on a round, for a stated reason."""
    refuse_if_archived(rnd.contest)
    user = db.session.get(User, user_id) if user_id else None
    if user is None or not user.is_active:
        raise refusal("user_unknown", _l("Entrant: choose an active account from the search results."), "user_id")
    reason = (reason or "").strip()
    if not reason:
        raise refusal("reason_required", _l("Reason: a reason is required for every exception."), "reason")
    if len(reason) > 2000:
        raise refusal("reason_too_long", _l("Reason: at most 2,000 characters."), "reason")
    extra_minutes, extra_attempts = int(extra_minutes or 0), int(extra_attempts or 0)
    if not 0 <= extra_minutes <= MAX_EXTRA_MINUTES:
        raise refusal("minutes_range", _l("Extra minutes: enter between 0 and %(max)d.", max=MAX_EXTRA_MINUTES),
                   "extra_minutes")
    if not 0 <= extra_attempts <= MAX_EXTRA_ATTEMPTS:
        raise refusal("attempts_range", _l("Extra attempts: enter between 0 and %(max)d.", max=MAX_EXTRA_ATTEMPTS),
                   "extra_attempts")
    if not extra_minutes and not extra_attempts:
        raise refusal("grant_empty", _l("Extra minutes: grant at least one extra minute or one extra attempt."),
                   "extra_minutes")
    if round_state(rnd) == "closed":
        raise refusal("round_closed", _l("This round has closed; an exception can no longer be used."), status=409)
    row = Grant(round_id=rnd.id, user_id=user.id, extra_minutes=extra_minutes, extra_attempts=extra_attempts,
                reason=reason, granted_by_id=actor_id, created_at=utcnow())
    db.session.add(row)
    db.session.flush()
    # The reason stays in the grants table; the log keeps ids and figures only.
    audit.record(actor_id, "grant.create", "round", rnd.id, user_id=user.id, grant_id=row.id,
                 extra_minutes=extra_minutes, extra_attempts=extra_attempts)
    return row


def grants_for(rnd: Round) -> list[tuple[Grant, User]]:
    rows = db.session.execute(
        sa.select(Grant, User).join(User, User.id == Grant.user_id)
        .where(Grant.round_id == rnd.id).order_by(Grant.created_at.desc(), Grant.id.desc())
    ).all()
    return [(g, u) for g, u in rows]
