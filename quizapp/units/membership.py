"""Confirmed membership: who belongs to a unit, who may confirm whom, and the confirmation queue.

Anyone may register into any unit; only members a unit manager (or, for units no manager
covers, an organiser) has confirmed count toward the unit's participation and unit prizes (see
``leaderboards.unit_ranking.compute_unit_ranking``).

Owns: ``Member`` rows, ``members_by_confirmation`` (the unit dashboard), ``managed_unit_ids``,
``may_confirm``, ``confirmation_queue`` (refused people leave it), ``confirm_members`` (through
``confirmations.confirm``, which audits with the address) and ``units_over_headcount``.
Must not: record a confirmation itself (``confirmations``) or change a unit (``services``).
"""
from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from quizapp.core.db import db
from quizapp.units.models import Unit
from quizapp.units.services import is_within, subtree_ids

@dataclass(frozen=True)
class Member:
    user_id: int
    full_name: str
    unit_id: int
    unit_name: str
    confirmed: bool
    registered_at: object  # datetime (UTC)


def _members_stmt(unit_ids):
    from quizapp.auth.models import User

    return (sa.select(User.id, User.full_name, User.unit_id, Unit.name, User.unit_confirmed, User.created_at)
            .join(Unit, Unit.id == User.unit_id)
            .where(User.unit_id.in_(unit_ids), User.is_active_account)
            .order_by(User.unit_confirmed, Unit.name, User.full_name, User.id))


def members_by_confirmation(unit_id: int, subtree: bool = True) -> dict[str, list[Member]]:
    """The active members of a unit (and its sub-units): ``{"confirmed": [...], "unconfirmed": [...]}``.
    Only confirmed members count toward participation; the unit dashboard shows both."""
    ids = subtree_ids(unit_id) if subtree else [unit_id]
    out: dict[str, list[Member]] = {"confirmed": [], "unconfirmed": []}
    for row in db.session.execute(_members_stmt(ids)):
        out["confirmed" if row[4] else "unconfirmed"].append(Member(*row))
    return out


def managed_unit_ids() -> set[int]:
    """Units covered by an active unit manager (his unit and its sub-units)."""
    from quizapp.auth.models import Role, User

    paths = db.session.scalars(
        sa.select(Unit.path).join(User, User.unit_id == Unit.id)
        .where(User.role == Role.UNIT_MANAGER, User.is_active_account)).all()
    if not paths:
        return set()
    return set(db.session.scalars(sa.select(Unit.id).where(sa.or_(*[Unit.path.startswith(p) for p in set(paths)]))))


def may_confirm(actor, user) -> bool:
    """Organisers confirm anyone; a unit manager the people of his unit and its sub-units
    (not himself)."""
    from quizapp.auth.models import Role

    if actor.has_role(Role.ORGANISER):
        return True
    return bool(actor.role == Role.UNIT_MANAGER and actor.unit_id and user.unit_id and user.id != actor.id
                and is_within(user.unit_id, actor.unit_id))


def confirmation_queue(actor, everything: bool = False, limit: int = 500) -> list[Member]:
    """Unconfirmed members the actor should confirm: a unit manager's own subtree; an
    organiser's units that no manager covers (``everything``: all units)."""
    from quizapp.auth.models import Role, User

    if actor.has_role(Role.ORGANISER):
        stmt = (sa.select(User.id, User.full_name, User.unit_id, Unit.name, User.unit_confirmed, User.created_at)
                .join(Unit, Unit.id == User.unit_id)
                .where(User.is_active_account, sa.not_(User.unit_confirmed))
                .order_by(Unit.name, User.full_name, User.id))
        if not everything:
            managed = managed_unit_ids()
            if managed:
                stmt = stmt.where(User.unit_id.not_in(managed))
    elif actor.role == Role.UNIT_MANAGER and actor.unit_id:
        stmt = _members_stmt(subtree_ids(actor.unit_id)).where(sa.not_(User.unit_confirmed), User.id != actor.id)
    else:
        return []
    from quizapp.units.models import MembershipConfirmation, MembershipDecision

    refused = sa.select(MembershipConfirmation.user_id).where(
        MembershipConfirmation.decision == MembershipDecision.REJECTED)  # “Từ chối”: out of the queue
    return [Member(*row) for row in db.session.execute(stmt.where(User.id.not_in(refused)).limit(limit))]


def confirm_members(actor, user_ids: list[int], address: str = "") -> int:
    """Confirm these members (those the actor may confirm; others are skipped); audited with the
    address (``confirmations.confirm``)."""
    from quizapp.units import confirmations

    return confirmations.confirm(actor, user_ids, address)


@dataclass(frozen=True)
class HeadcountFlag:
    unit_id: int
    name: str
    headcount: int
    confirmed: int
    registered: int


def units_over_headcount() -> list[HeadcountFlag]:
    """Units with more registered members than their headcount (organisers check these:
    fake sign-ups or a headcount to correct)."""
    from quizapp.auth.models import User

    confirmed = sa.func.sum(sa.case((User.unit_confirmed, 1), else_=0))
    rows = db.session.execute(
        sa.select(Unit.id, Unit.name, Unit.headcount, confirmed, sa.func.count(User.id))
        .join(User, User.unit_id == Unit.id).where(User.is_active_account, Unit.is_active)
        .group_by(Unit.id, Unit.name, Unit.headcount)
        .having(sa.func.count(User.id) > Unit.headcount).order_by(Unit.name))
    return [HeadcountFlag(r[0], r[1], r[2], int(r[3] or 0), int(r[4])) for r in rows]
