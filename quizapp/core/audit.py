"""The audit trail's ground floor: the ``AuditEntry`` model and recording an entry.

Owns: the ``audit_log`` table and ``record()`` / ``record_detached()``, used by every
capability that changes something an administrator must be able to trace (auth, units,
bank, contests, ...).  Must not: read or present the log (the Vietnamese sentences, the
links, the admin page live in ``quizapp.audit``, the top floor), nor import any
capability package: the actor is related to ``User`` by its string name.
"""
from __future__ import annotations

from datetime import datetime
from typing import Optional

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from quizapp.core.db import UTCDateTime, db, utcnow


class AuditEntry(db.Model):
    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    actor_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("users.id"), index=True)
    action: Mapped[str] = mapped_column(sa.String(64), index=True)
    object_type: Mapped[str] = mapped_column(sa.String(32))
    object_id: Mapped[Optional[str]] = mapped_column(sa.String(64))
    # Never personal data: ids and changed field names, not their values.
    details: Mapped[dict] = mapped_column(sa.JSON, default=dict)

    actor = relationship("User")


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
