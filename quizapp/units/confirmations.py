"""Accountable membership confirmation: who confirmed whom, when and from where; refusals; the
organisers' review of confirmations that look like a unit inflating its participation.

People do join during a round, so confirming stays possible at any time; it is made
accountable instead.  Every decision is audited (actor, time, the address the app derives for
the request behind its trusted proxies) and kept as the person's ``MembershipConfirmation``.
A unit is flagged for a round when members counted in it were confirmed **while the round was
open** or **in a burst from one address** (``BURST_SIZE`` confirmations within
``BURST_MINUTES``); an organiser reviews the unit on one page and accepts the confirmations
(no longer flagged) or strikes them (the members stop counting; the unit manager can confirm
them again, which flags them again).

Owns: ``confirm``, ``reject``, ``flagged_units``, ``review``, ``accept``, ``strike``, ``identify``.
Must not: read the request (the view passes the address), rank units (``leaderboards``).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from quizapp.core import audit
from quizapp.core.db import db, utcnow
from quizapp.core.errors import ServiceError
from quizapp.units.models import MembershipConfirmation, MembershipDecision, Unit

BURST_SIZE = 5  # this many confirmations from one address ...
BURST_MINUTES = 10  # ... within this many minutes are a burst
MAX_IDS = 1000


def _decide(user, actor_id: int | None, decision: MembershipDecision, address: str, now: datetime) -> None:
    row = db.session.get(MembershipConfirmation, user.id)
    if row is None:
        row = MembershipConfirmation(user_id=user.id)
        db.session.add(row)
    row.unit_id, row.decision, row.decided_at = user.unit_id, decision, now
    row.decided_by_id, row.address = actor_id, (address or "")[:64]
    row.reviewed_at = row.reviewed_by_id = None


def confirm(actor, user_ids, address: str, now: datetime | None = None) -> int:
    """Confirm these members (those the actor may confirm; others are skipped); each audited
    with the address it came from."""
    from quizapp.auth.models import User
    from quizapp.units.membership import may_confirm

    now = now or utcnow()
    count = 0
    for user in db.session.scalars(sa.select(User).where(User.id.in_(list(user_ids)[:MAX_IDS]))):
        if not user.unit_confirmed and user.is_active_account and may_confirm(actor, user):
            user.unit_confirmed = True
            _decide(user, actor.id, MembershipDecision.CONFIRMED, address, now)
            audit.record(actor.id, "user.confirm_membership", "user", user.id, unit=user.unit_id, address=address)
            count += 1
    return count


def reject(actor, user_ids, address: str, now: datetime | None = None) -> int:
    """“Từ chối”: the manager says these people are not his unit's.  They leave his queue and do not
    count (a confirmed one is unconfirmed); their account stays (they may belong elsewhere)."""
    from quizapp.auth.models import User
    from quizapp.units.membership import may_confirm

    now = now or utcnow()
    count = 0
    for user in db.session.scalars(sa.select(User).where(User.id.in_(list(user_ids)[:MAX_IDS]))):
        if user.is_active_account and may_confirm(actor, user):
            user.unit_confirmed = False
            _decide(user, actor.id, MembershipDecision.REJECTED, address, now)
            audit.record(actor.id, "user.reject_membership", "user", user.id, unit=user.unit_id, address=address)
            count += 1
    return count


def rejected_ids(user_ids) -> set[int]:
    """Of these people, those a manager refused (the queue leaves them out)."""
    ids = list(user_ids)
    if not ids:
        return set()
    return set(db.session.scalars(sa.select(MembershipConfirmation.user_id).where(
        MembershipConfirmation.user_id.in_(ids), MembershipConfirmation.decision == MembershipDecision.REJECTED)))


# --- telling people apart ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Identity:
    """What a manager (or an organiser) needs to tell two people of the same name apart,
    without showing whole phone or CCCD numbers."""
    birth_year: int | None
    position: str
    phone_tail: str  # last 3 digits
    cccd_tail: str  # last 4 digits
    registered_at: datetime | None


def _tail(value: str | None, n: int) -> str:
    return f"…{value[-n:]}" if value and len(value) > n else ""


def identify(user_ids) -> dict[int, Identity]:
    from quizapp.auth.models import User

    ids = list(user_ids)
    if not ids:
        return {}
    rows = db.session.execute(sa.select(User.id, User.date_of_birth, User.position, User.phone, User.national_id,
                                        User.created_at).where(User.id.in_(ids)))
    return {r[0]: Identity(r[1].year if r[1] else None, r[2] or "", _tail(r[3], 3), _tail(r[4], 4), r[5])
            for r in rows}


# --- the organisers' review ----------------------------------------------------------------------------

@dataclass(frozen=True)
class FlaggedMember:
    user_id: int
    full_name: str
    unit_id: int  # the unit the result counts for
    confirmed_at: datetime
    confirmed_by: str
    address: str
    during_round: bool
    burst: bool
    identity: Identity | None = None


@dataclass(frozen=True)
class FlaggedUnit:
    unit_id: int
    name: str
    members: list[FlaggedMember]

    @property
    def during_round(self) -> int:
        return sum(1 for m in self.members if m.during_round)

    @property
    def burst(self) -> int:
        return sum(1 for m in self.members if m.burst)


def _bursts(rows) -> set[int]:
    """User ids confirmed as part of ``BURST_SIZE`` or more confirmations from one address within
    ``BURST_MINUTES`` (sliding window over each address's confirmations, in time order)."""
    window = timedelta(minutes=BURST_MINUTES)
    out: set[int] = set()
    by_address: dict[str, list] = {}
    for r in rows:
        if r.address:
            by_address.setdefault(r.address, []).append(r)
    for items in by_address.values():
        items.sort(key=lambda r: r.decided_at)
        start = 0
        for end in range(len(items)):
            while items[end].decided_at - items[start].decided_at > window:
                start += 1
            if end - start + 1 >= BURST_SIZE:
                out.update(r.user_id for r in items[start:end + 1])
    return out


def flagged_units(round_id: int, unit_id: int | None = None) -> list[FlaggedUnit]:
    """The units whose members counted in the round were confirmed while it was open or in a burst
    from one address, and not yet accepted by an organiser (most flagged first)."""
    from quizapp.auth.models import User
    from quizapp.contests.models import Round
    from quizapp.leaderboards.models import Standing

    rnd = db.session.get(Round, round_id)
    if rnd is None:
        raise ServiceError("round_not_found", str(_l("This round does not exist.")), 404)
    mc = MembershipConfirmation
    confirmer = sa.orm.aliased(User)
    stmt = (sa.select(mc.user_id, mc.decided_at, mc.address, Standing.unit_id, User.full_name,
                      sa.func.coalesce(confirmer.full_name, ""))
            .join(Standing, (Standing.user_id == mc.user_id) & (Standing.round_id == round_id))
            .join(User, User.id == mc.user_id).outerjoin(confirmer, confirmer.id == mc.decided_by_id)
            .where(mc.decision == MembershipDecision.CONFIRMED, mc.reviewed_at.is_(None), User.unit_confirmed,
                   Standing.unit_id.is_not(None)))
    if unit_id is not None:
        stmt = stmt.where(Standing.unit_id == unit_id)
    rows = db.session.execute(stmt).all()
    bursts = _bursts(rows)
    members: dict[int, list[FlaggedMember]] = {}
    for uid, at, address, unit, name, by in rows:
        during = rnd.opens_at <= at <= rnd.closes_at
        if during or uid in bursts:
            members.setdefault(unit, []).append(FlaggedMember(uid, name, unit, at, by, address, during, uid in bursts))
    names = dict(db.session.execute(sa.select(Unit.id, Unit.name).where(Unit.id.in_(list(members)))).all()) \
        if members else {}
    out = [FlaggedUnit(u, names.get(u, f"#{u}"), sorted(ms, key=lambda m: (m.confirmed_at, m.user_id)))
           for u, ms in members.items()]
    return sorted(out, key=lambda f: (-len(f.members), f.name))


def review(round_id: int, unit_id: int) -> FlaggedUnit | None:
    """One unit's flagged members with what tells them apart (the review page)."""
    found = flagged_units(round_id, unit_id)
    if not found:
        return None
    unit = found[0]
    ids = identify([m.user_id for m in unit.members])
    return FlaggedUnit(unit.unit_id, unit.name,
                       [FlaggedMember(**{**m.__dict__, "identity": ids.get(m.user_id)}) for m in unit.members])


def _flagged_ids(round_id: int, unit_id: int, user_ids) -> list[int]:
    unit = review(round_id, unit_id)
    wanted = set(user_ids)
    return [m.user_id for m in (unit.members if unit else []) if m.user_id in wanted]


def accept(organiser, round_id: int, unit_id: int, user_ids, now: datetime | None = None) -> int:
    """The organiser looked: these confirmations stand and are no longer flagged."""
    now = now or utcnow()
    ids = _flagged_ids(round_id, unit_id, user_ids)
    for uid in ids:
        row = db.session.get(MembershipConfirmation, uid)
        row.reviewed_at, row.reviewed_by_id = now, organiser.id
    if ids:
        audit.record(organiser.id, "unit.accept_confirmations", "unit", unit_id, round_id=round_id, users=ids)
    return len(ids)


def strike(organiser, round_id: int, unit_id: int, user_ids, now: datetime | None = None) -> int:
    """The organiser strikes these confirmations: the members no longer count for the unit."""
    from quizapp.auth.models import User

    now = now or utcnow()
    ids = _flagged_ids(round_id, unit_id, user_ids)
    for uid in ids:
        user = db.session.get(User, uid)
        user.unit_confirmed = False
        row = db.session.get(MembershipConfirmation, uid)
        row.decision, row.reviewed_at, row.reviewed_by_id = MembershipDecision.STRUCK, now, organiser.id
    if ids:
        audit.record(organiser.id, "unit.strike_confirmations", "unit", unit_id, round_id=round_id, users=ids)
    return len(ids)


def flags_for(rounds, now: datetime | None = None) -> list[tuple]:
    """``[(round, [FlaggedUnit, ...])]`` for the rounds that have opened (the organisers' boxes)."""
    now = now or utcnow()
    return [(r, flagged_units(r.id)) for r in sorted(rounds, key=lambda r: r.opens_at) if r.opens_at <= now]
