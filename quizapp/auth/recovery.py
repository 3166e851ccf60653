"""Password recovery: a single-use, expiring link by e-mail, or a one-time code from a manager.

Owns: the signed reset link (bound to the current password hash, so a used or older link stops
working; ``request_password_reset`` does the same work whether or not the e-mail is registered,
the mail job ``send_password_reset`` looks the account up), ``may_manage_account`` (who may hand
a person a code), ``issue_reset_code`` and ``reset_with_code``; every reset logs the person out
everywhere and is audited.
Must not: send mail inside the request (the job does) or change anything but the password.
"""
from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l
from werkzeug.security import check_password_hash

from quizapp.auth.accounts import hash_password, set_password
from quizapp.auth.identity import ascii_digits, normalize_email, normalize_login
from quizapp.auth.models import Role, User
from quizapp.auth.sessions import revoke_sessions
from quizapp.core import audit
from quizapp.core.db import db, utcnow
from quizapp.core.errors import ServiceError

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
    set_password(user, new_password, "new_password")
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
    set_password(user, new_password, "new_password")
    revoke_sessions(user.id)
    audit.record(None, "user.password_reset", "user", user.id, method="code")
    return user
