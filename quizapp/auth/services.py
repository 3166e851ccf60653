"""Account rules: registration, authentication, passwords, identity locking."""
from __future__ import annotations

import hashlib
import re
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l
from werkzeug.security import check_password_hash, generate_password_hash

from quizapp.core import audit
from quizapp.auth.models import EntrantCategory, LoginSession, Role, User
from quizapp.core.db import db, utcnow
from quizapp.core.errors import ServiceError
from quizapp.units.models import Unit

PHONE_RE = re.compile(r"^0[0-9]{9,10}$")
NATIONAL_ID_RE = re.compile(r"^[0-9]{12}$")
MIN_PASSWORD_LENGTH = 8
# A precomputed hash so that unknown logins cost as much time as known ones.
_DUMMY_HASH = None


def ascii_digits(raw: str) -> str:
    """NFKC, then every Unicode decimal digit ('９', '٣', '৭') as its ASCII digit."""
    text = unicodedata.normalize("NFKC", raw)
    return "".join(str(unicodedata.decimal(ch)) if ch.isdecimal() else ch for ch in text)


def normalize_phone(raw: str | None) -> str | None:
    """'+84 912.345.678', '０９１２３４５６７８' → '0912345678'; None or '' → None."""
    if not raw or not raw.strip():
        return None
    digits = re.sub(r"[\s.\-()]", "", ascii_digits(raw).strip())
    if digits.startswith("+84"):
        digits = "0" + digits[3:]
    elif digits.startswith("84") and len(digits) == 11:
        digits = "0" + digits[2:]
    return digits


def normalize_email(raw: str | None) -> str | None:
    if not raw or not raw.strip():
        return None
    return unicodedata.normalize("NFKC", raw).strip().lower()


def normalize_national_id(raw: str | None) -> str | None:
    """The CCCD as 12 ASCII digits (spaces and dots dropped); None or '' → None."""
    if not raw or not raw.strip():
        return None
    return re.sub(r"[\s.\-]", "", ascii_digits(raw))


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
    national_id = normalize_national_id(national_id)
    if not phone and not email:
        raise ServiceError("login_missing", str(_l("Enter a phone number or an e-mail address.")), field="phone")
    if phone and not PHONE_RE.fullmatch(phone):
        raise ServiceError("phone_invalid", str(_l("The phone number must have 10 or 11 digits and start with 0.")), field="phone")
    if national_id and not NATIONAL_ID_RE.fullmatch(national_id):
        raise ServiceError("national_id_invalid", str(_l("The ID number (CCCD) must have exactly 12 digits.")), field="national_id")
    return phone, email, national_id


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
    _set_password(user, new, "new_password")
    revoke_sessions(user.id, keep_token=user.login_token)


def _set_password(user: User, new: str, field: str) -> None:
    if len(new or "") < MIN_PASSWORD_LENGTH:
        raise ServiceError("password_short", str(_l("The password must have at least 8 characters.")), field=field)
    user.password_hash = hash_password(new)
    user.reset_code_hash = None
    user.reset_code_expires_at = None


def update_profile(user: User, *, position: str | None) -> None:
    """What a user may change about themselves: not their identity (entrant category
    included: it decides which contests they may enter), not their unit."""
    user.position = (position or "").strip() or None


# --- login sessions --------------------------------------------------------------

def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start_session(user: User) -> str:
    """A new login: a random token whose hash is stored; ``user.get_id()`` carries it."""
    token = secrets.token_urlsafe(24)
    db.session.add(LoginSession(user_id=user.id, token_hash=_token_hash(token), created_at=utcnow()))
    db.session.flush()
    user.login_token = token
    return token


def split_session_id(raw: str | None) -> tuple[int | None, str | None]:
    """'12:token' → (12, 'token'); anything else → (None, None) (bare ids are refused)."""
    uid, _, token = (raw or "").partition(":")
    if not token or not uid.isdigit() or len(uid) > 10:
        return None, None
    return int(uid), token


def session_user(raw_id: str | None) -> User | None:
    """The user of a live login session (Flask-Login's user loader), or None."""
    uid, token = split_session_id(raw_id)
    if uid is None:
        return None
    user = db.session.scalar(
        sa.select(User).join(LoginSession, LoginSession.user_id == User.id)
        .where(User.id == uid, LoginSession.token_hash == _token_hash(token), LoginSession.revoked_at.is_(None)))
    if user is not None:
        user.login_token = token
    return user


def session_is_live(user_id: int, token: str) -> bool:
    """For hot endpoints that do not load the user: one indexed lookup."""
    return db.session.scalar(
        sa.select(LoginSession.id).where(LoginSession.token_hash == _token_hash(token),
                                         LoginSession.user_id == user_id, LoginSession.revoked_at.is_(None))
    ) is not None


def end_session(user_id: int, token: str | None) -> None:
    """Logout: this login's token stops working, wherever the cookie was copied to."""
    if token:
        db.session.execute(sa.update(LoginSession).where(
            LoginSession.user_id == user_id, LoginSession.token_hash == _token_hash(token),
            LoginSession.revoked_at.is_(None)).values(revoked_at=utcnow()))


def prune_sessions(days: int = 30) -> int:
    """Delete logins revoked more than ``days`` ago (they can never be used again)."""
    cutoff = utcnow() - timedelta(days=days)
    return db.session.execute(sa.delete(LoginSession).where(LoginSession.revoked_at < cutoff)).rowcount or 0


def revoke_sessions(user_id: int, keep_token: str | None = None) -> int:
    """Log out everywhere (but ``keep_token``'s session); returns how many were revoked."""
    stmt = sa.update(LoginSession).where(LoginSession.user_id == user_id, LoginSession.revoked_at.is_(None))
    if keep_token:
        stmt = stmt.where(LoginSession.token_hash != _token_hash(keep_token))
    return db.session.execute(stmt.values(revoked_at=utcnow())).rowcount or 0


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


