"""Account rules: registration, authentication, passwords, profile, and the admin's edits.

Owns: ``hash_password``, registering a member (a taken phone / e-mail / CCCD is answered like a
success and goes to the audit log, the owner told by a mail job: ``send_registration_notice``),
``authenticate`` (the same time for unknown logins), ``change_password`` / ``set_password``,
``update_profile`` (never the identity or the unit), ``admin_update_user`` (identity fields,
unit, role; a disabled or demoted account loses its job files at once), ``create_admin`` and
``search_users``.
Must not: normalise identifiers itself (``identity``), keep login sessions (``sessions``), reset
a forgotten password (``recovery``) or merge accounts (``duplicates``).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l
from werkzeug.security import check_password_hash, generate_password_hash

from quizapp.auth.identity import normalize_login, normalize_phone, validate_identity
from quizapp.auth.models import EntrantCategory, Role, User
from quizapp.auth.sessions import revoke_sessions
from quizapp.core import audit
from quizapp.core.db import db, utcnow
from quizapp.core.errors import ServiceError
from quizapp.units.models import Unit

MIN_PASSWORD_LENGTH = 8
# A precomputed hash so that unknown logins cost as much time as known ones.
_DUMMY_HASH = None


def hash_password(password: str) -> str:
    method = current_app.config.get("PASSWORD_HASH_METHOD", "scrypt")
    return generate_password_hash(password, method=method)


@dataclass
class Registration:
    full_name: str
    date_of_birth: date | None
    phone: str | None
    email: str | None
    national_id: str | None
    unit_id: int
    position: str | None
    category: EntrantCategory
    password: str


def _check_identity_unique(phone, email, national_id, exclude_user_id=None) -> None:
    checks = [
        ("phone", phone, User.phone, _l("This phone number is already registered.")),
        ("email", email, User.email, _l("This e-mail address is already registered.")),
        ("national_id", national_id, User.national_id, _l("This ID number is already registered.")),
    ]
    for field, value, column, message in checks:
        if not value:
            continue
        stmt = sa.select(User.id).where(column == value)
        if exclude_user_id:
            stmt = stmt.where(User.id != exclude_user_id)
        if db.session.scalar(stmt) is not None:
            raise ServiceError(f"{field}_taken", str(message), 409, field=field)


def _identity_owner(phone, email, national_id) -> tuple[int, list[str]] | None:
    """The account already holding one of these (normalised) identifiers, and which ones."""
    found: dict[int, list[str]] = {}
    for field, value, column in (("phone", phone, User.phone), ("email", email, User.email),
                                 ("national_id", national_id, User.national_id)):
        if value:
            uid = db.session.scalar(sa.select(User.id).where(column == value))
            if uid is not None:
                found.setdefault(uid, []).append(field)
    if not found:
        return None
    uid = min(found)
    return uid, found[uid]


def register(data: Registration) -> User | None:
    """Create a self-registered (unconfirmed) member, or None when the phone, e-mail or CCCD
    already belongs to someone.  The caller answers both cases with the SAME message, so the
    form does not tell a stranger whether a number is registered; the conflict goes to the
    audit log (the admins' duplicates queue) and the owner is told by e-mail when possible."""
    phone, email, national_id = validate_identity(data.phone, data.email, data.national_id)
    unit = db.session.get(Unit, data.unit_id) if data.unit_id else None
    if unit is None or not unit.is_active:
        raise ServiceError("unit_unknown", str(_l("Choose your unit from the list.")), field="unit_id")
    if len(data.password) < MIN_PASSWORD_LENGTH:
        raise ServiceError("password_short", str(_l("The password must have at least 8 characters.")), field="password")
    password_hash = hash_password(data.password)  # hashed in both cases: the same time either way
    owner = _identity_owner(phone, email, national_id)
    if owner is not None:
        _registration_conflict(*owner)
        return None
    user = User(
        full_name=data.full_name.strip(),
        date_of_birth=data.date_of_birth,
        phone=phone,
        email=email,
        national_id=national_id,
        unit_id=unit.id,
        position=(data.position or "").strip() or None,
        category=data.category,
        role=Role.PARTICIPANT,
        password_hash=password_hash,
        unit_confirmed=False,
    )
    db.session.add(user)
    try:
        with db.session.begin_nested():
            db.session.flush()
    except sa.exc.IntegrityError:
        # A concurrent registration took the phone/e-mail between check and insert.
        owner = _identity_owner(phone, email, national_id)
        if owner is not None:
            _registration_conflict(*owner)
        return None
    return user


def _registration_conflict(owner_id: int, fields: list[str]) -> None:
    from quizapp.auth import tasks

    audit.record(None, "user.register_duplicate", "user", owner_id, fields=fields)
    # The owner is told by a job (never an SMTP round trip inside the request), at most
    # MAIL_PER_RECIPIENT_LIMIT times (quizapp/auth/mail.py).
    tasks.registration_notice_mail(owner_id)



def send_registration_notice(owner_id: int) -> bool:
    """The job's half of a refused registration: tell the owner of the identifiers, by e-mail."""
    from quizapp.auth import mail

    owner = db.session.get(User, owner_id)
    if owner is None or not owner.email:
        return False
    return mail.send_registration_notice(owner.email)


def authenticate(login: str, password: str) -> User | None:
    global _DUMMY_HASH
    key = normalize_login(login)
    user = None
    if key:
        column = User.email if "@" in key else User.phone
        user = db.session.scalar(sa.select(User).where(column == key))
    if user is None:
        if _DUMMY_HASH is None:
            _DUMMY_HASH = hash_password("not-a-real-password")
        check_password_hash(_DUMMY_HASH, password or "")
        return None
    if not check_password_hash(user.password_hash, password or "") or not user.is_active:
        return None
    user.last_login_at = utcnow()
    return user


def change_password(user: User, current: str, new: str) -> None:
    """Change the password; every other login of the user is revoked (this one stays)."""
    if not check_password_hash(user.password_hash, current or ""):
        raise ServiceError("password_wrong", str(_l("The current password is not correct.")), field="current_password")
    set_password(user, new, "new_password")
    revoke_sessions(user.id, keep_token=user.login_token)


def set_password(user: User, new: str, field: str) -> None:
    if len(new or "") < MIN_PASSWORD_LENGTH:
        raise ServiceError("password_short", str(_l("The password must have at least 8 characters.")), field=field)
    user.password_hash = hash_password(new)
    user.reset_code_hash = None
    user.reset_code_expires_at = None


def update_profile(user: User, *, position: str | None) -> None:
    """What a user may change about themselves: not their identity (entrant category
    included: it decides which contests they may enter), not their unit."""
    user.position = (position or "").strip() or None



def admin_update_user(admin: User, user: User, **fields) -> None:
    """Only an admin changes identity fields, unit and role; each change is audited."""
    if admin.role != Role.ADMIN:
        raise ServiceError("forbidden", str(_l("Only an administrator can change identity fields.")), 403)
    phone, email, national_id = validate_identity(fields.get("phone"), fields.get("email"), fields.get("national_id"))
    _check_identity_unique(phone, email, national_id, exclude_user_id=user.id)
    unit_id = fields.get("unit_id")
    if unit_id is not None and db.session.get(Unit, unit_id) is None:
        raise ServiceError("unit_unknown", str(_l("Choose your unit from the list.")), field="unit_id")
    new_values = {
        "full_name": (fields.get("full_name") or user.full_name).strip(),
        "date_of_birth": fields.get("date_of_birth", user.date_of_birth),
        "phone": phone,
        "email": email,
        "national_id": national_id,
        "unit_id": unit_id if unit_id is not None else user.unit_id,
        "role": Role(fields.get("role", user.role)),
        "category": EntrantCategory(fields.get("category", user.category)),
        "is_active_account": fields.get("is_active_account", user.is_active_account),
    }
    changed = [k for k, v in new_values.items() if getattr(user, k) != v]
    old_role = user.role
    for key in changed:
        setattr(user, key, new_values[key])
    if "unit_id" in changed:
        user.unit_confirmed = True  # an admin placed the person in the unit
    if "is_active_account" in changed and not user.is_active_account:
        revoke_sessions(user.id)
    from quizapp.jobs import services as jobs

    if not user.is_active_account:
        jobs.forget_files_above(user.id, None)  # a disabled account keeps no exported files
    elif "role" in changed and user.role.rank < old_role.rank:
        # A demoted organiser's exports (personal data) are deleted now, not when they expire.
        jobs.forget_files_above(user.id, user.role)
    if changed:
        # Field names only: personal data never goes to the audit log.
        audit.record(admin.id, "user.update", "user", user.id, fields=changed)


def create_admin(full_name: str, login: str, password: str, unit_code: str | None = None) -> User:
    """Create an admin account (the ``flask users create-admin`` command)."""
    key = normalize_login(login)
    phone = None if "@" in key else key
    email = key if "@" in key else None
    phone, email, _ = validate_identity(phone, email, None)
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ServiceError("password_short", str(_l("The password must have at least 8 characters.")))
    _check_identity_unique(phone, email, None)
    unit_id = None
    if unit_code:
        unit = db.session.scalar(sa.select(Unit).where(Unit.code == unit_code))
        if unit is None:
            raise ServiceError("unit_unknown", str(_l("Unknown unit code.")))
        unit_id = unit.id
    user = User(
        full_name=full_name.strip(),
        phone=phone,
        email=email,
        unit_id=unit_id,
        role=Role.ADMIN,
        category=EntrantCategory.CIVIL_SERVANT,
        password_hash=hash_password(password),
    )
    db.session.add(user)
    db.session.flush()
    audit.record(None, "user.create_admin", "user", user.id)
    return user


def search_users(q: str = "", unit_ids: list[int] | None = None, limit: int = 50, offset: int = 0):
    stmt = sa.select(User).order_by(User.full_name)
    q = (q or "").strip()
    if q and normalize_phone(q) and normalize_phone(q).isdigit():
        q = normalize_phone(q)
    if q:
        like = f"%{q}%"
        stmt = stmt.where(sa.or_(User.full_name.ilike(like), User.phone.ilike(like), User.email.ilike(like)))
    if unit_ids is not None:
        stmt = stmt.where(User.unit_id.in_(unit_ids))
    return db.session.scalars(stmt.limit(limit).offset(offset)).all()
