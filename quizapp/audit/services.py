"""Recording organiser and admin actions."""
from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from quizapp.audit.models import AuditEntry
from quizapp.core.db import db, utcnow


def record(actor_id: int | None, action: str, obj_type: str, obj_id=None, **details) -> AuditEntry:
    """Add an audit entry to the current transaction (committed with the action)."""
    entry = AuditEntry(
        actor_id=actor_id,
        action=action,
        object_type=obj_type,
        object_id=None if obj_id is None else str(obj_id),
        details=details,
    )
    db.session.add(entry)
    return entry


def record_detached(actor_id: int | None, action: str, obj_type: str, obj_id=None, **details) -> None:
    """Record an entry in its own transaction, kept even when the current one rolls
    back (a refused action: the refusal itself is what the log must show)."""
    with db.engine.begin() as conn:
        conn.execute(sa.insert(AuditEntry.__table__).values(
            actor_id=actor_id, action=action, object_type=obj_type,
            object_id=None if obj_id is None else str(obj_id), details=details, created_at=utcnow()))


PER_PAGE = 50


def entries(action: str | None = None, page: int = 1, per_page: int = PER_PAGE):
    """One page of the audit log, newest first, optionally one action only."""
    stmt = sa.select(AuditEntry).options(selectinload(AuditEntry.actor))
    if action:
        stmt = stmt.where(AuditEntry.action == action)
    stmt = stmt.order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc())
    return db.paginate(stmt, page=max(page, 1), per_page=per_page, error_out=False, count=True)


def action_names() -> list[str]:
    """Every action the log holds (for the filter list)."""
    return list(db.session.scalars(sa.select(AuditEntry.action).distinct().order_by(AuditEntry.action)))