# --- password recovery -------------------------------------------------------------

RESET_SALT = "password-reset"


def _reset_serializer():
    from itsdangerous import URLSafeTimedSerializer

    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=RESET_SALT)


def _password_fingerprint(user: User) -> str:
    # Changes with every new password hash, so a used link (or any older link) stops working.
    return hashlib.sha256(user.password_hash.encode()).hexdigest()[:16]


def reset_token_minutes() -> int:
    return int(current_app.config.get("PASSWORD_RESET_MINUTES", 60))


def make_reset_token(user: User) -> str:
    return _reset_serializer().dumps({"u": user.id, "p": _password_fingerprint(user)})


def reset_mail_available() -> bool:
    """Whether a reset link can be mailed here; without a mail server the pages point to the
    one-time code a unit manager gives (and never say a link "has been sent")."""
    from quizapp.auth import mail

    return mail.configured()


def request_password_reset(email: str) -> None:
    """Queue the e-mail of a single-use, expiring reset link to the account with this e-mail, if any.

    The request does the same work whether or not such an account exists (it only queues a job
    with the typed address), so neither its answer nor its timing tells a stranger which e-mails
    are registered (issue 20 item 12); the job looks the account up and sends."""
    from quizapp.auth import tasks

    key = normalize_email(email)
    if key:
        tasks.password_reset_mail(key)


def send_password_reset(email: str) -> bool:
    """The job's half: mail the reset link (built on PUBLIC_BASE_URL) if an active account uses
    ``email``; at most MAIL_PER_RECIPIENT_LIMIT mails per recipient.  True if a mail went out."""
    from quizapp.auth import mail
    from quizapp.core.urls import external_url

    key = normalize_email(email)
    user = db.session.scalar(sa.select(User).where(User.email == key)) if key else None
    if user is None or not user.is_active_account:
        return False
    sent = mail.send_reset_link(user.email, external_url("auth.reset_password", token=make_reset_token(user)),
                                reset_token_minutes())
    audit.record(None, "user.password_reset_requested", "user", user.id, sent=sent)
    return sent


def send_registration_notice(owner_id: int) -> bool:
    """The job's half of a refused registration: tell the owner of the identifiers, by e-mail."""
    from quizapp.auth import mail

    owner = db.session.get(User, owner_id)
    if owner is None or not owner.email:
        return False
    return mail.send_registration_notice(owner.email)


def _reset_invalid() -> ServiceError:
    return ServiceError("reset_invalid", str(_l(
        "This password reset link is not valid any more (used, expired or mistyped). Ask for a new one.")), 400)


def user_for_reset_token(token: str) -> User:
    from itsdangerous import BadSignature

    try:
        data = _reset_serializer().loads(token or "", max_age=reset_token_minutes() * 60)
        user = db.session.get(User, int(data["u"]))
        fingerprint = data["p"]
    except (BadSignature, KeyError, TypeError, ValueError):
        raise _reset_invalid()
    if user is None or not user.is_active_account or fingerprint != _password_fingerprint(user):
        raise _reset_invalid()
    return user


def reset_with_token(token: str, new_password: str) -> User:
    user = user_for_reset_token(token)
    _set_password(user, new_password, "new_password")
    revoke_sessions(user.id)
    audit.record(None, "user.password_reset", "user", user.id, method="email")
    return user


RESET_CODE_LENGTH = 8


def may_manage_account(actor: User, user: User) -> bool:
    """Organisers and admins for accounts below their role; a unit manager for the
    participants who belong to his unit (or its sub-units) now."""
    if user.id == actor.id or user.role.rank >= actor.role.rank:
        return False
    if actor.has_role(Role.ORGANISER):
        return True
    if actor.role == Role.UNIT_MANAGER and actor.unit_id and user.unit_id:
        from quizapp.units import services as units

        return units.is_within(user.unit_id, actor.unit_id)
    return False


def issue_reset_code(actor: User, user: User) -> str:
    """A one-time code (8 digits, ``RESET_CODE_HOURS`` valid) the actor hands to the person,
    e.g. by phone; only its hash is stored, and the issue is audited."""
    if not may_manage_account(actor, user):
        raise ServiceError("forbidden", str(_l("You may not reset this account's password.")), 403)
    code = "".join(secrets.choice("0123456789") for _ in range(RESET_CODE_LENGTH))
    user.reset_code_hash = hash_password(code)
    user.reset_code_expires_at = utcnow() + timedelta(hours=int(current_app.config.get("RESET_CODE_HOURS", 24)))
    audit.record(actor.id, "user.reset_code_issued", "user", user.id)
    return code


def reset_with_code(login: str, code: str, new_password: str) -> User:
    """Set a new password with a code from a unit manager/organiser; the code works once."""
    key = normalize_login(login)
    user = None
    if key:
        column = User.email if "@" in key else User.phone
        user = db.session.scalar(sa.select(User).where(column == key))
    code = ascii_digits((code or "").strip())
    ok = (user is not None and user.is_active_account and user.reset_code_hash is not None
          and user.reset_code_expires_at is not None and user.reset_code_expires_at > utcnow()
          and check_password_hash(user.reset_code_hash, code))
    if not ok:
        raise ServiceError("reset_code_invalid", str(_l(
            "The phone number / e-mail or the code is not correct, or the code has expired.")), 400, field="code")
    _set_password(user, new_password, "new_password")
    revoke_sessions(user.id)
    audit.record(None, "user.password_reset", "user", user.id, method="code")
    return user


# --- likely duplicate accounts -----------------------------------------------------

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
