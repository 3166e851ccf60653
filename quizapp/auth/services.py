"""Account rules: registration, authentication, passwords, identity locking."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l
from werkzeug.security import check_password_hash, generate_password_hash

from quizapp.audit import services as audit
from quizapp.auth.models import EntrantCategory, Role, User
from quizapp.core.db import db, utcnow
from quizapp.core.errors import ServiceError
from quizapp.units.models import Unit

PHONE_RE = re.compile(r"^0\d{9,10}$")
NATIONAL_ID_RE = re.compile(r"^\d{12}$")
MIN_PASSWORD_LENGTH = 8
# A precomputed hash so that unknown logins cost as much time as known ones.
_DUMMY_HASH = None


def normalize_phone(raw: str | None) -> str | None:
    """'+84 912.345.678' → '0912345678'; None or '' → None."""
    if not raw:
        return None
    digits = re.sub(r"[\s.\-()]", "", raw.strip())
    if digits.startswith("+84"):
        digits = "0" + digits[3:]
    elif digits.startswith("84") and len(digits) == 11:
        digits = "0" + digits[2:]
    return digits


def normalize_email(raw: str | None) -> str | None:
    if not raw or not raw.strip():
        return None
    return raw.strip().lower()


def normalize_login(raw: str | None) -> str:
    raw = (raw or "").strip()
    return normalize_email(raw) if "@" in raw else (normalize_phone(raw) or "")


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


def validate_identity(phone, email, national_id) -> tuple[str | None, str | None, str | None]:
    phone = normalize_phone(phone)
    email = normalize_email(email)
    national_id = (national_id or "").strip() or None
    if not phone and not email:
        raise ServiceError("login_missing", str(_l("Enter a phone number or an e-mail address.")), field="phone")
    if phone and not PHONE_RE.match(phone):
        raise ServiceError("phone_invalid", str(_l("The phone number must have 10 or 11 digits and start with 0.")), field="phone")
    if national_id and not NATIONAL_ID_RE.match(national_id):
        raise ServiceError("national_id_invalid", str(_l("The ID number (CCCD) must have exactly 12 digits.")), field="national_id")
    return phone, email, national_id


def register(data: Registration) -> User:
    phone, email, national_id = validate_identity(data.phone, data.email, data.national_id)
    unit = db.session.get(Unit, data.unit_id) if data.unit_id else None
    if unit is None or not unit.is_active:
        raise ServiceError("unit_unknown", str(_l("Choose your unit from the list.")), field="unit_id")
    if len(data.password) < MIN_PASSWORD_LENGTH:
        raise ServiceError("password_short", str(_l("The password must have at least 8 characters.")), field="password")
    _check_identity_unique(phone, email, national_id)
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
        password_hash=hash_password(data.password),
    )
    db.session.add(user)
    try:
        with db.session.begin_nested():
            db.session.flush()
    except sa.exc.IntegrityError:
        # A concurrent registration took the phone/e-mail between check and insert.
        raise ServiceError("identity_taken", str(_l("This phone number or e-mail address is already registered.")), 409)
    return user


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
    if not check_password_hash(user.password_hash, current or ""):
        raise ServiceError("password_wrong", str(_l("The current password is not correct.")), field="current_password")
    if len(new) < MIN_PASSWORD_LENGTH:
        raise ServiceError("password_short", str(_l("The password must have at least 8 characters.")), field="new_password")
    user.password_hash = hash_password(new)


def update_profile(user: User, *, position: str | None, category: EntrantCategory) -> None:
    """What a user may change about themselves: not their identity, not their unit."""
    user.position = (position or "").strip() or None
    user.category = category


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
        "is_active_account": fields.get("is_active_account", user.is_active_account),
    }
    changed = [k for k, v in new_values.items() if getattr(user, k) != v]
    for key in changed:
        setattr(user, key, new_values[key])
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
    if q:
        like = f"%{q.strip()}%"
        stmt = stmt.where(sa.or_(User.full_name.ilike(like), User.phone.ilike(like), User.email.ilike(like)))
    if unit_ids is not None:
        stmt = stmt.where(User.unit_id.in_(unit_ids))
    return db.session.scalars(stmt.limit(limit).offset(offset)).all()
