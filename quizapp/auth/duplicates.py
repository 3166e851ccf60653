"""Likely duplicate accounts and what an admin does about them: disable one, or merge two.

Owns: ``likely_duplicates`` (the same CCCD or phone once normalised, or the same name and birth
date in one unit), ``recent_registration_conflicts`` (refused registrations, from the audit
log), ``disable_duplicate``, ``merge_plan`` (what a merge would move, refused when both entered
the same round or a role is involved) and ``merge_accounts`` (attempts and standings move;
identifiers never do).
Must not: move anything but results, or merge without the plan the admin saw (``fingerprint``).
"""
from __future__ import annotations

import hashlib
import unicodedata
from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from quizapp.auth.identity import normalize_national_id, normalize_phone
from quizapp.auth.models import Role, User
from quizapp.auth.sessions import revoke_sessions
from quizapp.core import audit
from quizapp.core.db import db
from quizapp.core.errors import ServiceError

@dataclass(frozen=True)
class DuplicateGroup:
    reason: str  # "national_id", "phone", "name_birth_unit"
    users: list


def likely_duplicates(limit: int = 200) -> list[DuplicateGroup]:
    """Active accounts that are probably one person: the same CCCD or phone once normalised
    (accounts from before normalisation), or the same name and birth date in one unit."""
    from quizapp.core.text import fold

    users = db.session.scalars(sa.select(User).where(User.is_active_account).order_by(User.id)).all()
    buckets: dict[tuple, list[User]] = {}
    for u in users:
        if u.national_id:
            buckets.setdefault(("national_id", normalize_national_id(u.national_id)), []).append(u)
        if u.phone:
            buckets.setdefault(("phone", normalize_phone(u.phone)), []).append(u)
        if u.date_of_birth and u.unit_id:
            key = " ".join(fold(unicodedata.normalize("NFKC", u.full_name)).split())
            buckets.setdefault(("name_birth_unit", key, u.date_of_birth, u.unit_id), []).append(u)
    groups, seen = [], set()
    for key, members in buckets.items():
        ids = tuple(u.id for u in members)
        if len(members) > 1 and ids not in seen:
            seen.add(ids)
            groups.append(DuplicateGroup(key[0], members))
    return groups[:limit]


def recent_registration_conflicts(limit: int = 50):
    """Registrations refused because the phone / e-mail / CCCD was taken (from the audit log)."""
    from quizapp.core.audit import AuditEntry

    return db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "user.register_duplicate")
                              .order_by(AuditEntry.id.desc()).limit(limit)).all()


def _admin_only(admin: User) -> None:
    if admin.role != Role.ADMIN:
        raise ServiceError("forbidden", str(_l("Only an administrator can change identity fields.")), 403)


def disable_duplicate(admin: User, user_id: int) -> None:
    _admin_only(admin)
    user = db.session.get(User, user_id)
    if user is None:
        raise ServiceError("user_unknown", str(_l("This account does not exist.")), 404)
    user.is_active_account = False
    revoke_sessions(user.id)
    audit.record(admin.id, "user.disable_duplicate", "user", user.id)


@dataclass(frozen=True)
class MergePlan:
    """What a merge of ``other`` into ``keep`` would do, shown to the admin before he confirms.
    Only results move (attempts and standings); the duplicate's e-mail, phone and CCCD never do:
    they stay on the disabled duplicate, so a look-alike account cannot plant its owner's e-mail on
    the kept one and then reset that account's password by mail (issue 20 item 2)."""
    keep: User
    other: User
    rounds: list  # [(round id, round title, attempts moving)]
    attempts: int
    standings: int
    kept_identifiers: list  # the duplicate's login/identity fields, which do NOT move

    @property
    def fingerprint(self) -> str:
        """Binds the confirmation to what was shown: anything changed since and the merge is refused."""
        raw = f"{self.keep.id}:{self.other.id}:" + ",".join(f"{r}:{n}" for r, _t, n in self.rounds) + \
            f":{self.standings}"
        return hashlib.sha256(raw.encode()).hexdigest()[:16]


def merge_plan(admin: User, keep_id: int | None, other_id: int | None) -> MergePlan:
    """Check a merge and say what it would move; raise ServiceError when it is refused."""
    from quizapp.attempts.models import Attempt
    from quizapp.contests.models import Round
    from quizapp.leaderboards.models import Standing

    _admin_only(admin)
    keep, other = db.session.get(User, keep_id or 0), db.session.get(User, other_id or 0)
    if keep is None or other is None or keep.id == other.id:
        raise ServiceError("user_unknown", str(_l("Choose two different accounts.")), 404)
    if keep.role != Role.PARTICIPANT or other.role != Role.PARTICIPANT:
        raise ServiceError("merge_privileged", str(_l(
            "Only participant accounts are merged: an account with a role (unit manager, organiser, admin) "
            "is never merged into or from. Disable the duplicate instead.")), 409)
    if not keep.is_active_account:
        raise ServiceError("merge_into_disabled", str(_l("The account to keep is disabled.")), 409)
    rows = db.session.execute(
        sa.select(Attempt.round_id, Round.title, sa.func.count()).join(Round, Round.id == Attempt.round_id)
        .where(Attempt.user_id == other.id).group_by(Attempt.round_id, Round.title).order_by(Attempt.round_id)).all()
    rounds = [(rid, title, int(n)) for rid, title, n in rows]
    if rounds:
        both = db.session.scalars(sa.select(Round.title).where(Round.id.in_(
            sa.select(Attempt.round_id).where(Attempt.user_id == keep.id, Attempt.round_id.in_([r[0] for r in rounds]))
        ))).all()
        if both:
            raise ServiceError("merge_both_took_part", str(_l(
                "Both accounts took part in the same round (%(rounds)s): their results cannot be joined. "
                "Disable the duplicate instead.", rounds=", ".join(both))), 409)
    standings = db.session.scalar(sa.select(sa.func.count()).select_from(Standing).where(
        Standing.user_id == other.id)) or 0
    kept = [f for f in ("phone", "email", "national_id") if getattr(other, f)]
    return MergePlan(keep, other, rounds, sum(n for _r, _t, n in rounds), int(standings), kept)


def merge_accounts(admin: User, keep_id: int | None, other_id: int, fingerprint: str | None = None) -> MergePlan:
    """Move the duplicate's attempts and standings to the kept account and disable the duplicate.
    Nothing else moves: no e-mail, phone or CCCD, no name.  With ``fingerprint`` (from the plan the
    admin saw), a plan that has changed since is refused."""
    from quizapp.attempts.models import Attempt
    from quizapp.leaderboards.models import Standing

    plan = merge_plan(admin, keep_id, other_id)
    if fingerprint is not None and fingerprint != plan.fingerprint:
        raise ServiceError("merge_changed", str(_l(
            "The accounts changed since you looked (new attempts?): check what moves again.")), 409)
    keep, other = plan.keep, plan.other
    # Attempt numbers are unique per (round, user): the rounds moving are ones the kept account never entered.
    db.session.execute(sa.update(Attempt).where(Attempt.user_id == other.id).values(user_id=keep.id))
    db.session.execute(sa.update(Standing).where(Standing.user_id == other.id).values(user_id=keep.id))
    other.is_active_account = False
    revoke_sessions(other.id)
    audit.record(admin.id, "user.merge", "user", other.id, into=keep.id, attempts=plan.attempts,
                 standings=plan.standings, rounds=[r for r, _t, _n in plan.rounds])
    return plan
