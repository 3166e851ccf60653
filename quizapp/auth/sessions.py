"""Login sessions: a random token per login, only its hash stored, revocable one by one or all at once.

Owns: ``start_session`` (the token ``user.get_id()`` carries), ``split_session_id``,
``session_user`` (Flask-Login's user loader), ``session_is_live`` (one indexed lookup for hot
endpoints), ``end_session`` (logout), ``revoke_sessions`` (log out everywhere) and
``prune_sessions`` (the daily job).
Must not: check passwords or decide who is logged out: its callers (password change, reset,
disabling or merging an account) do.
"""
from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

import sqlalchemy as sa

from quizapp.auth.models import LoginSession, User
from quizapp.core.db import db, utcnow

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
